"""plots.trend_plot: each state across the cycles, the regional average and the breaks (issue #13)."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from cbss_analysis import estimate, plots
from cbss_analysis.errors import PlotError
from cbss_analysis.plots.style import alt_text
from tests.estimate.test_trends import stacked_survey


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    survey = stacked_survey(tmp_path_factory.mktemp("codebooks"), break_before_2018=True)
    table = estimate.proportion(survey, ["y_yes", "y_no"], by=["cycle", "state"], min_n=200)
    return table, estimate.regional_average(table), estimate.trend(table)


def test_a_line_per_state_the_average_and_the_break(tables):
    table, average, trend = tables
    figure = plots.trend_plot(table, "y_yes", average=average, trend=trend, title="Outcome yes")
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2009/10", "2013/14", "2017/18"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    suppressed = table[(table["variable"] == "y_yes") & table["suppressed"]]
    assert set(suppressed["state"].astype(str)) == {"DK", "LT"}  # LT 2009/10 below 200, two more by the margin rule
    assert labels == ["DK", "EE", "regional average", "break in the series"]  # every LT estimate is suppressed
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_xdata()[0] == pytest.approx(2016.0)  # between 2014 and 2018
    text = alt_text(figure)
    assert "break: 2013/14 to 2017/18 (the question changed in 2017/18)" in text
    assert f"{len(suppressed)} suppressed estimate(s) left out" in text


def test_a_comparable_series_has_no_break_and_states_can_be_chosen(tables):
    table, _, trend = tables
    figure = plots.trend_plot(table, "y_no", states=["DK"], trend=trend)
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["DK"]
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]


def test_a_table_without_cycles_is_a_one_line_error(tables):
    table, _, _ = tables
    with pytest.raises(PlotError, match="trend_plot: the table has no 'year' column"):
        plots.trend_plot(table, "y_yes", over="year")
