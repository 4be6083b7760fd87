"""Short, safe text from anything: the first line of a message, a bounded snippet of a value.

Error messages quote values that come from other people's files (a code, a label, a path). They
quote them through :func:`snippet`, so that a message is always one line, never longer than a
screen line, and never carries terminal control characters.
"""

from __future__ import annotations

import re
from typing import Any

SNIPPET_CHARS = 80
"""The longest quotation of a value in a message."""
FIRST_LINE_CHARS = 300
"""The longest first line kept of an error message."""

_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
"""Terminal escape sequences: CSI (colours, cursor moves), OSC (titles, links) and two-character escapes."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def strip_control(text: str) -> str:
    """``text`` with control characters (terminal escapes, bidirectional overrides) removed; newlines become spaces."""
    text = _ESCAPE.sub("", str(text))
    return _CONTROL.sub("", text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def first_line(text: Any, limit: int = FIRST_LINE_CHARS) -> str:
    """The first non-empty line of ``text``, without control characters, at most ``limit`` characters."""
    for line in str(text).splitlines():
        if line.strip():
            return strip_control(line.strip())[:limit]
    return ""


def snippet(value: Any, limit: int = SNIPPET_CHARS) -> str:
    """``repr``-like quotation of a value for a message: one line, control characters removed, truncated.

    Strings are quoted (``'abc'``); other values use their ``repr``. A longer quotation ends in ``...``
    and is at most ``limit`` characters long.
    """
    text = repr(value) if not isinstance(value, str) else repr(strip_control(value))
    text = strip_control(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def exception_line(exc: BaseException) -> str:
    """``first_line`` of an exception's message, or its class name when it has none."""
    return first_line(exc) or type(exc).__name__
