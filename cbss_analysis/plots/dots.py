"""Dot-and-whisker rows: the drawing that the by-state and the by-group charts share.

One dot per row of an estimate table and group of ``split`` (dodged), its whisker the confidence
interval; a row without a shown estimate keeps its place with a hollow marker and the words
"suppressed (n < min_n)" or "no estimate". The caption words for these marks are written here too,
by the code that draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.plots.style import MARKERS, PALETTE, plain

GREY = "#555555"


def table_min_n(table: pd.DataFrame) -> int:
    """The ``min_n`` a table was suppressed with (its ``attrs``), else the package default."""
    value = table.attrs.get("min_n")
    return DEFAULT_MIN_N if value is None else int(value)


@dataclass
class DrawnDots:
    """What :func:`draw_dots` drew: legend handles, whether a row had no estimate, the shown rows per group."""

    handles: list[Line2D] = field(default_factory=list)
    any_hidden: bool = False
    any_suppressed: bool = False
    any_missing: bool = False
    """Rows drawn hollow: suppressed (fewer than ``min_n``) or, not suppressed, without an estimate."""
    visible: dict[str | None, pd.DataFrame] = field(default_factory=dict)


def draw_dots(ax: Axes, rows: pd.DataFrame, key: str, position: Mapping[str, float], split: str | None,
              names: list[str | None], scale: float, min_n: int) -> DrawnDots:
    """Draw the rows of ``rows`` at ``position[row[key]]``, one dodged series per group of ``split``.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    rows : DataFrame
        The selected rows of an estimate table (``estimate``, ``ci_low``, ``ci_high``, ``n``, ``suppressed``).
    key : str
        The column whose value places a row on the axis (``state``, or a group label column).
    position : mapping
        Value of ``key`` -> row position.
    split : str or None
        The column of the dodged groups; None: one series.
    names : list
        The groups of ``split`` in order (``[None]`` without a split).
    scale : float
        100 for percentages, else 1.
    min_n : int
        The suppression threshold, for the label of suppressed rows.
    """
    drawn = DrawnDots()
    shown = ~rows["suppressed"].fillna(False).astype(bool) & rows["estimate"].notna()
    offsets = np.linspace(-0.2, 0.2, len(names)) if len(names) > 1 else np.zeros(1)
    for index, (name, offset) in enumerate(zip(names, offsets, strict=True)):
        colour, marker = PALETTE[index % len(PALETTE)], MARKERS[index % len(MARKERS)]
        group = rows if name is None else rows[rows[split].astype(str) == name]
        visible = group[shown.loc[group.index]]
        estimate = visible["estimate"].to_numpy(float) * scale
        ax.errorbar(estimate, visible[key].map(position).to_numpy(float) + offset,
                    xerr=[estimate - visible["ci_low"].to_numpy(float) * scale,
                          visible["ci_high"].to_numpy(float) * scale - estimate],
                    fmt=marker, color=colour, markersize=5, elinewidth=1.3, capsize=0, zorder=3)
        for row in group[~shown.loc[group.index]].itertuples():
            mark_missing(ax, position[getattr(row, key)] + offset, bool(row.suppressed), row.n, min_n, marker, colour)
            drawn.any_hidden = True
            drawn.any_suppressed |= bool(row.suppressed)
            drawn.any_missing |= not bool(row.suppressed)
        if name is not None:
            drawn.handles.append(Line2D([], [], marker=marker, color=colour, linestyle="none", label=plain(name)))
        drawn.visible[name] = visible
    return drawn


def mark_missing(ax: Axes, y: float, suppressed: bool, n: object, min_n: int, marker: str, colour: str) -> None:
    """Hollow marker and a label at the left edge of the row for a cell with no estimate shown."""
    transform = ax.get_yaxis_transform()
    ax.plot([0.012], [y], marker=marker, markerfacecolor="none", markeredgecolor=colour, markersize=5,
            linestyle="none", transform=transform, zorder=3)
    count = f"n={int(n)}" if pd.notna(n) else "n"
    label = f"suppressed ({count} < {min_n})" if suppressed else "no estimate"
    ax.text(0.03, y, label, transform=transform, va="center", fontsize=7, color=GREY, style="italic")


def _hollow_words(drawn: DrawnDots, min_n: int) -> str:
    suppressed = f"suppressed, fewer than {min_n} respondents"
    if drawn.any_suppressed and drawn.any_missing:
        return f"{suppressed}, or no estimate"
    return suppressed if drawn.any_suppressed else "no estimate"


def hidden_handle(drawn: DrawnDots, min_n: int) -> Line2D:
    """The legend entry of the hollow markers, in the words of what they stand for."""
    label = (f"suppressed (n < {min_n})" + (" or no estimate" if drawn.any_missing else "")
             if drawn.any_suppressed else "no estimate")
    return Line2D([], [], marker="o", color=GREY, markerfacecolor="none", linestyle="none", label=label)


def percent_axis(ax: Axes, rows: pd.DataFrame, scale: float) -> None:
    """For percentages, an x axis from 0 to just past the highest interval shown (at most 100)."""
    if scale != 100:
        return
    shown = ~rows["suppressed"].fillna(False).astype(bool) & rows["estimate"].notna()
    top = float(np.nanmax(rows.loc[shown, "ci_high"].to_numpy(float), initial=0.0)) * scale
    ax.set_xlim(0, min(100.0, max(top * 1.08, 1.0)))


def dots_notes(ci_percent: str, drawn: DrawnDots, min_n: int, extra: str = "") -> str:
    """The caption words for dots, whiskers, ``extra`` marks and the hollow markers, as :func:`draw_dots` drew them."""
    hidden = f"; hollow markers: {_hollow_words(drawn, min_n)}" if drawn.any_hidden else ""
    return f"Dots: design-based estimates; whiskers: {ci_percent} confidence intervals{extra}{hidden}."
