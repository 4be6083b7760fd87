"""A codebook's YAML entries turned into checked objects: design, variables, indicators, references.

Every check raises a one-line :class:`~cbss_analysis.errors.CodebookError` that names the file, the
entry and the offending key or value (quoted through :func:`cbss_analysis.common.text.snippet`).
"""

from __future__ import annotations

import math
from typing import Any

from cbss_analysis.common.checks import MAX_LEVELS
from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import CodebookError
from cbss_analysis.survey.codebook_model import (
    _DESIGN_KEYS,
    _F,
    _INDICATOR_KEYS,
    _REPLICATE_KEYS,
    _VARIABLE_KEYS,
    BETTER_DIRECTIONS,
    DESIGN_FALLBACKS,
    LABELLED_TYPES,
    RULE_KINDS,
    TEXT_TYPES,
    VARIABLE_TYPES,
    Codebook,
    DesignSpec,
    Indicator,
    Variable,
    rule_variables,
)
from cbss_analysis.survey.design import LONELY_PSU_RULES


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
        better=_better(raw.get("better"), where),
    )


def _better(value: Any, where: str) -> str | None:
    if value is None or value in BETTER_DIRECTIONS:
        return value
    raise CodebookError(f"{where}: 'better' must be one of {', '.join(BETTER_DIRECTIONS)} (or left out), got {snippet(value)}")


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

