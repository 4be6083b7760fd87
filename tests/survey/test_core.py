"""cbss_analysis.survey.core: the Survey (data, design and codebook together), its codes, values and indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import Survey
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Design, design_from_codebook


def test_decoding_keeps_codes_recoverable(mini_survey, mini_frame):
    codes = mini_survey.codes("cbeenbullied")
    expected = mini_frame["cbeenbullied"].where(mini_frame["cbeenbullied"] != 99).astype(float)
    pd.testing.assert_series_equal(codes, expected, check_names=False)


def test_caller_frame_is_not_modified(mini_frame, mini_codebook):
    before = mini_frame.copy()
    Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    pd.testing.assert_frame_equal(mini_frame, before)


def test_values_and_errors(mini_survey):
    assert mini_survey.values("age").dtype == np.float64
    assert mini_survey.has("cyberbullied") and not mini_survey.has("nothing")
    with pytest.raises(EstimationError, match="'sex' is categorical"):
        mini_survey.values("sex")
    with pytest.raises(EstimationError, match="no variable or indicator 'nothing'"):
        mini_survey.values("nothing")


def test_indicator_needing_an_absent_variable(mini_frame, mini_codebook):
    survey = Survey(mini_frame.drop(columns="hadsex"), design_from_codebook(mini_codebook), mini_codebook)
    assert "ever_had_sex" not in survey.indicator_ids
    with pytest.raises(EstimationError, match="needs variable 'hadsex', which the survey lacks"):
        survey.indicator("ever_had_sex")


def test_repr_shows_no_respondent_rows(mini_survey):
    text = repr(mini_survey)
    assert text.startswith("<Survey: 240 respondents, 2 states") and "SYNTHETIC DATA" in text


def test_codes_without_a_codebook_number_the_categories_from_one():
    frame = pd.DataFrame({"w": 1.0, "grade": pd.Categorical(["b", None, "a", "c"], categories=["c", "b", "a"])})
    survey = Survey(frame, Design("w"))
    assert survey.codes("grade").tolist()[:1] == [2.0] and np.isnan(survey.codes("grade")[1])
    assert survey.codes("grade").tolist()[2:] == [3.0, 1.0]
    with pytest.raises(EstimationError, match="no variable 'nope'"):
        survey.codes("nope")
    assert survey.indicator_ids == [] and len(survey) == 4 and survey.synthetic is False


def test_indicator_values_are_copies_and_unknown_indicators_are_named(mini_survey):
    first = mini_survey.indicator("cyberbullied")
    first[:] = 7.0
    assert not (mini_survey.indicator("cyberbullied") == 7.0).any(), "the cached indicator cannot be changed by a caller"
    assert mini_survey.values("cyberbullied").equals(mini_survey.indicator("cyberbullied"))
    with pytest.raises(EstimationError, match="no indicator 'nope' in the survey"):
        mini_survey.indicator("nope")


def test_synthetic_flag_follows_the_codebook_unless_given(mini_frame, mini_codebook):
    design = design_from_codebook(mini_codebook)
    assert Survey(mini_frame, design, mini_codebook).synthetic is True
    assert Survey(mini_frame, design, mini_codebook, synthetic=False).synthetic is False
    assert Survey(mini_frame, design).synthetic is False
    assert "SYNTHETIC DATA" not in repr(Survey(mini_frame, design, mini_codebook, synthetic=False))
