"""One style for every figure of the package: palette, fonts, title, caption, deterministic saving.

The palette is Okabe and Ito's (2008) colour-blind-safe set; sequential maps use ``cividis``
and diverging maps ``PuOr_r`` (both readable with colour-vision deficiency). Figures are built
as :class:`matplotlib.figure.Figure` objects without pyplot, so nothing is shown or kept open;
Jupyter displays a returned figure itself.

Labels come from other people's codebooks and tables, so every text handed to matplotlib goes
through :func:`plain`: control characters removed, length bounded, and every ``$`` escaped, so
that a label such as ``$x^2$`` is drawn as written and never parsed as mathtext. Figure sizes
are bounded (:data:`MAX_WIDTH`, :data:`MAX_HEIGHT`) whatever the labels or the number of rows.
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
from cbss_analysis.common.text import strip_control

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
LABEL_CHARS = 40
"""Longest tick label or legend entry; longer ones end in an ellipsis."""
AXIS_LABEL_CHARS = 120
"""Longest axis or colour-bar label."""
TITLE_CHARS = 200
"""Longest title (wrapped to the figure's width)."""
TITLE_LINES = 3
"""A title wider than its figure is wrapped onto at most this many lines (the last one shortened)."""
CAPTION_LINES = 12
"""Most lines of a caption."""
MAX_WIDTH = 16.0
"""Widest figure, inches."""
MAX_HEIGHT = 30.0
"""Tallest figure, inches."""

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

    def png(self) -> bytes:
        """The figure as PNG bytes, in the package's style (the same bytes on every call)."""
        buffer = io.BytesIO()
        with mpl.rc_context(RC):
            self.savefig(buffer, format="png", dpi=RC["figure.dpi"], metadata=_NO_METADATA["png"])
        return buffer.getvalue()

    def _repr_png_(self) -> bytes | tuple[bytes, dict[str, str]]:
        alt = alt_text(self)
        return (self.png(), {"alt": alt}) if alt else self.png()


def alt_text(figure: Figure) -> str:
    """The figure's alternative text for screen readers and reports: its title and its caption, as drawn."""
    title = figure._suptitle.get_text() if getattr(figure, "_suptitle", None) is not None else ""
    caption = " ".join(t.get_text() for t in figure.texts if t.get_gid() == "caption")
    parts = [" ".join(part.split()) for part in (title, caption) if part and part.strip()]
    return ". ".join(p.rstrip(".") for p in parts) + "." if parts else ""


def plain(text: Any, limit: int = LABEL_CHARS) -> str:
    """``text`` as matplotlib should draw it: literally.

    Control characters are removed (newlines become spaces), the text is cut to ``limit``
    characters (ending in an ellipsis) and every ``$`` is escaped, so that mathtext never
    interprets a label (``$x^2$`` is drawn with its dollar signs).
    """
    shown = strip_control("" if text is None else str(text)).strip()
    if len(shown) > limit:
        shown = shown[: limit - 1].rstrip() + "\u2026"
    return shown.replace("$", r"\$")


def new_figure(width: float, height: float, **subplots: Any) -> tuple[Figure, Any]:
    """A figure with constrained layout and its axes (``Figure.subplots`` keyword arguments).

    The size is bounded to :data:`MAX_WIDTH` x :data:`MAX_HEIGHT` inches.
    """
    width = min(max(float(width), 1.0), MAX_WIDTH)
    height = min(max(float(height), 1.0), MAX_HEIGHT)
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


def _wrap_wide_title(figure: Figure, heading: Any, title: str, width: float) -> None:
    """Break a title that is wider than the figure into lines that fit (a title that fits is left as it is)."""
    if not title:
        return
    renderer = figure._get_renderer()
    available = 0.97 * width * figure.dpi
    measured = heading.get_window_extent(renderer).width
    if measured <= available:
        return
    chars = max(20, int(0.92 * len(title) * available / measured))
    lines = textwrap.wrap(title, chars, break_on_hyphens=False)
    if len(lines) > TITLE_LINES:
        lines = [*lines[: TITLE_LINES - 1], textwrap.shorten(" ".join(lines[TITLE_LINES - 1:]), chars, placeholder=" ...")]
    heading.set_text("\n".join(lines))


def finish(figure: Figure, title: str, caption: str) -> Figure:
    """Add the title (top left) and the wrapped caption (bottom left), then fix the layout.

    The constrained layout is computed once and then frozen, so that every later rendering of
    the figure (inline display, each save) gives the same bytes.
    """
    width, height = figure.get_size_inches()
    text = plain(strip_control(title or "").strip(), TITLE_CHARS) if title else ""
    heading = figure.suptitle(text, x=0.01, ha="left", fontweight="bold", fontsize=11)
    _wrap_wide_title(figure, heading, text, width)
    chars = max(40, int(width * 72 / (CAPTION_SIZE * 0.56)))
    lines = textwrap.wrap(strip_control(caption), chars) if caption else []
    if len(lines) > CAPTION_LINES:
        lines = [*lines[: CAPTION_LINES - 1], lines[CAPTION_LINES - 1][: chars - 1] + "\u2026"]
    lines = [plain(line, chars + 1) for line in lines]
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
