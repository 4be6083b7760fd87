"""cbss_analysis.survey.validation: every problem of a survey file, listed (what `cbss-analysis validate` prints)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbss_analysis.errors import CodebookError
from cbss_analysis.survey.validation import validate_file
from tests.conftest import BAD_INPUTS, MINI_CODEBOOK


def test_a_valid_file_has_no_problems(mini_codebook) -> None:
    assert validate_file(BAD_INPUTS / "valid.csv", mini_codebook) == []
    assert validate_file(str(BAD_INPUTS / "valid.csv"), str(MINI_CODEBOOK)) == []


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path, mini_frame, mini_codebook) -> None:
    frame = mini_frame.drop(columns="hadsex")
    frame.loc[0, "sex"] = 3
    frame.loc[1, "age"] = 45
    frame.loc[2, "cbeenbullied"] = 7
    path = tmp_path / "many.csv"
    frame.to_csv(path, index=False)
    problems = validate_file(path, mini_codebook)
    assert [(p.kind, p.variable) for p in problems] == [
        ("missing_variable", "hadsex"), ("unknown_code", "sex"), ("out_of_range", "age"), ("unknown_code", "cbeenbullied"),
    ]
    assert all(p.message.startswith(f"{path}: ") and "\n" not in p.message for p in problems)


def test_design_problems_are_checked_after_the_codes(tmp_path: Path, mini_frame, mini_codebook) -> None:
    path = tmp_path / "weights.csv"
    mini_frame.assign(weight=mini_frame["weight"].where(mini_frame.index != 5, -1.0)).to_csv(path, index=False)
    (problem,) = validate_file(path, mini_codebook)
    assert problem.kind == "design" and "weight 'weight' is negative in 1 row(s) (first at row 5)" in problem.message
    missing = tmp_path / "no_weight.csv"
    mini_frame.drop(columns="weight").to_csv(missing, index=False)
    assert [p.kind for p in validate_file(missing, mini_codebook)] == ["missing_variable"], (
        "a missing design variable is reported once, not again as a design error")


def test_an_unreadable_file_is_one_problem_and_a_bad_codebook_raises(tmp_path: Path, mini_codebook) -> None:
    (problem,) = validate_file(BAD_INPUTS / "truncated.sav", mini_codebook)
    assert problem.kind == "unreadable" and "truncated.sav: cannot read the file" in problem.message
    with pytest.raises(CodebookError, match="unknown key 'lable' in variable"):
        validate_file(BAD_INPUTS / "valid.csv", BAD_INPUTS / "unknown_key.yaml")
