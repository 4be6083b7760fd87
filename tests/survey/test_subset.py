"""Survey.subset: the selection (Series, array, safe query string), and every verb on a subset.

A subset keeps the full design, so each estimate on ``survey.subset(stype == X)`` must equal the
``X`` row of the same estimate ``by="stype"`` on the whole survey (R: ``svyby`` is
``FUN(design[by == X, ])``). Agreement with R's ``subset(design, ...)`` is in
tests/estimate/test_reference_verbs.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate, models, scales
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Design, Survey

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
LEVELS = json.loads((REFERENCE / "verbs.json").read_text())["factor_levels"]


def frame(name: str) -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "data" / f"verbs_{name}.csv")
    for column, levels in LEVELS[name].items():
        data[column] = pd.Categorical(data[column], categories=levels)
    return data


@pytest.fixture(scope="module")
def clus1() -> Survey:
    return Survey(frame("apiclus1"), Design("pw", psu="dnum", fpc="fpc"))


@pytest.fixture(scope="module")
def clus2() -> Survey:
    return Survey(frame("apiclus2"), Design("pw", psu=("dnum", "snum"), fpc=("fpc1", "fpc2")))


@pytest.fixture(scope="module")
def strat() -> Survey:
    return Survey(frame("apistrat"), Design("pw", strata="stype", fpc="fpc"))


# --------------------------------------------------------------------------- selecting


def test_series_array_and_query_select_the_same_rows(clus1: Survey) -> None:
    by_query = clus1.subset('stype == "E" and api00 > 600')
    series = (clus1.data["stype"] == "E") & (clus1.data["api00"] > 600)
    assert by_query.subset_mask.tolist() == series.tolist()
    assert clus1.subset(series).subset_mask.tolist() == series.tolist()
    assert clus1.subset(series.to_numpy()).subset_mask.tolist() == series.tolist()
    assert len(by_query) == int(series.sum())
    assert by_query.data is clus1.data  # the full data, not a filtered copy
    assert clus1.subset_mask is None and len(clus1) == len(clus1.data)


def test_query_syntax_that_is_allowed(clus1: Survey) -> None:
    data = clus1.data
    assert clus1.subset('stype.isin(["E", "H"])').subset_mask.tolist() == data["stype"].isin(["E", "H"]).tolist()
    assert clus1.subset("api00.between(500, 700) & ~(ell > 30)").subset_mask.tolist() == (
        data["api00"].between(500, 700) & ~(data["ell"] > 30)).tolist()
    assert clus1.subset("`api00` - api99 > 20 or not yr_rnd == 'No'").subset_mask.tolist() == (
        (data["api00"] - data["api99"] > 20) | ~(data["yr_rnd"] == "No")).tolist()


def test_missing_values_drop_the_row_as_in_r(clus2: Survey) -> None:
    condition = clus2.data["enroll"] > 400  # enroll has missing values: NaN > 400 is False
    with_na = clus2.data["enroll"].gt(400).astype("boolean").where(clus2.data["enroll"].notna(), pd.NA)
    assert clus2.subset(with_na).subset_mask.tolist() == condition.tolist()


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("api00 > @limit", "'@'"),
        ("api00.__class__", "'__class__'"),
        ("__import__('os')", "calls a function"),
        ("api00.to_csv('x.csv')", "calls a function"),
        ("api00.sum() > 0", "calls a function"),
        ("apii00 > 600", "did you mean 'api00'"),
        ("api00 = 600", "not a valid condition"),
        ("api00 > 600\napi99 > 1", "single line"),
        ("[x for x in api00]", "ListComp"),
        ("api00 + 1", "must be boolean"),
        ("", "is empty"),
        ("stype == 'Z'", "selects no respondent"),
        (3, "must be a boolean Series"),
    ],
)
def test_bad_or_unsafe_conditions_are_one_line_errors(clus1: Survey, where: object, message: str) -> None:
    with pytest.raises(EstimationError, match=message) as error:
        clus1.subset(where)
    assert "\n" not in str(error.value) and str(error.value).startswith("subset: ")


def test_series_must_be_aligned_and_boolean(clus1: Survey) -> None:
    with pytest.raises(EstimationError, match="not aligned"):
        clus1.subset((clus1.data["api00"] > 600).reset_index(drop=True).iloc[::-1])
    with pytest.raises(EstimationError, match="must be boolean"):
        clus1.subset(clus1.data["api00"])
    with pytest.raises(EstimationError, match="one value per row"):
        clus1.subset(np.ones(3, dtype=bool))


def test_subsets_intersect_and_describe_themselves(clus1: Survey) -> None:
    both = clus1.subset('stype == "E"').subset("api00 > 600")
    assert both.subset_mask.tolist() == ((clus1.data["stype"] == "E") & (clus1.data["api00"] > 600)).tolist()
    assert f"{len(both)} of {len(clus1.data)} respondents in subset" in repr(both)
    assert '(stype == "E") & (api00 > 600)' in repr(both)
    with pytest.raises(ValueError, match="read-only"):
        both.subset_mask[0] = True


# --------------------------------------------------------------------------- every verb on a subset


def assert_rows_equal(on_subset: pd.DataFrame, by_domain: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        np.testing.assert_allclose(on_subset[column].to_numpy(dtype=float), by_domain[column].to_numpy(dtype=float),
                                   rtol=1e-12, err_msg=column)


@pytest.mark.parametrize("fixture", ["clus1", "clus2", "strat"])
def test_estimators_on_a_subset_equal_their_domain(fixture: str, request: pytest.FixtureRequest) -> None:
    survey = request.getfixturevalue(fixture)
    columns = ["estimate", "se", "ci_low", "ci_high", "n", "df"]
    for level in ("E", "H"):
        sub = survey.subset(f'stype == "{level}"')
        for verb, args in ((estimate.mean, (["api00", "enroll", "sch_wide"],)), (estimate.total, (["enroll"],)),
                           (estimate.proportion, (["sch_wide01"],)), (estimate.ratio, ("api00", "api99"))):
            whole = verb(survey, *args, by="stype", min_n=0)
            assert_rows_equal(verb(sub, *args, min_n=0), whole.loc[whole["stype"] == level], columns)
        whole = estimate.quantile(survey, "api00", q=[0.25, 0.5], by="stype", min_n=0)
        assert_rows_equal(estimate.quantile(sub, "api00", q=[0.25, 0.5], min_n=0), whole.loc[whole["stype"] == level], columns)
        whole = estimate.ttest(survey, "api00", "sch_wide", by="stype", min_n=0)
        assert_rows_equal(estimate.ttest(sub, "api00", "sch_wide", min_n=0), whole.loc[whole["stype"] == level],
                          ["difference", "se", "t", "df", "p_value", "n"])


def test_by_domains_are_those_of_the_subset(clus1: Survey) -> None:
    sub = clus1.subset('stype != "M"')
    table = estimate.mean(sub, "api00", by="stype", min_n=0)
    assert table["stype"].astype(str).tolist() == ["E", "H"]
    whole = estimate.mean(clus1, "api00", by="stype", min_n=0)
    assert_rows_equal(table, whole.iloc[:2], ["estimate", "se", "df", "n"])
    # compare and contrast work on subset tables (the covariance of the full design)
    assert estimate.compare(table, reference="E", by="stype")["se"].notna().all()


def test_models_and_alpha_on_a_subset_equal_their_domain(clus1: Survey) -> None:
    sub = clus1.subset('stype == "E"')
    whole = models.linear(clus1, "api00 ~ ell + meals", by="stype", min_n=0)
    alone = models.linear(sub, "api00 ~ ell + meals", min_n=0)
    assert_rows_equal(alone, whole.loc[whole["stype"] == "E"], ["estimate", "se", "df", "n", "p_value"])
    assert models.linear(sub, "api00 ~ ell", by="stype", min_n=0)["stype"].astype(str).unique().tolist() == ["E"]
    alpha_whole = scales.alpha(clus1, ["api00", "api99"], by="stype", min_n=0)
    alpha_sub = scales.alpha(sub, ["api00", "api99"], min_n=0)
    assert alpha_sub["alpha"].iloc[0] == pytest.approx(alpha_whole.loc[alpha_whole["stype"] == "E", "alpha"].iloc[0], rel=1e-12)


def test_suppression_counts_respondents_in_the_subset(clus1: Survey) -> None:
    sub = clus1.subset('stype == "H"')  # 14 schools
    table = estimate.mean(sub, "api00", min_n=15)
    assert table["suppressed"].iloc[0] and np.isnan(table["estimate"].iloc[0]) and pd.isna(table["n"].iloc[0])
    assert estimate.mean(sub, "api00", min_n=0)["n"].iloc[0] == 14  # counted in the subset (hidden when suppressed)


def test_degrees_of_freedom_of_a_subset(clus1: Survey, strat: Survey) -> None:
    assert clus1.degrees_of_freedom == 14
    assert clus1.subset('stype == "H"').degrees_of_freedom == 7  # 8 districts with high schools, 1 stratum
    assert strat.subset('stype == "E"').degrees_of_freedom == 99


def test_a_filtered_frame_gives_other_standard_errors(clus1: Survey, strat: Survey) -> None:
    """The documented pitfall: a new design from the filtered rows is not the domain analysis."""
    data = strat.data
    filtered = Survey(data.loc[data["api00"] > 600].reset_index(drop=True), Design("pw", strata="stype", fpc="fpc"))
    domain = estimate.mean(strat.subset("api00 > 600"), "api00", min_n=0)
    rebuilt = estimate.mean(filtered, "api00", min_n=0)
    assert domain["estimate"].iloc[0] == pytest.approx(rebuilt["estimate"].iloc[0], rel=1e-12)
    assert abs(domain["se"].iloc[0] / rebuilt["se"].iloc[0] - 1) > 1e-3
