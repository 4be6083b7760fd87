"""What a report parameter value may be: plain JSON-like data, checked against the notebook contract.

Parameter values come from report plans and ``--param`` (other people's files and commands). They
reach a notebook only as Python literals written by :func:`python_literal` (see
:mod:`cbss_analysis.reports.inject`), and only after two checks:

- :func:`json_problem`: the value is JSON-like: str, int, float (finite), bool, None, and lists and
  mappings with string keys of those, at most :data:`MAX_DEPTH` levels deep and :data:`MAX_ITEMS`
  items in all;
- :func:`contract_problem`: a parameter of the notebook contract has the meaning its name promises:
  ``states`` a list of ISO2 codes of member states, ``state`` one such code, ``min_n`` a whole number
  of respondents, ``allow_small_cells`` true or false, ``codebook`` a shipped codebook name or a
  ``.yaml`` file inside the plan's folder (no absolute path, no ``..``), ``data_path`` a file name.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from cbss_analysis.common.text import snippet

MAX_DEPTH = 8
"""Deepest nesting of lists and mappings in a parameter value."""
MAX_ITEMS = 10_000
"""Most scalars and containers in one parameter value."""
_CODEBOOK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def json_problem(value: Any) -> str | None:
    """Why ``value`` is not JSON-like, or None when it is."""
    count = 0

    def walk(item: Any, depth: int) -> str | None:
        nonlocal count
        count += 1
        if count > MAX_ITEMS:
            return f"has more than {MAX_ITEMS:,} items"
        if depth > MAX_DEPTH:
            return f"is nested deeper than {MAX_DEPTH} levels"
        if item is None or isinstance(item, (bool, int, str)):
            return None
        if isinstance(item, float):
            return None if math.isfinite(item) else f"holds the non-finite number {item!r}"
        if isinstance(item, list):
            return next((p for p in (walk(i, depth + 1) for i in item) if p), None)
        if isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                return "is a mapping with a key that is not text"
            return next((p for p in (walk(v, depth + 1) for v in item.values()) if p), None)
        return f"is a {type(item).__name__}, not plain data (text, number, true/false, null, list, mapping)"

    return walk(value, 0)


def _relative_yaml(value: str) -> bool:
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(value)
        if path.is_absolute() or path.anchor or ".." in path.parts:
            return False
    return value.endswith((".yaml", ".yml"))


def contract_problem(name: str, value: Any) -> str | None:
    """Why ``value`` does not mean what the contract parameter ``name`` promises, or None."""
    from cbss_analysis.states import state_codes

    codes = state_codes()
    if name == "states" and isinstance(value, list):
        bad = [v for v in value if not isinstance(v, str) or v.strip().upper() not in codes]
        if bad:
            return f"holds {snippet(bad[0])}, not the ISO2 code of a CBSS member state ({', '.join(codes)})"
    elif name == "state" and isinstance(value, str) and value.strip().upper() not in codes:
        return f"is not the ISO2 code of a CBSS member state ({', '.join(codes)})"
    elif name == "min_n" and isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return "must be a whole number of respondents, at least 0"
    elif name == "codebook" and isinstance(value, str):
        if "/" in value or "\\" in value or value.endswith((".yaml", ".yml")):
            if not _relative_yaml(value):
                return "must be a shipped codebook name or a .yaml file inside the plan's folder (no absolute path, no '..')"
        elif not _CODEBOOK_NAME.match(value):
            return "is not a codebook name (letters, digits, _ . -)"
    elif name == "data_path" and isinstance(value, str) and ("\x00" in value or not value.strip()):
        return "is not a file name"
    return None


def python_literal(value: Any) -> str:
    """The Python source of a JSON-like value: ``repr`` of plain data, which always parses back to the value.

    Raises
    ------
    ValueError
        ``value`` is not JSON-like (see :func:`json_problem`).
    """
    problem = json_problem(value)
    if problem is not None:
        raise ValueError(f"parameter value {snippet(value)} {problem}")
    return repr(value)
