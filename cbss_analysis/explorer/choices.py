"""What an explorer can show for a survey (:class:`Options`) and what is chosen (:class:`Choices`).

Both are plain data: the widget only reads and writes a :class:`Choices`, and everything
else (the code, the tables, the figures) is a function of the survey and the choices
(:mod:`cbss_analysis.explorer.plan`), so it is tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cbss_analysis.common import checks
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import EstimationError

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey import Survey

BREAKDOWNS: tuple[str, ...] = ("state", "sex", "agecat", "cycle")
"""Columns an explorer offers as a breakdown, when the survey has them (in this order)."""
BREAKDOWN_LABELS: dict[str, str] = {"state": "State", "sex": "Sex", "agecat": "Age group", "cycle": "Cycle"}
INTERVALS: dict[str, str] = {
    "logit": "Logit (R svyciprop default)",
    "beta": "Korn-Graubard (beta)",
    "wilson": "Wilson",
    "wald": "Wald",
}
"""Interval methods of ``estimate.proportion`` (``ci=``), with their names in the explorer."""
MAX_FIGURES = 4
"""Figures drawn at most (one per indicator); the table shows every chosen indicator."""
_WHERE = "explore"


@dataclass(frozen=True)
class Options:
    """What a survey offers an explorer: indicators by theme, breakdowns, states.

    Attributes
    ----------
    themes : dict of str to tuple of str
        Theme title -> indicator ids the survey can compute (codebook order).
    labels : dict of str to str
        Indicator id -> label.
    kinds : dict of str to str
        Indicator id -> ``"proportion"`` or ``"mean"`` (``mean_of`` rules).
    breakdowns : dict of str to str
        Column -> label, for the columns of :data:`BREAKDOWNS` that the survey has.
    states : dict of str to str
        ISO2 code -> name of the states in the survey, in display order.
    """

    themes: dict[str, tuple[str, ...]]
    labels: dict[str, str]
    kinds: dict[str, str]
    breakdowns: dict[str, str]
    states: dict[str, str] = field(default_factory=dict)

    @property
    def indicators(self) -> tuple[str, ...]:
        """Every indicator id, theme by theme."""
        return tuple(i for ids in self.themes.values() for i in ids)

    def theme_of(self, indicator_id: str) -> str:
        """The theme an indicator is listed under."""
        return next(theme for theme, ids in self.themes.items() if indicator_id in ids)


@dataclass(frozen=True)
class Choices:
    """One view of an explorer.

    Attributes
    ----------
    indicators : tuple of str
        Indicator ids (one figure each, up to :data:`MAX_FIGURES`; all in the table).
    by : str or None
        The breakdown drawn down the figure (``"state"``, ``"sex"``, ``"agecat"``, ``"cycle"``);
        None: the whole sample.
    split : str or None
        A second breakdown, drawn as dodged dots of two or more colours.
    states : tuple of str or None
        ISO2 codes of the states shown when the state is a breakdown; None: all.
    ci : str
        Interval method of proportions (:data:`INTERVALS`); means use t intervals.
    min_n : int
        Cells from fewer respondents are suppressed (at least ``MIN_N_FLOOR``).
    """

    indicators: tuple[str, ...]
    by: str | None = "state"
    split: str | None = None
    states: tuple[str, ...] | None = None
    ci: str = "logit"
    min_n: int = checks.DEFAULT_MIN_N

    @property
    def breakdown(self) -> list[str]:
        """The by columns of the estimate: ``[by, split]`` without the empty ones."""
        return [c for c in (self.by, self.split) if c]


def options_for(survey: Survey) -> Options:
    """What ``survey`` offers: the indicators its codebook describes and its columns can compute, by theme.

    Raises
    ------
    EstimationError
        The survey has no codebook, or its codebook no indicator it can compute.
    """
    from cbss_analysis.survey.summary import indicator_themes

    codebook = survey.codebook
    if codebook is None or not survey.indicator_ids:
        raise EstimationError(f"{_WHERE}: the survey has no codebook indicator it can compute; "
                              "load it with a codebook that defines indicators (cbss.load_survey(path, codebook=...))")
    themes = {theme: tuple(ids) for theme, ids in indicator_themes(codebook, survey.indicator_ids).items()}
    labels = {i: codebook.indicators[i].label for i in survey.indicator_ids}
    kinds = {i: codebook.indicators[i].kind for i in survey.indicator_ids}
    breakdowns = {}
    for column in BREAKDOWNS:
        if column in survey.data.columns:
            variable = codebook.variables.get(column)
            breakdowns[column] = BREAKDOWN_LABELS.get(column) or (variable.label if variable else column)
    states: dict[str, str] = {}
    if "state" in survey.data.columns:
        from cbss_analysis.states import state_codes, state_names

        present = set(survey.data["state"].dropna().astype(str))
        names = state_names()
        states = {s: names[s] for s in state_codes() if s in present}
        states.update({s: s for s in sorted(present - set(names))})
    return Options(themes, labels, kinds, breakdowns, states)


def default_choices(options: Options) -> Choices:
    """The first indicator, broken down by state (or by the first breakdown the survey has)."""
    by = "state" if "state" in options.breakdowns else next(iter(options.breakdowns), None)
    return Choices(indicators=(options.indicators[0],), by=by)


def checked(choices: Choices, options: Options) -> Choices:
    """``choices`` made canonical for ``options``; one line with the closest names for anything unknown.

    Canonical: indicators without repeats, a split without a ``by`` becomes the ``by``, states in
    display order (None when all are chosen, or when the state is not a breakdown).

    Raises
    ------
    EstimationError
        An unknown indicator, breakdown, state or interval method; ``min_n`` below the floor.
    """
    indicators = tuple(dict.fromkeys(_names(choices.indicators, "indicators")))
    if not indicators:
        raise EstimationError(f"{_WHERE}: indicators=() chooses no indicator; choose at least one")
    for indicator in indicators:
        _known(indicator, options.indicators, "indicators", "list them with survey.indicator_ids")
    by, split = choices.by, choices.split
    for name, value in (("by", by), ("split", split)):
        if value is not None:
            _known(value, options.breakdowns, name, f"this survey offers: {', '.join(options.breakdowns) or 'none'}")
    if by is None and split is not None:
        by, split = split, None
    if split == by:
        split = None
    states = choices.states
    if states is not None:
        codes = [s.upper() if isinstance(s, str) else s for s in _names(states, "states")]
        for code in codes:
            _known(code, options.states, "states", f"states of this survey: {', '.join(options.states)}")
        if not codes:
            raise EstimationError(f"{_WHERE}: states=() chooses no state; choose at least one, or None for all")
        states = tuple(s for s in options.states if s in codes)
    if "state" not in (by, split) or (states is not None and len(states) == len(options.states)):
        states = None
    if choices.ci not in INTERVALS:
        raise EstimationError(checks.problem(_WHERE, "ci", choices.ci, f"is not one of {', '.join(INTERVALS)}"
                                             + checks.suggestion(str(choices.ci), INTERVALS)))
    min_n = checks.report_min_n(choices.min_n, False, _WHERE, EstimationError)
    return replace(choices, indicators=indicators, by=by, split=split, states=states, min_n=min_n)


def _names(value: Any, argument: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise EstimationError(checks.problem(_WHERE, argument, value, "must be a name or a list of names")) from None


def _known(name: Any, known: Any, argument: str, where: str) -> None:
    pool = list(known)
    if not isinstance(name, str) or name not in pool:
        hint = checks.suggestion(name, pool) if isinstance(name, str) else ""
        raise EstimationError(f"{_WHERE}: {argument} {snippet(name)} is not available{hint} ({where})")
