"""Replicate-weight variance of survey GLM coefficients: R ``survey:::svyglm.svyrep.design``.

The full-sample fit is the weighted maximum-likelihood fit of :mod:`cbss_analysis.models.fitting`.
Each replicate refits the model with that replicate's analysis weights, starting from the
full-sample coefficients (R: ``glm.fit(XX, YY, weights = w_r / sum(w_r), start = beta0)``);
rows whose replicate weight is not positive leave that fit, as ``glm.fit``'s ``good <- weights > 0``.
The refits are Newton (IRLS with the canonical link) steps for all replicates at once: the
information matrices of every replicate are one matrix product ``(x_i x_i')' (w v)`` of
shape (p^2, R), and the steps one batched solve. The covariance is R ``svrVar`` of the
replicate coefficients (:func:`cbss_analysis._engine.replicates.replicate_covariance`), and
the residual df ``degf(design) + 1 - rank`` (R sets ``df.residual`` so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cbss_analysis._engine.replicates import replicate_covariance
from cbss_analysis.survey.replicates import ReplicateArrays

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.models.fitting import Family
    from cbss_analysis.survey import Survey

STEP_RTOL = 1e-13
"""A refit has converged when every coefficient moved by less than this times its size (plus 1e-15)."""
MAX_ITERATIONS = 100


def replicate_coefficients(
    y: np.ndarray, x: np.ndarray, weights: np.ndarray, start: np.ndarray, family: Family
) -> tuple[np.ndarray, bool]:
    """Coefficients of every replicate refit, shape (R, p), and whether all converged.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Outcome of the rows of the fit.
    x : ndarray, shape (n, p)
        Model matrix (aliased columns removed).
    weights : ndarray, shape (n, R)
        Replicate analysis weights of those rows.
    start : ndarray, shape (p,)
        Full-sample coefficients, the start of every refit.
    family : Family
        The GLM family (canonical link).
    """
    n, p = x.shape
    w = np.maximum(weights, 0.0)
    w = w / np.where(w.sum(axis=0) > 0, w.sum(axis=0), 1.0)  # R: wi / sum(wi)
    products = (x[:, :, None] * x[:, None, :]).reshape(n, p * p)
    beta = np.tile(start, (w.shape[1], 1))
    for _ in range(MAX_ITERATIONS):
        mu = family.mean(x @ beta.T)  # (n, R)
        information = (products.T @ (w * family.variance(mu))).T.reshape(-1, p, p)
        score = (x.T @ (w * (y[:, None] - mu))).T  # (R, p)
        try:
            step = np.linalg.solve(information, score[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:  # a replicate without a category: R's refit has NA coefficients
            return beta, False
        beta = beta + step
        if not np.isfinite(beta).all():
            return beta, False
        if (np.abs(step) <= STEP_RTOL * np.abs(beta) + 1e-15).all():
            return beta, True
    return beta, False


def replicate_glm_covariance(
    y: np.ndarray, x: np.ndarray, weights: np.ndarray, coef: np.ndarray, family: Family, rep: ReplicateArrays
) -> tuple[np.ndarray, bool]:
    """R ``svrVar`` of the replicate coefficients, shape (p, p), and whether every refit converged."""
    thetas, converged = replicate_coefficients(y, x, weights, coef, family)
    return replicate_covariance(thetas.T, coef, rep), converged


def domain_degf(survey: Survey, members: np.ndarray, domain: bool) -> int | None:
    """R ``degf()`` of a replicate design's domain (a model on ``design[domain, ]``, NA rows included); None for
    Taylor designs. ``members``: the domain's row positions; ``domain``: whether there are by columns."""
    if survey.replicates is None:
        return None
    if not domain:
        return survey.degrees_of_freedom
    rows = np.zeros(len(survey.data), dtype=bool)
    rows[members] = True
    return survey.replicates.degrees_of_freedom(rows)


def replicate_fits(fit, weights: np.ndarray, start: np.ndarray, rep: ReplicateArrays) -> tuple[np.ndarray, bool]:
    """R ``svrVar`` of the parameters refitted by ``fit(weights_r, start)`` for each replicate (a loop: for models
    without a batched Newton step, e.g. ``svyolr``'s ``polr`` refits), and whether every refit converged."""
    thetas = np.empty((rep.count, start.size))
    converged = True
    for r in range(rep.count):
        thetas[r], ok = fit(weights[:, r], start)
        converged &= ok
    return replicate_covariance(thetas.T, start, rep), converged
