"""The explorer widget (ipywidgets): controls for the :class:`~cbss_analysis.explorer.choices.Choices`,
the figures and table of :func:`~cbss_analysis.explorer.view.compute`, and the code with a copy button.

The widget holds no logic of its own: it reads its controls into a ``Choices``, asks ``compute`` for
the view and shows it. Where widgets cannot render (a static HTML export, a terminal), it displays
as a text and an HTML fallback that say so and show the view as it was, with its code.
"""

from __future__ import annotations

import html
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cbss_analysis.common.checks import MIN_N_FLOOR
from cbss_analysis.common.notices import SYNTHETIC_BADGE, SYNTHETIC_NOTICE
from cbss_analysis.common.text import exception_line, strip_control
from cbss_analysis.errors import CbssError
from cbss_analysis.explorer.choices import INTERVALS, Choices, checked, default_choices, options_for
from cbss_analysis.explorer.code import Cache
from cbss_analysis.explorer.view import View, compute

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey import Survey

ALL_THEMES = "All themes"
WHOLE_SAMPLE = "Whole sample"
NO_SPLIT = "No split"
FALLBACK = ("This explorer is interactive: it needs JupyterLab (or Jupyter Notebook) with a running kernel. "
            "Run the cell to use it; below is the view it showed, and the code that reproduces it.")
NONE = ""
"""The value of "whole sample" and "no split" in the dropdowns (a dropdown's None means no selection)."""
_BADGE_STYLE = ("background:#D55E00;color:#fff;font-weight:bold;padding:1px 6px;border-radius:3px;"
                "font-size:0.85em;letter-spacing:0.03em")
_COPY_SCRIPT = (
    "(function(b){var t=b.closest('.cbss-code').querySelector('pre').innerText;"
    "var ok=function(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy code'},1500)};"
    "var old=function(){var a=document.createElement('textarea');a.value=t;document.body.appendChild(a);a.select();"
    "try{document.execCommand('copy');ok()}catch(e){b.textContent='Select the code and copy it'}a.remove()};"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t).then(ok,old)}else{old()}})(this)"
)


def _e(value: object) -> str:
    return html.escape(strip_control(str(value)), quote=True)


def code_html(code: str) -> str:
    """The code panel: a copy button and the code (escaped) in a ``<pre>``."""
    return ("<div class='cbss-code'><div style='text-align:right;margin:0 0 2px 0'><button class='cbss-copy' "
            "type='button' title='Copy the code to the clipboard' "
            f"onclick=\"{html.escape(_COPY_SCRIPT, quote=True)}\">Copy code</button></div>"
            "<pre style='background:#f7f7f7;border:1px solid #ddd;padding:6px;margin:0;white-space:pre;overflow-x:auto;"
            f"font-size:12px'>{html.escape(code)}</pre></div>")


class Explorer:
    """An interactive explorer of a survey's indicators: ``cbss.explore(survey)``.

    Attributes
    ----------
    widget : ipywidgets.VBox
        What JupyterLab shows.
    view : View
        The current view (tables, figures, code); ``code`` its code.
    last_seconds : float
        How long the last change took to redraw (computing, rendering and updating the widgets).
    """

    def __init__(self, survey: Survey, name: str = "survey", choices: Choices | None = None, **changes: Any) -> None:
        import ipywidgets as w

        self.survey = survey
        self.name = name
        self.options = options_for(survey)
        start = checked(replace(choices or default_choices(self.options), **changes), self.options)
        self.cache = Cache(64)
        self._images = Cache(64)
        self._hold = False
        self.last_seconds = 0.0
        self.view: View | None = None
        self.error: str | None = None
        o = self.options
        wide = w.Layout(width="100%")
        half = w.Layout(width="auto", flex="1 1 0%", min_width="220px")
        style = {"description_width": "90px"}
        self.theme = w.Dropdown(options=[ALL_THEMES, *o.themes], value=o.theme_of(start.indicators[0]),
                                description="Theme", style=style, layout=wide)
        self.indicators = w.SelectMultiple(options=self._indicator_options(self.theme.value), rows=8,
                                           description="Indicators", style=style, layout=wide)
        self.by = w.Dropdown(options=[*((label, c) for c, label in o.breakdowns.items()), (WHOLE_SAMPLE, NONE)],
                             description="Breakdown", style=style, layout=half)
        self.split = w.Dropdown(options=[(NO_SPLIT, NONE), *((label, c) for c, label in o.breakdowns.items())],
                                description="Split by", style=style, layout=half)
        self.states = w.SelectMultiple(options=[(n, c) for c, n in o.states.items()], rows=8, description="States",
                                       style=style, disabled=not o.states, layout=wide)
        self.ci = w.Dropdown(options=[(label, key) for key, label in INTERVALS.items()], description="Interval",
                             style=style, layout=half)
        self.min_n = w.BoundedIntText(min=MIN_N_FLOOR, max=1_000_000, step=5, description="Min. n",
                                      tooltip="Cells from fewer respondents are suppressed",
                                      style=style, layout=half)
        self.status = w.HTML()
        self.figures = w.VBox()
        self.table = w.HTML()
        self.code_panel = w.HTML()
        header = f"<b>Explore</b> {_e(survey.codebook.title if survey.codebook else '')} &middot; {len(survey):,} respondents"
        if survey.synthetic:
            header += f" <span style='{_BADGE_STYLE}'>{_e(SYNTHETIC_BADGE)}</span>"
        row = w.Layout(width="100%", flex_flow="row wrap")
        what = w.VBox([self.theme, self.indicators], layout=w.Layout(flex="3 1 420px", min_width="320px"))
        how = w.VBox([w.HBox([self.by, self.split], layout=row), w.HBox([self.ci, self.min_n], layout=row), self.states],
                     layout=w.Layout(flex="2 1 320px", min_width="300px"))
        self.widget = w.VBox([
            w.HTML(header),
            w.HBox([what, how], layout=row),
            self.status,
            self.figures,
            w.HTML("<b>Table</b>"), self.table,
            w.HTML("<b>Code</b> (paste it into a cell: it reproduces this view)"), self.code_panel,
        ])
        self.widget.add_class("cbss-explorer")
        self._write(start)
        self.theme.observe(self._on_theme, names="value")
        for control in (self.indicators, self.by, self.split, self.states, self.ci, self.min_n):
            control.observe(self._on_change, names="value")
        self.refresh()

    # ------------------------------------------------------------------ choices <-> controls
    def _indicator_options(self, theme: str) -> list[tuple[str, str]]:
        ids = self.options.indicators if theme == ALL_THEMES else self.options.themes[theme]
        return [(self.options.labels[i], i) for i in ids]

    def _write(self, choices: Choices) -> None:
        """Set the controls to ``choices`` without redrawing."""
        self._hold = True
        try:
            shown = {i for _, i in self._indicator_options(self.theme.value)}
            if not set(choices.indicators) <= shown:
                self.theme.value = ALL_THEMES
                self.indicators.options = self._indicator_options(ALL_THEMES)
            self.indicators.value = tuple(choices.indicators)
            self.by.value = choices.by or NONE
            self.split.value = choices.split or NONE
            self.states.value = tuple(choices.states) if choices.states is not None else tuple(self.options.states)
            self.ci.value = choices.ci
            self.min_n.value = choices.min_n
        finally:
            self._hold = False

    def _read(self) -> Choices:
        """The choices the controls show."""
        states = tuple(self.states.value)
        return Choices(indicators=tuple(self.indicators.value), by=self.by.value or None, split=self.split.value or None,
                       states=states if states and len(states) < len(self.options.states) else None,
                       ci=self.ci.value, min_n=int(self.min_n.value))

    @property
    def choices(self) -> Choices:
        """The current choices."""
        return self.view.choices if self.view is not None else self._read()

    @property
    def code(self) -> str:
        """The code of the current view."""
        return self.view.code if self.view is not None else ""

    def set(self, **changes: Any) -> View | None:
        """Change some choices (``indicators=``, ``by=``, ``split=``, ``states=``, ``ci=``, ``min_n=``) and redraw.

        Raises
        ------
        EstimationError
            A choice the survey cannot show.
        """
        choices = checked(replace(self._read(), **changes), self.options)
        self._write(choices)
        return self.refresh()

    # ------------------------------------------------------------------ events
    def _on_theme(self, change: dict) -> None:
        if self._hold:
            return
        self._hold = True
        try:
            options = self._indicator_options(change["new"])
            kept = tuple(i for i in self.indicators.value if i in {v for _, v in options})
            self.indicators.options = options
            self.indicators.value = kept or (options[0][1],)
        finally:
            self._hold = False
        self.refresh()

    def _on_change(self, change: dict) -> None:
        if not self._hold:
            self.refresh()

    def refresh(self) -> View | None:
        """Compute the view of the controls' choices and show it; a problem is shown as one line."""
        start = time.perf_counter()
        try:
            view = compute(self.survey, self._read(), self.name, self.options, self.cache)
        except CbssError as exc:
            self.error = exception_line(exc)
            self.status.value = f"<span style='color:#B00020'>{_e(type(exc).__name__)}: {_e(self.error)}</span>"
            return None
        self.error = None
        self.view = view
        self._show(view)
        first = self.last_seconds == 0.0
        self.last_seconds = time.perf_counter() - start
        notes = " ".join(view.notes)
        self.status.value = (f"<span class='cbss-status' style='color:#555'>{'Drawn' if first else 'Redrawn'} in "
                             f"{self.last_seconds:.2f} s."
                             f"{' ' + _e(notes) if notes else ''}</span>")
        return view

    def _show(self, view: View) -> None:
        import ipywidgets as w

        images = [self._images.get(key, figure.png) for figure, key in zip(view.figures, view.figure_keys)]
        current = list(self.figures.children)
        if len(current) != len(images):
            current = [w.Image(format="png", layout=w.Layout(max_width="100%", height="auto")) for _ in images]
        for widget, png, figure in zip(current, images, view.figures):
            widget.layout.width = f"{figure.bbox.width:.0f}px"  # its own size: sharp, never stretched
            if widget.value != png:
                widget.value = png
        self.figures.children = tuple(current)
        self.table.value = "".join(d._repr_html_() for d in view.displays)
        self.code_panel.value = code_html(view.code)
        self._hold = True
        try:
            self.states.disabled = "state" not in view.choices.breakdown
            self.ci.disabled = "proportion" not in {self.options.kinds[i] for i in view.choices.indicators}
            if self.split.value != (view.choices.split or NONE):
                self.split.value = view.choices.split or NONE
            if self.by.value != (view.choices.by or NONE):
                self.by.value = view.choices.by or NONE
        finally:
            self._hold = False

    # ------------------------------------------------------------------ display
    def fallback_html(self) -> str:
        """What a static HTML export shows: the notice, the current table and the code."""
        parts = [f"<div class='cbss-explorer-fallback'><p><b>cbss.explore</b>: {_e(FALLBACK)}</p>"]
        if self.survey.synthetic:
            parts.append(f"<p><span style='{_BADGE_STYLE}'>{_e(SYNTHETIC_BADGE)}</span> {_e(SYNTHETIC_NOTICE)}</p>")
        if self.view is not None:
            parts.extend(d._repr_html_() for d in self.view.displays)
            parts.append("<pre>" + html.escape(self.view.code) + "</pre>")
        return "".join(parts) + "</div>"

    def fallback_text(self) -> str:
        """What a terminal shows: the notice and the code."""
        return f"cbss.explore: {FALLBACK}\n\n{self.code}"

    def __repr__(self) -> str:
        return self.fallback_text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = self.fallback_text()
        bundle["text/html"] = self.fallback_html()
        return bundle


def explore(survey: Survey, name: str = "survey", choices: Choices | None = None, **changes: Any) -> Explorer:
    """An explorer widget of ``survey``: choose indicators, breakdown, states, interval and ``min_n``; see the
    figure, the table and the code that reproduces them.

    Parameters
    ----------
    survey : Survey
        Any survey a codebook describes (its indicators are what can be chosen).
    name : str
        The name of the survey in the generated code (the variable that holds it in the notebook).
    choices : Choices, optional
        The first view; default the first indicator by state.
    **changes
        Fields of :class:`~cbss_analysis.explorer.choices.Choices` to start with
        (``indicators=("cyberbullied",)``, ``by="sex"``, ...).

    Returns
    -------
    Explorer
        Displays as the widget in JupyterLab; ``.code`` is the current code, ``.view`` the view.
    """
    return Explorer(survey, name, choices, **changes)
