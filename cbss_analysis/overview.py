"""Aggregate descriptions of a survey: sample sizes, weights, missingness, codebook coverage.

Everything here returns counts and summaries by group, never respondent-level rows, and follows
the rules of :mod:`cbss_analysis.disclosure` with the same ``min_n`` as the estimates: a group of
fewer than ``min_n`` respondents shows no count and no summary (``suppressed=True``, counts NA,
summaries NaN), the suppressed groups of a line together hold no respondent or at least ``min_n``
(so the survey's total minus the shown groups does not give a small group back), and the number
of respondents asked an item (a skip pattern's population) is protected like a count. Weight
summaries show no minimum and no maximum: each is one respondent's weight, and an extreme weight
can single out a respondent; they show the 10th, 50th and 90th percentiles instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cbss_analysis._engine.domains import check_by_levels
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.common.text import snippet
from cbss_analysis.disclosure import suppress_rows
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey
from cbss_analysis.survey.codebook import rule_variables

WEIGHT_QUANTILES: tuple[float, ...] = (0.10, 0.50, 0.90)
"""Percentiles of the weights that :func:`weight_summary` shows (columns ``p10``, ``median``, ``p90``)."""


def _by_columns(survey: Survey, by: str | Sequence[str] | None, function: str) -> list[str]:
    """Checked grouping columns: present, not all missing, at most MAX_LEVELS values; the survey not empty."""
    if len(survey.data) == 0:
        raise EstimationError(f"{function}: the survey has no respondents")
    columns = checks.names(by, "by", function)
    if not columns:
        raise EstimationError(f"{function}: by={snippet(by)} names no column; give at least one, e.g. 'state'")
    for name in columns:
        checks.column(name, survey.data.columns, function)
        if survey.data[name].isna().all():
            raise EstimationError(f"{function}: by column {snippet(name)} is missing for every respondent")
    check_by_levels(survey.data, columns)
    return columns


def _finish(table: pd.DataFrame, survey: Survey, min_n: int) -> pd.DataFrame:
    table.attrs.update({"synthetic": bool(survey.synthetic), "min_n": int(min_n)})
    return table


def sample_sizes(survey: Survey, by: str | Sequence[str] = ("state", "sex", "agecat"), min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
    """Respondents and weighted totals by group.

    Parameters
    ----------
    survey : Survey
        The survey.
    by : str or sequence of str
        Grouping columns (default state x sex x age group).
    min_n : int
        Groups of fewer respondents are suppressed (see the module docstring); 0: off.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n`` (respondents, ``Int64``), ``n_weighted`` (sum of weights),
        ``share_weighted`` (share of the weighted total within the first ``by`` column) and
        ``suppressed``.

    Raises
    ------
    EstimationError
        An empty survey, an unknown or all-missing ``by`` column, or ``min_n`` not a whole number.
    """
    min_n = checks.min_n(min_n, "sample_sizes")
    columns = _by_columns(survey, by, "sample_sizes")
    weight = survey.data[survey.design.weight]
    grouped = weight.groupby([survey.data[c] for c in columns], observed=True)
    table = pd.DataFrame({"n": grouped.size(), "n_weighted": grouped.sum()}).reset_index()
    first = table.groupby(columns[0], observed=True)["n_weighted"].transform("sum")
    table["share_weighted"] = table["n_weighted"] / first
    table = suppress_rows(table, min_n, table["n"], by=columns, blank=["n", "n_weighted", "share_weighted"], function="sample_sizes")
    return _finish(table, survey, min_n)


def weight_summary(survey: Survey, by: str | Sequence[str] = "state", min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
    """Distribution of the weights by group, with Kish's design effect due to weighting.

    ``deff_weighting`` is Kish's approximation ``1 + CV^2`` of the weights (population CV),
    ``effective_n`` is ``n / deff_weighting``. No minimum or maximum is shown (one respondent's
    weight each); ``p10``, ``median`` and ``p90`` are percentiles (linear interpolation).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n``, ``p10``, ``median``, ``p90``, ``mean``, ``deff_weighting``,
        ``effective_n``, ``suppressed``; a group under ``min_n`` shows none of them.
    """
    min_n = checks.min_n(min_n, "weight_summary")
    columns = _by_columns(survey, by, "weight_summary")
    weight = survey.data[survey.design.weight].astype("float64")
    grouped = weight.groupby([survey.data[c] for c in columns], observed=True)
    table = pd.DataFrame({"n": grouped.size()})
    quantiles = grouped.quantile(list(WEIGHT_QUANTILES)).unstack()
    for name, q in zip(("p10", "median", "p90"), WEIGHT_QUANTILES, strict=True):
        table[name] = quantiles[q]
    table["mean"] = grouped.mean()
    std = grouped.std(ddof=0)
    table["deff_weighting"] = 1.0 + (std / table["mean"]) ** 2
    table["effective_n"] = table["n"] / table["deff_weighting"]
    table = table.reset_index()
    blank = ["n", "p10", "median", "p90", "mean", "deff_weighting", "effective_n"]
    table = suppress_rows(table, min_n, table["n"], by=columns, blank=blank, function="weight_summary")
    return _finish(table, survey, min_n)


def design_summary(survey: Survey, by: str | Sequence[str] = "state", min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
    """Strata, PSUs, mean cluster size and design degrees of freedom by group (groups under ``min_n`` suppressed)."""
    min_n = checks.min_n(min_n, "design_summary")
    columns = _by_columns(survey, by, "design_summary")
    arrays = survey.design_arrays()
    frame = pd.DataFrame({**{c: survey.data[c].to_numpy() for c in columns}, "_stratum": arrays.stratum, "_psu": arrays.psu})
    for c in columns:
        if isinstance(survey.data[c].dtype, pd.CategoricalDtype):
            frame[c] = pd.Categorical(frame[c], dtype=survey.data[c].dtype)
    grouped = frame.groupby(columns, observed=True)
    table = pd.DataFrame({
        "n": grouped.size(),
        "strata": grouped["_stratum"].nunique(),
        "psus": grouped["_psu"].nunique(),
    })
    table["mean_cluster_size"] = table["n"] / table["psus"]
    table["df"] = table["psus"] - table["strata"]
    table = table.reset_index()
    blank = ["n", "strata", "psus", "mean_cluster_size", "df"]
    table = suppress_rows(table, min_n, table["n"], by=columns, blank=blank, function="design_summary")
    return _finish(table, survey, min_n)


def missingness(survey: Survey, variables: Sequence[str] | None = None, by: str = "state", min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
    """Share of respondents without a valid answer, per variable and group.

    A respondent outside an item's ``asked_of`` population (a skip pattern) counts as
    ``not_asked``, not as missing; ``missing`` is the share of those asked who gave no
    valid answer (item non-response). A group of fewer than ``min_n`` respondents, or with
    between 1 and ``min_n - 1`` asked, shows nothing (the number asked is the size of a
    skip pattern's population, protected like a count).

    Returns
    -------
    pandas.DataFrame
        ``variable``, ``by``, ``asked`` (respondents asked, ``Int64``), ``missing`` (share 0-1),
        ``not_asked`` (share 0-1 of all respondents), ``suppressed``.
    """
    min_n = checks.min_n(min_n, "missingness")
    columns = _by_columns(survey, by, "missingness")
    if len(columns) != 1:
        raise EstimationError(f"missingness: by={snippet(by)} must be one column")
    by = columns[0]
    codebook = survey.codebook
    if variables is None:
        variables = [
            name for name, v in (codebook.variables.items() if codebook else [])
            if v.type in {"categorical", "ordinal", "binary", "numeric"} and name in survey.data
        ]
    variables = checks.names(variables, "variables", "missingness")
    for name in variables:
        checks.column(name, survey.data.columns, "missingness", argument="variables")
    groups = survey.data[by]
    rows = []
    for name in variables:
        variable = codebook.variables.get(name) if codebook else None
        asked = pd.Series(True, index=survey.data.index)
        for filter_name, codes in (variable.asked_of.items() if variable else []):
            if filter_name in survey.data:
                asked &= survey.codes(filter_name).isin(codes)
        frame = pd.DataFrame({"group": groups, "asked": asked, "missing": asked & survey.data[name].isna()})
        summary = frame.groupby("group", observed=True).agg(n=("asked", "size"), asked=("asked", "sum"), missing=("missing", "sum"))
        summary["missing"] = summary["missing"] / summary["asked"].where(summary["asked"] > 0)
        summary["not_asked"] = 1.0 - summary["asked"] / summary["n"]
        rows.append(summary.rename_axis(by).reset_index().assign(variable=name))
    if not rows:
        return _finish(pd.DataFrame(columns=["variable", by, "asked", "missing", "not_asked", "suppressed"]), survey, min_n)
    table = pd.concat(rows, ignore_index=True)
    table = suppress_rows(table, min_n, table["n"], by=[by], identity=["variable"], blank=["asked", "missing", "not_asked"],
                          protected=table[["asked"]].to_numpy(dtype=np.float64), function="missingness")
    return _finish(table[["variable", by, "asked", "missing", "not_asked", "suppressed"]], survey, min_n)


def codebook_coverage(survey: Survey, min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
    """Which codebook variables and indicators this survey has.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (variable or indicator), ``name``, ``label``, ``module``, ``available``
        (bool) and ``valid_share`` (share of respondents with a valid value; for
        indicators, among the whole sample). ``valid_share`` is NaN when between 1 and
        ``min_n - 1`` respondents have a valid value, or the survey has fewer than ``min_n``.
    """
    min_n = checks.min_n(min_n, "codebook_coverage")
    codebook = survey.codebook
    if codebook is None:
        return pd.DataFrame(columns=["kind", "name", "label", "module", "available", "valid_share"])
    if len(survey.data) == 0:
        raise EstimationError("codebook_coverage: the survey has no respondents")
    total = len(survey.data)

    def share(valid: int) -> float:
        if total < min_n or 0 < valid < min_n:
            return np.nan
        return valid / total

    rows = []
    for name, variable in codebook.variables.items():
        present = name in survey.data
        value = share(int(survey.data[name].notna().sum())) if present else np.nan
        rows.append(("variable", name, variable.label, variable.module, present, value))
    for indicator_id, indicator in codebook.indicators.items():
        present = indicator_id in survey.indicator_ids
        value = share(int(survey.indicator(indicator_id).notna().sum())) if present else np.nan
        modules = {codebook.variables[v].module for v in rule_variables(indicator)} - {None}
        rows.append(("indicator", indicator_id, indicator.label, ", ".join(sorted(modules)) or None, present, value))
    table = pd.DataFrame(rows, columns=["kind", "name", "label", "module", "available", "valid_share"])
    return _finish(table, survey, min_n)
