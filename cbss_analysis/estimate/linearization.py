"""Taylor linearisation of means, proportions, totals and ratios: every variable and domain in one pass.

:func:`linearize` turns analysis columns and domain codes into estimates, standard errors, counts,
degrees of freedom and design effects, and keeps the per-PSU influence totals behind them (a
:class:`Linearization`) so that any linear combination of the estimates gets its design-based
variance later (:mod:`cbss_analysis.estimate.contrasts`). The conventions are those of R ``survey``;
see :mod:`cbss_analysis.estimate`.

Subsets and zero weights: :func:`analysis_columns` blanks the values of rows outside the survey's
subset (they leave every domain but keep their PSU), and :func:`survey_domains` finds the
domains among the subset's rows with a nonzero weight. ``n`` counts the respondents with a
nonzero weight (zero-weight rows contribute nothing, so they do not count towards ``min_n``);
the df counts only PSUs with such respondents (R ``degf()``); the Korn-Graubard interval uses
R's ``nrow(design)``, which counts zero-weight rows too (column ``_n_rows`` of the table that
:func:`linearize` returns).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis._engine import variance
from cbss_analysis._engine.domains import Domains, domain_codes
from cbss_analysis.common import checks
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import DesignArrays, Survey
from cbss_analysis.survey.calibration import Calibration
from cbss_analysis.survey.replicates import ReplicateArrays

TABLE_COLUMNS_BEFORE_BY = ("variable", "level")
TABLE_COLUMNS_AFTER_BY = ("estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "deff", "suppressed", "df")
LINEARIZATION_ATTR = "linearization"
SURVEY_ATTR = "survey"
"""``attrs`` key of the :class:`SurveyRef` to the survey an estimate table was computed on (for :func:`trend`)."""
ESTIMATE_INDEX = "_estimate_index"
DEFF_REFERENCES = {True: "replace", "replace": "replace", "wor": "wor", False: None}


@dataclass(frozen=True, eq=False)
class Linearization:
    """The per-PSU influence totals behind an estimate table, kept for :func:`compare`.

    Carried in ``table.attrs["linearization"]`` by a :class:`LinearizationRef`.

    Attributes
    ----------
    arrays : DesignArrays
        The design of the survey.
    keys : pandas.DataFrame
        The columns that identify a row of the table (``variable``, ``level`` for means; only
        ``variable`` for ratios), the by columns, and the estimate index of every row.
    column, psu, z : ndarray
        Sparse influence matrix: estimate index, unit code (``DesignArrays.unit``: the PSU, or the
        second-stage unit of a two-stage design) and unit total of the influence values.
    estimate : ndarray
        Unsuppressed estimates, by estimate index.
    variable_index : ndarray
        The variable column (0 .. J-1) of every estimate.
    strata_present : ndarray of bool, shape (J, H)
        Strata with at least one respondent with a value, per variable column.
    variable_df : ndarray of int64, shape (J,)
        Design df over the rows with a value (PSUs minus strata), per variable column.
    replicate_estimates : ndarray, shape (estimates, R), optional
        For a replicate design: the replicate estimates (``column``, ``psu``, ``z`` are then empty
        and contrasts take their variance from these, R ``svycontrast`` on ``svyby`` replicates).
    replicate_design : ReplicateArrays, optional
        The replicate design's constants.
    """

    arrays: DesignArrays
    keys: pd.DataFrame
    column: np.ndarray
    psu: np.ndarray
    z: np.ndarray
    estimate: np.ndarray
    variable_index: np.ndarray
    strata_present: np.ndarray
    variable_df: np.ndarray
    replicate_estimates: np.ndarray | None = None
    replicate_design: ReplicateArrays | None = None


class LinearizationRef(str):
    """The ``attrs`` value that carries a :class:`Linearization`.

    A string (a unique label) so that pandas can still write ``attrs`` as JSON (``to_parquet``
    does; the label is what gets written), equal only to itself (so ``pd.concat`` of two
    different tables drops it rather than mixing them up), and shared, not copied, by the deep
    copies that pandas makes of ``attrs`` on every operation (the arrays are never modified).
    """

    linearization: Linearization

    def __new__(cls, linearization: Linearization) -> LinearizationRef:
        ref = super().__new__(cls, f"cbss_analysis.estimate linearization {uuid.uuid4().hex}")
        ref.linearization = linearization
        return ref

    def __copy__(self) -> LinearizationRef:
        return self

    def __deepcopy__(self, memo: dict) -> LinearizationRef:
        return self

    def __reduce__(self) -> tuple:
        return (LinearizationRef, (self.linearization,))


class SurveyRef(str):
    """The ``attrs`` value that points to the survey an estimate table was made from, in memory only.

    :func:`cbss_analysis.estimate.trend` needs the respondents for its linear-trend regression. Like
    :class:`LinearizationRef` it is a string label (``to_parquet`` writes only the label), equal only to itself and
    never copied; unlike it, pickling keeps only the label (a plain string), so that a saved or sent table never
    carries respondent-level rows: such a table needs ``survey=`` again.
    """

    survey: Survey

    def __new__(cls, survey: Survey) -> SurveyRef:
        ref = super().__new__(cls, f"cbss_analysis.estimate survey {uuid.uuid4().hex}")
        ref.survey = survey
        return ref

    def __copy__(self) -> SurveyRef:
        return self

    def __deepcopy__(self, memo: dict) -> SurveyRef:
        return self

    def __reduce__(self) -> tuple:
        return (str, (str(self),))


@dataclass(frozen=True)
class AnalysisColumns:
    """One float column per variable or category (NaN = missing), with its variable name and level.

    ``denominators`` (ratios only) holds the denominator column of each numerator.
    """

    variable: list[str]
    level: list[str | None]
    values: list[np.ndarray]
    denominators: list[np.ndarray] | None = None


def by_names(
    survey: Survey, by: str | Sequence[str] | None, function: str, result_columns: Sequence[str] = ()
) -> list[str]:
    """The ``by`` argument as a list of columns of the survey, none named like a column of the result
    (those of :func:`linearize`'s tables and ``result_columns``)."""
    reserved = {*TABLE_COLUMNS_BEFORE_BY, *TABLE_COLUMNS_AFTER_BY, *result_columns}
    by_columns = checks.names(by, "by", function)
    for column in by_columns:
        checks.column(column, survey.data.columns, function)
        if column in reserved:
            raise EstimationError(checks.problem(function, "by", column, "has the name of a result column; rename it"))
    return by_columns


def refuse_calibrated_taylor(survey: Survey, function: str) -> None:
    """Refuse a calibrated Taylor survey in a verb whose linearisation does not carry the calibration residuals.

    Means, proportions, totals, ratios and contrasts residualise their influence values on the
    calibration variables (R ``svyrecvar`` with ``postStrata``); quantiles, two-way tables, tests
    and models do not, so they would give the uncalibrated variance silently. A calibrated
    *replicate* survey is fine everywhere: each replicate was calibrated (R's replicate ``calibrate()``).
    """
    if survey.calibration is not None and survey.replicates is None:
        raise EstimationError(f"{function}: calibrated Taylor designs are not supported; calibrate a replicate design "
                              "(survey.to_replicate(...).calibrate(...)) instead")


def survey_domains(survey: Survey, by_columns: list[str]) -> Domains:
    """The domains of ``by_columns`` within the survey's subset (observed among nonzero-weight rows)."""
    return domain_codes(survey.data, by_columns, rows=survey.subset_mask, observed=survey.analysed_rows())


def numeric_values(survey: Survey, name: str) -> np.ndarray:
    """Float values of a numeric column or indicator, NaN outside the survey's subset."""
    values = survey.values(name).to_numpy(dtype=np.float64, na_value=np.nan)
    mask = survey.subset_mask
    return values if mask is None else np.where(mask, values, np.nan)


def analysis_columns(survey: Survey, names: list[str], kind: str) -> AnalysisColumns:
    """One float column per variable, or per category of a categorical variable (NaN = missing or
    outside the survey's subset)."""
    out = AnalysisColumns([], [], [])
    mask = survey.subset_mask
    for name in names:
        column = survey.data[name] if name in survey.data.columns else None
        if column is not None and isinstance(column.dtype, pd.CategoricalDtype):
            checks.levels(len(column.cat.categories), name, kind)
            codes = column.cat.codes.to_numpy()
            missing = codes < 0 if mask is None else (codes < 0) | ~mask
            if missing.all():
                raise EstimationError(f"{kind}: variable {snippet(name)} has no valid value (missing for every respondent)")
            for i, label in enumerate(column.cat.categories):
                values = (codes == i).astype(np.float64)
                values[missing] = np.nan
                out.variable.append(name)
                out.level.append(str(label))
                out.values.append(values)
            continue
        values = numeric_values(survey, name)
        if np.isnan(values).all():
            raise EstimationError(f"{kind}: variable {snippet(name)} has no valid value (missing for every respondent)")
        if np.isinf(values).any():
            raise EstimationError(f"{kind}: variable {snippet(name)} is infinite in {int(np.isinf(values).sum())} row(s); "
                                  "values must be finite numbers")
        if kind == "proportion":
            bad = ~np.isnan(values) & (values != 0.0) & (values != 1.0)
            if bad.any():
                raise EstimationError(
                    f"proportion: variable {snippet(name)} has values other than 0 and 1 (e.g. {values[bad][0]:g} in "
                    f"{int(bad.sum())} rows); use estimate.mean or an indicator"
                )
        out.variable.append(name)
        out.level.append(None)
        out.values.append(values)
    return out


def deff_reference(deff: bool | str) -> str | None:
    """``"replace"``, ``"wor"`` or None from the ``deff`` argument of the estimators."""
    if not isinstance(deff, (bool, str)) or deff not in DEFF_REFERENCES:
        raise EstimationError(f"deff={snippet(deff)} must be True, False, 'replace' or 'wor'")
    return DEFF_REFERENCES[deff]


def linearize(
    columns: AnalysisColumns, domains: Domains, arrays: DesignArrays, kind: str, deff_reference: str | None,
    calibration: Calibration | None = None,
) -> tuple[pd.DataFrame, Linearization]:
    """Estimates, SEs, counts, df and deff of every (variable column, domain) in one pass of group sums.

    ``kind`` is ``"mean"``, ``"proportion"``, ``"total"`` or ``"ratio"`` (R ``svyratio``:
    ``sum w y / sum w x`` with influence values ``w (y - R x) / sum w x``; ``columns.denominators``
    holds the ``x``; a row counts when both values are present). ``calibration`` (a calibrated
    survey's :class:`~cbss_analysis.survey.calibration.Calibration`) replaces the influence values
    by their residuals on the calibration variables (R ``svyrecvar`` with ``postStrata``); a
    domain's influence values then reach rows outside it, so its PSU totals cover every PSU.
    """
    n_domains = domains.count
    n_units = arrays.n_units
    unit = arrays.unit
    in_domain = domains.code >= 0
    domain = np.where(in_domain, domains.code, n_domains)
    cell_of_row = np.full(domain.size, -1, dtype=np.int64)
    cell_of_row[in_domain], cell_keys = variance.group_index(
        domains.code[in_domain] * n_units + unit[in_domain], n_domains * n_units
    )
    n_cells = cell_keys.size
    cell_of_row[~in_domain] = n_cells
    cell_domain, cell_unit = cell_keys // n_units, cell_keys % n_units
    weight = arrays.weight
    positive = arrays.positive if arrays.zero_weights else None

    names = ("estimate", "n", "n_rows", "n_weighted", "ss", "column", "psu", "z", "df_column", "df_psu")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in names}
    strata_present = np.zeros((len(columns.values), arrays.n_strata), dtype=bool)
    variable_df = np.zeros(len(columns.values), dtype=np.int64)
    for j, values in enumerate(columns.values):
        valid = ~np.isnan(values)
        denominator = columns.denominators[j] if columns.denominators is not None else None
        if denominator is not None:
            valid &= ~np.isnan(denominator)
        counted = valid if positive is None else valid & positive
        w = np.where(valid, weight, 0.0)
        x = np.where(valid, values, 0.0)
        n_weighted = np.bincount(domain, weights=w, minlength=n_domains + 1)
        wx = w * x
        sum_wx = np.bincount(domain, weights=wx, minlength=n_domains + 1)
        n = np.bincount(domain, weights=counted, minlength=n_domains + 1)
        n_rows = n if positive is None else np.bincount(domain, weights=valid, minlength=n_domains + 1)
        if kind == "ratio":
            wd = w * np.where(valid, denominator, 0.0)
            sum_wd = np.bincount(domain, weights=wd, minlength=n_domains + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                estimate = sum_wx / sum_wd
                residual = wx - np.where(n > 0, estimate, 0.0)[domain] * wd
                z = np.bincount(cell_of_row, weights=residual, minlength=n_cells + 1)[:n_cells] / sum_wd[cell_domain]
            ss = np.full(n_domains + 1, np.nan)
        else:
            safe_weight = np.where(n_weighted > 0, n_weighted, 1.0)
            domain_mean = np.where(n_weighted > 0, sum_wx / safe_weight, 0.0)
            centred = x - domain_mean[domain]
            w_centred = w * centred
            ss = np.bincount(domain, weights=w_centred * centred, minlength=n_domains + 1)
            if not (np.isfinite(sum_wx).all() and np.isfinite(ss).all()):
                raise EstimationError(f"{kind}: variable {snippet(columns.variable[j])} is too large: its weighted sums "
                                      "overflow to infinity; rescale it")
            if kind == "total":
                z = np.bincount(cell_of_row, weights=wx, minlength=n_cells + 1)[:n_cells]
            else:
                z = np.bincount(cell_of_row, weights=w_centred, minlength=n_cells + 1)[:n_cells] / safe_weight[cell_domain]
            estimate = sum_wx if kind == "total" else domain_mean
        if calibration is not None:
            if kind == "ratio":
                row_value = residual / sum_wd[domain]
            elif kind == "total":
                row_value = wx
            else:
                row_value = w_centred / safe_weight[domain]
            z_calibrated = _calibrated_totals(row_value, domain, in_domain, n_domains, unit, n_units, calibration)
        has_rows = np.bincount(cell_of_row, weights=valid, minlength=n_cells + 1)[:n_cells] > 0
        psu_present = np.bincount(arrays.psu, weights=valid, minlength=arrays.n_psus) > 0
        strata_present[j, arrays.psu_stratum[psu_present]] = True
        if positive is None:
            variable_df[j] = psu_present.sum() - strata_present[j].sum()
        else:
            has_counted = np.bincount(cell_of_row, weights=counted, minlength=n_cells + 1)[:n_cells] > 0
            psu_counted = np.bincount(arrays.psu, weights=counted, minlength=arrays.n_psus) > 0
            variable_df[j] = psu_counted.sum() - np.unique(arrays.psu_stratum[psu_counted]).size
        parts["estimate"].append(np.where(n > 0, estimate, np.nan)[:n_domains])
        parts["n"].append(n[:n_domains])
        parts["n_rows"].append(n_rows[:n_domains])
        parts["n_weighted"].append(n_weighted[:n_domains])
        parts["ss"].append(ss[:n_domains])
        if calibration is not None:
            parts["column"].append(j * n_domains + np.repeat(np.arange(n_domains), n_units))
            parts["psu"].append(np.tile(np.arange(n_units), n_domains))
            parts["z"].append(z_calibrated)
            if positive is None:
                parts["df_column"].append(j * n_domains + cell_domain[has_rows])
                parts["df_psu"].append(cell_unit[has_rows])
        else:
            parts["column"].append(j * n_domains + cell_domain[has_rows])
            parts["psu"].append(cell_unit[has_rows])
            parts["z"].append(z[has_rows])
        if positive is not None:
            parts["df_column"].append(j * n_domains + cell_domain[has_counted])
            parts["df_psu"].append(cell_unit[has_counted])
    flat = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
    if positive is None and calibration is None:
        flat["df_column"], flat["df_psu"] = flat["column"], flat["psu"]
    n_estimates = len(columns.values) * n_domains
    var = variance.psu_variance(flat["column"], flat["psu"], flat["z"], n_estimates, arrays)
    df = variance.degrees_of_freedom(flat["df_column"], flat["df_psu"], n_estimates, arrays)
    n = flat["n"].astype(np.int64)
    se = np.where(n > 0, np.sqrt(var), np.nan)
    effect = design_effect(var, flat["ss"], n, flat["n_weighted"], kind, deff_reference)

    repeat = np.repeat(np.arange(len(columns.values)), n_domains)
    by_values = domains.table.iloc[np.tile(np.arange(n_domains), len(columns.values))].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "variable": pd.array(np.asarray(columns.variable, dtype=object)[repeat], dtype="str"),
            "level": pd.array(np.asarray(columns.level, dtype=object)[repeat], dtype="str"),
        }
    )
    table = pd.concat([table, by_values], axis=1)
    table["estimate"] = flat["estimate"]
    table["se"] = se
    table["n"] = n
    table["n_weighted"] = flat["n_weighted"]
    table["deff"] = effect
    table["suppressed"] = False
    table["df"] = df
    table["_n_rows"] = flat["n_rows"].astype(np.int64)
    key_columns = ["variable"] if kind == "ratio" else list(TABLE_COLUMNS_BEFORE_BY)
    keys = table[[*key_columns, *domains.table.columns]].copy()
    keys[ESTIMATE_INDEX] = np.arange(n_estimates)
    linearization = Linearization(
        arrays, keys, flat["column"], flat["psu"], flat["z"], flat["estimate"], repeat, strata_present, variable_df
    )
    return table, linearization


def _calibrated_totals(
    row_value: np.ndarray, domain: np.ndarray, in_domain: np.ndarray, n_domains: int, unit: np.ndarray, n_units: int,
    calibration: Calibration,
) -> np.ndarray:
    """Unit totals (domain-major, n_domains * n_units) of the calibration residuals of one variable's
    influence values, ``row_value`` on the rows of its domains (0 elsewhere)."""
    n = row_value.size
    matrix = np.zeros((n, n_domains))
    rows = np.flatnonzero(in_domain & (domain < n_domains))
    matrix[rows, domain[rows]] = np.nan_to_num(row_value[rows])
    residual = calibration.residualize(matrix)
    keys = (np.arange(n_domains)[None, :] * n_units + unit[:, None]).ravel()
    return np.bincount(keys, weights=residual.ravel(), minlength=n_domains * n_units)


def design_effect(
    var: np.ndarray, ss: np.ndarray, n: np.ndarray, n_weighted: np.ndarray, kind: str, reference: str | None
) -> np.ndarray:
    """``v / v_srs`` with ``v_srs`` from R ``svymean``/``svytotal(deff=)`` (see the module docstring).

    ``s^2 = n / (n - 1) * sum w (y - mean)^2 / sum w`` (R ``svyvar``); mean: ``v_srs = s^2 / n``;
    total: ``v_srs = s^2 N^2 / n``; ``"wor"`` multiplies by ``(N - n) / N``.
    """
    if reference is None or kind == "ratio":
        return np.full(var.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(n > 1, n / (n - 1.0) * ss / n_weighted, np.nan)
        v_srs = s2 / n
        if kind == "total":
            v_srs = v_srs * n_weighted**2
        if reference == "wor":
            v_srs = np.where(n_weighted >= n, v_srs * (n_weighted - n) / n_weighted, np.nan)
        return var / v_srs
