"""Confidence intervals, p-values and multiplicity adjustment, with t on the design degrees of freedom.

Every interval here uses Student t quantiles with the design df passed in (PSUs minus strata
of the estimate's domain design), as R ``svyciprop(df = degf(design))`` does; R's
``confint()`` on an ``svystat`` uses a normal quantile unless given ``df=``, so the package
always passes it. With ``df <= 0`` the quantile and the interval are NaN (R: ``qt(p, 0)``).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import EstimationError

PROPORTION_METHODS: tuple[str, ...] = ("logit", "beta", "wilson", "wald")


def t_quantile(level: float, df: np.ndarray) -> np.ndarray:
    """Upper ``(1 + level) / 2`` quantile of Student t with ``df`` (NaN where ``df <= 0``)."""
    df = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, stats.t.ppf(0.5 + level / 2.0, np.where(df > 0, df, 1.0)), np.nan)


def wald(estimate: np.ndarray, se: np.ndarray, df: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric t interval ``estimate -/+ t_{df, (1+level)/2} * se``.

    Reproduces ``confint(svymean(...), df = degf(design))`` and ``svyciprop(method = "mean")``.
    """
    half = t_quantile(level, df) * se
    return estimate - half, estimate + half


def proportion_interval(
    method: str, p: np.ndarray, se: np.ndarray, df: np.ndarray, n: np.ndarray, level: float,
    logit_se: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for proportions ``p`` with design-based standard errors ``se``.

    Parameters
    ----------
    method : {"logit", "beta", "wilson", "wald"}
        - ``logit`` (R ``svyciprop(method = "logit")``): ``expit(logit(p) -/+ t * se / (p (1 - p)))``;
          the intercept of ``svyglm(y ~ 1, family = quasibinomial)`` is ``logit(p)`` with that SE.
          At ``p`` = 0 or 1 the interval is ``[p, p]`` (R's unconverged fit gives about that).
        - ``beta`` (Korn & Graubard 1998; R ``svyciprop(method = "beta")``): effective sample
          size ``m = p (1 - p) / se^2 * (t_{n-1} / t_{df})^2`` with ``n`` the domain's rows, then
          ``[qbeta(a/2, m p, m (1 - p) + 1), qbeta(1 - a/2, m p + 1, m (1 - p))]``. At ``p`` = 0
          or 1 (``se = 0``), where R gives NaN, ``p (1 - p) / se^2`` is replaced by ``n``
          (the Clopper-Pearson interval on ``n``, with the same df factor; R's ``qbeta(q, 0, b) = 0``).
        - ``wilson``: the Wilson score interval with the Kish effective sample size
          ``m = p (1 - p) / se^2`` (``m = n`` when ``se = 0``) and ``t = t_{df}``:
          ``(p + t^2 / (2m) -/+ t * sqrt(p (1 - p) / m + t^2 / (4 m^2))) / (1 + t^2 / m)``.
          R ``survey`` has no Wilson interval; this variant is pinned by a hand-computed test.
        - ``wald`` (R ``svyciprop(method = "mean")``): ``p -/+ t * se``.
    p, se : ndarray
        Estimates on the 0-1 scale and their standard errors.
    df : ndarray
        Design degrees of freedom.
    n : ndarray
        Unweighted number of respondents in each domain (``nrow(design)`` in R).
    level : float
        Confidence level in (0, 1).
    logit_se : ndarray, optional
        The SE of ``logit(p)`` itself, for ``logit``: a replicate design's, from the replicate
        estimates ``logit(p_r)`` (R ``svyciprop`` fits ``svyglm(y ~ 1)``, whose replicate
        intercepts are those); default ``se / (p (1 - p))``.

    Returns
    -------
    (low, high) : tuple of ndarray

    Raises
    ------
    EstimationError
        Unknown ``method``.
    """
    if method not in PROPORTION_METHODS:
        raise EstimationError(f"ci={snippet(method)} is not one of {', '.join(PROPORTION_METHODS)}")
    if method == "wald":
        return wald(p, se, df, level)
    t = t_quantile(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "logit":
            half = t * (se / (p * (1.0 - p)) if logit_se is None else logit_se)
            centre = special.logit(p)
            degenerate = (p == 0.0) | (p == 1.0)
            low = np.where(degenerate, p, special.expit(centre - half))
            high = np.where(degenerate, p, special.expit(centre + half))
            return low, high
        if method == "beta":
            alpha = 1.0 - level
            t_n = stats.t.ppf(alpha / 2.0, np.where(n > 1, n - 1.0, np.nan))
            t_df = -t
            m = np.where(se > 0, p * (1.0 - p) / se**2, n) * (t_n / t_df) ** 2
            low = np.where(p == 0.0, 0.0, stats.beta.ppf(alpha / 2.0, m * p, m * (1.0 - p) + 1.0))
            high = np.where(p == 1.0, 1.0, stats.beta.ppf(1.0 - alpha / 2.0, m * p + 1.0, m * (1.0 - p)))
            return low, high
        m = np.where(se > 0, p * (1.0 - p) / se**2, n)
        t2m = t**2 / m
        centre = (p + t2m / 2.0) / (1.0 + t2m)
        half = t * np.sqrt(p * (1.0 - p) / m + t2m / (4.0 * m)) / (1.0 + t2m)
        return centre - half, centre + half


def t_p_value(statistic: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a t statistic on ``df`` degrees of freedom (NaN where ``df <= 0`` or undefined)."""
    statistic = np.asarray(statistic, dtype=np.float64)
    df = np.asarray(df, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(df > 0, 2.0 * stats.t.sf(np.abs(statistic), np.where(df > 0, df, np.nan)), np.nan)


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
