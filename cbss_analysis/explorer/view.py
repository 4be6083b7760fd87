"""From choices to a view: the program that makes it (:func:`program_for`) and what it shows (:func:`compute`).

>>> from cbss_analysis.explorer import Choices, compute                 # doctest: +SKIP
>>> view = compute(survey, Choices(("cyberbullied",), by="state", split="sex"))  # doctest: +SKIP
>>> print(view.code)             # paste into a cell: the same table and figure  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from cbss_analysis import paths
from cbss_analysis.explorer.choices import MAX_FIGURES, Choices, Options, checked, options_for
from cbss_analysis.explorer.code import Cache, Call, Item, Program, Ref, literal, run

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from cbss_analysis.display import EstimateTable
    from cbss_analysis.survey import Survey

_TABLE_NAMES = {"proportion": "proportions", "mean": "means"}


@dataclass
class View:
    """What an explorer shows for one :class:`Choices`.

    Attributes
    ----------
    choices : Choices
        The canonical choices (see :func:`~cbss_analysis.explorer.choices.checked`).
    program : Program
        The calls that make the view; ``code`` is their source.
    tables : dict of str to DataFrame
        The estimate tables by the name the code gives them (``table``, or ``proportions`` and
        ``means`` when both kinds of indicator are chosen), after the choice of states.
    figures : list of Figure
        One per indicator, at most :data:`~cbss_analysis.explorer.choices.MAX_FIGURES`.
    displays : list of EstimateTable
        ``cbss.show`` of each table.
    notes : list of str
        What the view leaves out and why (figures beyond the limit, states pooled).
    seconds : float
        Time taken to compute it.
    """

    choices: Choices
    program: Program
    tables: dict[str, pd.DataFrame]
    figures: list[Figure]
    displays: list[EstimateTable]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    figure_keys: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        """The Python code that reproduces this view in a notebook cell."""
        return self.program.code()


def loads_itself(survey: Survey) -> bool:
    """True for the embedded survey loaded as ``cbss.load_survey()`` loads it (the code can then load it too)."""
    return (survey.source is not None and survey.source == paths.embedded_survey().resolve()
            and survey.codebook is not None and survey.codebook.name == paths.DEFAULT_CODEBOOK
            and survey.design.lonely_psu == ((survey.codebook.design.lonely_psu if survey.codebook.design else None) or "fail")
            and len(survey) == len(survey.data))


def program_for(choices: Choices, options: Options, survey: Survey, name: str = "survey") -> Program:
    """The calls that make the view of ``choices`` (already :func:`checked`) on ``survey`` (bound to ``name``)."""
    comments = ["Made by cbss.explore: this cell reproduces the explorer's table and figures."]
    calls: list[Call] = []
    data = Ref(name)
    if loads_itself(survey):
        calls.append(Call("cbss.load_survey", target=name, setup=True))
    else:
        described = [f"file {literal(survey.source.name)}"] if survey.source is not None else []
        described += [f"codebook {literal(survey.codebook.name)}"] if survey.codebook is not None else []
        comments.append(f"`{name}` is the Survey given to cbss.explore" + (f" ({', '.join(described)})." if described else "."))
    calls.append(Call("cbss.notebook.indicator_labels", (data,), target="labels"))
    kinds = list(dict.fromkeys(options.kinds[i] for i in choices.indicators))
    by = choices.breakdown
    by_argument: tuple[tuple[str, Any], ...] = (("by", by[0] if len(by) == 1 else by),) if by else ()
    table_of: dict[str, str] = {}
    for kind in kinds:
        table = "table" if len(kinds) == 1 else _TABLE_NAMES[kind]
        ids = [i for i in choices.indicators if options.kinds[i] == kind]
        table_of.update(dict.fromkeys(ids, table))
        extra = (("ci", choices.ci),) if kind == "proportion" else ()
        calls.append(Call(f"estimate.{kind}", (data, ids), (*by_argument, *extra, ("min_n", choices.min_n)), target=table))
        if choices.states is not None:
            calls.append(Call("cbss.notebook.keep_states", (Ref(table), list(choices.states)), target=table))
    for indicator in choices.indicators[:MAX_FIGURES]:
        title = ("title", Item(Ref("labels"), indicator))
        table = Ref(table_of[indicator])
        if choices.by == "state":
            split = (("split", choices.split),) if choices.split else ()
            calls.append(Call("plots.estimates_by_state", (table, indicator), (*split, title), display=True))
        else:
            keys = [("by", choices.by), ("ylabel", options.breakdowns[choices.by])] if choices.by else []
            keys += [("variable", indicator)] + ([("split", choices.split)] if choices.split else [])
            calls.append(Call("plots.estimates_by_group", (table,), (*keys, title), display=True))
    for table in dict.fromkeys(table_of.values()):
        calls.append(Call("cbss.show", (Ref(table),), display=True))
    return Program(tuple(comments), tuple(calls))


def compute(survey: Survey, choices: Choices, name: str = "survey", options: Options | None = None,
            cache: Cache | None = None) -> View:
    """The view of ``choices`` on ``survey``: runs :func:`program_for`'s calls (with ``survey`` given).

    Raises
    ------
    EstimationError
        Choices the survey cannot show (see :func:`~cbss_analysis.explorer.choices.checked`).
    """
    start = time.perf_counter()
    options = options or options_for(survey)
    choices = checked(choices, options)
    program = program_for(choices, options, survey, name)
    result = run(program, {name: survey}, cache)
    tables = {call.target: result.namespace[call.target] for call in program.calls
              if call.target and call.function.startswith(("estimate.", "cbss.notebook.keep_states"))}
    figures = [v for v in result.displayed if not _is_display(v)]
    figure_keys = [k for v, k in zip(result.displayed, result.keys) if not _is_display(v)]
    displays = [v for v in result.displayed if _is_display(v)]
    notes = []
    if len(choices.indicators) > MAX_FIGURES:
        notes.append(f"Figures for the first {MAX_FIGURES} of the {len(choices.indicators)} indicators; the table shows all.")
    if "state" in options.breakdowns and "state" not in choices.breakdown:
        notes.append("Without a state breakdown, the estimates pool all states (each weighted by its design weights).")
    return View(choices, program, tables, figures, displays, notes, time.perf_counter() - start, figure_keys)


def _is_display(value: Any) -> bool:
    from cbss_analysis.display import EstimateTable

    return isinstance(value, EstimateTable)
