"""Estimates by any grouping (sex, age group, cycle, or none): dot-and-whisker chart in category order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cbss_analysis.errors import PlotError
from cbss_analysis.plots import selection
from cbss_analysis.plots.style import MARKERS, PALETTE, caption_text, finish, is_synthetic, new_figure, styled

_GREY = "#555555"
_ALL = "All respondents"


@styled
def estimates_by_group(table: pd.DataFrame, by: str | None = None, variable: str | None = None,
                       split: str | None = None, *, category: str | None = None, groups: Sequence[str] | None = None,
                       percent: bool | None = None, title: str | None = None, xlabel: str | None = None,
                       ylabel: str | None = None, source: str | None = None, synthetic: bool | None = None) -> Figure:
    """Dot per group of ``by`` with its confidence-interval whisker, groups in their category order.

    The companion of :func:`~cbss_analysis.plots.estimates_by_state` for a breakdown that is not
    the state (``by="sex"``, ``"agecat"``, ``"cycle"``), or for the whole sample (``by=None``).

    Parameters
    ----------
    table : DataFrame
        An estimate table (see :func:`~cbss_analysis.plots.estimates_by_state`) with ``by`` (and
        ``split``) among its by columns.
    by : str, optional
        The grouping drawn down the figure; None: one row for the whole sample.
    variable, category : str, optional
        Which variable (and category) to draw when the table holds several.
    split : str, optional
        A second by column: one dodged dot per group of it.
    groups : sequence of str, optional
        Order (and choice) of the ``split`` groups.
    percent, title, xlabel, source, synthetic
        As in :func:`~cbss_analysis.plots.estimates_by_state`.
    ylabel : str, optional
        Label of the groups' axis (default: the ``by`` column's name).

    Returns
    -------
    matplotlib.figure.Figure
        Suppressed cells keep their row: a hollow marker and "suppressed (n=..)".
    """
    if by is not None and split == by:
        raise PlotError(f"estimates_by_group: split={split!r} is the same column as by; choose another")
    keep = [c for c in (by, split) if c]
    rows, variable = selection.select(table, variable, category, keep, "estimates_by_group")
    scale = selection.percent_scale(table, percent)
    rows["cbss_row"] = rows[by].astype(str) if by else _ALL
    order = selection.group_order(rows[by], None) if by else [_ALL]
    order += [g for g in dict.fromkeys(rows["cbss_row"]) if g not in order]
    position = {g: i for i, g in enumerate(order)}
    names = selection.group_order(rows[split], groups) if split else [None]
    offsets = np.linspace(-0.2, 0.2, len(names)) if len(names) > 1 else np.zeros(1)
    shown = ~rows["suppressed"] & rows["estimate"].notna()

    figure, ax = new_figure(7.5, 1.5 + len(order) * (0.3 if len(names) == 1 else 0.42) + 0.3)
    min_n = table.attrs.get("min_n") or 30
    handles: list[Line2D] = []
    any_hidden = False
    for index, (name, offset) in enumerate(zip(names, offsets, strict=True)):
        colour = PALETTE[index % len(PALETTE)]
        marker = MARKERS[index % len(MARKERS)]
        group = rows if name is None else rows[rows[split].astype(str) == name]
        visible = group[shown.loc[group.index]]
        estimate = visible["estimate"].to_numpy(float) * scale
        ax.errorbar(estimate, visible["cbss_row"].map(position).to_numpy(float) + offset,
                    xerr=[estimate - visible["ci_low"].to_numpy(float) * scale,
                          visible["ci_high"].to_numpy(float) * scale - estimate],
                    fmt=marker, color=colour, markersize=5, elinewidth=1.3, capsize=0, zorder=3)
        for row in group[~shown.loc[group.index]].itertuples():
            _mark_missing(ax, position[row.cbss_row] + offset, bool(row.suppressed), row.n, min_n, marker, colour)
            any_hidden = True
        if name is not None:
            handles.append(Line2D([], [], marker=marker, color=colour, linestyle="none", label=str(name)))
    if any_hidden:
        handles.append(Line2D([], [], marker="o", color=_GREY, markerfacecolor="none", linestyle="none",
                              label=f"suppressed (n < {min_n})"))
    ax.set_yticks(range(len(order)), labels=order)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_ylabel(ylabel if ylabel is not None else (by or ""))
    ax.tick_params(axis="y", length=0)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    if scale == 100:
        top = float(np.nanmax(rows.loc[shown, "ci_high"].to_numpy(float), initial=0.0)) * scale
        ax.set_xlim(0, min(100.0, max(top * 1.08, 1.0)))
    what = variable if category is None else f"{variable}: {category}"
    ax.set_xlabel(xlabel or selection.value_label(table, what, scale))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    notes = (f"Dots: design-based estimates; whiskers: {selection.ci_percent(table)} confidence intervals"
             f"{f'; hollow markers: suppressed, fewer than {min_n} respondents' if any_hidden else ''}.")
    caption = caption_text(source or table.attrs.get("source"), is_synthetic(table, synthetic), notes)
    breakdown = " and ".join(c for c in (by, split) if c)
    return finish(figure, title or (f"{what} by {breakdown}" if breakdown else what), caption)


def _mark_missing(ax, y: float, suppressed: bool, n: object, min_n: int, marker: str, colour: str) -> None:
    transform = ax.get_yaxis_transform()
    ax.plot([0.012], [y], marker=marker, markerfacecolor="none", markeredgecolor=colour, markersize=5,
            linestyle="none", transform=transform, zorder=3)
    count = f"n={int(n)}" if pd.notna(n) else "n"
    label = f"suppressed ({count} < {min_n})" if suppressed else "no estimate"
    ax.text(0.03, y, label, transform=transform, va="center", fontsize=7, color=_GREY, style="italic")
