"""cbss_analysis.models.formula: formulas name survey columns and indicator ids; codes() enters an item by its codes."""

from __future__ import annotations

import numpy as np
import pytest

from cbss_analysis import models
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey, design_from_codebook
from tests.models.cases import CASES, survey_of


def test_unknown_variable_is_named() -> None:
    survey = survey_of(CASES[0])
    with pytest.raises(EstimationError, match="'elll'"):
        models.logistic(survey, "sch_wide ~ elll + meals")


def test_logistic_outcome_must_be_binary() -> None:
    survey = survey_of(CASES[0])
    with pytest.raises(EstimationError, match="'api00'.*0/1"):
        models.logistic(survey, "api00 ~ ell")


def test_categorical_outcome_is_refused() -> None:
    survey = survey_of(CASES[0])
    with pytest.raises(EstimationError, match="'stype' is categorical"):
        models.linear(survey, "stype ~ ell")


@pytest.mark.parametrize("formula", ["sch_wide + ell", "~ ell", "sch_wide ~ ell +", "sch_wide + api00 ~ ell"])
def test_malformed_formula(formula: str) -> None:
    with pytest.raises(EstimationError, match="formula"):
        models.logistic(survey_of(CASES[0]), formula)


def test_codes_enters_a_labelled_item_as_a_number(mini_codebook, mini_frame) -> None:
    survey = Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    table = models.logistic(survey, "cyberbullied ~ codes(agecat) + C(sex)", min_n=1)
    survey.data["agecat_code"] = survey.codes("agecat")
    plain = models.logistic(survey, "cyberbullied ~ agecat_code + C(sex)", min_n=1)
    assert list(table["term"]) == ["Intercept", "codes(agecat)", "C(sex)[T.Girl]"]
    np.testing.assert_allclose(table["estimate"], plain["estimate"], rtol=1e-12)
    np.testing.assert_allclose(table["se"], plain["se"], rtol=1e-12)
    with pytest.raises(EstimationError, match="not a labelled variable"):
        models.logistic(survey, "cyberbullied ~ codes(age)")
