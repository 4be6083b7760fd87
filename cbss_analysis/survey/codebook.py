"""Codebooks: what every variable and code of a survey file means.

A codebook is a YAML file (read by :func:`cbss_analysis.common.safe_yaml.load_yaml`: plain data, never evaluated) that
lists the variables of a survey file with their labels, exact question wording,
value labels and missing codes, the sampling design, and declarative indicator
rules. :func:`load_codebook` validates it strictly: unknown keys, duplicate names,
codes of the wrong type and rules that name unknown variables each raise a
:class:`~cbss_analysis.errors.CodebookError` naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbss_analysis import paths
from cbss_analysis.common.safe_yaml import read_yaml_file
from cbss_analysis.errors import CodebookError
from cbss_analysis.survey.design import LONELY_PSU_RULES
from cbss_analysis.survey.schema import Fields

VARIABLE_TYPES: tuple[str, ...] = ("categorical", "ordinal", "binary", "numeric", "id", "weight", "design", "text")
LABELLED_TYPES: frozenset[str] = frozenset({"categorical", "ordinal", "binary"})
TEXT_TYPES: frozenset[str] = frozenset({"text"})
"""Character variables (SPSS A-format, e.g. HBSC's ``region`` "DK", "BE-VLG"): string codes, never numbers."""
RULE_KINDS: tuple[str, ...] = ("in", "at_least", "count_at_least", "mean_of")

_TOP_KEYS = {"codebook", "title", "source", "synthetic", "include", "state_variable", "design", "variables", "indicators"}
_DESIGN_KEYS = {"weight", "strata", "psu", "fpc", "nest", "lonely_psu"}
_VARIABLE_KEYS = {"name", "label", "question", "type", "values", "missing", "source", "module", "reverse", "range", "asked_of"}
_INDICATOR_KEYS = {"id", "label", "variables", "rule", "population", "priority_areas", "source", "better"}
BETTER_DIRECTIONS: tuple[str, ...] = ("higher", "lower")
"""Values of an indicator's ``better``: which direction of the indicator is better for children."""
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
    files: tuple[Path, ...] = ()
    """The YAML files read: the codebook itself and its includes (for provenance)."""

    def variable(self, name: str) -> Variable:
        """Return the variable ``name`` or raise :class:`CodebookError`."""
        try:
            return self.variables[name]
        except KeyError:
            raise CodebookError(f"{self._where()}: unknown variable {name!r}") from None

    def indicator(self, indicator_id: str) -> Indicator:
        """Return the indicator ``indicator_id`` or raise :class:`CodebookError`."""
        try:
            return self.indicators[indicator_id]
        except KeyError:
            raise CodebookError(f"{self._where()}: unknown indicator {indicator_id!r}") from None

    def _where(self) -> str:
        return str(self.path) if self.path else f"codebook {self.name!r}"


def codebook_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a shipped codebook name (``hbsc2018_oa``) or a path to a YAML file.

    A relative path is taken from ``relative_to`` (the folder of the codebook that includes
    it) when given, else from the current folder.

    Raises
    ------
    CodebookError
        If no such codebook exists.
    """
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to / candidate
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists() or "/" in text:
        if not candidate.is_file():
            raise CodebookError(f"{candidate}: codebook file not found")
        return candidate.resolve()
    shipped = paths.codebook_dir() / f"{text}.yaml"
    if not shipped.is_file():
        names = sorted(p.stem for p in paths.codebook_dir().glob("*.yaml"))
        raise CodebookError(f"unknown codebook {text!r}: expected a path or one of {', '.join(names) or '(none shipped)'}")
    return shipped


def available_codebooks() -> list[str]:
    """Names of the codebooks shipped in ``data/codebooks``."""
    return sorted(p.stem for p in paths.codebook_dir().glob("*.yaml"))


def load_codebook(name_or_path: str | Path) -> Codebook:
    """Load and validate a codebook.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped codebook name (``"hbsc2018_oa"``, ``"cbss_online_risk"``, ``"cbss_synthetic"``)
        or the path of a YAML codebook file.

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        One line naming the file and the offending key or value.
    """
    path = codebook_path(name_or_path)
    return _load(path, chain=())


def _load(path: Path, chain: tuple[Path, ...]) -> Codebook:
    if path in chain:
        raise CodebookError(f"{path}: include cycle ({' -> '.join(p.stem for p in (*chain, path))})")
    raw = _read_codebook_yaml(path)
    where = str(path)
    _F.keys(raw, _TOP_KEYS, where, "top level")
    name = _F.require_str(raw, "codebook", where)
    variables: dict[str, Variable] = {}
    indicators: dict[str, Indicator] = {}
    files = [path]
    for included in _F.as_list(raw.get("include", []), where, "include"):
        sub = _load(codebook_path(_F.plain_str(included, where, "include"), relative_to=path.parent), (*chain, path))
        variables.update(sub.variables)
        indicators.update(sub.indicators)
        files.extend(f for f in sub.files if f not in files)
    for index, entry in enumerate(_F.as_list(raw.get("variables", []), where, "variables")):
        variable = _parse_variable(entry, f"{where}: variables[{index}]")
        variables[variable.name] = variable
    _F.unique(_entry_values(raw.get("variables"), "name"), where, "variable")
    for index, entry in enumerate(_F.as_list(raw.get("indicators", []), where, "indicators")):
        indicator = _parse_indicator(entry, f"{where}: indicators[{index}]")
        indicators[indicator.id] = indicator
    _F.unique(_entry_values(raw.get("indicators"), "id"), where, "indicator")
    state_variable = raw.get("state_variable")
    if state_variable is not None:
        state_variable = _F.plain_str(state_variable, where, "state_variable")
    design = _parse_design(raw["design"], where) if raw.get("design") is not None else None
    codebook = Codebook(
        name=name,
        title=_F.optional_str(raw, "title", where),
        source=_F.optional_str(raw, "source", where),
        synthetic=_F.optional_bool(raw, "synthetic", where),
        state_variable=state_variable,
        design=design,
        variables=variables,
        indicators=indicators,
        path=path,
        files=tuple(files),
    )
    _validate_references(codebook, where)
    return codebook


def _read_codebook_yaml(path: Path) -> dict:
    raw = read_yaml_file(path, CodebookError, what="codebook")
    if not isinstance(raw, dict):
        raise CodebookError(f"{path}: a codebook must be a YAML mapping with 'codebook', 'variables' and 'indicators'")
    return raw


def _entry_values(entries: Any, key: str) -> list[Any]:
    return [e.get(key) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _code_filter(value: Any, where: str, key: str) -> dict[str, tuple[int, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CodebookError(f"{where}: {key!r} must map variable names to lists of codes, got {value!r}")
    return {_F.plain_str(var, where, key): _F.integers(codes, where, f"{key}.{var}") for var, codes in value.items()}


def _parse_design(raw: Any, where: str) -> DesignSpec:
    if not isinstance(raw, dict):
        raise CodebookError(f"{where}: 'design' must be a mapping with weight, strata, psu, fpc, nest, lonely_psu")
    _F.keys(raw, _DESIGN_KEYS, where, "design")
    strata = raw.get("strata")
    if isinstance(strata, str):
        strata = (strata,)
    else:
        strata = tuple(_F.plain_str(s, where, "design.strata") for s in _F.as_list(strata, where, "design.strata"))
    optional = {k: (_F.plain_str(raw[k], where, f"design.{k}") if raw.get(k) is not None else None) for k in ("psu", "fpc", "lonely_psu")}
    if optional["lonely_psu"] is not None and optional["lonely_psu"] not in LONELY_PSU_RULES:
        raise CodebookError(f"{where}: design.lonely_psu {optional['lonely_psu']!r} is not one of {', '.join(LONELY_PSU_RULES)}")
    return DesignSpec(
        weight=_F.require_str(raw, "weight", f"{where}: design"),
        strata=strata,
        psu=optional["psu"],
        fpc=optional["fpc"],
        nest=_F.optional_bool(raw, "nest", f"{where}: design"),
        lonely_psu=optional["lonely_psu"],
    )


def _entry(raw: Any, keys: set[str], id_key: str, where: str, what: str) -> tuple[str, str]:
    """Check one variable or indicator entry; return its name and the ``where`` that names it."""
    _F.keys(_F.mapping(raw, where, f"a {what}"), keys, where, what)
    name = _F.require_str(raw, id_key, where)
    return name, f"{where} ({name})"


def _parse_variable(raw: Any, where: str) -> Variable:
    name, where = _entry(raw, _VARIABLE_KEYS, "name", where, "variable")
    kind = _F.require_str(raw, "type", where)
    if kind not in VARIABLE_TYPES:
        raise CodebookError(f"{where}: unknown type {kind!r}; expected one of {', '.join(VARIABLE_TYPES)}")
    raw_values = raw.get("values") or {}
    if not isinstance(raw_values, dict):
        raise CodebookError(f"{where}: 'values' must map codes to labels, got {raw_values!r}")
    text = kind in TEXT_TYPES
    code_of = _text_code if text else _F.integer
    values: dict[int | str, str] = {}
    for code, label in raw_values.items():
        if not isinstance(label, str):
            raise CodebookError(f"{where}: label of code {code!r} must be a string, got {label!r}")
        values[code_of(code, where, "values")] = label
    if kind in LABELLED_TYPES and not values:
        raise CodebookError(f"{where}: a {kind} variable needs 'values' (code -> label)")
    if kind == "binary" and len(values) != 2:
        raise CodebookError(f"{where}: a binary variable needs exactly two codes, got {len(values)}")
    missing = tuple(code_of(v, where, "missing") for v in _F.as_list(raw.get("missing"), where, "missing"))
    if text:
        for key in ("range", "reverse", "asked_of"):
            if raw.get(key):
                raise CodebookError(f"{where}: a text variable cannot have {key!r} (it has no numeric codes)")
    clash = sorted(set(missing) & set(values))
    if clash:
        raise CodebookError(f"{where}: code {clash[0]} is both a value and a missing code")
    value_range = raw.get("range")
    if value_range is not None:
        if (
            not isinstance(value_range, list)
            or len(value_range) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value_range)
            or value_range[0] > value_range[1]
        ):
            raise CodebookError(f"{where}: 'range' must be [min, max] numbers, got {value_range!r}")
        value_range = (float(value_range[0]), float(value_range[1]))
    module = raw.get("module")
    return Variable(
        name=name,
        label=_F.require_str(raw, "label", where),
        type=kind,
        question=_F.optional_str(raw, "question", where),
        values=values if text else dict(sorted(values.items())),
        missing=missing,
        source=_F.optional_str(raw, "source", where),
        module=_F.plain_str(module, where, "module") if module is not None else None,
        reverse=_F.optional_bool(raw, "reverse", where),
        range=value_range,
        asked_of=_code_filter(raw.get("asked_of"), where, "asked_of"),
    )


def _text_code(value: Any, where: str, key: str) -> str:
    """A code of a text variable: a non-empty string without surrounding spaces."""
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise CodebookError(
            f"{where}: code {value!r} in {key!r} of a text variable must be a string without surrounding spaces "
            "(quote codes that look like numbers: \"01\", not 01)"
        )
    return value


def _parse_indicator(raw: Any, where: str) -> Indicator:
    indicator_id, where = _entry(raw, _INDICATOR_KEYS, "id", where, "indicator")
    variables = tuple(_F.plain_str(v, where, "variables") for v in _F.as_list(raw.get("variables"), where, "variables"))
    rule = raw.get("rule")
    if not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in RULE_KINDS:
        raise CodebookError(f"{where}: 'rule' must be exactly one of {', '.join(RULE_KINDS)}, got {rule!r}")
    kind, argument = next(iter(rule.items()))
    if kind == "in":
        rule = {"in": _F.integers(argument, where, "rule.in")}
    elif kind == "at_least":
        rule = {"at_least": _F.integer(argument, where, "rule.at_least")}
    elif kind == "mean_of":
        rule = {"mean_of": tuple(_F.plain_str(v, where, "rule.mean_of") for v in _F.as_list(argument, where, "rule.mean_of"))}
    else:
        if not isinstance(argument, dict) or set(argument) != {"items", "codes", "k"}:
            raise CodebookError(f"{where}: 'count_at_least' needs exactly items, codes and k, got {argument!r}")
        items = tuple(_F.plain_str(v, where, "rule.count_at_least.items") for v in _F.as_list(argument["items"], where, "items"))
        k = _F.integer(argument["k"], where, "rule.count_at_least.k")
        if not 1 <= k <= len(items):
            raise CodebookError(f"{where}: count_at_least k={k} must be between 1 and the number of items ({len(items)})")
        rule = {"count_at_least": {"items": items, "codes": _F.integers(argument["codes"], where, "codes"), "k": k}}
    if kind in {"in", "at_least"} and len(variables) != 1:
        raise CodebookError(f"{where}: rule {kind!r} needs exactly one variable, got {len(variables)}")
    return Indicator(
        id=indicator_id,
        label=_F.require_str(raw, "label", where),
        variables=variables,
        rule=rule,
        population=_code_filter(raw.get("population"), where, "population"),
        priority_areas=tuple(_F.plain_str(p, where, "priority_areas") for p in _F.as_list(raw.get("priority_areas"), where, "priority_areas")),
        source=_F.optional_str(raw, "source", where),
        better=_better(raw.get("better"), where),
    )


def _better(value: Any, where: str) -> str | None:
    if value is None or value in BETTER_DIRECTIONS:
        return value
    raise CodebookError(f"{where}: 'better' must be one of {', '.join(BETTER_DIRECTIONS)} (or left out), got {value!r}")


def rule_variables(indicator: Indicator) -> tuple[str, ...]:
    """Every variable an indicator reads: its variables, rule items and population filter."""
    kind, argument = next(iter(indicator.rule.items()))
    items = argument["items"] if kind == "count_at_least" else argument if kind == "mean_of" else ()
    return tuple(dict.fromkeys((*indicator.variables, *items, *indicator.population)))


def _validate_references(codebook: Codebook, where: str) -> None:
    known = codebook.variables
    for variable in known.values():
        for name in variable.asked_of:
            if name not in known:
                raise CodebookError(f"{where}: variable {variable.name!r} is asked_of unknown variable {name!r}")
            if known[name].is_text:
                raise CodebookError(f"{where}: variable {variable.name!r} is asked_of text variable {name!r}, which has no numeric codes")
    for indicator in codebook.indicators.values():
        for name in rule_variables(indicator):
            if name not in known:
                raise CodebookError(f"{where}: indicator {indicator.id!r} names unknown variable {name!r}")
            if known[name].is_text:
                raise CodebookError(f"{where}: indicator {indicator.id!r} uses text variable {name!r}, which has no numeric codes")
        if indicator.id in known:
            raise CodebookError(f"{where}: indicator {indicator.id!r} has the same name as a variable")
    names = [codebook.state_variable] if codebook.state_variable else []
    if codebook.design is not None:
        spec = codebook.design
        names += [spec.weight, *spec.strata, *(n for n in (spec.psu, spec.fpc) if n)]
    for name in names:
        if name not in known:
            raise CodebookError(f"{where}: design or state variable {name!r} is not a variable of the codebook")
    numeric_roles = {"state variable": codebook.state_variable}
    if codebook.design is not None:
        numeric_roles.update({"weight": codebook.design.weight, "fpc": codebook.design.fpc})
    for role, name in numeric_roles.items():
        if name and known[name].is_text:
            raise CodebookError(f"{where}: the {role} {name!r} is a text variable; the {role} must be numeric")
