"""Calibrated Taylor surveys are refused by the verbs whose linearisation does not carry the calibration residuals,
instead of giving an uncalibrated variance silently; ``interval="replicates"`` needs replicate weights."""

from __future__ import annotations

import pandas as pd
import pytest

from cbss_analysis import estimate, models
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey


@pytest.fixture(scope="module")
def calibrated(clus1: Survey) -> Survey:
    survey = clus1.post_stratify("stype", {"E": 4421, "H": 755, "M": 1018})
    survey.data["band"] = pd.Categorical(pd.cut(survey.data["api00"], [0, 600, 700, 1000], labels=["low", "mid", "high"]))
    return survey


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda s: estimate.crosstab(s, "stype", "band"), "crosstab"),
        (lambda s: estimate.chisq(s, "stype", "band"), "chisq"),
        (lambda s: estimate.quantile(s, "api00"), "quantile"),
        (lambda s: estimate.ttest(s, "api00", "sch_wide"), "ttest"),
        (lambda s: models.logistic(s, "sch_wide01 ~ api00"), "logistic"),
        (lambda s: models.ordinal(s, "band ~ enroll"), "ordinal"),
    ],
)
def test_verbs_refuse_calibrated_taylor_surveys(calibrated: Survey, call, name: str) -> None:
    with pytest.raises(EstimationError, match=f"^{name}: calibrated Taylor designs are not supported; calibrate a replicate"):
        call(calibrated)


def test_replicate_intervals_need_a_replicate_design(clus1: Survey) -> None:
    with pytest.raises(EstimationError, match="interval='replicates' needs a replicate-weight design"):
        estimate.quantile(clus1, "api00", interval="replicates")


def test_verbs_run_on_a_replicate_survey(clus1: Survey) -> None:
    survey = clus1.to_replicate("JK1")
    survey.data["band"] = pd.Categorical(pd.cut(survey.data["api00"], [0, 600, 700, 1000], labels=["low", "mid", "high"]))
    assert estimate.crosstab(survey, "stype", "band", min_n=0)["count_se"].gt(0).any()
    assert estimate.chisq(survey, "stype", "band")["p_value"].between(0, 1).all()
    assert models.ordinal(survey, "band ~ enroll", min_n=0)["se"].gt(0).all()
