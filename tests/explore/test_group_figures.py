"""estimates_by_group (any breakdown but the state, or none) and titles that fit their figure."""

from __future__ import annotations

import pytest

from cbss_analysis import estimate, plots
from cbss_analysis.errors import PlotError
from cbss_analysis.plots.style import TITLE_LINES


def _texts(figure):
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]


def test_by_age_group_split_by_sex(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by=["agecat", "sex"], min_n=10)
    figure = plots.estimates_by_group(table, "agecat", split="sex", title="Cyberbullied")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["11-year-olds", "13-year-olds", "15-year-olds"]
    assert ax.get_xlabel() == "cyberbullied (%)"
    assert {"Boy", "Girl"} <= set(_texts(figure))
    assert any("Synthetic data" in t for t in _texts(figure))


def test_whole_sample_and_suppressed_rows(small_survey):
    whole = plots.estimates_by_group(estimate.proportion(small_survey, "cyberbullied", min_n=10))
    assert [t.get_text() for t in whole.axes[0].get_yticklabels()] == ["All respondents"]
    table = estimate.mean(small_survey, "smd_mean", by="agecat", min_n=81)
    assert table["suppressed"].any()
    figure = plots.estimates_by_group(table, "agecat")
    assert any(t.startswith("suppressed (n") for t in _texts(figure))
    assert figure.png()[:4] == b"\x89PNG"


def test_bad_arguments_are_plot_errors(small_survey):
    table = estimate.proportion(small_survey, ["cyberbullied", "smd_two"], by="sex", min_n=10)
    with pytest.raises(PlotError, match="several variables"):
        plots.estimates_by_group(table, "sex")
    with pytest.raises(PlotError, match="same column as by"):
        plots.estimates_by_group(table, "sex", "cyberbullied", split="sex")
    with pytest.raises(PlotError, match="several values of .sex.; filter the table first"):
        plots.estimates_by_group(estimate.proportion(small_survey, "cyberbullied", by="sex", min_n=10), None)


def test_a_title_wider_than_its_figure_is_wrapped_and_bounded(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by="state", min_n=10)
    short = plots.estimates_by_state(table, title="Cyberbullied")
    assert short._suptitle.get_text() == "Cyberbullied"
    long = plots.estimates_by_state(table, title="Asked for a sexual picture or video of oneself in the past 12 months "
                                                  "(13- and 15-year-olds)")
    lines = long._suptitle.get_text().split("\n")
    assert len(lines) == 2 and "".join(lines).replace(" ", "") == "Askedforasexualpictureorvideoofoneselfinthepast12months(13-and15-year-olds)"
    renderer = long._get_renderer()
    assert long._suptitle.get_window_extent(renderer).x1 <= long.bbox.width
    huge = plots.estimates_by_state(table, title="word " * 2000)
    assert len(huge._suptitle.get_text().split("\n")) <= TITLE_LINES and huge._suptitle.get_text().endswith(("...", "\u2026"))
