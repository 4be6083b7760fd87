"""Two-way tables of a replicate-weight design: counts and proportions, and R ``svychisq``.

:func:`replicate_crosstab_estimates` gives :func:`cbss_analysis.estimate.crosstab` its
estimates on a replicate design: the cell indicators are analysis columns of
:func:`~cbss_analysis.estimate.replication.replicate_linearize` (one sparse product over
cells x domains x replicates), as R ``svytotal(~interaction(row, col))`` and ``svymean`` on an
``svrepdesign``, and the row proportions the same with the (domain, row) pairs as domains (R
``svyby(~col, ~row, design, svymean)``: rows of other row categories dropped); the logit
intervals use the replicate SE of ``logit(p_r)`` (R ``svyciprop`` on replicate designs).

The full-sample and replicate weighted counts of every (domain, cell) come from one sparse
product ``A @ W`` (``A`` the (domain x cell) by row indicator, ``W`` the n x R replicate
weights). :func:`replicate_chisq_tests` follows R ``survey:::svychisq.svyrep.design``:

- "F", "Chisq", "saddlepoint", "lincom": ``V`` is the replicate covariance (R ``svrVar``) of the
  replicate cell proportions ``p_r = N_r / sum(N_r)`` (R ``svymean(mm, design)``), and the
  Rao-Scott algebra is that of the Taylor test (:mod:`cbss_analysis.estimate.association`),
  except that "saddlepoint" and "lincom" compare ``X2`` with ``sum_j lambda_j chi2_1`` alone
  (R ``pchisqsum``; the Taylor method's ``pFsum`` has a denominator chi-square on ``d0 nu``);
- "Wald", "adjWald": ``V = J Var(totals) J'`` with ``Var(totals)`` the replicate covariance of
  the cell, row, column and grand totals (R ``svytotal(~mm + mr + mc + one)``) and ``J`` the
  Jacobian of ``N_rc - N_r N_c / N``: the same linear map applied to each replicate's totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbss_analysis._engine.domains import Domains
from cbss_analysis._engine.replicates import replicate_covariance, replicate_sums
from cbss_analysis.estimate.association import (
    independence_deviation,
    interaction_contrasts,
    rao_scott_result,
    wald_result,
)
from cbss_analysis.estimate.linearization import AnalysisColumns
from cbss_analysis.estimate.replication import replicate_linearize
from cbss_analysis.estimate.table_estimates import CrosstabEstimates
from cbss_analysis.survey import Survey
from cbss_analysis.survey.replicates import ReplicateArrays

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.estimate.crosstab import Categorical


@dataclass(frozen=True)
class ReplicateCells:
    """Weighted counts of every (domain, cell), full sample and replicates; cells ``k = col * n_rows + row``."""

    n_rows: int
    n_cols: int
    full: np.ndarray  # (n_dom, n_cell)
    replicates: np.ndarray  # (n_dom, n_cell, R)

    def select(self, domains: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> ReplicateCells:
        """Some domains over some row and column categories."""
        cells = (cols[None, :] * self.n_rows + rows[:, None]).T.ravel()
        return ReplicateCells(rows.size, cols.size, self.full[domains][:, cells], self.replicates[domains][:, cells])


def replicate_cells(domain: np.ndarray, row: np.ndarray, col: np.ndarray, n_domains: int, n_rows: int, n_cols: int,
                    rep: ReplicateArrays) -> ReplicateCells:
    """Counts of the rows with a domain, a row and a column value (code < 0: none) in one sparse product."""
    n_cells = n_rows * n_cols
    valid = np.flatnonzero((domain >= 0) & (row >= 0) & (col >= 0))
    index = domain[valid] * n_cells + col[valid] * n_rows + row[valid]
    replicates = replicate_sums(index, valid, np.ones(valid.size), n_domains * n_cells, rep).reshape(
        n_domains, n_cells, rep.count)
    full = np.bincount(index, weights=rep.weight[valid], minlength=n_domains * n_cells).reshape(n_domains, n_cells)
    return ReplicateCells(n_rows, n_cols, full, replicates)


def _covariances(thetas: np.ndarray, full: np.ndarray, rep: ReplicateArrays) -> np.ndarray:
    """R ``svrVar`` covariance of each domain's statistics: thetas (n_dom, m, R), full (n_dom, m) -> (n_dom, m, m)."""
    return np.stack([replicate_covariance(thetas[g], full[g], rep) for g in range(full.shape[0])])


def replicate_chisq_tests(cells: ReplicateCells, n_rows: np.ndarray, nu: np.ndarray, statistic: str,
                          rep: ReplicateArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``value, ndf, ddf, p_value`` of every domain of ``cells`` (all with the same categories present)."""
    nr, nc = cells.n_rows, cells.n_cols
    n_dom, m, count = cells.full.shape[0], (nr - 1) * (nc - 1), rep.count
    full = cells.full
    total = full.sum(axis=1)
    if statistic in ("Wald", "adjWald"):
        grid = full.reshape(n_dom, nc, nr)
        share_row = grid.sum(axis=1) / total[:, None]  # (n_dom, nr)
        share_col = grid.sum(axis=2) / total[:, None]  # (n_dom, nc)
        reps = cells.replicates.reshape(n_dom, nc, nr, count).transpose(0, 3, 1, 2)  # (n_dom, R, nc, nr)
        z = independence_deviation(reps, reps.sum(axis=2), reps.sum(axis=3), reps.sum(axis=(2, 3)),
                                   share_row[:, None], share_col[:, None])
        y = independence_deviation(grid, grid.sum(axis=1), grid.sum(axis=2), total, share_row, share_col)  # N_rc - N_r N_c / N
        thetas = z[:, :, 1:, 1:].reshape(n_dom, count, m).transpose(0, 2, 1)
        y = y[:, 1:, 1:].reshape(n_dom, m)
        return wald_result(y, _covariances(thetas, y, rep), nu, statistic)
    p = full / total[:, None]
    grid = p.reshape(n_dom, nc, nr)
    expected = grid.sum(axis=1)[:, None, :] * grid.sum(axis=2)[:, :, None]
    x2 = n_rows * np.sum((grid - expected) ** 2 / expected, axis=(1, 2))
    contrasts = interaction_contrasts(nr, nc)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = np.where(p == 0, 0.0, 1.0 / p)
        p_replicates = cells.replicates / cells.replicates.sum(axis=1)[:, None, :]  # (n_dom, n_cell, R)
    thetas = np.einsum("km,gk,gkr->gmr", contrasts, inverse, p_replicates)
    b = _covariances(thetas, np.einsum("km,gk,gk->gm", contrasts, inverse, p), rep)
    return rao_scott_result(x2, contrasts, inverse, b, n_rows, nu, statistic, denominator=False)


def _indicators(codes: np.ndarray, size: int, valid: np.ndarray, name: str) -> AnalysisColumns:
    """One 0/1 column per code (NaN where ``valid`` is False)."""
    values = [np.where(valid, (codes == k).astype(np.float64), np.nan) for k in range(size)]
    return AnalysisColumns([f"{name}{k}" for k in range(size)], [None] * size, values)


def replicate_crosstab_estimates(survey: Survey, domains: Domains, rows: Categorical, cols: Categorical) -> CrosstabEstimates:
    """Counts, cell and row proportions of every domain with replicate variances (R ``svrVar``) and replicate df."""
    nr, nc, n_dom = rows.size, cols.size, domains.count
    n_cell = nr * nc
    valid = (rows.codes >= 0) & (cols.codes >= 0)
    cell = np.where(valid, cols.codes * nr + rows.codes, -1)
    cells = _indicators(cell, n_cell, valid, "cell")

    def grid(table: pd.DataFrame, column: str, n_columns: int, n_domains: int) -> np.ndarray:
        return table[column].to_numpy(dtype=np.float64).reshape(n_columns, n_domains)

    totals, _ = replicate_linearize(cells, domains, survey, "total", None)
    shares, _ = replicate_linearize(cells, domains, survey, "proportion", None)
    pair = np.where((domains.code >= 0) & (rows.codes >= 0), domains.code * nr + rows.codes, -1)
    row_domains = Domains(pair, pd.DataFrame(index=pd.RangeIndex(n_dom * nr)))
    row_shares, _ = replicate_linearize(_indicators(cols.codes, nc, valid, "col"), row_domains, survey, "proportion", None)

    def by_row(column: str) -> np.ndarray:  # (nc, n_dom * nr) -> (n_dom, nc, nr)
        return grid(row_shares, column, nc, n_dom * nr).reshape(nc, n_dom, nr).transpose(1, 0, 2)

    in_table = valid & (domains.code >= 0)
    respondents = np.bincount(domains.code[in_table] * n_cell + cell[in_table], minlength=n_dom * n_cell)
    cell_total = grid(totals, "estimate", n_cell, n_dom).T
    return CrosstabEstimates(
        cell_total=cell_total, count_var=grid(totals, "se", n_cell, n_dom).T ** 2,
        p=np.nan_to_num(grid(shares, "estimate", n_cell, n_dom).T), prop_var=grid(shares, "se", n_cell, n_dom).T ** 2,
        prop_logit_se=grid(shares, "_logit_se", n_cell, n_dom).T, domain_df=grid(shares, "df", n_cell, n_dom)[0],
        row_total=cell_total.reshape(n_dom, nc, nr).sum(axis=1), q=np.nan_to_num(by_row("estimate")),
        row_var=by_row("se") ** 2, row_logit_se=by_row("_logit_se"), row_df=by_row("df")[:, 0, :],
        respondents=respondents.reshape(n_dom, n_cell).astype(np.int64),
    )
