"""The explorer widget without a browser: controls -> choices -> view, redraws, one-line problems, fallbacks."""

from __future__ import annotations

import html

import pytest

import cbss_analysis as cbss
from cbss_analysis.common.notices import SYNTHETIC_BADGE
from cbss_analysis.errors import EstimationError
from cbss_analysis.explorer import Choices
from cbss_analysis.explorer.widget import ALL_THEMES, FALLBACK, NONE, Explorer, code_html

pytest.importorskip("ipywidgets")


@pytest.fixture()
def explorer(small_survey) -> Explorer:
    return cbss.explore(small_survey)


def test_starts_on_the_first_indicator_by_state(explorer, small_survey):
    assert explorer.choices == Choices(("cyberbullied",), by="state")
    assert explorer.theme.value == "Protecting children from sexual violence and exploitation"
    assert explorer.indicators.options == (("Cyberbullied at least once", "cyberbullied"),)
    assert [label for label, _ in explorer.by.options] == ["State", "Sex", "Age group", "Whole sample"]
    assert explorer.states.value == ("FI", "EE") and not explorer.states.disabled
    assert len(explorer.figures.children) == 1 and explorer.figures.children[0].value[:4] == b"\x89PNG"
    assert "Cyberbullied at least once" in explorer.table.value
    assert html.escape(explorer.code) in explorer.code_panel.value and "Copy code" in explorer.code_panel.value
    assert explorer.status.value.count("Drawn in") == 1 and explorer.last_seconds > 0


def test_controls_change_the_view_the_figure_and_the_code(explorer):
    before_png, before_code = explorer.figures.children[0].value, explorer.code
    explorer.theme.value = ALL_THEMES
    assert len(explorer.indicators.options) == 5 and explorer.indicators.value == ("cyberbullied",)
    explorer.indicators.value = ("bullied_often",)
    assert explorer.choices.indicators == ("bullied_often",)
    assert explorer.figures.children[0].value != before_png and '"bullied_often"' in explorer.code
    explorer.split.value = "sex"
    assert 'by=["state", "sex"]' in explorer.code and 'split="sex"' in explorer.code
    explorer.by.value = "agecat"
    assert explorer.states.disabled and "plots.estimates_by_group" in explorer.code
    assert 'by=["agecat", "sex"]' in explorer.code
    explorer.by.value = "state"
    explorer.states.value = ("EE",)
    assert 'keep_states(table, ["EE"])' in explorer.code
    explorer.ci.value = "wilson"
    assert 'ci="wilson"' in explorer.code
    explorer.min_n.value = 50
    assert "min_n=50" in explorer.code
    assert explorer.code != before_code


def test_a_theme_keeps_chosen_indicators_it_lists(explorer):
    explorer.theme.value = ALL_THEMES
    explorer.indicators.value = ("cyberbullied", "smd_mean")
    assert len(explorer.figures.children) == 2 and not explorer.ci.disabled
    explorer.theme.value = "Protecting children from sexual violence and exploitation"
    assert explorer.indicators.value == ("cyberbullied",)
    explorer.theme.value = ALL_THEMES
    explorer.indicators.value = ("smd_mean",)
    assert explorer.ci.disabled  # means have t intervals


def test_set_checks_and_writes_the_controls(explorer):
    explorer.set(indicators=("ever_had_sex",), by="sex", split="agecat")
    assert explorer.theme.value == ALL_THEMES and explorer.indicators.value == ("ever_had_sex",)
    assert (explorer.by.value, explorer.split.value) == ("sex", "agecat")
    explorer.set(by=None)
    assert explorer.by.value == "agecat" and explorer.split.value == NONE  # the split moved up
    with pytest.raises(EstimationError, match="did you mean 'sex'"):
        explorer.set(by="sexx")


def test_a_problem_is_one_line_in_the_status(explorer, monkeypatch):
    import cbss_analysis.explorer.widget as widget

    def fail(*args, **kwargs):
        raise EstimationError("explore: something the survey cannot show\nsecond line")

    monkeypatch.setattr(widget, "compute", fail)
    explorer.split.value = "sex"
    assert explorer.error == "explore: something the survey cannot show"
    assert explorer.status.value.startswith("<span style='color:#B00020'>EstimationError: explore: something")


def test_fallbacks_where_widgets_cannot_render(explorer, small_survey):
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"}
    assert bundle["text/plain"].startswith(f"cbss.explore: {FALLBACK}") and "estimate.proportion(survey" in bundle["text/plain"]
    page = bundle["text/html"]
    assert html.escape(FALLBACK) in page and SYNTHETIC_BADGE in page and "<table class='cbss-table'>" in page
    assert html.escape(explorer.code) in page
    assert repr(explorer) == bundle["text/plain"]


def test_the_code_panel_escapes_the_code():
    panel = code_html('x = "</pre><script>alert(1)</script>"')
    assert "<script>" not in panel and panel.count("</pre>") == 1


def test_the_embedded_explorer_redraws_from_its_cache(embedded):
    explorer = cbss.explore(embedded, indicators=("psmu",))
    explorer.split.value = "sex"
    first = explorer.last_seconds
    explorer.split.value = NONE
    explorer.split.value = "sex"
    assert explorer.last_seconds < max(first, 0.05)
    assert explorer.cache.hits >= 2


def test_a_static_html_export_shows_the_fallback(explorer):
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("cbss.explore(survey)")
    cell.outputs = [nbformat.v4.new_output("display_data", data=explorer._repr_mimebundle_())]
    notebook.cells = [cell]
    page, _ = HTMLExporter().from_notebook_node(notebook)
    assert FALLBACK in page and "cbss-table" in page and "Cyberbullied at least once" in page
    assert "estimate.proportion(survey" in page and "onclick" not in page.split("cbss-explorer-fallback")[1]
