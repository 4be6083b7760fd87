"""Estimates by state: dot-and-whisker chart and the two-group (dumbbell) gap chart."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import PlotError
from cbss_analysis.plots import dots, selection
from cbss_analysis.plots.style import (
    AXIS_LABEL_CHARS,
    LABEL_CHARS,
    MARKERS,
    PALETTE,
    caption_text,
    finish,
    is_synthetic,
    new_figure,
    plain,
    styled,
)


@styled
def estimates_by_state(table: pd.DataFrame, variable: str | None = None, split: str | None = None,
                       reference: str | float | None = "regional", *, category: str | None = None,
                       groups: Sequence[str] | None = None, percent: bool | None = None,
                       title: str | None = None, xlabel: str | None = None, source: str | None = None,
                       synthetic: bool | None = None) -> Figure:
    """Dot per state with its confidence-interval whisker, sorted, with a regional reference line.

    Parameters
    ----------
    table : DataFrame
        An estimate table with a ``state`` by column (contract columns ``variable``, ``level``,
        by columns, ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``suppressed``; ``attrs``
        ``synthetic``, ``kind``, ``level``, ``min_n``).
    variable : str, optional
        Variable to draw; needed when the table holds several.
    split : str, optional
        A second by column (``sex``, ``agecat``): one dodged dot per group and state.
    reference : "regional", float or None
        "regional": dashed line at the unweighted mean of the states shown (per group when split);
        a number: a line there (on the table's scale, e.g. 0.2 for 20%); None: no line.
    category : str, optional
        The ``level`` to draw for a categorical variable.
    groups : sequence of str, optional
        Order (and choice) of the ``split`` groups.
    percent : bool, optional
        Show estimates as % (default: when ``attrs["kind"] == "proportion"``).
    title, xlabel, source : str, optional
        Figure title, x-axis label and the source named in the caption.
    synthetic : bool, optional
        Say "Synthetic data" in the caption (default ``table.attrs["synthetic"]``).

    Returns
    -------
    matplotlib.figure.Figure
        Suppressed cells (and cells without an estimate) keep their row: a hollow marker and
        "suppressed (n=..)" label instead of a dot.
    """
    if isinstance(reference, str) and reference != "regional":
        raise PlotError(f"estimates_by_state: reference={snippet(reference)}; use 'regional', a number or None")
    keep = ["state", split] if split else ["state"]
    rows, variable = selection.select(table, variable, category, keep, "estimates_by_state")
    scale = selection.percent_scale(table, percent)
    rows["state"] = rows["state"].astype(str)
    shown = ~rows["suppressed"].fillna(False).astype(bool) & rows["estimate"].notna()
    means = rows[shown].groupby("state", sort=False)["estimate"].mean().sort_values(ascending=False, kind="stable")
    order = [*means.index, *(s for s in dict.fromkeys(rows["state"]) if s not in means.index)]
    position = {state: i for i, state in enumerate(order)}
    names = selection.group_order(rows[split], groups) if split else [None]

    figure, ax = new_figure(7.5, 1.5 + len(order) * (0.3 if len(names) == 1 else 0.42))
    min_n = dots.table_min_n(table)
    drawn = dots.draw_dots(ax, rows, "state", position, split, names, scale, min_n)
    handles = drawn.handles
    for index, name in enumerate(names):
        visible = drawn.visible[name]
        if reference == "regional" and len(visible):
            value = float(visible["estimate"].mean()) * scale
            line_colour = PALETTE[index % len(PALETTE)] if name is not None else "black"
            label = f"Regional mean{f' ({name})' if name is not None else ''}: {_fmt(value, scale)}"
            ax.axvline(value, color=line_colour, linestyle="--", linewidth=1, zorder=1)
            handles.append(Line2D([], [], color=line_colour, linestyle="--", linewidth=1, label=plain(label)))
    if reference is not None and reference != "regional":
        ax.axvline(float(reference) * scale, color="black", linestyle=":", linewidth=1.2, zorder=1)
        label = f"Reference: {_fmt(reference * scale, scale)}"
        handles.append(Line2D([], [], color="black", linestyle=":", label=label))
    if drawn.any_hidden:
        handles.append(dots.hidden_handle(drawn, min_n))

    _state_axis(ax, order)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    dots.percent_axis(ax, rows, scale)
    what = variable if category is None else f"{variable}: {category}"
    ax.set_xlabel(plain(xlabel or selection.value_label(table, what, scale), AXIS_LABEL_CHARS))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    split_note = f", by {split}" if split else ""
    notes = dots.dots_notes(selection.ci_percent(table), drawn, min_n,
                            "; dashed lines: unweighted mean of the states shown" if reference == "regional" else "")
    caption = caption_text(source or table.attrs.get("source"), is_synthetic(table, synthetic), notes)
    return finish(figure, title or f"{what} by state{split_note}", caption)


@styled
def gap_plot(table: pd.DataFrame, by: str = "sex", variable: str | None = None, *,
             groups: Sequence[str] | None = None, category: str | None = None, percent: bool | None = None,
             title: str | None = None, xlabel: str | None = None, source: str | None = None,
             synthetic: bool | None = None) -> Figure:
    """Dumbbell chart: two groups (girls and boys, or two age groups) per state, sorted by the gap.

    Parameters
    ----------
    table : DataFrame
        An estimate table with ``state`` and ``by`` columns (see :func:`estimates_by_state`).
    by : str
        The column whose two groups are compared (default ``sex``).
    variable, category : str, optional
        Which variable (and category) to draw when the table holds several.
    groups : sequence of two str, optional
        The two groups, in the order ``[first, second]``; the gap is second minus first. Needed
        when ``by`` has more than two values.
    percent, title, xlabel, source, synthetic
        As in :func:`estimates_by_state`.

    Returns
    -------
    matplotlib.figure.Figure
        The gap (second minus first, in percentage points for proportions) is printed at the right.
    """
    rows, variable = selection.select(table, variable, category, ["state", by], "gap_plot")
    names = selection.group_order(rows[by], groups)
    if len(names) != 2:
        raise PlotError(f"gap_plot: {snippet(by)} has {len(names)} groups ({selection.listing(names)}); pass groups=[first, second]")
    rows = rows[rows[by].astype(str).isin(names)].assign(state=lambda f: f["state"].astype(str),
                                                         group=lambda f: f[by].astype(str))
    scale = selection.percent_scale(table, percent)
    rows["value"] = rows["estimate"].where(~rows["suppressed"]).astype(float) * scale
    wide = rows.pivot(index="state", columns="group", values="value").reindex(columns=names)
    gap = (wide[names[1]] - wide[names[0]]).sort_values(ascending=False, na_position="last", kind="stable")
    order = list(gap.index)
    position = {state: i for i, state in enumerate(order)}

    gap_labels = [plain(_gap_label(gap[s], _why_missing(rows, s, names))) for s in order]
    longest = max((len(label) for label in gap_labels), default=0)
    figure, ax = new_figure(7.5 + 0.07 * max(0, longest - 12), 1.5 + 0.32 * len(order))
    min_n = dots.table_min_n(table)
    complete = wide.loc[order].dropna()
    ax.hlines([position[s] for s in complete.index], complete.min(axis=1), complete.max(axis=1),
              color="#A0A0A0", linewidth=2.5, zorder=2)
    for index, name in enumerate(names):
        visible = rows[(rows["group"] == name) & rows["value"].notna()]
        ax.plot(visible["value"], visible["state"].map(position), linestyle="none", marker=MARKERS[index],
                color=PALETTE[index], markersize=7, label=plain(name), zorder=3)
    unit = "pp" if scale == 100 else ""
    _state_axis(ax, order)
    right = ax.secondary_yaxis("right")
    right.set_yticks(range(len(order)), labels=gap_labels)
    right.set_ylabel(plain(f"Gap: {names[1]} minus {names[0]}{f' ({unit})' if unit else ''}", LABEL_CHARS))
    right.tick_params(length=0)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    if scale == 100:
        ax.set_xlim(0, min(100.0, max(float(np.nanmax(wide.to_numpy(), initial=0.0)) * 1.08, 1.0)))
    what = variable if category is None else f"{variable}: {category}"
    ax.set_xlabel(plain(xlabel or selection.value_label(table, what, scale), AXIS_LABEL_CHARS))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(names) if sum(map(len, names)) <= 50 else 1)
    suppressed_note = (f"'suppressed': a group with fewer than {min_n} respondents. "
                       if rows["suppressed"].any() else "")
    notes = (f"Dots: design-based estimates for {names[0]} and {names[1]}; states sorted by the gap. {suppressed_note}"
             "Confidence intervals of gaps need the design covariance (estimate.compare).")
    caption = caption_text(source or table.attrs.get("source"), is_synthetic(table, synthetic), notes)
    return finish(figure, title or f"{what}: {names[1]} vs {names[0]} by state", caption)


def _state_axis(ax: Axes, order: list[str]) -> None:
    ax.set_yticks(range(len(order)), labels=[plain(selection.state_label(s)) for s in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_ylabel("State")
    ax.tick_params(axis="y", length=0)


def _fmt(value: float, scale: float) -> str:
    return f"{value:.1f}%" if scale == 100 else f"{value:.3g}"


def _gap_label(value: float, missing: str) -> str:
    return missing if pd.isna(value) else f"{value:+.1f}"


def _why_missing(rows: pd.DataFrame, state: str, names: list[str]) -> str:
    """Which group of ``state`` has no value, and why (suppressed or no estimate)."""
    parts = []
    for name in names:
        row = rows[(rows["state"] == state) & (rows["group"] == name)]
        if row.empty:
            parts.append(f"{name}: no estimate")
        elif pd.isna(row["value"].iloc[0]):
            n = row["n"].iloc[0]
            count = f" (n={int(n)})" if row["suppressed"].iloc[0] and pd.notna(n) else ""
            parts.append(f"{name}: {'suppressed' if row['suppressed'].iloc[0] else 'no estimate'}{count}")
    return "; ".join(parts)
