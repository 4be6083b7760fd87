"""What a codebook holds: its variables, indicators and design, as frozen objects.

The objects are built by :mod:`cbss_analysis.survey.codebook_entries` from a codebook's YAML entries
and loaded by :func:`cbss_analysis.survey.codebook.load_codebook`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbss_analysis.common.checks import suggestion
from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import CodebookError
from cbss_analysis.survey.schema import Fields

VARIABLE_TYPES: tuple[str, ...] = ("categorical", "ordinal", "binary", "numeric", "id", "weight", "design", "text")
LABELLED_TYPES: frozenset[str] = frozenset({"categorical", "ordinal", "binary"})
TEXT_TYPES: frozenset[str] = frozenset({"text"})
"""Character variables (SPSS A-format, e.g. HBSC's ``region`` "DK", "BE-VLG"): string codes, never numbers."""
RULE_KINDS: tuple[str, ...] = ("in", "at_least", "count_at_least", "mean_of")
INCLUDE_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")
"""The only files an ``include`` may name."""

_TOP_KEYS = {"codebook", "title", "source", "synthetic", "include", "state_variable", "design", "variables", "indicators",
             "cycle", "absent"}
_DESIGN_KEYS = {"weight", "strata", "psu", "fpc", "nest", "lonely_psu", "fallback", "replicates"}
_REPLICATE_KEYS = {"columns", "type", "rho", "scale", "rscales", "mse", "combined_weights"}
DESIGN_FALLBACKS: dict[str, str] = {"weight": "zero", "strata": "own_stratum", "psu": "own_psu"}
"""``design.fallback``: what a row whose design value is missing gets (instead of a failed load).
``weight: zero`` (weight 0: kept, counted nowhere), ``strata: own_stratum`` (the rows without a stratum code form
one stratum of their own within the other strata variables, e.g. per country), ``psu: own_psu`` (each such row is a
PSU of its own: no clustering assumed for it)."""
_VARIABLE_KEYS = {"name", "label", "question", "type", "values", "missing", "source", "module", "reverse", "range", "asked_of"}
_INDICATOR_KEYS = {"id", "label", "variables", "rule", "population", "priority_areas", "source", "comparable_with", "break",
                  "better"}
BETTER_DIRECTIONS: tuple[str, ...] = ("higher", "lower")
"""Values of an indicator's ``better``: which direction of the indicator is better for children."""
_ABSENT_KEYS = {"indicator", "reason"}
_F = Fields(CodebookError)


@dataclass(frozen=True)
class DesignSpec:
    """Names of the design columns of a survey file (see :class:`cbss_analysis.survey.Design`)."""

    weight: str
    strata: tuple[str, ...] = ()
    psu: str | None = None
    fpc: str | None = None
    nest: bool = False
    lonely_psu: str | None = None
    """The lonely-PSU rule the codebook declares (one of ``LONELY_PSU_RULES``); None: the loader's default."""
    fallback: Mapping[str, str] = field(default_factory=dict)
    """Role (weight, strata, psu) -> rule for rows whose design value is missing (see ``DESIGN_FALLBACKS``)."""
    replicates: dict[str, Any] | None = None
    """A replicate-weight design (``design.replicates``): ``columns`` (a list, or a prefix / regex
    matched among the codebook's variables), ``type``, and optionally ``rho``, ``scale``,
    ``rscales``, ``mse``, ``combined_weights``, as :class:`cbss_analysis.survey.replicates.ReplicateDesign`."""


@dataclass(frozen=True)
class Variable:
    """One variable of a survey file.

    Attributes
    ----------
    name, label, question : str
        Column name, short label and the question as asked (exact wording where a real
        questionnaire is the source).
    type : str
        One of ``categorical``, ``ordinal``, ``binary``, ``numeric``, ``id``, ``weight``, ``design``,
        ``text`` (a character variable: its string codes are kept as they are, never made numbers).
    values : dict of int (str for text) to str
        Value labels, code -> label, in code order (text variables: in the order written).
    missing : tuple of int (str for text)
        Codes that mean missing (e.g. 99 for a skip pattern); loaded as NA.
    source : str
        Where the item and its wording come from.
    module : str or None
        Questionnaire block (``hbsc`` or ``online_risk``).
    reverse : bool
        Reverse-code in scale scores.
    range : tuple of float or None
        Valid (min, max) for numeric variables.
    asked_of : dict of str to tuple of int
        Who is asked (skip pattern), variable -> codes.
    """

    name: str
    label: str
    type: str
    question: str = ""
    values: Mapping[int | str, str] = field(default_factory=dict)
    missing: tuple[int | str, ...] = ()
    source: str = ""
    module: str | None = None
    reverse: bool = False
    range: tuple[float, float] | None = None
    asked_of: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def is_labelled(self) -> bool:
        """True for categorical, ordinal and binary variables (decoded to labelled categoricals)."""
        return self.type in LABELLED_TYPES

    @property
    def is_text(self) -> bool:
        """True for character variables (``type: text``): string codes, no numeric codes."""
        return self.type in TEXT_TYPES


@dataclass(frozen=True)
class Indicator:
    """A declarative indicator: which variables, which rule, which population.

    ``rule`` is one of ``{"in": [codes]}`` (1 when the first variable's code is listed),
    ``{"at_least": k}`` (1 when the code is >= k), ``{"count_at_least": {"items": [...],
    "codes": [...], "k": k}}`` (1 when at least k items have one of the codes) or
    ``{"mean_of": [items]}`` (mean of the items' codes). ``population`` restricts the
    indicator to respondents whose codes are listed (variable -> codes); others get NA.
    """

    id: str
    label: str
    variables: tuple[str, ...]
    rule: Mapping[str, Any]
    population: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    priority_areas: tuple[str, ...] = ()
    source: str = ""
    comparable_with: tuple[str, ...] = ()
    """Codebooks (other survey cycles) whose indicator of the same id measures the same thing, so that a trend
    may join them. Empty: comparable with no other cycle (or not yet assessed)."""
    break_: str = ""
    """What changed between this cycle's measure and that of the cycles it is not comparable with (``break:``)."""
    better: str | None = None
    """``"higher"`` or ``"lower"``: which direction is better for children; None where it is not clear
    (a state profile then says "higher" or "lower", never "better" or "worse")."""

    @property
    def kind(self) -> str:
        """``"mean"`` for ``mean_of`` rules, else ``"proportion"``."""
        return "mean" if "mean_of" in self.rule else "proportion"


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: variables, indicators and the design of a survey file."""

    name: str
    title: str
    source: str
    synthetic: bool
    state_variable: str | None
    design: DesignSpec | None
    variables: Mapping[str, Variable]
    indicators: Mapping[str, Indicator]
    path: Path | None = None
    cycle: str | None = None
    """The survey cycle the file belongs to ("2001/02" ... "2017/18"), if the codebook says."""
    absent: Mapping[str, str] = field(default_factory=dict)
    """Indicator id -> why this cycle has no such indicator (the item was not asked, or asked differently)."""
    files: tuple[Path, ...] = ()
    """The YAML files read: the codebook itself and its includes (for provenance)."""

    def variable(self, name: str) -> Variable:
        """Return the variable ``name`` or raise :class:`CodebookError`."""
        try:
            return self.variables[name]
        except (KeyError, TypeError):
            raise CodebookError(self._unknown("variable", name, self.variables, "codebook.variables")) from None

    def indicator(self, indicator_id: str) -> Indicator:
        """Return the indicator ``indicator_id`` or raise :class:`CodebookError`."""
        try:
            return self.indicators[indicator_id]
        except (KeyError, TypeError):
            raise CodebookError(self._unknown("indicator", indicator_id, self.indicators, "codebook.indicators")) from None

    def describe_lines(self) -> list[str]:
        """The lines of ``cbss-analysis codebook NAME``: title, source, variables and indicators.

        Every piece of text from the codebook (names, labels, value labels, title, source) has its
        control characters removed (:func:`cbss_analysis.common.text.strip_control`: terminal escapes,
        bidirectional overrides, newlines), so that printing the lines cannot move the cursor,
        recolour the terminal or hide text. ``""`` is a blank line.
        """
        def clean(value: Any) -> str:
            return strip_control(str(value))

        flag = "  [SYNTHETIC DATA]" if self.synthetic else ""
        lines = [f"{clean(self.name)}: {clean(self.title)}{flag}"]
        if self.source:
            lines.append(f"source: {clean(self.source)}")
        lines += ["", f"variables ({len(self.variables)}):"]
        for variable in self.variables.values():
            codes = ", ".join(f"{code}={clean(label)}" for code, label in variable.values.items())
            lines.append(f"  {clean(variable.name):<18} {variable.type:<11} {clean(variable.label)}" + (f"  [{codes}]" if codes else ""))
        lines += ["", f"indicators ({len(self.indicators)}):"]
        for indicator in self.indicators.values():
            kind, argument = next(iter(indicator.rule.items()))
            population = "".join(f"; population {clean(k)} in {list(v)}" for k, v in indicator.population.items())
            lines.append(f"  {clean(indicator.id):<24} {clean(indicator.label)} ({kind} {clean(_rule_text(argument))} of "
                         f"{', '.join(clean(v) for v in indicator.variables)}{population})")
        return lines

    def _unknown(self, what: str, name: object, known: Mapping[str, Any], where_listed: str) -> str:
        hint = suggestion(name, known) if isinstance(name, str) else ""
        return f"{self._where()}: unknown {what} {snippet(name)}{hint} (list them with {where_listed})"

    def _where(self) -> str:
        """The codebook file's name (never its folder), or the codebook's name."""
        return self.path.name if self.path else f"codebook {snippet(self.name)}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        from cbss_analysis.survey.summary import codebook_text

        printer.text(f"<Codebook {self.name!r}>" if cycle else codebook_text(self))

    def _repr_html_(self) -> str:
        from cbss_analysis.survey.summary import codebook_html

        return codebook_html(self)


def _rule_text(argument: Any) -> str:
    if isinstance(argument, dict):
        return f"{argument['k']} of codes {list(argument['codes'])}"
    return str(list(argument)) if isinstance(argument, tuple) else str(argument)


def rule_variables(indicator: Indicator) -> tuple[str, ...]:
    """Every variable an indicator reads: its variables, rule items and population filter."""
    kind, argument = next(iter(indicator.rule.items()))
    items = argument["items"] if kind == "count_at_least" else argument if kind == "mean_of" else ()
    return tuple(dict.fromkeys((*indicator.variables, *items, *indicator.population)))


