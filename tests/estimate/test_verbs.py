"""cbss_analysis.estimate's verbs (mean, proportion, total): table shape, domains, missing values, intervals, bad input.

Agreement with R is in test_reference_estimates.py; these tests pin the behaviour R cannot check.
The clus1 and strat fixtures (R's apiclus1 and apistrat) are in tests/conftest.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cbss_analysis import estimate
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey
from cbss_analysis.survey.design import Design
from tests.conftest import REFERENCE

DATA = REFERENCE / "data"
CONTRACT_COLUMNS = ["variable", "level", "estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "deff", "suppressed", "df"]


def test_table_has_the_contract_columns_and_attrs(clus1: Survey) -> None:
    table = estimate.mean(clus1, ["api00", "enroll"], by="stype")
    assert list(table.columns) == [*CONTRACT_COLUMNS[:2], "stype", *CONTRACT_COLUMNS[2:]]
    assert len(table) == 6
    assert table.attrs["kind"] == "mean" and table.attrs["level"] == 0.95 and table.attrs["min_n"] == 30
    assert table.attrs["synthetic"] is False
    assert table["level"].isna().all()
    assert table["n"].dtype == "Int64" and table["df"].dtype == "Int64"  # nullable: suppressed rows hide them
    assert isinstance(table["stype"].dtype, pd.CategoricalDtype)


def test_several_variables_equal_separate_calls(clus1: Survey) -> None:
    both = estimate.total(clus1, ["api00", "enroll"], by="stype", min_n=0)
    alone = estimate.total(clus1, "enroll", by="stype", min_n=0)
    pd.testing.assert_frame_equal(both.iloc[3:].reset_index(drop=True), alone, check_exact=False, rtol=1e-13)


def test_mean_interval_uses_t_with_domain_df(clus1: Survey) -> None:
    """Pinned choice: t quantiles on the domain df (R confint(df = degf(domain design))), not normal."""
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    t = stats.t.ppf(0.975, table["df"].to_numpy())
    np.testing.assert_allclose(table["ci_high"] - table["estimate"], t * table["se"], rtol=1e-12)
    assert (table["df"] < clus1.design_arrays().degrees_of_freedom + 1).all()


def test_categorical_gives_one_row_per_category(clus1: Survey) -> None:
    table = estimate.proportion(clus1, "sch_wide", by="stype", min_n=0)
    assert list(table["level"].unique()) == ["No", "Yes"]
    sums = table.groupby("stype", observed=True)["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
    assert (table.groupby("stype", observed=True)["n"].nunique() == 1).all()


def test_missing_values_are_out_of_the_domain(clus1: Survey) -> None:
    """NA on the variable: the row leaves that variable's domain but stays in the design."""
    table = estimate.mean(clus1, ["avg_ed", "api00"], min_n=0)
    frame = clus1.data
    assert table.loc[0, "n"] == frame["avg_ed"].notna().sum()
    assert table.loc[1, "n"] == len(frame)
    expected = np.average(frame["avg_ed"].dropna(), weights=frame.loc[frame["avg_ed"].notna(), "pw"])
    assert table.loc[0, "estimate"] == pytest.approx(expected, rel=1e-12)


def test_empty_domain_gives_n_zero_and_nan() -> None:
    frame = pd.read_csv(DATA / "lonely.csv")
    survey = Survey(frame, Design(weight="w", strata="stratum", psu="psu", nest=True, lonely_psu="adjust"))
    table = estimate.mean(survey, "yz", by="dom", min_n=0)
    empty = table.loc[table["dom"] == "c"].iloc[0]
    assert empty["n"] == 0 and empty["df"] == 0 and empty["n_weighted"] == 0
    assert np.isnan(empty[["estimate", "se", "ci_low", "ci_high", "deff"]].astype(float)).all()
    assert not empty["suppressed"]
    assert estimate.mean(survey, "yz", by="dom").loc[2, "suppressed"]


def test_rows_with_missing_by_value_belong_to_no_domain(clus1: Survey) -> None:
    frame = clus1.data.copy()
    frame.loc[:9, "region"] = None
    survey = Survey(frame, clus1.design)
    table = estimate.mean(survey, "api00", by="region", min_n=0)
    assert list(table["region"]) == ["even", "odd"]
    assert table["n"].sum() == len(frame) - 10


def test_suppression_by_default_hides_estimate_and_n(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype")
    full = estimate.mean(clus1, "api00", by="stype", min_n=0)
    small = (full["n"] < 30).to_numpy()
    assert small.any() and (table["suppressed"].to_numpy() == small).all()
    assert table.loc[small, ["estimate", "se", "ci_low", "ci_high", "deff", "n_weighted"]].isna().all().all()
    assert table.loc[small, ["n", "df"]].isna().all().all()
    assert table.loc[~small, "estimate"].notna().all()
    assert (full.loc[~small, "n"] == table.loc[~small, "n"]).all()


def test_deff_references(strat: Survey) -> None:
    replace = estimate.mean(strat, "api00", min_n=0)
    wor = estimate.mean(strat, "api00", min_n=0, deff="wor")
    off = estimate.mean(strat, "api00", min_n=0, deff=False)
    n, big_n = replace.loc[0, "n"], replace.loc[0, "n_weighted"]
    assert wor.loc[0, "deff"] == pytest.approx(replace.loc[0, "deff"] * big_n / (big_n - n), rel=1e-12)
    assert np.isnan(off.loc[0, "deff"])


def test_wilson_and_wald_in_proportion(clus1: Survey) -> None:
    wilson = estimate.proportion(clus1, "sch_wide01", ci="wilson", min_n=0).iloc[0]
    wald = estimate.proportion(clus1, "sch_wide01", ci="wald", min_n=0).iloc[0]
    assert wilson["ci_low"] < wilson["estimate"] < wilson["ci_high"]
    t = stats.t.ppf(0.975, wald["df"])
    assert wald["ci_high"] == pytest.approx(wald["estimate"] + t * wald["se"], rel=1e-12)


def test_survey_frame_is_not_modified(clus1: Survey) -> None:
    before = clus1.data.copy()
    estimate.proportion(clus1, ["sch_wide", "api_up"], by=["stype", "region"])
    pd.testing.assert_frame_equal(clus1.data, before)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda s: estimate.mean(s, "nope"), "nope"),
        (lambda s: estimate.mean(s, "region"), "region"),
        (lambda s: estimate.mean(s, "api00", by="nope"), "nope"),
        (lambda s: estimate.proportion(s, "api00"), "api00"),
        (lambda s: estimate.proportion(s, "api_up", ci="exact"), "exact"),
        (lambda s: estimate.mean(s, "api00", level=1.0), "level"),
        (lambda s: estimate.mean(s, "api00", level=0), "level"),
        (lambda s: estimate.mean(s, "api00", level=95), "95"),
        (lambda s: estimate.mean(s, "api00", deff="yes"), "deff"),
        (lambda s: estimate.mean(s, "api00", min_n=-1), "min_n"),
        (lambda s: estimate.mean(s, []), "no variables"),
    ],
)
def test_bad_input_is_one_clear_error(clus1: Survey, call, message: str) -> None:
    with pytest.raises(EstimationError, match=message) as error:
        call(clus1)
    assert "\n" not in str(error.value)
