"""Means, proportions, totals and ratios of a replicate-weight design: every variable, domain and replicate
in one product.

The full-sample estimates are the weighted sums of :mod:`cbss_analysis.estimate.linearization`;
the replicate estimates are the same sums with each replicate's analysis weights,
``S = A @ W`` with ``A`` the sparse (variable x domain) by row indicator (or value) matrix and
``W`` the n x R replicate weights (computed as group sums by replicate-factor pattern times the
small patterns matrix when rows share patterns, :func:`cbss_analysis._engine.replicates.replicate_sums`),
and the variance is R's ``svrVar``
(:mod:`cbss_analysis._engine.replicates`). Domains are R ``svyby`` on a replicate design: the
domain's rows are kept, the others dropped (the same estimates as zero weights), and the df of a
domain is ``degf()`` of that subset, the rank of its analysis weights minus 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from cbss_analysis._engine import replicates as engine
from cbss_analysis._engine.domains import Domains
from cbss_analysis.estimate.linearization import (
    ESTIMATE_INDEX,
    TABLE_COLUMNS_BEFORE_BY,
    AnalysisColumns,
    Linearization,
    design_effect,
)
from cbss_analysis.survey import Survey


def replicate_linearize(
    columns: AnalysisColumns, domains: Domains, survey: Survey, kind: str, deff_reference: str | None
) -> tuple[pd.DataFrame, Linearization]:
    """The replicate-design counterpart of :func:`~cbss_analysis.estimate.linearization.linearize`: the
    same table (plus ``_logit_se``, the replicate SE of ``logit(p)`` for R ``svyciprop``) and a
    :class:`Linearization` carrying the replicate estimates."""
    rep = survey.replicates
    arrays = survey.design_arrays()
    weight = rep.weight
    n_domains = domains.count
    n_columns = len(columns.values)
    n_estimates = n_columns * n_domains
    n = weight.size
    in_domain = domains.code >= 0
    positive = weight > 0

    rows_parts, cells_parts, values_parts, denominators_parts = [], [], [], []
    counts = {k: np.zeros(n_estimates) for k in ("n", "n_rows", "n_weighted", "sum_wx", "sum_wd", "ss")}
    for j, values in enumerate(columns.values):
        valid = ~np.isnan(values) & in_domain
        denominator = columns.denominators[j] if columns.denominators is not None else None
        if denominator is not None:
            valid &= ~np.isnan(denominator)
        rows = np.flatnonzero(valid)
        cell = j * n_domains + domains.code[rows]
        x = values[rows]
        w = weight[rows]
        rows_parts.append(rows)
        cells_parts.append(cell)
        values_parts.append(x)
        counts["n"] += np.bincount(cell, weights=positive[rows], minlength=n_estimates)
        counts["n_rows"] += np.bincount(cell, minlength=n_estimates)
        counts["n_weighted"] += np.bincount(cell, weights=w, minlength=n_estimates)
        counts["sum_wx"] += np.bincount(cell, weights=w * x, minlength=n_estimates)
        if denominator is not None:
            d = denominator[rows]
            denominators_parts.append(d)
            counts["sum_wd"] += np.bincount(cell, weights=w * d, minlength=n_estimates)
    rows = np.concatenate(rows_parts)
    cell = np.concatenate(cells_parts)
    x = np.concatenate(values_parts)
    replicate_wx = engine.replicate_sums(cell, rows, x, n_estimates, rep)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "ratio":
            d = np.concatenate(denominators_parts)
            replicate_wd = engine.replicate_sums(cell, rows, d, n_estimates, rep)
            full = counts["sum_wx"] / counts["sum_wd"]
            thetas = replicate_wx / replicate_wd
        elif kind == "total":
            full = counts["sum_wx"].copy()
            thetas = replicate_wx
        else:
            replicate_w = engine.replicate_sums(cell, rows, np.ones(rows.size), n_estimates, rep)
            full = counts["sum_wx"] / counts["n_weighted"]
            thetas = replicate_wx / replicate_w
            centred = x - full[cell]
            counts["ss"] = np.bincount(cell, weights=weight[rows] * centred**2, minlength=n_estimates)
    has = counts["n"] > 0
    full = np.where(has, full, np.nan)
    var = engine.replicate_variance(thetas, full, rep)
    if kind == "proportion":
        logit_thetas = thetas
        if rep.has_negative:
            # R fits svyglm(y ~ 1) per replicate: glm.fit leaves out rows whose weight is not positive
            clipped = np.maximum(rep.replicates, 0.0)
            indicator = sparse.csr_matrix((np.ones(rows.size), (cell, rows)), shape=(n_estimates, n))
            valued = sparse.csr_matrix((x, (cell, rows)), shape=(n_estimates, n))
            with np.errstate(divide="ignore", invalid="ignore"):
                logit_thetas = np.asarray(valued @ clipped) / np.asarray(indicator @ clipped)
        with np.errstate(divide="ignore", invalid="ignore"):
            logit = np.log(logit_thetas / (1.0 - logit_thetas))
            logit_full = np.log(full / (1.0 - full))
        logit_var = engine.replicate_variance(logit, logit_full, rep)
        # a replicate with p_r = 0 or 1 has an infinite logit: R's glm stops anywhere, no interval
        logit_var = np.where(np.isinf(logit).any(axis=1) & ~np.isinf(logit_full), np.nan, logit_var)
    else:
        logit_var = np.full(n_estimates, np.nan)
    counted = positive[rows]
    row_cell = np.full(n, -1, dtype=np.int64)
    df = np.zeros(n_estimates, dtype=np.int64)
    variable_df = np.zeros(n_columns, dtype=np.int64)
    # ranks by variable: one batched computation per variable column (its rows partition into domains)
    for j in range(n_columns):
        take = (cell // n_domains == j) & counted
        row_cell[:] = -1
        row_cell[rows[take]] = cell[take] - j * n_domains
        df[j * n_domains : (j + 1) * n_domains] = engine.domain_ranks(rep, row_cell, n_domains) - 1
        row_cell[:] = -1
        row_cell[rows[cell // n_domains == j]] = 0
        variable_df[j] = engine.domain_ranks(rep, np.where(positive, row_cell, -1), 1)[0] - 1
    if rep.degf is not None and survey.subset_mask is None and n_domains == 1:
        df[:] = rep.degf  # R keeps design$degf after a nonlinear calibrate(); subsets use the rank
        variable_df[:] = rep.degf
    n_count = counts["n"].astype(np.int64)
    se = np.where(has, np.sqrt(var), np.nan)
    effect = design_effect(var, counts["ss"], n_count, counts["n_weighted"], kind, deff_reference)

    repeat = np.repeat(np.arange(n_columns), n_domains)
    by_values = domains.table.iloc[np.tile(np.arange(n_domains), n_columns)].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "variable": pd.array(np.asarray(columns.variable, dtype=object)[repeat], dtype="str"),
            "level": pd.array(np.asarray(columns.level, dtype=object)[repeat], dtype="str"),
        }
    )
    table = pd.concat([table, by_values], axis=1)
    table["estimate"] = full
    table["se"] = se
    table["n"] = n_count
    table["n_weighted"] = counts["n_weighted"]
    table["deff"] = effect
    table["suppressed"] = False
    table["df"] = df
    table["_n_rows"] = counts["n_rows"].astype(np.int64)
    table["_logit_se"] = np.sqrt(logit_var)
    key_columns = ["variable"] if kind == "ratio" else list(TABLE_COLUMNS_BEFORE_BY)
    keys = table[[*key_columns, *domains.table.columns]].copy()
    keys[ESTIMATE_INDEX] = np.arange(n_estimates)
    empty = np.zeros(0, dtype=np.int64)
    linearization = Linearization(
        arrays, keys, empty, empty, np.zeros(0), full, repeat, np.ones((n_columns, 1), dtype=bool), variable_df,
        replicate_estimates=thetas, replicate_design=rep,
    )
    return table, linearization
