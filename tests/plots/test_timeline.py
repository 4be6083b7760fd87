"""cbss_analysis.plots.timeline: the Regional Strategy milestones beside the published policy years."""

from __future__ import annotations

from cbss_analysis import plots
from tests.plots.figures import data_axes, texts


def test_timeline_from_shipped_strategy_and_published_data():
    figure = plots.timeline()
    assert figure.get_suptitle()
    labels = texts(figure)
    assert any(t.startswith("1998: Riga Summit") for t in labels)
    assert "no full ban; Barnahus: no opening year found" in labels
    assert data_axes(figure)[-1].get_xlabel() == "Year"
