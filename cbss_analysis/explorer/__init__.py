"""``cbss.explore(survey)``: an explorer widget for JupyterLab that writes its own code.

Choose indicators (by label, grouped by theme), a breakdown (state, sex, age group, cycle when
the survey has cycles) and a split, the states, the interval method and ``min_n``; the explorer
shows the figure (:mod:`cbss_analysis.plots`) and the formatted table (:func:`cbss_analysis.show`)
and the exact code that reproduces them, with a copy button, so that exploring ends in a
reproducible notebook cell.

The logic is plain functions, tested without a browser:

- :mod:`~cbss_analysis.explorer.choices`: what a survey offers (:func:`options_for`) and what is
  chosen (:class:`Choices`, made canonical by :func:`checked`);
- :mod:`~cbss_analysis.explorer.code`: a program of package calls that is both written as code
  and run, so that the view is what the code gives;
- :mod:`~cbss_analysis.explorer.view`: choices -> program -> tables and figures (:func:`compute`);
- :mod:`~cbss_analysis.explorer.widget`: the ipywidgets controls around them (imported only when
  an explorer is made).

This is the top layer of the package: it may import every other module, and none imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cbss_analysis.explorer.choices import (
    BREAKDOWNS,
    INTERVALS,
    MAX_FIGURES,
    Choices,
    Options,
    checked,
    default_choices,
    options_for,
)
from cbss_analysis.explorer.code import Program, run
from cbss_analysis.explorer.view import View, compute, program_for

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.explorer.widget import Explorer
    from cbss_analysis.survey import Survey

__all__ = ["BREAKDOWNS", "INTERVALS", "MAX_FIGURES", "Choices", "Options", "Program", "View", "checked", "compute",
           "default_choices", "explore", "options_for", "program_for", "run"]


def explore(survey: Survey, name: str = "survey", choices: Choices | None = None, **changes: Any) -> Explorer:
    """An explorer widget of ``survey`` (see :func:`cbss_analysis.explorer.widget.explore`).

    >>> import cbss_analysis as cbss                      # doctest: +SKIP
    >>> cbss.explore(cbss.load_survey())                  # doctest: +SKIP
    """
    from cbss_analysis.explorer.widget import explore as make

    return make(survey, name, choices, **changes)
