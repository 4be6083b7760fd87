"""cbss_analysis.common.text: the first line of a message, bounded snippets of values, no control characters."""

from __future__ import annotations

import pytest

from cbss_analysis.common.text import FIRST_LINE_CHARS, SNIPPET_CHARS, exception_line, first_line, snippet, strip_control

ANSI_RED = "\x1b[31m"
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def test_first_line_skips_blank_lines_and_is_bounded() -> None:
    assert first_line("\n  \n  Traceback line one  \nline two") == "Traceback line one"
    assert first_line("") == "" and first_line("\n \n") == ""
    assert first_line(ValueError("bad value\nmore")) == "bad value"
    assert len(first_line("x" * 1000)) == FIRST_LINE_CHARS == 300
    assert first_line("abcdef", limit=3) == "abc"
    assert first_line(f"{ANSI_RED}red\x07 text") == "red text"


def test_snippet_quotes_strings_and_reprs_other_values() -> None:
    assert snippet("abc") == "'abc'"
    assert snippet(3) == "3" and snippet(None) == "None" and snippet([1, "a"]) == "[1, 'a']"


def test_snippet_truncates_at_80_characters() -> None:
    assert SNIPPET_CHARS == 80
    assert len(snippet("x" * 78)) == 80 and not snippet("x" * 78).endswith("...")
    long = snippet("x" * 79)
    assert len(long) == 80 and long.endswith("...") and long.startswith("'xxx")
    assert len(snippet(list(range(1000)))) == 80
    assert snippet("x" * 100, limit=10) == "'xxxxxx..."


@pytest.mark.parametrize("control", ["\x1b", "\x00", "\x07", "\x08", "\x7f", "\x9b", "\r", "\u2028", "\u2029", *BIDI])
def test_snippet_strips_control_characters(control: str) -> None:
    out = snippet(f"ab{control}cd")
    assert control not in out and out in ("'abcd'", "'ab cd'")


def test_ansi_escapes_and_bidi_overrides_cannot_reach_a_terminal() -> None:
    value = f"{ANSI_RED}evil\x1b]0;title\x07\u202egnp.exe\nsecond line"
    out = snippet(value)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\n" not in out
    assert "evil" in out and "second line" in out
    assert "\x1b" not in snippet([value]) and "\n" not in snippet({"k": value})


def test_strip_control_turns_line_breaks_into_spaces() -> None:
    assert strip_control("a\nb\r\nc\td") == "a b c d"
    assert strip_control(12) == "12"
    assert strip_control("Æblegrød — “quoted” €") == "Æblegrød — “quoted” €", "printable text is kept"


def test_exception_line() -> None:
    assert exception_line(ValueError("first\nsecond")) == "first"
    assert exception_line(KeyboardInterrupt()) == "KeyboardInterrupt"


def test_strip_control_removes_whole_terminal_escape_sequences():
    assert strip_control("a\x1b[31mred\x1b[0m b \x1b]0;window title\x07c \x1b]8;;http://x\x1b\\link") == "ared b c link"
