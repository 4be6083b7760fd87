"""The algebra of design-based tests of association in a two-way table, shared by Taylor and replicate designs.

Given the design covariance of the table's statistics (however it was estimated), R
``svychisq``'s last steps: the Rao-Scott design-effect matrix and its corrections, and the Wald
statistics; batched over domains.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from cbss_analysis._engine import chisqsum


def interaction_contrasts(n_rows: int, n_cols: int) -> np.ndarray:
    """R's ``Cmat``: the row x column interaction columns residualised on the main effects, shape (r c, (r-1)(c-1)).

    Cells in R's ``interaction(row, col)`` order (row fastest), as ``qr.resid(qr(X1), X12[, -(1:(r + c - 1))])``.
    """
    r = np.tile(np.arange(n_rows), n_cols)
    c = np.repeat(np.arange(n_cols), n_rows)
    row_dummies = (r[:, None] == np.arange(1, n_rows)[None, :]).astype(np.float64)
    col_dummies = (c[:, None] == np.arange(1, n_cols)[None, :]).astype(np.float64)
    main = np.column_stack([np.ones(r.size), row_dummies, col_dummies])
    interaction = (row_dummies[:, :, None] * col_dummies[:, None, :]).transpose(0, 2, 1).reshape(r.size, -1)
    coefficients = np.linalg.lstsq(main, interaction, rcond=None)[0]
    return interaction - main @ coefficients


def safe_solve(matrix: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched ``solve``; singular (or non-finite) matrices give NaN instead of an error."""
    finite = np.isfinite(matrix).all(axis=(1, 2)) & np.isfinite(rhs).all(axis=tuple(range(1, rhs.ndim)))
    cond = np.full(matrix.shape[0], np.inf)
    if finite.any():
        cond[finite] = np.linalg.cond(matrix[finite])
    ok = finite & (cond < 1.0 / np.finfo(float).eps)
    eye = np.broadcast_to(np.eye(matrix.shape[1]), matrix.shape)
    solved = np.linalg.solve(np.where(ok[:, None, None], matrix, eye), np.where(
        ok.reshape((-1,) + (1,) * (rhs.ndim - 1)), rhs, 0.0))
    return solved, ok


def independence_deviation(cells: np.ndarray, row: np.ndarray, col: np.ndarray, total: np.ndarray,
                           share_row: np.ndarray, share_col: np.ndarray) -> np.ndarray:
    """The linearisation of ``N_rc - N_r N_c / N`` at the shares ``N_r / N``, ``N_c / N`` (R ``svychisq``'s ``Jcb``).

    Applied to totals (cells ``(..., n_cols, n_rows)``, row ``(..., n_rows)``, column ``(..., n_cols)``
    and grand totals ``(...)``) of a PSU or a replicate; at the full-sample totals it is ``N_rc - N_r N_c / N``.
    """
    return (cells - share_col[..., :, None] * row[..., None, :] - share_row[..., None, :] * col[..., :, None]
            + (share_row[..., None, :] * share_col[..., :, None]) * total[..., None, None])


def wald_result(y: np.ndarray, covariance: np.ndarray, nu: np.ndarray, statistic: str
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``value, ndf, ddf, p_value`` of R's "Wald" / "adjWald" from the interaction cells ``y`` (n_dom, m) and their
    covariance (n_dom, m, m)."""
    n_dom, m = y.shape
    solved, ok = safe_solve(covariance, y[:, :, None])
    wald = np.where(ok, np.einsum("gm,gm->g", y, solved[:, :, 0]), np.nan)
    ndf = np.full(n_dom, float(m))
    if statistic == "Wald":
        value, ddf = wald / m, nu.copy()
    else:
        ddf = nu - m + 1.0
        value = wald * ddf / (m * nu)
    with np.errstate(invalid="ignore"):
        p_value = stats.f.sf(value, ndf, ddf)
    return value, ndf, ddf, p_value


def rao_scott_result(x2: np.ndarray, contrasts: np.ndarray, inverse: np.ndarray, b: np.ndarray, n_rows: np.ndarray,
                     nu: np.ndarray, statistic: str, denominator: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``value, ndf, ddf, p_value`` of R's "F", "Chisq", "saddlepoint", "lincom" (Rao-Scott).

    ``b`` (n_dom, m, m) is the covariance of ``C' D^-1 p``; ``Delta = N (C' D^-1 C)^-1 b``.
    "saddlepoint" and "lincom" compare ``X2`` with ``sum_j lambda_j chi2_1`` against
    ``chi2_ddf / ddf`` (``ddf = d0 nu``; R ``pFsum``, Taylor designs) or, without
    ``denominator``, alone (R ``pchisqsum``, which ``svychisq.svyrep.design`` uses).
    """
    n_dom = x2.size
    m = contrasts.shape[1]
    a = np.einsum("km,gk,kl->gml", contrasts, inverse, contrasts)
    solved, ok = safe_solve(a, b)
    delta = np.where(ok[:, None, None], n_rows[:, None, None] * solved, np.nan)
    trace = np.trace(delta, axis1=1, axis2=2)
    trace2 = np.einsum("gij,gji->g", delta, delta)
    d0 = trace**2 / trace2
    with np.errstate(invalid="ignore", divide="ignore"):
        if statistic == "F":
            value = x2 / trace
            return value, d0, d0 * nu, stats.f.sf(value, d0, d0 * nu)
        if statistic == "Chisq":
            return x2, np.full(n_dom, float(m)), np.full(n_dom, np.nan), stats.chi2.sf(x2 / (trace / m), m)
    eigen = np.full((n_dom, m), np.nan)
    finite = np.isfinite(delta).all(axis=(1, 2))
    if finite.any():
        eigen[finite] = np.sort(np.linalg.eigvals(delta[finite]).real, axis=1)[:, ::-1]
    nan = np.full(n_dom, np.nan)
    if not denominator:  # replicate designs: R's pchisqsum, no denominator chi-square
        method = chisqsum.chisq_exact if statistic == "lincom" else chisqsum.chisq_saddlepoint
        return x2, nan, nan.copy(), method(x2, eigen)
    method = chisqsum.imhof if statistic == "lincom" else chisqsum.saddlepoint
    return x2, nan, nan.copy(), method(x2, eigen, d0 * nu)
