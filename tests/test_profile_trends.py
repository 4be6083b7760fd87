"""profile_trends: a state profile's trends section (issue #13)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cbss_analysis import estimate, profile_trends
from cbss_analysis.estimate import significance
from cbss_analysis.notebook import setup, start, trend_cycles
from cbss_analysis.plots.state_trends import state_trend_plot
from cbss_analysis.plots.style import alt_text
from cbss_analysis.survey import load_survey
from cbss_analysis.synthetic.cycles import embedded_cycle_paths
from tests.estimate.test_trends import stacked_survey


@pytest.fixture(scope="module")
def trends(tmp_path_factory):
    survey = stacked_survey(tmp_path_factory.mktemp("codebooks"), break_before_2018=True)
    return profile_trends.state_trends(survey, ["y_yes", "y_no"], "EE", ["DK", "EE", "LT"], min_n=200)


def test_the_state_and_the_region_are_marked_by_one_holm_family(trends):
    changes = trends.changes
    assert list(changes["series"]) == ["EE", profile_trends.REGION, "EE", profile_trends.REGION]
    assert set(changes["comparison"]) == {"first_last"} and set(changes["from"]) == {"2009/10"}
    p = changes["p_value"].to_numpy(dtype=float)
    np.testing.assert_allclose(changes["p_adjusted"], significance.adjusted(p))
    assert changes.attrs["significance"]["family"] == int(np.isfinite(p).sum()) == 4
    assert (changes["difference"] == changes["change"]).all()
    assert (changes["significant"] == (changes["p_adjusted"] < 0.05)).all()


def test_the_table_has_the_state_the_region_and_the_pooled_rows(trends):
    shown = profile_trends.trend_table(trends)
    assert list(shown.frame["Series"]) == ["Estonia", profile_trends.REGION, profile_trends.POOLED] * 2
    assert list(shown.frame.columns[2:5]) == ["2009/10", "2013/14", "2017/18"]
    assert trends.changes.attrs["significance"]["text"] in shown.caption
    assert "not the CBSS region" in shown.caption and "across a break" in shown.frame.iloc[0]["Change, first to last"]
    assert (shown.frame.loc[shown.frame["Series"] == profile_trends.POOLED, "2017/18"] == "–").all()  # no such figure


def test_the_figure_says_the_rule_and_draws_a_panel_per_indicator(trends):
    figure = state_trend_plot(trends.estimates, trends.averages, trends.changes, "EE", trend=trends.changes)
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 2
    assert trends.changes.attrs["significance"]["text"] in alt_text(figure)


def test_published_changes_carry_the_marks(trends):
    out = profile_trends.published_changes(trends)
    assert set(out["series"]) == {"Estonia", profile_trends.REGION}
    assert out.attrs["significance"] == trends.changes.attrs["significance"]


def test_embedded_cycles_reuse_the_loaded_survey_and_give_the_same_estimates():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey, _, params = start(None, None, [], 30, state="EE")
        reused = trend_cycles(None, survey, params)
        read = load_survey(embedded_cycle_paths())
    ids = ["been_bullied", "easy_talk_mother"]
    a = estimate.proportion(reused, ids, by=["cycle", "state"], min_n=30)
    b = estimate.proportion(read, ids, by=["cycle", "state"], min_n=30)
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-12)
    trends = profile_trends.state_trends(reused, ids, "EE", params.states, 30)
    pooled = profile_trends.trend_table(trends).frame.set_index(["Indicator", "Series"])
    assert pooled.loc[("been_bullied", profile_trends.POOLED), "2017/18"] == "10.7%"  # HBSC2018OAed1.1, beenbullied


def test_another_survey_without_trend_files_has_no_trend_section(tmp_path, capsys):
    other = tmp_path / "other.sav"
    other.write_bytes(b"")
    params = setup(str(other), None, [], 30, state="EE")
    assert trend_cycles(None, None, params) is None
    assert "trend_paths" in capsys.readouterr().out


def test_the_committed_profile_records_the_state_changes_with_intervals():
    from cbss_analysis import paths
    from cbss_analysis.records import read_record_details

    details = read_record_details(paths.NOTEBOOKS_DIR / "06_state_profile.ipynb")
    for name in ("been_bullied_trend_change_pp", "easy_talk_mother_trend_change_pp"):
        assert details[name]["unit"] == "pp" and len(details[name]["interval"]) == 2
        assert "2001/02 to 2017/18" in details[name]["label"]
