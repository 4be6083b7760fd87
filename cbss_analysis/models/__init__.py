"""Survey-weighted regression with design-based standard errors: logistic, linear, poisson, ordinal; Wald tests.

:func:`logistic` reproduces R ``survey::svyglm(formula, design, family = quasibinomial())``,
:func:`linear` ``svyglm(formula, design, family = gaussian())`` and :func:`poisson`
``svyglm(formula, design, family = quasipoisson())``; all with ``summary()`` for the p-values
and ``confint()`` for the intervals. :func:`ordinal` reproduces ``svyolr`` (proportional odds,
:mod:`cbss_analysis.models.ordinal`) and :func:`wald_test` ``regTermTest`` on any of them
(:mod:`cbss_analysis.models.tests`). ``tests/reference/models.R`` and ``verbs.R`` compute the
reference values that the tests pin to 1e-8 relative.

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

Replicate-weight designs (R ``svyglm.svyrep.design``, ``svyolr.svyrep.design``; a calibrated
replicate survey too): the coefficients are the full-sample fit; each replicate refits the model
with its analysis weights from those coefficients, and the covariance is R ``svrVar`` of the
replicate coefficients (:mod:`cbss_analysis.models.replication`); ``df = degf + 1 - rank``
(``svyolr``: ``degf - coefficients``), ``degf`` being that of the domain's replicate design
(``tests/reference/replicates.R``, ``replicates_models.R``). Calibrated Taylor surveys are refused.

Domains and missing values: a row outside the ``by`` domain or the survey's subset
(:meth:`~cbss_analysis.survey.Survey.subset`), with a zero weight, or with a missing value in any
variable of the formula, leaves the fit but keeps its PSU and stratum, as ``svyglm`` on
``subset(design, ...)`` with ``na.action = na.omit`` does. R drops those rows from the design,
which leaves the stratum PSU counts unchanged but lowers the degrees of freedom when a PSU
loses all its rows; the same holds here. Unused categories are dropped within each fit, as
``glm``'s ``drop.unused.levels = TRUE`` does, so a domain with no one in a category has no
coefficient for it.

Problems are reported per fit, not raised, so that one bad domain does not stop a table:
a fit on fewer than ``min_n`` respondents is not attempted (``suppressed=True``, its ``n`` hidden,
and the margin rule of :mod:`cbss_analysis.disclosure` may suppress another domain's fit so that
the suppressed counts cannot be recovered from the whole-sample fit); a
coefficient that is a linear combination of earlier ones is aliased (``NaN``, as R's ``NA``);
a logistic fit with fitted probabilities numerically 0 or 1 (separation) or one that does not
converge has all its estimates blanked. The ``warning`` column says which, and a Python
:class:`ModelWarning` is issued. Bad input (unknown variable, non-binary logistic outcome,
malformed formula) raises :class:`~cbss_analysis.errors.EstimationError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbss_analysis._engine.domains import domain_rows
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.common.text import snippet
from cbss_analysis.disclosure import suppress_rows
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate.linearization import refuse_calibrated_taylor
from cbss_analysis.models.fitting import LINEAR, LOGISTIC, POISSON, Family, fit_domain_record, result_table
from cbss_analysis.models.formula import check_outcome, design_matrix_terms, formula_context, model_variables
from cbss_analysis.models.ordinal import ordinal
from cbss_analysis.models.replication import domain_degf
from cbss_analysis.models.results import FITS_ATTR, FitsRef, ModelFits, ModelWarning
from cbss_analysis.models.tests import term_tests, wald_test
from cbss_analysis.survey.variance_words import variance_method

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey import Survey

__all__ = ["ModelWarning", "linear", "logistic", "ordinal", "poisson", "term_tests", "wald_test"]


def logistic(
    survey: Survey, formula: str, by: str | Sequence[str] | None = None, level: float = 0.95, min_n: int = DEFAULT_MIN_N
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
    return _regression(survey, formula, LOGISTIC, by, level, min_n)


def linear(
    survey: Survey, formula: str, by: str | Sequence[str] | None = None, level: float = 0.95, min_n: int = DEFAULT_MIN_N
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
    return _regression(survey, formula, LINEAR, by, level, min_n)


def poisson(
    survey: Survey, formula: str, by: str | Sequence[str] | None = None, level: float = 0.95, min_n: int = DEFAULT_MIN_N
) -> pd.DataFrame:
    """Survey-weighted Poisson (log-linear) regression of a count or rate, with design-based standard errors.

    Reproduces R ``svyglm(formula, design, family = quasipoisson())`` with ``summary()`` and
    ``confint()``; see the module docstring for the method. The coefficients are those of the
    weighted Poisson likelihood (log link); the sandwich uses ``A = X' diag(w mu) X`` and the
    scores ``w (y - mu) x``, so the SEs need no Poisson assumption (quasi-Poisson: any
    overdispersion is in the design-based ``B``). ``exp(estimate)`` is a rate ratio.

    Parameters
    ----------
    survey : Survey
        The survey and its design.
    formula : str
        A formulaic formula, e.g. ``"enroll ~ meals + C(stype)"``; the outcome must be numeric
        and at least 0 (counts; non-integer values are accepted, as quasipoisson does). Terms as
        in :func:`logistic`.
    by : str or sequence of str, optional
        Columns of ``survey.data`` defining domains: one fit per domain, as a subpopulation.
    level : float
        Confidence level of the intervals.
    min_n : int
        Fits on fewer respondents (complete cases in the domain) are suppressed.

    Returns
    -------
    pandas.DataFrame
        As :func:`logistic` with ``rate_ratio``, ``rr_ci_low``, ``rr_ci_high`` instead of the
        odds-ratio columns; ``attrs["kind"]`` is "poisson".

    Raises
    ------
    EstimationError
        Malformed formula, unknown variable, non-numeric or negative outcome, ``by`` column not in the data.
    """
    return _regression(survey, formula, POISSON, by, level, min_n)


def _regression(
    survey: Survey, formula: str, family: Family, by: str | Sequence[str] | None, level: float, min_n: int
) -> pd.DataFrame:
    refuse_calibrated_taylor(survey, family.name)
    level = checks.level(level, family.name)
    min_n = checks.min_n(min_n, family.name)
    by_columns = [checks.column(c, survey.data.columns, family.name) for c in checks.names(by, "by", family.name)]
    if len(survey.data) == 0:
        raise EstimationError(f"{family.name}: the survey has no respondents")
    outcome, frame = model_variables(survey, formula)
    check_outcome(frame[outcome], outcome, family)
    complete = frame.notna().all(axis=1).to_numpy()
    analysed = survey.analysed_rows()
    if analysed is not None:
        complete = complete & analysed
    if not complete.any():
        raise EstimationError(
            f"formula {snippet(formula)}: no respondent has a value on every model variable ({', '.join(snippet(c, 30) for c in frame.columns[:8])})"
        )
    arrays = survey.design_arrays()
    context = formula_context(survey)
    _, _, all_terms, all_labels = design_matrix_terms(frame, formula, complete, context)
    rows: list[dict] = []
    fits = []
    for key, members in domain_rows(survey.data, by_columns, analysed):
        in_fit = np.zeros(len(frame), dtype=bool)
        in_fit[members] = True
        in_fit &= complete
        fit_rows, fit = fit_domain_record(
            frame, formula, family, in_fit, arrays, context, all_terms, level, min_n, key, all_labels,
            survey.replicates, domain_degf(survey, members, bool(by_columns)),
        )
        labels = dict(zip(by_columns, key))
        rows.extend({"outcome": outcome, **labels, **row} for row in fit_rows)
        fits.append(fit)
    table = result_table(rows, by_columns, family)
    blank = [c for c in table.columns if c not in ("outcome", *by_columns, "term", "suppressed")]
    table = suppress_rows(table, min_n, table["n"], by=by_columns, identity=["outcome", "term"], unit=["outcome", *by_columns],
                          blank=blank, function=family.name)
    table.attrs.update(
        {"synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": family.name, "formula": formula, "level": level, "min_n": min_n,
         "by": list(by_columns), FITS_ATTR: FitsRef(ModelFits(family.name, formula, outcome, tuple(by_columns), tuple(fits)))}
    )
    flagged = table.loc[table["warning"].notna(), "warning"].unique()
    for message in flagged:
        warnings.warn(f"{family.name} model {snippet(formula)}: {message}", ModelWarning, stacklevel=3)
    return table

