"""cbss_analysis.models.fitting: one domain's fit, aliased terms, separation, no data."""

from __future__ import annotations

import numpy as np
import pytest

from cbss_analysis import models
from cbss_analysis.errors import EstimationError
from tests.models.cases import CASES, RTOL, survey_of


def test_aliased_term_has_no_estimate_and_others_are_unchanged() -> None:
    case = next(c for c in CASES if c["id"] == "apiclus1_linear")
    survey = survey_of(case)
    survey.data["ell2"] = 2.0 * survey.data["ell"]
    with pytest.warns(models.ModelWarning, match="aliased"):
        table = models.linear(survey, "api00 ~ ell + meals + ell2 + C(stype)")
    assert np.isnan(table.loc[table["term"] == "ell2", "estimate"]).all()
    kept = table[table["term"] != "ell2"]
    np.testing.assert_allclose(kept["estimate"], case["coef"], rtol=RTOL)
    np.testing.assert_allclose(kept["se"], case["se"], rtol=RTOL)
    assert (kept["df"] == case["df"]).all()


def test_separation_is_flagged_not_estimated() -> None:
    case = next(c for c in CASES if c["id"] == "apistrat_logistic")
    survey = survey_of(case)
    survey.data["high"] = (survey.data["api00"] > 700).astype(float)
    with pytest.warns(models.ModelWarning, match="separation"):
        table = models.logistic(survey, "high ~ api00")
    assert table["estimate"].isna().all()
    assert table["warning"].str.startswith("separation").all()


def test_no_complete_respondent_is_an_error() -> None:
    survey = survey_of(CASES[0])
    survey.data["empty"] = np.nan
    with pytest.raises(EstimationError, match="no respondent"):
        models.linear(survey, "api00 ~ empty")
