"""A small program of package calls that is both shown as Python code and run: one source for both.

An explorer view is a :class:`Program`: a few :class:`Call` s (``table = estimate.proportion(survey,
[...], by="state")``, ``display(plots.estimates_by_state(table, ...))``). :meth:`Program.code` writes
it as the code a researcher pastes into a cell; :func:`run` calls the same functions with the same
arguments, so the explorer shows exactly what the code gives. Arguments are plain literals (text,
numbers, lists, None), :class:`Ref` (a name bound by an earlier call) or :class:`Item`
(``labels["cyberbullied"]``); text from a codebook reaches the code only as a ``repr`` literal.
"""

from __future__ import annotations

import importlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

LINE = 99
"""Calls longer than this are written one argument per line."""
_ROOTS = {"cbss": "cbss_analysis", "estimate": "cbss_analysis.estimate", "plots": "cbss_analysis.plots"}


@dataclass(frozen=True)
class Ref:
    """A name bound by an earlier call of the program (or given to :func:`run`)."""

    name: str


@dataclass(frozen=True)
class Item:
    """``name["key"]``: an entry of a mapping bound earlier (``labels["cyberbullied"]``)."""

    of: Ref
    key: str


@dataclass(frozen=True)
class Call:
    """One line of the program: ``[target =] [display(]function(args, kwargs)[)]``.

    ``function`` is dotted from a root the program imports: ``cbss`` (the package), ``estimate`` or
    ``plots``. A ``setup`` call (loading the survey) is skipped by :func:`run` when its target is
    given.
    """

    function: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    target: str | None = None
    display: bool = False
    setup: bool = False


@dataclass(frozen=True)
class Program:
    """Comment lines, then the imports, then the calls."""

    comments: tuple[str, ...]
    calls: tuple[Call, ...]

    def code(self) -> str:
        """The program as Python source: paste it into a notebook cell."""
        roots = sorted({c.function.split(".", 1)[0] for c in self.calls} - {"cbss"})
        lines = [f"# {c}" for c in self.comments]
        if any(c.display for c in self.calls):
            lines += ["from IPython.display import display", ""]
        lines.append("import cbss_analysis as cbss")
        if roots:
            lines.append(f"from cbss_analysis import {', '.join(roots)}")
        lines.append("")
        lines.extend(source(call) for call in self.calls)
        return "\n".join(lines) + "\n"


def literal(value: Any) -> str:
    """Python source of an argument: ``repr`` of plain values, lists as ``[...]``, names as themselves."""
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, Item):
        return f"{value.of.name}[{literal(value.key)}]"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if value is None or isinstance(value, (bool, int, float, str)):
        text = repr(value)
        if isinstance(value, str) and text.startswith("'") and '"' not in value:
            text = f'"{text[1:-1]}"'  # the same string; double quotes as the package's code writes them
        return text
    raise TypeError(f"no literal for {type(value).__name__}")


def source(call: Call) -> str:
    """One call as a line; a long one with its arguments on the next line, or one per line when they are longer still."""
    arguments = [literal(a) for a in call.args] + [f"{k}={literal(v)}" for k, v in call.kwargs]
    head = (f"{call.target} = " if call.target else "") + ("display(" if call.display else "") + call.function + "("
    tail = ")" + (")" if call.display else "")
    line = head + ", ".join(arguments) + tail
    if len(line) <= LINE:
        return line
    together = "    " + ", ".join(arguments) + ","
    if len(together) <= LINE:
        return f"{head}\n{together}\n{tail}"
    return head + "\n" + "".join(f"    {a},\n" for a in arguments) + tail


def _resolve(function: str) -> Any:
    root, *rest = function.split(".")
    value = importlib.import_module(_ROOTS[root])
    for part in rest:
        value = getattr(value, part)
    return value


def _value(argument: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(argument, Ref):
        return namespace[argument.name]
    if isinstance(argument, Item):
        return namespace[argument.of.name][argument.key]
    if isinstance(argument, (list, tuple)):
        return [_value(a, namespace) for a in argument]
    return argument


def _key(argument: Any, provenance: dict[str, str]) -> str:
    if isinstance(argument, Ref):
        return provenance[argument.name]
    if isinstance(argument, Item):
        return f"{provenance[argument.of.name]}[{argument.key!r}]"
    if isinstance(argument, (list, tuple)):
        return "[" + ", ".join(_key(a, provenance) for a in argument) + "]"
    return repr(argument)


class Cache:
    """Results of earlier calls, keyed by what made them (the call and, recursively, its inputs); least recently used dropped."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, make: Any) -> Any:
        if key in self._items:
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key]
        self.misses += 1
        value = make()
        self._items[key] = value
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return value


@dataclass
class Result:
    """What :func:`run` gives: every name the program bound, and the values it displays, in order."""

    namespace: dict[str, Any]
    displayed: list[Any]
    keys: list[str]
    """For each displayed value, the key that identifies how it was made (for caches of rendered images)."""


def run(program: Program, given: dict[str, Any], cache: Cache | None = None) -> Result:
    """Call the program's functions with its arguments; ``given`` binds names (``{"survey": survey}``).

    A ``setup`` call whose target is given is skipped. With a ``cache``, a call made before with
    the same inputs returns the earlier result (callers must not change results in place).
    """
    namespace = dict(given)
    provenance = {name: f"<{name} {id(value)}>" for name, value in given.items()}
    displayed: list[Any] = []
    keys: list[str] = []
    for call in program.calls:
        if call.setup and call.target in namespace:
            continue
        key = (call.function + "(" + ", ".join([_key(a, provenance) for a in call.args]
                                                + [f"{k}={_key(v, provenance)}" for k, v in call.kwargs]) + ")")

        def make(call: Call = call) -> Any:
            return _resolve(call.function)(*(_value(a, namespace) for a in call.args),
                                           **{k: _value(v, namespace) for k, v in call.kwargs})

        value = cache.get(key, make) if cache is not None else make()
        if call.target:
            namespace[call.target] = value
            provenance[call.target] = key
        if call.display:
            displayed.append(value)
            keys.append(key)
    return Result(namespace, displayed, keys)
