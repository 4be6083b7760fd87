"""A state profile's trends: the state and the regional average across survey cycles, changes marked.

:func:`state_trends` estimates a profile's key indicators by cycle and state on a stacked survey
(``load_survey([...])``), the unweighted regional average of each cycle, and the change from each series'
first to its last cycle (:func:`cbss_analysis.estimate.trend`, independent samples between cycles), and marks
those changes by the package's one rule (:func:`cbss_analysis.estimate.significance.mark`: Holm across the
changes shown, the state's and the region's of every indicator). :func:`trend_table` shows them with the real
pooled HBSC figures of each cycle (``data/published/hbsc_pooled_indicators.csv``: all countries pooled,
unweighted, from the study documentation) beside them; :func:`record_changes` records the state's changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis import estimate
from cbss_analysis.common.numbers import DASH, format_interval, format_value
from cbss_analysis.estimate import significance
from cbss_analysis.published import load_published
from cbss_analysis.records import record
from cbss_analysis.states import check_state, state_names
from cbss_analysis.summaries import judgement
from cbss_analysis.survey import Survey
from cbss_analysis.survey.cycles import cycle_year
from cbss_analysis.tables import Table, caption_for

REGION = "Regional average"
POOLED = "HBSC, all countries pooled (real)"


@dataclass(frozen=True)
class StateTrends:
    """What a profile's trends section shows.

    Attributes
    ----------
    state : str
        ISO2 code.
    estimates : pandas.DataFrame
        Proportions by ``["cycle", "state"]`` of the states analysed.
    averages : pandas.DataFrame
        :func:`~cbss_analysis.estimate.regional_average` of ``estimates``.
    changes : pandas.DataFrame
        The first-to-last changes shown, the state's (``series`` = its code) and the unweighted regional
        average's (``series`` = :data:`REGION`), through :func:`~cbss_analysis.estimate.significance.mark`
        (``difference`` is the change; ``p_adjusted``, ``significant``; ``attrs["significance"]``).
    pooled : pandas.DataFrame
        The real pooled HBSC figures of the indicators (``load_published("hbsc_pooled_indicators")`` rows).
    cycles : list of str
        The cycles, oldest first.
    """

    state: str
    estimates: pd.DataFrame
    averages: pd.DataFrame
    changes: pd.DataFrame
    pooled: pd.DataFrame
    cycles: list[str]


def state_trends(survey: Survey, indicators: Sequence[str], state: str, states: Sequence[str],
                 min_n: int) -> StateTrends:
    """Estimate the indicators by cycle and state, the regional average, and the marked first-to-last changes.

    Parameters
    ----------
    survey : Survey
        A stacked survey of several cycles.
    indicators : sequence of str
        Indicator ids (those the survey lacks are left out by the caller, :func:`cbss_analysis.notebook.split_available`).
    state : str
        ISO2 code of the profiled state.
    states : sequence of str
        The states analysed (the regional average is over them).
    min_n : int
        Estimates from fewer respondents are suppressed.
    """
    code = check_state(state)
    table = estimate.proportion(survey, list(indicators), by=["cycle", "state"], min_n=min_n)
    table = table[table["state"].astype("string").isin(list(states))].reset_index(drop=True)
    averages = estimate.regional_average(table)
    trend = estimate.trend(table, linear=False)
    own = trend[(trend["state"].astype("string") == code).fillna(False).to_numpy()].assign(series=code)
    region = trend[(trend["average"] == "unweighted").to_numpy()].assign(series=REGION)
    shown = pd.concat([_first_last(own), _first_last(region)], ignore_index=True)
    order = {v: i for i, v in enumerate(indicators)}
    shown = shown.sort_values(["variable", "series"], key=lambda s: s.map(order) if s.name == "variable"
                              else s.ne(code), kind="stable").reset_index(drop=True)
    marked = significance.mark(shown.assign(difference=shown["change"]))
    marked.attrs.update({k: trend.attrs[k] for k in ("level", "min_n", "synthetic")})
    pooled = load_published("hbsc_pooled_indicators")
    pooled = pooled[pooled["indicator"].isin(list(indicators))].reset_index(drop=True)
    cycles = sorted(set(table["cycle"].astype(str)), key=cycle_year)
    return StateTrends(code, table, averages, marked, pooled, cycles)


def _first_last(rows: pd.DataFrame) -> pd.DataFrame:
    """Per variable: the first-to-last change, or the one consecutive change of a two-cycle series."""
    kept = []
    for _, series in rows.groupby("variable", sort=False):
        chosen = series[series["comparison"] == "first_last"]
        if chosen.empty and (series["comparison"] == "consecutive").sum() == 1:
            chosen = series[series["comparison"] == "consecutive"]
        kept.append(chosen)
    return pd.concat(kept, ignore_index=True) if kept else rows.iloc[0:0]


def _cell(estimate_value: float, low: float, high: float, hidden: bool) -> str:
    if hidden:
        return "suppressed"
    if pd.isna(estimate_value):
        return DASH
    return f"{format_value(100 * estimate_value, 'percent')} ({format_interval(100 * low, 100 * high, 'percent')})"


def trend_table(trends: StateTrends, labels: Mapping[str, str] | None = None,
                better: Mapping[str, str] | None = None) -> Table:
    """Per indicator three rows (the state, the regional average, the real pooled HBSC figure) by cycle, and the
    first-to-last change of the state and the region with its interval, adjusted p and mark."""
    labels = labels or {}
    name = state_names().get(trends.state, trends.state)
    values = _values(trends)
    changes = {(r["variable"], r["series"]): r for r in trends.changes.to_dict("records")}
    rows = []
    for variable in dict.fromkeys(trends.estimates["variable"].astype(str)):
        for series in (trends.state, REGION, POOLED):
            line = {"Indicator": labels.get(variable, variable), "Series": name if series == trends.state else series}
            for cycle in trends.cycles:
                line[cycle] = values.get((variable, series, cycle), DASH)
            line.update(_change_cells(changes.get((variable, series)), better, variable))
            rows.append(line)
    rule = trends.changes.attrs["significance"]["text"]
    crossing = trends.changes.loc[~trends.changes["comparable"].astype(bool)]
    breaks = sorted({f"{labels.get(v, v)}: {str(b).split(': ')[0]}" for v, b in zip(crossing["variable"], crossing["break"], strict=True)})
    document_ids = ", ".join(dict.fromkeys(trends.pooled["document"]))
    what = (f"{name} and the regional average (unweighted mean of the states' estimates in each cycle), % with "
            f"intervals, by HBSC cycle; change from the first to the last cycle in percentage points (cycles are "
            f"independent samples; the region's change is over the states with estimates in both), marked: {rule}"
            + (f"; changes across a break in the question are said so ({'; '.join(breaks)})" if breaks else "")
            + f". The '{POOLED}' rows are real figures: each cycle's share of the valid answers of all HBSC countries "
            f"and regions together, from the unweighted case counts of the study documentation ({document_ids}; "
            "data/published/hbsc_pooled_indicators.csv), of every age (the documentation gives no counts by age), "
            "not the CBSS region and not weighted; they have no interval")
    return Table(pd.DataFrame(rows), caption_for(trends.estimates, what))


def _values(trends: StateTrends) -> dict[tuple[str, str, str], str]:
    """(variable, series, cycle) -> the cell text of the state, the regional average and the pooled figure."""
    out: dict[tuple[str, str, str], str] = {}
    own = trends.estimates[trends.estimates["state"].astype(str) == trends.state]
    region = trends.averages[trends.averages["average"] == "unweighted"]
    for series, frame in ((trends.state, own), (REGION, region)):
        for row in frame.to_dict("records"):
            out[(str(row["variable"]), series, str(row["cycle"]))] = _cell(row["estimate"], row["ci_low"], row["ci_high"],
                                                                           bool(row["suppressed"]))
    for row in trends.pooled.to_dict("records"):
        out[(row["indicator"], POOLED, row["survey"].removeprefix("HBSC "))] = format_value(float(row["value_pct"]), "percent")
    return out


def _change_cells(change: Mapping | None, better: Mapping[str, str] | None, variable: str) -> dict[str, str]:
    if change is None or bool(change["suppressed"]) or pd.isna(change["change"]):
        hidden = change is not None and bool(change["suppressed"])
        return {"Change, first to last": "suppressed" if hidden else DASH, "Adjusted p": DASH, "Marked": DASH}
    text = (f"{change['from']} to {change['to']}: {format_value(100 * change['change'], 'pp', signed=True)} "
            f"({format_interval(100 * change['ci_low'], 100 * change['ci_high'], 'pp')})"
            + ("" if bool(change["comparable"]) else ", across a break"))
    p = change["p_adjusted"]
    mark = judgement(float(change["change"]), bool(change["significant"]), (better or {}).get(variable)) or DASH
    return {"Change, first to last": text, "Adjusted p": DASH if pd.isna(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}"),
            "Marked": mark}


def record_changes(trends: StateTrends, indicators: Sequence[str], labels: Mapping[str, str] | None = None) -> None:
    """Record the state's first-to-last change of each of ``indicators`` (in percentage points, with its interval)."""
    labels = labels or {}
    name = state_names().get(trends.state, trends.state)
    level = trends.changes.attrs.get("level")
    for variable in indicators:
        rows = trends.changes[(trends.changes["variable"] == variable) & (trends.changes["series"] == trends.state)]
        if rows.empty:
            continue
        row = rows.iloc[0]
        what = (f"{labels.get(variable, variable)} ({name}): change {row['from']} to {row['to']}"
                + ("" if row["comparable"] else " (across a break in the question)"))
        if bool(row["suppressed"]) or pd.isna(row["change"]):
            record(f"{variable}_trend_change_pp", None, label=f"{what}: suppressed", unit="pp")
            continue
        record(f"{variable}_trend_change_pp", round(100 * float(row["change"]), 2), label=what, unit="pp",
               interval=(round(100 * float(row["ci_low"]), 2), round(100 * float(row["ci_high"]), 2)), level=level)


def published_changes(trends: StateTrends) -> pd.DataFrame:
    """The marked changes as a table to export: variable, series, cycles, change and interval, p-values, mark."""
    columns = ["variable", "series", "from", "to", "estimate_from", "estimate_to", "change", "se", "ci_low", "ci_high",
               "p_value", "p_adjusted", "significant", "comparable", "break", "suppressed"]
    out = trends.changes[columns].copy()
    out["series"] = out["series"].replace({trends.state: state_names().get(trends.state, trends.state)})
    out["significant"] = out["significant"].to_numpy(dtype=bool) & np.isfinite(out["p_value"].to_numpy(dtype=float))
    out.attrs.update(trends.changes.attrs)
    return out
