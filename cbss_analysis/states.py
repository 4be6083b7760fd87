"""The eleven member states of the Council of the Baltic Sea States.

The table lives in ``data/strategy/states.csv`` (with its sources). The EU is a
CBSS member but not a state and is not listed.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from cbss_analysis import paths
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import DataError

SUBREGIONS: tuple[str, ...] = ("Nordic", "Baltic", "Central")
_COLUMNS = ("iso2", "iso3", "name", "subregion", "hbsc_countryno", "member_since", "member_until", "display_order")


@lru_cache(maxsize=1)
def _read_states() -> pd.DataFrame:
    path = paths.strategy_dir() / "states.csv"
    frame = pd.read_csv(path, dtype={"iso2": str, "iso3": str}, keep_default_na=False, na_values=[""])
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    if len(frame) != 11 or frame["iso2"].duplicated().any():
        raise DataError(f"{path}: expected the eleven CBSS member states once each, found {len(frame)} rows")
    bad = sorted(set(frame["subregion"]) - set(SUBREGIONS))
    if bad:
        raise DataError(f"{path}: unknown subregion {snippet(bad[0])}; expected one of {', '.join(SUBREGIONS)}")
    frame["hbsc_countryno"] = frame["hbsc_countryno"].astype("int64")
    frame["member_until"] = frame["member_until"].astype("Int64")
    return frame.sort_values("display_order").reset_index(drop=True)


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
    return _read_states().rename(columns={"iso2": "state", "name": "state_name"})


def state_codes() -> list[str]:
    """ISO2 codes of the eleven states in display order."""
    return _read_states()["iso2"].tolist()


def state_names() -> dict[str, str]:
    """Mapping ISO2 code -> English name."""
    frame = _read_states()
    return dict(zip(frame["iso2"], frame["name"], strict=True))


def iso2_from_countryno() -> dict[int, str]:
    """Mapping HBSC ``countryno`` -> ISO2 code for the eleven states."""
    frame = _read_states()
    return dict(zip(frame["hbsc_countryno"].tolist(), frame["iso2"], strict=True))


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
