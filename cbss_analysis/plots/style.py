"""One style for every figure of the package: palette, fonts, title, caption, deterministic saving.

The palette is Okabe and Ito's (2008) colour-blind-safe set; sequential maps use ``cividis``
and diverging maps ``PuOr_r`` (both readable with colour-vision deficiency). Figures are built
as :class:`matplotlib.figure.Figure` objects without pyplot, so nothing is shown or kept open;
Jupyter displays a returned figure itself.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib as mpl
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from cbss_analysis.common.notices import SYNTHETIC_NOTICE

OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "orange": "#E69F00",
    "reddish_purple": "#CC79A7",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
PALETTE: tuple[str, ...] = tuple(OKABE_ITO[k] for k in
                                 ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue"))
"""Colours for groups, in order (Okabe-Ito without yellow and black)."""
MARKERS: tuple[str, ...] = ("o", "s", "D", "^", "v", "P")
"""Marker per group, so groups differ in shape as well as colour."""
MISSING_COLOUR = "#D9D9D9"
SEQUENTIAL_CMAP = "cividis"
DIVERGING_CMAP = "PuOr_r"
CAPTION_SIZE = 7.5

RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.grid": False,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "svg.hashsalt": "cbss-analysis",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}
"""rcParams applied while a figure is built and saved."""

_NO_METADATA: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}

P = ParamSpec("P")
R = TypeVar("R")


def styled(function: Callable[P, R]) -> Callable[P, R]:
    """Build the figure inside the package's rcParams (fonts, palette, sizes)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with mpl.rc_context(RC):
            return function(*args, **kwargs)

    return wrapper


class CbssFigure(Figure):
    """A matplotlib Figure that Jupyter displays as PNG even when pyplot was never imported."""

    def _repr_png_(self) -> bytes | tuple[bytes, dict[str, str]]:
        buffer = io.BytesIO()
        with mpl.rc_context(RC):
            self.savefig(buffer, format="png", dpi=RC["figure.dpi"], metadata=_NO_METADATA["png"])
        alt = alt_text(self)
        return (buffer.getvalue(), {"alt": alt}) if alt else buffer.getvalue()


def alt_text(figure: Figure) -> str:
    """The figure's alternative text for screen readers and reports: its title and its caption, as drawn."""
    title = figure._suptitle.get_text() if getattr(figure, "_suptitle", None) is not None else ""
    caption = " ".join(t.get_text() for t in figure.texts if t.get_gid() == "caption")
    parts = [" ".join(part.split()) for part in (title, caption) if part and part.strip()]
    return ". ".join(p.rstrip(".") for p in parts) + "." if parts else ""


def new_figure(width: float, height: float, **subplots: Any) -> tuple[Figure, Any]:
    """A figure with constrained layout and its axes (``Figure.subplots`` keyword arguments)."""
    figure = CbssFigure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots(**subplots)


def caption_text(source: str | None, synthetic: bool, notes: str | None = None) -> str:
    """The caption: what the marks mean, the source, and "Synthetic data" when it is."""
    parts = [SYNTHETIC_NOTICE] if synthetic else []
    if notes:
        parts.append(notes)
    if source:
        parts.append(f"Source: {source.rstrip('.')}.")
    return " ".join(parts)


def finish(figure: Figure, title: str, caption: str) -> Figure:
    """Add the title (top left) and the wrapped caption (bottom left), then fix the layout.

    The constrained layout is computed once and then frozen, so that every later rendering of
    the figure (inline display, each save) gives the same bytes.
    """
    figure.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
    width, height = figure.get_size_inches()
    chars = max(40, int(width * 72 / (CAPTION_SIZE * 0.56)))
    lines = textwrap.wrap(caption, chars) if caption else []
    if lines:
        band = (len(lines) * CAPTION_SIZE * 1.3 / 72 + 0.12) / height
        figure.get_layout_engine().set(rect=(0, band, 1, 1 - band))
        figure.text(0.01, 0.06 / height, "\n".join(lines), ha="left", va="bottom", fontsize=CAPTION_SIZE,
                    color="#333333", gid="caption")
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
    return figure


def is_synthetic(obj: Any, synthetic: bool | None = None) -> bool:
    """``synthetic`` if given, else ``obj.attrs["synthetic"]`` (False when absent)."""
    if synthetic is not None:
        return bool(synthetic)
    return bool(getattr(obj, "attrs", {}).get("synthetic", False))


def text_colour(background: Any) -> str:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance)."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(background)]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "black" if luminance > 0.179 else "white"


def save_figure(figure: Figure, path: str | Path, dpi: int | None = None) -> Path:
    """Save ``figure`` byte-reproducibly (no software or date metadata, fixed SVG hash salt).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure to save.
    path : str or Path
        Output file; the format comes from its suffix (png, svg, pdf).
    dpi : int, optional
        Resolution for raster formats; default 150.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    metadata = _NO_METADATA.get(path.suffix.lstrip(".").lower())
    with mpl.rc_context(RC):
        figure.savefig(path, dpi=dpi or RC["savefig.dpi"], metadata=metadata)
    return path
