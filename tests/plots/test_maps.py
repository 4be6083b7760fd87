"""cbss_analysis.plots.maps: the tile map of the eleven states."""

from __future__ import annotations

import pandas as pd
import pytest

from cbss_analysis import plots
from cbss_analysis.errors import DataError
from tests.plots.figures import CODES, map_values, texts


def test_state_map_greys_missing_states_and_checks_codes():
    figure = plots.state_map(map_values())
    assert texts(figure).count("no data") == 11 - 4
    with pytest.raises(DataError, match="unknown state 'XX'"):
        plots.state_map(pd.Series({"XX": 1.0}))
    assert set(plots.TILES) == set(CODES)
