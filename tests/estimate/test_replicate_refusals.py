"""Verbs without a replicate form refuse replicate surveys instead of giving a Taylor variance silently."""

from __future__ import annotations

import pandas as pd
import pytest

from cbss_analysis import estimate, models
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey


@pytest.fixture(scope="module")
def replicated(clus1: Survey) -> Survey:
    survey = clus1.to_replicate("JK1")
    survey.data["band"] = pd.Categorical(pd.cut(survey.data["api00"], [0, 600, 700, 1000], labels=["low", "mid", "high"]))
    return survey


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda s: estimate.crosstab(s, "stype", "band"), "crosstab"),
        (lambda s: estimate.chisq(s, "stype", "band"), "chisq"),
        (lambda s: estimate.quantile(s, "api00"), "quantile"),
        (lambda s: models.logistic(s, "sch_wide01 ~ api00"), "logistic"),
        (lambda s: models.ordinal(s, "band ~ enroll"), "ordinal"),
    ],
)
def test_verbs_without_a_replicate_form_refuse_replicate_surveys(replicated: Survey, call, name: str) -> None:
    with pytest.raises(EstimationError, match=f"{name}: replicate-weight designs are not supported yet"):
        call(replicated)
