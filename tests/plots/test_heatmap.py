"""cbss_analysis.plots.heatmap: indicators x states, differences from a reference."""

from __future__ import annotations

import pandas as pd
import pytest

from cbss_analysis import plots
from cbss_analysis.errors import PlotError
from tests.plots.figures import compare_table, data_axes, texts


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
    with pytest.raises(PlotError, match="more than one row per variable x state"):
        plots.indicator_heatmap(table)
