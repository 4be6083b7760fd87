"""Estimates by any grouping (sex, age group, cycle, or none): dot-and-whisker chart in category order."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from cbss_analysis.errors import PlotError
from cbss_analysis.plots import dots, selection
from cbss_analysis.plots.style import AXIS_LABEL_CHARS, caption_text, finish, is_synthetic, new_figure, plain, styled

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

    figure, ax = new_figure(7.5, 1.5 + len(order) * (0.3 if len(names) == 1 else 0.42) + 0.3)
    min_n = dots.table_min_n(table)
    drawn = dots.draw_dots(ax, rows, "cbss_row", position, split, names, scale, min_n)
    handles = drawn.handles
    if drawn.any_hidden:
        handles.append(dots.hidden_handle(drawn, min_n))
    ax.set_yticks(range(len(order)), labels=[plain(label) for label in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_ylabel(plain(ylabel if ylabel is not None else (by or ""), AXIS_LABEL_CHARS))
    ax.tick_params(axis="y", length=0)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    dots.percent_axis(ax, rows, scale)
    what = variable if category is None else f"{variable}: {category}"
    ax.set_xlabel(plain(xlabel or selection.value_label(table, what, scale), AXIS_LABEL_CHARS))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    notes = dots.dots_notes(selection.ci_percent(table), drawn, min_n)
    caption = caption_text(source or table.attrs.get("source"), is_synthetic(table, synthetic), notes)
    breakdown = " and ".join(c for c in (by, split) if c)
    return finish(figure, title or (f"{what} by {breakdown}" if breakdown else what), caption)
