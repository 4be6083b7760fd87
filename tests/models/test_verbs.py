"""cbss_analysis.models' verbs (logistic, linear): survey-weighted GLMs against R svyglm, domains, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import models
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey, design_from_codebook
from tests.models.cases import CASES, RTOL, SYNTHETIC_CASES, fit, r_term, survey_of


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_svyglm(case: dict) -> None:
    _check_against_r(fit(case), case)


@pytest.mark.parametrize("case", SYNTHETIC_CASES, ids=[c["id"] for c in SYNTHETIC_CASES])
def test_matches_svyglm_on_the_synthetic_survey(case: dict) -> None:
    """Indicator ids through the cbss_synthetic codebook; R computed the indicators from the codes itself."""
    table = fit(case)
    _check_against_r(table, case)
    assert table.attrs["synthetic"] is True


def _check_against_r(table: pd.DataFrame, case: dict) -> None:
    assert [r_term(t) for t in table["term"]] == case["terms"]
    np.testing.assert_allclose(table["estimate"], case["coef"], rtol=RTOL)
    np.testing.assert_allclose(table["se"], case["se"], rtol=RTOL)
    np.testing.assert_allclose(table["p_value"], case["p_value"], rtol=RTOL)
    se = np.asarray(case["se"])
    np.testing.assert_allclose(table["ci_low"], case["ci_low"], rtol=0, atol=RTOL * se.max())
    np.testing.assert_allclose(table["ci_high"], case["ci_high"], rtol=0, atol=RTOL * se.max())
    assert (table["df"] == case["df"]).all()
    assert (table["n"] == case["n"]).all()
    assert not table["suppressed"].any()
    assert table["warning"].isna().all()


def test_odds_ratios_are_exponentiated_coefficients() -> None:
    case = next(c for c in CASES if c["id"] == "apistrat_logistic")
    table = fit(case)
    np.testing.assert_allclose(table["odds_ratio"], np.exp(case["coef"]), rtol=RTOL)
    np.testing.assert_allclose(table["or_ci_low"], np.exp(case["ci_low"]), rtol=1e-7)
    np.testing.assert_allclose(table["or_ci_high"], np.exp(case["ci_high"]), rtol=1e-7)
    assert table.attrs["kind"] == "logistic" and table.attrs["synthetic"] is False


def test_by_gives_every_domain_in_one_table() -> None:
    case = next(c for c in CASES if c["id"] == "apiclus1_linear_domain_awards1")
    table = models.linear(survey_of(case), "api00 ~ ell + meals", by="awards")
    assert list(table.columns[:3]) == ["outcome", "awards", "term"]
    assert sorted(table["awards"].unique()) == [0, 1]
    other = next(c for c in CASES if c["id"] == "apiclus1_linear_domain_awards0")
    np.testing.assert_allclose(table.loc[table["awards"] == 0, "se"], other["se"], rtol=RTOL)


def test_small_domain_is_suppressed() -> None:
    case = next(c for c in CASES if c["id"] == "apistrat_logistic_domain_M")
    table = models.logistic(survey_of(case), "sch_wide ~ ell + meals", by="stype", min_n=60)
    small = table[table["stype"] == "M"]
    assert small["suppressed"].all() and small["estimate"].isna().all()
    assert small["n"].isna().all()  # a suppressed fit hides its count too
    assert not table.loc[table["stype"] == "E", "suppressed"].any()


def test_unused_category_in_a_domain_is_dropped_as_in_glm() -> None:
    case = next(c for c in CASES if c["id"] == "apistrat_linear")
    table = models.linear(survey_of(case), "api00 ~ ell + C(stype)", by="awards")
    assert table["warning"].isna().all()
    assert set(table["term"]) == {"Intercept", "ell", "C(stype)[T.H]", "C(stype)[T.M]"}


def test_indicator_ids_and_labelled_categoricals(mini_codebook, mini_frame) -> None:
    survey = Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    table = models.logistic(survey, "cyberbullied ~ age + C(sex)", by="state")
    assert list(table["term"].unique()) == ["Intercept", "age", "C(sex)[T.Girl]"]
    assert table.attrs["synthetic"] is True
    assert (table["n"] <= 120).all() and table["se"].gt(0).all()


def test_unknown_by_column() -> None:
    with pytest.raises(EstimationError, match="'region'"):
        models.linear(survey_of(CASES[0]), "api00 ~ ell", by="region")


def test_domain_outside_the_indicator_population_is_suppressed(mini_codebook, mini_frame) -> None:
    survey = Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    table = models.logistic(survey, "ever_had_sex ~ C(sex)", by="agecat", min_n=10)
    young = table[table["agecat"] != "15-year-olds"]
    assert young["suppressed"].all() and young["n"].isna().all()
    assert list(young["term"].unique()) == ["Intercept", "C(sex)[T.Girl]"]
    assert not table.loc[table["agecat"] == "15-year-olds", "suppressed"].any()
