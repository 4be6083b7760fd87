"""cbss_analysis.plots.style: one style for every figure: title, labels, caption, reproducible files."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from cbss_analysis import plots
from tests.plots.figures import BUILDERS, caption, data_axes


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


def test_figures_display_in_jupyter_without_pyplot():
    figure = BUILDERS["state_map"](True)
    png, metadata = figure._repr_png_()
    assert png.startswith(b"\x89PNG") and (png, metadata) == figure._repr_png_()
    assert metadata["alt"].startswith(figure.get_suptitle()), "the alt text is the title and the caption"


def test_hollow_markers_are_named_for_what_they_stand_for() -> None:
    import pandas as pd

    from cbss_analysis import plots

    table = pd.DataFrame({"variable": ["x", "x"], "state": ["DK", "FI"], "estimate": [0.2, float("nan")],
                          "se": [0.01, float("nan")], "ci_low": [0.18, float("nan")], "ci_high": [0.22, float("nan")],
                          "n": pd.array([100, 40], dtype="Int64"), "suppressed": [False, False]})
    table.attrs.update(kind="proportion", level=0.95, min_n=30)
    figure = plots.estimates_by_state(table)
    caption = " ".join(" ".join(t.get_text().split()) for t in figure.texts if t.get_gid() == "caption")
    assert "hollow markers: no estimate" in caption and "suppressed" not in caption.split("hollow markers:")[1]
