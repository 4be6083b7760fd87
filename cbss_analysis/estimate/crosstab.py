"""Two-way tables: weighted counts, cell and row proportions with design-based SEs, by domain.

:func:`crosstab` reproduces, for every by-domain at once,

- R ``svytable(~row + col, design)`` and ``svytotal(~interaction(row, col), design)``: the
  weighted count of each cell, its SE and ``count -/+ t_df * se``;
- ``svymean(~interaction(row, col), design)``: the cell proportion (of the domain's weighted
  total), its SE, and the logit interval of ``svyciprop(~I(row == r & col == c), design)``;
- ``svyby(~col, ~row, design, svymean)``: the row proportion (of the row's weighted total), its
  SE and the logit interval of ``svyciprop(~I(col == c), subset(design, row == r))``.

Everything is computed from group sums: the weighted count of every (domain, PSU, cell) in one
``bincount``, influence totals per PSU from them, and variances from the engine's one core
(:func:`cbss_analysis._engine.variance.psu_variance`). :func:`cell_sums` is shared with
:func:`cbss_analysis.estimate.chisq`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis._engine import intervals, variance
from cbss_analysis._engine.domains import Domains, domain_codes
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.disclosure import complementary_suppression
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate.linearization import refuse_calibrated_taylor
from cbss_analysis.estimate.replicate_tables import replicate_crosstab_estimates
from cbss_analysis.estimate.table_estimates import CrosstabEstimates
from cbss_analysis.survey import DesignArrays, Survey
from cbss_analysis.survey.variance_words import variance_method

COUNT_COLUMNS = ("count", "count_se", "count_ci_low", "count_ci_high")
PROPORTION_COLUMNS = ("proportion", "proportion_se", "proportion_ci_low", "proportion_ci_high")
ROW_COLUMNS = ("row_proportion", "row_proportion_se", "row_proportion_ci_low", "row_proportion_ci_high")
ESTIMATE_COLUMNS = (*COUNT_COLUMNS, *PROPORTION_COLUMNS, *ROW_COLUMNS)
OTHER_COLUMNS = ("n", "n_row", "df", "row_df", "suppressed", "suppression")


@dataclass(frozen=True)
class Categorical:
    """A categorical variable as codes (-1 = missing) and its category labels."""

    name: str
    codes: np.ndarray
    categories: pd.Index

    @property
    def size(self) -> int:
        return len(self.categories)


def categorical(survey: Survey, name: object, argument: str, function: str) -> Categorical:
    """The codes of a categorical column (pandas Categorical, or text: categories in sorted order, as R ``factor()``).

    Raises
    ------
    EstimationError
        Unknown column, or a column that is not categorical (numeric, boolean, dates ...).
    """
    checks.column(name, survey.data.columns, function, argument=argument)
    column = survey.data[name]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return Categorical(name, column.cat.codes.to_numpy().astype(np.int64), pd.Index(column.cat.categories))
    if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=True)
        return Categorical(name, codes.astype(np.int64), pd.Index(uniques))
    raise EstimationError(checks.problem(
        function, argument, name, f"is not categorical (dtype {column.dtype}); pass a labelled (categorical) variable"
    ))


def table_variables(
    survey: Survey, row: object, col: object, by: str | Sequence[str] | None, function: str, reserved: Sequence[str]
) -> tuple[Categorical, Categorical, list[str]]:
    """The checked row and column variables and by columns of a two-way table."""
    rows = categorical(survey, row, "row", function)
    cols = categorical(survey, col, "col", function)
    if rows.name == cols.name:
        raise EstimationError(checks.problem(function, "col", col, "is the row variable too; pass two different variables"))
    by_columns = checks.names(by, "by", function)
    for column in by_columns:
        checks.column(column, survey.data.columns, function)
        if column in (rows.name, cols.name):
            raise EstimationError(checks.problem(function, "by", column, "is also the row or column variable"))
    for argument, name in (("row", rows.name), ("col", cols.name), *(("by", c) for c in by_columns)):
        if name in reserved:
            raise EstimationError(checks.problem(function, argument, name, "has the name of a result column; rename it"))
    return rows, cols, by_columns


@dataclass(frozen=True)
class CellSums:
    """Weighted sums per (domain, PSU) pair and cell.

    Pairs are the (domain, PSU) combinations with at least one row of the domain (rows with a
    missing row or column value included: they count in R's ``nu`` and ``N``); the sums are over
    the rows with a row and a column value. Cells are numbered ``k = col * n_rows + row`` (the
    order of R's ``interaction(row, col)``); pairs are in (domain, PSU) order.
    """

    n_domains: int
    n_rows: int
    n_cols: int
    pair_domain: np.ndarray  # (P,) domain of each (domain, PSU) pair
    pair_psu: np.ndarray  # (P,) unit of each pair: its PSU, or its second-stage unit in a two-stage design
    pair_rows: np.ndarray  # (P,) rows of the domain in the PSU, missing values included
    weighted: np.ndarray  # (P, n_cell) weighted count of each pair's rows in each cell
    count: np.ndarray  # (P, n_cell) number of rows (respondents)
    positive: np.ndarray  # (P, n_cell) number of rows with a positive weight

    @property
    def n_cells(self) -> int:
        return self.n_rows * self.n_cols

    def domain_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum a (P,) or (P, J) array over the PSUs of each domain: (n_domains,) or (n_domains, J)."""
        if values.ndim == 1:
            return np.bincount(self.pair_domain, weights=values, minlength=self.n_domains)
        width = values.shape[1]
        index = (self.pair_domain[:, None] * width + np.arange(width)).ravel()
        return np.bincount(index, weights=values.ravel(), minlength=self.n_domains * width).reshape(-1, width)

    def select(self, domains: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> CellSums:
        """The sums of some domains (renumbered 0 ..) over some row and column categories (empty ones left out)."""
        local = np.full(self.n_domains, -1, dtype=np.int64)
        local[domains] = np.arange(domains.size)
        pairs = local[self.pair_domain] >= 0
        cells = (cols[None, :] * self.n_rows + rows[:, None]).T.ravel()  # k' = c' * r' + r', as k
        return CellSums(
            domains.size, rows.size, cols.size, local[self.pair_domain[pairs]], self.pair_psu[pairs],
            self.pair_rows[pairs], self.weighted[pairs][:, cells], self.count[pairs][:, cells],
            self.positive[pairs][:, cells],
        )


def cell_sums(domain: np.ndarray, row: np.ndarray, col: np.ndarray, n_domains: int, n_rows: int, n_cols: int,
              arrays: DesignArrays) -> CellSums:
    """Group sums of the weights by (domain, unit, cell) in one pass over the rows (code < 0: missing).

    The unit is the PSU, or the second-stage unit of a two-stage design (``DesignArrays.unit``), so that
    :func:`cbss_analysis._engine.variance.psu_variance` adds the second-stage term.
    """
    n_psus = arrays.n_units
    in_domain = domain >= 0
    everywhere = bool(in_domain.all())
    keys = domain * n_psus + arrays.unit
    if everywhere:
        pair, pair_keys = variance.group_index(keys, n_domains * n_psus)
    else:
        pair = np.full(domain.size, -1, dtype=np.int64)
        pair[in_domain], pair_keys = variance.group_index(keys[in_domain], n_domains * n_psus)
    n_pairs, n_cells = pair_keys.size, n_rows * n_cols
    valid = (row >= 0) & (col >= 0)
    if not everywhere:
        valid &= in_domain
    flat = np.where(valid, pair * n_cells + col * n_rows + row, n_pairs * n_cells)
    size = n_pairs * n_cells + 1
    weighted = np.bincount(flat, weights=arrays.weight, minlength=size)[:-1].reshape(n_pairs, n_cells)
    count = np.bincount(flat, minlength=size)[:-1].reshape(n_pairs, n_cells)
    if bool((arrays.weight > 0).all()):
        positive = count
    else:
        positive = np.bincount(flat, weights=arrays.weight > 0, minlength=size)[:-1].reshape(n_pairs, n_cells)
    pair_rows = np.bincount(pair[pair >= 0] if not everywhere else pair, minlength=n_pairs)
    return CellSums(n_domains, n_rows, n_cols, pair_keys // n_psus, pair_keys % n_psus, pair_rows, weighted, count, positive)


def _variances(sums: CellSums, column: np.ndarray, z: np.ndarray, present: np.ndarray | None, n_columns: int,
               arrays: DesignArrays) -> np.ndarray:
    """Variances of the estimates whose influence totals per (domain, PSU) pair are ``z`` (P, J), at ``column`` (P, J).

    Only entries where ``present`` (P, J; default all) enter: the PSUs with members of the
    estimate's domain (the others count as zero totals, and define which strata the estimate's
    domain design has, for ``lonely_psu="average"``).
    """
    psu = np.broadcast_to(sums.pair_psu[:, None], column.shape)
    if present is None:
        return variance.psu_variance(column.ravel(), psu.ravel(), z.ravel(), n_columns, arrays)
    return variance.psu_variance(column[present], psu[present], z[present], n_columns, arrays)


def _taylor_estimates(arrays: DesignArrays, domains: Domains, rows: Categorical, cols: Categorical) -> CrosstabEstimates:
    """Counts, cell and row proportions with Taylor variances (influence totals per (domain, PSU) pair)."""
    sums = cell_sums(domains.code, rows.codes, cols.codes, domains.count, rows.size, cols.size, arrays)
    n_dom, nr, nc, n_cell = domains.count, rows.size, cols.size, sums.n_cells
    weighted = sums.weighted

    # domain (by) level: counts and cell proportions
    cell_total = sums.domain_sum(weighted)  # (n_dom, n_cell)
    domain_total = cell_total.sum(axis=1)  # (n_dom,)
    pair_total = weighted.sum(axis=1)  # (P,)
    safe_total = np.where(domain_total > 0, domain_total, 1.0)
    p = cell_total / safe_total[:, None]
    column = sums.pair_domain[:, None] * n_cell + np.arange(n_cell)
    pair_present = np.broadcast_to((sums.count.sum(axis=1) > 0)[:, None], weighted.shape)
    count_var = _variances(sums, column, weighted, pair_present, n_dom * n_cell, arrays)
    z_prop = (weighted - p[sums.pair_domain] * pair_total[:, None]) / safe_total[sums.pair_domain][:, None]
    prop_var = _variances(sums, column, z_prop, pair_present, n_dom * n_cell, arrays)
    df_pairs = sums.positive.sum(axis=1) > 0
    domain_df = variance.degrees_of_freedom(sums.pair_domain[df_pairs], sums.pair_psu[df_pairs], n_dom, arrays)

    # row level: row proportions within (domain, row)
    by_row = weighted.reshape(-1, nc, nr)  # [pair, col, row]
    pair_row_total = by_row.sum(axis=1)  # (P, nr)
    row_total = sums.domain_sum(pair_row_total)  # (n_dom, nr)
    safe_row = np.where(row_total > 0, row_total, 1.0)
    q = cell_total.reshape(n_dom, nc, nr) / safe_row[:, None, :]
    pair_row_count = sums.count.reshape(-1, nc, nr).sum(axis=1)
    row_present = np.broadcast_to((pair_row_count > 0)[:, None, :], by_row.shape).reshape(weighted.shape)
    z_row = ((by_row - q[sums.pair_domain] * pair_row_total[:, None, :]) / safe_row[sums.pair_domain][:, None, :])
    row_var = _variances(sums, column, z_row.reshape(weighted.shape), row_present, n_dom * n_cell, arrays)
    row_df_pairs = sums.positive.reshape(-1, nc, nr).sum(axis=1) > 0  # (P, nr)
    pair_index, row_index = np.nonzero(row_df_pairs)
    row_df = variance.degrees_of_freedom(
        sums.pair_domain[pair_index] * nr + row_index, sums.pair_psu[pair_index], n_dom * nr, arrays
    ).reshape(n_dom, nr)

    respondents = sums.domain_sum(sums.count).astype(np.int64)  # (n_dom, n_cell)
    return CrosstabEstimates(cell_total, count_var, p, prop_var, None, domain_df, row_total, q, row_var, None, row_df,
                             respondents)


def crosstab(
    survey: Survey,
    row: str,
    col: str,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Weighted two-way table by domain: counts, cell and row proportions with design-based SEs.

    Reproduces R ``svytable(~row + col, design)`` / ``svytotal(~interaction(row, col), design)``
    (counts), ``svymean(~interaction(row, col), design)`` (cell proportions) and
    ``svyby(~col, ~row, design, svymean)`` (row proportions), on ``subset(design, by == level)``
    for each by-domain. SEs are Taylor linearisation (:mod:`cbss_analysis._engine.variance`):
    count influence ``w_i 1[i in cell]``; cell proportion ``w_i (1[i in cell] - p) / W`` with
    ``W`` the domain's weighted total; row proportion ``w_i (1[i in cell] - q) / W_row`` within
    the row's domain.

    Intervals, each on the design df of the estimate's domain (PSUs minus strata with members,
    R ``degf()``): counts ``count -/+ t_df * se`` (``confint(svytotal(...), df = degf(design))``);
    cell and row proportions the logit interval of R ``svyciprop(method = "logit")`` (cells:
    ``svyciprop(~I(row == r & col == c), design)`` on the by-domain's df; rows:
    ``svyciprop(~I(col == c), subset(design, row == r))`` on the row's df). An empty or full
    cell (proportion 0 or 1) has the interval ``[p, p]`` (R gives none).

    On a replicate-weight design (calibrated or not) the same estimates have R's replicate
    variances and df (R ``svytotal``/``svymean``/``svyciprop`` on an ``svrepdesign``,
    :mod:`cbss_analysis.estimate.replicate_tables`); calibrated Taylor surveys are refused.

    Rows with a missing row, column or by value are left out (R ``svytable``/``xtabs``); each keeps
    its stratum and PSU, as in every estimate of the package. Every combination of categories is
    listed, empty ones included (count 0, SE 0).

    **Suppression.** A cell with fewer than ``min_n`` respondents (``n``) loses its count,
    proportions, SEs and intervals (``suppression = "min_n"``). Because a row's weighted total
    is ``count / row_proportion`` of any shown cell, a row (or column) with exactly one hidden
    cell would give that cell away by subtraction; so, within each by-domain's table, a second
    cell is hidden in every row and column that has exactly one hidden cell, the shown cell with
    the fewest respondents, preferring one that also completes a column / row, until no row or
    column has a single hidden cell (``suppression = "complementary"``; the usual cell-suppression
    heuristic, :func:`cbss_analysis.disclosure.complementary_suppression`). Cells with ``n = 0``
    hide nothing (``n`` is shown, so their value is known to be 0) and are not counted.
    What stays derivable: the sum of the hidden cells of a row or column (from the shown cells
    and the table's total, which ``count / proportion`` of any shown cell gives), and
    differences between tables of different calls (a table without ``by`` minus the by-domain
    tables), which this function cannot see; ``n`` (unweighted) stays public, as everywhere in
    the package.

    Parameters
    ----------
    survey : Survey
        The data and its design.
    row, col : str
        Categorical columns (pandas Categorical, e.g. a labelled codebook variable; a text
        column is taken with its sorted values as categories, as R's ``factor()``).
    by : str or sequence of str, optional
        Columns whose observed combinations define the domains (one table each).
    level : float
        Confidence level in (0, 1).
    min_n : int
        Smallest number of respondents behind a shown cell; 0: no suppression.

    Returns
    -------
    pandas.DataFrame
        One row per domain and cell, in by / row category / column category order: the by
        columns, ``<row>``, ``<col>`` (categoricals), ``count, count_se, count_ci_low,
        count_ci_high``, ``proportion, proportion_se, proportion_ci_low, proportion_ci_high``,
        ``row_proportion, row_proportion_se, row_proportion_ci_low, row_proportion_ci_high``,
        ``n`` (respondents in the cell), ``n_row`` (in the row), ``df`` (of the domain),
        ``row_df`` (of the row within the domain), ``suppressed``, ``suppression``
        (``"min_n"``, ``"complementary"`` or NA). ``attrs``: ``synthetic``, ``kind="crosstab"``,
        ``level``, ``by``, ``min_n``, ``row``, ``col``.

    Raises
    ------
    EstimationError
        Unknown column, a row or column variable that is not categorical, the same variable
        twice, ``level`` outside (0, 1), a bad ``min_n``.
    """
    function = "crosstab"
    level = checks.level(level, function)
    min_n = checks.min_n(min_n, function)
    rows, cols, by_columns = table_variables(survey, row, col, by, function, (*ESTIMATE_COLUMNS, *OTHER_COLUMNS))
    refuse_calibrated_taylor(survey, 'crosstab')
    if survey.replicates is None:
        domains = domain_codes(survey.data, by_columns, rows=survey.subset_mask)
        est = _taylor_estimates(survey.design_arrays(), domains, rows, cols)
    else:
        domains = domain_codes(survey.data, by_columns, rows=survey.subset_mask)
        est = replicate_crosstab_estimates(survey, domains, rows, cols)
    n_dom, nr, nc = domains.count, rows.size, cols.size
    n_cell = nr * nc
    cell_total, domain_total, row_total = est.cell_total, est.cell_total.sum(axis=1), est.row_total
    respondents = est.respondents
    n_row = respondents.reshape(n_dom, nc, nr).sum(axis=1)  # (n_dom, nr)

    # one row per (domain, row category, col category): reorder from k = c * nr + r
    order = (np.arange(nc)[None, :] * nr + np.arange(nr)[:, None]).ravel()  # (nr * nc,) r-major
    take = (np.arange(n_dom)[:, None] * n_cell + order[None, :]).ravel()
    g_index = np.repeat(np.arange(n_dom), nr * nc)
    r_index = np.tile(np.repeat(np.arange(nr), nc), n_dom)
    c_index = np.tile(np.tile(np.arange(nc), nr), n_dom)
    df = est.domain_df[g_index].astype(np.int64)
    rdf = est.row_df[g_index, r_index].astype(np.int64)
    n = respondents.ravel()[take]
    nrow_ = n_row[g_index, r_index]
    has_domain = domain_total[g_index] > 0
    has_row = row_total[g_index, r_index] > 0

    count = cell_total.ravel()[take]
    count_se = np.sqrt(est.count_var.ravel()[take])
    count_low, count_high = intervals.wald(count, count_se, df, level)
    prop = np.where(has_domain, est.p.ravel()[take], np.nan)
    prop_se = np.where(has_domain, np.sqrt(est.prop_var.ravel()[take]), np.nan)
    logit_se = None if est.prop_logit_se is None else est.prop_logit_se.ravel()[take]
    prop_low, prop_high = intervals.proportion_interval("logit", prop, prop_se, df, n, level, logit_se)
    rprop = np.where(has_row, est.q.ravel()[take], np.nan)
    rprop_se = np.where(has_row, np.sqrt(est.row_var.ravel()[take]), np.nan)
    logit_se = None if est.row_logit_se is None else est.row_logit_se.ravel()[take]
    rprop_low, rprop_high = intervals.proportion_interval("logit", rprop, rprop_se, rdf, nrow_, level, logit_se)

    primary = n.reshape(n_dom, nr, nc) < min_n
    secondary = complementary_suppression(n.reshape(n_dom, nr, nc), primary) & ~primary
    hide = (primary | secondary).ravel()
    values = {
        "count": count, "count_se": count_se, "count_ci_low": count_low, "count_ci_high": count_high,
        "proportion": prop, "proportion_se": prop_se, "proportion_ci_low": prop_low, "proportion_ci_high": prop_high,
        "row_proportion": rprop, "row_proportion_se": rprop_se, "row_proportion_ci_low": rprop_low,
        "row_proportion_ci_high": rprop_high,
    }
    columns: dict[str, object] = {name: domains.table[name].array.take(g_index) for name in domains.table.columns}
    columns[rows.name] = pd.Categorical.from_codes(r_index, categories=rows.categories)
    columns[cols.name] = pd.Categorical.from_codes(c_index, categories=cols.categories)
    columns.update({name: np.where(hide, np.nan, value) for name, value in values.items()})
    reason = np.where(primary.ravel(), "min_n", np.where(secondary.ravel(), "complementary", None))
    columns.update({"n": n, "n_row": nrow_.astype(np.int64), "df": df, "row_df": rdf, "suppressed": hide,
                    "suppression": pd.array(reason, dtype=pd.StringDtype())})
    table = pd.DataFrame(columns, index=pd.RangeIndex(g_index.size))
    table.attrs.update({
        "synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": "crosstab", "level": float(level), "by": list(by_columns),
        "min_n": int(min_n), "row": rows.name, "col": cols.name,
    })
    return table
