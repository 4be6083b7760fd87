"""Trends across survey cycles: each state's estimate per cycle with its interval, the regional average, and breaks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cbss_analysis.errors import PlotError
from cbss_analysis.plots import selection
from cbss_analysis.plots.style import PALETTE, caption_text, finish, is_synthetic, new_figure, styled
from cbss_analysis.survey.cycles import cycle_year

_GREY = "#777777"


@styled
def trend_plot(table: pd.DataFrame, variable: str | None = None, states: Sequence[str] | None = None, *,
               average: pd.DataFrame | None = None, trend: pd.DataFrame | None = None,
               pooled: pd.DataFrame | None = None, over: str = "cycle",
               percent: bool | None = None, title: str | None = None, ylabel: str | None = None,
               source: str | None = None, synthetic: bool | None = None) -> Figure:
    """One line per state across the cycles (dots with interval whiskers), the regional average, the breaks.

    Parameters
    ----------
    table : DataFrame
        An estimate table with ``over`` and ``state`` among its by columns
        (``estimate.proportion(survey, ids, by=["cycle", "state"])``).
    variable : str, optional
        Which variable to draw when the table holds several.
    states : sequence of str, optional
        States to draw (default all in the table).
    average : DataFrame, optional
        :func:`cbss_analysis.estimate.regional_average` of the table: its unweighted average is drawn in black.
    trend : DataFrame, optional
        :func:`cbss_analysis.estimate.trend` of the table: a dashed vertical line marks each break between two
        cycles (``comparable`` False), with the caption saying why.
    pooled : DataFrame, optional
        Real figures pooled over all HBSC countries (``load_published("hbsc_pooled_indicators")``): drawn as grey
        hollow squares beside the estimates, the caption naming the documents.
    over, percent, title, ylabel, source, synthetic
        The cycle column; the rest as in :func:`~cbss_analysis.plots.estimates_by_state`.

    Returns
    -------
    matplotlib.figure.Figure
        Suppressed estimates are left out of their line (a gap), and the caption says so.

    Raises
    ------
    PlotError
        The table has no ``over`` or ``state`` column, or no row for the variable.
    """
    for column in (over, "state"):
        if column not in table.columns:
            raise PlotError(f"trend_plot: the table has no {column!r} column; estimate with by=['{over}', 'state']")
    rows, variable = selection.select(table, variable, None, [over, "state"], "trend_plot")
    if states:
        rows = rows[rows["state"].astype(str).isin(list(states))]
    scale = selection.percent_scale(table, percent)
    cycles = list(dict.fromkeys(sorted(rows[over].astype(str), key=cycle_year)))
    years = {c: cycle_year(c) for c in cycles}
    figure, ax = new_figure(8.0, 4.6)
    shown = ~rows["suppressed"].astype(bool) & rows["estimate"].notna()
    handles = []
    for index, (state, group) in enumerate(rows.groupby(rows["state"].astype(str), sort=False)):
        group = group[shown.loc[group.index]].copy()
        group["_x"] = group[over].astype(str).map(years)
        group = group.sort_values("_x")
        if group.empty:
            continue
        colour = PALETTE[index % len(PALETTE)]
        offset = (index - len(rows["state"].unique()) / 2) * 0.08
        x = group["_x"].to_numpy(float) + offset
        estimate = group["estimate"].to_numpy(float) * scale
        ax.errorbar(x, estimate, yerr=[estimate - group["ci_low"].to_numpy(float) * scale,
                                       group["ci_high"].to_numpy(float) * scale - estimate],
                    fmt="o-", color=colour, markersize=3.5, linewidth=1.0, elinewidth=0.8, capsize=0, alpha=0.85)
        handles.append(Line2D([], [], marker="o", color=colour, label=state))
    if average is not None:
        mean = average[(average["variable"] == variable) & (average["average"] == "unweighted") & ~average["suppressed"]]
        mean = mean.assign(_x=mean[over].astype(str).map(years)).dropna(subset=["_x"]).sort_values("_x")
        ax.plot(mean["_x"], mean["estimate"] * scale, color="black", linewidth=2.2, zorder=4)
        handles.append(Line2D([], [], color="black", linewidth=2.2, label="regional average"))
    real = draw_pooled(ax, pooled, variable, years) if scale == 100 else ""
    if real:
        handles.append(pooled_handle())
    reasons = series_breaks(trend, variable, years)
    for x in reasons:
        ax.axvline(x, color=_GREY, linestyle="--", linewidth=1.0)
    if reasons:
        handles.append(Line2D([], [], color=_GREY, linestyle="--", label="break in the series"))
    ax.set_xticks([years[c] for c in cycles], labels=cycles)
    ax.set_xlabel("Survey cycle")
    ax.set_ylabel(ylabel or selection.value_label(table, variable, scale))
    ax.yaxis.grid(True)
    ax.set_axisbelow(True)
    if scale == 100:
        top = max(float(np.nanmax(rows.loc[shown, "ci_high"].to_numpy(float), initial=0.0)) * scale,
                  float(ax.dataLim.y1) if real else 0.0)
        ax.set_ylim(0, min(100.0, max(top * 1.08, 1.0)))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    hidden = int((~shown).sum())
    notes = (f"Dots: design-based estimates per cycle; whiskers: {selection.ci_percent(table)} confidence intervals"
             + ("; black: unweighted mean of the states" if average is not None else "")
             + (f"; {hidden} suppressed estimate(s) left out" if hidden else "") + real
             + "".join(f"; break: {text}" for text in reasons.values()) + ".")
    caption = caption_text(source or table.attrs.get("source"), is_synthetic(table, synthetic), notes)
    return finish(figure, title or f"{variable} across cycles", caption)


def series_breaks(trend: pd.DataFrame | None, variable: str, years: dict[str, int]) -> dict[float, str]:
    """x position (between the two cycles) -> what changed, for each break of the variable's series."""
    if trend is None or trend.empty:
        return {}
    rows = trend[(trend["variable"] == variable) & ~trend["comparable"].astype(bool)]
    out: dict[float, str] = {}
    for text in rows["break"].unique():
        for part in str(text).split("; "):
            span, _, reason = part.partition(": ")
            start, _, end = span.partition(" to ")
            if start in years and end in years:
                out[(years[start] + years[end]) / 2] = f"{span} ({reason[:90]}{'...' if len(reason) > 90 else ''})"
    return out


POOLED_LABEL = "HBSC, all countries\npooled (real)"


def draw_pooled(ax, pooled: pd.DataFrame | None, variable: str, years: dict[str, int]) -> str:
    """Draw the real pooled HBSC figures of ``variable`` at their cycles; the caption words ("" when none)."""
    if pooled is None or pooled.empty:
        return ""
    rows = pooled[pooled["indicator"] == variable].copy()
    rows["_x"] = rows["survey"].str.removeprefix("HBSC ").map(years)
    rows = rows.dropna(subset=["_x"]).sort_values("_x")
    if rows.empty:
        return ""
    ax.plot(rows["_x"], rows["value_pct"], linestyle=":", marker="s", markersize=5, markerfacecolor="white",
            color=_GREY, linewidth=1.2, zorder=3)
    documents = ", ".join(dict.fromkeys(rows["document"]))
    return ("; grey squares: real figures, all HBSC countries and regions pooled, unweighted share of valid answers "
            f"(study documentation {documents}), not the CBSS region")


def pooled_handle() -> Line2D:
    """The legend entry of the pooled figures."""
    return Line2D([], [], color=_GREY, linestyle=":", marker="s", markerfacecolor="white", label=POOLED_LABEL)
