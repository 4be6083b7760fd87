"""cbss_analysis.estimate.significance: Holm over the differences shown, one rule in one place."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate import significance


def test_holm_over_the_family_shown_with_suppressed_cells_left_out():
    table = pd.DataFrame({"variable": list("abcde"), "state": "EE", "difference": [1.0, -1, 1, 1, np.nan],
                          "p_value": [0.01, 0.04, 0.03, 0.5, np.nan]})
    marked = significance.mark(table)
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.5), "holm") = 0.04 0.09 0.09 0.50
    assert marked["p_adjusted"].tolist()[:4] == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert np.isnan(marked["p_adjusted"].iloc[4])
    assert marked["significant"].tolist() == [True, False, False, False, False]
    assert marked.attrs["significance"] == {"method": "holm", "alpha": 0.05, "family": 4,
                                            "text": "Holm-adjusted p < 0.05 across the 4 differences shown"}
    assert significance.marked_cells(table) == {("a", "EE")}
    assert "p_adjusted" not in table, "the input is not modified"


def test_the_family_is_what_is_shown():
    table = pd.DataFrame({"variable": ["a", "b"], "state": ["EE", "LV"], "difference": [1.0, 1.0], "p_value": [0.03, 0.03]})
    assert significance.mark(table)["significant"].tolist() == [False, False]
    assert significance.mark(table.iloc[:1])["significant"].tolist() == [True]


def test_a_table_without_p_values_is_refused():
    with pytest.raises(EstimationError, match="no column 'p_value'"):
        significance.mark(pd.DataFrame({"difference": [1.0]}))
