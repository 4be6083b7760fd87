"""cbss.show(table): labels, estimates with intervals, suppressed cells marked, a caption with the method and the notice."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import cbss_analysis as cbss
from cbss_analysis import estimate, models
from cbss_analysis.common.notices import SYNTHETIC_BADGE, SYNTHETIC_NOTICE
from cbss_analysis.display import EstimateTable, show
from cbss_analysis.errors import TableError


def test_show_is_lazy_and_leaves_the_frame_a_frame(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by=["state", "sex"], min_n=10)
    shown = cbss.show(table)
    assert isinstance(shown, EstimateTable) and shown.table is table
    assert isinstance(table, pd.DataFrame) and table.columns[0] == "variable"


def test_labels_intervals_and_caption(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by=["state", "sex"], min_n=10, ci="beta")
    shown = show(table)
    frame = shown.frame
    assert frame.columns.tolist() == ["state", "sex", "estimate (%)", "95% CI", "n", "deff"]
    assert shown.title == "Cyberbullied at least once" and shown.keys == 2  # one indicator: a heading, not a column
    assert set(frame["state"]) == {"Estonia", "Finland"}
    row = table.iloc[0]
    assert frame["estimate (%)"].iloc[0] == f"{100 * row['estimate']:.1f}"
    assert frame["95% CI"].iloc[0] == f"{100 * row['ci_low']:.1f}\u2013{100 * row['ci_high']:.1f}"
    assert "Korn-Graubard (beta) intervals" in shown.caption and "95%" in shown.caption
    assert "fewer than 10 respondents are suppressed" in shown.caption
    assert shown.caption.endswith(SYNTHETIC_NOTICE)
    page = shown._repr_html_()
    assert SYNTHETIC_BADGE in page and "<table class='cbss-table'>" in page
    assert "<strong>Cyberbullied at least once</strong>" in page
    text = repr(shown)
    assert text.startswith(f"[{SYNTHETIC_BADGE}]\nCyberbullied at least once\n")
    several = show(estimate.proportion(small_survey, ["cyberbullied", "smd_two"], by="state", min_n=10))
    assert several.title == "" and several.frame.columns[0] == "indicator" and several.keys == 2


def test_suppressed_cells_are_marked(small_survey):
    table = estimate.proportion(small_survey, "ever_had_sex", by=["state", "sex"], min_n=30)
    assert table["suppressed"].any()
    shown = show(table)
    hidden = shown.frame.loc[table["suppressed"].to_numpy(), "estimate (%)"]
    assert all(cell.startswith("suppressed (n") and cell.endswith("< 30)") for cell in hidden)
    assert "class='cbss-suppressed'" in shown._repr_html_()


def test_wide_display(small_survey):
    table = estimate.proportion(small_survey, ["cyberbullied", "smd_two"], by=["state", "sex"], min_n=10)
    wide = show(table, columns="sex")
    assert wide.frame.columns.tolist() == ["indicator", "state", "Boy", "Girl"]
    assert wide.keys == 2 and wide.caption == show(table).caption
    single = show(estimate.proportion(small_survey, "cyberbullied", by=["state", "sex"], min_n=10), columns="sex")
    assert single.frame.columns.tolist() == ["state", "Boy", "Girl"] and single.title == "Cyberbullied at least once"


def test_comparisons_means_and_models(small_survey):
    compared = estimate.compare(estimate.proportion(small_survey, "cyberbullied", by="state", min_n=10))
    shown = show(compared)
    assert {"difference (pp)", "p (Holm)", "estimate (%)", "reference (%)"} <= set(shown.frame.columns)
    assert "design covariance" in shown.caption
    means = show(estimate.mean(small_survey, "smd_mean", by="agecat", min_n=10))
    assert "estimate" in means.frame.columns and "t intervals" in means.caption
    fit = models.logistic(small_survey, "cyberbullied ~ C(sex)", min_n=10)
    odds = show(fit)
    assert "odds ratio" in odds.frame.columns and odds.frame["term"].tolist()[0] == "Intercept"
    assert odds.title == "cyberbullied"


def test_escapes_and_refuses_respondent_rows(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by="state", min_n=10)
    page = show(table, labels={"cyberbullied": "<img src=x onerror=alert(1)>"}, source="<b>s</b>")._repr_html_()
    assert "<img" not in page and "&lt;img" in page and "<b>s</b>" not in page
    with pytest.raises(TableError, match="not respondent rows"):
        show(small_survey.data)
    with pytest.raises(TableError, match="is not a key of the table; did you mean 'state'"):
        show(table, columns="stat")


def test_labels_from_a_hostile_codebook_are_escaped(small_survey):
    codebook = small_survey.codebook
    indicators = dict(codebook.indicators)
    indicators["cyberbullied"] = dataclasses.replace(indicators["cyberbullied"], label="</table><script>x</script>")
    survey = type(small_survey)(small_survey.data, small_survey.design, dataclasses.replace(codebook, indicators=indicators))
    page = show(estimate.proportion(survey, "cyberbullied", min_n=10))._repr_html_()
    assert "<script>" not in page and page.count("</table>") == 1


def test_long_tables_say_what_they_leave_out(small_survey):
    table = estimate.proportion(small_survey, "cbeenbullied", by=["state", "sex", "agecat"], min_n=0)
    shown = show(table, max_rows=7)
    assert len(shown.frame) == 7 and shown.left_out == len(table) - 7
    assert f"{len(table) - 7:,} more rows not shown" in shown._repr_html_()
