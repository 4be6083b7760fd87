"""cbss_analysis.common.checks: the argument checks every verb shares, one message template, the caller's error class."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cbss_analysis.common import checks
from cbss_analysis.errors import DataError, EstimationError, PlotError


def test_names_as_a_list_without_repeats() -> None:
    assert checks.names(None, "by", "mean") == []
    assert checks.names("state", "by", "mean") == ["state"]
    assert checks.names(["sex", "state", "sex"], "by", "mean") == ["sex", "state"]
    assert checks.names(("a", "b"), "variables", "mean") == ["a", "b"]
    assert checks.names([], "by", "mean") == []


@pytest.mark.parametrize("value", [3, ["state", 3], [None], {"state": 1}.values()])
def test_names_refuses_what_is_not_names(value) -> None:
    with pytest.raises(EstimationError, match=r"^mean: by=.* must be a column name or a list of names$"):
        checks.names(value, "by", "mean")
    with pytest.raises(PlotError):
        checks.names(value, "by", "gap_plot", PlotError)


@pytest.mark.parametrize("value", [0.95, 0.5, 0.999, np.float64(0.9), 1e-9])
def test_level_between_zero_and_one(value) -> None:
    assert checks.level(value, "mean") == float(value) and type(checks.level(value, "mean")) is float


@pytest.mark.parametrize("value", [0, 1, 1.0, 95, -0.5, math.nan, math.inf, True, "0.95", None])
def test_level_refused(value) -> None:
    with pytest.raises(EstimationError) as info:
        checks.level(value, "proportion")
    assert str(info.value).startswith("proportion: level=") and "between 0 and 1, e.g. 0.95" in str(info.value)


@pytest.mark.parametrize("value", [0, 1, 30, 10**6, np.int64(30), np.int32(5), np.uint8(7)])
def test_min_n_whole_numbers_including_numpy_integers(value) -> None:
    result = checks.min_n(value, "mean")
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize("value", [-1, np.int64(-1), 2.5, 30.0, np.float64(30), "30", None, True, False, np.bool_(True)])
def test_min_n_refused_including_booleans(value) -> None:
    with pytest.raises(DataError) as info:
        checks.min_n(value, "suppress", DataError)
    assert str(info.value).startswith("suppress: min_n=") and "whole number of respondents, at least 0" in str(info.value)


def test_report_min_n_floor_unless_small_cells_are_allowed() -> None:
    assert checks.MIN_N_FLOOR == 10 and checks.DEFAULT_MIN_N == 30
    assert checks.report_min_n(10, False, "parameter", DataError) == 10
    assert checks.report_min_n(np.int64(30), False, "parameter", DataError) == 30
    with pytest.raises(DataError, match="^parameter: min_n=9 is below the floor of 10 respondents; set allow_small_cells=True"):
        checks.report_min_n(9, False, "parameter", DataError)
    assert checks.report_min_n(9, True, "parameter", DataError) == 9
    assert checks.report_min_n(0, True, "parameter", DataError) == 0
    with pytest.raises(DataError, match=r"allow_small_cells='yes' must be true or false"):
        checks.report_min_n(30, "yes", "parameter", DataError)
    with pytest.raises(DataError, match="allow_small_cells=1 must be true or false"):
        checks.report_min_n(5, 1, "parameter", DataError)
    with pytest.raises(DataError, match="min_n=-1"):
        checks.report_min_n(-1, True, "parameter", DataError)


def test_column_exists_or_the_closest_name_is_suggested() -> None:
    columns = ["state", "sex", "agecat", "stype"]
    assert checks.column("sex", columns, "mean") == "sex"
    with pytest.raises(EstimationError) as info:
        checks.column("stat", columns, "mean")
    assert str(info.value) == ("mean: by='stat' is not a column of the survey; did you mean 'state'? "
                               "(list them with survey.data.columns)")
    with pytest.raises(EstimationError, match="did you mean 'agecat'"):
        checks.column("AGECAT", columns, "mean")
    with pytest.raises(PlotError) as info:
        checks.column("zzz", columns, "gap_plot", argument="split", error=PlotError, where_listed="table.columns")
    assert str(info.value) == "gap_plot: split='zzz' is not a column of the survey (list them with table.columns)"
    with pytest.raises(EstimationError, match=r"^mean: by=3 is not a column of the survey \(list"):
        checks.column(3, columns, "mean")


def test_closest_and_suggestion() -> None:
    candidates = ["cyberbullied", "bullied_often", "cyberbullied_often", "age"]
    assert checks.closest("cyberbulied", candidates) == ["cyberbullied", "cyberbullied_often"], "best first, close ones only"
    assert checks.closest("cyberbulied", candidates, count=1) == ["cyberbullied"]
    assert checks.closest("Sex", ["sex", "age"]) == ["sex"], "case-insensitive, the candidate's own spelling"
    assert checks.suggestion("xyz", ["state"]) == ""
    assert checks.suggestion("sate", ["state"]) == "; did you mean 'state'?"


def test_problem_quotes_the_value_on_one_short_line() -> None:
    message = checks.problem("mean", "by", "a\nb" + "x" * 200, "is bad")
    assert message.startswith("mean: by='a bxxx") and message.endswith("... is bad") and "\n" not in message
