"""Tile-grid map of the eleven CBSS member states."""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from cbss_analysis import states
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import PlotError
from cbss_analysis.plots.style import (
    AXIS_LABEL_CHARS,
    MISSING_COLOUR,
    SEQUENTIAL_CMAP,
    caption_text,
    finish,
    is_synthetic,
    new_figure,
    plain,
    styled,
    text_colour,
)

TILES: dict[str, tuple[int, int]] = {
    "IS": (0, 3),
    "NO": (2, 3), "SE": (3, 3), "FI": (4, 3),
    "DK": (2, 2), "EE": (4, 2), "RU": (5, 2),
    "LV": (4, 1),
    "DE": (2, 0), "PL": (3, 0), "LT": (4, 0),
}
"""Hand-placed (column, row) of each state's tile, roughly geographic; row 0 is the south.
The empty tiles at (3, 1) and (3, 2) are the Baltic Sea."""


@styled
def state_map(values: pd.Series, *, title: str | None = None, label: str | None = None, fmt: str = "{:.1f}",
              vmin: float | None = None, vmax: float | None = None, cmap: str = SEQUENTIAL_CMAP,
              source: str | None = None, synthetic: bool | None = None, missing_label: str = "no data") -> Figure:
    """The eleven states as a tile map of the Baltic Sea region, coloured by a value.

    Parameters
    ----------
    values : Series
        Values indexed by ISO2 state code; states not in the index (or NaN) are greyed and
        labelled "no data".
    title : str, optional
        Figure title (default: the series name).
    label : str, optional
        Colour-bar label, with its unit (e.g. "Cyberbullied (%)").
    fmt : str
        Format of the value printed on each tile.
    vmin, vmax : float, optional
        Colour scale limits (default: the data's range).
    cmap : str
        A sequential colour map (default ``cividis``, colour-blind safe).
    source : str, optional
        Source named in the caption.
    synthetic : bool, optional
        Say "Synthetic data" in the caption (default ``values.attrs["synthetic"]``).
    missing_label : str
        What a state without a value reads, where a blank means a fact ("no full ban"), not missing data.

    Returns
    -------
    matplotlib.figure.Figure
    """
    codes = pd.Index([states.check_state(code) for code in values.index])
    data = pd.Series(pd.to_numeric(values, errors="coerce").to_numpy(float), index=codes).reindex(list(TILES))
    present = data.dropna()
    norm = Normalize(vmin=present.min() if vmin is None else vmin, vmax=present.max() if vmax is None else vmax)
    if norm.vmin == norm.vmax:
        norm = Normalize(vmin=norm.vmin - 0.5, vmax=norm.vmax + 0.5)
    colours = mpl.colormaps[cmap]
    figure, ax = new_figure(6.6, 4.6)
    names = states.state_names()
    for code, (column, row) in TILES.items():
        value = data[code]
        missing = pd.isna(value)
        face = MISSING_COLOUR if missing else colours(norm(value))
        ax.add_patch(FancyBboxPatch((column + 0.05, row + 0.05), 0.9, 0.9, boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor=face, edgecolor="white", linewidth=1.5,
                                    hatch="///" if missing else None))
        ink = "#333333" if missing else text_colour(face)
        ax.text(column + 0.5, row + 0.66, code, ha="center", va="center", fontsize=12, fontweight="bold", color=ink)
        ax.text(column + 0.5, row + 0.42, plain(names[code]), ha="center", va="center", fontsize=6.5, color=ink)
        ax.text(column + 0.5, row + 0.2, plain(missing_label) if missing else plain(_formatted(fmt, value), 20), ha="center", va="center",
                fontsize=8.5, color=ink, style="italic" if missing else "normal")
    ax.text(3.5, 1.95, "Baltic\nSea", ha="center", va="center", fontsize=8, color="#7A9CC6", style="italic")
    ax.set_xlim(-0.1, 6.1)
    ax.set_ylim(-0.1, 4.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    bar = figure.colorbar(ScalarMappable(norm=norm, cmap=colours), ax=ax, shrink=0.8, pad=0.02)
    bar.set_label(plain(label or str(values.name or "value"), AXIS_LABEL_CHARS))
    notes = f"Tile map: each square is one CBSS member state, placed roughly as on a map; grey hatched: {missing_label}."
    caption = caption_text(source or values.attrs.get("source"), is_synthetic(values, synthetic), notes)
    return finish(figure, title or f"{values.name or 'Value'} by state", caption)


def _formatted(fmt: str, value: float) -> str:
    """``fmt.format(value)``; a format that cannot format one number is a PlotError."""
    try:
        return fmt.format(value)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
        raise PlotError(f"state_map: fmt={snippet(fmt)} cannot format a number ({type(error).__name__}); "
                        "use e.g. '{:.1f}'") from None
