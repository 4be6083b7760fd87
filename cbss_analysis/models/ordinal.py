"""Survey-weighted proportional-odds (ordinal logistic) regression, R ``svyolr``.

The model for an outcome with ordered categories ``1 .. K`` is
``P(Y <= k | x) = expit(zeta_k - x' beta)`` (``k = 1 .. K-1``; no intercept: the thresholds
``zeta`` take its place), as R ``svyolr(formula, design)`` and ``MASS::polr`` parameterise it.

Method:

1. Point estimates: the maximum of the weighted log-likelihood ``sum_i w_i log(expit(zeta_{y_i} -
   eta_i) - expit(zeta_{y_i - 1} - eta_i))`` by Newton-Raphson with the analytic gradient and
   Hessian (the log-likelihood is concave), from ``beta = 0`` and the thresholds of the weighted
   marginal distribution, to a relative step of 1e-13.
2. Variance: the sandwich of R ``svyolr``: influence ``score_i H^-1`` (``H``: Hessian of the
   log-likelihood in ``(beta, zeta)``) and its design covariance
   (:func:`cbss_analysis._engine.variance.design_covariance`, R ``svyrecvar``).
3. Degrees of freedom: ``PSUs - strata (with rows in the fit) - number of coefficients``
   (R ``svyolr``'s ``df.residual``: the thresholds are not counted); p-values two-sided on
   ``t(df)``, intervals ``estimate -/+ qt(1 - (1 - level)/2, df) se`` for coefficients and
   thresholds alike (R has no ``confint`` method for ``svyolr``; its default would be normal).

**R's reported SEs.** ``svyolr`` takes ``H`` from ``optim(hessian = TRUE)``: a finite-difference
Hessian (``ndeps = 1e-3``) on its internal ``(beta, zeta_1, log(diff(zeta)))`` scale, mapped back.
That rough Hessian moves R's SEs (and ``regTermTest`` F values) in the fourth significant digit;
with ``ndeps = 1e-6`` they agree with the exact sandwich here to about 1e-8
(``tests/reference/verbs.R`` records both, and the exact optimum). This module reports the exact
sandwich. R's BFGS optimum also stops early (about 1e-9 relative); the Newton optimum here is the
exact maximum.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from cbss_analysis._engine.domains import domain_rows
from cbss_analysis._engine.variance import design_covariance
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate.linearization import refuse_calibrated_taylor
from cbss_analysis.models.fitting import _aliased
from cbss_analysis.models.formula import design_matrix_terms, formula_context, model_variables
from cbss_analysis.models.replication import domain_degf, replicate_fits
from cbss_analysis.models.results import FITS_ATTR, FitsRef, ModelFit, ModelFits, ModelWarning
from cbss_analysis.survey.variance_words import variance_method

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey import DesignArrays, Survey
    from cbss_analysis.survey.replicates import ReplicateArrays

MAX_ITERATIONS = 100
STEP_TOLERANCE = 1e-13
INTERCEPT = "Intercept"
COLUMNS = ["term", "parameter", "estimate", "se", "ci_low", "ci_high", "p_value", "odds_ratio", "or_ci_low",
           "or_ci_high", "df", "n", "suppressed", "warning"]


def ordinal(
    survey: Survey, formula: str, by: str | Sequence[str] | None = None, level: float = 0.95, min_n: int = DEFAULT_MIN_N
) -> pd.DataFrame:
    """Survey-weighted proportional-odds regression of an ordered categorical outcome.

    Reproduces R ``svyolr(formula, design)`` (logistic link): coefficients and thresholds with
    design-based SEs; see the module docstring for the method and for how R's own SEs differ.

    Parameters
    ----------
    survey : Survey
        The survey and its design.
    formula : str
        A formulaic formula, e.g. ``"agreement ~ age + C(sex)"``. The outcome is a categorical
        column whose category order is the order of the outcome (a labelled codebook item; at
        least three categories with respondents in each fit). The formula keeps its intercept,
        which the thresholds replace (as R ``svyolr`` does). Terms as in :func:`logistic`.
    by : str or sequence of str, optional
        Columns of ``survey.data`` defining domains: one fit per domain, as a subpopulation.
    level : float
        Confidence level of the intervals.
    min_n : int
        Fits on fewer respondents (complete cases in the domain) are suppressed.

    Returns
    -------
    pandas.DataFrame
        One row per domain and parameter: ``outcome``, the by columns, ``term`` (coefficient
        names as in :func:`logistic`, then thresholds ``"low|mid"``, ...), ``parameter``
        (``"coefficient"`` or ``"threshold"``), ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``odds_ratio``, ``or_ci_low``, ``or_ci_high`` (cumulative odds ratios of a
        higher category, for coefficients), ``df``, ``n``, ``suppressed``, ``warning``.
        ``attrs``: ``synthetic``, ``kind="ordinal"``, ``formula``, ``level``, ``min_n``, ``by``,
        and the fits for :func:`wald_test`.

    Raises
    ------
    EstimationError
        Malformed formula, unknown variable, an outcome that is not categorical or has fewer
        than three categories, a formula without intercept, ``by`` column not in the data.
    """
    function = "ordinal"
    level = checks.level(level, function)
    min_n = checks.min_n(min_n, function)
    by_columns = [checks.column(c, survey.data.columns, function) for c in checks.names(by, "by", function)]
    outcome, frame = model_variables(survey, formula)
    if not isinstance(frame[outcome].dtype, pd.CategoricalDtype):
        raise EstimationError(
            f"outcome {outcome!r} of an ordinal model must be categorical (ordered categories) but has dtype {frame[outcome].dtype}"
        )
    complete = frame.notna().all(axis=1).to_numpy()
    if not complete.any():
        raise EstimationError(
            f"formula {formula!r}: no respondent has a value on every model variable ({', '.join(frame.columns)})"
        )
    categories = [str(c) for c in frame.loc[complete, outcome].cat.remove_unused_categories().cat.categories]
    if len(categories) < 3:
        raise EstimationError(f"outcome {outcome!r} of an ordinal model needs at least 3 categories with respondents; it has {len(categories)}")
    refuse_calibrated_taylor(survey, 'ordinal')
    arrays = survey.design_arrays()
    context = formula_context(survey)
    _, _, all_columns, all_labels = design_matrix_terms(frame, formula, complete, context, outcome=False)
    if INTERCEPT not in all_columns:
        raise EstimationError(f"formula {formula!r}: an ordinal model needs the intercept (its thresholds replace it); remove '- 1' / '+ 0'")
    all_terms = [c for c in all_columns if c != INTERCEPT]
    all_terms_labels = [t for c, t in zip(all_columns, all_labels) if c != INTERCEPT]
    thresholds = _threshold_names(categories)
    rows: list[dict] = []
    fits: list[ModelFit] = []
    for key, members in domain_rows(survey.data, by_columns):
        in_fit = np.zeros(len(frame), dtype=bool)
        in_fit[members] = True
        in_fit &= complete
        fit_rows, fit = _fit_domain(frame, formula, outcome, in_fit, arrays, context, level, min_n, key,
                                    (all_terms, all_terms_labels, thresholds), survey.replicates,
                                    domain_degf(survey, members, bool(by_columns)))
        labels = dict(zip(by_columns, key))
        rows.extend({"outcome": outcome, **labels, **row} for row in fit_rows)
        fits.append(fit)
    table = pd.DataFrame(rows, columns=["outcome", *by_columns, *COLUMNS])
    table["n"] = table["n"].astype("int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    table["warning"] = table["warning"].astype(pd.StringDtype())
    table["parameter"] = table["parameter"].astype(pd.StringDtype())
    table.attrs.update({
        "synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": "ordinal", "formula": formula, "level": level, "min_n": min_n,
        "by": list(by_columns), FITS_ATTR: FitsRef(ModelFits("ordinal", formula, outcome, tuple(by_columns), tuple(fits))),
    })
    for message in table.loc[table["warning"].notna(), "warning"].unique():
        warnings.warn(f"ordinal model {formula!r}: {message}", ModelWarning, stacklevel=2)
    return table


def _threshold_names(categories: list[str]) -> list[str]:
    return [f"{a}|{b}" for a, b in itertools.pairwise(categories)]


def _fit_domain(
    frame: pd.DataFrame, formula: str, outcome: str, in_fit: np.ndarray, arrays: DesignArrays, context: dict,
    level: float, min_n: int, key: tuple, whole: tuple[list[str], list[str], list[str]],
    replicates: ReplicateArrays | None = None, design_df: int | None = None,
) -> tuple[list[dict], ModelFit]:
    """One domain's fit: one row (dict) per coefficient and threshold, and its ModelFit."""
    n = int(in_fit.sum())
    all_terms, all_labels, all_thresholds = whole
    blank = {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "df": np.nan}

    def empty(columns: list[str], labels: list[str], thresholds: list[str], suppressed: bool, warning: str | None):
        rows = [{"term": t, "parameter": kind, **blank, "n": n, "suppressed": suppressed, "warning": warning}
                for t, kind in [*((c, "coefficient") for c in columns), *((z, "threshold") for z in thresholds)]]
        return _with_ratios(rows), ModelFit.empty(key, [*columns, *thresholds], [*labels, *[""] * len(thresholds)])

    if n < max(min_n, 1):
        return empty(all_terms, all_labels, all_thresholds, True, None)
    _, x_full, columns, labels = design_matrix_terms(frame, formula, in_fit, context, outcome=False)
    response = frame.loc[in_fit, outcome].cat.remove_unused_categories()
    y = response.cat.codes.to_numpy().astype(np.int64)
    thresholds = _threshold_names([str(c) for c in response.cat.categories])
    keep_columns = [j for j, c in enumerate(columns) if c != INTERCEPT]
    columns = [columns[j] for j in keep_columns]
    labels = [labels[j] for j in keep_columns]
    if len(thresholds) < 2:
        return empty(columns, labels, thresholds, False, "fewer than 3 outcome categories in the domain; no estimates")
    weight = arrays.weight[in_fit]
    weight = weight / weight.mean()
    with_intercept = np.column_stack([np.ones(n), x_full[:, keep_columns]])
    aliased = _aliased(with_intercept, weight)[1:]
    x = x_full[:, keep_columns][:, ~aliased]
    par, converged = _maximise(x, y, weight, len(thresholds))
    if not converged:
        return empty(columns, labels, thresholds, False, f"not converged in {MAX_ITERATIONS} iterations; no estimates")
    if replicates is None:
        score, hessian = _derivatives(par, x, y, weight, len(thresholds))
        influence = np.linalg.solve(-hessian, score.T).T  # score_i H^-1 (H symmetric)
        full = np.zeros((in_fit.size, influence.shape[1]))
        full[in_fit] = influence
        covariance = design_covariance(full, arrays, in_fit)
        psus = np.unique(arrays.psu[in_fit]).size
        strata = np.unique(arrays.stratum[in_fit]).size
        df = float(psus - strata - x.shape[1])
    else:  # R svyolr.svyrep.design: polr per replicate from the full-sample fit, df = degf - coefficients
        covariance, converged = replicate_fits(
            lambda w, start: _maximise(x, y, w, len(thresholds), start), replicates.replicates[in_fit], par, replicates
        )
        if not converged:
            return empty(columns, labels, thresholds, False, f"a replicate refit did not converge in {MAX_ITERATIONS} "
                         "iterations; no estimates")
        df = float(design_df - x.shape[1])
    kept = np.concatenate([~aliased, np.ones(len(thresholds), dtype=bool)])
    names = [*columns, *thresholds]
    estimate = np.full(len(names), np.nan)
    estimate[kept] = par
    full_cov = np.full((len(names), len(names)), np.nan)
    full_cov[np.ix_(kept, kept)] = covariance
    se = np.sqrt(np.diag(full_cov))
    if df > 0:
        quantile = stats.t.ppf(1.0 - (1.0 - level) / 2.0, df)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_value = 2.0 * stats.t.sf(np.abs(estimate / se), df)
        low, high = estimate - quantile * se, estimate + quantile * se
    else:
        p_value = low = high = np.full(len(names), np.nan)
    note = f"aliased term(s) {', '.join(c for c, a in zip(columns, aliased) if a)}: no estimate" if aliased.any() else None
    rows = [
        {"term": name, "parameter": "coefficient" if j < len(columns) else "threshold", "estimate": estimate[j],
         "se": se[j], "ci_low": low[j], "ci_high": high[j], "p_value": p_value[j], "df": df, "n": n,
         "suppressed": False, "warning": note}
        for j, name in enumerate(names)
    ]
    return _with_ratios(rows), ModelFit(key, tuple(names), (*labels, *[""] * len(thresholds)), estimate, full_cov, df)


def _with_ratios(rows: list[dict]) -> list[dict]:
    """Cumulative odds ratios ``exp(estimate)`` and their interval, for coefficients only."""
    for row in rows:
        coefficient = row["parameter"] == "coefficient"
        for target, source in (("odds_ratio", "estimate"), ("or_ci_low", "ci_low"), ("or_ci_high", "ci_high")):
            row[target] = float(np.exp(row[source])) if coefficient else np.nan
    return rows


def _log_likelihood(par: np.ndarray, x: np.ndarray, y: np.ndarray, weight: np.ndarray, q: int) -> float:
    zeta = par[x.shape[1]:]
    if np.any(np.diff(zeta) <= 0):
        return -np.inf
    eta = x @ par[: x.shape[1]]
    bounds = np.concatenate([[-np.inf], zeta, [np.inf]])
    prob = expit(bounds[y + 1] - eta) - expit(bounds[y] - eta)
    if np.any(prob <= 0):
        return -np.inf
    return float(np.sum(weight * np.log(prob)))


def _derivatives(par: np.ndarray, x: np.ndarray, y: np.ndarray, weight: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row scores (n, p + q) and the Hessian (p + q, p + q) of the weighted log-likelihood."""
    n, p = x.shape
    zeta = par[p:]
    eta = x @ par[:p]
    bounds = np.concatenate([[-np.inf], zeta, [np.inf]])
    a = bounds[y + 1] - eta
    b = bounds[y] - eta
    fa_cdf, fb_cdf = expit(a), expit(b)
    fa, fb = fa_cdf * (1.0 - fa_cdf), fb_cdf * (1.0 - fb_cdf)
    dfa, dfb = fa * (1.0 - 2.0 * fa_cdf), fb * (1.0 - 2.0 * fb_cdf)
    prob = fa_cdf - fb_cdf
    upper = np.zeros((n, q))  # d a / d zeta: the threshold above the category
    has_upper = y < q
    upper[np.flatnonzero(has_upper), y[has_upper]] = 1.0
    lower = np.zeros((n, q))
    has_lower = y > 0
    lower[np.flatnonzero(has_lower), y[has_lower] - 1] = 1.0
    da = np.column_stack([-x, upper])
    db = np.column_stack([-x, lower])
    score = (weight * fa / prob)[:, None] * da - (weight * fb / prob)[:, None] * db
    laa = weight * (dfa / prob - fa**2 / prob**2)
    lbb = weight * (-dfb / prob - fb**2 / prob**2)
    lab = weight * fa * fb / prob**2
    cross = da.T @ (lab[:, None] * db)
    hessian = da.T @ (laa[:, None] * da) + db.T @ (lbb[:, None] * db) + cross + cross.T
    return score, hessian


def _maximise(x: np.ndarray, y: np.ndarray, weight: np.ndarray, q: int, start: np.ndarray | None = None
              ) -> tuple[np.ndarray, bool]:
    """Newton-Raphson with step halving on the concave log-likelihood; (parameters, converged).

    ``start``: the first parameters (else zero slopes and the marginal thresholds)."""
    if start is None:
        share = np.bincount(y, weights=weight, minlength=q + 1) / weight.sum()
        cumulative = np.clip(np.cumsum(share)[:q], 1e-10, 1.0 - 1e-10)
        par = np.concatenate([np.zeros(x.shape[1]), np.log(cumulative / (1.0 - cumulative))])
    else:
        par = start.copy()
    current = _log_likelihood(par, x, y, weight, q)
    for _ in range(MAX_ITERATIONS):
        score, hessian = _derivatives(par, x, y, weight, q)
        try:
            step = np.linalg.solve(hessian, score.sum(axis=0))
        except np.linalg.LinAlgError:
            return par, False
        size = 1.0
        while size > 1e-10:
            candidate = par - size * step
            value = _log_likelihood(candidate, x, y, weight, q)
            if value >= current - 1e-12 * abs(current):
                break
            size /= 2.0
        else:
            return par, False
        par, current = candidate, value
        if np.max(np.abs(size * step) / (1.0 + np.abs(par))) < STEP_TOLERANCE:
            return par, bool(np.all(np.isfinite(par)))
    return par, False
