"""Design-based t tests of a difference in means between two groups, or of a mean: R ``svyttest``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from cbss_analysis._engine import intervals
from cbss_analysis._engine.domains import Domains
from cbss_analysis._engine.replicates import domain_ranks
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate.contrasts import contrast_variance
from cbss_analysis.estimate.linearization import (
    AnalysisColumns,
    by_names,
    linearize,
    numeric_values,
    refuse_calibrated_taylor,
    survey_domains,
)
from cbss_analysis.estimate.replication import replicate_linearize
from cbss_analysis.survey import Survey
from cbss_analysis.survey.variance_words import variance_method

TTEST_COLUMNS_AFTER_BY = ("difference", "se", "t", "df", "p_value", "ci_low", "ci_high", "n", "suppressed")
BLANKED = ("difference", "se", "t", "p_value", "ci_low", "ci_high")


def ttest(
    survey: Survey,
    variable: str,
    group: str | None = None,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Design-based t test of the difference in means of ``variable`` between the two groups of ``group``.

    Reproduces R ``svyttest(variable ~ group, design)``: the difference is the slope of
    ``svyglm(variable ~ group, family = gaussian())``, which for a two-level group is the mean of
    the second group minus the mean of the first, with the design-based SE of that contrast
    (the domain means' covariance included, as :func:`~cbss_analysis.estimate.contrast` gives
    it); ``t = difference / se``, ``df = degf - 1`` (the fit's residual df: PSUs minus strata
    among the respondents with both values, minus 1), two-sided p-value on t(df), CI
    ``difference -/+ t_df se`` (``confint(fit, 2)``). With ``group=None`` it is the one-sample
    test of mean 0 (R ``svyttest(variable ~ 0, design)``: ``svymean``, ``df = degf - 1``); to
    test against another value or a paired difference, make a column (``a - b``) first.

    On a replicate-weight design the SE is the replicate SE of the difference of the replicate
    domain means (the replicate slopes of R's ``svyglm`` on the ``svrepdesign``), and ``df`` is
    ``degf - 1`` with ``degf`` that of the domain's replicate design (all its rows, as R's
    ``svyglm`` takes it before dropping missing values). Calibrated Taylor surveys are refused.

    Parameters
    ----------
    survey : Survey
        The data and its design; a :meth:`~cbss_analysis.survey.Survey.subset` gives R's
        ``svyttest(y ~ g, subset(design, ...))``.
    variable : str
        A numeric column or indicator id.
    group : str, optional
        A column with two values among the respondents (a categorical with two observed
        categories: second minus first in category order; a numeric or other column: larger
        minus smaller value, R's 0/1 or 1/2 coding). None: the one-sample test.
    by : str or sequence of str, optional
        Columns whose combinations define domains: one test per domain (R ``svyttest`` on
        ``subset(design, by == level)``).
    level : float
        Confidence level of the interval.
    min_n : int
        A domain is suppressed (``difference``, ``se``, ``t``, ``p_value`` and the interval NaN)
        when either group has fewer respondents (the one-sample test: when it has fewer).

    Returns
    -------
    pandas.DataFrame
        One row per domain: ``variable``, ``group``, ``contrast`` (e.g. ``"Yes - No"``; ``"mean"``
        for the one-sample test), ``<by...>``, ``difference`` (the mean for the one-sample
        test), ``se``, ``t``, ``df``, ``p_value``, ``ci_low``, ``ci_high``, ``n`` (respondents
        with both values), ``suppressed``. A domain where one group is empty has NaN results
        (R: an aliased coefficient). ``attrs``: ``synthetic``, ``kind="ttest"``, ``level``,
        ``min_n``, ``by``.

    Raises
    ------
    EstimationError
        An unknown or non-numeric variable, an unknown group or by column, a group that does
        not have exactly two values, ``level`` outside (0, 1).

    Examples
    --------
    >>> estimate.ttest(survey, "age", "sex", by="state")                 # doctest: +SKIP
    """
    refuse_calibrated_taylor(survey, 'ttest')
    level = checks.level(level, "ttest")
    min_n = checks.min_n(min_n, "ttest")
    names = checks.names(variable, "variable", "ttest")
    if len(names) != 1:
        raise EstimationError(checks.problem("ttest", "variable", variable, "must name one numeric variable"))
    name = names[0]
    by_columns = by_names(survey, by, "ttest", ("group", "contrast", *TTEST_COLUMNS_AFTER_BY))
    values = numeric_values(survey, name)
    arrays = survey.design_arrays()
    if group is None:
        labels, group_code = None, np.zeros(values.size, dtype=np.int64)
    else:
        group = checks.column(group, survey.data.columns, "ttest", argument="group")
        if group in by_columns:
            raise EstimationError(checks.problem("ttest", "group", group, "is also a by column"))
        labels, group_code = _two_groups(survey, group, values)
        values = np.where(group_code >= 0, values, np.nan)
    domains = survey_domains(survey, by_columns)
    columns = AnalysisColumns([name], [None], [values])
    estimate_means = _means(survey)
    overall, _ = estimate_means(columns, domains)
    design_df = overall["df"].to_numpy().astype(np.float64) if survey.replicates is None else _replicate_df(survey, domains)
    df = design_df - 1.0
    if labels is None:
        difference = overall["estimate"].to_numpy()
        se = overall["se"].to_numpy()
        smallest = overall["n"].to_numpy()
        contrast_label = "mean"
    else:
        code = np.where((domains.code >= 0) & (group_code >= 0), domains.code * 2 + group_code, -1)
        pairs = Domains(code, pd.DataFrame(index=pd.RangeIndex(2 * domains.count)))
        # centred on the overall mean: the difference is unchanged, and less of it is lost to rounding
        # when the two means are close (their influence values do not depend on the centre)
        used = ~np.isnan(values) & (code >= 0)
        centre = float(np.sum(values[used] * arrays.weight[used]) / np.sum(arrays.weight[used])) if used.any() else 0.0
        centred = AnalysisColumns([name], [None], [values - centre])
        by_group, linearization = estimate_means(centred, pairs)
        n_group = by_group["n"].to_numpy().reshape(-1, 2)
        count = domains.count
        matrix = sparse.csr_matrix(
            (np.tile([-1.0, 1.0], count), (np.repeat(np.arange(count), 2), np.arange(2 * count))), shape=(count, 2 * count)
        )
        theta = linearization.estimate
        empty = (n_group == 0).any(axis=1)
        difference = np.where(empty, np.nan, theta[1::2] - theta[0::2])
        se = np.where(empty, np.nan, np.sqrt(contrast_variance(matrix, linearization, None)))
        smallest = n_group.min(axis=1)
        contrast_label = f"{labels[1]} - {labels[0]}"
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(se > 0, difference / se, np.nan)
    df_safe = np.where(df > 0, df, 0.0)
    low, high = intervals.wald(difference, se, df_safe, level)
    table = pd.DataFrame({"variable": pd.array([name] * domains.count, dtype="str"),
                          "group": pd.array([group] * domains.count, dtype="str"),
                          "contrast": pd.array([contrast_label] * domains.count, dtype="str")})
    table = pd.concat([table, domains.table.reset_index(drop=True)], axis=1)
    table["difference"] = difference
    table["se"] = se
    table["t"] = statistic
    table["df"] = design_df.astype(np.int64) - 1
    table["p_value"] = intervals.t_p_value(statistic, df_safe)
    table["ci_low"] = low
    table["ci_high"] = high
    table["n"] = overall["n"].to_numpy().astype(np.int64)
    hidden = smallest < min_n
    table.loc[hidden, list(BLANKED)] = np.nan
    table["suppressed"] = hidden
    table = table[["variable", "group", "contrast", *by_columns, *TTEST_COLUMNS_AFTER_BY]]
    table.attrs.update({"synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": "ttest", "level": float(level), "min_n": int(min_n),
                        "by": list(by_columns)})
    return table


def _means(survey: Survey):
    """Domain means with their linearisation: Taylor, or replicate (R ``svyglm`` on an ``svrepdesign``: the
    slope of a binary group is the difference of the replicate domain means)."""
    if survey.replicates is None:
        arrays = survey.design_arrays()
        return lambda columns, domains: linearize(columns, domains, arrays, "mean", None)
    return lambda columns, domains: replicate_linearize(columns, domains, survey, "mean", None)


def _replicate_df(survey: Survey, domains: Domains) -> np.ndarray:
    """``degf()`` of each domain's replicate design (all its rows: R's ``svyglm`` takes it before dropping NAs)."""
    rep = survey.replicates
    if rep.degf is not None and survey.subset_mask is None and domains.count == 1:
        return np.array([float(rep.degf)])
    code = np.where(rep.weight > 0, domains.code, -1)
    return (domain_ranks(rep, code, domains.count) - 1).astype(np.float64)


def _two_groups(survey: Survey, group: str, values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The two group labels (first, second) and each row's group (0, 1; -1 missing or unused)."""
    column = survey.data[group]
    counted = ~np.isnan(values)
    analysed = survey.analysed_rows()
    if analysed is not None:
        counted &= analysed
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        present = np.unique(codes[counted & (codes >= 0)])
        labels = [str(column.cat.categories[i]) for i in present]
    else:
        codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=True)
        codes = codes.astype(np.int64)
        present = np.unique(codes[counted & (codes >= 0)])
        labels = [_label(uniques[i]) for i in present]
    if present.size != 2:
        shown = ", ".join(labels[:5]) + (", ..." if len(labels) > 5 else "")
        raise EstimationError(checks.problem("ttest", "group", group, f"has {present.size} values among the respondents "
                                                                       f"with a value ({shown}); a t test needs two"))
    lookup = np.full(int(codes.max()) + 2, -1, dtype=np.int64)
    lookup[present] = [0, 1]
    return labels, np.where(codes >= 0, lookup[codes], -1)


def _label(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
