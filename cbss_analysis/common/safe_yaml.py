"""The one YAML reader of the package: safe, bounded, tag-free and strict about duplicate keys.

Codebooks, strategy files, report plans and ``--param`` values all come through :func:`load_yaml`.
What it accepts is JSON-like data only:

- **no tags**: any explicit tag (``!!binary``, ``!!set``, ``!!omap``, ``!!python/object``, ``!mine``,
  even ``!!str``) is refused, so no YAML document can make the loader build anything but
  mappings, lists, strings, numbers, booleans and null;
- **YAML 1.2 booleans**: only ``true``/``false`` are booleans, so ``NO`` (Norway) stays a string;
  dates stay strings too;
- **bounded**: at most :data:`MAX_BYTES` of text, :data:`MAX_DEPTH` levels of nesting and
  :data:`MAX_NODES` nodes after alias expansion (an "alias bomb" of a few hundred bytes fails at
  once, before anything is built);
- **duplicate keys** in one mapping are an error (PyYAML would keep the last silently).

Every problem is raised as the caller's error class with one line: the file (or what was read),
the line number and the problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
    ScalarEvent,
)

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import CbssError

MAX_BYTES = 4_000_000
"""Largest YAML text read (the shipped codebooks are under 100 kB)."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists."""
MAX_NODES = 200_000
"""Most nodes in the document once every alias is expanded."""

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader with YAML 1.2 booleans, no timestamps, and duplicate keys refused."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                raise yaml.constructor.ConstructorError(None, None, "merge keys ('<<') are not allowed", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a mapping key must be a plain value, not {type(key).__name__}", key_node.start_mark
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {snippet(key)}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in _BASE.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_constructor(_MERGE, None)


class _Limits:
    """Walks the parser's events once: refuses tags, deep nesting and documents that expand too far."""

    def __init__(self) -> None:
        self.anchored: dict[str, int] = {}
        self.stack: list[list[Any]] = []  # [anchor, nodes so far]
        self.total = 0

    def _add(self, count: int, mark: Any) -> None:
        self.total += count
        if self.stack:
            self.stack[-1][1] += count
        if self.total > MAX_NODES:
            raise _LimitError(f"more than {MAX_NODES:,} nodes once aliases are expanded (an alias bomb?)", mark)

    def event(self, event: Any) -> None:
        tagged = isinstance(event, NodeEvent) and not isinstance(event, AliasEvent) and event.tag is not None
        if tagged and not (isinstance(event, ScalarEvent) and event.tag == "!"):
            raise _LimitError(f"explicit tag {snippet(event.tag)} is not allowed (plain values only)", event.start_mark)
        if isinstance(event, AliasEvent):
            if event.anchor not in self.anchored:
                raise _LimitError(f"alias *{snippet(event.anchor)} refers to no complete anchor", event.start_mark)
            self._add(self.anchored[event.anchor], event.start_mark)
        elif isinstance(event, ScalarEvent):
            self._add(1, event.start_mark)
            if event.anchor is not None:
                self.anchored[event.anchor] = 1
        elif isinstance(event, CollectionStartEvent):
            self.stack.append([event.anchor, 1])
            if len(self.stack) > MAX_DEPTH:
                raise _LimitError(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        elif isinstance(event, CollectionEndEvent):
            anchor, count = self.stack.pop()
            if anchor is not None:
                self.anchored[anchor] = count
            self._add(count, event.start_mark)


class _LimitError(Exception):
    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


def _line(mark: Any) -> str:
    return f" at line {mark.line + 1}" if mark is not None else ""


def load_yaml(text: str | bytes, where: str, error: type[CbssError]) -> Any:
    """Parse one YAML document of plain data (see the module docstring).

    Parameters
    ----------
    text : str or bytes
        The YAML text.
    where : str
        What is read, for messages (a file name, ``--param state``).
    error : type of CbssError
        The error class raised (``CodebookError`` for a codebook, ``ReportError`` for a plan, ...).

    Returns
    -------
    Any
        Mappings, lists, str, int, float, bool and None only.

    Raises
    ------
    error
        One line: ``"<where>: not valid YAML at line N: <problem>"``.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise error(f"{where}: not UTF-8 text") from None
    if len(text) > MAX_BYTES:
        raise error(f"{where}: {len(text):,} characters of YAML; at most {MAX_BYTES:,} are read")
    try:
        limits = _Limits()
        for event in yaml.parse(text, Loader=_Loader):
            limits.event(event)
        return yaml.load(text, Loader=_Loader)
    except (_LimitError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{where}: not valid YAML{_line(mark)}: {' '.join(str(problem).split())[:120]}") from None
    except RecursionError:
        raise error(f"{where}: not valid YAML: nested too deeply") from None


def read_yaml_file(path: Path, error: type[CbssError], what: str = "file", display: str | None = None,
                   if_missing: str = "") -> Any:
    """Read and parse a YAML file with :func:`load_yaml`; a missing or unreadable file is one line too.

    ``display`` is the name used in messages (default: the path as given); ``if_missing`` is what to
    do when the file does not exist, added to that message.
    """
    shown = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(f"{shown}: {size:,} bytes; a {what} of at most {MAX_BYTES:,} bytes is read")
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{shown}: {what} not found" + (f"; {if_missing}" if if_missing else "")) from None
    except IsADirectoryError:
        raise error(f"{shown}: is a folder, not a {what}") from None
    except OSError as exc:
        raise error(f"{shown}: cannot read the {what} ({exc.strerror or type(exc).__name__})") from None
    return load_yaml(data, shown, error)
