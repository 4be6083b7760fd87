"""Unit tests of cbss_analysis.estimate: table shape, domains, missing values, intervals, compare, bad input.

Agreement with R is in test_reference_estimates.py; these tests pin the behaviour R cannot check.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cbss_analysis import estimate
from cbss_analysis._engine import intervals, variance
from cbss_analysis.errors import DesignError, EstimationError
from cbss_analysis.survey import Survey
from cbss_analysis.survey.design import Design, DesignArrays

DATA = Path(__file__).resolve().parent / "reference" / "data"
CONTRACT_COLUMNS = ["variable", "level", "estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "deff", "suppressed", "df"]


@pytest.fixture(scope="module")
def clus1() -> Survey:
    """R's apiclus1: one-stage cluster sample of 15 districts with fpc."""
    frame = pd.read_csv(DATA / "apiclus1.csv")
    frame["stype"] = pd.Categorical(frame["stype"], categories=["E", "H", "M"])
    frame["sch_wide"] = pd.Categorical(frame["sch_wide"], categories=["No", "Yes"])
    frame["region"] = np.where(frame["dnum"] % 2 == 0, "even", "odd")
    return Survey(frame, Design(weight="pw", psu="dnum", fpc="fpc"))


@pytest.fixture(scope="module")
def strat() -> Survey:
    frame = pd.read_csv(DATA / "apistrat.csv")
    frame["stype"] = pd.Categorical(frame["stype"], categories=["E", "H", "M"])
    return Survey(frame, Design(weight="pw", strata="stype", fpc="fpc"))


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


def test_wilson_interval_against_hand_computed_value() -> None:
    """p = 0.3, se = 0.05 (effective n = 84), df = 10, 95%: t = 2.228138851986274; the values below were
    computed by hand from (p + t^2/2m -/+ t sqrt(p(1-p)/m + t^2/4m^2)) / (1 + t^2/m)."""
    low, high = intervals.proportion_interval(
        "wilson", np.array([0.3]), np.array([0.05]), np.array([10]), np.array([200]), 0.95
    )
    assert low[0] == pytest.approx(0.20233320319222753, rel=1e-12)
    assert high[0] == pytest.approx(0.41998849595830595, rel=1e-12)


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


# --------------------------------------------------------------------------- compare


def test_compare_regional_unweighted(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    result = estimate.compare(table, reference="regional", by="stype")
    regional = table["estimate"].mean()
    np.testing.assert_allclose(result["difference"], table["estimate"] - regional, rtol=1e-12)
    np.testing.assert_allclose(result["reference"], regional, rtol=1e-12)
    assert list(result.columns) == [
        "variable", "level", "stype", "estimate", "reference", "difference", "se", "ci_low", "ci_high",
        "p_value", "p_holm", "n", "suppressed", "df",
    ]
    assert result.attrs["kind"] == "comparison"


def test_compare_with_a_domain_drops_its_row(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    result = estimate.compare(table, reference="E", by="stype")
    assert list(result["stype"].astype(str)) == ["H", "M"]
    assert result.loc[0, "difference"] == pytest.approx(table.loc[1, "estimate"] - table.loc[0, "estimate"], rel=1e-12)


def test_compare_weighted_by_population(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    population = {"E": 3.0, "H": 1.0, "M": 1.0}
    result = estimate.compare(table, reference="regional_weighted", by="stype", population=population)
    weighted = np.average(table["estimate"], weights=[3, 1, 1])
    np.testing.assert_allclose(result["reference"], weighted, rtol=1e-12)
    default = estimate.compare(table, reference="regional_weighted", by="stype")
    np.testing.assert_allclose(default["reference"], np.average(table["estimate"], weights=table["n_weighted"]), rtol=1e-12)
    with pytest.raises(EstimationError, match="M"):
        estimate.compare(table, reference="regional_weighted", by="stype", population={"E": 1, "H": 1})


def test_compare_keeps_suppressed_rows_suppressed(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=30)
    result = estimate.compare(table, reference="regional", by="stype")
    hidden = table["suppressed"].to_numpy()
    assert hidden.any()
    assert (result["suppressed"].to_numpy() == hidden).all()
    assert result.loc[hidden, ["estimate", "difference", "se", "p_value"]].isna().all().all()
    shown = table.loc[~hidden, "estimate"]
    np.testing.assert_allclose(result.loc[~hidden, "reference"], shown.mean(), rtol=1e-12)


def test_compare_leaves_empty_domains_out_of_the_reference() -> None:
    frame = pd.read_csv(DATA / "lonely.csv")
    survey = Survey(frame, Design(weight="w", strata="stratum", psu="psu", nest=True, lonely_psu="adjust"))
    table = estimate.mean(survey, "yz", by="dom", min_n=0)
    result = estimate.compare(table, reference="regional", by="dom")
    assert not result["suppressed"].any()
    assert np.isnan(result.loc[2, "difference"])
    np.testing.assert_allclose(result.loc[:1, "reference"], table.loc[:1, "estimate"].mean(), rtol=1e-12)


def test_compare_groups_by_the_other_by_columns(clus1: Survey) -> None:
    table = estimate.proportion(clus1, "api_up", by=["region", "stype"], min_n=0)
    result = estimate.compare(table, reference="regional", by="stype")
    for _, group in result.groupby("region"):
        assert group["difference"].sum() == pytest.approx(0.0, abs=1e-12)


def test_compare_works_on_filtered_tables_and_survives_copies(clus1: Survey) -> None:
    table = estimate.mean(clus1, ["api00", "enroll"], by="stype", min_n=0)
    subset = table.loc[table["variable"] == "enroll"].iloc[::-1]
    result = estimate.compare(subset, reference="H", by="stype")
    full = estimate.compare(table, reference="H", by="stype")
    expected = full.loc[full["variable"] == "enroll"].set_index("stype")["se"]
    assert result.set_index("stype")["se"].to_dict() == pytest.approx(expected.to_dict(), rel=1e-12)
    assert copy.deepcopy(table).attrs["linearization"] is table.attrs["linearization"]
    joined = pd.concat([table, table])
    assert len(joined) == 12


def test_tables_survive_parquet_pickle_and_concat(clus1: Survey, tmp_path: Path) -> None:
    """attrs stay JSON-writable (to_parquet), pickling keeps compare working, and concatenating
    two different estimates drops the design link instead of mixing them up."""
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    table.to_parquet(tmp_path / "t.parquet")
    assert pd.read_parquet(tmp_path / "t.parquet")["estimate"].tolist() == table["estimate"].tolist()
    restored = pickle.loads(pickle.dumps(table))
    pd.testing.assert_frame_equal(estimate.compare(restored, by="stype"), estimate.compare(table, by="stype"))
    other = estimate.mean(clus1, "api00", by="stype", min_n=0)
    assert "linearization" not in pd.concat([table, other]).attrs


def test_compare_needs_an_estimate_table() -> None:
    with pytest.raises(EstimationError, match="design information"):
        estimate.compare(pd.DataFrame({"variable": ["x"], "state": ["EE"], "estimate": [0.1]}))


def test_compare_rejects_unknown_reference_and_by(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    with pytest.raises(EstimationError, match="XX"):
        estimate.compare(table, reference="XX", by="stype")
    with pytest.raises(EstimationError, match="state"):
        estimate.compare(table)


def test_holm_matches_r_p_adjust() -> None:
    """R: p.adjust(c(0.01, 0.04, 0.03, 0.005, NA, 0.5), "holm")."""
    adjusted = estimate.holm(np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.5]))
    np.testing.assert_allclose(adjusted[[0, 1, 2, 3, 5]], [0.04, 0.09, 0.09, 0.025, 0.5], rtol=1e-15)
    assert np.isnan(adjusted[4])


# --------------------------------------------------------------------------- variance core


def toy_arrays(rule: str, fraction: float = 0.0) -> DesignArrays:
    """Stratum 0 with PSUs 0, 1, 2; stratum 1 with the single PSU 3."""
    return DesignArrays(
        weight=np.ones(4), stratum=np.array([0, 0, 0, 1]), psu=np.arange(4), psu_stratum=np.array([0, 0, 0, 1]),
        n_psu=np.array([3, 1]), fpc_fraction=np.array([fraction, 0.0]), certainty=np.array([False, False]),
        lonely_psu=rule,
    )


@pytest.mark.parametrize(
    "rule,expected",
    [("adjust", 21.0 + 16.0), ("remove", 21.0), ("certainty", 21.0), ("average", 42.0)],
)
def test_lonely_psu_rules_by_hand(rule: str, expected: float) -> None:
    """PSU totals 1, 2, 6 in stratum 0: 3/2 * (4 + 1 + 9) = 21; lonely PSU total 4: adjust adds 4^2,
    remove/certainty add 0, average doubles the one other stratum (2 strata / 1 with variance)."""
    variance_ = variance.psu_variance(
        np.zeros(4, dtype=np.int64), np.arange(4), np.array([1.0, 2.0, 6.0, 4.0]), 1, toy_arrays(rule)
    )
    assert variance_[0] == pytest.approx(expected, rel=1e-15)


def test_fpc_and_absent_psus_by_hand() -> None:
    """f = 1 - 0.5 halves stratum 0; a PSU without domain members counts as a zero total:
    totals 1, 2, (0): centre 1, squares 0 + 1 + 1 = 2, times 3/2."""
    arrays = toy_arrays("remove", fraction=0.5)
    full = variance.psu_variance(np.zeros(3, dtype=np.int64), np.arange(3), np.array([1.0, 2.0, 6.0]), 1, arrays)
    assert full[0] == pytest.approx(0.5 * 21.0, rel=1e-15)
    domain = variance.psu_variance(np.zeros(2, dtype=np.int64), np.arange(2), np.array([1.0, 2.0]), 1, toy_arrays("remove"))
    assert domain[0] == pytest.approx(3.0, rel=1e-15)
    assert variance.degrees_of_freedom(np.zeros(2, dtype=np.int64), np.arange(2), 1, arrays)[0] == 1


def test_lonely_psu_fail() -> None:
    with pytest.raises(DesignError, match="only one PSU"):
        variance.psu_variance(np.zeros(4, dtype=np.int64), np.arange(4), np.ones(4), 1, toy_arrays("fail"))
    frame = pd.read_csv(DATA / "lonely.csv")
    with pytest.raises(DesignError, match="s5"):
        Survey(frame, Design(weight="w", strata="stratum", psu="psu", nest=True))


def test_proportion_intervals_at_zero_and_one() -> None:
    """p = 0 or 1 (se = 0): logit gives [p, p] as R's svyciprop about does; beta, where R gives NaN,
    is Clopper-Pearson on n (upper bound 1 - (a/2)^(1/n) at p = 0 when df = n - 1)."""
    p, se, df, n = np.array([0.0, 1.0]), np.zeros(2), np.array([19, 19]), np.array([20, 20])
    low, high = intervals.proportion_interval("logit", p, se, df, n, 0.95)
    assert list(low) == [0.0, 1.0] and list(high) == [0.0, 1.0]
    low, high = intervals.proportion_interval("beta", p, se, df, n, 0.95)
    assert low[0] == 0.0 and high[1] == 1.0
    assert high[0] == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)
    assert low[1] == pytest.approx(0.025 ** (1 / 20), rel=1e-12)
