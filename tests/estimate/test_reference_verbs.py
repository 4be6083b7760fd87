"""The survey verbs against R ``survey`` 4.1 (values in tests/reference/verbs.json, made by verbs.R).

Sections covered here: subset, two_stage, zero_weights, svyratio, svyquantile, svyttest,
svycontrast and embedded (the shipped synthetic survey). Every case of those sections runs;
estimates and SEs must equal R's to 1e-8 relative, interval ends to 1e-6 (they go through t
quantiles), degrees of freedom and counts exactly. R is not needed to run these tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cbss_analysis import estimate, load_survey, paths
from cbss_analysis.errors import DesignError
from cbss_analysis.survey import Design, Survey

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
VERBS = json.loads((REFERENCE / "verbs.json").read_text())
RTOL = 1e-8
CI_RTOL = 1e-6
OBSERVED: dict[str, float] = defaultdict(float)
"""Largest relative difference from R seen per section (estimates and SEs), for the record."""


def cases(section: str) -> list:
    return [pytest.param(case, id=case["id"]) for case in VERBS["cases"] if case["section"] == section]


def close(actual: float, expected: float | None, what: str, section: str, rtol: float = RTOL) -> None:
    """Equal to ``rtol`` relative; R's NA (null) must be NaN here."""
    if expected is None:
        assert np.isnan(actual), f"{what}: expected NA, got {actual}"
        return
    assert actual == pytest.approx(expected, rel=rtol, abs=1e-300), what
    if rtol == RTOL and expected != 0:
        OBSERVED[section] = max(OBSERVED[section], abs(actual / expected - 1.0))


@cache
def reference_frame(file: str) -> pd.DataFrame:
    """A CSV written by verbs.R, with R's factors as Categoricals in R's level order."""
    frame = pd.read_csv(REFERENCE / "data" / file)
    name = next(k for k, v in VERBS["files"].items() if v == file)
    for column, levels in VERBS["factor_levels"].get(name, {}).items():
        frame[column] = pd.Categorical(frame[column], categories=levels, ordered=column in VERBS["ordered_factors"])
    return frame


def reference_design(spec: dict) -> Design:
    """The neutral design spec of verbs.json as a Design.

    ``ultimate_cluster`` (R ``options(survey.ultimate.cluster = TRUE)``) is the one-stage design
    on the first-stage PSUs and fpc.
    """
    psu, fpc = tuple(spec["psu"]), tuple(spec["fpc"])
    if spec["ultimate_cluster"]:
        psu, fpc = psu[:1], fpc[:1]
    return Design(weight=spec["weight"], strata=spec["strata"], psu=psu or None, fpc=fpc or None,
                  nest=spec["nest"], lonely_psu=spec["lonely_psu"])


@cache
def embedded_survey() -> Survey:
    return load_survey()


def reference_survey(case: dict, frame: pd.DataFrame | None = None) -> Survey:
    if case["data"] == "embedded":
        recorded = VERBS.get("embedded_md5")
        if recorded is None:
            pytest.skip("verbs.json has no embedded-survey section (haven was missing): run Rscript tests/reference/verbs.R")
        if hashlib.md5(paths.embedded_survey().read_bytes()).hexdigest() != recorded:
            pytest.skip("the embedded survey changed since verbs.json was made: re-run Rscript tests/reference/verbs.R")
        return embedded_survey()
    return Survey(reference_frame(case["data"]) if frame is None else frame, reference_design(case["design"]))


def check_interval(row: pd.Series, low: float | None, high: float | None, what: str) -> None:
    close(row["ci_low"], low, f"{what} ci_low", "", rtol=CI_RTOL)
    close(row["ci_high"], high, f"{what} ci_high", "", rtol=CI_RTOL)


# --------------------------------------------------------------------------- subset


def condition_mask(frame: pd.DataFrame, condition: str) -> pd.Series:
    """R's condition (``stype == "E"``, ``api00 > 600``) is also valid pandas query syntax."""
    return frame.eval(condition)


@pytest.mark.parametrize("case", cases("subset"))
def test_subset_matches_r_subset_design(case: dict) -> None:
    result = case["result"]
    frame = reference_frame(case["data"])
    survey = reference_survey(case)
    sub = survey.subset(result["condition"])
    assert len(sub) == result["n"]
    assert sub.degrees_of_freedom == result["degf_subset"]
    for kind in ("mean", "total"):
        rows = result[kind]["subset"]
        names = [r["name"] for r in rows]
        # R's svymean(~a + b, ..., na.rm = TRUE) drops rows missing any of the variables
        complete = sub.subset(frame[names].notna().all(axis=1))
        table = getattr(estimate, kind)(complete, names, min_n=0)
        for expected, (_, row) in zip(rows, table.iterrows(), strict=True):
            what = f"{case['id']} {kind} {expected['name']}"
            close(row["estimate"], expected["estimate"], f"{what} estimate", "subset")
            close(row["se"], expected["se"], f"{what} se", "subset")
            # R's CI uses degf of the subset before na.rm; ours the df of the rows used
            if row["df"] == expected["df"]:
                check_interval(row, expected["ci_low"], expected["ci_high"], what)
            t = stats.t.ppf(0.975, expected["df"])
            close(row["estimate"] - t * row["se"], expected["ci_low"], f"{what} ci_low on R's df", "", rtol=CI_RTOL)


@pytest.mark.parametrize("case", cases("subset"))
def test_a_filtered_frame_is_another_design(case: dict) -> None:
    """svydesign() on the filtered frame: R's (different) SEs, or R's failure on apiclus2."""
    result = case["result"]
    frame = reference_frame(case["data"])
    keep = condition_mask(frame, result["condition"]).to_numpy()
    for kind in ("mean", "total"):
        names = [r["name"] for r in result[kind]["subset"]]
        filtered = frame.loc[keep & frame[names].notna().all(axis=1).to_numpy()]
        if result[kind]["filtered_frame_error"] is not None:
            assert "only one PSU at stage 2" in result[kind]["filtered_frame_error"]
            with pytest.raises(DesignError, match="only one sampled snum unit at stage 2"):
                reference_survey(case, filtered.reset_index(drop=True))
            continue
        table = getattr(estimate, kind)(reference_survey(case, filtered.reset_index(drop=True)), names, min_n=0)
        for expected, (_, row) in zip(result[kind]["filtered_frame"], table.iterrows(), strict=True):
            close(row["estimate"], expected["estimate"], f"{case['id']} filtered {expected['name']}", "subset")
            close(row["se"], expected["se"], f"{case['id']} filtered {expected['name']} se", "subset")


# --------------------------------------------------------------------------- two-stage designs


@pytest.mark.parametrize("case", cases("two_stage"))
def test_two_stage_design(case: dict) -> None:
    survey = reference_survey(case)
    for block in case["result"]["estimates"]:
        kind = block["statistic"].removeprefix("svy")
        what = f"{case['id']} {kind} {block['variable']}"
        overall = getattr(estimate, kind)(survey, block["variable"], min_n=0).iloc[0]
        expected = block["overall"]
        close(overall["estimate"], expected["estimate"], f"{what} estimate", "two_stage")
        close(overall["se"], expected["se"], f"{what} se", "two_stage")
        assert overall["df"] == expected["df"]
        check_interval(overall, expected["ci_low"], expected["ci_high"], what)
        table = getattr(estimate, kind)(survey, block["variable"], by="stype", min_n=0)
        assert list(table["stype"].astype(str)) == [r["level"] for r in block["by"]]
        for expected, (_, row) in zip(block["by"], table.iterrows(), strict=True):
            close(row["estimate"], expected["estimate"], f"{what} {expected['level']}", "two_stage")
            close(row["se"], expected["se"], f"{what} {expected['level']} se", "two_stage")
            assert row["df"] == expected["df_domain"]
            check_interval(row, expected["ci_low_domain_df"], expected["ci_high_domain_df"], f"{what} {expected['level']}")


def test_fpc_as_fractions_equals_fpc_as_counts() -> None:
    frame = reference_frame("verbs_apiclus2.csv")
    counts = Survey(frame, Design("pw", psu=("dnum", "snum"), fpc=("fpc1", "fpc2")))
    fractions = Survey(frame, Design("pw", psu=("dnum", "snum"), fpc=("fpc1_frac", "fpc2_frac")))
    a = estimate.total(counts, ["api00", "enroll"], by="stype", min_n=0)
    b = estimate.total(fractions, ["api00", "enroll"], by="stype", min_n=0)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-12)


# --------------------------------------------------------------------------- zero weights


@pytest.mark.parametrize("case", cases("zero_weights"))
def test_zero_weights(case: dict) -> None:
    result = case["result"]
    survey = reference_survey(case)
    assert survey.degrees_of_freedom == result["degf"]
    assert survey.design_arrays().n_psu.tolist() == list(result["n_h"].values())
    for kind in ("mean", "total"):
        rows = result[kind]["rows"]
        table = getattr(estimate, kind)(survey, [r["name"] for r in rows], min_n=0)
        for expected, (_, row) in zip(rows, table.iterrows(), strict=True):
            what = f"zero weights {kind} {expected['name']}"
            close(row["estimate"], expected["estimate"], what, "zero_weights")
            close(row["se"], expected["se"], f"{what} se", "zero_weights")
            assert row["df"] == expected["df"]
            assert row["n"] == result["n_rows"] - len(result["zero_rows"])
            check_interval(row, expected["ci_low"], expected["ci_high"], what)
    for method, ci in (("logit", "logit"), ("beta", "beta"), ("mean", "wald")):
        expected = result["ciprop"][method]
        row = estimate.proportion(survey, "sch_wide01", ci=ci, min_n=0).iloc[0]
        close(row["estimate"], expected["estimate"], f"ciprop {method}", "zero_weights")
        assert row["df"] == expected["df"]
        check_interval(row, expected["ci_low"], expected["ci_high"], f"ciprop {method}")
    for key, by in (("by_stype", "stype"), ("by_zgroup", "zgroup")):
        table = estimate.mean(survey, "api00", by=by, min_n=0)
        assert list(table[by].astype(str)) == [r["level"] for r in result[key]["rows"]]  # 'zeroed' is no domain
        for expected, (_, row) in zip(result[key]["rows"], table.iterrows(), strict=True):
            close(row["estimate"], expected["estimate"], f"{key} {expected['level']}", "zero_weights")
            close(row["se"], expected["se"], f"{key} {expected['level']} se", "zero_weights")
            assert row["df"] == expected["df_domain"]
            check_interval(row, expected["ci_low_domain_df"], expected["ci_high_domain_df"], f"{key} {expected['level']}")
    quantiles = estimate.quantile(survey, "api00", q=[r["p"] for r in result["quantile"]["rows"]], min_n=0)
    for expected, (_, row) in zip(result["quantile"]["rows"], quantiles.iterrows(), strict=True):
        check_quantile_row(row, expected, expected["quantile"], f"zero weights quantile {expected['p']}", "zero_weights")
    check_ttest_row(estimate.ttest(survey, "api00", "sch_wide", min_n=0).iloc[0], result["svyttest"], "zero weights ttest",
                    "zero_weights")


# --------------------------------------------------------------------------- svyratio


@pytest.mark.parametrize("case", cases("svyratio"))
def test_ratio(case: dict) -> None:
    result = case["result"]
    survey = reference_survey(case)
    what = case["id"]
    if "rows" not in result:
        row = estimate.ratio(survey, result["numerator"], result["denominator"], min_n=0).iloc[0]
        assert row["variable"] == f"{result['numerator']}/{result['denominator']}"
        close(row["estimate"], result["estimate"], what, "svyratio")
        close(row["se"], result["se"], f"{what} se", "svyratio")
        assert row["df"] == result["df"]
        check_interval(row, result["ci_low"], result["ci_high"], what)
        return
    table = estimate.ratio(survey, result["numerator"], result["denominator"], by=result["by"], min_n=0)
    check_ratio_rows(table, result["by"], result["rows"], what, "svyratio")


def check_ratio_rows(table: pd.DataFrame, by: str, rows: list[dict], what: str, section: str) -> None:
    assert list(table[by].astype(str)) == [r["level"] for r in rows]
    for expected, (_, row) in zip(rows, table.iterrows(), strict=True):
        close(row["estimate"], expected["estimate"], f"{what} {expected['level']}", section)
        close(row["se"], expected["se"], f"{what} {expected['level']} se", section)
        assert row["df"] == expected["df_domain"]
        check_interval(row, expected["ci_low_domain_df"], expected["ci_high_domain_df"], f"{what} {expected['level']}")


# --------------------------------------------------------------------------- svyquantile


def check_quantile_row(row: pd.Series, expected: dict, estimate_value: float, what: str, section: str) -> None:
    close(row["estimate"], estimate_value, f"{what} estimate", section)
    close(row["se"], expected["se"], f"{what} se", section)
    check_interval(row, expected["ci_low"], expected["ci_high"], what)
    if "df" in expected:
        assert row["df"] == expected["df"]


@pytest.mark.parametrize("case", cases("svyquantile"))
def test_quantile(case: dict) -> None:
    result = case["result"]
    survey = reference_survey(case)
    if "quantiles" in result:
        for block in result["quantiles"]:
            probabilities = [r["p"] for r in block["rows"]]
            table = estimate.quantile(survey, block["variable"], q=probabilities, qrule=block["qrule"], min_n=0)
            assert table["quantile"].tolist() == probabilities
            for expected, (_, row) in zip(block["rows"], table.iterrows(), strict=True):
                check_quantile_row(row, expected, expected["quantile"], f"{case['id']} {block['variable']} {expected['p']}",
                                   "svyquantile")
        return
    table = estimate.quantile(survey, result["variable"], q=result["p"], by=result["by"], qrule=result["qrule"], min_n=0)
    check_quantile_by(table, result["by"], result["rows"], case["id"], "svyquantile")


def check_quantile_by(table: pd.DataFrame, by: str, rows: list[dict], what: str, section: str) -> None:
    assert list(table[by].astype(str)) == [r["level"] for r in rows]
    for expected, (_, row) in zip(rows, table.iterrows(), strict=True):
        check_quantile_row(row, expected, expected["estimate"], f"{what} {expected['level']}", section)
        assert row["df"] == expected["df_domain"]


# --------------------------------------------------------------------------- svyttest

TTEST_CALL = re.compile(r"^svyttest\((?P<y>.+) ~ (?P<group>\w+), (?P<design>.+)\)$")


def check_ttest_row(row: pd.Series, expected: dict, what: str, section: str) -> None:
    close(row["difference"], expected["estimate"], f"{what} difference", section)
    close(row["se"], expected["se"], f"{what} se", section)
    close(row["t"], expected["statistic"], f"{what} t", section)
    assert row["df"] == expected["df"]
    close(row["p_value"], expected["p_value"], f"{what} p", "", rtol=CI_RTOL)
    check_interval(row, expected["ci_low"], expected["ci_high"], what)


@pytest.mark.parametrize("case", cases("svyttest"))
def test_ttest(case: dict) -> None:
    call = TTEST_CALL.match(case["call"])
    assert call, case["call"]
    frame = reference_frame(case["data"])
    variable = call["y"]
    if variable.startswith("I("):  # I(api00 - api99): the column first
        frame = frame.assign(derived=frame.eval(variable[2:-1]))
        variable = "derived"
    survey = reference_survey(case, frame)
    design = call["design"]
    if design != "design":
        survey = survey.subset(re.fullmatch(r"subset\(design, (.+)\)", design).group(1))
    group = None if call["group"] in ("0", "1") else call["group"]
    row = estimate.ttest(survey, variable, group, min_n=0).iloc[0]
    assert row["contrast"] == ("mean" if group is None else "Yes - No")
    check_ttest_row(row, case["result"], case["id"], "svyttest")


# --------------------------------------------------------------------------- svycontrast


def contrast_table(survey: Survey, stat_call: str) -> pd.DataFrame:
    """The table of the R statistic, indexed by R's coefficient names."""
    if stat_call.startswith("svyby(~api00, ~stype"):
        return estimate.mean(survey, "api00", by="stype", min_n=0).set_index("stype")
    kind = {"svymean": "mean", "svytotal": "total"}[stat_call.split("(")[0]]
    return getattr(estimate, kind)(survey, ["api00", "api99"], min_n=0).set_index("variable")


@pytest.mark.parametrize("case", cases("svycontrast"))
def test_contrast(case: dict) -> None:
    result = case["result"]
    survey = reference_survey(case)
    table = contrast_table(survey, result["stat_call"])
    assert [str(i) for i in table.index] == result["names"]
    for value, expected in zip(table["estimate"], result["estimates"], strict=True):
        close(value, expected, f"{case['id']} estimate", "svycontrast")
    # the covariance matrix, entry by entry, through contrasts of pairs of rows
    k = len(result["names"])
    covariance = np.array(result["covariance"]).reshape(k, k, order="F")
    unit = np.eye(k)
    variances = estimate.contrast(table, unit)["se"].to_numpy() ** 2
    sums = estimate.contrast(table, np.array([unit[i] + unit[j] for i in range(k) for j in range(k)]))["se"].to_numpy() ** 2
    for i in range(k):
        close(variances[i], covariance[i, i], f"{case['id']} var {i}", "svycontrast")
        for j in range(k):
            if i != j:  # by difference of variances: relative to their size (0 across strata)
                scale = np.sqrt(variances[i] * variances[j])
                assert (sums[i * k + j] - variances[i] - variances[j]) / 2 == pytest.approx(covariance[i, j], abs=1e-10 * scale)
    for expected in result["contrasts"]:
        for coefficients in (expected["weights"], list(expected["weights"].values())):
            row = estimate.contrast(table, coefficients).iloc[0]
            what = f"{case['id']} {expected['name']}"
            close(row["estimate"], expected["estimate"], what, "svycontrast")
            close(row["se"], expected["se"], f"{what} se", "svycontrast")
            assert row["df"] == expected["df"]
            check_interval(row, expected["ci_low"], expected["ci_high"], what)
    named = estimate.contrast(table, {c["name"]: c["weights"] for c in result["contrasts"]})
    assert named["contrast"].tolist() == [c["name"] for c in result["contrasts"]]
    np.testing.assert_allclose(named["se"], [c["se"] for c in result["contrasts"]], rtol=RTOL)


# --------------------------------------------------------------------------- the embedded survey


@pytest.mark.parametrize("case", cases("embedded"))
def test_embedded_survey(case: dict) -> None:
    survey = reference_survey(case)
    result = case["result"]
    if result["kind"] == "svyratio":
        overall = estimate.ratio(survey, result["numerator"], result["denominator"], min_n=0).iloc[0]
        expected = result["overall"]
        close(overall["estimate"], expected["estimate"], "embedded ratio", "embedded")
        close(overall["se"], expected["se"], "embedded ratio se", "embedded")
        assert overall["df"] == expected["df"]
        check_interval(overall, expected["ci_low"], expected["ci_high"], "embedded ratio")
        table = estimate.ratio(survey, result["numerator"], result["denominator"], by=result["by"], min_n=0)
        check_ratio_rows(table, result["by"], result["rows"], "embedded ratio", "embedded")
    elif result["kind"] == "svyquantile":
        for block in result["overall"]:
            probabilities = [r["p"] for r in block["rows"]]
            table = estimate.quantile(survey, result["variable"], q=probabilities, qrule=block["qrule"], min_n=0)
            for expected, (_, row) in zip(block["rows"], table.iterrows(), strict=True):
                check_quantile_row(row, expected, expected["quantile"], f"embedded {block['qrule']} {expected['p']}", "embedded")
        table = estimate.quantile(survey, result["variable"], by=result["by"], min_n=0)
        check_quantile_by(table, result["by"], result["rows"], "embedded median", "embedded")
    else:
        check_ttest_row(estimate.ttest(survey, result["variable"], result["group"], min_n=0).iloc[0], result["overall"],
                        "embedded ttest", "embedded")
        table = estimate.ttest(survey, result["variable"], result["group"], by=result["by"], min_n=0)
        assert list(table[result["by"]].astype(str)) == [r["level"] for r in result["rows"]]
        for expected, (_, row) in zip(result["rows"], table.iterrows(), strict=True):
            check_ttest_row(row, expected, f"embedded ttest {expected['level']}", "embedded")
