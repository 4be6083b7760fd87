"""The figures a reader looks at first in a data overview: sample by state and age, design effects, missingness."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cbss_analysis.plots import selection
from cbss_analysis.plots.style import MARKERS, PALETTE, caption_text, finish, is_synthetic, new_figure, styled


def _state_order(codes: pd.Series) -> list[str]:
    from cbss_analysis import states

    present = set(codes.astype(str))
    return [c for c in states.state_codes() if c in present] + sorted(present - set(states.state_codes()))


@styled
def sample_by_state(sample: pd.DataFrame, by: str = "agecat", *, title: str | None = None, source: str | None = None,
                    synthetic: bool | None = None) -> Figure:
    """Respondents per state as bars stacked by ``by`` (age group), with each state's total at the end.

    Parameters
    ----------
    sample : DataFrame
        ``cbss_analysis.overview.sample_sizes(survey, by=["state", by, ...])``: columns ``state``,
        ``by`` and ``n`` (rows of other by columns are summed). Suppressed counts (NA) count as 0
        and are said to be left out.
    by : str
        The column whose groups stack.
    title, source, synthetic
        As in the other figures.
    """
    selection.require_columns(sample, ("state", by, "n"), "sample_by_state")
    counts = sample.assign(state=sample["state"].astype(str), group=sample[by].astype(str),
                           n=pd.to_numeric(sample["n"], errors="coerce"))
    hidden = bool(counts["n"].isna().any())
    wide = counts.pivot_table(index="state", columns="group", values="n", aggfunc="sum", observed=True).fillna(0)
    groups = selection.group_order(sample[by], None)
    wide = wide.reindex(index=_state_order(counts["state"]), columns=[g for g in groups if g in wide.columns])
    figure, ax = new_figure(7.5, 1.6 + 0.32 * len(wide))
    left = np.zeros(len(wide))
    positions = np.arange(len(wide))
    for index, group in enumerate(wide.columns):
        values = wide[group].to_numpy(float)
        ax.barh(positions, values, left=left, color=PALETTE[index % len(PALETTE)], label=str(group), height=0.7,
                edgecolor="white", linewidth=0.6)
        left += values
    for y, total in zip(positions, left):
        ax.text(total, y, f"  {total:,.0f}", va="center", fontsize=7.5)
    ax.set_yticks(positions, labels=[selection.state_label(s) for s in wide.index])
    ax.set_ylim(len(wide) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, float(left.max(initial=1)) * 1.15)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    ax.set_xlabel("Respondents (unweighted)")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=max(1, len(wide.columns)), title=None)
    notes = "Bars: respondents per state, stacked by age group; the number is the state's total."
    if hidden:
        notes += " Counts suppressed as too small are left out of the bars."
    caption = caption_text(source or sample.attrs.get("source"), is_synthetic(sample, synthetic), notes)
    return finish(figure, title or "Respondents by state and age group", caption)


@styled
def design_effects(table: pd.DataFrame, labels: Mapping[str, str] | None = None, *, title: str | None = None,
                   source: str | None = None, synthetic: bool | None = None) -> Figure:
    """Design effects by state: one marker per indicator, a line at 1 (a simple random sample).

    Parameters
    ----------
    table : DataFrame
        An estimate table by ``state`` with a ``deff`` column (``estimate.proportion(..., by="state")``).
    labels : mapping, optional
        Indicator id -> label (the legend).
    title, source, synthetic
        As in the other figures.
    """
    selection.require_columns(table, ("variable", "state", "deff"), "design_effects")
    rows = table.assign(state=table["state"].astype(str), variable=table["variable"].astype(str))
    order = _state_order(rows["state"])
    position = {s: i for i, s in enumerate(order)}
    variables = list(dict.fromkeys(rows["variable"]))
    figure, ax = new_figure(7.5, 1.9 + 0.32 * len(order) + 0.16 * len(variables))
    offsets = np.linspace(-0.25, 0.25, len(variables)) if len(variables) > 1 else np.zeros(1)
    handles = []
    for index, (variable, offset) in enumerate(zip(variables, offsets)):
        part = rows[(rows["variable"] == variable) & rows["deff"].notna()]
        colour, marker = PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]
        ax.plot(part["deff"].astype(float), part["state"].map(position) + offset, linestyle="none", marker=marker,
                color=colour, markersize=5.5)
        label = textwrap.shorten(str((labels or {}).get(variable, variable)), 70, placeholder=" ...")
        handles.append(Line2D([], [], marker=marker, color=colour, linestyle="none", label=label))
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1)
    handles.append(Line2D([], [], color="black", linestyle="--", label="1: as precise as a simple random sample"))
    ax.set_yticks(range(len(order)), labels=[selection.state_label(s) for s in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    ax.set_xlim(0, max(2.0, float(np.nanmax(rows["deff"].to_numpy(float), initial=1.0)) * 1.1))
    ax.set_xlabel("Design effect (variance against simple random sampling with replacement)")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.12 - 0.02 * len(order) / 11), ncols=1,
              fontsize=7)
    notes = ("Markers: the design effect of each indicator in each state (clustering in school classes and weighting); "
             "the effective sample size is the number of respondents divided by it.")
    caption = caption_text(source or table.attrs.get("source"), is_synthetic(table, synthetic), notes)
    return finish(figure, title or "Design effects of the main indicators by state", caption)


@styled
def missingness_by_item(missing: pd.DataFrame, labels: Mapping[str, str] | None = None, top: int = 20, *,
                        title: str | None = None, source: str | None = None, synthetic: bool | None = None) -> Figure:
    """The items with the most missing answers among those asked (mean over states), as bars.

    Parameters
    ----------
    missing : DataFrame
        ``cbss_analysis.overview.missingness(survey)``: ``variable``, ``state``, ``missing``
        (share among those asked) and ``not_asked`` (share not asked: skip patterns).
    labels : mapping, optional
        Variable -> label.
    top : int
        Most items shown (those with the highest missing share).
    title, source, synthetic
        As in the other figures.
    """
    selection.require_columns(missing, ("variable", "missing", "not_asked"), "missingness_by_item")
    means = missing.groupby("variable", sort=False)[["missing", "not_asked"]].mean() * 100
    means = means[means["missing"] > 0].sort_values("missing", ascending=False).head(top)
    figure, ax = new_figure(8.0, 1.6 + 0.26 * max(len(means), 1))
    positions = np.arange(len(means))
    ax.barh(positions, means["missing"].to_numpy(float), color=PALETTE[0], height=0.65)
    for y, value in zip(positions, means["missing"].to_numpy(float)):
        ax.text(value, y, f" {value:.1f}%", va="center", fontsize=7)
    names = [textwrap.shorten(str((labels or {}).get(v, v)), 60, placeholder=" ...") for v in means.index]
    ax.set_yticks(positions, labels=names, fontsize=7.5)
    ax.set_ylim(len(means) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    ax.set_xlim(0, max(1.0, float(means["missing"].max()) * 1.2) if len(means) else 1.0)
    ax.set_xlabel("Missing answers among those asked (%, mean over states)")
    notes = (f"The {len(means)} items with the most item non-response; skip patterns (not asked by design) are not "
             "counted as missing.")
    caption = caption_text(source or missing.attrs.get("source"), is_synthetic(missing, synthetic), notes)
    return finish(figure, title or "Missing answers by item", caption)
