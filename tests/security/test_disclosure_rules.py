"""The rules of cbss_analysis.disclosure, checked on surveys built to have small cells.

A suppressed cell shows neither its estimate nor its counts; no line of a table (cells one ``by``
column apart) leaves a small group to be recovered from its margin; an estimate that counts another
indicator's population is suppressed where that count is small; overviews, models and scale
reliability follow the same rules.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.text import Text

from cbss_analysis import Survey, context, estimate, models, overview, plots, scales, tables
from cbss_analysis.disclosure import linked_sets, suppress
from cbss_analysis.survey import design_from_codebook
from cbss_analysis.survey.codebook import load_codebook

TESTS = Path(__file__).resolve().parents[1]
MINI = TESTS / "fixtures" / "mini_codebook.yaml"
VALID = TESTS / "bad_inputs" / "valid.csv"
MIN_N = 30
HIDDEN = ["estimate", "se", "ci_low", "ci_high", "deff", "df", "n", "n_weighted"]


@pytest.fixture(scope="module")
def derived(tmp_path_factory) -> Survey:
    """Three states; among the 15-year-olds, 5 (EE), 40 (FI) and 60 (LV) had sex: the population of condom_last_sex."""
    raw = yaml.safe_load(MINI.read_text())
    raw["variables"].append({"name": "condom", "label": "Condom used", "type": "binary", "missing": [99],
                             "values": {1: "Yes", 2: "No"}, "asked_of": {"agecat": [3], "hadsex": [1]}})
    raw["indicators"].append({"id": "condom_last_sex", "label": "Condom at last sex", "variables": ["condom"],
                              "rule": {"in": [1]}, "population": {"agecat": [3], "hadsex": [1]}})
    path = tmp_path_factory.mktemp("derived") / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    codebook = load_codebook(path)
    base = pd.read_csv(VALID)
    blocks = []
    for country, active in ((233000, 5), (246000, 40), (428000, 60)):
        block = base.copy()
        block["countryno"] = country
        older = np.flatnonzero(block["agecat"] == 3)
        block["hadsex"] = 99
        block.loc[older, "hadsex"] = 2
        block.loc[older[:active], "hadsex"] = 1
        block["condom"] = np.where(block["hadsex"] == 1, np.where(np.arange(len(block)) % 2 == 0, 1, 2), 99)
        blocks.append(block)
    frame = pd.concat(blocks, ignore_index=True)
    return Survey(frame, design_from_codebook(codebook), codebook)


@pytest.fixture(scope="module")
def small_state() -> Survey:
    """The mini survey with two school classes (about 20 respondents) moved to a third state, LV."""
    codebook = load_codebook(MINI)
    frame = pd.read_csv(VALID)
    ee = frame[frame["countryno"] == 233000]
    region = ee.groupby("region")["cluster"].nunique().idxmax()
    moved = sorted(ee.loc[ee["region"] == region, "cluster"].unique())[:2]
    frame.loc[(frame["countryno"] == 233000) & frame["cluster"].isin(moved), "countryno"] = 428000
    return Survey(frame, design_from_codebook(codebook), codebook)


def _line_totals_ok(hidden: np.ndarray, counts: np.ndarray, lines: pd.Series) -> bool:
    totals = pd.Series(np.where(hidden, counts, 0)).groupby(lines.to_numpy()).sum()
    return bool(((totals == 0) | (totals >= MIN_N)).all())


def test_a_suppressed_cell_shows_neither_estimate_nor_counts(derived: Survey) -> None:
    table = estimate.proportion(derived, "condom_last_sex", by="state").set_index("state")
    truth = estimate.proportion(derived, "condom_last_sex", by="state", min_n=0).set_index("state")
    assert truth.loc["EE", "n"] == 5
    assert table.loc["EE", "suppressed"]
    assert table.loc["EE", HIDDEN].isna().all()
    assert table["n"].dtype == "Int64" and pd.isna(table.loc["EE", "n"])
    assert not table.loc["LV", "suppressed"] and table.loc["LV", "n"] == 60


def test_a_suppressed_cell_is_not_left_alone_in_its_line(derived: Survey) -> None:
    table = estimate.proportion(derived, "condom_last_sex", by="state").set_index("state")
    # EE (5) alone would be the whole-sample count minus FI and LV: FI, the smallest other state, is suppressed too
    assert table.loc["FI", "suppressed"] and table.loc[["EE", "FI"], HIDDEN].isna().all().all()


def test_derived_population_numerator_is_not_revealed(derived: Survey) -> None:
    assert linked_sets(derived.codebook, "ever_had_sex", categorical=False) == [("hadsex", frozenset({1}))]
    ever = estimate.proportion(derived, "ever_had_sex", by="state").set_index("state")
    truth = estimate.proportion(derived, "ever_had_sex", by="state", min_n=0).set_index("state")
    assert truth.loc["EE", "n"] >= MIN_N, "ever_had_sex has enough respondents in EE..."
    assert ever.loc["EE", "suppressed"], "...but its positive count (5) is condom_last_sex's suppressed n"
    assert ever.loc["EE", HIDDEN].isna().all()
    # the margin: the shown states' positive counts subtracted from the whole sample leave >= min_n, never 5
    positives = (truth["estimate"] * truth["n"]).round()
    assert positives[ever["suppressed"]].sum() >= MIN_N
    assert not ever.loc["LV", "suppressed"]
    # the categories of hadsex give the same count away: suppressed alike
    categories = estimate.proportion(derived, "hadsex", by="state")
    assert categories.loc[categories["state"] == "EE", "suppressed"].all()
    assert categories.loc[categories["state"] == "EE", "estimate"].isna().all()


def test_the_two_tables_together_do_not_give_the_numerator(derived: Survey) -> None:
    condom = estimate.proportion(derived, "condom_last_sex", by="state").set_index("state")
    ever = estimate.proportion(derived, "ever_had_sex", by="state").set_index("state")
    for table in (condom, ever):
        shown = table.loc[~table["suppressed"]]
        assert "EE" not in shown.index
        assert shown[["n", "n_weighted"]].notna().all().all()
    overall = estimate.proportion(derived, "ever_had_sex", min_n=0)
    weighted_positive = float(overall["estimate"].iloc[0] * overall["n_weighted"].iloc[0])
    shown_positive = float((ever.loc[~ever["suppressed"], "estimate"] * ever.loc[~ever["suppressed"], "n_weighted"]).sum())
    ee_truth = estimate.proportion(derived, "ever_had_sex", by="state", min_n=0).set_index("state").loc["EE"]
    assert weighted_positive - shown_positive > 3 * ee_truth["estimate"] * ee_truth["n_weighted"]


def test_rules_are_off_with_min_n_zero(derived: Survey) -> None:
    for name in ("condom_last_sex", "ever_had_sex"):
        table = estimate.proportion(derived, name, by="state", min_n=0)
        assert not table["suppressed"].any() and table["n"].notna().all()


def test_two_way_tables_protect_every_line(derived: Survey) -> None:
    table = estimate.proportion(derived, ["cyberbullied", "ever_had_sex", "sex"], by=["state", "agecat"], min_n=MIN_N)
    truth = estimate.proportion(derived, ["cyberbullied", "ever_had_sex", "sex"], by=["state", "agecat"], min_n=0)
    hidden = table["suppressed"].to_numpy()
    counts = truth["n"].to_numpy(dtype=float)
    key = truth["variable"].astype(str) + "|" + truth["level"].astype(str)
    assert _line_totals_ok(hidden, counts, key + "|" + truth["state"].astype(str))
    assert _line_totals_ok(hidden, counts, key + "|" + truth["agecat"].astype(str))
    sex = table[table["variable"] == "sex"]
    assert (sex.groupby(["state", "agecat"], observed=True)["suppressed"].nunique() == 1).all(), "categories together"
    assert table.loc[hidden, "n"].isna().all()


def test_compare_cannot_recover_a_suppressed_estimate(derived: Survey) -> None:
    table = estimate.proportion(derived, "condom_last_sex", by="state")
    tampered = table.assign(suppressed=False)
    tampered.attrs = table.attrs
    result = estimate.compare(tampered).set_index("state")
    assert result.loc[["EE", "FI"], ["estimate", "difference"]].isna().all().all()
    assert result.loc["EE", "n"] is pd.NA or pd.isna(result.loc["EE", "n"])


def test_suppress_keeps_already_suppressed_rows_and_hides_their_counts() -> None:
    table = pd.DataFrame({"variable": ["x"] * 3, "state": ["EE", "LV", "LT"], "estimate": [0.1, 0.2, 0.3], "n": [40, 12, 50],
                          "n_weighted": [40.0, 12.0, 50.0], "suppressed": [False] * 3})
    out = suppress(table, min_n=MIN_N, by=["state"])
    assert list(out["suppressed"]) == [True, True, False], "LV (12) and its partner EE (40), the smallest other cell"
    assert out.loc[:1, ["estimate", "n", "n_weighted"]].isna().all().all()


def test_overview_tables_suppress_small_groups(small_state: Survey) -> None:
    lv = int((small_state.data["state"] == "LV").sum())
    assert 0 < lv < MIN_N
    sizes = overview.sample_sizes(small_state, by="state").set_index("state")
    assert sizes.loc["LV", "suppressed"] and sizes.loc["LV", ["n", "n_weighted", "share_weighted"]].isna().all()
    assert len(small_state) - sizes["n"].sum() >= MIN_N, "the total minus the shown groups is not the small group"
    weights = overview.weight_summary(small_state).set_index("state")
    assert not {"min", "max"} & set(weights.columns), "no single respondent's weight"
    assert weights.loc["LV", ["n", "p10", "median", "p90", "mean", "deff_weighting", "effective_n"]].isna().all()
    design = overview.design_summary(small_state).set_index("state")
    assert design.loc["LV", ["n", "strata", "psus", "mean_cluster_size", "df"]].isna().all()
    missing = overview.missingness(small_state, ["hadsex", "cbeenbullied"])
    assert missing.loc[missing["state"] == "LV", ["asked", "missing", "not_asked"]].isna().all().all()
    by_sex = overview.sample_sizes(small_state, by=["state", "sex"])
    assert by_sex.loc[by_sex["state"] == "LV", "n"].isna().all()


def test_missingness_protects_the_number_asked(derived: Survey) -> None:
    table = overview.missingness(derived, ["condom"]).set_index("state")
    assert table.loc["EE", "suppressed"] and pd.isna(table.loc["EE", "asked"]), "5 asked: condom_last_sex's population"
    assert table.loc["LV", "asked"] == 60


def test_models_and_scales_follow_the_same_rules(small_state: Survey) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = models.linear(small_state, "age ~ C(sex)", by="state")
    small = fit[fit["state"] == "LV"]
    assert small["suppressed"].all() and small[["estimate", "se", "n", "df", "p_value"]].isna().all().all()
    assert fit.groupby("state", observed=True)["suppressed"].any().sum() >= 2, "a partner fit is suppressed too"
    reliability = scales.alpha(small_state, ["smd1", "smd2", "smd3"], by="state").set_index("state")
    assert reliability.loc["LV", "suppressed"] and reliability.loc["LV", ["alpha", "n"]].isna().all()
    assert reliability["suppressed"].sum() >= 2


def test_codebook_coverage_hides_small_valid_counts(derived: Survey) -> None:
    coverage = overview.codebook_coverage(derived, min_n=200).set_index("name")
    assert np.isnan(coverage.loc["condom_last_sex", "valid_share"])  # 105 valid, under 200
    assert coverage.loc["sex", "valid_share"] == 1.0


def test_every_consumer_works_with_hidden_counts(derived: Survey) -> None:
    table = estimate.proportion(derived, ["condom_last_sex", "ever_had_sex"], by=["state", "sex"])
    assert table["suppressed"].any() and table["n"].isna().any()
    shown = tables.format_estimates(table)
    assert "suppressed" in shown.frame.iloc[:, 3].tolist() and shown.frame["n"].isna().any()
    assert "<NA>" not in shown._repr_html_()
    tables.format_wide(table.query("sex == 'Girl'"))
    differences = estimate.compare(table, reference="regional")
    assert differences.loc[differences["suppressed"], ["difference", "n"]].isna().all().all()
    plots.indicator_heatmap(differences.query("sex == 'Girl'"))
    one = table[table["variable"] == "condom_last_sex"]
    texts = [t.get_text() for t in plots.estimates_by_state(one, split="sex").findobj(Text)]
    assert any("suppressed (n < 30)" in t for t in texts)
    plots.gap_plot(one, by="sex", groups=["Boy", "Girl"])
    context.survey_beside_published(one, pd.DataFrame({"state": ["EE"], "sex": ["Girl"], "value_pct": [1.0], "source": ["x"]}))
