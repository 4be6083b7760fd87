"""Fitting one survey-weighted GLM in one domain: IRLS coefficients, the sandwich, t inference.

The variance of the coefficients is the design covariance of their influence values
(:func:`cbss_analysis._engine.variance.design_covariance`, the engine's one variance core), or,
on a replicate-weight design, the replicate variance of refits (:mod:`cbss_analysis.models.replication`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from cbss_analysis._engine.variance import design_covariance
from cbss_analysis.models.formula import design_matrix_terms
from cbss_analysis.models.replication import replicate_glm_covariance
from cbss_analysis.models.results import ModelFit
from cbss_analysis.survey import DesignArrays
from cbss_analysis.survey.replicates import ReplicateArrays

ALIAS_TOLERANCE = 1e-7
FIT_RTOL = 1e-12
FIT_ATOL = 1e-14
MAX_ITERATIONS = 100
SEPARATION_EPS = 10 * np.finfo(float).eps


@dataclass(frozen=True)
class Family:
    """A GLM family with its canonical link: its name in results and its statsmodels family."""

    name: str
    statsmodels_family: str

    def mean(self, eta: np.ndarray) -> np.ndarray:
        """Inverse of the canonical link: expit (logistic), exp (poisson), identity (linear)."""
        if self.name == "logistic":
            return expit(eta)
        if self.name == "poisson":
            return np.exp(eta)
        return eta

    def variance(self, mu: np.ndarray) -> np.ndarray:
        """Variance function; with the canonical link also ``d mu / d eta``."""
        if self.name == "logistic":
            return mu * (1.0 - mu)
        if self.name == "poisson":
            return mu
        return np.ones_like(mu)


LOGISTIC = Family("logistic", "Binomial")
LINEAR = Family("linear", "Gaussian")
POISSON = Family("poisson", "Poisson")


def _aliased(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Columns that are linear combinations of earlier ones (R's pivoting in ``glm``'s QR)."""
    xw = x * np.sqrt(w)[:, None]
    aliased = np.zeros(x.shape[1], dtype=bool)
    kept: list[int] = []
    for j in range(x.shape[1]):
        column = xw[:, j]
        norm = np.linalg.norm(column)
        if kept:
            basis = xw[:, kept]
            column = column - basis @ np.linalg.lstsq(basis, column, rcond=None)[0]
        if norm == 0.0 or np.linalg.norm(column) <= ALIAS_TOLERANCE * norm:
            aliased[j] = True
        else:
            kept.append(j)
    return aliased


def fit_domain(
    frame: pd.DataFrame,
    formula: str,
    family: Family,
    in_fit: np.ndarray,
    arrays: DesignArrays,
    context: dict,
    all_terms: list[str],
    level: float,
    min_n: int,
) -> list[dict]:
    """Fit one domain and return one row (dict) per term (the terms of the whole data when suppressed)."""
    return fit_domain_record(frame, formula, family, in_fit, arrays, context, all_terms, level, min_n, (), [])[0]


def fit_domain_record(
    frame: pd.DataFrame,
    formula: str,
    family: Family,
    in_fit: np.ndarray,
    arrays: DesignArrays,
    context: dict,
    all_terms: list[str],
    level: float,
    min_n: int,
    key: tuple,
    all_term_labels: list[str],
    replicates: ReplicateArrays | None = None,
    design_df: int | None = None,
) -> tuple[list[dict], ModelFit]:
    """As :func:`fit_domain`, plus the domain's :class:`~cbss_analysis.models.results.ModelFit` (for Wald tests).

    With ``replicates`` (a replicate-weight design) the covariance is that of the replicate refits
    and the df ``design_df + 1 - rank``, ``design_df`` being R ``degf()`` of the domain's design.
    """
    n = int(in_fit.sum())
    blank = {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "df": np.nan}
    if n < max(min_n, 1):
        rows = [{"term": t, **blank, "n": n, "suppressed": True, "warning": None} for t in all_terms]
        return rows, ModelFit.empty(key, all_terms, all_term_labels or [""] * len(all_terms))
    y, x, terms, labels = design_matrix_terms(frame, formula, in_fit, context)
    weight = arrays.weight[in_fit]
    weight = weight / weight.mean()
    aliased = _aliased(x, weight)
    kept = ~aliased
    coef, problem = _coefficients(y, x[:, kept], weight, family)
    if problem is not None:
        rows = [{"term": t, **blank, "n": n, "suppressed": False, "warning": problem} for t in terms]
        return rows, ModelFit.empty(key, terms, labels)
    if replicates is None:
        influence = _influence(y, x[:, kept], weight, coef, family)
        full = np.zeros((in_fit.size, influence.shape[1]))
        full[in_fit] = influence
        covariance = design_covariance(full, arrays, in_fit)
        df = _residual_df(arrays, in_fit, int(kept.sum()))
    else:
        covariance, converged = replicate_glm_covariance(y, x[:, kept], replicates.replicates[in_fit], coef, family,
                                                         replicates)
        if not converged:
            problem = f"a replicate refit did not converge in {MAX_ITERATIONS} iterations; no estimates"
            rows = [{"term": t, **blank, "n": n, "suppressed": False, "warning": problem} for t in terms]
            return rows, ModelFit.empty(key, terms, labels)
        df = int(design_df) + 1 - int(kept.sum())
    estimate = np.full(len(terms), np.nan)
    se = np.full(len(terms), np.nan)
    estimate[kept] = coef
    se[kept] = np.sqrt(np.diag(covariance))
    full_covariance = np.full((len(terms), len(terms)), np.nan)
    full_covariance[np.ix_(kept, kept)] = covariance
    low, high, p_value = _inference(estimate, se, df, level)
    note = f"aliased term(s) {', '.join(t for t, a in zip(terms, aliased) if a)}: no estimate" if aliased.any() else None
    rows = [
        {
            "term": term,
            "estimate": estimate[j],
            "se": se[j],
            "ci_low": low[j],
            "ci_high": high[j],
            "p_value": p_value[j],
            "df": float(df),
            "n": n,
            "suppressed": False,
            "warning": note,
        }
        for j, term in enumerate(terms)
    ]
    return rows, ModelFit(key, tuple(terms), tuple(labels), estimate, full_covariance, float(df))


def _coefficients(y: np.ndarray, x: np.ndarray, weight: np.ndarray, family: Family) -> tuple[np.ndarray, str | None]:
    """Weighted ML coefficients by IRLS (statsmodels), or a problem description."""
    model = GLM(y, x, family=getattr(families, family.statsmodels_family)(), var_weights=weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = model.fit(
            method="IRLS", maxiter=MAX_ITERATIONS, tol_criterion="params", atol=FIT_ATOL, rtol=FIT_RTOL
        )
    coef = np.asarray(result.params, dtype=np.float64)
    if family is LOGISTIC:
        mu = expit(x @ coef)
        if ((mu < SEPARATION_EPS) | (mu > 1.0 - SEPARATION_EPS)).any():
            return coef, "separation: fitted probabilities numerically 0 or 1; no estimates"
    if not result.converged or not np.isfinite(coef).all():
        return coef, f"not converged in {MAX_ITERATIONS} iterations; no estimates"
    return coef, None


def _influence(y: np.ndarray, x: np.ndarray, weight: np.ndarray, coef: np.ndarray, family: Family) -> np.ndarray:
    """Per-row influence ``w (y - mu) x' A^-1`` at the final coefficients (R ``svy.varcoef``)."""
    mu = family.mean(x @ coef)
    scores = x * (weight * (y - mu))[:, None]
    information = x.T @ (x * (weight * family.variance(mu))[:, None])
    return np.linalg.solve(information, scores.T).T


def _residual_df(arrays: DesignArrays, in_fit: np.ndarray, rank: int) -> int:
    """``degf(design) + 1 - rank``, counting PSUs and strata with rows in the fit (R ``svyglm``)."""
    psus = np.unique(arrays.psu[in_fit]).size
    strata = np.unique(arrays.stratum[in_fit]).size
    return psus - strata + 1 - rank


def _inference(estimate: np.ndarray, se: np.ndarray, df: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wald intervals and two-sided p-values on t(df) (R ``confint.svyglm``, ``summary.svyglm``)."""
    if df <= 0:
        nan = np.full_like(estimate, np.nan)
        return nan, nan.copy(), nan.copy()
    quantile = stats.t.ppf(1.0 - (1.0 - level) / 2.0, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = 2.0 * stats.t.sf(np.abs(estimate / se), df)
    return estimate - quantile * se, estimate + quantile * se, p_value


def result_table(rows: list[dict], by_columns: list[str], family: Family) -> pd.DataFrame:
    columns = ["outcome", *by_columns, "term", "estimate", "se", "ci_low", "ci_high", "p_value"]
    table = pd.DataFrame(rows, columns=[*columns, "df", "n", "suppressed", "warning"])
    if family is LOGISTIC:
        table["odds_ratio"] = np.exp(table["estimate"])
        table["or_ci_low"] = np.exp(table["ci_low"])
        table["or_ci_high"] = np.exp(table["ci_high"])
        columns += ["odds_ratio", "or_ci_low", "or_ci_high"]
    elif family is POISSON:
        table["rate_ratio"] = np.exp(table["estimate"])
        table["rr_ci_low"] = np.exp(table["ci_low"])
        table["rr_ci_high"] = np.exp(table["ci_high"])
        columns += ["rate_ratio", "rr_ci_low", "rr_ci_high"]
    columns += ["df", "n", "suppressed", "warning"]
    table = table[columns]
    table["n"] = table["n"].astype("int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    table["warning"] = table["warning"].astype(pd.StringDtype())
    return table
