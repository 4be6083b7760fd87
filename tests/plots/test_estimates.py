"""cbss_analysis.plots.estimates: estimates by state and the gap between two groups."""

from __future__ import annotations

import pytest

from cbss_analysis import estimate, plots
from cbss_analysis.errors import PlotError
from tests.plots.figures import caption, data_axes, estimate_table, texts


def test_percent_axis_and_suppressed_cells_are_shown():
    figure = plots.estimates_by_state(estimate_table(), title="Cyberbullied")
    (ax,) = data_axes(figure)
    assert ax.get_xlabel() == "cyberbullied (%)"
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "Iceland"
    assert "suppressed (n=12 < 30)" in texts(figure)
    assert any("Regional mean: " in t for t in ax.get_legend_handles_labels()[1] + texts(figure))


def test_states_sorted_by_estimate_with_regional_line():
    figure = plots.estimates_by_state(estimate_table(suppressed=()))
    (ax,) = data_axes(figure)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Russia" and labels[-1] == "Denmark"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    mean = estimate_table(suppressed=())["estimate"].mean() * 100
    assert legend == [f"Regional mean: {mean:.1f}%"]


def test_fixed_reference_line_and_bad_reference():
    figure = plots.estimates_by_state(estimate_table(), reference=0.2)
    assert "Reference: 20.0%" in [t.get_text() for t in data_axes(figure)[0].get_legend().get_texts()]
    with pytest.raises(PlotError, match="reference='EE'"):
        plots.estimates_by_state(estimate_table(), reference="EE")


def test_gap_plot_labels_the_gap_and_suppressed_group():
    figure = plots.gap_plot(estimate_table(True), title="Gap")
    labels = texts(figure)
    assert "+3.0" in labels and "Girl: suppressed (n=12)" in labels


def test_gap_plot_needs_two_groups():
    table = estimate_table(True)
    table["sex"] = table["sex"].where((table["state"] != "EE") | (table["sex"] == "Boy"), "Other")
    with pytest.raises(PlotError, match="pass groups="):
        plots.gap_plot(table)
    assert plots.gap_plot(table, groups=["Boy", "Girl"]).get_suptitle()


def test_figures_accept_the_estimate_engine_tables(mini_survey):
    survey = mini_survey
    table = estimate.proportion(survey, ["cyberbullied", "bullied_often"], by=["state", "sex"], min_n=5)
    assert plots.estimates_by_state(table, "cyberbullied", split="sex").get_suptitle()
    assert plots.gap_plot(table, variable="cyberbullied").get_suptitle()
    by_state = estimate.proportion(survey, ["cyberbullied", "bullied_often"], by="state", min_n=5)
    figure = plots.indicator_heatmap(estimate.compare(by_state))
    assert ("Synthetic data" in caption(figure)) is survey.synthetic
    assert data_axes(figure)[0].get_xlabel() == "State"
