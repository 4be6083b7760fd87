"""cbss_analysis.survey.indicators: the codebook's declarative rules on survey codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import Design, Survey
from cbss_analysis.survey.codebook import Indicator
from cbss_analysis.survey.indicators import evaluate


def test_indicators_follow_their_rules(mini_survey, mini_frame):
    raw = mini_frame["cbeenbullied"].where(mini_frame["cbeenbullied"] != 99)
    cyber = mini_survey.indicator("cyberbullied")
    assert cyber.isna().equals(raw.isna())
    assert (cyber[raw.notna()] == raw[raw.notna()].isin([2, 3, 4, 5]).astype(float)).all()
    often = mini_survey.indicator("bullied_often")
    assert (often[raw.notna()] == (raw[raw.notna()] >= 3).astype(float)).all()
    sex15 = mini_survey.indicator("ever_had_sex")
    assert sex15[mini_frame["agecat"] != 3].isna().all()
    assert sex15.notna().any()


def test_count_at_least_never_counts_non_response_as_no(mini_frame, mini_codebook):
    frame = mini_frame.iloc[:4].copy()
    frame[["smd1", "smd2", "smd3"]] = [[2, 2, 99], [1, 1, 99], [2, 1, 99], [1, 1, 1]]
    frame["countryno"], frame["cluster"], frame["region"] = 233000, [1, 1, 2, 2], 1
    survey = Survey(frame, Design("weight"), mini_codebook)
    result = survey.indicator("smd_two").tolist()
    assert result[:2] == [1.0, 0.0] and np.isnan(result[2]) and result[3] == 0.0
    assert survey.indicator("smd_mean").tolist() == [2.0, 1.0, 1.5, 1.0]


CODES = {
    "a": pd.Series([1.0, 2.0, 3.0, np.nan, 5.0]),
    "b": pd.Series([1.0, np.nan, np.nan, 4.0, 2.0]),
    "c": pd.Series([np.nan, np.nan, 3.0, 4.0, 1.0]),
    "age": pd.Series([3.0, 3.0, 1.0, 3.0, np.nan]),
}


def _evaluate(rule: dict, variables=("a",), population=None) -> list[float]:
    indicator = Indicator("x", "X", tuple(variables), rule, population or {})
    result = evaluate(indicator, CODES.__getitem__)
    assert result.name == "x"
    return result.tolist()


def _same(actual: list[float], expected: list[float]) -> bool:
    return np.array_equal(np.array(actual), np.array(expected), equal_nan=True)


@pytest.mark.parametrize(
    ("rule", "variables", "expected"),
    [
        ({"in": [2, 5]}, ("a",), [0.0, 1.0, 0.0, np.nan, 1.0]),
        ({"at_least": 3}, ("a",), [0.0, 0.0, 1.0, np.nan, 1.0]),
        # 1 when two items hit; 0 when even the unanswered items could not make two; NaN otherwise
        ({"count_at_least": {"items": ("a", "b", "c"), "codes": (1, 4), "k": 2}}, ("a", "b", "c"), [1.0, np.nan, 0.0, 1.0, 0.0]),
        # mean of the answered items, NaN when fewer than half are answered
        ({"mean_of": ("a", "b", "c")}, ("a", "b", "c"), [1.0, np.nan, 3.0, 4.0, 8 / 3]),
    ],
)
def test_each_rule_kind(rule: dict, variables: tuple, expected: list[float]) -> None:
    assert _same(_evaluate(rule, variables), expected)


def test_population_restricts_to_those_asked() -> None:
    result = _evaluate({"in": [2, 5]}, population={"age": (3,)})
    assert _same(result, [0.0, 1.0, np.nan, np.nan, np.nan]), "outside the population, or population code missing: NaN"
