"""cbss_analysis.survey.schema: the entry checks shared by the YAML files the package reads."""

from __future__ import annotations

import pytest

from cbss_analysis.errors import CodebookError, StrategyError
from cbss_analysis.survey.schema import Fields

F = Fields(CodebookError)


def test_errors_are_the_bound_class() -> None:
    with pytest.raises(StrategyError):
        Fields(StrategyError).plain_str("", "s.yaml", "title")
    with pytest.raises(CodebookError):
        F.plain_str("", "c.yaml", "title")


def test_keys_refuses_unknown_and_missing_ones() -> None:
    F.keys({"a": 1, "b": 2}, {"a", "b", "c"}, "f.yaml", "variable", required=["a"])
    with pytest.raises(CodebookError, match=r"^f\.yaml: unknown key 'colour' in variable; allowed: a, b$"):
        F.keys({"a": 1, "colour": "red"}, ["b", "a"], "f.yaml", "variable")
    with pytest.raises(CodebookError, match=r"^f\.yaml: missing key 'b'$"):
        F.keys({"a": 1}, ["a", "b"], "f.yaml", "variable", required=["a", "b"])


def test_strings() -> None:
    assert F.plain_str("x", "f", "k") == "x"
    for bad in ("", "   ", None, 3, ["x"]):
        with pytest.raises(CodebookError, match="'k' must be a non-empty string"):
            F.plain_str(bad, "f", "k")
    assert F.require_str({"k": "v"}, "k", "f") == "v"
    with pytest.raises(CodebookError, match="^f: missing required key 'k'$"):
        F.require_str({}, "k", "f")
    assert F.optional_str({}, "k", "f") == "" and F.optional_str({"k": None}, "k", "f") == ""
    assert F.optional_str({"k": "text"}, "k", "f") == "text"
    with pytest.raises(CodebookError, match="'k' must be a string, got 3"):
        F.optional_str({"k": 3}, "k", "f")


def test_booleans_lists_and_mappings() -> None:
    assert F.optional_bool({}, "k", "f") is False and F.optional_bool({"k": True}, "k", "f") is True
    for bad in ("yes", 1, None):
        with pytest.raises(CodebookError, match="'k' must be true or false"):
            F.optional_bool({"k": bad}, "k", "f")
    assert F.as_list(None, "f", "k") == [] and F.as_list([1], "f", "k") == [1]
    with pytest.raises(CodebookError, match="'k' must be a list, got str"):
        F.as_list("x", "f", "k")
    assert F.mapping({"a": 1}, "f", "a variable") == {"a": 1}
    with pytest.raises(CodebookError, match="^f: a variable must be a mapping, got list \\[1\\]$"):
        F.mapping([1], "f", "a variable")


def test_integer_codes_exclude_booleans() -> None:
    assert F.integer(3, "f", "values") == 3 and F.integers([1, 2], "f", "missing") == (1, 2) and F.integers(None, "f", "m") == ()
    for bad in (True, 1.0, "1"):
        with pytest.raises(CodebookError, match="in 'values' must be an integer"):
            F.integer(bad, "f", "values")


def test_unique_names_the_repeated_value() -> None:
    F.unique(["a", "b"], "f", "variable")
    with pytest.raises(CodebookError, match="^f: duplicate variable 'a'; variables must be unique$"):
        F.unique(["a", "b", "a"], "f", "variable")


def test_quoted_values_are_one_short_line() -> None:
    with pytest.raises(CodebookError) as info:
        F.integer("\x1b[2J\u202eline one\nline two" + "x" * 200, "f", "values")
    message = str(info.value)
    assert message.startswith("f: code 'line one line two") and "..." in message
    assert "\x1b" not in message and "\u202e" not in message and "\n" not in message and len(message) < 120
