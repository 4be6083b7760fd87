"""Design-based estimates: means, proportions, totals, ratios and quantiles by domain, t tests, contrasts.

>>> from cbss_analysis import estimate, load_survey
>>> survey = load_survey()                                               # doctest: +SKIP
>>> t = estimate.proportion(survey, "cyberbullied", by=["state", "sex"])  # doctest: +SKIP
>>> estimate.compare(t, reference="regional")                             # doctest: +SKIP
>>> estimate.quantile(survey.subset('sex == "Girl"'), "age", by="state")  # doctest: +SKIP

The engine reproduces R ``survey`` 4.1 (``svymean``, ``svytotal``, ``svyratio``,
``svyquantile``, ``svyttest``, ``svyby``, ``svyciprop``, ``svycontrast``, ``subset``) to 1e-8
relative; ``tests/reference/estimates.R`` and ``tests/reference/verbs.R`` compute the reference
values. The verbs: :func:`mean`, :func:`proportion`, :func:`total`, :func:`ratio` (these four keep
their linearisation, for :func:`contrast` and :func:`compare`), :func:`quantile`, :func:`ttest`; on a survey of
several cycles, :func:`trend` and :func:`regional_average` (:mod:`~cbss_analysis.estimate.trends`,
:mod:`~cbss_analysis.estimate.averages`; against
``tests/reference/trends.R``).

Conventions, each as in R:

- **Variance**: Taylor linearisation, strata, PSUs drawn with replacement at the first stage
  (ultimate clusters), fpc at the first stage, lonely PSUs by ``Design.lonely_psu``; a two-stage
  design with fpc adds R's second-stage term (see :mod:`cbss_analysis._engine.variance`).
- **Domains** are subpopulations: a row outside a domain keeps its stratum and PSU and
  contributes zero (what ``svyby`` does: the domain design drops rows but keeps each
  stratum's PSU count of the full design). A :meth:`~cbss_analysis.survey.Survey.subset` is
  one more such restriction, intersected with every domain (R ``subset(design, ...)``); the
  ``by`` domains are those observed in the subset.
- **Zero weights**: such rows stay in the design (PSU counts, fpc) and contribute nothing; they
  do not count in ``n`` (so not towards ``min_n``) nor in the df, and a domain of zero-weight
  rows only is no domain (R ``svyby`` drops it).
- **Missing values**: a row whose value is missing is out of that variable's domain (R:
  ``svyby(~y, ~by, subset(design, !is.na(y)), ...)``). Rows with a missing ``by`` value
  belong to no domain but stay in the design.
- **Degrees of freedom** of a domain: PSUs with domain members minus strata with domain
  members (``degf()`` of the domain design, as ``svyciprop`` uses inside ``svyby``).
- **Intervals**: means, totals and ratios use ``estimate -/+ t_df * se`` (R ``confint(stat,
  df = degf(domain design))``; R's default without ``df`` would be normal); proportions use
  :func:`cbss_analysis._engine.intervals.proportion_interval`.
- **Design effect** ``deff=True`` is against simple random sampling *with* replacement of the
  domain's ``n`` respondents, R ``svymean(..., deff = "replace")``; ``deff="wor"`` uses the
  without-replacement reference, R ``svymean(..., deff = TRUE)``, factor ``(N - n) / N`` with
  ``N`` the domain's weight total (NaN when ``N < n``, where R warns and gives NA).
- **Categorical** (pandas ``Categorical``) variables give one row per category with the
  proportion (mean), total, and interval of that category, as ``svymean`` on a factor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cbss_analysis._engine import intervals
from cbss_analysis._engine.intervals import holm
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.common.text import snippet
from cbss_analysis.disclosure import derived_population_counts, suppress
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate import contrasts
from cbss_analysis.estimate.averages import regional_average
from cbss_analysis.estimate.chisq import chisq
from cbss_analysis.estimate.contrasts import contrast
from cbss_analysis.estimate.crosstab import crosstab
from cbss_analysis.estimate.linearization import (
    ESTIMATE_INDEX,
    LINEARIZATION_ATTR,
    SURVEY_ATTR,
    TABLE_COLUMNS_AFTER_BY,
    TABLE_COLUMNS_BEFORE_BY,
    Linearization,
    LinearizationRef,
    SurveyRef,
    analysis_columns,
    by_names,
    deff_reference,
    linearize,
    survey_domains,
)
from cbss_analysis.estimate.quantiles import quantile
from cbss_analysis.estimate.ratios import ratio
from cbss_analysis.estimate.replication import replicate_linearize
from cbss_analysis.estimate.trends import trend
from cbss_analysis.estimate.ttests import ttest
from cbss_analysis.survey import Survey
from cbss_analysis.survey.summary import labels_for
from cbss_analysis.survey.variance_words import variance_method

__all__ = [
    "Linearization", "LinearizationRef", "chisq", "compare", "contrast", "crosstab", "holm", "mean", "proportion",
    "quantile", "ratio", "regional_average", "total", "trend", "ttest",
]


def mean(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    deff: bool | str = True,
) -> pd.DataFrame:
    """Weighted means (ratio estimators) by domain with linearisation standard errors.

    Reproduces R ``svyby(~y, ~by, design, svymean, deff = "replace")`` with
    ``confint(..., df = degf(domain design))``:
    ``mean_d = sum_i w_i y_i / sum_i w_i`` over the domain's rows with a value, influence
    values ``w_i (y_i - mean_d) / sum w`` summed per PSU, variance from
    :func:`cbss_analysis._engine.variance.psu_variance`; CI ``mean -/+ t_df * se`` (t, not normal).

    Parameters
    ----------
    survey : Survey
        The data and its design.
    variables : str or sequence of str
        Numeric columns, codebook indicator ids, or categorical columns (one row per category,
        the proportion in it).
    by : str or sequence of str, optional
        Columns whose combinations define the domains (all observed combinations, in
        category / sorted order).
    level : float
        Confidence level in (0, 1).
    min_n : int
        Suppress rows with fewer respondents (:func:`cbss_analysis.disclosure.suppress`); 0: off.
    deff : bool or {"replace", "wor"}
        ``True``/``"replace"``: design effect against SRS with replacement; ``"wor"``: without
        replacement (R's ``deff=TRUE``); ``False``: NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, level, <by...>, estimate, se, ci_low, ci_high, n, n_weighted, deff,
        suppressed, df``; ``attrs``: ``synthetic``, ``kind="mean"``, ``level``, ``min_n``, ``by``,
        and the linearisation that :func:`compare` uses.

    Raises
    ------
    EstimationError
        Unknown or non-numeric variable, unknown by column, ``level`` outside (0, 1).
    """
    return _estimate(survey, variables, by, "mean", None, level, min_n, deff)


def proportion(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    ci: str = "logit",
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    deff: bool | str = True,
) -> pd.DataFrame:
    """Proportions (0-1 scale) by domain with design-based SEs and intervals.

    The estimate and SE are those of :func:`mean` on a 0/1 variable (R ``svymean``); the
    interval is R ``svyciprop(~y, design[domain, ], method = ci, df = degf(domain design))``
    for ``ci="logit"`` (default), ``"beta"`` (Korn-Graubard) and ``"wald"`` (``method = "mean"``);
    ``"wilson"`` has no R counterpart (formula in
    :func:`cbss_analysis._engine.intervals.proportion_interval`).

    Parameters
    ----------
    survey : Survey
        The data and its design.
    variables : str or sequence of str
        0/1 numeric columns, binary indicator ids, or categorical columns (one row per category).
    by, level, min_n, deff
        As in :func:`mean`.
    ci : {"logit", "beta", "wilson", "wald"}
        Interval method.

    Returns
    -------
    pandas.DataFrame
        As :func:`mean`, ``attrs["kind"] = "proportion"`` and ``attrs["ci"]``.

    Raises
    ------
    EstimationError
        A numeric variable with values other than 0 and 1, an unknown ``ci``, and the errors
        of :func:`mean`.
    """
    if ci not in intervals.PROPORTION_METHODS:
        raise EstimationError(f"proportion: ci={snippet(ci)} is not one of {', '.join(intervals.PROPORTION_METHODS)}")
    return _estimate(survey, variables, by, "proportion", ci, level, min_n, deff)


def total(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    deff: bool | str = True,
) -> pd.DataFrame:
    """Weighted totals by domain with linearisation standard errors.

    Reproduces R ``svyby(~y, ~by, design, svytotal, deff = "replace")``: ``total_d = sum_i w_i
    y_i`` over the domain's rows with a value, influence values ``w_i y_i``; CI ``total -/+
    t_df * se``. The SRS reference of ``deff`` is ``s^2 N_d^2 / n`` (R ``deff = "replace"``).

    Parameters and returns as :func:`mean` (``attrs["kind"] = "total"``).
    """
    return _estimate(survey, variables, by, "total", None, level, min_n, deff)


def _estimate(
    survey: Survey,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None,
    kind: str,
    ci: str | None,
    level: float,
    min_n: int,
    deff: bool | str,
) -> pd.DataFrame:
    level = checks.level(level, kind)
    min_n = checks.min_n(min_n, kind)
    reference = deff_reference(deff)
    names = checks.names(variables, "variables", kind)
    if not names:
        raise EstimationError(f"{kind}: no variables given")
    by_columns = by_names(survey, by, kind)
    if len(survey) == 0:
        raise EstimationError(f"{kind}: the survey has no respondents")
    columns = analysis_columns(survey, names, kind)
    domains = survey_domains(survey, by_columns)
    if survey.replicates is not None:
        table, linearization = replicate_linearize(columns, domains, survey, kind, reference)
    else:
        table, linearization = linearize(columns, domains, survey.design_arrays(), kind, reference, survey.calibration)
        if survey.calibration is not None:
            # R: a domain of a calibrated design keeps every row (prob = Inf outside): nrow() is the survey's
            table["_n_rows"] = len(survey.data)
    if kind == "proportion":
        low, high = intervals.proportion_interval(
            ci, table["estimate"].to_numpy(), table["se"].to_numpy(), table["df"].to_numpy(),
            table["_n_rows"].to_numpy(), level, table["_logit_se"].to_numpy() if "_logit_se" in table else None,
        )
    else:
        low, high = intervals.wald(table["estimate"].to_numpy(), table["se"].to_numpy(), table["df"].to_numpy(), level)
    table["ci_low"] = low
    table["ci_high"] = high
    table = table[[*TABLE_COLUMNS_BEFORE_BY, *by_columns, *TABLE_COLUMNS_AFTER_BY]]
    table.attrs.update({"synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": kind, "level": float(level), "by": list(by_columns),
                        "labels": labels_for(survey.codebook, names)})
    if ci is not None:
        table.attrs["ci"] = ci
    protected = None
    if min_n > 0:
        categorical = [category is not None for category in columns.level]
        protected = derived_population_counts(survey, columns.variable, categorical, columns.values, domains.code, domains.count)
    table = suppress(table, min_n, by=by_columns, protected=protected)
    hidden = table["suppressed"].to_numpy(dtype=bool)  # a suppressed estimate leaves no trace a contrast could use
    linearization = dataclasses.replace(linearization, estimate=np.where(hidden, np.nan, linearization.estimate))
    table.attrs[LINEARIZATION_ATTR] = LinearizationRef(linearization)
    table.attrs[SURVEY_ATTR] = SurveyRef(survey)
    return table



def compare(
    table: pd.DataFrame,
    reference: str = "regional",
    by: str = "state",
    population: Mapping[str, float] | None = None,
    level: float | None = None,
) -> pd.DataFrame:
    """Differences between each domain's estimate and a reference, with design-based SEs.

    For every group of rows that share ``variable``, ``level`` and the other by columns, each
    row's estimate ``theta_s`` is compared with

    - ``"regional"``: the unweighted mean of the group's (unsuppressed) estimates, as HBSC
      reports a regional average;
    - ``"regional_weighted"``: their weighted mean, weights ``population`` (a mapping from
      the ``by`` value to a population); with ``population=None`` and ``by="state"`` the
      latest published under-18 population (``load_published("population")``) when it covers
      every state in the table, otherwise each domain's estimated ``n_weighted``;
    - any value of the ``by`` column (e.g. ``"EE"``): that domain's estimate (its own row is
      left out of the result).

    The difference ``sum_d c_d theta_d`` is a linear contrast of domain estimates of one design,
    computed by :func:`contrast`; its variance comes from the stored per-PSU influence totals, so it includes the
    covariance between domains (R ``svycontrast(svyby(..., covmat = TRUE), c)``; on R's
    ``apiclus1``, E minus H has SE 30.03 with it and 44.11 without). p-values are two-sided
    from Student t with the design df of the variable (PSUs minus strata among respondents with a
    value, ``degf()`` of the design R's ``svyby`` uses), CIs ``difference -/+ t * se``; ``p_holm``
    are Holm-adjusted over all rows of the result (R ``p.adjust(method = "holm")``).

    Parameters
    ----------
    table : pandas.DataFrame
        A table returned by :func:`mean`, :func:`proportion`, :func:`total` or :func:`ratio`
        (rows may be filtered or reordered) with ``by`` among its by columns.
    reference : str
        ``"regional"``, ``"regional_weighted"`` or a value of the ``by`` column.
    by : str
        The column whose domains are compared (default ``"state"``).
    population : mapping, optional
        Population per ``by`` value for ``"regional_weighted"``.
    level : float, optional
        Confidence level; default the table's.

    Returns
    -------
    pandas.DataFrame
        ``variable, level, <by columns>, estimate, reference, difference, se, ci_low, ci_high,
        p_value, p_holm, n, suppressed, df`` (no ``level`` for a ratio table). A suppressed row
        stays suppressed (NaN difference), and a suppressed domain is left out of the regional mean.

    Raises
    ------
    EstimationError
        The table carries no linearisation (not made by this module), ``by`` is not one of its
        by columns, the reference value is unknown, or ``level`` is outside (0, 1).
    """
    linearization = contrasts.table_linearization(table, "compare")
    if len(table) == 0:
        raise EstimationError("compare: the table has no rows")
    label_columns = [c for c in TABLE_COLUMNS_BEFORE_BY if c in linearization.keys.columns]
    by_columns = [c for c in linearization.keys.columns if c not in (*label_columns, ESTIMATE_INDEX)]
    if by not in by_columns:
        raise EstimationError(f"compare: by={snippet(by)} is not a by column of the table (by columns: {by_columns})")
    level = checks.level(table.attrs.get("level", checks.DEFAULT_LEVEL) if level is None else level, "compare")
    rows = contrasts.matched_rows(table, linearization, "compare")
    group_columns = [*label_columns, *[c for c in by_columns if c != by]]
    rows["_group"] = rows.groupby(group_columns, dropna=False, sort=False, observed=True).ngroup().to_numpy()
    rows["_weight"] = contrasts.reference_weights(rows, reference, by, population)
    index = rows[ESTIMATE_INDEX].to_numpy()
    theta = linearization.estimate
    differences = contrast(table, contrasts.contrast_matrix(rows), level=level)
    variable = linearization.variable_index[index]
    weighted = pd.Series(np.where(rows["_weight"].to_numpy() > 0, rows["_weight"].to_numpy() * theta[index], 0.0))
    reference_value = weighted.groupby(rows["_group"].to_numpy()).transform("sum").to_numpy()
    has_reference = rows.groupby("_group")["_weight"].transform("sum").to_numpy() > 0
    blank = ~rows["_available"].to_numpy() | ~has_reference
    difference = np.where(blank, np.nan, differences["estimate"].to_numpy())
    se = np.where(blank, np.nan, differences["se"].to_numpy())
    df = linearization.variable_df[variable]
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = intervals.t_p_value(np.where(se > 0, difference / se, np.nan), df)
    low, high = intervals.wald(difference, se, df, level)
    out = rows[[*label_columns, *by_columns]].copy()
    out["estimate"] = np.where(rows["_available"].to_numpy(), theta[index], np.nan)
    out["reference"] = np.where(has_reference, reference_value, np.nan)
    out["difference"] = difference
    out["se"] = se
    out["ci_low"] = low
    out["ci_high"] = high
    out["p_value"] = p_value
    out["n"] = pd.array(rows["n"], dtype="Int64")
    out["suppressed"] = rows["_suppressed"].to_numpy()
    out["df"] = df
    if reference not in contrasts.REFERENCES:
        out = out.loc[rows[by].astype(str).to_numpy() != reference]
    out.insert(out.columns.get_loc("p_value") + 1, "p_holm", intervals.holm(out["p_value"].to_numpy()))
    out = out.reset_index(drop=True)
    out.attrs.update(
        {"synthetic": table.attrs.get("synthetic", False), "kind": "comparison", "estimate_kind": table.attrs.get("kind"),
         "reference": reference, "by": by, "level": float(level), "min_n": table.attrs.get("min_n")}
    )
    return out
