"""Codebooks: what every variable and code of a survey file means.

A codebook is a YAML file (read by :func:`cbss_analysis.common.safe_yaml.load_yaml`: plain data, never evaluated) that
lists the variables of a survey file with their labels, exact question wording,
value labels and missing codes, the sampling design, and declarative indicator
rules. :func:`load_codebook` validates it strictly: unknown keys, duplicate names,
codes of the wrong type and rules that name unknown variables each raise a
:class:`~cbss_analysis.errors.CodebookError` naming the file and the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from cbss_analysis import paths
from cbss_analysis.common.checks import MAX_LEVELS, suggestion
from cbss_analysis.common.safe_yaml import read_yaml_file
from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import CodebookError
from cbss_analysis.survey.design import LONELY_PSU_RULES
from cbss_analysis.survey.schema import Fields

VARIABLE_TYPES: tuple[str, ...] = ("categorical", "ordinal", "binary", "numeric", "id", "weight", "design", "text")
LABELLED_TYPES: frozenset[str] = frozenset({"categorical", "ordinal", "binary"})
TEXT_TYPES: frozenset[str] = frozenset({"text"})
"""Character variables (SPSS A-format, e.g. HBSC's ``region`` "DK", "BE-VLG"): string codes, never numbers."""
RULE_KINDS: tuple[str, ...] = ("in", "at_least", "count_at_least", "mean_of")
INCLUDE_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")
"""The only files an ``include`` may name."""
_SHIPPED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

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
_INDICATOR_KEYS = {"id", "label", "variables", "rule", "population", "priority_areas", "source", "comparable_with", "break"}
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
            raise CodebookError(f"{snippet(str(candidate))}: codebook file not found")
        return candidate.resolve()
    shipped = paths.codebook_dir() / f"{text}.yaml"
    if not shipped.is_file():
        names = sorted(p.stem for p in paths.codebook_dir().glob("*.yaml"))
        raise CodebookError(f"unknown codebook {snippet(text)}: expected a path or one of {', '.join(names) or '(none shipped)'}")
    return shipped


def include_path(value: str, including: Path) -> Path:
    """The file that an ``include`` entry of the codebook ``including`` names, when it may be read.

    An entry is either the name of a shipped codebook (``hbsc2018_oa``, read from
    :func:`cbss_analysis.paths.codebook_dir`) or a relative path to a ``.yaml`` (or ``.yml``) file
    in the including file's folder or below it. Refused, each with one line naming the including
    file and the entry: absolute paths (and ``~``), ``..`` anywhere in the path, other suffixes, and
    any path that, once symbolic links are resolved, leaves both the including file's folder tree
    and the shipped codebooks folder (or does not end in ``.yaml``). So a codebook from someone else
    can never make the package read ``/etc/passwd``, a key file or another user's data.

    Raises
    ------
    CodebookError
        If the entry is not allowed or the file does not exist.
    """
    where = f"{including}: include {snippet(value)}"
    if strip_control(value) != value or "\\" in value:
        raise CodebookError(f"{where}: not a plain file name (control characters or backslashes)")
    pure = PurePath(value)
    if value.startswith("~") or pure.is_absolute():
        raise CodebookError(f"{where}: absolute paths are not allowed; name a .yaml file in the codebook's folder "
                            "(relative to it) or a shipped codebook")
    if ".." in pure.parts:
        raise CodebookError(f"{where}: '..' is not allowed; an include must stay in the codebook's folder tree")
    shipped_dir = paths.codebook_dir().resolve()
    if not pure.suffix and len(pure.parts) == 1:
        if not _SHIPPED_NAME.fullmatch(value):
            raise CodebookError(f"{where}: not a codebook name (letters, digits, '_' and '-')")
        candidate = shipped_dir / f"{value}.yaml"
        if not candidate.is_file():
            raise CodebookError(f"{where}: no shipped codebook of that name; expected one of "
                                f"{', '.join(available_codebooks()) or '(none shipped)'} or a relative .yaml path")
    elif pure.suffix.lower() not in INCLUDE_SUFFIXES:
        raise CodebookError(f"{where}: only .yaml files may be included")
    else:
        candidate = including.parent / pure
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise CodebookError(f"{where}: codebook file not found") from None
    allowed = (including.parent.resolve(), shipped_dir)
    if not any(resolved.is_relative_to(folder) for folder in allowed):
        raise CodebookError(f"{where}: leads outside the codebook's folder (through a symbolic link); "
                            "only files in its folder tree or the shipped codebooks may be included")
    if resolved.suffix.lower() not in INCLUDE_SUFFIXES or not resolved.is_file():
        raise CodebookError(f"{where}: is not a .yaml file once links are resolved")
    return resolved


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
        raise CodebookError(f"{path}: include cycle ({' -> '.join(snippet(p.stem) for p in (*chain, path))})")
    raw = _read_codebook_yaml(path)
    where = str(path)
    _F.keys(raw, _TOP_KEYS, where, "top level")
    name = _F.require_str(raw, "codebook", where)
    variables: dict[str, Variable] = {}
    indicators: dict[str, Indicator] = {}
    files = [path]
    for included in _F.as_list(raw.get("include", []), where, "include"):
        sub = _load(include_path(_F.plain_str(included, where, "include"), path), (*chain, path))
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
    absent: dict[str, str] = {}
    for index, entry in enumerate(_F.as_list(raw.get("absent", []), where, "absent")):
        at = f"{where}: absent[{index}]"
        _F.keys(_F.mapping(entry, at, "an absent indicator"), _ABSENT_KEYS, at, "absent indicator", required=_ABSENT_KEYS)
        indicator_id = _F.plain_str(entry["indicator"], at, "indicator")
        if indicator_id in absent or indicator_id in indicators:
            raise CodebookError(f"{at}: indicator {indicator_id!r} is declared absent twice or also defined")
        absent[indicator_id] = _F.plain_str(entry["reason"], at, "reason")
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
        cycle=_F.optional_str(raw, "cycle", where) or None,
        absent=absent,
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
        raise CodebookError(f"{where}: {key!r} must map variable names to lists of codes, got {snippet(value)}")
    return {_F.plain_str(var, where, key): _F.integers(codes, where, f"{key}.{strip_control(str(var))[:40]}") for var, codes in value.items()}


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
    fallback = raw.get("fallback") or {}
    if not isinstance(fallback, dict):
        raise CodebookError(f"{where}: design.fallback must map weight, strata or psu to its rule, got {fallback!r}")
    for role, rule in fallback.items():
        if role not in DESIGN_FALLBACKS or rule != DESIGN_FALLBACKS[role]:
            allowed = ", ".join(f"{k}: {v}" for k, v in DESIGN_FALLBACKS.items())
            raise CodebookError(f"{where}: design.fallback {role!r}: {rule!r} is not one of {allowed}")
    return DesignSpec(
        weight=_F.require_str(raw, "weight", f"{where}: design"),
        strata=strata,
        psu=optional["psu"],
        fpc=optional["fpc"],
        nest=_F.optional_bool(raw, "nest", f"{where}: design"),
        lonely_psu=optional["lonely_psu"],
        fallback=dict(fallback),
        replicates=_parse_replicates(raw["replicates"], where) if raw.get("replicates") is not None else None,
    )


def _parse_replicates(raw: Any, where: str) -> dict[str, Any]:
    """``design.replicates``: checked here for shape; the values by ``ReplicateDesign``."""
    if not isinstance(raw, dict):
        raise CodebookError(f"{where}: design.replicates must be a mapping with columns, type (and rho, scale, rscales, mse)")
    _F.keys(raw, _REPLICATE_KEYS, where, "design.replicates")
    columns = raw.get("columns")
    if isinstance(columns, str):
        columns = _F.plain_str(columns, where, "design.replicates.columns")
    else:
        columns = tuple(_F.plain_str(c, where, "design.replicates.columns") for c in _F.as_list(columns, where, "design.replicates.columns"))
        if not columns:
            raise CodebookError(f"{where}: design.replicates.columns names no column")
    out: dict[str, Any] = {"replicates": columns, "type": _F.require_str(raw, "type", f"{where}: design.replicates")}
    for key in ("rho", "scale"):
        if raw.get(key) is not None:
            if isinstance(raw[key], bool) or not isinstance(raw[key], (int, float)):
                raise CodebookError(f"{where}: design.replicates.{key} must be a number, got {raw[key]!r}")
            out[key] = float(raw[key])
    if raw.get("rscales") is not None:
        values = _F.as_list(raw["rscales"], where, "design.replicates.rscales")
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
            raise CodebookError(f"{where}: design.replicates.rscales must be numbers")
        out["rscales"] = tuple(float(v) for v in values)
    for key in ("mse", "combined_weights"):
        if key in raw:
            out[key] = _F.optional_bool(raw, key, f"{where}: design.replicates")
    return out


def _entry(raw: Any, keys: set[str], id_key: str, where: str, what: str) -> tuple[str, str]:
    """Check one variable or indicator entry; return its name and the ``where`` that names it."""
    _F.keys(_F.mapping(raw, where, f"a {what}"), keys, where, what)
    name = _F.require_str(raw, id_key, where)
    shown = name if len(name) <= 60 and strip_control(name) == name else snippet(name, 60)
    return name, f"{where} ({shown})"


def _parse_variable(raw: Any, where: str) -> Variable:
    name, where = _entry(raw, _VARIABLE_KEYS, "name", where, "variable")
    kind = _F.require_str(raw, "type", where)
    if kind not in VARIABLE_TYPES:
        raise CodebookError(f"{where}: unknown type {snippet(kind)}; expected one of {', '.join(VARIABLE_TYPES)}")
    raw_values = raw.get("values") or {}
    if not isinstance(raw_values, dict):
        raise CodebookError(f"{where}: 'values' must map codes to labels, got {snippet(raw_values)}")
    text = kind in TEXT_TYPES
    code_of = _text_code if text else _F.integer
    values: dict[int | str, str] = {}
    for code, label in raw_values.items():
        if not isinstance(label, str):
            raise CodebookError(f"{where}: label of code {snippet(code)} must be a string, got {snippet(label)}")
        values[code_of(code, where, "values")] = label
    if kind in LABELLED_TYPES and not values:
        raise CodebookError(f"{where}: a {kind} variable needs 'values' (code -> label)")
    if len(values) > MAX_LEVELS:
        raise CodebookError(f"{where}: {len(values):,} value labels; a variable may have at most {MAX_LEVELS:,} "
                            "(use type numeric or id for a variable with that many codes)")
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
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value_range)
            or value_range[0] > value_range[1]
        ):
            raise CodebookError(f"{where}: 'range' must be [min, max] finite numbers, got {snippet(value_range)}")
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
        raise CodebookError(f"{where}: 'rule' must be exactly one of {', '.join(RULE_KINDS)}, got {snippet(rule)}")
    kind, argument = next(iter(rule.items()))
    if kind == "in":
        rule = {"in": _F.integers(argument, where, "rule.in")}
    elif kind == "at_least":
        rule = {"at_least": _F.integer(argument, where, "rule.at_least")}
    elif kind == "mean_of":
        rule = {"mean_of": tuple(_F.plain_str(v, where, "rule.mean_of") for v in _F.as_list(argument, where, "rule.mean_of"))}
    else:
        if not isinstance(argument, dict) or set(argument) != {"items", "codes", "k"}:
            raise CodebookError(f"{where}: 'count_at_least' needs exactly items, codes and k, got {snippet(argument)}")
        items = tuple(_F.plain_str(v, where, "rule.count_at_least.items") for v in _F.as_list(argument["items"], where, "items"))
        k = _F.integer(argument["k"], where, "rule.count_at_least.k")
        if not 1 <= k <= len(items):
            raise CodebookError(f"{where}: count_at_least k={k} must be between 1 and the number of items ({len(items)})")
        rule = {"count_at_least": {"items": items, "codes": _F.integers(argument["codes"], where, "codes"), "k": k}}
    if kind in {"in", "at_least"} and len(variables) != 1:
        raise CodebookError(f"{where}: rule {snippet(kind)} needs exactly one variable, got {len(variables)}")
    return Indicator(
        id=indicator_id,
        label=_F.require_str(raw, "label", where),
        variables=variables,
        rule=rule,
        population=_code_filter(raw.get("population"), where, "population"),
        priority_areas=tuple(_F.plain_str(p, where, "priority_areas") for p in _F.as_list(raw.get("priority_areas"), where, "priority_areas")),
        source=_F.optional_str(raw, "source", where),
        comparable_with=tuple(_F.plain_str(c, where, "comparable_with") for c in _F.as_list(raw.get("comparable_with"), where, "comparable_with")),
        break_=_F.optional_str(raw, "break", where),
    )


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
                raise CodebookError(f"{where}: variable {snippet(variable.name)} is asked_of unknown variable {snippet(name)}")
            if known[name].is_text:
                raise CodebookError(f"{where}: variable {snippet(variable.name)} is asked_of text variable {snippet(name)}, which has no numeric codes")
    for indicator in codebook.indicators.values():
        for name in rule_variables(indicator):
            if name not in known:
                raise CodebookError(f"{where}: indicator {snippet(indicator.id)} names unknown variable {snippet(name)}")
            if known[name].is_text:
                raise CodebookError(f"{where}: indicator {snippet(indicator.id)} uses text variable {snippet(name)}, which has no numeric codes")
        if indicator.id in known:
            raise CodebookError(f"{where}: indicator {snippet(indicator.id)} has the same name as a variable")
    names = [codebook.state_variable] if codebook.state_variable else []
    if codebook.design is not None:
        spec = codebook.design
        names += [spec.weight, *spec.strata, *(n for n in (spec.psu, spec.fpc) if n)]
    for name in names:
        if name not in known:
            raise CodebookError(f"{where}: design or state variable {snippet(name)} is not a variable of the codebook")
    numeric_roles = {"state variable": codebook.state_variable}
    if codebook.design is not None:
        numeric_roles.update({"weight": codebook.design.weight, "fpc": codebook.design.fpc})
    for role, name in numeric_roles.items():
        if name and known[name].is_text:
            raise CodebookError(f"{where}: the {role} {snippet(name)} is a text variable; the {role} must be numeric")
