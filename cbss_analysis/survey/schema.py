"""Checks of the entries of a YAML file that the package reads (codebooks, the strategy file).

One :class:`Fields` per file kind, bound to that kind's error class, checks keys, strings, lists,
booleans and integer codes with one wording of each message:
``"<file>: <where>: <key> must be ..., got <value>"``. Values are quoted through
:func:`cbss_analysis.common.text.snippet` (short, one line, no control characters).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import CbssError


class Fields:
    """Entry checks that raise ``error`` (a :class:`~cbss_analysis.errors.CbssError` subclass)."""

    def __init__(self, error: type[CbssError]) -> None:
        self.error = error

    def keys(self, entry: dict, allowed: Iterable[str], where: str, what: str, required: Iterable[str] = ()) -> None:
        """Refuse unknown keys, and missing ``required`` ones."""
        allowed = set(allowed)
        unknown = sorted(str(k) for k in entry if k not in allowed)
        if unknown:
            raise self.error(f"{where}: unknown key {snippet(unknown[0])} in {what}; allowed: {', '.join(sorted(allowed))}")
        missing = sorted(set(required) - set(entry))
        if missing:
            raise self.error(f"{where}: missing key {snippet(missing[0])}")

    def mapping(self, value: Any, where: str, what: str) -> dict:
        """``value`` when it is a mapping."""
        if not isinstance(value, dict):
            raise self.error(f"{where}: {what} must be a mapping, got {type(value).__name__} {snippet(value)}")
        return value

    def as_list(self, value: Any, where: str, key: str) -> list:
        """A list (``None`` gives ``[]``)."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"{where}: {snippet(key)} must be a list, got {type(value).__name__}")
        return value

    def plain_str(self, value: Any, where: str, key: str) -> str:
        """A non-empty string."""
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{where}: {snippet(key)} must be a non-empty string, got {snippet(value)}")
        return value

    def require_str(self, entry: dict, key: str, where: str) -> str:
        """The non-empty string under a required key."""
        if key not in entry:
            raise self.error(f"{where}: missing required key {snippet(key)}")
        return self.plain_str(entry[key], where, key)

    def optional_str(self, entry: dict, key: str, where: str) -> str:
        """The string under an optional key (``""`` when absent or null)."""
        value = entry.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.error(f"{where}: {snippet(key)} must be a string, got {snippet(value)}")
        return value

    def optional_bool(self, entry: dict, key: str, where: str) -> bool:
        """``true``/``false`` under an optional key (default false)."""
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise self.error(f"{where}: {snippet(key)} must be true or false, got {snippet(value)}")
        return value

    def integer(self, value: Any, where: str, key: str) -> int:
        """An integer (not a boolean)."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{where}: code {snippet(value)} in {snippet(key)} must be an integer")
        return value

    def integers(self, value: Any, where: str, key: str) -> tuple[int, ...]:
        """A list of integers."""
        return tuple(self.integer(v, where, key) for v in self.as_list(value, where, key))

    def unique(self, values: Iterable[Any], where: str, what: str) -> None:
        """Refuse a repeated value (an id, a name)."""
        seen: set[Any] = set()
        for value in values:
            if value in seen:
                raise self.error(f"{where}: duplicate {what} {snippet(value)}; {what}s must be unique")
            seen.add(value)
