"""Unit tests of estimate.ratio, quantile, ttest and contrast: table shape, forms of input, suppression, errors.

Agreement with R is in test_reference_verbs.py; these tests pin what R cannot check.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from cbss_analysis import estimate
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Design, Survey

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
LEVELS = json.loads((REFERENCE / "verbs.json").read_text())["factor_levels"]


@pytest.fixture(scope="module")
def clus1() -> Survey:
    data = pd.read_csv(REFERENCE / "data" / "verbs_apiclus1.csv")
    for column, levels in LEVELS["apiclus1"].items():
        data[column] = pd.Categorical(data[column], categories=levels)
    data["one"] = 1.0
    data["region"] = np.where(data["dnum"] % 2 == 0, "even", "odd")
    return Survey(data, Design("pw", psu="dnum", fpc="fpc"))


def one_line(error: pytest.ExceptionInfo) -> None:
    assert "\n" not in str(error.value)


# --------------------------------------------------------------------------- ratio


def test_ratio_table(clus1: Survey) -> None:
    table = estimate.ratio(clus1, ["api00", "enroll"], "api99", by="stype", min_n=0)
    assert list(table.columns) == ["variable", "numerator", "denominator", "stype", "estimate", "se", "ci_low", "ci_high",
                                   "n", "n_weighted", "suppressed", "df"]
    assert table["variable"].tolist() == ["api00/api99"] * 3 + ["enroll/api99"] * 3
    assert table.attrs["kind"] == "ratio" and table.attrs["by"] == ["stype"] and table.attrs["min_n"] == 0
    data = clus1.data
    e = data["stype"] == "E"
    expected = (data.loc[e, "pw"] * data.loc[e, "api00"]).sum() / (data.loc[e, "pw"] * data.loc[e, "api99"]).sum()
    assert table.loc[0, "estimate"] == pytest.approx(expected, rel=1e-13)


def test_a_ratio_over_a_constant_is_the_mean(clus1: Survey) -> None:
    ratio = estimate.ratio(clus1, "api00", "one", by="stype", min_n=0)
    mean = estimate.mean(clus1, "api00", by="stype", min_n=0)
    for column in ("estimate", "se", "ci_low", "df", "n"):
        np.testing.assert_allclose(ratio[column], mean[column], rtol=1e-12)


def test_ratio_tables_work_with_compare_and_contrast(clus1: Survey) -> None:
    table = estimate.ratio(clus1, "api00", "api99", by="stype", min_n=0)
    compared = estimate.compare(table, reference="E", by="stype")
    pairwise = estimate.contrast(table.set_index("stype"), {"H": 1, "E": -1})
    assert compared.loc[0, "se"] == pytest.approx(pairwise.loc[0, "se"], rel=1e-12)
    assert list(compared.columns[:2]) == ["variable", "stype"]


def test_ratio_suppression_and_errors(clus1: Survey) -> None:
    table = estimate.ratio(clus1, "api00", "api99", by="stype", min_n=20)
    assert table["suppressed"].tolist() == [False, True, True]  # the margin rule suppresses a partner of the small cell
    assert np.isnan(table.loc[1, ["estimate", "se", "ci_low", "ci_high"]].astype(float)).all()
    with pytest.raises(EstimationError, match="categorical") as error:
        estimate.ratio(clus1, "stype", "api99")
    one_line(error)
    with pytest.raises(EstimationError, match="denominator is empty"):
        estimate.ratio(clus1, "api00", [])


# --------------------------------------------------------------------------- quantile


@pytest.fixture(scope="module")
def srs() -> Survey:
    """A simple random sample of 1..9 with equal weights (and one missing value, one other domain)."""
    data = pd.DataFrame({"x": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, np.nan, 7.0],
                         "g": ["a"] * 10 + ["b"], "w": 2.0})
    return Survey(data, Design("w"))


def test_math_rule_is_the_inverse_of_the_distribution_function(srs: Survey) -> None:
    table = estimate.quantile(srs, "x", q=[0.1, 0.5, 0.9], by="g", min_n=0)
    a = table.loc[table["g"] == "a"]
    # sorted values 1 1 2 3 4 5 5 6 9: F(1) = 2/9 >= 0.1, F(4) = 5/9 >= 0.5, F(6) = 8/9 < 0.9 <= F(9)
    assert a["estimate"].tolist() == [1.0, 4.0, 9.0]
    assert (a["n"] == 9).all() and a["n_weighted"].tolist() == [18.0] * 3


def test_hf7_with_equal_weights_is_the_usual_linear_quantile(srs: Survey) -> None:
    values = srs.data.loc[srs.data["g"] == "a", "x"].dropna()
    probabilities = [0.1, 0.25, 0.5, 0.8]
    table = estimate.quantile(srs, "x", q=probabilities, by="g", qrule="hf7", min_n=0)
    np.testing.assert_allclose(table.loc[table["g"] == "a", "estimate"], np.quantile(values, probabilities), rtol=1e-14)
    assert table.loc[table["g"] == "b", "estimate"].tolist() == [7.0] * 4  # a single value


def test_quantile_table(clus1: Survey) -> None:
    table = estimate.quantile(clus1, ["api00", "enroll"], q=[0.25, 0.5], by="stype", min_n=0)
    assert list(table.columns) == ["variable", "quantile", "stype", "estimate", "se", "ci_low", "ci_high", "n",
                                   "n_weighted", "suppressed", "df"]
    assert table["quantile"].tolist() == [0.25] * 3 + [0.5] * 3 + [0.25] * 3 + [0.5] * 3
    assert (table["ci_low"].fillna(-np.inf) <= table["estimate"]).all() and (table["estimate"] <= table["ci_high"].fillna(np.inf)).all()
    assert table["ci_low"].isna().any()  # Woodruff: the share's interval leaves [0, 1] in small clusters (R: NaN)
    assert table.attrs["kind"] == "quantile" and table.attrs["qrule"] == "math"
    with pytest.raises(EstimationError, match="no design information"):
        estimate.contrast(table, [1] + [0] * 11)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"q": 1.5}, r"q=1.5 must be a probability strictly between 0 and 1"),
        ({"q": [0.5, 0.0]}, r"q=0.0 must be a probability"),
        ({"q": []}, r"q=\[\] is empty"),
        ({"q": "median"}, r"q='median' must be a probability"),
        ({"qrule": "hf9"}, r"qrule='hf9' is not one of 'math', 'hf7'"),
        ({"variables": "stype"}, "categorical"),
        ({"by": "estimate"}, "by='estimate' is not a column"),
    ],
)
def test_quantile_errors_are_one_line(clus1: Survey, arguments: dict, message: str) -> None:
    options = {"variables": "api00", **arguments}
    with pytest.raises(EstimationError, match=message) as error:
        estimate.quantile(clus1, **options)
    one_line(error)


# --------------------------------------------------------------------------- ttest


def test_ttest_table_and_one_sample_form(clus1: Survey) -> None:
    table = estimate.ttest(clus1, "api00", "sch_wide", by="region", min_n=0)
    assert list(table.columns) == ["variable", "group", "contrast", "region", "difference", "se", "t", "df", "p_value",
                                   "ci_low", "ci_high", "n", "suppressed"]
    assert table["contrast"].unique().tolist() == ["Yes - No"]
    means = estimate.mean(clus1, "api00", by=["region", "sch_wide"], min_n=0)
    yes, no = means.loc[means["sch_wide"] == "Yes", "estimate"].to_numpy(), means.loc[means["sch_wide"] == "No", "estimate"]
    np.testing.assert_allclose(table["difference"], yes - no.to_numpy(), rtol=1e-10)
    one = estimate.ttest(clus1, "api00", min_n=0).iloc[0]
    mean = estimate.mean(clus1, "api00", min_n=0).iloc[0]
    assert (one["contrast"], one["difference"], one["se"], one["df"]) == ("mean", mean["estimate"], mean["se"], mean["df"] - 1)
    assert pd.isna(one["group"])


def test_a_numeric_0_1_group_is_the_categorical_group(clus1: Survey) -> None:
    categorical = estimate.ttest(clus1, "api00", "sch_wide", min_n=0)
    numeric = estimate.ttest(clus1, "api00", "sch_wide01", min_n=0)
    assert numeric["contrast"].iloc[0] == "1 - 0"
    for column in ("difference", "se", "t", "df", "p_value"):
        assert numeric[column].iloc[0] == pytest.approx(categorical[column].iloc[0], rel=1e-12)


def test_ttest_suppresses_on_the_smaller_group(clus1: Survey) -> None:
    table = estimate.ttest(clus1, "api00", "sch_wide", by="stype", min_n=0)
    counts = clus1.data.groupby(["stype", "sch_wide"], observed=True).size().unstack()
    smallest = counts.min(axis=1).to_numpy()
    suppressed = estimate.ttest(clus1, "api00", "sch_wide", by="stype", min_n=int(smallest.min()) + 1)
    assert suppressed["suppressed"].tolist() == (smallest < smallest.min() + 1).tolist()
    assert suppressed.loc[suppressed["suppressed"], ["difference", "se", "t", "p_value"]].isna().all().all()
    assert (suppressed["n"] == table["n"]).all()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"group": "stype"}, r"group='stype' has 3 values among the respondents with a value \(E, H, M\); a t test needs two"),
        ({"group": "stype", "by": "stype"}, "is also a by column"),
        ({"group": "schwide"}, "did you mean 'sch_wide'"),
        ({"variable": ["api00", "api99"]}, "must name one numeric variable"),
        ({"variable": "stype"}, "categorical"),
        ({"level": 95}, "level=95 must be a confidence level"),
    ],
)
def test_ttest_errors_are_one_line(clus1: Survey, arguments: dict, message: str) -> None:
    options = {"variable": "api00", "group": "sch_wide", **arguments}
    with pytest.raises(EstimationError, match=message) as error:
        estimate.ttest(clus1, **options)
    one_line(error)


# --------------------------------------------------------------------------- contrast


def test_contrast_forms_agree(clus1: Survey) -> None:
    table = estimate.mean(clus1, ["api00", "api99"], by="stype", min_n=0)  # 6 rows: api00 E H M, api99 E H M
    growth_e = [1, 0, 0, -1, 0, 0]
    labelled = table.set_index(["variable", "stype"])
    forms = {
        "vector": growth_e,
        "positions": {0: 1, 3: -1},
        "labels": {("api00", "E"): 1, ("api99", "E"): -1},
        "series": pd.Series({("api00", "E"): 1.0, ("api99", "E"): -1.0}),
        "sparse": sparse.csr_matrix(np.array([growth_e], dtype=float)),
    }
    results = {name: estimate.contrast(labelled if name in ("labels", "series") else table, value) for name, value in forms.items()}
    for name, result in results.items():
        assert result["contrast"].tolist() == ["contrast"], name
        assert result["se"].iloc[0] == pytest.approx(results["vector"]["se"].iloc[0], rel=1e-14), name
    e = table.loc[table["stype"] == "E"]
    assert results["vector"]["estimate"].iloc[0] == pytest.approx(e["estimate"].iloc[0] - e["estimate"].iloc[1], rel=1e-12)
    assert results["vector"]["df"].iloc[0] == 14


def test_several_contrasts_at_once(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0).set_index("stype")
    named = estimate.contrast(table, {"E - H": {"E": 1, "H": -1}, "H - M": [0, 1, -1]})
    assert named["contrast"].tolist() == ["E - H", "H - M"]
    frame = estimate.contrast(table, pd.DataFrame({"E": [1.0, 0.0], "H": [-1.0, 1.0]}, index=["E - H", "H"]))
    assert frame["contrast"].tolist() == ["E - H", "H"]
    assert frame.loc[0, "se"] == pytest.approx(named.loc[0, "se"], rel=1e-14)
    matrix = estimate.contrast(table, np.array([[1, -1, 0], [0, 1, -1]]))
    assert matrix["contrast"].tolist() == ["contrast_1", "contrast_2"]
    np.testing.assert_allclose(matrix["se"], named["se"], rtol=1e-14)
    assert list(matrix.columns) == ["contrast", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "suppressed"]
    assert matrix.attrs["kind"] == "contrast" and matrix.attrs["estimate_kind"] == "mean"


def test_contrast_includes_the_covariance_between_domains(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    difference = estimate.contrast(table, [1, -1, 0]).iloc[0]
    assert difference["se"] == pytest.approx(30.03, abs=0.01)  # R: svycontrast on svyby(covmat = TRUE)
    independent = np.sqrt(table.loc[0, "se"] ** 2 + table.loc[1, "se"] ** 2)
    assert independent == pytest.approx(44.11, abs=0.01)


def test_contrast_on_filtered_tables_and_with_another_level(clus1: Survey) -> None:
    table = estimate.mean(clus1, ["api00", "api99"], by="stype", min_n=0)
    reordered = table.iloc[::-1]
    a = estimate.contrast(table, [1, 0, 0, -1, 0, 0]).iloc[0]
    b = estimate.contrast(reordered, [0, 0, -1, 0, 0, 1]).iloc[0]
    assert (a["estimate"], a["se"]) == pytest.approx((b["estimate"], b["se"]), rel=1e-14)
    wide = estimate.contrast(table, [1, 0, 0, -1, 0, 0], level=0.99).iloc[0]
    assert wide["ci_high"] - wide["ci_low"] > a["ci_high"] - a["ci_low"]


def test_contrast_on_a_suppressed_row_is_suppressed(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=20)  # H (14 schools) suppressed, M with it (margin rule)
    assert table["suppressed"].tolist() == [False, True, True]
    result = estimate.contrast(table, {"E - H": [1, -1, 0], "E - M": [1, 0, -1], "E": [1, 0, 0]})
    assert result["suppressed"].tolist() == [True, True, False]
    assert result.loc[0:1, ["estimate", "se", "ci_low", "ci_high", "p_value"]].isna().all().all()
    assert result.loc[2, "estimate"] == pytest.approx(table.loc[0, "estimate"], rel=1e-12)


@pytest.mark.parametrize(
    ("coefficients", "message"),
    [
        ({"Z": 1}, r"coefficients='Z' is not a row label of the table \(its index: 'E', 'H', 'M'\)"),
        ([1, -1], r"must have one coefficient per row of the table \(3\)"),
        (np.ones((2, 4)), r"must have one coefficient per row of the table \(3\)"),
        ([1, np.inf, 0], "must hold finite numbers"),
        ({"E": "one"}, "must be a mapping from row labels or a vector"),
        ([1, "a", 0], "must hold numbers"),
        ("E - H", "must be a mapping from row labels"),
        ({}, "is empty"),
    ],
)
def test_contrast_errors_are_one_line(clus1: Survey, coefficients: object, message: str) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0).set_index("stype")
    with pytest.raises(EstimationError, match=message) as error:
        estimate.contrast(table, coefficients)
    one_line(error)


def test_contrast_needs_unique_labels_and_a_design(clus1: Survey) -> None:
    table = estimate.mean(clus1, ["api00", "api99"], by="stype", min_n=0)
    with pytest.raises(EstimationError, match="repeated labels"):
        estimate.contrast(table.set_index("stype"), {"E": 1})
    with pytest.raises(EstimationError, match="no design information"):
        estimate.contrast(pd.DataFrame({"estimate": [1.0]}), [1])
