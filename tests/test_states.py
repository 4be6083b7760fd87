"""cbss_analysis.states: the eleven CBSS member states, their codes, names and HBSC country numbers."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from cbss_analysis import paths, states
from cbss_analysis.errors import DataError

DISPLAY_ORDER = ["DK", "FI", "IS", "NO", "SE", "EE", "LV", "LT", "DE", "PL", "RU"]


def test_eleven_states_in_display_order():
    frame = states.member_states()
    assert frame["state"].tolist() == states.state_codes() == DISPLAY_ORDER
    assert frame.set_index("state").loc["EE", "state_name"] == "Estonia"  # state: ISO2 code; state_name: the name
    assert frame["subregion"].tolist() == ["Nordic"] * 5 + ["Baltic"] * 3 + ["Central"] * 3
    assert set(frame["subregion"]) == set(states.SUBREGIONS)
    assert frame.set_index("state").loc["RU", "member_until"] == 2022 and frame["member_until"].isna().sum() == 10
    assert "EU" not in frame["state"].tolist()


def test_names_and_hbsc_country_numbers():
    assert states.state_names()["EE"] == "Estonia" and states.state_names()["DE"] == "Germany"
    iso2 = states.iso2_from_countryno()
    assert iso2[233000] == "EE" and iso2[578000] == "NO" and iso2[643000] == "RU" and len(iso2) == 11
    assert all(isinstance(code, int) for code in iso2)


def test_member_states_is_a_fresh_copy():
    frame = states.member_states()
    frame.loc[0, "state_name"] = "changed"
    assert states.member_states().loc[0, "state_name"] == "Denmark"


@pytest.mark.parametrize(("code", "expected"), [("ee", "EE"), (" NO ", "NO"), ("Se", "SE")])
def test_check_state_accepts_any_case(code, expected):
    assert states.check_state(code) == expected


@pytest.mark.parametrize("code", ["XX", "EU", "", "EST", None])
def test_check_state_refuses_others_and_lists_the_codes(code):
    with pytest.raises(DataError) as info:
        states.check_state(code)
    assert str(info.value) == (f"unknown state {code!r}: expected an ISO2 code of a CBSS member state "
                               f"({', '.join(DISPLAY_ORDER)})")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.drop(columns="iso3"), "missing column(s) iso3"),
    (lambda f: f.iloc[:10], "expected the eleven CBSS member states once each, found 10 rows"),
    (lambda f: f.assign(subregion=f["subregion"].replace("Central", "Western")), "unknown subregion 'Western'"),
])
def test_a_malformed_states_file_is_a_one_line_error(tmp_path, monkeypatch, edit, message):
    shutil.copytree(paths.strategy_dir(), tmp_path / "strategy")
    path = tmp_path / "strategy" / "states.csv"
    edit(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    monkeypatch.setenv("CBSS_DATA_DIR", str(tmp_path))
    states._read_states.cache_clear()
    try:
        with pytest.raises(DataError) as info:
            states.member_states()
        assert str(info.value).startswith(f"{path}: {message}") and "\n" not in str(info.value)
    finally:
        monkeypatch.undo()
        states._read_states.cache_clear()
    assert states.state_codes() == DISPLAY_ORDER
