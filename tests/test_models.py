"""Survey-weighted GLMs against R ``svyglm`` (tests/reference/models.json, made by models.R) and bad inputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import models
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey, design_from_codebook
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.design import Design

REFERENCE = Path(__file__).resolve().parent / "reference"
ALL_CASES = json.loads((REFERENCE / "models.json").read_text(encoding="utf-8"))["models"]
CASES = [c for c in ALL_CASES if "codebook" not in c["design"]]
SYNTHETIC_CASES = [c for c in ALL_CASES if "codebook" in c["design"]]
RTOL = 1e-8


def _survey(case: dict) -> Survey:
    frame = pd.read_csv(REFERENCE / "data" / case["data"], dtype={"cds": str, "stype": str})
    spec = case["design"]
    if "codebook" in spec:
        codebook = load_codebook(spec["codebook"])
        return Survey(frame, design_from_codebook(codebook), codebook)
    design = Design(weight=spec["weight"], strata=spec["strata"], psu=spec["psu"], fpc=spec["fpc"], lonely_psu=spec["lonely_psu"])
    return Survey(frame, design)


def _r_term(term: str) -> str:
    """formulaic's ``C(stype)[T.H]`` / ``Intercept`` as R's ``stypeH`` / ``(Intercept)``."""
    if term == "Intercept":
        return "(Intercept)"
    return re.sub(r"^(?:C\()?(\w+)\)?\[T\.(.+)\]$", r"\1\2", term)


def _fit(case: dict) -> pd.DataFrame:
    function = models.logistic if case["family"] == "quasibinomial" else models.linear
    survey = _survey(case)
    if case["domain"] is None:
        return function(survey, case["formula_py"])
    variable, value = case["domain"]["variable"], case["domain"]["value"]
    table = function(survey, case["formula_py"], by=variable)
    return table[table[variable] == value]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_svyglm(case: dict) -> None:
    _check_against_r(_fit(case), case)


@pytest.mark.parametrize("case", SYNTHETIC_CASES, ids=[c["id"] for c in SYNTHETIC_CASES])
def test_matches_svyglm_on_the_synthetic_survey(case: dict) -> None:
    """Indicator ids through the cbss_synthetic codebook; R computed the indicators from the codes itself."""
    table = _fit(case)
    _check_against_r(table, case)
    assert table.attrs["synthetic"] is True


def _check_against_r(table: pd.DataFrame, case: dict) -> None:
    assert [_r_term(t) for t in table["term"]] == case["terms"]
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
    table = _fit(case)
    np.testing.assert_allclose(table["odds_ratio"], np.exp(case["coef"]), rtol=RTOL)
    np.testing.assert_allclose(table["or_ci_low"], np.exp(case["ci_low"]), rtol=1e-7)
    np.testing.assert_allclose(table["or_ci_high"], np.exp(case["ci_high"]), rtol=1e-7)
    assert table.attrs["kind"] == "logistic" and table.attrs["synthetic"] is False


def test_by_gives_every_domain_in_one_table() -> None:
    case = next(c for c in CASES if c["id"] == "apiclus1_linear_domain_awards1")
    table = models.linear(_survey(case), "api00 ~ ell + meals", by="awards")
    assert list(table.columns[:3]) == ["outcome", "awards", "term"]
    assert sorted(table["awards"].unique()) == [0, 1]
    other = next(c for c in CASES if c["id"] == "apiclus1_linear_domain_awards0")
    np.testing.assert_allclose(table.loc[table["awards"] == 0, "se"], other["se"], rtol=RTOL)


def test_small_domain_is_suppressed() -> None:
    case = next(c for c in CASES if c["id"] == "apistrat_logistic_domain_M")
    table = models.logistic(_survey(case), "sch_wide ~ ell + meals", by="stype", min_n=60)
    small = table[table["stype"] == "M"]
    assert small["suppressed"].all() and small["estimate"].isna().all()
    assert small["n"].isna().all()  # a suppressed fit hides its count too
    assert not table.loc[table["stype"] == "E", "suppressed"].any()


def test_unused_category_in_a_domain_is_dropped_as_in_glm() -> None:
    case = next(c for c in CASES if c["id"] == "apistrat_linear")
    table = models.linear(_survey(case), "api00 ~ ell + C(stype)", by="awards")
    assert table["warning"].isna().all()
    assert set(table["term"]) == {"Intercept", "ell", "C(stype)[T.H]", "C(stype)[T.M]"}


def test_aliased_term_has_no_estimate_and_others_are_unchanged() -> None:
    case = next(c for c in CASES if c["id"] == "apiclus1_linear")
    survey = _survey(case)
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
    survey = _survey(case)
    survey.data["high"] = (survey.data["api00"] > 700).astype(float)
    with pytest.warns(models.ModelWarning, match="separation"):
        table = models.logistic(survey, "high ~ api00")
    assert table["estimate"].isna().all()
    assert table["warning"].str.startswith("separation").all()


def test_indicator_ids_and_labelled_categoricals(mini_codebook, mini_frame) -> None:
    survey = Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    table = models.logistic(survey, "cyberbullied ~ age + C(sex)", by="state")
    assert list(table["term"].unique()) == ["Intercept", "age", "C(sex)[T.Girl]"]
    assert table.attrs["synthetic"] is True
    assert (table["n"] <= 120).all() and table["se"].gt(0).all()


def test_unknown_variable_is_named() -> None:
    survey = _survey(CASES[0])
    with pytest.raises(EstimationError, match="'elll'"):
        models.logistic(survey, "sch_wide ~ elll + meals")


def test_logistic_outcome_must_be_binary() -> None:
    survey = _survey(CASES[0])
    with pytest.raises(EstimationError, match="'api00'.*0/1"):
        models.logistic(survey, "api00 ~ ell")


def test_categorical_outcome_is_refused() -> None:
    survey = _survey(CASES[0])
    with pytest.raises(EstimationError, match="'stype' is categorical"):
        models.linear(survey, "stype ~ ell")


@pytest.mark.parametrize("formula", ["sch_wide + ell", "~ ell", "sch_wide ~ ell +", "sch_wide + api00 ~ ell"])
def test_malformed_formula(formula: str) -> None:
    with pytest.raises(EstimationError, match="formula"):
        models.logistic(_survey(CASES[0]), formula)


def test_unknown_by_column() -> None:
    with pytest.raises(EstimationError, match="'region'"):
        models.linear(_survey(CASES[0]), "api00 ~ ell", by="region")


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


def test_domain_outside_the_indicator_population_is_suppressed(mini_codebook, mini_frame) -> None:
    survey = Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    table = models.logistic(survey, "ever_had_sex ~ C(sex)", by="agecat", min_n=10)
    young = table[table["agecat"] != "15-year-olds"]
    assert young["suppressed"].all() and young["n"].isna().all()
    assert list(young["term"].unique()) == ["Intercept", "C(sex)[T.Girl]"]
    assert not table.loc[table["agecat"] == "15-year-olds", "suppressed"].any()


def test_no_complete_respondent_is_an_error() -> None:
    survey = _survey(CASES[0])
    survey.data["empty"] = np.nan
    with pytest.raises(EstimationError, match="no respondent"):
        models.linear(survey, "api00 ~ empty")
