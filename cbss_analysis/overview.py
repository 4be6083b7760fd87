"""Aggregate descriptions of a survey: sample sizes, weights, missingness, codebook coverage.

Everything here returns counts and summaries by group, never respondent-level rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cbss_analysis.survey import Survey
from cbss_analysis.survey.codebook import rule_variables


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def sample_sizes(survey: Survey, by: str | Sequence[str] = ("state", "sex", "agecat")) -> pd.DataFrame:
    """Respondents and weighted totals by group.

    Parameters
    ----------
    survey : Survey
        The survey.
    by : str or sequence of str
        Grouping columns (default state x sex x age group).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n`` (respondents), ``n_weighted`` (sum of weights) and
        ``share_weighted`` (share of the weighted total within the first ``by`` column).
    """
    columns = _by_list(by)
    weight = survey.data[survey.design.weight]
    grouped = weight.groupby([survey.data[c] for c in columns], observed=True)
    table = pd.DataFrame({"n": grouped.size(), "n_weighted": grouped.sum()}).reset_index()
    first = table.groupby(columns[0], observed=True)["n_weighted"].transform("sum")
    table["share_weighted"] = table["n_weighted"] / first
    return table


def weight_summary(survey: Survey, by: str = "state") -> pd.DataFrame:
    """Distribution of the weights by group, with Kish's design effect due to weighting.

    ``deff_weighting`` is Kish's approximation ``1 + CV^2`` of the weights (population CV),
    ``effective_n`` is ``n / deff_weighting``.
    """
    weight = survey.data[survey.design.weight].astype("float64")
    grouped = weight.groupby(survey.data[by], observed=True)
    table = grouped.agg(n="size", min="min", median="median", max="max", mean="mean", std=lambda w: w.std(ddof=0))
    table["deff_weighting"] = 1.0 + (table["std"] / table["mean"]) ** 2
    table["effective_n"] = table["n"] / table["deff_weighting"]
    return table.drop(columns=["std"]).reset_index()


def design_summary(survey: Survey, by: str = "state") -> pd.DataFrame:
    """Strata, PSUs, mean cluster size and design degrees of freedom by group."""
    arrays = survey.design_arrays()
    frame = pd.DataFrame({by: survey.data[by].to_numpy(), "stratum": arrays.stratum, "psu": arrays.psu})
    grouped = frame.groupby(by, observed=True)
    table = pd.DataFrame({
        "n": grouped.size(),
        "strata": grouped["stratum"].nunique(),
        "psus": grouped["psu"].nunique(),
    })
    table["mean_cluster_size"] = table["n"] / table["psus"]
    table["df"] = table["psus"] - table["strata"]
    return table.reset_index()


def missingness(survey: Survey, variables: Sequence[str] | None = None, by: str = "state") -> pd.DataFrame:
    """Share of respondents without a valid answer, per variable and group.

    A respondent outside an item's ``asked_of`` population (a skip pattern) counts as
    ``not_asked``, not as missing; ``missing`` is the share of those asked who gave no
    valid answer (item non-response).

    Returns
    -------
    pandas.DataFrame
        ``variable``, ``by``, ``asked`` (respondents asked), ``missing`` (share 0-1),
        ``not_asked`` (share 0-1 of all respondents).
    """
    codebook = survey.codebook
    if variables is None:
        variables = [
            name for name, v in (codebook.variables.items() if codebook else [])
            if v.type in {"categorical", "ordinal", "binary", "numeric"} and name in survey.data
        ]
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
        rows.append(summary.drop(columns="n").rename_axis(by).reset_index().assign(variable=name))
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["variable", by, "asked", "missing", "not_asked"])
    return table[["variable", by, "asked", "missing", "not_asked"]]


def codebook_coverage(survey: Survey) -> pd.DataFrame:
    """Which codebook variables and indicators this survey has.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (variable or indicator), ``name``, ``label``, ``module``, ``available``
        (bool) and ``valid_share`` (share of respondents with a valid value; for
        indicators, among the whole sample).
    """
    codebook = survey.codebook
    if codebook is None:
        return pd.DataFrame(columns=["kind", "name", "label", "module", "available", "valid_share"])
    rows = []
    for name, variable in codebook.variables.items():
        present = name in survey.data
        share = float(survey.data[name].notna().mean()) if present else np.nan
        rows.append(("variable", name, variable.label, variable.module, present, share))
    for indicator_id, indicator in codebook.indicators.items():
        present = indicator_id in survey.indicator_ids
        share = float(survey.indicator(indicator_id).notna().mean()) if present else np.nan
        modules = {codebook.variables[v].module for v in rule_variables(indicator)} - {None}
        rows.append(("indicator", indicator_id, indicator.label, ", ".join(sorted(modules)) or None, present, share))
    return pd.DataFrame(rows, columns=["kind", "name", "label", "module", "available", "valid_share"])
