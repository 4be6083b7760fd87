"""A state profile's trends: one panel per indicator, the state and the regional average across survey cycles."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cbss_analysis.common.numbers import format_value
from cbss_analysis.plots.style import PALETTE, caption_text, finish, is_synthetic, new_figure, styled
from cbss_analysis.plots.trends import draw_pooled, pooled_handle, series_breaks
from cbss_analysis.states import state_names
from cbss_analysis.survey.cycles import cycle_year

_REGION = "black"


@styled
def state_trend_plot(estimates: pd.DataFrame, averages: pd.DataFrame, changes: pd.DataFrame, state: str, *,
                     variables: Sequence[str] | None = None, pooled: pd.DataFrame | None = None,
                     labels: Mapping[str, str] | None = None,
                     trend: pd.DataFrame | None = None, title: str | None = None,
                     synthetic: bool | None = None) -> Figure:
    """One panel per indicator: the state (dots, whiskers) and the regional average (black) across the cycles.

    Parameters
    ----------
    estimates : DataFrame
        Proportions by ``["cycle", "state"]``.
    averages : DataFrame
        :func:`cbss_analysis.estimate.regional_average` of ``estimates`` (its unweighted average is drawn).
    changes : DataFrame
        The marked first-to-last changes (:attr:`cbss_analysis.profile_trends.StateTrends.changes`, with ``series``,
        ``significant`` and ``attrs["significance"]``): each panel's subtitle gives the state's change and its mark.
    state : str
        ISO2 code.
    variables : sequence of str, optional
        The indicators drawn, one panel each (default every indicator of ``estimates``).
    pooled : DataFrame, optional
        Real pooled HBSC figures (grey squares, :func:`cbss_analysis.plots.trends.draw_pooled`).
    labels : mapping, optional
        Indicator id -> label.
    trend : DataFrame, optional
        Rows with ``comparable`` and ``break`` (e.g. ``changes``): dashed lines at breaks.
    title, synthetic
        As in the other figures.
    """
    variables = list(variables) if variables else list(dict.fromkeys(estimates["variable"].astype(str)))
    columns = min(2, max(len(variables), 1))
    rows_n = int(np.ceil(len(variables) / columns)) if variables else 1
    figure, axes = new_figure(8.0, 2.8 * rows_n + 1.4, nrows=rows_n, ncols=columns, squeeze=False, sharex=True)
    name = state_names().get(state, state)
    cycles = sorted(set(estimates["cycle"].astype(str)), key=cycle_year)
    years = {c: cycle_year(c) for c in cycles}
    hidden, notes, reasons_all = 0, "", {}
    for index, variable in enumerate(variables):
        ax = axes[index // columns][index % columns]
        mine = estimates[(estimates["variable"] == variable) & (estimates["state"].astype(str) == state)].copy()
        mine["_x"] = mine["cycle"].astype(str).map(years)
        mine = mine.sort_values("_x")
        visible = ~mine["suppressed"].astype(bool) & mine["estimate"].notna()
        hidden += int((~visible).sum())
        shown = mine[visible]
        ax.errorbar(shown["_x"] - 0.15, 100 * shown["estimate"], yerr=[100 * (shown["estimate"] - shown["ci_low"]),
                                                                        100 * (shown["ci_high"] - shown["estimate"])],
                    fmt="o-", color=PALETTE[0], markersize=4, linewidth=1.4, elinewidth=1.0, capsize=0)
        mean = averages[(averages["variable"] == variable) & (averages["average"] == "unweighted") & ~averages["suppressed"]]
        mean = mean.assign(_x=mean["cycle"].astype(str).map(years)).sort_values("_x")
        ax.errorbar(mean["_x"] + 0.15, 100 * mean["estimate"], yerr=[100 * (mean["estimate"] - mean["ci_low"]),
                                                                      100 * (mean["ci_high"] - mean["estimate"])],
                    fmt="o-", color=_REGION, markersize=3.5, linewidth=1.4, elinewidth=1.0, capsize=0)
        notes = draw_pooled(ax, pooled, variable, years) or notes
        reasons = series_breaks(trend, variable, years)
        reasons_all.update(reasons)
        for x in reasons:
            ax.axvline(x, color="#777777", linestyle="--", linewidth=1.0)
        ax.set_title(_subtitle(changes, variable, state, (labels or {}).get(variable, variable)), fontsize=8.5, loc="left")
        ax.set_ylim(0, min(100.0, max(float(ax.dataLim.y1) * 1.12, 5.0)))
        ax.yaxis.grid(True)
        ax.set_axisbelow(True)
        ax.set_ylabel("Pupils (%)", fontsize=8)
        ax.set_xticks([years[c] for c in cycles], labels=cycles, fontsize=7)
    for index in range(len(variables), rows_n * columns):
        axes[index // columns][index % columns].set_visible(False)
    handles = [Line2D([], [], marker="o", color=PALETTE[0], label=name),
               Line2D([], [], marker="o", color=_REGION, label="regional average")]
    if notes:
        handles.append(pooled_handle())
    if reasons_all:
        handles.append(Line2D([], [], color="#777777", linestyle="--", label="break in the series"))
    figure.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    rule = changes.attrs.get("significance", {}).get("text", "no marks")
    level = estimates.attrs.get("level", 0.95)
    words = (f"Dots: design-based estimates per cycle with {level:.0%} confidence intervals ({name} left, the "
             f"unweighted mean of the states right); each panel gives {name}'s change from its first to its last cycle, "
             f"marked (*) by {rule} (the state's and the region's first-to-last changes of every indicator followed, as in the table)"
             + (f"; {hidden} suppressed estimate(s) left out" if hidden else "") + notes
             + "".join(f"; break: {text}" for text in dict.fromkeys(reasons_all.values())) + ".")
    caption = caption_text(estimates.attrs.get("source"), is_synthetic(estimates, synthetic), words)
    return finish(figure, title or f"{name} and the region across HBSC cycles", caption)


def _subtitle(changes: pd.DataFrame, variable: str, state: str, label: str) -> str:
    rows = changes[(changes["variable"] == variable) & (changes["series"] == state)]
    short = "\n".join(textwrap.wrap(label, 44)[:2])
    if rows.empty or bool(rows["suppressed"].iloc[0]) or pd.isna(rows["change"].iloc[0]):
        return short
    row = rows.iloc[0]
    mark = "*" if bool(row["significant"]) else ""
    crossing = "" if bool(row["comparable"]) else ", across a break"
    return f"{short}\n{row['from']} to {row['to']}: {format_value(100 * row['change'], 'pp', signed=True)}{mark}{crossing}"
