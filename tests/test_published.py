"""Real published figures in data/published."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import cbss_analysis as cbss
from cbss_analysis import paths, published, states
from cbss_analysis.errors import DataError

NAMES = ["barnahus_first", "corporal_punishment_ban", "hbsc_pooled_indicators", "hbsc_sample_sizes", "population",
         "psmu_2022_age11"]
BY_STATE = [name for name in NAMES if name not in published.POOLED]


def test_available_lists_the_tables():
    assert published.available() == NAMES


@pytest.mark.parametrize("name", BY_STATE)
def test_every_row_is_sourced_and_graded(name):
    frame = cbss.load_published(name)
    assert list(frame.columns[:2]) == ["state", "state_name"]
    assert list(frame.columns[-3:]) == ["source", "source_url", "confidence"]
    assert frame["source"].notna().all()
    assert frame["confidence"].isin(["H", "M", "L"]).all()
    assert set(frame["state"]) <= set(states.state_codes())
    assert frame.attrs["synthetic"] is False and frame.attrs["name"] == name


def test_psmu_values_by_state_and_sex():
    frame = cbss.load_published("psmu_2022_age11")
    assert len(frame) == 18
    assert not {"DK", "RU"} & set(frame["state"])
    value = frame.set_index(["state", "sex"])["value_pct"]
    assert value["LT", "Girl"] == 16 and value["LT", "Boy"] == 13
    assert value["SE", "Girl"] == 7 and value["SE", "Boy"] == 4
    assert (frame["licence"] == "CC BY 4.0").all()


def test_sample_sizes_match_the_hbsc_documentation():
    frame = cbss.load_published("hbsc_sample_sizes")
    n2018 = frame[frame["survey_year"] == 2018].set_index("state")["n"]
    assert n2018["EE"] == 4725 and n2018["IS"] == 6996 and len(n2018) == 11
    assert frame["countryno"].map(states.iso2_from_countryno()).tolist() == frame["state"].tolist()


def test_policy_years():
    bans = cbss.load_published("corporal_punishment_ban").set_index("state")["ban_year"]
    assert bans["SE"] == 1979 and bans["LT"] == 2017 and pd.isna(bans["RU"])
    barnahus = cbss.load_published("barnahus_first").set_index("state")["first_opening_year"]
    assert barnahus["IS"] == 1998 and pd.isna(barnahus["FI"]) and "RU" not in barnahus.index


def test_population_in_persons():
    frame = cbss.load_published("population")
    total = frame[(frame["measure"] == "population_total") & (frame["year"] == 2022)].set_index("state")["value"]
    assert total["EE"] == 1348840
    under18 = frame[frame["measure"] == "population_under18"].set_index("state")["value"]
    assert under18["EE"] == pytest.approx(260327.5)


def test_unknown_name_lists_the_names():
    with pytest.raises(DataError, match="unknown published table 'nope'; available: barnahus_first, "):
        cbss.load_published("nope")


@pytest.fixture()
def data_copy(tmp_path, monkeypatch):
    shutil.copytree(paths.data_dir() / "published", tmp_path / "published")
    shutil.copytree(paths.data_dir() / "strategy", tmp_path / "strategy")
    monkeypatch.setenv("CBSS_DATA_DIR", str(tmp_path))
    return tmp_path / "published"


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.assign(state=f["state"].replace("EE", "XX")), "unknown state code 'XX'"),
    (lambda f: f.assign(state_name=f["state_name"].replace("Estonia", "Estland")), "state_name 'Estland' does not match code 'EE'"),
    (lambda f: f.assign(confidence="A"), "confidence 'A' is not one of H, M, L"),
    (lambda f: f.assign(ban_year=f["ban_year"].astype(str).replace("1979", "c. 1979")), "non-numeric value 'c. 1979'"),
    (lambda f: f.drop(columns="source"), "missing column 'source'"),
    (lambda f: pd.concat([f, f.head(1)]), "duplicate row for state=DK"),
])
def test_malformed_file_gives_one_line_error(data_copy, edit, message):
    path = data_copy / "corporal_punishment_ban.csv"
    edit(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    with pytest.raises(DataError, match=message) as info:
        cbss.load_published("corporal_punishment_ban")
    assert str(path) in str(info.value)


def test_pooled_indicators_are_the_documented_cases_per_code():
    frame = cbss.load_published("hbsc_pooled_indicators")
    assert "state" not in frame.columns and frame["confidence"].eq("H").all() and frame["source"].notna().all()
    row = frame.set_index(["survey", "indicator"]).loc[("HBSC 2017/18", "been_bullied")]
    # HBSC2018OAed1.1, beenbullied: codes 3-5 have 9,754 + 6,179 + 8,324 of 227,135 valid cases
    assert (row["cases"], row["valid_cases"], row["value_pct"]) == (24257, 227135, 10.7)
    assert frame.set_index(["survey", "indicator"]).loc[("HBSC 2017/18", "cyberbullied"), "value_pct"] == 13.1
    assert set(frame["survey"]) == {"HBSC 2001/02", "HBSC 2005/06", "HBSC 2009/10", "HBSC 2013/14", "HBSC 2017/18"}
    assert "condom_last_sex" not in set(frame["indicator"])  # a subgroup defined by another item: not from one-way counts


def test_pooled_indicators_file_is_up_to_date():
    from tests.reference import hbsc_pooled_indicators

    assert (paths.published_dir() / "hbsc_pooled_indicators.csv").read_text(encoding="utf-8") == hbsc_pooled_indicators.text()


def test_pooled_table_without_a_source_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "published"
    shutil.copytree(paths.published_dir(), target)
    frame = pd.read_csv(target / "hbsc_pooled_indicators.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "source"] = ""
    frame.to_csv(target / "hbsc_pooled_indicators.csv", index=False)
    monkeypatch.setattr(paths, "published_dir", lambda: target)
    with pytest.raises(DataError, match="column 'source' is empty"):
        cbss.load_published("hbsc_pooled_indicators")
