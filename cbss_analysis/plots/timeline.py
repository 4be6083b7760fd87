"""Timeline of the CBSS milestones and the states' child-protection policy facts."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cbss_analysis import states
from cbss_analysis.common.text import strip_control
from cbss_analysis.plots.style import OKABE_ITO, caption_text, finish, new_figure, plain, styled

if TYPE_CHECKING:
    from cbss_analysis.strategy import Strategy

POLICY_TABLES = ("corporal_punishment_ban", "barnahus_first")
_BAN = {"column": "ban_year", "marker": "s", "colour": OKABE_ITO["blue"], "label": "Full ban on corporal punishment"}
_BARNAHUS = {"column": "first_opening_year", "marker": "D", "colour": OKABE_ITO["vermillion"],
             "label": "First Barnahus (children's house)"}


@styled
def timeline(strategy: Strategy | None = None, published: Mapping[str, pd.DataFrame] | None = None, *,
             title: str | None = None, start: int = 1975, end: int = 2026) -> Figure:
    """CBSS milestones (top) and, per state, the corporal-punishment ban and the first Barnahus (bottom).

    Parameters
    ----------
    strategy : Strategy, optional
        Its ``milestones`` are drawn; default :func:`cbss_analysis.load_strategy`.
    published : mapping, optional
        ``{"corporal_punishment_ban": DataFrame, "barnahus_first": DataFrame}`` as returned by
        :func:`cbss_analysis.load_published`; default: load both.
    title : str, optional
        Figure title.
    start, end : int
        Year range of the x axis.

    Returns
    -------
    matplotlib.figure.Figure
        Facts graded L (secondary transcription) are drawn hollow; states without a year say so.
    """
    if strategy is None:
        from cbss_analysis.strategy import load_strategy

        strategy = load_strategy(codebooks=[])
    if published is None:
        from cbss_analysis.published import load_published

        published = {name: load_published(name) for name in POLICY_TABLES}
    milestones = strategy.milestones
    codes = states.state_codes()
    names = states.state_names()
    figure, (top, bottom) = new_figure(9.0, 2.4 + 0.45 * len(milestones) + 0.34 * len(codes), nrows=2,
                                       sharex=True,
                                       gridspec_kw={"height_ratios": [1.3 * (len(milestones) + 0.6), len(codes)]})
    turn = start + 0.7 * (end - start)
    for row, milestone in enumerate(milestones):
        hollow = milestone.confidence == "L"
        top.plot([milestone.year], [row], marker="o", color="black", markersize=6, linestyle="none",
                 markerfacecolor="none" if hollow else "black")
        left = milestone.year < turn
        top.text(milestone.year + (0.8 if left else -0.8), row,
                 "\n".join(plain(line) for line in textwrap.wrap(strip_control(f"{milestone.year}: {milestone.event}"), 52)[:6]),
                 ha="left" if left else "right", va="center", fontsize=7.5, linespacing=1.1)
    top.set_ylim(len(milestones) - 0.4, -0.6)
    top.set_yticks([])
    top.set_ylabel("CBSS")
    top.spines["left"].set_visible(False)
    top.xaxis.grid(True)

    position = {code: i for i, code in enumerate(codes)}
    bottom.hlines(range(len(codes)), start, end, color="#EEEEEE", linewidth=0.8, zorder=0)
    for spec, table, shift in ((_BAN, published["corporal_punishment_ban"], -0.13),
                               (_BARNAHUS, published["barnahus_first"], 0.13)):
        dated = table[table[spec["column"]].notna()]
        for row in dated.itertuples():
            hollow = row.confidence == "L"
            bottom.plot([getattr(row, spec["column"])], [position[row.state] + shift], marker=spec["marker"],
                        color=spec["colour"], markerfacecolor="none" if hollow else spec["colour"], markersize=7,
                        linestyle="none", zorder=3)
    missing = _missing_notes(published, codes)
    for code, note in missing.items():
        bottom.text(0.995, position[code], note, transform=bottom.get_yaxis_transform(), ha="right", va="center",
                    fontsize=7, color="#555555", style="italic")
    bottom.set_yticks(range(len(codes)), labels=[plain(names[c]) for c in codes])
    bottom.set_ylim(len(codes) - 0.5, -0.5)
    bottom.tick_params(axis="y", length=0)
    bottom.set_ylabel("State")
    bottom.set_xlim(start, end)
    bottom.set_xlabel("Year")
    bottom.xaxis.grid(True)
    handles = [Line2D([], [], marker=s["marker"], color=s["colour"], linestyle="none", label=s["label"])
               for s in (_BAN, _BARNAHUS)]
    handles.append(Line2D([], [], marker="D", color="#555555", markerfacecolor="none", linestyle="none",
                          label="hollow: low confidence (L)"))
    bottom.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, fontsize=7.5)
    notes = ("Top: milestones of the CBSS work on children at risk. Bottom: year of the full legal ban on corporal "
             "punishment of children and year the first Barnahus opened, per state.")
    source = ("CBSS Expert Group on Children at Risk, 20-year review; Global Initiative to End All Corporal Punishment "
              "of Children; national Barnahus sources as listed in data/published/README.md")
    return finish(figure, title or "Children at risk in the Baltic Sea Region: milestones and policies",
                  caption_text(source, False, notes))


def _missing_notes(published: Mapping[str, pd.DataFrame], codes: list[str]) -> dict[str, str]:
    """State -> note on the facts with no year (no ban; Barnahus year not found)."""
    bans = published["corporal_punishment_ban"].set_index("state")["ban_year"]
    barnahus = published["barnahus_first"].set_index("state")["first_opening_year"]
    notes = {}
    for code in codes:
        parts = []
        if pd.isna(bans.get(code)):
            parts.append("no full ban")
        if pd.isna(barnahus.get(code)):
            parts.append("Barnahus: no opening year found")
        if parts:
            notes[code] = "; ".join(parts)
    return notes
