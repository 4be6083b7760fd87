"""Design-based estimates: means, proportions and totals by domain, and comparisons between domains.

>>> from cbss_analysis import estimate, load_survey
>>> survey = load_survey()                                               # doctest: +SKIP
>>> t = estimate.proportion(survey, "cyberbullied", by=["state", "sex"])  # doctest: +SKIP
>>> estimate.compare(t, reference="regional")                             # doctest: +SKIP

The engine reproduces R ``survey`` (``svymean``, ``svytotal``, ``svyby``, ``svyciprop``,
``svycontrast``) to 1e-8 relative; ``tests/reference/estimates.R`` computes the reference values.

Conventions, each as in R:

- **Variance**: Taylor linearisation, strata, PSUs drawn with replacement at the first stage
  (ultimate clusters), fpc at the first stage, lonely PSUs by ``Design.lonely_psu``
  (see :mod:`cbss_analysis.variance`).
- **Domains** are subpopulations: a row outside a domain keeps its stratum and PSU and
  contributes zero (what ``svyby`` does: the domain design drops rows but keeps each
  stratum's PSU count of the full design).
- **Missing values**: a row whose value is missing is out of that variable's domain (R:
  ``svyby(~y, ~by, subset(design, !is.na(y)), ...)``). Rows with a missing ``by`` value
  belong to no domain but stay in the design.
- **Degrees of freedom** of a domain: PSUs with domain members minus strata with domain
  members (``degf()`` of the domain design, as ``svyciprop`` uses inside ``svyby``).
- **Intervals**: means and totals use ``estimate -/+ t_df * se`` (R ``confint(stat, df =
  degf(domain design))``; R's default without ``df`` would be normal); proportions use
  :func:`cbss_analysis.intervals.proportion_interval`.
- **Design effect** ``deff=True`` is against simple random sampling *with* replacement of the
  domain's ``n`` respondents, R ``svymean(..., deff = "replace")``; ``deff="wor"`` uses the
  without-replacement reference, R ``svymean(..., deff = TRUE)``, factor ``(N - n) / N`` with
  ``N`` the domain's weight total (NaN when ``N < n``, where R warns and gives NA).
- **Categorical** (pandas ``Categorical``) variables give one row per category with the
  proportion (mean), total, and interval of that category, as ``svymean`` on a factor.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from cbss_analysis import intervals, variance
from cbss_analysis.design import DesignArrays
from cbss_analysis.disclosure import DEFAULT_MIN_N, suppress
from cbss_analysis.errors import CbssError, EstimationError
from cbss_analysis.survey import Survey

__all__ = ["mean", "proportion", "total", "compare"]

TABLE_COLUMNS_BEFORE_BY = ("variable", "level")
TABLE_COLUMNS_AFTER_BY = ("estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "deff", "suppressed", "df")
LINEARIZATION_ATTR = "linearization"
REFERENCES = ("regional", "regional_weighted")
_ESTIMATE_INDEX = "_estimate_index"


def mean(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    deff: bool | str = True,
) -> pd.DataFrame:
    """Weighted means (ratio estimators) by domain with linearisation standard errors.

    Reproduces R ``svyby(~y, ~by, design, svymean, deff = "replace")`` with
    ``confint(..., df = degf(domain design))``:
    ``mean_d = sum_i w_i y_i / sum_i w_i`` over the domain's rows with a value, influence
    values ``w_i (y_i - mean_d) / sum w`` summed per PSU, variance from
    :func:`cbss_analysis.variance.psu_variance`; CI ``mean -/+ t_df * se`` (t, not normal).

    Parameters
    ----------
    survey : Survey
        The data and its design.
    variables : str or sequence of str
        Numeric columns, codebook indicator ids, or categorical columns (one row per category,
        the proportion in it).
    by : str or sequence of str, optional
        Columns whose combinations define the domains (all observed combinations, in
        category / sorted order).
    level : float
        Confidence level in (0, 1).
    min_n : int
        Suppress rows with fewer respondents (:func:`cbss_analysis.disclosure.suppress`); 0: off.
    deff : bool or {"replace", "wor"}
        ``True``/``"replace"``: design effect against SRS with replacement; ``"wor"``: without
        replacement (R's ``deff=TRUE``); ``False``: NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, level, <by...>, estimate, se, ci_low, ci_high, n, n_weighted, deff,
        suppressed, df``; ``attrs``: ``synthetic``, ``kind="mean"``, ``level``, ``min_n``, ``by``,
        and the linearisation that :func:`compare` uses.

    Raises
    ------
    EstimationError
        Unknown or non-numeric variable, unknown by column, ``level`` outside (0, 1).
    """
    return _estimate(survey, variables, by, "mean", None, level, min_n, deff)


def proportion(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    ci: str = "logit",
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    deff: bool | str = True,
) -> pd.DataFrame:
    """Proportions (0-1 scale) by domain with design-based SEs and intervals.

    The estimate and SE are those of :func:`mean` on a 0/1 variable (R ``svymean``); the
    interval is R ``svyciprop(~y, design[domain, ], method = ci, df = degf(domain design))``
    for ``ci="logit"`` (default), ``"beta"`` (Korn-Graubard) and ``"wald"`` (``method = "mean"``);
    ``"wilson"`` has no R counterpart (formula in
    :func:`cbss_analysis.intervals.proportion_interval`).

    Parameters
    ----------
    survey : Survey
        The data and its design.
    variables : str or sequence of str
        0/1 numeric columns, binary indicator ids, or categorical columns (one row per category).
    by, level, min_n, deff
        As in :func:`mean`.
    ci : {"logit", "beta", "wilson", "wald"}
        Interval method.

    Returns
    -------
    pandas.DataFrame
        As :func:`mean`, ``attrs["kind"] = "proportion"`` and ``attrs["ci"]``.

    Raises
    ------
    EstimationError
        A numeric variable with values other than 0 and 1, an unknown ``ci``, and the errors
        of :func:`mean`.
    """
    if ci not in intervals.PROPORTION_METHODS:
        raise EstimationError(f"proportion: ci={ci!r} is not one of {', '.join(intervals.PROPORTION_METHODS)}")
    return _estimate(survey, variables, by, "proportion", ci, level, min_n, deff)


def total(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    deff: bool | str = True,
) -> pd.DataFrame:
    """Weighted totals by domain with linearisation standard errors.

    Reproduces R ``svyby(~y, ~by, design, svytotal, deff = "replace")``: ``total_d = sum_i w_i
    y_i`` over the domain's rows with a value, influence values ``w_i y_i``; CI ``total -/+
    t_df * se``. The SRS reference of ``deff`` is ``s^2 N_d^2 / n`` (R ``deff = "replace"``).

    Parameters and returns as :func:`mean` (``attrs["kind"] = "total"``).
    """
    return _estimate(survey, variables, by, "total", None, level, min_n, deff)


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True, eq=False)
class Linearization:
    """The per-PSU influence totals behind an estimate table, kept for :func:`compare`.

    Carried in ``table.attrs["linearization"]`` by a :class:`LinearizationRef`.

    Attributes
    ----------
    arrays : DesignArrays
        The design of the survey.
    keys : pandas.DataFrame
        ``variable``, ``level``, the by columns and the estimate index of every row.
    column, psu, z : ndarray
        Sparse influence matrix: estimate index, PSU code and PSU total of the influence values.
    estimate : ndarray
        Unsuppressed estimates, by estimate index.
    variable_index : ndarray
        The variable column (0 .. J-1) of every estimate.
    strata_present : ndarray of bool, shape (J, H)
        Strata with at least one respondent with a value, per variable column.
    variable_df : ndarray of int64, shape (J,)
        Design df over the rows with a value (PSUs minus strata), per variable column.
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


@dataclass(frozen=True)
class _Domains:
    code: np.ndarray  # (N,) domain of each row, -1 when a by value is missing
    table: pd.DataFrame  # (G, len(by)) by values of each domain

    @property
    def count(self) -> int:
        return len(self.table)


@dataclass(frozen=True)
class _Columns:
    variable: list[str]
    level: list[str | None]
    values: list[np.ndarray]


def _estimate(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None,
    kind: str,
    ci: str | None,
    level: float,
    min_n: int,
    deff: bool | str,
) -> pd.DataFrame:
    _check_level(level)
    deff_reference = _deff_reference(deff)
    names = _as_list(variables, "variables")
    if not names:
        raise EstimationError(f"{kind}: no variables given")
    by_columns = _as_list(by, "by")
    for column in by_columns:
        if column not in survey.data.columns:
            raise EstimationError(f"{kind}: by column {column!r} is not in the survey")
        if column in (*TABLE_COLUMNS_BEFORE_BY, *TABLE_COLUMNS_AFTER_BY):
            raise EstimationError(f"{kind}: by column {column!r} has the name of a result column; rename it")
    columns = _analysis_columns(survey, names, kind)
    domains = _domains(survey.data, by_columns)
    arrays = survey.design_arrays()
    table, linearization = _linearize(columns, domains, arrays, kind, deff_reference)
    if kind == "proportion":
        low, high = intervals.proportion_interval(
            ci, table["estimate"].to_numpy(), table["se"].to_numpy(), table["df"].to_numpy(), table["n"].to_numpy(), level
        )
    else:
        low, high = intervals.wald(table["estimate"].to_numpy(), table["se"].to_numpy(), table["df"].to_numpy(), level)
    table["ci_low"] = low
    table["ci_high"] = high
    table = table[[*TABLE_COLUMNS_BEFORE_BY, *by_columns, *TABLE_COLUMNS_AFTER_BY]]
    table.attrs.update(
        {"synthetic": bool(survey.synthetic), "kind": kind, "level": float(level), "by": list(by_columns),
         LINEARIZATION_ATTR: LinearizationRef(linearization)}
    )
    if ci is not None:
        table.attrs["ci"] = ci
    return suppress(table, min_n)


def _check_level(level: float) -> None:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise EstimationError(f"level={level!r} must be a confidence level between 0 and 1, e.g. 0.95")


def _deff_reference(deff: bool | str) -> str | None:
    references = {True: "replace", "replace": "replace", "wor": "wor", False: None}
    if not isinstance(deff, (bool, str)) or deff not in references:
        raise EstimationError(f"deff={deff!r} must be True, False, 'replace' or 'wor'")
    return references[deff]


def _as_list(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not all(isinstance(v, str) for v in value):
        raise EstimationError(f"{what} must be a column name or a list of names, not {value!r}")
    return list(dict.fromkeys(value))


def _analysis_columns(survey: Survey, names: list[str], kind: str) -> _Columns:
    """One float column per variable, or per category of a categorical variable (NaN = missing)."""
    out = _Columns([], [], [])
    for name in names:
        column = survey.data[name] if name in survey.data.columns else None
        if column is not None and isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            missing = codes < 0
            for i, label in enumerate(column.cat.categories):
                values = (codes == i).astype(np.float64)
                values[missing] = np.nan
                out.variable.append(name)
                out.level.append(str(label))
                out.values.append(values)
            continue
        values = survey.values(name).to_numpy(dtype=np.float64, na_value=np.nan)
        if kind == "proportion":
            bad = ~np.isnan(values) & (values != 0.0) & (values != 1.0)
            if bad.any():
                raise EstimationError(
                    f"proportion: variable {name!r} has values other than 0 and 1 (e.g. {values[bad][0]:g} in "
                    f"{int(bad.sum())} rows); use estimate.mean or an indicator"
                )
        out.variable.append(name)
        out.level.append(None)
        out.values.append(values)
    return out


def _domains(data: pd.DataFrame, by_columns: list[str]) -> _Domains:
    """Code every row by its combination of by values; the observed combinations, in order."""
    if not by_columns:
        return _Domains(np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1)))
    codes, uniques = [], []
    for name in by_columns:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes.append(column.cat.codes.to_numpy().astype(np.int64))
            uniques.append(column.dtype)
        else:
            code, unique = pd.factorize(column, sort=True, use_na_sentinel=True)
            codes.append(code.astype(np.int64))
            uniques.append(unique)
    sizes = [len(u.categories) if isinstance(u, pd.CategoricalDtype) else len(u) for u in uniques]
    if np.prod(np.array(sizes, dtype=np.float64)) >= 2.0**62:
        raise EstimationError(f"by={by_columns!r} has too many combinations of values")
    key = np.zeros(len(data), dtype=np.int64)
    missing = np.zeros(len(data), dtype=bool)
    for code, size in zip(codes, sizes, strict=True):
        key = key * size + code
        missing |= code < 0
    valid = ~missing
    group, observed = variance.group_index(key[valid], int(np.prod(sizes, dtype=np.int64)))
    domain = np.full(len(data), -1, dtype=np.int64)
    domain[valid] = group
    parts = np.unravel_index(observed, sizes)
    table = {}
    for name, unique, part in zip(by_columns, uniques, parts, strict=True):
        if isinstance(unique, pd.CategoricalDtype):
            table[name] = pd.Categorical.from_codes(part, dtype=unique)
        else:
            table[name] = unique.take(part)
    return _Domains(domain, pd.DataFrame(table))


def _linearize(
    columns: _Columns, domains: _Domains, arrays: DesignArrays, kind: str, deff_reference: str | None
) -> tuple[pd.DataFrame, Linearization]:
    """Estimates, SEs, counts, df and deff of every (variable column, domain) in one pass of group sums."""
    n_domains = domains.count
    n_psus = arrays.n_psus
    in_domain = domains.code >= 0
    domain = np.where(in_domain, domains.code, n_domains)
    cell_of_row = np.full(domain.size, -1, dtype=np.int64)
    cell_of_row[in_domain], cell_keys = variance.group_index(
        domains.code[in_domain] * n_psus + arrays.psu[in_domain], n_domains * n_psus
    )
    n_cells = cell_keys.size
    cell_of_row[~in_domain] = n_cells
    cell_domain, cell_psu = cell_keys // n_psus, cell_keys % n_psus
    weight = arrays.weight

    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("estimate", "n", "n_weighted", "ss", "column", "psu", "z")}
    strata_present = np.zeros((len(columns.values), arrays.n_strata), dtype=bool)
    variable_df = np.zeros(len(columns.values), dtype=np.int64)
    for j, values in enumerate(columns.values):
        valid = ~np.isnan(values)
        w = np.where(valid, weight, 0.0)
        x = np.where(valid, values, 0.0)
        n_weighted = np.bincount(domain, weights=w, minlength=n_domains + 1)
        wx = w * x
        sum_wx = np.bincount(domain, weights=wx, minlength=n_domains + 1)
        n = np.bincount(domain, weights=valid, minlength=n_domains + 1)
        safe_weight = np.where(n_weighted > 0, n_weighted, 1.0)
        domain_mean = np.where(n_weighted > 0, sum_wx / safe_weight, 0.0)
        centred = x - domain_mean[domain]
        w_centred = w * centred
        ss = np.bincount(domain, weights=w_centred * centred, minlength=n_domains + 1)
        if kind == "total":
            z = np.bincount(cell_of_row, weights=wx, minlength=n_cells + 1)[:n_cells]
        else:
            z = np.bincount(cell_of_row, weights=w_centred, minlength=n_cells + 1)[:n_cells] / safe_weight[cell_domain]
        has_rows = np.bincount(cell_of_row, weights=valid, minlength=n_cells + 1)[:n_cells] > 0
        psu_present = np.bincount(arrays.psu, weights=valid, minlength=n_psus) > 0
        strata_present[j, arrays.psu_stratum[psu_present]] = True
        variable_df[j] = psu_present.sum() - strata_present[j].sum()
        estimate = sum_wx if kind == "total" else domain_mean
        parts["estimate"].append(np.where(n > 0, estimate, np.nan)[:n_domains])
        parts["n"].append(n[:n_domains])
        parts["n_weighted"].append(n_weighted[:n_domains])
        parts["ss"].append(ss[:n_domains])
        parts["column"].append(j * n_domains + cell_domain[has_rows])
        parts["psu"].append(cell_psu[has_rows])
        parts["z"].append(z[has_rows])
    flat = {k: np.concatenate(v) for k, v in parts.items()}
    n_estimates = len(columns.values) * n_domains
    var = variance.psu_variance(flat["column"], flat["psu"], flat["z"], n_estimates, arrays)
    df = variance.degrees_of_freedom(flat["column"], flat["psu"], n_estimates, arrays)
    n = flat["n"].astype(np.int64)
    se = np.where(n > 0, np.sqrt(var), np.nan)
    design_effect = _design_effect(var, flat["ss"], n, flat["n_weighted"], kind, deff_reference)

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
    table["deff"] = design_effect
    table["suppressed"] = False
    table["df"] = df
    keys = table[[*TABLE_COLUMNS_BEFORE_BY, *domains.table.columns]].copy()
    keys[_ESTIMATE_INDEX] = np.arange(n_estimates)
    linearization = Linearization(
        arrays, keys, flat["column"], flat["psu"], flat["z"], flat["estimate"], repeat, strata_present, variable_df
    )
    return table, linearization


def _design_effect(
    var: np.ndarray, ss: np.ndarray, n: np.ndarray, n_weighted: np.ndarray, kind: str, reference: str | None
) -> np.ndarray:
    """``v / v_srs`` with ``v_srs`` from R ``svymean``/``svytotal(deff=)`` (see the module docstring).

    ``s^2 = n / (n - 1) * sum w (y - mean)^2 / sum w`` (R ``svyvar``); mean: ``v_srs = s^2 / n``;
    total: ``v_srs = s^2 N^2 / n``; ``"wor"`` multiplies by ``(N - n) / N``.
    """
    if reference is None:
        return np.full(var.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(n > 1, n / (n - 1.0) * ss / n_weighted, np.nan)
        v_srs = s2 / n
        if kind == "total":
            v_srs = v_srs * n_weighted**2
        if reference == "wor":
            v_srs = np.where(n_weighted >= n, v_srs * (n_weighted - n) / n_weighted, np.nan)
        return var / v_srs


# --------------------------------------------------------------------------- compare


def compare(
    table: pd.DataFrame,
    reference: str = "regional",
    by: str = "state",
    population: Mapping[str, float] | None = None,
    level: float | None = None,
) -> pd.DataFrame:
    """Differences between each domain's estimate and a reference, with design-based SEs.

    For every group of rows that share ``variable``, ``level`` and the other by columns, each
    row's estimate ``theta_s`` is compared with

    - ``"regional"``: the unweighted mean of the group's (unsuppressed) estimates, as HBSC
      reports a regional average;
    - ``"regional_weighted"``: their weighted mean, weights ``population`` (a mapping from
      the ``by`` value to a population); with ``population=None`` and ``by="state"`` the
      latest published under-18 population (``load_published("population")``) when it covers
      every state in the table, otherwise each domain's estimated ``n_weighted``;
    - any value of the ``by`` column (e.g. ``"EE"``): that domain's estimate (its own row is
      left out of the result).

    The difference ``sum_d c_d theta_d`` is a linear contrast of domain estimates of one design;
    its variance is computed from the stored per-PSU influence totals, so it includes the
    covariance between domains (R ``svycontrast(svyby(..., covmat = TRUE), c)``; on R's
    ``apiclus1``, E minus H has SE 30.03 with it and 44.11 without). p-values are two-sided
    from Student t with the design df of the variable (PSUs minus strata among respondents with a
    value, ``degf()`` of the design R's ``svyby`` uses), CIs ``difference -/+ t * se``; ``p_holm``
    are Holm-adjusted over all rows of the result (R ``p.adjust(method = "holm")``).

    Parameters
    ----------
    table : pandas.DataFrame
        A table returned by :func:`mean`, :func:`proportion` or :func:`total` (rows may be
        filtered or reordered) with ``by`` among its by columns.
    reference : str
        ``"regional"``, ``"regional_weighted"`` or a value of the ``by`` column.
    by : str
        The column whose domains are compared (default ``"state"``).
    population : mapping, optional
        Population per ``by`` value for ``"regional_weighted"``.
    level : float, optional
        Confidence level; default the table's.

    Returns
    -------
    pandas.DataFrame
        ``variable, level, <by columns>, estimate, reference, difference, se, ci_low, ci_high,
        p_value, p_holm, n, suppressed, df``. A suppressed row stays suppressed (NaN
        difference), and a suppressed domain is left out of the regional mean.

    Raises
    ------
    EstimationError
        The table carries no linearisation (not made by this module), ``by`` is not one of its
        by columns, the reference value is unknown, or ``level`` is outside (0, 1).
    """
    ref = table.attrs.get(LINEARIZATION_ATTR)
    if not isinstance(ref, LinearizationRef):
        raise EstimationError("compare: the table has no design information; pass a table from estimate.mean/proportion/total")
    linearization = ref.linearization
    by_columns = [c for c in linearization.keys.columns if c not in (*TABLE_COLUMNS_BEFORE_BY, _ESTIMATE_INDEX)]
    if by not in by_columns:
        raise EstimationError(f"compare: by={by!r} is not a by column of the table (by columns: {by_columns})")
    level = table.attrs.get("level", 0.95) if level is None else level
    _check_level(level)
    rows = _matched_rows(table, linearization, by_columns)
    group_columns = ["variable", "level", *[c for c in by_columns if c != by]]
    rows["_group"] = rows.groupby(group_columns, dropna=False, sort=False, observed=True).ngroup().to_numpy()
    rows["_weight"] = _reference_weights(rows, reference, by, population)
    index = rows[_ESTIMATE_INDEX].to_numpy()
    theta = linearization.estimate
    contrast = _contrast_matrix(rows, theta.size)
    influence = sparse.csr_matrix(
        (linearization.z, (linearization.column, linearization.psu)), shape=(theta.size, linearization.arrays.n_psus)
    )
    combined = (contrast @ influence).tocoo()
    variable = linearization.variable_index[index]
    var = variance.psu_variance(
        combined.row.astype(np.int64), combined.col.astype(np.int64), combined.data, len(rows),
        linearization.arrays, strata_present=linearization.strata_present[variable],
    )
    has_reference = rows.groupby("_group")["_weight"].transform("sum").to_numpy() > 0
    blank = ~rows["_available"].to_numpy() | ~has_reference
    difference = np.where(blank, np.nan, contrast @ theta)
    se = np.where(blank, np.nan, np.sqrt(var))
    df = linearization.variable_df[variable]
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = np.where(se > 0, 2.0 * stats.t.sf(np.abs(difference / se), np.where(df > 0, df, np.nan)), np.nan)
    low, high = intervals.wald(difference, se, df, level)
    out = rows[[*TABLE_COLUMNS_BEFORE_BY, *by_columns]].copy()
    out["estimate"] = np.where(rows["_available"].to_numpy(), theta[index], np.nan)
    out["reference"] = np.where(has_reference, theta[index] - contrast @ theta, np.nan)
    out["difference"] = difference
    out["se"] = se
    out["ci_low"] = low
    out["ci_high"] = high
    out["p_value"] = p_value
    out["n"] = rows["n"].to_numpy()
    out["suppressed"] = rows["_suppressed"].to_numpy()
    out["df"] = df
    if reference not in REFERENCES:
        out = out.loc[rows[by].astype(str).to_numpy() != reference]
    out.insert(out.columns.get_loc("p_value") + 1, "p_holm", holm(out["p_value"].to_numpy()))
    out = out.reset_index(drop=True)
    out.attrs.update(
        {"synthetic": table.attrs.get("synthetic", False), "kind": "comparison", "estimate_kind": table.attrs.get("kind"),
         "reference": reference, "by": by, "level": float(level), "min_n": table.attrs.get("min_n")}
    )
    return out


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (R ``p.adjust(p, "holm")``); NaN stays NaN and is not counted.

    ``p_(i)`` sorted ascending among the ``m`` finite values: ``adj_(i) = max_{k <= i} min(1, (m - k + 1) p_(k))``.
    """
    p_values = np.asarray(p_values, dtype=np.float64)
    out = np.full(p_values.shape, np.nan)
    finite = np.flatnonzero(~np.isnan(p_values))
    order = finite[np.argsort(p_values[finite], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p_values[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def _matched_rows(table: pd.DataFrame, linearization: Linearization, by_columns: list[str]) -> pd.DataFrame:
    """The table's rows with their estimate index (matched on variable, level and by values)."""
    key_columns = [*TABLE_COLUMNS_BEFORE_BY, *by_columns]
    missing = [c for c in (*key_columns, "n", "n_weighted", "suppressed") if c not in table.columns]
    if missing:
        raise EstimationError(f"compare: the table lacks column {missing[0]!r}")
    rows = table[[*key_columns, "n", "n_weighted", "suppressed"]].reset_index(drop=True)
    rows = rows.rename(columns={"suppressed": "_suppressed"})
    rows["_row"] = np.arange(len(rows))
    keys = linearization.keys.astype({c: rows[c].dtype for c in key_columns})
    rows = rows.merge(keys, on=key_columns, how="left", sort=False)
    if rows[_ESTIMATE_INDEX].isna().any():
        raise EstimationError("compare: some rows of the table do not belong to the estimate it was made from")
    rows[_ESTIMATE_INDEX] = rows[_ESTIMATE_INDEX].astype(np.int64)
    rows["_suppressed"] = rows["_suppressed"].astype(bool)
    rows["_available"] = ~rows["_suppressed"] & ~np.isnan(linearization.estimate[rows[_ESTIMATE_INDEX]])
    return rows.sort_values("_row").reset_index(drop=True)


def _contrast_matrix(rows: pd.DataFrame, n_estimates: int) -> sparse.csr_matrix:
    """Row r: +1 on its own estimate, minus the reference weight on every estimate of its group."""
    pairs = rows[["_row", "_group"]].merge(rows.loc[rows["_weight"] > 0, ["_group", _ESTIMATE_INDEX, "_weight"]], on="_group")
    n_rows = len(rows)
    values = np.concatenate([np.ones(n_rows), -pairs["_weight"].to_numpy()])
    row_index = np.concatenate([np.arange(n_rows), pairs["_row"].to_numpy()])
    column_index = np.concatenate([rows[_ESTIMATE_INDEX].to_numpy(), pairs[_ESTIMATE_INDEX].to_numpy()])
    return sparse.csr_matrix((values, (row_index, column_index)), shape=(n_rows, n_estimates))


def _reference_weights(rows: pd.DataFrame, reference: str, by: str, population: Mapping[str, float] | None) -> np.ndarray:
    """Weight of each row in its group's reference value (0 for suppressed or empty rows), summing to 1 per group."""
    available = rows["_available"].to_numpy()
    labels = rows[by].astype(str).to_numpy()
    if reference == "regional":
        raw = available.astype(np.float64)
    elif reference == "regional_weighted":
        raw = np.where(available, _population_weights(rows, by, labels, population), 0.0)
    else:
        if reference not in set(labels):
            raise EstimationError(f"compare: reference={reference!r} is not 'regional', 'regional_weighted' or a value of {by!r}")
        raw = (available & (labels == reference)).astype(np.float64)
    totals = pd.Series(raw).groupby(rows["_group"].to_numpy()).transform("sum").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(totals > 0, raw / totals, 0.0)


def _population_weights(rows: pd.DataFrame, by: str, labels: np.ndarray, population: Mapping[str, float] | None) -> np.ndarray:
    """Population of each row's domain: given, published (states' under-18 population) or estimated."""
    if population is not None:
        lacking = sorted(set(labels) - set(map(str, population)))
        if lacking:
            raise EstimationError(f"compare: population has no value for {by}={lacking[0]!r}")
        lookup = {str(k): float(v) for k, v in population.items()}
        return np.array([lookup[label] for label in labels])
    published = _published_child_population() if by == "state" else {}
    if set(labels) <= set(published):
        return np.array([published[label] for label in labels])
    return rows["n_weighted"].to_numpy(dtype=np.float64)


def _published_child_population() -> dict[str, float]:
    """Latest published under-18 population per state (``data/published/population.csv``), or empty."""
    from cbss_analysis.published import load_published

    try:
        figures = load_published("population")
    except CbssError:
        return {}
    latest = figures.loc[figures["measure"] == "population_under18"].sort_values("year").groupby("iso2").last()
    return {str(iso2): float(value) for iso2, value in latest["value"].items()}
