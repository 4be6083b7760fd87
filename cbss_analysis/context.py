"""Real published figures arranged beside the analysis: policy context and survey-vs-published tables."""

from __future__ import annotations

import pandas as pd

from cbss_analysis.published import load_published
from cbss_analysis.states import member_states


def policy_context() -> pd.DataFrame:
    """One row per member state: corporal-punishment ban, first Barnahus, child population.

    Returns
    -------
    pandas.DataFrame
        ``state`` (ISO2 code), ``state_name``, ``subregion``, ``ban_year``, ``first_barnahus``,
        ``population_under18_2022`` (persons), ``population_2024``, ``under18_share_pct`` (derived
        from two sources, approximate) and ``confidence`` (the lowest grade of the row's facts).
        Sources are in :func:`cbss_analysis.load_published` for each table.
    """
    states = member_states()[["state", "state_name", "subregion"]]
    bans = load_published("corporal_punishment_ban")[["state", "ban_year", "confidence"]]
    barnahus = load_published("barnahus_first")[["state", "first_opening_year", "confidence"]]
    population = load_published("population")
    under18 = population.query("measure == 'population_under18' and year == 2022").set_index("state")["value"]
    total = population.query("measure == 'population_total' and year == 2024").set_index("state")["value"]
    total_2022 = population.query("measure == 'population_total' and year == 2022").set_index("state")["value"]
    table = (
        states.merge(bans.rename(columns={"confidence": "c_ban"}), on="state", how="left")
        .merge(barnahus.rename(columns={"first_opening_year": "first_barnahus", "confidence": "c_barnahus"}), on="state", how="left")
    )
    table["population_under18_2022"] = table["state"].map(under18)
    table["population_2024"] = table["state"].map(total)
    table["under18_share_pct"] = (100 * table["population_under18_2022"] / table["state"].map(total_2022)).round(1)
    grades = table[["c_ban", "c_barnahus"]].fillna("H")
    table["confidence"] = grades.max(axis=1)  # "L" > "M" > "H" alphabetically: the weakest grade
    return table.drop(columns=["c_ban", "c_barnahus"])


def survey_beside_published(estimates: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Put survey estimates by state and sex beside a published percentage table.

    Parameters
    ----------
    estimates : pandas.DataFrame
        An estimate table by ``state`` and ``sex`` (proportions 0-1).
    published : pandas.DataFrame
        A published table with ``state``, ``sex`` (Boy/Girl, as the survey) and ``value_pct``
        (e.g. ``psmu_2022_age11``).

    Returns
    -------
    pandas.DataFrame
        ``state``, ``sex``, ``survey_pct``, ``survey_ci`` ("low-high"), ``published_pct``,
        ``published_source``; a state without a published figure has NA there.
    """
    survey = estimates.assign(
        sex_key=estimates["sex"].astype("string"),
        survey_pct=(100 * estimates["estimate"]).round(1),
        survey_ci=[f"{100 * lo:.1f}\u2013{100 * hi:.1f}" if pd.notna(lo) else "" for lo, hi in zip(estimates["ci_low"], estimates["ci_high"], strict=True)],
        state=estimates["state"].astype("string"),
    )
    other = published.assign(sex_key=published["sex"].astype("string"), state=published["state"].astype("string"))
    joined = survey.merge(other[["state", "sex_key", "value_pct", "source"]], on=["state", "sex_key"], how="left")
    return joined.rename(columns={"value_pct": "published_pct", "source": "published_source"})[
        ["state", "sex", "survey_pct", "survey_ci", "published_pct", "published_source"]
    ]
