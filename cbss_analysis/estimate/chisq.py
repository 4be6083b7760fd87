"""Design-based tests of association in a two-way table, by domain (R ``svychisq``).

:func:`chisq` computes R ``survey:::svychisq.survey.design`` for every by-domain at once: the
cell sums of all domains come from one pass of group sums (:func:`cbss_analysis.estimate.crosstab.cell_sums`),
the covariance matrices of the linearised cell statistics from the engine's variance core
(:func:`cbss_analysis._engine.variance.psu_variance`, covariances by polarisation
``cov(a, b) = (var(a + b) - var(a) - var(b)) / 2``), and the small matrix algebra of each
domain (solves, traces, eigenvalues) is batched over domains with NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cbss_analysis._engine import replicates as replicates_engine
from cbss_analysis._engine import variance
from cbss_analysis._engine.domains import domain_codes
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate.association import (
    independence_deviation,
    interaction_contrasts,
    rao_scott_result,
    wald_result,
)
from cbss_analysis.estimate.crosstab import CellSums, cell_sums, table_variables
from cbss_analysis.estimate.linearization import refuse_calibrated_taylor
from cbss_analysis.estimate.replicate_tables import replicate_cells, replicate_chisq_tests
from cbss_analysis.survey import DesignArrays, Survey
from cbss_analysis.survey.variance_words import variance_method

STATISTICS: tuple[str, ...] = ("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")
RESULT_COLUMNS: tuple[str, ...] = ("statistic", "value", "ndf", "ddf", "p_value")
MAX_ENTRIES = 1 << 22
"""Largest number of (domain, PSU, pair of statistics) entries given to the variance core at once."""


def chisq(
    survey: Survey,
    row: str,
    col: str,
    by: str | Sequence[str] | None = None,
    statistic: str = "F",
) -> pd.DataFrame:
    """Test of independence of two categorical variables on a complex sample, in each domain.

    Reproduces R ``svychisq(~row + col, design, statistic = ...)`` (survey 4.1), on
    ``subset(design, by == level)`` for each by-domain. With ``p`` the weighted cell
    proportions, ``N`` the domain's number of rows and ``X2 = N sum (p_rc - p_r p_c)^2 / (p_r p_c)``
    the Pearson statistic of the weighted table scaled to ``N`` (R ``chisq.test(svytable(...,
    Ntotal = N))``), ``Delta = N (C' D^-1 C)^-1 C' D^-1 V D^-1 C`` the design-effect matrix
    (``V``: design covariance of ``p``, ``D = diag(p)`` with 0 for empty cells in ``D^-1``, ``C``:
    the interaction contrasts orthogonal to the main effects) and ``nu`` the design df:

    - ``"F"`` (default): Rao-Scott second-order correction, ``value = X2 / tr(Delta)`` on
      ``F(d0, d0 nu)``, ``d0 = tr(Delta)^2 / tr(Delta^2)``;
    - ``"Chisq"``: first-order Rao-Scott: ``value`` is the *unadjusted* Pearson ``X2`` (as R
      reports it), the p-value that of ``X2 / mean(eigenvalues of Delta)`` on chi-square with
      ``ndf = (r - 1)(c - 1)`` (``ddf`` NaN);
    - ``"Wald"``: design-based Wald test of ``N_rc - N_r N_c / N = 0`` over the interaction cells
      (weighted totals, linearised): ``value = W / ndf`` on ``F(ndf, nu)``, ``ndf = (r - 1)(c - 1)``;
    - ``"adjWald"``: ``value = W (nu - ndf + 1) / (ndf nu)`` on ``F(ndf, nu - ndf + 1)``;
    - ``"saddlepoint"``: ``value = X2``, the p-value of ``X2`` under its asymptotic distribution
      ``sum_j lambda_j chi2_1`` against ``chi2_ddf / ddf`` (``lambda``: eigenvalues of Delta,
      ``ddf = d0 nu``) by R's saddlepoint approximation (:func:`cbss_analysis._engine.chisqsum.saddlepoint`);
    - ``"lincom"``: the same distribution evaluated exactly, by Imhof's (1961) numerical inversion
      of its characteristic function (:func:`cbss_analysis._engine.chisqsum.imhof`, about 1e-13 absolute).
      R computes it with ``CompQuadForm::davies`` when CompQuadForm is installed and otherwise
      falls back to the saddlepoint with a warning (the R used for this package's reference
      values had no CompQuadForm, so its "lincom" equals its "saddlepoint"); the two differ in
      the second or third significant digit of the p-value. ``ndf`` and ``ddf`` are NaN for
      both, as R reports none.

    ``nu`` is R's: distinct PSUs minus distinct strata among *all* rows of the domain (rows with a
    missing row or column value, and zero-weight rows, included; this can exceed ``degf()``),
    and ``N`` counts those rows too. Rows with a missing row or column value are otherwise left
    out, as R's ``na.rm = TRUE``.

    On a replicate-weight design (calibrated or not) this is R ``svychisq.svyrep.design``
    (:mod:`cbss_analysis.estimate.replicate_tables`): ``V`` from the replicate cell proportions,
    ``nu = degf()`` of the domain's replicate design, and "saddlepoint"/"lincom" compare ``X2``
    with ``sum_j lambda_j chi2_1`` alone. Calibrated Taylor surveys are refused.

    Categories with no weight in a domain are dropped from that domain's table (R's
    ``factor()`` intent; R itself then returns NaN for "F" and "Chisq", because ``svytable``
    keeps the empty category, and fails for "saddlepoint"). A domain left with fewer than two
    row or column categories, or whose covariance matrix is singular, gets NaN.

    Parameters
    ----------
    survey : Survey
        The data and its design.
    row, col : str
        Categorical columns (as in :func:`cbss_analysis.estimate.crosstab`).
    by : str or sequence of str, optional
        Columns whose observed combinations define the domains (one test each).
    statistic : {"F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint"}
        The test.

    Returns
    -------
    pandas.DataFrame
        One row per domain: the by columns, ``statistic``, ``value``, ``ndf``, ``ddf``,
        ``p_value``. ``attrs``: ``synthetic``, ``kind="chisq"``, ``by``, ``row``, ``col``, ``statistic``.

    Raises
    ------
    EstimationError
        Unknown column, a variable that is not categorical, the same variable twice, an unknown
        ``statistic``.
    """
    function = "chisq"
    if not isinstance(statistic, str) or statistic not in STATISTICS:
        raise EstimationError(f"chisq: statistic={statistic!r} is not one of {', '.join(STATISTICS)}")
    rows, cols, by_columns = table_variables(survey, row, col, by, function, RESULT_COLUMNS)
    refuse_calibrated_taylor(survey, 'chisq')
    rep = survey.replicates
    domains = domain_codes(survey.data, by_columns, rows=survey.subset_mask)
    arrays = survey.design_arrays()
    n_dom = domains.count
    if rep is None:
        sums = cell_sums(domains.code, rows.codes, cols.codes, n_dom, rows.size, cols.size, arrays)
        n_rows = sums.domain_sum(sums.pair_rows.astype(np.float64))  # R's N: every row of the domain
        nu = _nu(sums, arrays)
        grid = sums.domain_sum(sums.weighted).reshape(n_dom, cols.size, rows.size)
    else:
        sums = replicate_cells(domains.code, rows.codes, cols.codes, n_dom, rows.size, cols.size, rep)
        n_rows = np.bincount(domains.code[domains.code >= 0], minlength=n_dom).astype(np.float64)
        nu = _replicate_nu(survey, domains.code, n_dom)
        grid = sums.full.reshape(n_dom, cols.size, rows.size)
    present = np.concatenate([grid.sum(axis=1) > 0, grid.sum(axis=2) > 0], axis=1)  # categories with weight
    patterns, pattern_of = np.unique(present, axis=0, return_inverse=True)
    pattern_of = pattern_of.ravel()

    value = np.full(n_dom, np.nan)
    ndf = np.full(n_dom, np.nan)
    ddf = np.full(n_dom, np.nan)
    p_value = np.full(n_dom, np.nan)
    for j, pattern in enumerate(patterns):  # usually one pattern: every category in every domain
        row_kept = np.flatnonzero(pattern[: rows.size])
        col_kept = np.flatnonzero(pattern[rows.size:])
        if row_kept.size < 2 or col_kept.size < 2:
            continue
        members = np.flatnonzero(pattern_of == j)
        if members.size == n_dom and row_kept.size == rows.size and col_kept.size == cols.size:
            part = sums
        else:
            part = sums.select(members, row_kept, col_kept)
        if rep is None:
            result = _tests(part, n_rows[members], nu[members], statistic, arrays)
        else:
            result = replicate_chisq_tests(part, n_rows[members], nu[members], statistic, rep)
        value[members], ndf[members], ddf[members], p_value[members] = result

    if domains.table.shape[1]:
        table = domains.table.reset_index(drop=True).copy()
    else:
        table = pd.DataFrame(index=pd.RangeIndex(1))
    table["statistic"] = pd.array([statistic] * n_dom, dtype=pd.StringDtype())
    table["value"] = value
    table["ndf"] = ndf
    table["ddf"] = ddf
    table["p_value"] = p_value
    table.attrs.update({
        "synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": "chisq", "by": list(by_columns), "row": rows.name,
        "col": cols.name, "statistic": statistic,
    })
    return table


def _nu(sums: CellSums, arrays: DesignArrays) -> np.ndarray:
    """R's ``nu``: distinct PSUs minus distinct strata among all rows of each domain (from the (domain, unit) pairs;
    a two-stage design counts its first-stage PSUs, as R's ``design$cluster[, 1]``)."""
    psu = sums.pair_psu if arrays.stage2 is None else arrays.stage2.unit_psu[sums.pair_psu]
    _, pairs = variance.group_index(sums.pair_domain * arrays.n_psus + psu, sums.n_domains * arrays.n_psus)
    psus = np.bincount(pairs // arrays.n_psus, minlength=sums.n_domains)
    _, keys = variance.group_index(
        sums.pair_domain * arrays.n_strata + arrays.psu_stratum[psu], sums.n_domains * arrays.n_strata
    )
    strata = np.bincount(keys // arrays.n_strata, minlength=sums.n_domains)
    return (psus - strata).astype(np.float64)


def _replicate_nu(survey: Survey, code: np.ndarray, n_domains: int) -> np.ndarray:
    """R's ``nu`` of a replicate design: ``degf()`` of each domain's design (rank of its replicate weights minus 1)."""
    rep = survey.replicates
    if rep.degf is not None and survey.subset_mask is None and n_domains == 1:
        return np.array([float(rep.degf)])  # R keeps design$degf after a nonlinear calibrate()
    positive = np.where(rep.weight > 0, code, -1)
    return (replicates_engine.domain_ranks(rep, positive, n_domains) - 1).astype(np.float64)


def block_covariance(sums: CellSums, z: np.ndarray, arrays: DesignArrays) -> np.ndarray:
    """Design covariance matrix of ``m`` linearised statistics in every domain, shape (n_dom, m, m).

    ``z`` (P, m) holds each statistic's influence total in each (domain, PSU) pair of ``sums``.
    Variances of every statistic and of every sum of two come from
    :func:`cbss_analysis._engine.variance.psu_variance` (all domains and pairs in one call, or in
    chunks of at most :data:`MAX_ENTRIES` entries); the covariances follow by polarisation.
    """
    n_dom = sums.n_domains
    m = z.shape[1]
    first, second = np.triu_indices(m)
    n_pairs = first.size
    variances = np.empty((n_dom, n_pairs))
    step = max(1, MAX_ENTRIES // max(1, z.shape[0]))
    for start in range(0, n_pairs, step):  # chunks of pairs of statistics, each over all domains
        chunk = np.arange(start, min(start + step, n_pairs))
        a, b = first[chunk], second[chunk]
        values = np.where(a == b, z[:, a], z[:, a] + z[:, b])
        column = sums.pair_domain[:, None] * chunk.size + np.arange(chunk.size)[None, :]
        psu = np.broadcast_to(sums.pair_psu[:, None], column.shape)
        variances[:, chunk] = variance.psu_variance(
            column.ravel(), psu.ravel(), values.ravel(), n_dom * chunk.size, arrays
        ).reshape(n_dom, chunk.size)
    diagonal = variances[:, first == second]  # (n_dom, m), in order 0..m-1
    covariance = np.empty((n_dom, m, m))
    off = (variances - diagonal[:, first] - diagonal[:, second]) / 2.0
    cov_pairs = np.where(first == second, variances, off)
    covariance[:, first, second] = cov_pairs
    covariance[:, second, first] = cov_pairs
    return covariance


def _tests(sums: CellSums, n_rows: np.ndarray, nu: np.ndarray, statistic: str,
           arrays: DesignArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``value, ndf, ddf, p_value`` of every domain of ``sums`` (all with the same categories present)."""
    n_dom, nr, nc = sums.n_domains, sums.n_rows, sums.n_cols
    m = (nr - 1) * (nc - 1)
    pair_cells = sums.weighted  # (P, n_cell), k = c * nr + r
    g = sums.pair_domain
    cells = sums.domain_sum(pair_cells)  # (n_dom, n_cell)
    total = cells.sum(axis=1)
    pair_total = pair_cells.sum(axis=1)
    if statistic in ("Wald", "adjWald"):
        grid = cells.reshape(n_dom, nc, nr)
        row_total = grid.sum(axis=1)  # (n_dom, nr)
        col_total = grid.sum(axis=2)  # (n_dom, nc)
        pair_grid = pair_cells.reshape(-1, nc, nr)
        pair_row, pair_col = pair_grid.sum(axis=1), pair_grid.sum(axis=2)
        share_col = col_total / total[:, None]  # C_j / N
        share_row = row_total / total[:, None]  # R_i / N
        y = grid - row_total[:, None, :] * col_total[:, :, None] / total[:, None, None]
        z = independence_deviation(pair_grid, pair_row, pair_col, pair_total, share_row[g], share_col[g])
        use_y = y[:, 1:, 1:].reshape(n_dom, m)
        use_z = z[:, 1:, 1:].reshape(-1, m)
        return wald_result(use_y, block_covariance(sums, use_z, arrays), nu, statistic)

    p = cells / total[:, None]  # (n_dom, n_cell)
    grid = p.reshape(n_dom, nc, nr)
    expected = grid.sum(axis=1)[:, None, :] * grid.sum(axis=2)[:, :, None]
    x2 = n_rows * np.sum((grid - expected) ** 2 / expected, axis=(1, 2))
    contrasts = interaction_contrasts(nr, nc)  # (n_cell, m)
    with np.errstate(divide="ignore"):
        inverse = np.where(p == 0, 0.0, 1.0 / p)  # R: iDmat
    z = (pair_cells - p[g] * pair_total[:, None]) / total[g][:, None]
    transformed = (z * inverse[g]) @ contrasts  # (P, m): influence of C' D^-1 p
    b = block_covariance(sums, transformed, arrays)
    return rao_scott_result(x2, contrasts, inverse, b, n_rows, nu, statistic)
