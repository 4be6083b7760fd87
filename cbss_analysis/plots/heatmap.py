"""Indicators x states heatmap of differences from the regional average."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from cbss_analysis import states
from cbss_analysis.errors import PlotError
from cbss_analysis.plots import selection
from cbss_analysis.plots.style import (
    AXIS_LABEL_CHARS,
    DIVERGING_CMAP,
    MISSING_COLOUR,
    caption_text,
    finish,
    is_synthetic,
    new_figure,
    plain,
    styled,
    text_colour,
)

COMPARE_COLUMNS: tuple[str, ...] = ("variable", "state", "difference", "ci_low", "ci_high")


@styled
def indicator_heatmap(diff_table: pd.DataFrame, labels: Mapping[str, str] | None = None, *,
                      percent_points: bool | None = None, title: str | None = None, source: str | None = None,
                      synthetic: bool | None = None) -> Figure:
    """Indicators (rows) x states (columns); each cell is the state's difference from the regional average.

    Parameters
    ----------
    diff_table : DataFrame
        Output of ``estimate.compare``: columns ``variable``, ``state``, ``difference``,
        ``ci_low``, ``ci_high`` (also ``se``, ``p_value``, ``p_holm``), one row per indicator and state.
    labels : mapping, optional
        Indicator id -> row label (e.g. the codebook labels).
    percent_points : bool, optional
        Show differences of proportions in percentage points (x100). Default: yes unless
        ``attrs["kind"]`` is "mean" or "total".
    title, source : str, optional
        Figure title and the source named in the caption.
    synthetic : bool, optional
        Say "Synthetic data" in the caption (default ``diff_table.attrs["synthetic"]``).

    Returns
    -------
    matplotlib.figure.Figure
        When ``diff_table`` went through :func:`cbss_analysis.estimate.significance.mark` (it has
        ``significant`` and ``attrs["significance"]``), the marked cells are outlined, their value
        is bold, the outline's ``gid`` is ``significant:<row>:<state>``, and the caption states the
        rule in the words of that module; an unmarked table gets no marks and a caption that says
        so. Cells without a difference (suppressed) are grey and hatched.
    """
    selection.require_columns(diff_table, COMPARE_COLUMNS, "indicator_heatmap")
    frame = diff_table.assign(variable=_row_names(diff_table), state=diff_table["state"].astype(str))
    if frame.duplicated(["variable", "state"]).any():
        raise PlotError("indicator_heatmap: more than one row per variable x state; filter the table "
                        "(e.g. one sex) first")
    if percent_points is None:
        kind = diff_table.attrs.get("estimate_kind", diff_table.attrs.get("kind"))
        percent_points = kind not in ("mean", "total")
    scale = 100.0 if percent_points else 1.0
    variables = list(dict.fromkeys(frame["variable"]))
    codes = [c for c in states.state_codes() if c in set(frame["state"])]
    codes += [c for c in dict.fromkeys(frame["state"]) if c not in codes]
    grid = frame.set_index(["variable", "state"])
    values = grid["difference"].astype(float).unstack().reindex(index=variables, columns=codes) * scale
    rule = selection.significance_rule(diff_table, "indicator_heatmap")
    if rule:
        significant = grid["significant"].astype(bool).unstack().reindex(index=variables, columns=codes)
        significant = significant.fillna(False).to_numpy(dtype=bool)
    else:
        significant = np.zeros((len(variables), len(codes)), dtype=bool)

    limit = float(np.nanmax(np.abs(values.to_numpy()), initial=0.0)) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    cmap = mpl.colormaps[DIVERGING_CMAP]
    row_labels = [plain((labels or {}).get(v, v)) for v in variables]
    label_inches = 0.075 * max((len(text) for text in row_labels), default=0)  # ~7.5 pt per character of tick text
    width = label_inches + 1.9 + 0.62 * len(codes)
    figure, ax = new_figure(max(width, 6.0), 1.9 + 0.42 * len(variables))
    image = ax.imshow(np.ma.masked_invalid(values.to_numpy()), cmap=cmap, norm=norm, aspect="auto")
    unit = "pp" if percent_points else ""
    for (i, j), value in np.ndenumerate(values.to_numpy()):
        if np.isnan(value):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=MISSING_COLOUR, hatch="///",
                                   edgecolor="white", linewidth=0))
            ax.text(j, i, "–", ha="center", va="center", fontsize=8, color="#333333")
            continue
        bold = bool(significant[i, j])
        ax.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=7.5,
                fontweight="bold" if bold else "normal", color=text_colour(cmap(norm(value))))
        if bold:
            ax.add_patch(Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False, edgecolor="black", linewidth=1.4,
                                   gid=f"significant:{variables[i]}:{codes[j]}"))
    ax.set_xticks(range(len(codes)), labels=[plain(selection.state_label(c)) for c in codes], rotation=40, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(len(variables)), labels=row_labels)
    ax.tick_params(length=0)
    ax.set_xlabel("State")
    ax.set_ylabel("Indicator")
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = figure.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
    short, long = _reference_text(diff_table.attrs.get("reference", "regional"))
    bar.set_label(plain(f"Difference from {short}{f' ({unit})' if unit else ''}", AXIS_LABEL_CHARS))
    marks = (f"outlined and bold: {rule['text']}" if rule else
             "differences are not marked for significance (pass the rows shown through estimate.significance.mark)")
    notes = f"Cells: state minus {long}; {marks}; grey: no estimate (suppressed)."
    caption = caption_text(source or diff_table.attrs.get("source"), is_synthetic(diff_table, synthetic), notes)
    return finish(figure, title or f"Indicators by state: difference from {short}", caption)


def _row_names(table: pd.DataFrame) -> pd.Series:
    """``variable``, or ``variable: level`` for the categories of categorical variables."""
    names = table["variable"].astype(str)
    if "level" not in table.columns:
        return names
    has_level = table["level"].notna()
    return names.where(~has_level, names + ": " + table["level"].astype(str))


def _reference_text(reference: str) -> tuple[str, str]:
    """Short (axis) and long (caption) wording of the comparison's reference."""
    if reference == "regional":
        return "the regional average", "the regional average (unweighted mean of the states)"
    if reference == "regional_weighted":
        return "the regional average", "the population-weighted regional average"
    name = states.state_names().get(str(reference), str(reference))
    return name, name
