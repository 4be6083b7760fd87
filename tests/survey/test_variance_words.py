"""survey.variance_words: the words for how standard errors are computed come from the survey's own design."""

from __future__ import annotations

import pandas as pd

from cbss_analysis.methods import design_sentence
from cbss_analysis.survey import Survey
from cbss_analysis.survey.variance_words import variance_method


def test_a_taylor_survey_says_taylor(clus1: Survey) -> None:
    assert variance_method(clus1) == "Taylor linearisation"
    assert "(Taylor linearisation, as R's survey package)" in design_sentence(clus1)


def test_a_replicate_survey_never_says_taylor(clus1: Survey) -> None:
    survey = clus1.to_replicate("JK1")
    assert variance_method(survey) == "replicate weights (JK1, 15 replicates)"
    assert "Taylor" not in design_sentence(survey) and "replicate weights (JK1, 15 replicates)" in design_sentence(survey)


def test_calibration_is_named_after_the_method(clus1: Survey) -> None:
    weight = clus1.design_arrays().weight
    counts = pd.Series(weight).groupby(clus1.data["stype"].astype(str).to_numpy()).sum()
    population = pd.DataFrame({"stype": counts.index, "Freq": counts.to_numpy() * 2})
    stratified = clus1.post_stratify("stype", population)
    assert variance_method(stratified) == "Taylor linearisation, post-stratified weights"
    assert variance_method(stratified.to_replicate("JK1")).endswith("replicates), post-stratified weights")


def test_tables_of_a_replicate_survey_say_so_in_their_captions(clus1: Survey) -> None:
    import cbss_analysis as cbss
    from cbss_analysis import estimate, tables

    table = estimate.mean(clus1.to_replicate("JK1"), "api00", by="stype", min_n=0)
    assert table.attrs["variance"] == "replicate weights (JK1, 15 replicates)"
    for caption in (tables.format_estimates(table).caption, cbss.show(table).caption):
        assert "replicate weights (JK1, 15 replicates)" in caption and "Taylor" not in caption
    assert "Taylor linearisation" in tables.format_estimates(estimate.mean(clus1, "api00", min_n=0)).caption
