"""cbss_analysis.models.tests: term_tests is wald_test once per term of the formula."""

from __future__ import annotations

import pytest

from cbss_analysis import models
from cbss_analysis.errors import EstimationError
from tests.verbs_reference import cases, survey


def test_term_tests_give_one_joint_test_per_term_equal_to_wald_test() -> None:
    case = next(c for c in cases("svyglm") if c["id"] == "svyglm_apistrat_quasibinomial")
    fit = models.logistic(survey(case), "sch_wide01 ~ ell + meals + C(stype)")
    tests = models.term_tests(fit)
    assert tests["terms"].tolist() == ["ell", "meals", "C(stype)"]
    for term, row in zip(["ell", "meals", "C(stype)"], tests.itertuples()):
        single = models.wald_test(fit, term)
        assert pytest.approx(single["F"].iloc[0], rel=1e-14) == row.F and row.ndf == single["ndf"].iloc[0]
    assert tests.loc[tests["terms"] == "C(stype)", "ndf"].iloc[0] == 2


def test_term_tests_need_a_model_table() -> None:
    import pandas as pd

    with pytest.raises(EstimationError, match="term_tests: the table has no model fits"):
        models.term_tests(pd.DataFrame({"x": [1]}))
