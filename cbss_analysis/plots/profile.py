"""One state against the regional average on every indicator: dot and interval, grouped, better or worse."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cbss_analysis import states
from cbss_analysis.errors import PlotError
from cbss_analysis.plots import selection
from cbss_analysis.plots.style import OKABE_ITO, caption_text, finish, is_synthetic, new_figure, styled
from cbss_analysis.summaries import judgement

BETTER = OKABE_ITO["blue"]
WORSE = OKABE_ITO["vermillion"]
DIFFERENT = OKABE_ITO["reddish_purple"]
"""A marked difference on an indicator whose better direction the codebook does not give."""
SAME = "#8C8C8C"
REGIONAL = "#000000"
LABEL_CHARS = 62
_ROW = 0.2
_ROW_TWO_LINES = 0.3
_HEADER = 0.34


@styled
def state_profile(estimates: pd.DataFrame, differences: pd.DataFrame, state: str,
                  labels: Mapping[str, str] | None = None, groups: Mapping[str, str] | None = None,
                  better: Mapping[str, str] | None = None, *, title: str | None = None, source: str | None = None,
                  synthetic: bool | None = None) -> Figure:
    """The state's estimate and interval beside the regional average, one row per indicator, grouped.

    Parameters
    ----------
    estimates : DataFrame
        Proportions by ``state`` (``estimate.proportion(..., by="state")``): the state's rows give
        the dot and its confidence interval.
    differences : DataFrame
        The state's rows of ``estimate.compare(estimates)`` marked by
        :func:`cbss_analysis.estimate.significance.mark` (``reference``, ``difference``,
        ``p_adjusted``, ``significant``, ``attrs["significance"]``): the regional average and
        which differences the rule marks.
    state : str
        ISO2 code of the state.
    labels : mapping, optional
        Indicator id -> label.
    groups : mapping, optional
        Indicator id -> group heading (the priority area); indicators keep their order within a
        group, groups the order of their first indicator; indicators without one go under "Other".
    better : mapping, optional
        Indicator id -> ``"higher"`` or ``"lower"`` (the codebook's ``better``): a marked
        difference reads "better" or "worse"; without it, "higher" or "lower".
    title, source : str, optional
        Figure title and the source named in the caption.
    synthetic : bool, optional
        Say "Synthetic data" in the caption (default ``estimates.attrs["synthetic"]``).

    Returns
    -------
    matplotlib.figure.Figure
        Dots: the state (colour and shape by the judgement: blue circle better, vermillion
        square worse, purple diamond higher/lower, grey circle not marked; hollow grey: suppressed);
        black bars: the regional average; the marked difference in pp at the right. Each marked
        dot has ``gid`` ``significant:<indicator>:<state>``.
    """
    selection.require_columns(estimates, ("variable", "state", *selection.ESTIMATE_COLUMNS[1:]), "state_profile")
    selection.require_columns(differences, ("variable", "state", "reference", "difference"), "state_profile")
    rule = selection.significance_rule(differences, "state_profile")
    if rule is None:
        raise PlotError("state_profile: the differences carry no marks; pass estimate.significance.mark(rows shown)")
    code = states.check_state(state)
    own = estimates[estimates["state"].astype(str) == code].drop_duplicates("variable").set_index("variable")
    diffs = differences[differences["state"].astype(str) == code].drop_duplicates("variable").set_index("variable")
    variables = [v for v in dict.fromkeys(diffs.index.astype(str)) if v in own.index]
    if not variables:
        raise PlotError(f"state_profile: no indicator of {code} is in both tables")
    heading = {v: (groups or {}).get(v) or "Other" for v in variables}
    order = list(dict.fromkeys(heading[v] for v in variables))
    rows: list[tuple[str, str | None]] = []
    for group in order:
        rows.append((group, None))
        rows.extend((group, v) for v in variables if heading[v] == group)
    heights = [_HEADER if v is None else _ROW_TWO_LINES if len(_label(labels, v)) > LABEL_CHARS else _ROW for _, v in rows]
    centres = np.cumsum(heights) - np.asarray(heights) / 2
    total = float(np.sum(heights))

    figure, ax = new_figure(10.0, 2.3 + total)
    scale = selection.percent_scale(estimates, None)
    unit = "pp" if scale == 100 else ""
    min_n = estimates.attrs.get("min_n") or 30
    tick_labels, tick_positions = [], []
    for (group, variable), y in zip(rows, centres):
        if variable is None:
            ax.text(-0.01, y, group, transform=ax.get_yaxis_transform(), ha="right", va="center", fontweight="bold",
                    fontsize=8.5)
            ax.axhline(y + _HEADER / 2, color="#DDDDDD", linewidth=0.8, zorder=0)
            continue
        tick_labels.append("\n".join(textwrap.wrap(_label(labels, variable), LABEL_CHARS)[:2]))
        tick_positions.append(y)
        row = own.loc[variable]
        diff = diffs.loc[variable]
        reference = float(diff["reference"]) * scale if pd.notna(diff["reference"]) else np.nan
        if np.isfinite(reference):
            ax.plot([reference], [y], marker="|", markersize=13, markeredgewidth=2.2, color=REGIONAL, linestyle="none",
                    zorder=2)
        if bool(row["suppressed"]) or pd.isna(row["estimate"]):
            ax.plot([0.012], [y], marker="o", markerfacecolor="none", markeredgecolor=SAME, linestyle="none",
                    transform=ax.get_yaxis_transform(), zorder=3)
            count = f"n={int(row['n'])} < {min_n}" if pd.notna(row["n"]) else f"fewer than {min_n} respondents"
            ax.text(0.03, y, f"suppressed ({count})", transform=ax.get_yaxis_transform(), va="center", fontsize=7,
                    color="#555555", style="italic")
            continue
        significant = bool(diff.get("significant", False))
        verdict = judgement(float(diff["difference"]), significant, (better or {}).get(variable))
        colour, marker = {"better": (BETTER, "o"), "worse": (WORSE, "s"), "higher": (DIFFERENT, "D"),
                          "lower": (DIFFERENT, "D")}.get(verdict, (SAME, "o"))
        value = float(row["estimate"]) * scale
        ax.plot([float(row["ci_low"]) * scale, float(row["ci_high"]) * scale], [y, y], color=colour, linewidth=1.6,
                solid_capstyle="butt", zorder=3)
        ax.plot([value], [y], marker=marker, markersize=6.5, color=colour, linestyle="none", zorder=4,
                markerfacecolor=colour if verdict else "white", markeredgewidth=1.3,
                gid=f"significant:{variable}:{code}" if significant else None)
        if verdict:
            ax.text(1.01, y, f"{float(diff['difference']) * scale:+.1f}{f' {unit}' if unit else ''} {verdict}",
                    transform=ax.get_yaxis_transform(), va="center", fontsize=7.5, color=colour, fontweight="bold")
    ax.set_yticks(tick_positions, labels=tick_labels, fontsize=7)
    ax.set_ylim(total, 0)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.grid(True)
    ax.set_axisbelow(True)
    if scale == 100:
        ax.set_xlim(0, 100)
    ax.set_xlabel("Share of those asked (%)" if scale == 100 else "Estimate")
    name = states.state_names().get(code, code)
    handles = [
        Line2D([], [], color=REGIONAL, marker="|", markersize=11, markeredgewidth=2, linestyle="none",
               label="Regional average"),
        Line2D([], [], color=BETTER, marker="o", linestyle="-", label="better"),
        Line2D([], [], color=WORSE, marker="s", linestyle="-", label="worse"),
        Line2D([], [], color=DIFFERENT, marker="D", linestyle="-", label="higher or lower (no better direction)"),
        Line2D([], [], color=SAME, marker="o", markerfacecolor="white", linestyle="-", label="no marked difference"),
    ]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, fontsize=7.5,
              title=f"{name} against the regional average:", title_fontsize=7.5, alignment="left")
    notes = (f"Dots and lines: {name}'s design-based estimate and its {selection.ci_percent(estimates)} confidence "
             f"interval; black bars: the regional average (unweighted mean of the states). Coloured: {rule['text']}; "
             "better or worse follows the codebook's direction for each indicator, higher or lower where it gives none. "
             f"Hollow: suppressed, fewer than {min_n} respondents.")
    caption = caption_text(source or estimates.attrs.get("source"), is_synthetic(estimates, synthetic), notes)
    return finish(figure, title or f"{name} against the regional average", caption)


def _label(labels: Mapping[str, str] | None, variable: str) -> str:
    return str((labels or {}).get(variable, variable))
