"""Rich displays of a Survey and a Codebook: what they hold, escaped, never a respondent row."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from IPython.lib.pretty import pretty

from cbss_analysis.common.notices import SYNTHETIC_BADGE, SYNTHETIC_NOTICE
from cbss_analysis.survey import Survey
from cbss_analysis.survey.summary import OTHER_THEME, codebook_html, indicator_themes, survey_html, survey_text

HOSTILE = "<script>alert('x')</script> & \x1b[31mred"


def _hostile(survey: Survey) -> Survey:
    codebook = survey.codebook
    indicators = dict(codebook.indicators)
    indicators["cyberbullied"] = dataclasses.replace(indicators["cyberbullied"], label=HOSTILE)
    variables = dict(codebook.variables)
    variables["sex"] = dataclasses.replace(variables["sex"], label=HOSTILE)
    codebook = dataclasses.replace(codebook, title=HOSTILE, indicators=indicators, variables=variables)
    return Survey(survey.data, survey.design, codebook, source=survey.source)


def test_survey_html_lists_what_it_holds(small_survey):
    page = small_survey._repr_html_()
    assert "240 respondents" in page and "valid.csv" in page
    assert str(small_survey.source.parent) not in page
    assert SYNTHETIC_BADGE in page and SYNTHETIC_NOTICE in page
    assert "States</th><td style='text-align:left'>2:" in page
    assert "Design" in page and "degrees of freedom" in page
    assert "<code>mini</code>" in page
    for indicator in small_survey.indicator_ids:
        assert f"<code>{indicator}</code>" in page
    assert "Protecting children from sexual violence and exploitation (1)" in page  # the strategy's title
    assert "Cycles" not in page


def test_survey_text_is_the_plain_fallback(small_survey):
    text = pretty(small_survey)
    assert text == survey_text(small_survey)
    assert text.splitlines()[0] == "Survey: 240 respondents from valid.csv"
    assert f"{SYNTHETIC_BADGE}: {SYNTHETIC_NOTICE}" in text
    assert "cyberbullied: Cyberbullied at least once" in text
    assert repr(small_survey).startswith("<Survey: 240 respondents")  # repr stays one line for logs


def test_displays_escape_every_text_from_files(small_survey):
    survey = _hostile(small_survey)
    for page in (survey_html(survey), codebook_html(survey.codebook)):
        assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page
    for text in (survey_text(survey), pretty(survey.codebook)):
        assert "\x1b" not in text


def test_no_respondent_rows_the_display_depends_on_counts_only(small_survey):
    data = small_survey.data
    shuffled = data.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled["age"] = np.random.default_rng(1).uniform(11, 16, len(shuffled))
    other = Survey(shuffled, small_survey.design, small_survey.codebook, source=small_survey.source)
    assert survey_html(other) == survey_html(small_survey)
    assert survey_text(other) == survey_text(small_survey)


def test_cycles_are_listed_when_there_are_several(small_survey):
    frame = small_survey.data.assign(cycle=np.where(np.arange(len(small_survey.data)) % 2 == 0, "2018", "2022"))
    survey = Survey(frame, small_survey.design, small_survey.codebook, source=small_survey.source)
    assert "Cycles</th><td style='text-align:left'>2: 2018 120, 2022 120" in survey_html(survey)
    assert "Cycles (2): 2018 120, 2022 120" in survey_text(survey)


def test_themes_follow_the_first_priority_area_then_the_module(small_survey, embedded):
    themes = indicator_themes(small_survey.codebook)
    assert themes == {"Protecting children from sexual violence and exploitation": ["cyberbullied"],
                      OTHER_THEME: ["bullied_often", "ever_had_sex", "smd_two", "smd_mean"]}
    big = indicator_themes(embedded.codebook, embedded.indicator_ids)
    assert sorted(i for ids in big.values() for i in ids) == sorted(embedded.indicator_ids)
    assert next(iter(big)) == "Prevention, early intervention, parenting and family support"
    assert "psmu" in big[next(iter(big))] and "told_adult" in big["Child-friendly justice"]


def test_the_embedded_survey_display(embedded):
    page = embedded._repr_html_()
    assert "47,421 respondents" in page and "cbss_synthetic_hbsc2018.sav" in page
    assert "States</th><td style='text-align:left'>11:" in page
    assert f"Indicators it can compute</strong> ({len(embedded.indicator_ids)}, by theme)" in page
    assert len(page) < 40_000
    codebook = embedded.codebook._repr_html_()
    assert f"Variables</strong> ({len(embedded.codebook.variables)})" in codebook and "cbss_online_risk.yaml" in codebook
    assert pretty(embedded.codebook).startswith("Codebook cbss_synthetic: SYNTHETIC DATA")


def test_estimate_tables_carry_their_labels(small_survey):
    from cbss_analysis import estimate

    table = estimate.proportion(small_survey, ["cyberbullied", "sex"], by="state")
    assert table.attrs["labels"] == {"cyberbullied": "Cyberbullied at least once", "sex": "Sex"}
    assert isinstance(table, pd.DataFrame)
