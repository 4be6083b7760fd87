"""Survey-weighted regression with design-based standard errors: logistic and linear.

:func:`logistic` reproduces R ``survey::svyglm(formula, design, family = quasibinomial())``
and :func:`linear` reproduces ``svyglm(formula, design, family = gaussian())``; both with
``summary()`` for the p-values and ``confint()`` for the intervals. ``tests/reference/models.R``
computes the reference values that the tests pin to 1e-8 relative.

Method (Binder 1983; Lumley 2010, *Complex Surveys*, sec. 5.2):

1. Point estimates: the weighted maximum-likelihood fit (iteratively reweighted least squares,
   statsmodels ``GLM`` with the survey weights as variance weights, converged on the
   coefficients to 1e-12 relative; ``svyglm`` is ``glm`` with the weights rescaled to mean 1,
   which does not change the coefficients).
2. Variance: the sandwich ``A^-1 B A^-1`` at the final coefficients, with
   ``A = X' diag(w v(mu)) X`` and ``B`` the design-based covariance of the per-row scores
   ``w (y - mu) x``: scores are summed to PSU totals, centred within strata, and summed as
   ``sum_h (1 - f_h) n_h / (n_h - 1) sum_i (z_hi - zbar_h)(z_hi - zbar_h)'`` (R ``svyrecvar``,
   with-replacement at the first stage, ``n_h`` counting the PSUs of the full design).
   Lonely PSUs follow R ``options(survey.lonely.psu=)``: ``adjust`` leaves a single PSU's total
   uncentred (deviation from 0, the grand mean of the scores), ``remove`` and ``certainty``
   give it no variance, ``average`` scales the other strata up by the number of strata over
   the number with two or more PSUs.
3. Degrees of freedom: ``df = PSUs - strata (counting only those with rows in the fit)
   + 1 - number of coefficients`` (``svyglm``'s ``df.residual``). p-values are two-sided on
   ``t(df)`` (``summary.svyglm``) and intervals are ``estimate +- qt(1 - (1 - level)/2, df) se``
   (``confint.svyglm``, method Wald, which uses the t quantile too).

Domains and missing values: a row outside the ``by`` domain, or with a missing value in any
variable of the formula, leaves the fit but keeps its PSU and stratum, as ``svyglm`` on
``subset(design, ...)`` with ``na.action = na.omit`` does. R drops those rows from the design,
which leaves the stratum PSU counts unchanged but lowers the degrees of freedom when a PSU
loses all its rows; the same holds here. Unused categories are dropped within each fit, as
``glm``'s ``drop.unused.levels = TRUE`` does, so a domain with no one in a category has no
coefficient for it.

Problems are reported per fit, not raised, so that one bad domain does not stop a table:
a fit on fewer than ``min_n`` respondents is not attempted (``suppressed=True``); a
coefficient that is a linear combination of earlier ones is aliased (``NaN``, as R's ``NA``);
a logistic fit with fitted probabilities numerically 0 or 1 (separation) or one that does not
converge has all its estimates blanked. The ``warning`` column says which, and a Python
:class:`ModelWarning` is issued. Bad input (unknown variable, non-binary logistic outcome,
malformed formula) raises :class:`~cbss_analysis.errors.EstimationError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from scipy import stats
from scipy.special import expit
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from cbss_analysis.domains import domain_rows
from cbss_analysis.errors import EstimationError
from cbss_analysis.variance import CERTAINTY_TOLERANCE

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.design import DesignArrays
    from cbss_analysis.survey import Survey

MIN_N = 30
_ALIAS_TOLERANCE = 1e-7
_FIT_RTOL = 1e-12
_FIT_ATOL = 1e-14
_MAX_ITERATIONS = 100
_SEPARATION_EPS = 10 * np.finfo(float).eps
CODES_FUNCTION = "codes"


class ModelWarning(UserWarning):
    """A model fit that needs attention: separation, non-convergence or aliased terms."""


@dataclass(frozen=True)
class _Family:
    name: str
    statsmodels_family: str

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return mu * (1.0 - mu) if self.name == "logistic" else np.ones_like(mu)


_LOGISTIC = _Family("logistic", "Binomial")
_LINEAR = _Family("linear", "Gaussian")


def logistic(
    survey: Survey, formula: str, by: str | Sequence[str] | None = None, level: float = 0.95, min_n: int = MIN_N
) -> pd.DataFrame:
    """Survey-weighted logistic regression with design-based standard errors.

    Reproduces R ``svyglm(formula, design, family = quasibinomial())`` with ``summary()`` and
    ``confint()``; see the module docstring for the method.

    Parameters
    ----------
    survey : Survey
        The survey and its design.
    formula : str
        A formulaic formula, e.g. ``"cyberbullied ~ age + C(sex)"``. Names are columns of
        ``survey.data`` or indicator ids of its codebook; the outcome must be 0/1.
        Categorical columns enter as treatment contrasts against their first category;
        ``codes(item)`` enters a labelled item by its codebook codes, as one number
        (e.g. agreement 1-5); formulaic's transforms (``np.log``, ``center``, ...) work too.
    by : str or sequence of str, optional
        Columns of ``survey.data`` defining domains: one fit per domain, as a subpopulation.
    level : float
        Confidence level of the intervals.
    min_n : int
        Fits on fewer respondents (complete cases in the domain) are suppressed.

    Returns
    -------
    pandas.DataFrame
        One row per domain and term: ``outcome``, the ``by`` columns, ``term``, ``estimate``
        (log-odds coefficient), ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``odds_ratio``,
        ``or_ci_low``, ``or_ci_high``, ``df``, ``n``, ``suppressed``, ``warning``.
        ``attrs``: ``synthetic``, ``kind`` ("logistic"), ``formula``, ``level``, ``min_n``.

    Raises
    ------
    EstimationError
        Malformed formula, unknown variable, outcome not 0/1, ``by`` column not in the data.
    """
    return _regression(survey, formula, _LOGISTIC, by, level, min_n)


def linear(
    survey: Survey, formula: str, by: str | Sequence[str] | None = None, level: float = 0.95, min_n: int = MIN_N
) -> pd.DataFrame:
    """Survey-weighted linear regression with design-based standard errors.

    Reproduces R ``svyglm(formula, design, family = gaussian())`` with ``summary()`` and
    ``confint()``; see the module docstring for the method.

    Parameters
    ----------
    survey : Survey
        The survey and its design.
    formula : str
        A formulaic formula, e.g. ``"api00 ~ ell + meals + C(stype)"``; names are columns of
        ``survey.data`` or indicator ids of its codebook; the outcome must be numeric.
        Terms as in :func:`logistic` (``codes(item)`` for an item's codes as a number).
    by : str or sequence of str, optional
        Columns of ``survey.data`` defining domains: one fit per domain, as a subpopulation.
    level : float
        Confidence level of the intervals.
    min_n : int
        Fits on fewer respondents (complete cases in the domain) are suppressed.

    Returns
    -------
    pandas.DataFrame
        As :func:`logistic` without the odds-ratio columns; ``attrs["kind"]`` is "linear".

    Raises
    ------
    EstimationError
        Malformed formula, unknown variable, non-numeric outcome, ``by`` column not in the data.
    """
    return _regression(survey, formula, _LINEAR, by, level, min_n)


def _regression(
    survey: Survey, formula: str, family: _Family, by: str | Sequence[str] | None, level: float, min_n: int
) -> pd.DataFrame:
    if not 0 < level < 1:
        raise EstimationError(f"level={level!r} must be between 0 and 1 (e.g. 0.95)")
    by_columns = _by_columns(survey, by)
    outcome, frame = _model_variables(survey, formula)
    _check_outcome(frame[outcome], outcome, family)
    complete = frame.notna().all(axis=1).to_numpy()
    if not complete.any():
        raise EstimationError(
            f"formula {formula!r}: no respondent has a value on every model variable ({', '.join(frame.columns)})"
        )
    arrays = survey.design_arrays()
    context = _formula_context(survey)
    all_terms = _design_matrix(frame, formula, complete, context)[2]
    rows: list[dict] = []
    for key, members in domain_rows(survey.data, by_columns):
        in_fit = np.zeros(len(frame), dtype=bool)
        in_fit[members] = True
        in_fit &= complete
        fit_rows = _fit_domain(frame, formula, family, in_fit, arrays, context, all_terms, level, min_n)
        labels = dict(zip(by_columns, key))
        rows.extend({"outcome": outcome, **labels, **row} for row in fit_rows)
    table = _table(rows, by_columns, family)
    table.attrs.update(
        {"synthetic": bool(survey.synthetic), "kind": family.name, "formula": formula, "level": level, "min_n": min_n}
    )
    flagged = table.loc[table["warning"].notna(), "warning"].unique()
    for message in flagged:
        warnings.warn(f"{family.name} model {formula!r}: {message}", ModelWarning, stacklevel=3)
    return table


def _by_columns(survey: Survey, by: str | Sequence[str] | None) -> list[str]:
    columns = [by] if isinstance(by, str) else list(by or [])
    for name in columns:
        if name not in survey.data.columns:
            raise EstimationError(f"by variable {name!r} is not a column of the survey data")
    return columns


def _parse(formula: str):
    if not isinstance(formula, str) or "~" not in formula:
        raise EstimationError(f"formula {formula!r} must be a string 'outcome ~ terms', e.g. 'cyberbullied ~ C(sex)'")
    try:
        parsed = Formula(formula)
        lhs = parsed.lhs
    except Exception as error:  # formulaic raises several parser exception types
        raise EstimationError(f"formula {formula!r} cannot be parsed: {error}") from error
    return parsed, lhs


def _model_variables(survey: Survey, formula: str) -> tuple[str, pd.DataFrame]:
    """The outcome name and a frame of every variable the formula reads, in analysis form."""
    parsed, lhs = _parse(formula)
    lhs_variables = sorted(str(v) for v in lhs.required_variables)
    if len(lhs_variables) != 1 or len(lhs) != 1 or str(lhs[0]) != lhs_variables[0]:
        raise EstimationError(f"formula {formula!r}: the outcome must be one variable name (an indicator id or a column)")
    outcome = lhs_variables[0]
    names = sorted(str(v) for v in parsed.required_variables if str(v) != CODES_FUNCTION)
    columns = {name: _variable(survey, name, formula) for name in names}
    return outcome, pd.DataFrame(columns, index=survey.data.index)


def _formula_context(survey: Survey) -> dict:
    """Functions a formula may call besides formulaic's own (``C``, ``np``, ``log``, ...)."""

    def codes(column: pd.Series) -> pd.Series:
        if not isinstance(column.dtype, pd.CategoricalDtype):
            raise EstimationError(f"codes({column.name}): {column.name!r} is not a labelled variable; use it directly")
        return survey.codes(str(column.name)).loc[column.index]

    return {CODES_FUNCTION: codes}


def _variable(survey: Survey, name: str, formula: str) -> pd.Series:
    data = survey.data
    if name in data.columns:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(column.dtype):
            return column
        if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
            return pd.Series(column.to_numpy(dtype=np.float64, na_value=np.nan), index=data.index, name=name)
        raise EstimationError(f"variable {name!r} in formula {formula!r} has dtype {column.dtype}, neither numeric nor categorical")
    codebook = survey.codebook
    if codebook is not None and name in codebook.indicators:
        return survey.values(name)
    raise EstimationError(
        f"variable {name!r} in formula {formula!r} is neither a column of the survey data nor an indicator id "
        "of its codebook; check the spelling"
    )


def _check_outcome(values: pd.Series, outcome: str, family: _Family) -> None:
    if not pd.api.types.is_float_dtype(values.dtype):
        raise EstimationError(
            f"outcome {outcome!r} is categorical; a {family.name} model needs a numeric outcome "
            "(use a 0/1 indicator of the codebook or a numeric column)"
        )
    present = values.dropna().to_numpy()
    if np.isinf(present).any():
        raise EstimationError(f"outcome {outcome!r} has infinite values")
    if family is _LOGISTIC:
        other = np.unique(present[(present != 0.0) & (present != 1.0)])
        if other.size:
            shown = ", ".join(f"{v:g}" for v in other[:5])
            raise EstimationError(
                f"outcome {outcome!r} of a logistic model must be 0/1 but has the value(s) {shown}; "
                "use a 0/1 indicator of the codebook"
            )


def _design_matrix(
    frame: pd.DataFrame, formula: str, in_fit: np.ndarray, context: dict
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Outcome vector, model matrix and term names on the rows of one fit (unused categories dropped)."""
    rows = frame.loc[in_fit].copy()
    for name in rows.columns:
        if isinstance(rows[name].dtype, pd.CategoricalDtype):
            rows[name] = rows[name].cat.remove_unused_categories()
    try:
        matrices = model_matrix(formula, rows, na_action="ignore", context=context)
    except EstimationError:
        raise
    except Exception as error:  # formulaic raises several evaluation exception types
        raise EstimationError(f"formula {formula!r} cannot be evaluated on the survey data: {error}") from error
    y = matrices.lhs.to_numpy(dtype=np.float64).ravel()
    x = matrices.rhs.to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise EstimationError(f"formula {formula!r} gives missing or infinite values in the model matrix (e.g. log of 0)")
    return y, x, [str(c) for c in matrices.rhs.columns]


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
        if norm == 0.0 or np.linalg.norm(column) <= _ALIAS_TOLERANCE * norm:
            aliased[j] = True
        else:
            kept.append(j)
    return aliased


def _fit_domain(
    frame: pd.DataFrame,
    formula: str,
    family: _Family,
    in_fit: np.ndarray,
    arrays: DesignArrays,
    context: dict,
    all_terms: list[str],
    level: float,
    min_n: int,
) -> list[dict]:
    """Fit one domain and return one row (dict) per term (the terms of the whole data when suppressed)."""
    n = int(in_fit.sum())
    blank = {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "df": np.nan}
    if n < max(min_n, 1):
        return [{"term": t, **blank, "n": n, "suppressed": True, "warning": None} for t in all_terms]
    y, x, terms = _design_matrix(frame, formula, in_fit, context)
    weight = arrays.weight[in_fit]
    weight = weight / weight.mean()
    aliased = _aliased(x, weight)
    kept = ~aliased
    coef, problem = _coefficients(y, x[:, kept], weight, family)
    if problem is not None:
        return [{"term": t, **blank, "n": n, "suppressed": False, "warning": problem} for t in terms]
    influence = _influence(y, x[:, kept], weight, coef, family)
    full = np.zeros((in_fit.size, influence.shape[1]))
    full[in_fit] = influence
    covariance = design_covariance(full, arrays, in_fit)
    df = _residual_df(arrays, in_fit, int(kept.sum()))
    estimate = np.full(len(terms), np.nan)
    se = np.full(len(terms), np.nan)
    estimate[kept] = coef
    se[kept] = np.sqrt(np.diag(covariance))
    low, high, p_value = _inference(estimate, se, df, level)
    note = f"aliased term(s) {', '.join(t for t, a in zip(terms, aliased) if a)}: no estimate" if aliased.any() else None
    return [
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


def _coefficients(y: np.ndarray, x: np.ndarray, weight: np.ndarray, family: _Family) -> tuple[np.ndarray, str | None]:
    """Weighted ML coefficients by IRLS (statsmodels), or a problem description."""
    model = GLM(y, x, family=getattr(families, family.statsmodels_family)(), var_weights=weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = model.fit(
            method="IRLS", maxiter=_MAX_ITERATIONS, tol_criterion="params", atol=_FIT_ATOL, rtol=_FIT_RTOL
        )
    coef = np.asarray(result.params, dtype=np.float64)
    if family is _LOGISTIC:
        mu = expit(x @ coef)
        if ((mu < _SEPARATION_EPS) | (mu > 1.0 - _SEPARATION_EPS)).any():
            return coef, "separation: fitted probabilities numerically 0 or 1; no estimates"
    if not result.converged or not np.isfinite(coef).all():
        return coef, f"not converged in {_MAX_ITERATIONS} iterations; no estimates"
    return coef, None


def _influence(y: np.ndarray, x: np.ndarray, weight: np.ndarray, coef: np.ndarray, family: _Family) -> np.ndarray:
    """Per-row influence ``w (y - mu) x' A^-1`` at the final coefficients (R ``svy.varcoef``)."""
    eta = x @ coef
    mu = expit(eta) if family is _LOGISTIC else eta
    scores = x * (weight * (y - mu))[:, None]
    information = x.T @ (x * (weight * family.variance(mu))[:, None])
    return np.linalg.solve(information, scores.T).T


def design_covariance(scores: np.ndarray, arrays: DesignArrays, in_fit: np.ndarray) -> np.ndarray:
    """Design-based covariance of the column totals of ``scores`` (R ``svyrecvar``, first stage).

    Parameters
    ----------
    scores : ndarray, shape (n, p)
        Per-row influence values over all rows of the survey; zero outside the fit.
    arrays : DesignArrays
        The survey design.
    in_fit : ndarray of bool, shape (n,)
        Rows of the fit (their strata are the ones R's subsetted design keeps; this matters
        only for ``lonely_psu="average"``).

    Returns
    -------
    ndarray, shape (p, p)
        ``sum_h (1 - f_h) n_h / (n_h - 1) sum_i (z_hi - zbar_h)(z_hi - zbar_h)'`` over strata,
        with PSU totals ``z_hi`` and ``n_h`` the stratum's PSUs in the full design; certainty
        strata (``1 - f_h < 1e-7``) contribute nothing and lonely PSUs follow R's
        ``survey.lonely.psu`` (see the module docstring). The full matrix, where
        :func:`cbss_analysis.variance.psu_variance` gives variances only.
    """
    p = scores.shape[1]
    totals = np.column_stack([np.bincount(arrays.psu, weights=scores[:, j], minlength=arrays.n_psus) for j in range(p)])
    n_h = arrays.n_psu.astype(np.float64)
    stratum_sums = np.zeros((arrays.n_strata, p))
    np.add.at(stratum_sums, arrays.psu_stratum, totals)
    lonely = arrays.n_psu == 1
    centre = stratum_sums / n_h[:, None]
    if arrays.lonely_psu == "adjust":
        centre[lonely] = 0.0
    deviations = totals - centre[arrays.psu_stratum]
    finite_population = 1.0 - arrays.fpc_fraction
    certainty = finite_population < CERTAINTY_TOLERANCE
    scale = np.where(lonely, finite_population, finite_population * n_h / np.maximum(n_h - 1.0, 1.0))
    scale[certainty] = 0.0
    weighted = deviations * np.sqrt(scale[arrays.psu_stratum])[:, None]
    covariance = weighted.T @ weighted
    if arrays.lonely_psu == "average":
        present = np.zeros(arrays.n_strata, dtype=bool)
        present[arrays.stratum[in_fit]] = True
        n_present = int(present.sum())
        n_ok = int((present & ~(lonely & ~certainty)).sum())
        covariance = covariance * (n_present / n_ok) if n_ok else covariance * np.nan
    return covariance


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


def _table(rows: list[dict], by_columns: list[str], family: _Family) -> pd.DataFrame:
    columns = ["outcome", *by_columns, "term", "estimate", "se", "ci_low", "ci_high", "p_value"]
    table = pd.DataFrame(rows, columns=[*columns, "df", "n", "suppressed", "warning"])
    if family is _LOGISTIC:
        table["odds_ratio"] = np.exp(table["estimate"])
        table["or_ci_low"] = np.exp(table["ci_low"])
        table["or_ci_high"] = np.exp(table["ci_high"])
        columns += ["odds_ratio", "or_ci_low", "or_ci_high"]
    columns += ["df", "n", "suppressed", "warning"]
    table = table[columns]
    table["n"] = table["n"].astype("int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    table["warning"] = table["warning"].astype(pd.StringDtype())
    return table
