"""cbss_analysis.survey.decoding: codes to labelled categoricals, missing codes to NA, countryno to state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import Survey
from cbss_analysis.errors import DataError
from cbss_analysis.survey import design_from_codebook
from cbss_analysis.survey.decoding import STATE_COLUMN, decode_frame, decode_variable, missing_variables, state_column


def test_unknown_code_is_a_data_error(mini_frame, mini_codebook):
    with pytest.raises(DataError, match=r"'sex' has code\(s\) not in the codebook: 3 \(1 rows\)"):
        Survey(mini_frame.assign(sex=mini_frame["sex"].where(mini_frame.index != 0, 3)), design_from_codebook(mini_codebook), mini_codebook)


def test_survey_names_the_first_problem_and_counts_the_others(mini_frame, mini_codebook):
    frame = mini_frame.assign(sex=mini_frame["sex"].where(mini_frame.index != 0, 3), age=45)
    with pytest.raises(DataError, match=r"not in the codebook: 3 \(1 rows\) \(and 1 more problem\(s\): run 'cbss-analysis validate'\)"):
        Survey(frame, design_from_codebook(mini_codebook), mini_codebook)


def test_labelled_variables_become_categoricals_in_code_order(mini_codebook):
    agecat = mini_codebook.variable("agecat")
    decoded, problems = decode_variable(pd.Series([3, 1, 2, np.nan]), agecat, "f.csv")
    assert problems == []
    assert list(decoded.cat.categories) == ["11-year-olds", "13-year-olds", "15-year-olds"] and decoded.cat.ordered
    assert decoded.tolist()[:3] == ["15-year-olds", "11-year-olds", "13-year-olds"] and pd.isna(decoded[3])
    sex, _ = decode_variable(pd.Series([2.0, 1.0]), mini_codebook.variable("sex"), "f.csv")
    assert not sex.cat.ordered and sex.tolist() == ["Girl", "Boy"]


def test_missing_codes_become_na_and_unknown_codes_are_counted(mini_codebook):
    column = pd.Series([1, 99, 7, 7, 5, 99], name="cbeenbullied")
    decoded, problems = decode_variable(column, mini_codebook.variable("cbeenbullied"), "f.csv")
    assert decoded.isna().tolist() == [False, True, True, True, False, True]
    assert [(p.kind, p.variable) for p in problems] == [("unknown_code", "cbeenbullied")]
    assert problems[0].message == "f.csv: variable 'cbeenbullied' has code(s) not in the codebook: 7 (2 rows)"


def test_numeric_range_and_text_values(mini_codebook):
    age = mini_codebook.variable("age")
    decoded, problems = decode_variable(pd.Series(["13", "45", None]), age, "f.csv")
    assert decoded.dtype == np.float64 and decoded.tolist()[0] == 13.0 and decoded.isna().tolist() == [False, True, True]
    assert problems[0].kind == "out_of_range" and "outside its range [10, 17]: 45 (1 rows)" in problems[0].message
    text, problems = decode_variable(pd.Series(["13", "thirteen"]), age, "f.csv")
    assert [p.kind for p in problems] == ["not_numeric"] and "non-numeric value 'thirteen'" in problems[0].message
    assert text.tolist() == ["13", "thirteen"], "a column that cannot be decoded is returned as it was"
    already = pd.Series(pd.Categorical(["Boy"]))  # labels (a Parquet dictionary column): mapped through the codebook
    decoded, problems = decode_variable(already, mini_codebook.variable("sex"), "f.csv")
    assert problems == [] and decoded.tolist() == ["Boy"] and list(decoded.cat.categories) == ["Boy", "Girl"]
    full = pd.Series(pd.Categorical(["Girl"], categories=["Boy", "Girl"]))  # already decoded: kept as it is
    assert decode_variable(full, mini_codebook.variable("sex"), "f.csv")[0] is full


def test_state_column_from_countryno(mini_codebook):
    states, problems = state_column(pd.Series([233000, 246000, np.nan], name="countryno"), mini_codebook, "f.csv")
    assert problems[0].kind == "missing_state" and "missing in 1 row(s)" in problems[0].message
    assert states.name == STATE_COLUMN and states.cat.ordered
    assert states.tolist()[:2] == ["EE", "FI"] and pd.isna(states[2])
    assert list(states.cat.categories) == ["DK", "FI", "IS", "NO", "SE", "EE", "LV", "LT", "DE", "PL", "RU"]
    _, problems = state_column(pd.Series(["Estonia"], name="countryno"), mini_codebook, "f.csv")
    assert [p.kind for p in problems] == ["not_numeric"]


def test_decode_frame_keeps_other_columns_and_reports_absent_variables(mini_frame, mini_codebook):
    raw = mini_frame.drop(columns="hadsex").assign(extra="kept")
    decoded, problems = decode_frame(raw, mini_codebook, "f.csv")
    assert problems == []
    assert list(decoded.columns) == [*raw.columns, STATE_COLUMN]
    assert (decoded["extra"] == "kept").all() and decoded["countryno"].dtype == np.float64
    absent = missing_variables(raw, mini_codebook, "f.csv")
    assert [(p.kind, p.variable) for p in absent] == [("missing_variable", "hadsex")]
    assert absent[0].message == "f.csv: variable 'hadsex' of codebook 'mini' is not in the file"
    with_state = raw.assign(state="given")
    assert (decode_frame(with_state, mini_codebook, "f.csv")[0]["state"] == "given").all(), "an existing state column is kept"
