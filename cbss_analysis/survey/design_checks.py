"""Checks of a frame's design columns, and their codes: weights, strata, PSUs, fpc, the second stage.

Each function checks one design role of :func:`cbss_analysis.survey.design.design_arrays` and raises a
one-line :class:`~cbss_analysis.errors.DesignError` naming the data, the variable and the value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import DesignError
from cbss_analysis.survey.design_codes import CERTAINTY_TOLERANCE, SecondStage

if TYPE_CHECKING:
    from cbss_analysis.survey.design import Design


def second_stage(
    frame: pd.DataFrame, design: Design, psu: np.ndarray, psu_stratum: np.ndarray, first_fraction: np.ndarray, where: str
) -> SecondStage:
    """Second-stage units within PSUs, their counts and fpc (R ``svydesign(ids = ~a + b, fpc = ~N1 + N2)``)."""
    first, second = design.psu_columns
    fpc_name = design.fpc_columns[1]
    code, _ = codes(frame, (second,), where, "PSU")
    unit = pd.DataFrame({"psu": psu, "unit": code}).groupby(["psu", "unit"], sort=True).ngroup().to_numpy(dtype=np.int64)
    n_psus = psu_stratum.size
    unit_psu = np.zeros(int(unit.max()) + 1, dtype=np.int64)
    unit_psu[unit] = psu
    n_units = np.bincount(unit_psu, minlength=n_psus).astype(np.int64)
    column = frame[fpc_name]
    if not pd.api.types.is_numeric_dtype(column) or column.isna().any():
        raise DesignError(f"{where}: fpc {fpc_name!r} must be numeric and present in every row")
    per_psu = pd.Series(column.to_numpy(dtype=np.float64)).groupby(psu)
    labels = frame[first].to_numpy()
    varies = (per_psu.nunique() > 1).to_numpy()
    if varies.any():
        bad = int(np.flatnonzero(varies)[0])
        raise DesignError(
            f"{where}: fpc {fpc_name!r} varies within PSU {first}={label(labels[psu == bad][0])}; "
            "the second-stage fpc must be constant per PSU"
        )
    fpc = per_psu.first().to_numpy()
    if (fpc <= 0).any():
        raise DesignError(f"{where}: fpc {fpc_name!r} must be positive")
    is_count = fpc > 1
    short = is_count & (fpc < n_units)
    if short.any():
        bad = int(np.flatnonzero(short)[0])
        raise DesignError(
            f"{where}: fpc {fpc_name!r} = {fpc[bad]:g} in PSU {first}={label(labels[psu == bad][0])} is smaller "
            f"than its {int(n_units[bad])} sampled {second} units"
        )
    fraction = np.where(is_count, n_units / np.where(is_count, fpc, 1.0), fpc)
    certainty = 1.0 - fraction < CERTAINTY_TOLERANCE
    lonely = (n_units == 1) & ~certainty
    if design.lonely_psu == "fail" and lonely.any():
        bad = np.flatnonzero(lonely)
        names = [f"{first}={label(labels[psu == k][0])}" for k in bad[:5]]
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise DesignError(
            f"{where}: PSU {'; '.join(names)}{more} has only one sampled {second} unit at stage 2; choose "
            "lonely_psu='adjust', 'average', 'remove' or 'certainty' (as R's survey.lonely.psu)"
        )
    return SecondStage(unit, unit_psu, n_units, fraction, certainty, first_fraction[psu_stratum])


def preview(names: pd.Index, limit: int = 8) -> str:
    shown = ", ".join(snippet(str(name), 30) for name in list(names)[:limit])
    return shown + (", ..." if len(names) > limit else "")


def weights(column: pd.Series, name: str, where: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column) or (column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "boolean"):
        raise DesignError(f"{where}: weight {snippet(name)} holds true/false values; weights must be positive numbers")
    if not pd.api.types.is_numeric_dtype(column):
        raise DesignError(f"{where}: weight {snippet(name)} is not numeric (dtype {column.dtype})")
    weight = column.to_numpy(dtype=np.float64, na_value=np.nan)
    checks = (
        (np.isnan(weight), "missing"),
        (np.isinf(weight), "infinite"),
        (weight < 0, "negative"),
    )
    for bad, what in checks:
        if bad.any():
            first = column.index[np.flatnonzero(bad)[0]]
            raise DesignError(
                f"{where}: weight {snippet(name)} is {what} in {int(bad.sum())} row(s) (first at row {snippet(first)}); "
                "weights must be finite and not negative"
            )
    if weight.size and not (weight > 0).any():
        raise DesignError(f"{where}: weight {snippet(name)} is zero in every row; at least one row needs a positive weight")
    with np.errstate(over="ignore", invalid="ignore"):
        totals = (weight.sum(), np.square(weight).sum())
    if not all(np.isfinite(totals)):
        raise DesignError(f"{where}: weight {snippet(name)} is too large: the total of the weights (or of their squares) "
                          "overflows to infinity; rescale the weights (e.g. to mean 1)")
    return weight


def codes(frame: pd.DataFrame, columns: tuple[str, ...], where: str, role: str) -> tuple[np.ndarray, list[str]]:
    """Factorise one or several columns jointly; NA is an error."""
    for name in columns:
        if frame[name].isna().any():
            count = int(frame[name].isna().sum())
            raise DesignError(f"{where}: {role} variable {snippet(name)} is missing in {count} row(s); every row needs a {role}")
    if len(columns) == 1:
        codes, uniques = pd.factorize(frame[columns[0]], sort=True)
        return codes.astype(np.int64), [f"{columns[0]}={label(u)}" for u in uniques]
    grouped = frame.groupby(list(columns), sort=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    labels = [", ".join(f"{c}={label(v)}" for c, v in zip(columns, key, strict=True)) for key in grouped.groups]
    return codes, labels


def label(value: object) -> str:
    """A code as people write it: 233000, not 233000.0."""
    text = f"{value:g}" if isinstance(value, float) and value.is_integer() else strip_control(str(value))
    return text if len(text) <= 40 else text[:37] + "..."


def strata_codes(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> tuple[np.ndarray, list[str]]:
    if not columns:
        return np.zeros(len(frame), dtype=np.int64), ["(all)"]
    return codes(frame, columns, where, "stratum")


def psu_codes(frame: pd.DataFrame, design: Design, stratum: np.ndarray, stratum_labels: list[str], where: str) -> np.ndarray:
    if design.psu is None:
        return np.arange(len(frame), dtype=np.int64)
    psu, psu_labels = codes(frame, design.psu_columns[:1], where, "PSU")
    if design.nest:
        pairs = pd.DataFrame({"stratum": stratum, "psu": psu})
        return pairs.groupby(["stratum", "psu"], sort=True).ngroup().to_numpy(dtype=np.int64)
    pairs = pd.DataFrame({"psu": psu, "stratum": stratum}).drop_duplicates()
    shared = pairs["psu"].duplicated(keep=False)
    if shared.any():
        offender = int(pairs.loc[shared, "psu"].iloc[0])
        in_strata = sorted(stratum_labels[s] for s in pairs.loc[pairs["psu"] == offender, "stratum"])
        raise DesignError(
            f"{where}: PSU {psu_labels[offender]} appears in strata {'; '.join(in_strata[:3])}; "
            "PSUs must be nested in strata: pass nest=True if PSU codes restart within strata"
        )
    return psu


def fpc_fraction(
    frame: pd.DataFrame, design: Design, stratum: np.ndarray, n_psu: np.ndarray, stratum_labels: list[str], where: str
) -> np.ndarray:
    if design.fpc is None:
        return np.zeros(n_psu.size)
    name = design.fpc_columns[0]
    column = frame[name]
    if not pd.api.types.is_numeric_dtype(column) or column.isna().any():
        raise DesignError(f"{where}: fpc {snippet(name)} must be numeric and present in every row")
    values = column.to_numpy(dtype=np.float64)
    per_stratum = pd.Series(values).groupby(stratum)
    if (per_stratum.nunique() > 1).any():
        bad = int(np.flatnonzero((per_stratum.nunique() > 1).to_numpy())[0])
        raise DesignError(f"{where}: fpc {snippet(name)} varies within stratum {stratum_labels[bad]}; it must be constant per stratum")
    fpc = per_stratum.first().to_numpy()
    if (fpc <= 0).any():
        raise DesignError(f"{where}: fpc {snippet(name)} must be positive")
    sample = n_psu if design.psu is not None else np.bincount(stratum, minlength=n_psu.size)
    is_count = fpc > 1
    if (is_count & (fpc < sample)).any():
        bad = int(np.flatnonzero(is_count & (fpc < sample))[0])
        raise DesignError(
            f"{where}: fpc {snippet(name)} = {fpc[bad]:g} in stratum {stratum_labels[bad]} is smaller than the "
            f"{int(sample[bad])} sampled units"
        )
    return np.where(is_count, sample / np.where(is_count, fpc, 1.0), fpc)
