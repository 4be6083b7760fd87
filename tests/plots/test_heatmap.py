"""cbss_analysis.plots.heatmap: indicators x states, differences from a reference."""

from __future__ import annotations

import pandas as pd
import pytest

from cbss_analysis import plots
from cbss_analysis.errors import PlotError
from cbss_analysis.estimate import significance
from tests.plots.figures import caption, compare_table, data_axes, texts


def test_heatmap_marks_significant_cells_and_missing():
    table = compare_table()
    table.loc[table.index[:4], "p_value"] = 1e-6
    marked = significance.mark(table)
    figure = plots.indicator_heatmap(marked, labels={"talk_mother_easy": "Easy to talk to mother"})
    (ax,) = data_axes(figure)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "Easy to talk to mother"
    bold = [t for t in ax.texts if t.get_fontweight() == "bold"]
    assert len(bold) == int(marked["significant"].sum()) == 4
    assert "–" in texts(figure)


def test_an_unmarked_heatmap_marks_nothing_and_says_so():
    figure = plots.indicator_heatmap(compare_table())
    (ax,) = data_axes(figure)
    assert not [t for t in ax.texts if t.get_fontweight() == "bold"]
    assert "not marked for significance" in caption(figure)


def test_heatmap_rejects_duplicate_cells():
    table = pd.concat([compare_table(), compare_table()])
    with pytest.raises(PlotError, match="more than one row per variable x state"):
        plots.indicator_heatmap(table)
