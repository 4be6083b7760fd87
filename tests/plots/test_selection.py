"""cbss_analysis.plots.selection: which rows of a table a figure draws."""

from __future__ import annotations

import pandas as pd
import pytest

from cbss_analysis import plots
from cbss_analysis.errors import PlotError
from tests.plots.figures import estimate_table


def test_table_with_several_variables_needs_variable():
    table = pd.concat([estimate_table(), estimate_table().assign(variable="bullied")])
    table.attrs.update(estimate_table().attrs)
    with pytest.raises(PlotError, match=r"several variables \(cyberbullied, bullied\); pass variable="):
        plots.estimates_by_state(table)
    assert "bullied" in plots.estimates_by_state(table, variable="bullied").get_suptitle()


def test_extra_by_column_must_be_split_or_filtered():
    with pytest.raises(PlotError, match="several values of 'sex'"):
        plots.estimates_by_state(estimate_table(True))
