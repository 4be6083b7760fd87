"""Types of notebook parameters, read from a notebook's papermill ``parameters`` cell.

:func:`notebook_parameters` (what ``papermill.inspect_notebook`` reports) gives each parameter's default (as source text) and,
when the cell declares one, its annotation (``min_n: int = 30``) or type comment
(``min_n = 30  # type: int``). The expected type of a value is taken, in order, from
the annotation, from the default literal (``30`` -> int, ``["DK"]`` -> list of str),
and for a ``None`` default from the notebook contract (``data_path``, ``codebook``:
str or None; ``states``: list of str or None; ``min_n``: int; ``state``: str).
Anything else accepts any YAML value.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cbss_analysis.common.safe_yaml import load_yaml
from cbss_analysis.common.text import exception_line, snippet
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.values import json_problem

_SCALARS: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict}
_CONTRACT: dict[str, str] = {
    "data_path": "Optional[str]",
    "codebook": "Optional[str]",
    "states": "Optional[list[str]]",
    "min_n": "int",
    "state": "str",
    "allow_small_cells": "bool",
}
_WRAPPER = re.compile(r"^(?P<outer>Optional|list|List)\[(?P<inner>.+)\]$")


@dataclass(frozen=True)
class ParamType:
    """Expected type of a notebook parameter.

    ``base`` is ``None`` for "any value"; ``item`` is the element type of a list;
    ``optional`` allows ``None``.
    """

    base: type | None
    item: type | None = None
    optional: bool = False

    def describe(self) -> str:
        """Human-readable type, e.g. ``list of str or null``."""
        if self.base is None:
            return "any value"
        text = self.base.__name__
        if self.base is list and self.item is not None:
            text = f"list of {self.item.__name__}"
        return f"{text} or null" if self.optional else text

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` (as loaded from YAML) fits this type."""
        if json_problem(value) is not None:
            return False
        if value is None:
            return self.optional or self.base is None
        if self.base is None:
            return True
        if not _is_instance(value, self.base):
            return False
        if self.base is list and self.item is not None:
            return all(_is_instance(item, self.item) for item in value)
        return True


def _is_instance(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _from_annotation(text: str) -> ParamType | None:
    text = text.replace(" ", "")
    match = _WRAPPER.match(text)
    if match and match["outer"] == "Optional":
        inner = _from_annotation(match["inner"])
        return None if inner is None else ParamType(inner.base, inner.item, optional=True)
    if match:
        item = _SCALARS.get(match["inner"])
        return ParamType(list, item) if item is not None else None
    base = _SCALARS.get(text)
    return ParamType(base) if base is not None else None


def _from_default(source: str) -> ParamType | None:
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        kinds = {type(item) for item in value}
        return ParamType(list, kinds.pop() if len(kinds) == 1 else None)
    for kind in (bool, int, float, str, dict):
        if isinstance(value, kind):
            return ParamType(kind)
    return None


def _cell_source(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def parameters_cell(path: Path) -> str | None:
    """Source of the notebook's code cell tagged ``parameters`` (None when it has none).

    Raises
    ------
    ReportError
        The file is not a readable notebook (truncated, not JSON, not nbformat 4).
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        cells = content.get("cells", []) if isinstance(content, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
        for cell in cells:
            if not isinstance(cell, dict):
                raise ValueError("a cell is not a mapping")
            tags = cell.get("metadata", {}).get("tags", []) if isinstance(cell.get("metadata"), dict) else []
            if cell.get("cell_type") == "code" and isinstance(tags, list) and "parameters" in tags:
                return _cell_source(cell.get("source", ""))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReportError(f"{path.name}: not a readable notebook ({exception_line(exc)}); restore it from git") from None
    return None


def _trailing_comment(lines: list[str], node: ast.stmt) -> str:
    line = lines[node.end_lineno - 1] if node.end_lineno else ""
    rest = line.encode()[node.end_col_offset or 0:].decode(errors="replace").strip()
    return rest[1:].strip() if rest.startswith("#") else ""


def notebook_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters of a notebook, as ``papermill.inspect_notebook`` reports them.

    Same keys (``name``, ``inferred_type_name``, ``default``, ``help``) and the same
    reading of annotations (``x: int = 1``) and type comments (``x = 1  # type: int``),
    but taken from the ``parameters`` cell's syntax tree: papermill's line matcher skips
    any line with two ``=`` (a comment such as ``# None = embedded survey``), and
    importing papermill costs about 2 s, which a warm report run cannot afford.
    ``tests/reports/test_params.py`` checks that both agree on the lines papermill can read.
    """
    source = parameters_cell(path)
    if source is None:
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportError(f"{path}: parameters cell line {exc.lineno}: {exc.msg}; it must be plain assignments") from exc
    lines = source.splitlines()
    found: dict[str, dict[str, Any]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, annotation = node.targets[0].id, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, annotation = node.target.id, ast.get_source_segment(source, node.annotation)
        else:
            continue
        comment = _trailing_comment(lines, node)
        type_comment = None
        match = re.match(r"type:\s*(\S*)\s*(.*)$", comment)
        if match:
            type_comment, comment = match.group(1), match.group(2)
        found[name] = {
            "name": name,
            "inferred_type_name": str(annotation or type_comment or None),
            "default": ast.get_source_segment(source, node.value) or "None",
            "help": comment,
        }
    return found


def param_type(name: str, info: dict[str, Any]) -> ParamType:
    """Expected type of parameter ``name`` from its ``papermill.inspect_notebook`` entry.

    Parameters
    ----------
    name : str
        Parameter name.
    info : dict
        ``inspect_notebook(...)[name]``: keys ``inferred_type_name`` and ``default``.

    Returns
    -------
    ParamType
    """
    declared = str(info.get("inferred_type_name") or "None")
    if declared not in ("None", "NoneType"):
        found = _from_annotation(declared)
        if found is not None:
            return found
    found = _from_default(str(info.get("default", "None")))
    if found is not None:
        return found
    if name in _CONTRACT:
        return _from_annotation(_CONTRACT[name]) or ParamType(None)
    return ParamType(None)


def parse_cli_value(raw: str, expected: ParamType) -> Any:
    """Turn the text of ``--param key=value`` into a value of the expected type.

    The text is read as YAML 1.2 (``30`` -> 30, ``[DK, FI]`` -> list, ``null`` -> None);
    a number given for a str parameter stays text (``state=2`` -> ``"2"``).
    """
    value = load_yaml(raw, f"--param {snippet(raw)}", ReportError) if raw.strip() else ""
    if expected.base is str and isinstance(value, (int, float)):
        return raw.strip()
    return value
