"""The package's figures, on hand-made estimate and comparison tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cbss_analysis import plots, states
from cbss_analysis.errors import DataError

CODES = states.state_codes()
COLUMNS = ["variable", "level", "state", "sex", "estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "deff",
           "suppressed", "df"]


def estimate_table(by_sex: bool = False, synthetic: bool = True, suppressed: tuple[str, ...] = ("IS",)) -> pd.DataFrame:
    rows = []
    for i, state in enumerate(CODES):
        for sex in ("Boy", "Girl") if by_sex else (None,):
            p = 0.08 + 0.02 * i + (0.03 if sex == "Girl" else 0.0)
            hidden = state in suppressed and sex != "Boy"
            rows.append({"variable": "cyberbullied", "level": pd.NA, "state": state, "sex": sex,
                         "estimate": np.nan if hidden else p, "se": np.nan if hidden else 0.01,
                         "ci_low": np.nan if hidden else p - 0.02, "ci_high": np.nan if hidden else p + 0.02,
                         "n": 12 if hidden else 400, "n_weighted": 400.0, "deff": 1.5, "suppressed": hidden, "df": 40})
    table = pd.DataFrame(rows, columns=COLUMNS)
    if not by_sex:
        table = table.drop(columns="sex")
    table.attrs.update(synthetic=synthetic, kind="proportion", level=0.95, min_n=30)
    return table


def compare_table(synthetic: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for variable in ("cyberbullied", "bullied", "talk_mother_easy"):
        for state in CODES:
            d = float(rng.normal(0, 0.04))
            rows.append({"variable": variable, "state": state, "difference": d, "se": 0.01, "ci_low": d - 0.02,
                         "ci_high": d + 0.02, "p_value": 0.5, "p_holm": 1.0})
    table = pd.DataFrame(rows)
    table.loc[(table["variable"] == "bullied") & (table["state"] == "IS"), ["difference", "ci_low", "ci_high"]] = np.nan
    table.attrs.update(synthetic=synthetic, kind="proportion")
    return table


def map_values(synthetic: bool = True) -> pd.Series:
    values = pd.Series({"EE": 12.0, "LV": 15.0, "SE": 9.5, "DE": 20.0}, name="cyberbullied")
    values.attrs["synthetic"] = synthetic
    return values


BUILDERS = {
    "estimates_by_state": lambda s: plots.estimates_by_state(estimate_table(synthetic=s)),
    "estimates_by_state_split": lambda s: plots.estimates_by_state(estimate_table(True, synthetic=s), split="sex"),
    "gap_plot": lambda s: plots.gap_plot(estimate_table(True, synthetic=s)),
    "state_map": lambda s: plots.state_map(map_values(s), label="Cyberbullied (%)"),
    "indicator_heatmap": lambda s: plots.indicator_heatmap(compare_table(s)),
}


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_position"))]


def caption(figure: Figure) -> str:
    (text,) = [t for t in figure.texts if t.get_gid() == "caption"]
    return text.get_text()


def data_axes(figure: Figure) -> list:
    """Axes that carry data (not colour bars, not the secondary gap axis)."""
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>" and not hasattr(ax, "_functions")]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_figure_has_title_labels_and_synthetic_caption(name):
    figure = BUILDERS[name](True)
    assert isinstance(figure, Figure)
    assert figure.get_suptitle()
    assert "Synthetic data" in caption(figure)
    for ax in data_axes(figure):
        if ax.axison:
            assert ax.get_xlabel() and ax.get_ylabel()
    bars = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    assert all(ax.get_ylabel() for ax in bars)
    assert "Synthetic data" not in caption(BUILDERS[name](False))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_rendering_twice_gives_identical_png(name, tmp_path):
    first = plots.save_figure(BUILDERS[name](True), tmp_path / "a.png").read_bytes()
    second = plots.save_figure(BUILDERS[name](True), tmp_path / "b.png").read_bytes()
    assert first == second
    assert b"matplotlib" not in first
    figure = BUILDERS[name](True)
    again = [plots.save_figure(figure, tmp_path / f"{i}.png").read_bytes() for i in range(2)]
    assert again[0] == again[1] == first


def test_svg_and_pdf_have_no_dates(tmp_path):
    figure = BUILDERS["state_map"](True)
    assert b"<dc:date>" not in plots.save_figure(figure, tmp_path / "a.svg").read_bytes()
    pdf = plots.save_figure(figure, tmp_path / "a.pdf").read_bytes()
    assert b"CreationDate" not in pdf and pdf == plots.save_figure(figure, tmp_path / "b.pdf").read_bytes()


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
    with pytest.raises(DataError, match="reference='EE'"):
        plots.estimates_by_state(estimate_table(), reference="EE")


def test_gap_plot_labels_the_gap_and_suppressed_group():
    figure = plots.gap_plot(estimate_table(True), title="Gap")
    labels = texts(figure)
    assert "+3.0" in labels and "Girl: suppressed (n=12)" in labels


def test_gap_plot_needs_two_groups():
    table = estimate_table(True)
    table["sex"] = table["sex"].where((table["state"] != "EE") | (table["sex"] == "Boy"), "Other")
    with pytest.raises(DataError, match="pass groups="):
        plots.gap_plot(table)
    assert plots.gap_plot(table, groups=["Boy", "Girl"]).get_suptitle()


def test_state_map_greys_missing_states_and_checks_codes():
    figure = plots.state_map(map_values())
    assert texts(figure).count("no data") == 11 - 4
    with pytest.raises(DataError, match="unknown state 'XX'"):
        plots.state_map(pd.Series({"XX": 1.0}))
    assert set(plots.TILES) == set(CODES)


def test_heatmap_marks_significant_cells_and_missing():
    figure = plots.indicator_heatmap(compare_table(), labels={"talk_mother_easy": "Easy to talk to mother"})
    (ax,) = data_axes(figure)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "Easy to talk to mother"
    table = compare_table()
    significant = ((table["ci_low"] > 0) | (table["ci_high"] < 0)).sum()
    bold = [t for t in ax.texts if t.get_fontweight() == "bold"]
    assert len(bold) == significant
    assert "–" in texts(figure)


def test_heatmap_rejects_duplicate_cells():
    table = pd.concat([compare_table(), compare_table()])
    with pytest.raises(DataError, match="more than one row per variable x state"):
        plots.indicator_heatmap(table)


def test_table_with_several_variables_needs_variable():
    table = pd.concat([estimate_table(), estimate_table().assign(variable="bullied")])
    table.attrs.update(estimate_table().attrs)
    with pytest.raises(DataError, match=r"several variables \(cyberbullied, bullied\); pass variable="):
        plots.estimates_by_state(table)
    assert "bullied" in plots.estimates_by_state(table, variable="bullied").get_suptitle()


def test_extra_by_column_must_be_split_or_filtered():
    with pytest.raises(DataError, match="several values of 'sex'"):
        plots.estimates_by_state(estimate_table(True))


def test_timeline_from_shipped_strategy_and_published_data():
    figure = plots.timeline()
    assert figure.get_suptitle()
    labels = texts(figure)
    assert any(t.startswith("1998: Riga Summit") for t in labels)
    assert "no full ban; Barnahus: no opening year found" in labels
    assert data_axes(figure)[-1].get_xlabel() == "Year"


def test_figures_accept_the_estimate_engine_tables(mini_frame, mini_codebook):
    estimate = pytest.importorskip("cbss_analysis.estimate")
    from cbss_analysis.survey import Survey, design_from_codebook

    survey = Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    table = estimate.proportion(survey, ["cyberbullied", "bullied_often"], by=["state", "sex"], min_n=5)
    assert plots.estimates_by_state(table, "cyberbullied", split="sex").get_suptitle()
    assert plots.gap_plot(table, variable="cyberbullied").get_suptitle()
    by_state = estimate.proportion(survey, ["cyberbullied", "bullied_often"], by="state", min_n=5)
    figure = plots.indicator_heatmap(estimate.compare(by_state))
    assert ("Synthetic data" in caption(figure)) is survey.synthetic
    assert data_axes(figure)[0].get_xlabel() == "State (ISO code)"


def test_figures_display_in_jupyter_without_pyplot():
    figure = BUILDERS["state_map"](True)
    png = figure._repr_png_()
    assert png.startswith(b"\x89PNG") and png == figure._repr_png_()
