"""The sampling design: weights, strata, primary sampling units (PSUs) and finite-population corrections.

:class:`Design` names the design columns, as R's ``svydesign(ids=, strata=, weights=,
fpc=, nest=)`` does; :func:`design_arrays` checks them against a frame and turns them
into the integer codes that the estimation engine sums over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import DesignError

LONELY_PSU_RULES: tuple[str, ...] = ("fail", "adjust", "remove", "certainty", "average")
CERTAINTY_TOLERANCE = 1e-7
"""A stratum whose finite-population factor ``1 - f_h`` is below this was sampled completely (R ``onestrat()``)."""


@dataclass(frozen=True)
class Design:
    """Names of the design columns of a survey, with R ``survey``'s meanings.

    Parameters
    ----------
    weight : str
        Sampling weight column (positive and finite).
    strata : str or tuple of str, optional
        Stratum column(s); several columns define strata by their combination.
    psu : str, optional
        Primary sampling unit (first-stage cluster). ``None``: each row is its own PSU.
    fpc : str, optional
        Finite-population correction at the first stage, constant within a stratum: values
        above 1 are population counts (of PSUs, or of units when ``psu`` is None), values at
        most 1 are sampling fractions, as in R ``svydesign(fpc=)``.
    lonely_psu : {"fail", "adjust", "remove", "certainty", "average"}
        What to do with a stratum that has a single PSU, as R's ``options(survey.lonely.psu=)``.
    nest : bool
        PSU codes restart within strata (R ``nest=TRUE``): make them unique by stratum.
    """

    weight: str
    strata: str | tuple[str, ...] | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: str = "fail"
    nest: bool = False

    def __post_init__(self) -> None:
        if self.lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu={snippet(self.lonely_psu)} is not one of {', '.join(LONELY_PSU_RULES)}")
        if isinstance(self.strata, list):
            object.__setattr__(self, "strata", tuple(self.strata))

    @property
    def strata_columns(self) -> tuple[str, ...]:
        """The stratum columns as a tuple (empty when unstratified)."""
        if self.strata is None:
            return ()
        return (self.strata,) if isinstance(self.strata, str) else tuple(self.strata)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the design reads."""
        optional = tuple(c for c in (self.psu, self.fpc) if c)
        return (self.weight, *self.strata_columns, *optional)


@dataclass(frozen=True)
class DesignArrays:
    """The design as integer codes over all rows, for vectorised variance estimation.

    Attributes
    ----------
    weight : ndarray of float64, shape (n,)
    stratum : ndarray of int64, shape (n,)
        Stratum code 0..H-1 of each row.
    psu : ndarray of int64, shape (n,)
        PSU code 0..K-1 of each row, unique over the whole design.
    psu_stratum : ndarray of int64, shape (K,)
        Stratum of each PSU.
    n_psu : ndarray of int64, shape (H,)
        PSUs per stratum in the full design.
    fpc_fraction : ndarray of float64, shape (H,)
        First-stage sampling fraction f_h (0 without fpc).
    certainty : ndarray of bool, shape (H,)
        Strata sampled completely (``1 - f_h < CERTAINTY_TOLERANCE``, R's rule): they contribute no
        variance, and a single PSU in one is not lonely.
    lonely_psu : str
        The lonely-PSU rule in force.
    """

    weight: np.ndarray
    stratum: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu: np.ndarray
    fpc_fraction: np.ndarray
    certainty: np.ndarray
    lonely_psu: str

    @property
    def n_strata(self) -> int:
        """Number of strata H."""
        return int(self.n_psu.size)

    @property
    def n_psus(self) -> int:
        """Number of PSUs K."""
        return int(self.psu_stratum.size)

    @property
    def degrees_of_freedom(self) -> int:
        """Design degrees of freedom: PSUs minus strata (R ``degf()``)."""
        return self.n_psus - self.n_strata


def design_arrays(frame: pd.DataFrame, design: Design, where: str = "survey") -> DesignArrays:
    """Check the design columns of ``frame`` and return them as integer codes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The survey data.
    design : Design
        Which columns hold the weight, strata, PSUs and fpc.
    where : str
        Name of the data (file) used in error messages.

    Raises
    ------
    DesignError
        Missing design column; weights that are missing, non-numeric (or true/false), zero, negative
        or infinite, or so large that their total (or the total of their squares) overflows; missing strata or PSU codes; a PSU in more than one stratum without
        ``nest=True``; an fpc that varies within a stratum or is smaller than the sample;
        a stratum with a single PSU under ``lonely_psu="fail"``.
    """
    missing = [c for c in design.columns if c not in frame.columns]
    if missing:
        raise DesignError(f"{where}: design variable {snippet(missing[0])} is not in the data (columns: {_preview(frame.columns)})")
    weight = _weights(frame[design.weight], design.weight, where)
    stratum, stratum_labels = _strata(frame, design.strata_columns, where)
    psu = _psu_codes(frame, design, stratum, stratum_labels, where)
    n_strata = len(stratum_labels)
    psu_stratum = np.zeros(int(psu.max()) + 1 if psu.size else 0, dtype=np.int64)
    psu_stratum[psu] = stratum
    n_psu = np.bincount(psu_stratum, minlength=n_strata).astype(np.int64)
    fpc_fraction = _fpc_fraction(frame, design, stratum, n_psu, stratum_labels, where)
    certainty = 1.0 - fpc_fraction < CERTAINTY_TOLERANCE
    lonely = (n_psu == 1) & ~certainty
    if design.lonely_psu == "fail" and lonely.any():
        names = [stratum_labels[i] for i in np.flatnonzero(lonely)[:5]]
        more = f" and {int(lonely.sum()) - 5} more" if lonely.sum() > 5 else ""
        raise DesignError(
            f"{where}: stratum {'; '.join(names)}{more} has only one PSU; choose lonely_psu='adjust', 'average', "
            "'remove' or 'certainty' (as R's survey.lonely.psu) or merge strata"
        )
    return DesignArrays(weight, stratum, psu, psu_stratum, n_psu, fpc_fraction, certainty, design.lonely_psu)


def _preview(names: pd.Index, limit: int = 8) -> str:
    shown = ", ".join(snippet(str(name), 30) for name in list(names)[:limit])
    return shown + (", ..." if len(names) > limit else "")


def _weights(column: pd.Series, name: str, where: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column) or (column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "boolean"):
        raise DesignError(f"{where}: weight {snippet(name)} holds true/false values; weights must be positive numbers")
    if not pd.api.types.is_numeric_dtype(column):
        raise DesignError(f"{where}: weight {snippet(name)} is not numeric (dtype {column.dtype})")
    weight = column.to_numpy(dtype=np.float64, na_value=np.nan)
    checks = (
        (np.isnan(weight), "missing"),
        (np.isinf(weight), "infinite"),
        (weight < 0, "negative"),
        (weight == 0, "zero"),
    )
    for bad, what in checks:
        if bad.any():
            first = column.index[np.flatnonzero(bad)[0]]
            raise DesignError(
                f"{where}: weight {snippet(name)} is {what} in {int(bad.sum())} row(s) (first at row {snippet(first)}); "
                "weights must be positive and finite"
            )
    with np.errstate(over="ignore", invalid="ignore"):
        totals = (weight.sum(), np.square(weight).sum())
    if not all(np.isfinite(totals)):
        raise DesignError(f"{where}: weight {snippet(name)} is too large: the total of the weights (or of their squares) "
                          "overflows to infinity; rescale the weights (e.g. to mean 1)")
    return weight


def _codes(frame: pd.DataFrame, columns: tuple[str, ...], where: str, role: str) -> tuple[np.ndarray, list[str]]:
    """Factorise one or several columns jointly; NA is an error."""
    for name in columns:
        if frame[name].isna().any():
            count = int(frame[name].isna().sum())
            raise DesignError(f"{where}: {role} variable {snippet(name)} is missing in {count} row(s); every row needs a {role}")
    if len(columns) == 1:
        codes, uniques = pd.factorize(frame[columns[0]], sort=True)
        return codes.astype(np.int64), [f"{columns[0]}={_label(u)}" for u in uniques]
    grouped = frame.groupby(list(columns), sort=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    labels = [", ".join(f"{c}={_label(v)}" for c, v in zip(columns, key, strict=True)) for key in grouped.groups]
    return codes, labels


def _label(value: object) -> str:
    """A code as people write it: 233000, not 233000.0."""
    text = f"{value:g}" if isinstance(value, float) and value.is_integer() else strip_control(str(value))
    return text if len(text) <= 40 else text[:37] + "..."


def _strata(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> tuple[np.ndarray, list[str]]:
    if not columns:
        return np.zeros(len(frame), dtype=np.int64), ["(all)"]
    return _codes(frame, columns, where, "stratum")


def _psu_codes(frame: pd.DataFrame, design: Design, stratum: np.ndarray, stratum_labels: list[str], where: str) -> np.ndarray:
    if design.psu is None:
        return np.arange(len(frame), dtype=np.int64)
    psu, psu_labels = _codes(frame, (design.psu,), where, "PSU")
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


def _fpc_fraction(
    frame: pd.DataFrame, design: Design, stratum: np.ndarray, n_psu: np.ndarray, stratum_labels: list[str], where: str
) -> np.ndarray:
    if design.fpc is None:
        return np.zeros(n_psu.size)
    column = frame[design.fpc]
    if not pd.api.types.is_numeric_dtype(column) or column.isna().any():
        raise DesignError(f"{where}: fpc {snippet(design.fpc)} must be numeric and present in every row")
    values = column.to_numpy(dtype=np.float64)
    per_stratum = pd.Series(values).groupby(stratum)
    if (per_stratum.nunique() > 1).any():
        bad = int(np.flatnonzero((per_stratum.nunique() > 1).to_numpy())[0])
        raise DesignError(f"{where}: fpc {snippet(design.fpc)} varies within stratum {stratum_labels[bad]}; it must be constant per stratum")
    fpc = per_stratum.first().to_numpy()
    if (fpc <= 0).any():
        raise DesignError(f"{where}: fpc {snippet(design.fpc)} must be positive")
    sample = n_psu if design.psu is not None else np.bincount(stratum, minlength=n_psu.size)
    is_count = fpc > 1
    if (is_count & (fpc < sample)).any():
        bad = int(np.flatnonzero(is_count & (fpc < sample))[0])
        raise DesignError(
            f"{where}: fpc {snippet(design.fpc)} = {fpc[bad]:g} in stratum {stratum_labels[bad]} is smaller than the "
            f"{int(sample[bad])} sampled units"
        )
    return np.where(is_count, sample / np.where(is_count, fpc, 1.0), fpc)
