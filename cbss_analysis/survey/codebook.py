"""Codebooks: what every variable and code of a survey file means.

A codebook is a YAML file (read by :func:`cbss_analysis.common.safe_yaml.load_yaml`: plain data, never evaluated) that
lists the variables of a survey file with their labels, exact question wording,
value labels and missing codes, the sampling design, and declarative indicator
rules. :func:`load_codebook` validates it strictly: unknown keys, duplicate names,
codes of the wrong type and rules that name unknown variables each raise a
:class:`~cbss_analysis.errors.CodebookError` naming the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath

from cbss_analysis import paths
from cbss_analysis.common.safe_yaml import read_yaml_file
from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import CodebookError
from cbss_analysis.survey.codebook_entries import (
    _entry_values,
    _parse_design,
    _parse_indicator,
    _parse_variable,
    _validate_references,
)
from cbss_analysis.survey.codebook_model import (
    _ABSENT_KEYS,
    _F,
    _TOP_KEYS,
    BETTER_DIRECTIONS,
    DESIGN_FALLBACKS,
    INCLUDE_SUFFIXES,
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

__all__ = [
    "BETTER_DIRECTIONS", "DESIGN_FALLBACKS", "LABELLED_TYPES", "RULE_KINDS", "TEXT_TYPES", "VARIABLE_TYPES", "Codebook", "DesignSpec",
    "Indicator", "Variable", "available_codebooks", "codebook_path", "include_path", "load_codebook", "rule_variables",
]

_SHIPPED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

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


