"""cbss_analysis.overview: aggregate descriptions of a survey (sample, weights, design, missingness, coverage)."""

from __future__ import annotations

import numpy as np
import pytest

from cbss_analysis import Survey, overview
from cbss_analysis.survey import design_from_codebook


def test_sample_sizes_add_up(mini_survey, mini_frame):
    table = overview.sample_sizes(mini_survey, by=["state", "sex"])
    assert table["n"].sum() == len(mini_frame)
    np.testing.assert_allclose(table["n_weighted"].sum(), mini_frame["weight"].sum())
    np.testing.assert_allclose(table.groupby("state", observed=True)["share_weighted"].sum(), 1.0)


def test_weight_summary_kish(mini_survey, mini_frame):
    table = overview.weight_summary(mini_survey).set_index("state")
    w = mini_frame.loc[mini_frame["countryno"] == 233000, "weight"]
    assert table.loc["EE", "deff_weighting"] == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)


def test_design_summary(mini_survey):
    table = overview.design_summary(mini_survey).set_index("state")
    assert table.loc["EE", "psus"] == 12 and table.loc["EE", "strata"] == 2 and table.loc["EE", "df"] == 10


def test_missingness_separates_skips_from_non_response(mini_survey, mini_frame):
    table = overview.missingness(mini_survey, ["hadsex", "cbeenbullied"]).set_index(["variable", "state"])
    asked = mini_frame.loc[(mini_frame["countryno"] == 233000) & (mini_frame["agecat"] == 3)]
    assert table.loc[("hadsex", "EE"), "asked"] == len(asked)
    assert table.loc[("hadsex", "EE"), "missing"] == pytest.approx((asked["hadsex"] == 99).mean())
    ee = mini_frame["countryno"] == 233000
    assert table.loc[("cbeenbullied", "EE"), "missing"] == pytest.approx((mini_frame.loc[ee, "cbeenbullied"] == 99).mean())


def test_codebook_coverage_marks_what_is_absent(mini_frame, mini_codebook):
    survey = Survey(mini_frame.drop(columns="hadsex"), design_from_codebook(mini_codebook), mini_codebook)
    table = overview.codebook_coverage(survey).set_index("name")
    assert not table.loc["hadsex", "available"] and not table.loc["ever_had_sex", "available"]
    assert table.loc["cyberbullied", "available"]
