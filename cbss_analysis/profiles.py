"""The tables of a state profile: the state beside the regional average, and breakdowns by sex and age.

:func:`profile_table` shows, per indicator, the state's estimate and interval, the regional
average, the difference in percentage points, its adjusted p-value (the one that decides the
marks, from :func:`cbss_analysis.estimate.significance.mark`) and the judgement ("better",
"worse", "higher", "lower", or blank). :func:`breakdown_table` puts the groups of one by
column (girls and boys, the age groups) side by side for the key indicators.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from cbss_analysis.common.numbers import DASH, format_interval, format_value
from cbss_analysis.states import check_state, state_names
from cbss_analysis.summaries import judgement
from cbss_analysis.tables import Table, caption_for


def _p(value: float) -> str:
    if pd.isna(value):
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def profile_table(estimates: pd.DataFrame, marked: pd.DataFrame, state: str, labels: Mapping[str, str] | None = None,
                  better: Mapping[str, str] | None = None, groups: Mapping[str, str] | None = None) -> Table:
    """One row per indicator: the state's value (CI), the regional average, the difference, adjusted p, judgement.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Proportions by state.
    marked : pandas.DataFrame
        The state's rows of ``estimate.compare(estimates)`` through ``estimate.significance.mark``.
    state : str
        ISO2 code.
    labels, better, groups : mapping, optional
        Indicator id -> label, better direction, priority area.
    """
    code = check_state(state)
    rule = marked.attrs.get("significance") or {}
    own = estimates[estimates["state"].astype(str) == code].drop_duplicates("variable").set_index("variable")
    scale = 100.0 if estimates.attrs.get("kind") == "proportion" else 1.0
    unit = "percent" if scale == 100 else None
    rows = []
    for row in marked[marked["state"].astype(str) == code].itertuples(index=False):
        variable = str(row.variable)
        mine = own.loc[variable] if variable in own.index else None
        hidden = mine is None or bool(mine["suppressed"]) or pd.isna(mine["estimate"])
        value = "suppressed" if hidden else (
            f"{format_value(mine['estimate'] * scale, unit)} ({format_interval(mine['ci_low'] * scale, mine['ci_high'] * scale, unit)})")
        difference = DASH if pd.isna(row.difference) else format_value(row.difference * scale, "pp" if unit else None,
                                                                         signed=True)
        rows.append({
            "Indicator": (labels or {}).get(variable, variable),
            f"{state_names().get(code, code)} ({estimates.attrs.get('level', 0.95):.0%} CI)": value,
            "Regional average": format_value(row.reference * scale if pd.notna(row.reference) else None, unit),
            "Difference": difference,
            "Adjusted p": _p(row.p_adjusted),
            "Marked": judgement(float(row.difference), bool(row.significant), (better or {}).get(variable)) or DASH,
            "Priority area": (groups or {}).get(variable) or "Other",
        })
    frame = pd.DataFrame(rows)
    if groups:
        order = {group: i for i, group in enumerate(dict.fromkeys(frame["Priority area"]))}
        frame = frame.sort_values("Priority area", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    else:
        frame = frame.drop(columns="Priority area")
    what = (f"{state_names().get(code, code)} against the regional average (unweighted mean of the states), every "
            f"indicator; difference in percentage points; marked: {rule.get('text', 'no marks')}, better or worse by "
            "the codebook's direction where it gives one")
    return Table(frame, caption_for(estimates, what))


def breakdown_table(table: pd.DataFrame, state: str, by: str, labels: Mapping[str, str] | None = None,
                    groups: Sequence[str] | None = None) -> Table:
    """The key indicators of one state with the groups of ``by`` (sex, age group) as columns: estimate (CI).

    Parameters
    ----------
    table : pandas.DataFrame
        Proportions by ``["state", by]``.
    state : str
        ISO2 code.
    by : str
        The column whose groups go across.
    labels : mapping, optional
        Indicator id -> label.
    groups : sequence of str, optional
        The order of the groups (default: the table's).
    """
    code = check_state(state)
    rows = table[table["state"].astype(str) == code]
    scale = 100.0 if table.attrs.get("kind") == "proportion" else 1.0
    unit = "percent" if scale == 100 else None
    order = list(groups) if groups else list(dict.fromkeys(rows[by].astype(str)))
    shown = []
    for variable in dict.fromkeys(rows["variable"].astype(str)):
        line = {"Indicator": (labels or {}).get(variable, variable)}
        for group in order:
            cell = rows[(rows["variable"].astype(str) == variable) & (rows[by].astype(str) == group)]
            if cell.empty:
                line[group] = DASH
                continue
            cell = cell.iloc[0]
            line[group] = "suppressed" if bool(cell["suppressed"]) or pd.isna(cell["estimate"]) else (
                f"{format_value(cell['estimate'] * scale, unit)} "
                f"({format_interval(cell['ci_low'] * scale, cell['ci_high'] * scale, unit)})")
        shown.append(line)
    name = state_names().get(code, code)
    words = {"sex": "sex", "agecat": "age group"}.get(by, by)
    return Table(pd.DataFrame(shown), caption_for(table, f"Key indicators in {name} by {words}, % ({table.attrs.get('level', 0.95):.0%} CI)"))
