"""cbss_analysis.common.safe_yaml: plain data only, bounded, duplicate keys refused, one-line errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cbss_analysis.common import safe_yaml
from cbss_analysis.common.safe_yaml import MAX_BYTES, MAX_DEPTH, MAX_NODES, load_yaml, read_yaml_file
from cbss_analysis.errors import CodebookError, ReportError

TAGS = ["!!binary", "!!set", "!!omap", "!!python/object:builtins.dict", "!!python/object/apply:os.system",
        "!!python/name:os.system", "!!timestamp", "!!str", "!mine", "!<tag:yaml.org,2002:str>"]
NODES = {
    "scalar": "x: {tag} aGVsbG8=\n",
    "sequence": "x: {tag} [1, 2]\n",
    "mapping": "x:\n  y: {tag} {{a: 1}}\n",
}


def load(text: str | bytes):
    return load_yaml(text, "where.yaml", CodebookError)


def error_of(text: str | bytes, error: type = CodebookError) -> str:
    with pytest.raises(error) as info:
        load_yaml(text, "where.yaml", error)
    message = str(info.value)
    assert "\n" not in message, "one line"
    return message


@pytest.mark.parametrize("node", list(NODES))
@pytest.mark.parametrize("tag", TAGS)
def test_every_explicit_tag_is_refused(tag: str, node: str) -> None:
    text = NODES[node].format(tag=tag)
    line = 2 if node == "mapping" else 1
    message = error_of(text)
    assert message.startswith(f"where.yaml: not valid YAML at line {line}: explicit tag ")
    assert message.endswith("is not allowed (plain values only)")


def test_plain_data_loads() -> None:
    assert load("a: [1, 2.5, x, null, ~]\nb: {c: 'quoted'}\n") == {"a": [1, 2.5, "x", None, None], "b": {"c": "quoted"}}
    assert load("") is None and load(b"a: 1\n") == {"a": 1}


def test_yaml_1_2_booleans_only_true_and_false() -> None:
    assert load("[NO, no, No, yes, Yes, on, off, y, n]") == ["NO", "no", "No", "yes", "Yes", "on", "off", "y", "n"]
    assert load("[true, false, True, FALSE]") == [True, False, True, False]
    assert load("states: [DK, NO, SE]\n") == {"states": ["DK", "NO", "SE"]}, "Norway is not false"


def test_dates_stay_strings() -> None:
    assert load("[2018-01-01, 2018-01-01T10:00:00, 2001-12-14 21:59:43.10 -5]") == [
        "2018-01-01", "2018-01-01T10:00:00", "2001-12-14 21:59:43.10 -5"]


def test_an_alias_bomb_fails_at_once() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)]
    bomb = "\n".join(lines) + "\n"
    assert len(bomb) < 500
    started = time.perf_counter()
    message = error_of(bomb)
    assert time.perf_counter() - started < 1.0
    assert f"more than {MAX_NODES:,} nodes once aliases are expanded (an alias bomb?)" in message
    assert load("a: &a [1, 2]\nb: *a\n") == {"a": [1, 2], "b": [1, 2]}, "a few aliases are fine"


def test_an_alias_must_refer_to_a_complete_anchor() -> None:
    assert "alias *'x' refers to no complete anchor" in error_of("a: &x [*x]\n")
    assert "alias" in error_of("a: *nowhere\n")


def test_nesting_depth_is_bounded() -> None:
    assert load("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert error_of(deep) == f"where.yaml: not valid YAML at line 1: nested deeper than {MAX_DEPTH} levels"
    mappings = "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_DEPTH + 1)) + "  " * (MAX_DEPTH + 1) + "v\n"
    assert f"nested deeper than {MAX_DEPTH} levels" in error_of(mappings)


def test_duplicate_keys_are_refused_with_their_line() -> None:
    assert error_of("a: 1\nb: 2\na: 3\n") == "where.yaml: not valid YAML at line 3: duplicate key 'a'"
    assert "line 3: duplicate key 'c'" in error_of("x:\n  c: 1\n  c: 2\n")
    assert load("x: {c: 1}\ny: {c: 2}\n") == {"x": {"c": 1}, "y": {"c": 2}}, "the same key in two mappings is fine"


def test_merge_keys_are_refused() -> None:
    message = error_of("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n")
    assert message == "where.yaml: not valid YAML at line 3: merge keys ('<<') are not allowed"


def test_keys_must_be_plain_values() -> None:
    assert "a mapping key must be a plain value, not list" in error_of("? [1, 2]\n: x\n")


def test_syntax_errors_are_one_line_with_where_and_line() -> None:
    message = error_of("a: 1\nb: [\n", ReportError)
    assert message.startswith("where.yaml: not valid YAML at line 3: ")
    assert error_of(b"\xff\xfe a: 1") == "where.yaml: not UTF-8 text"


def test_oversize_text_is_refused_before_parsing() -> None:
    text = "#" * (MAX_BYTES + 1)
    assert error_of(text) == f"where.yaml: {MAX_BYTES + 1:,} characters of YAML; at most {MAX_BYTES:,} are read"
    assert load("#" * MAX_BYTES) is None


def test_read_yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("a: 1\n")
    assert read_yaml_file(path, ReportError) == {"a": 1}
    with pytest.raises(ReportError, match=r"^shown\.yaml: not valid YAML at line 2: duplicate key 'a'$"):
        path.write_text("a: 1\na: 2\n")
        read_yaml_file(path, ReportError, display="shown.yaml")
    with pytest.raises(ReportError, match=r"missing\.yaml: report plan not found; pass --plan FILE$"):
        read_yaml_file(tmp_path / "missing.yaml", ReportError, what="report plan", if_missing="pass --plan FILE")
    with pytest.raises(CodebookError, match="is a folder, not a codebook"):
        read_yaml_file(tmp_path, CodebookError, what="codebook")
    monkeypatch.setattr(safe_yaml, "MAX_BYTES", 4)
    with pytest.raises(ReportError, match=r"plan\.yaml: 8 bytes; a file of at most 4 bytes is read"):
        path.write_text("a: 1234\n")
        read_yaml_file(path, ReportError)
