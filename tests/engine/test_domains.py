"""cbss_analysis._engine.domains: every row's domain code, and each domain's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis._engine.domains import domain_codes, domain_rows
from cbss_analysis.errors import EstimationError


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "region": ["south", "north", None, "south", "north", "east"],
        "sex": pd.Categorical(["Girl", "Boy", "Girl", "Boy", None, "Girl"], categories=["Girl", "Boy", "Other"]),
        "grade": [2, 1, 1, 2, 1, np.nan],
    })


def test_without_by_every_row_is_in_the_one_domain(frame) -> None:
    domains = domain_codes(frame, [])
    assert domains.count == 1 and domains.code.tolist() == [0] * 6 and domains.table.shape == (1, 0)
    ((key, rows),) = domain_rows(frame, [])
    assert key == () and rows.tolist() == list(range(6))


def test_codes_follow_sorted_values_and_missing_belongs_to_no_domain(frame) -> None:
    domains = domain_codes(frame, ["region"])
    assert domains.table["region"].tolist() == ["east", "north", "south"]
    assert domains.code.tolist() == [2, 1, -1, 2, 1, 0]
    numbers = domain_codes(frame, ["grade"])
    assert numbers.table["grade"].tolist() == [1.0, 2.0] and numbers.code.tolist() == [1, 0, 0, 1, 0, -1]


def test_categorical_by_keeps_category_order_and_dtype(frame) -> None:
    domains = domain_codes(frame, ["sex"])
    assert domains.table["sex"].tolist() == ["Girl", "Boy"], "category order, not alphabetical; unobserved 'Other' left out"
    assert domains.table["sex"].dtype == frame["sex"].dtype
    assert domains.code.tolist() == [0, 1, 0, 1, -1, 0]
    keys = [key for key, _ in domain_rows(frame, ["sex"])]
    assert keys == [("Girl",), ("Boy",)]


def test_combinations_of_two_by_columns(frame) -> None:
    domains = domain_codes(frame, ["sex", "region"])
    assert list(domains.table.itertuples(index=False, name=None)) == [
        ("Girl", "east"), ("Girl", "south"), ("Boy", "north"), ("Boy", "south")]
    assert domains.code.tolist() == [1, 2, -1, 3, -1, 0]
    rows = domain_rows(frame, ["sex", "region"])
    assert [(key, idx.tolist()) for key, idx in rows] == [
        (("Girl", "east"), [5]), (("Girl", "south"), [0]), (("Boy", "north"), [1]), (("Boy", "south"), [3])]
    for (key, idx), code in zip(rows, range(domains.count)):
        assert np.flatnonzero(domains.code == code).tolist() == idx.tolist(), key


def test_domain_rows_in_sorted_key_order_without_missing(frame) -> None:
    rows = domain_rows(frame, ["region"])
    assert [(key, idx.tolist()) for key, idx in rows] == [(("east",), [5]), (("north",), [1, 4]), (("south",), [0, 3])]
    assert 2 not in np.concatenate([idx for _, idx in rows])


def test_too_many_combinations_is_an_error() -> None:
    wide = pd.DataFrame({f"c{i}": np.arange(1000) for i in range(7)})
    with pytest.raises(EstimationError, match="too many combinations"):
        domain_codes(wide, list(wide.columns))
