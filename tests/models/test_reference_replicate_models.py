"""Models on replicate-weight designs (and replicate designs calibrated with calibrate() and rake()) against R
survey 4.1 (tests/reference/replicates_models.json, made by replicates_models.R): svyglm quasipoisson and on a
domain, regTermTest, svyolr. Estimates, SEs, covariances to 1e-8 relative; df exactly."""

from __future__ import annotations

import pytest

from cbss_analysis import models
from tests.replicate_reference import close, model_cases, model_design


def _check_glm(table, ref: dict, what: str) -> None:
    close(table["estimate"], ref["coef"], f"{what} coefficients")
    close(table["se"], ref["se"], f"{what} se")
    close(table["p_value"], ref["p_value"], f"{what} p-values")
    close(table["ci_low"], ref["ci_low"], f"{what} ci low")
    close(table["ci_high"], ref["ci_high"], f"{what} ci high")
    assert (table["df"] == ref["df"]).all(), what
    close(table.attrs["fits"].fits.fits[0].covariance, ref["vcov"], f"{what} vcov")


@pytest.mark.parametrize("case", model_cases("models"))
def test_poisson(case: dict) -> None:
    ref = case["poisson"]
    _check_glm(models.poisson(model_design(case), ref["formula"], min_n=0), ref, "poisson")


@pytest.mark.parametrize("case", model_cases("models"))
def test_linear_in_a_domain(case: dict) -> None:
    ref = case["linear_domain_e"]
    table = models.linear(model_design(case), ref["formula"], by=ref["by"], min_n=0)
    table = table[table[ref["by"]].astype(str) == ref["level"]]
    close(table["estimate"], ref["coef"], "coefficients")
    close(table["se"], ref["se"], "se")
    close(table["p_value"], ref["p_value"], "p-values")
    assert (table["df"] == ref["df"]).all()


@pytest.mark.parametrize("case", model_cases("models"))
def test_wald_tests(case: dict) -> None:
    survey = model_design(case)
    fits = {
        "~stype": models.linear(survey, "api00 ~ ell + meals + stype", min_n=0),
        "~ell + meals": models.linear(survey, "api00 ~ ell + meals + stype", min_n=0),
        "~meals": models.logistic(survey, "sch_wide01 ~ ell + meals", min_n=0),
    }
    for ref in case["wald_tests"]:
        test = models.wald_test(fits[ref["terms"]], ref["terms"])
        close(test["F"], ref["F"], f"{ref['terms']} F")
        close(test["p_value"], ref["p_value"], f"{ref['terms']} p-value")
        assert (test["ndf"] == ref["ndf"]).all() and (test["ddf"] == ref["ddf"]).all(), ref["terms"]


@pytest.mark.parametrize("case", model_cases("models"))
def test_ordinal(case: dict) -> None:
    ref = case["ordinal"]
    table = models.ordinal(model_design(case), ref["formula"], min_n=0)
    close(table["estimate"], ref["estimate"], "estimates")
    close(table["se"], ref["se"], "se")
    assert (table["df"] == ref["df"]).all()
    close(table.attrs["fits"].fits.fits[0].covariance, ref["vcov"], "vcov")
