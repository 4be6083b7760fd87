"""Codebook schema: loading, includes, strict validation with one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cbss_analysis.errors import CodebookError
from cbss_analysis.survey.codebook import load_codebook, rule_variables
from tests.conftest import MINI_CODEBOOK


def _write(tmp_path: Path, text: str, name: str = "cb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _mutated(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(MINI_CODEBOOK.read_text())
    change(raw)
    return _write(tmp_path, yaml.safe_dump(raw, sort_keys=False))


def test_mini_codebook_loads(mini_codebook):
    assert mini_codebook.name == "mini"
    assert mini_codebook.synthetic is True
    sex = mini_codebook.variable("sex")
    assert sex.values == {1: "Boy", 2: "Girl"} and sex.is_labelled
    assert mini_codebook.variable("cbeenbullied").missing == (99,)
    assert mini_codebook.design.strata == ("countryno", "region") and mini_codebook.design.nest
    assert mini_codebook.indicator("ever_had_sex").population == {"agecat": (3,)}
    assert mini_codebook.indicator("smd_mean").kind == "mean"
    assert rule_variables(mini_codebook.indicator("smd_two")) == ("smd1", "smd2", "smd3")


def test_unknown_names_raise(mini_codebook):
    with pytest.raises(CodebookError, match="unknown variable 'nope'"):
        mini_codebook.variable("nope")
    with pytest.raises(CodebookError, match="unknown indicator 'nope'"):
        mini_codebook.indicator("nope")


def test_include_merges_and_records_files(tmp_path):
    child = _write(tmp_path, f"codebook: child\ninclude: [{MINI_CODEBOOK}]\nvariables:\n  - {{name: extra, label: Extra, type: numeric}}\n")
    codebook = load_codebook(child)
    assert "extra" in codebook.variables and "sex" in codebook.variables
    assert "cyberbullied" in codebook.indicators
    assert codebook.files == (child.resolve(), MINI_CODEBOOK.resolve())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["variables"][4].update(colour="red"), "unknown key 'colour' in variable"),
        (lambda r: r.update(extra=1), "unknown key 'extra' in top level"),
        (lambda r: r["variables"].append(dict(r["variables"][4])), "duplicate variable 'sex'"),
        (lambda r: r["indicators"].append(dict(r["indicators"][0])), "duplicate indicator 'cyberbullied'"),
        (lambda r: r["variables"][4].update(values={"one": "Boy"}), "code 'one' in 'values' must be an integer"),
        (lambda r: r["variables"][4].update(values={1: "Boy", 2: 3}), "label of code 2 must be a string"),
        (lambda r: r["variables"][4].update(type="text"), "unknown type 'text'"),
        (lambda r: r["indicators"][0].update(variables=["nothere"]), "names unknown variable 'nothere'"),
        (lambda r: r["indicators"][0].update(rule={"in": [1], "at_least": 2}), "'rule' must be exactly one of"),
        (lambda r: r["indicators"][0].update(rule={"python": "1+1"}), "'rule' must be exactly one of"),
        (lambda r: r["indicators"][3]["rule"]["count_at_least"].update(k=9), "k=9 must be between 1"),
        (lambda r: r["indicators"][2].update(population={"nothere": [1]}), "names unknown variable 'nothere'"),
        (lambda r: r["variables"][7].update(missing=[1]), "code 1 is both a value and a missing code"),
        (lambda r: r["variables"][6].update(range=[20, 10]), "'range' must be [min, max]"),
        (lambda r: r["design"].update(weight="w"), "design or state variable 'w' is not a variable"),
        (lambda r: r["variables"][8].update(values={1: "Yes"}), "binary variable needs exactly two codes"),
    ],
)
def test_invalid_codebooks_give_one_line_errors(tmp_path, change, message):
    path = _mutated(tmp_path, change)
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_yaml_is_never_evaluated(tmp_path):
    path = _write(tmp_path, "codebook: x\nvariables: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(path)


def test_unknown_codebook_name_lists_the_shipped_ones():
    with pytest.raises(CodebookError, match="unknown codebook 'nope'"):
        load_codebook("nope")


def test_include_cycle_is_an_error(tmp_path):
    _write(tmp_path, f"codebook: a\ninclude: [{tmp_path / 'b.yaml'}]\n", "a.yaml")
    _write(tmp_path, f"codebook: b\ninclude: [{tmp_path / 'a.yaml'}]\n", "b.yaml")
    with pytest.raises(CodebookError, match="include cycle"):
        load_codebook(tmp_path / "a.yaml")


def test_relative_include_is_taken_from_the_including_file(tmp_path, monkeypatch):
    folder = tmp_path / "books"
    folder.mkdir()
    _write(folder, MINI_CODEBOOK.read_text(), "base.yaml")
    _write(folder, "codebook: child\ninclude: [base.yaml, hbsc2018_oa]\n", "child.yaml")
    monkeypatch.chdir(tmp_path)
    codebook = load_codebook(folder / "child.yaml")
    assert "smd1" in codebook.variables and "emcsocmed1" in codebook.variables
