"""The sampling design: weights, strata, primary sampling units (PSUs) and finite-population corrections.

:class:`Design` names the design columns, as R's ``svydesign(ids=, strata=, weights=,
fpc=, nest=)`` does; :func:`design_arrays` checks them against a frame and turns them
into the integer codes that the estimation engine sums over.

Two R semantics that matter:

- **Zero weights** are allowed: the row stays in the design (its PSU counts in the stratum's
  PSU count ``n_h`` and in the fpc) and contributes nothing to any estimate; the design degrees
  of freedom count only PSUs and strata with a nonzero weight (R ``degf()``), and a domain made
  only of zero-weight rows is not a domain (R ``svyby`` drops it).
- **Two stages** (``psu=("school", "class")``, ``fpc=("N_schools", "N_classes")``) give R's
  multistage variance (``svydesign(ids = ~school + class, fpc = ~N1 + N2)`` with
  ``options(survey.ultimate.cluster = FALSE)``, its default): the first-stage variance plus,
  within each PSU, the variance of its second-stage units, scaled by the first-stage sampling
  fraction (``survey:::multistage``). Without an fpc the second stage contributes nothing (R:
  with-replacement first stage), exactly as a one-stage design on the first-stage PSUs, which
  is also what R gives with ``survey.ultimate.cluster = TRUE``.
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
        Sampling weight column (finite, not negative). A zero weight keeps the row in the
        design, contributing nothing (see the module docstring).
    strata : str or tuple of str, optional
        Stratum column(s) of the first stage; several columns define strata by their combination.
    psu : str or tuple of two str, optional
        Primary sampling unit (first-stage cluster). ``None``: each row is its own PSU. Two
        names ``(first, second)`` give a two-stage design: second-stage units are the distinct
        values of ``second`` within each PSU (R ``ids = ~first + second``); the second stage is
        not stratified. Its variance enters only with an fpc for both stages.
    fpc : str or tuple of two str, optional
        Finite-population correction, one column per stage, as in R ``svydesign(fpc=)``: values
        above 1 are population counts, values at most 1 are sampling fractions. First stage:
        constant within a stratum, counting PSUs (or rows when ``psu`` is None); second stage:
        constant within a PSU, counting its second-stage units.
    lonely_psu : {"fail", "adjust", "remove", "certainty", "average"}
        What to do with a stratum that has a single PSU, as R's ``options(survey.lonely.psu=)``.
    nest : bool
        PSU codes restart within strata (R ``nest=TRUE``): make them unique by stratum.
    """

    weight: str
    strata: str | tuple[str, ...] | None = None
    psu: str | tuple[str, ...] | None = None
    fpc: str | tuple[str, ...] | None = None
    lonely_psu: str = "fail"
    nest: bool = False

    def __post_init__(self) -> None:
        if self.lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu={snippet(self.lonely_psu)} is not one of {', '.join(LONELY_PSU_RULES)}")
        for name in ("strata", "psu", "fpc"):
            value = getattr(self, name)
            if isinstance(value, list):
                value = tuple(value)
            if isinstance(value, tuple) and len(value) == 1 and name != "strata":
                value = value[0]
            object.__setattr__(self, name, value)
        if len(self.psu_columns) > 2:
            raise DesignError(f"psu={snippet(self.psu)} names {len(self.psu_columns)} stages; at most two stages are supported")
        if len(self.fpc_columns) > max(len(self.psu_columns), 1) or (
            len(self.psu_columns) == 2 and len(self.fpc_columns) not in (0, 2)
        ):
            raise DesignError(
                f"fpc={snippet(self.fpc)} must name one column per stage of psu={snippet(self.psu)} (or none), "
                "as R svydesign(fpc = ~N1 + N2)"
            )

    @property
    def strata_columns(self) -> tuple[str, ...]:
        """The stratum columns as a tuple (empty when unstratified)."""
        if self.strata is None:
            return ()
        return (self.strata,) if isinstance(self.strata, str) else tuple(self.strata)

    @property
    def psu_columns(self) -> tuple[str, ...]:
        """The cluster columns, one per stage (empty: each row is its own PSU)."""
        if self.psu is None:
            return ()
        return (self.psu,) if isinstance(self.psu, str) else tuple(self.psu)

    @property
    def fpc_columns(self) -> tuple[str, ...]:
        """The fpc columns, one per stage (empty without fpc)."""
        if self.fpc is None:
            return ()
        return (self.fpc,) if isinstance(self.fpc, str) else tuple(self.fpc)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the design reads."""
        return (self.weight, *self.strata_columns, *dict.fromkeys((*self.psu_columns, *self.fpc_columns)))


@dataclass(frozen=True)
class SecondStage:
    """The second stage of a two-stage design, for the multistage variance (R ``survey:::multistage``).

    Within PSU ``k`` the second-stage units play the part of PSUs in a stratum: their totals are
    centred on the PSU's mean over its ``n_units[k]`` units of the full design, scaled by
    ``(1 - f2_k) n_k / (n_k - 1)`` and by the first-stage sampling fraction ``factor[k]`` of
    the PSU's stratum (R's ``nPSUs / fpcs``).

    Attributes
    ----------
    unit : ndarray of int64, shape (n,)
        Second-stage unit of each row, 0..M-1, unique over the design (numbered PSU by PSU).
    unit_psu : ndarray of int64, shape (M,)
        PSU of each second-stage unit.
    n_units : ndarray of int64, shape (K,)
        Second-stage units per PSU in the full design.
    fpc_fraction : ndarray of float64, shape (K,)
        Second-stage sampling fraction within each PSU.
    certainty : ndarray of bool, shape (K,)
        PSUs whose units were all sampled (``1 - f2 < CERTAINTY_TOLERANCE``): no second-stage variance.
    factor : ndarray of float64, shape (K,)
        First-stage sampling fraction ``n_h / N_h`` of each PSU's stratum.
    """

    unit: np.ndarray
    unit_psu: np.ndarray
    n_units: np.ndarray
    fpc_fraction: np.ndarray
    certainty: np.ndarray
    factor: np.ndarray


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
    stage2 : SecondStage, optional
        The second stage of a two-stage design with fpc (None: one stage, the fast path).
    zero_weights : bool
        Whether some rows have weight 0.
    """

    weight: np.ndarray
    stratum: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu: np.ndarray
    fpc_fraction: np.ndarray
    certainty: np.ndarray
    lonely_psu: str
    stage2: SecondStage | None = None
    zero_weights: bool = False

    @property
    def n_strata(self) -> int:
        """Number of strata H."""
        return int(self.n_psu.size)

    @property
    def n_psus(self) -> int:
        """Number of PSUs K."""
        return int(self.psu_stratum.size)

    @property
    def unit(self) -> np.ndarray:
        """The unit over which influence values are totalled: the second-stage unit of each row in a
        two-stage design, else its PSU."""
        return self.psu if self.stage2 is None else self.stage2.unit

    @property
    def n_units(self) -> int:
        """Number of units (:attr:`unit` codes)."""
        return self.n_psus if self.stage2 is None else int(self.stage2.unit_psu.size)

    def unit_psu(self, unit: np.ndarray) -> np.ndarray:
        """The PSU of each unit code."""
        return unit if self.stage2 is None else self.stage2.unit_psu[unit]

    @property
    def positive(self) -> np.ndarray:
        """Rows with a nonzero weight, shape (n,)."""
        return self.weight > 0

    @property
    def degrees_of_freedom(self) -> int:
        """Design degrees of freedom: PSUs minus strata with a nonzero weight (R ``degf()``)."""
        if not self.zero_weights:
            return self.n_psus - self.n_strata
        positive = self.positive
        return int(np.unique(self.psu[positive]).size - np.unique(self.stratum[positive]).size)


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
        Missing design column; weights that are missing, non-numeric (or true/false), negative,
        infinite or all zero, or so large that their total (or the total of their squares) overflows;
        missing strata or PSU codes; a PSU in more than one stratum without ``nest=True``; an fpc that
        varies within a stratum (a PSU at the second stage) or is smaller than the sample; a stratum
        with a single PSU, or a PSU with a single second-stage unit, under ``lonely_psu="fail"``.
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
    stage2 = _second_stage(frame, design, psu, psu_stratum, fpc_fraction, where) if len(design.fpc_columns) == 2 else None
    return DesignArrays(
        weight, stratum, psu, psu_stratum, n_psu, fpc_fraction, certainty, design.lonely_psu, stage2, bool((weight == 0).any())
    )


def _second_stage(
    frame: pd.DataFrame, design: Design, psu: np.ndarray, psu_stratum: np.ndarray, first_fraction: np.ndarray, where: str
) -> SecondStage:
    """Second-stage units within PSUs, their counts and fpc (R ``svydesign(ids = ~a + b, fpc = ~N1 + N2)``)."""
    first, second = design.psu_columns
    fpc_name = design.fpc_columns[1]
    code, _ = _codes(frame, (second,), where, "PSU")
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
            f"{where}: fpc {fpc_name!r} varies within PSU {first}={_label(labels[psu == bad][0])}; "
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
            f"{where}: fpc {fpc_name!r} = {fpc[bad]:g} in PSU {first}={_label(labels[psu == bad][0])} is smaller "
            f"than its {int(n_units[bad])} sampled {second} units"
        )
    fraction = np.where(is_count, n_units / np.where(is_count, fpc, 1.0), fpc)
    certainty = 1.0 - fraction < CERTAINTY_TOLERANCE
    lonely = (n_units == 1) & ~certainty
    if design.lonely_psu == "fail" and lonely.any():
        bad = np.flatnonzero(lonely)
        names = [f"{first}={_label(labels[psu == k][0])}" for k in bad[:5]]
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise DesignError(
            f"{where}: PSU {'; '.join(names)}{more} has only one sampled {second} unit at stage 2; choose "
            "lonely_psu='adjust', 'average', 'remove' or 'certainty' (as R's survey.lonely.psu)"
        )
    return SecondStage(unit, unit_psu, n_units, fraction, certainty, first_fraction[psu_stratum])


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
    psu, psu_labels = _codes(frame, design.psu_columns[:1], where, "PSU")
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
