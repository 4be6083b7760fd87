"""The eleven member states of the Council of the Baltic Sea States.

The table lives in ``data/strategy/states.csv`` (with its sources). The EU is a
CBSS member but not a state and is not listed.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from typing import TYPE_CHECKING

from cbss_analysis import paths
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SUBREGIONS: tuple[str, ...] = ("Nordic", "Baltic", "Central")
_COLUMNS = ("iso2", "iso3", "name", "subregion", "hbsc_countryno", "member_since", "member_until", "display_order")
_INTEGERS = ("hbsc_countryno", "member_since", "display_order")


@lru_cache(maxsize=1)
def _read_states() -> tuple[dict[str, str], ...]:
    """The rows of ``states.csv``, checked, in display order (plain text: the report command needs no pandas)."""
    path = paths.strategy_dir() / "states.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    missing = [c for c in _COLUMNS if c not in columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    if len(rows) != 11 or len({row["iso2"] for row in rows}) != len(rows):
        raise DataError(f"{path}: expected the eleven CBSS member states once each, found {len(rows)} rows")
    bad = sorted({row["subregion"] for row in rows} - set(SUBREGIONS))
    if bad:
        raise DataError(f"{path}: unknown subregion {snippet(bad[0])}; expected one of {', '.join(SUBREGIONS)}")
    for row in rows:
        for column in (*_INTEGERS, "member_until"):
            if not (row[column].isdigit() or (column == "member_until" and not row[column])):
                raise DataError(f"{path}: {column} {snippet(row[column])} of {snippet(row['iso2'])} is not a whole number")
    order = sorted(rows, key=lambda row: int(row["display_order"]))
    return tuple(order)


def member_states() -> pd.DataFrame:
    """Return the eleven CBSS member states in display order.

    Returns
    -------
    pandas.DataFrame
        Columns ``state`` (ISO2 code), ``iso3``, ``state_name``, ``subregion`` (Nordic, Baltic, Central),
        ``hbsc_countryno`` (HBSC ``countryno`` code, e.g. 233000 for Estonia),
        ``member_since``, ``member_until`` (2022 for Russia, else missing),
        ``display_order`` and ``source``. A fresh copy each call.
    """
    import pandas as pd

    rows = _read_states()
    frame = pd.DataFrame({column: [row[column] for row in rows] for column in rows[0]})
    for column in _INTEGERS:
        frame[column] = frame[column].astype("int64")
    frame["member_until"] = pd.array([int(v) if v else None for v in frame["member_until"]], dtype="Int64")
    return frame.rename(columns={"iso2": "state", "name": "state_name"})


def state_codes() -> list[str]:
    """ISO2 codes of the eleven states in display order."""
    return [row["iso2"] for row in _read_states()]


def state_names() -> dict[str, str]:
    """Mapping ISO2 code -> English name."""
    return {row["iso2"]: row["name"] for row in _read_states()}


def iso2_from_countryno() -> dict[int, str]:
    """Mapping HBSC ``countryno`` -> ISO2 code for the eleven states."""
    return {int(row["hbsc_countryno"]): row["iso2"] for row in _read_states()}


def check_state(code: str) -> str:
    """Return ``code`` upper-cased if it is a member state, else raise a one-line error.

    Raises
    ------
    DataError
        If ``code`` is not the ISO2 code of a CBSS member state.
    """
    upper = str(code).strip().upper()
    if upper not in state_codes():
        raise DataError(f"unknown state {snippet(code)}: expected an ISO2 code of a CBSS member state ({', '.join(state_codes())})")
    return upper
