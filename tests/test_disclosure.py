"""Small-cell suppression (cbss_analysis.disclosure.suppress)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis.disclosure import suppress
from cbss_analysis.errors import EstimationError


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variable": ["x", "x", "x"],
            "state": ["EE", "LV", "LT"],
            "estimate": [0.1, 0.2, 0.3],
            "se": [0.01, 0.02, 0.03],
            "ci_low": [0.08, 0.16, 0.24],
            "ci_high": [0.12, 0.24, 0.36],
            "n": [29, 30, 0],
            "n_weighted": [31.0, 29.5, 0.0],
            "deff": [1.1, 1.2, np.nan],
            "suppressed": [False, False, False],
            "df": [5, 6, 0],
        }
    )


def test_rows_under_min_n_lose_estimates_and_counts() -> None:
    original = table()
    out = suppress(original, min_n=30)
    assert list(out["suppressed"]) == [True, False, True]
    assert out.loc[[0, 2], ["estimate", "se", "ci_low", "ci_high", "deff", "n_weighted", "n", "df"]].isna().all().all()
    assert out["n"].dtype == "Int64" and out.loc[1, "n"] == 30
    assert out.loc[1, "n_weighted"] == 29.5
    assert out.loc[1, "estimate"] == 0.2
    assert out.attrs["min_n"] == 30
    pd.testing.assert_frame_equal(original, table())


def test_min_n_zero_turns_suppression_off() -> None:
    out = suppress(table(), min_n=0)
    assert not out["suppressed"].any()
    assert out.loc[0, "estimate"] == 0.1


def test_suppressed_rows_stay_suppressed() -> None:
    once = suppress(table(), min_n=30)
    again = suppress(once, min_n=0)
    assert list(again["suppressed"]) == [True, False, True]
    assert np.isnan(again.loc[0, "estimate"])


@pytest.mark.parametrize("min_n", [-1, 2.5, "30", True])
def test_bad_min_n(min_n: object) -> None:
    with pytest.raises(EstimationError, match="min_n"):
        suppress(table(), min_n=min_n)


def test_needs_a_count_column() -> None:
    with pytest.raises(EstimationError, match="'n'"):
        suppress(table().drop(columns="n"))
