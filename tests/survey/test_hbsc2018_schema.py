"""A file in the documented HBSC 2017/18 schema loads through ``hbsc2018_oa`` (issue #16).

The schema is HBSC2018OAed1.1's (tests/reference/hbsc2018_oa_documentation.json): ``region`` is
character-6 (SPSS pads it), ``id1`` has code 999 "No information about stratification", the online items
have the user-missing code 99 "Missing due to skip pattern", ``grade`` has codes 1-3 and system missing
values, ``id3`` has system missing values. The files are written here with pyreadstat (with and without
SPSS user-missing declarations), as CSV, and with R haven when R is installed. The embedded synthetic
survey is checked against the same schema.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cbss_analysis import estimate, load_survey, paths
from cbss_analysis.cli import main
from cbss_analysis.errors import DesignError
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.validation import validate_file

TESTS = Path(__file__).resolve().parents[1]
DOCUMENTATION = json.loads((TESTS / "reference" / "hbsc2018_oa_documentation.json").read_text(encoding="utf-8"))
DOCUMENTED = {v["name"]: v for v in DOCUMENTATION["variables"]}
SKIP_PATTERN_ITEMS = [f"emconlpref{i}" for i in (1, 2, 3)] + [f"emcsocmed{i}" for i in range(1, 10)]
# country -> (region code as documented, classes per id1 stratum); EE's id1 = 2 has a single class
# (a lonely PSU), DK has a 999 stratum, Albania is not a CBSS state.
COUNTRIES = {
    208000: ("DK", {1: 4, 2: 3, 999: 2}),
    233000: ("EE", {1: 3, 2: 1}),
    578000: ("NO", {1: 3, 2: 3}),
    8000: ("AL", {1: 2}),
}
PUPILS_PER_CLASS = 5
CBSS_ROWS = sum(sum(s.values()) for c, (_, s) in COUNTRIES.items() if c != 8000) * PUPILS_PER_CLASS


def documented_frame() -> pd.DataFrame:
    """Stored codes in the documented schema, for every variable of the codebook (plus three it does not read)."""
    rows = []
    cluster = 100_000
    for countryno, (region, strata) in COUNTRIES.items():
        class_in_country = 0
        for id1, classes in strata.items():
            for _ in range(classes):
                cluster += 1
                class_in_country += 1
                for pupil in range(PUPILS_PER_CLASS):
                    rows.append({"countryno": countryno, "region": f"{region:<6}", "id1": id1, "cluster": cluster,
                                 "id2": 9999 if (countryno, class_in_country) == (578000, 1) else (class_in_country + 1) // 2,
                                 "id3": np.nan if countryno == 233000 else class_in_country, "agecat": 1 + pupil % 3})
    frame = pd.DataFrame(rows)
    n = len(frame)
    frame.insert(0, "HBSC", 2018)
    frame["seqno_int"] = 100_001 + np.arange(n)
    frame["id4"] = np.arange(1, n + 1)
    frame["weight"] = np.where(frame["countryno"] == 578000, 1.0, 0.5 + (np.arange(n) % 7) / 4)
    frame["sex"] = 1 + np.arange(n) % 2
    frame.loc[3, "agecat"] = np.nan  # documented: agecat and age are system missing together (1,516 cases)
    frame["age"] = (9.5 + 2 * frame["agecat"] + (np.arange(n) % 5) / 4).clip(10, 16.5)
    frame["grade"] = frame["agecat"].where(frame["countryno"] != 208000)  # a country without grade (sysmiss)
    codebook = load_codebook("hbsc2018_oa")
    for name, variable in codebook.variables.items():
        if name in frame or not variable.is_labelled:
            continue
        codes = np.array(list(variable.values), dtype=float)
        column = codes[(np.arange(n) + len(name)) % codes.size]
        column[np.arange(n) % 11 == 4] = np.nan  # item non-response: system missing
        if name in SKIP_PATTERN_ITEMS:
            column[frame["countryno"].to_numpy() == 578000] = 99  # a country skipped the online items
        frame[name] = column
    return frame


def _write_sav(frame: pd.DataFrame, path: Path, declare_user_missing: bool) -> Path:
    labels = {name: {99: "Missing due to skip pattern"} for name in SKIP_PATTERN_ITEMS}
    labels["region"] = {v["code"]: v["label"] for v in DOCUMENTED["region"]["values"]}
    pyreadstat.write_sav(
        frame, str(path), file_label="HBSC2018OAed1.1 schema test file",
        variable_value_labels=labels, variable_format={"region": "A6"},
        missing_ranges={name: [99] for name in SKIP_PATTERN_ITEMS} if declare_user_missing else None,
    )
    return path


def _load(path: Path, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        survey = load_survey(path, codebook="hbsc2018_oa", **options)
    return survey, [str(w.message) for w in caught]


def _check_loaded(survey, messages: list[str]) -> None:
    frame = documented_frame()
    assert len(survey) == CBSS_ROWS
    assert any("left out 10 rows of 1 non-CBSS countries" in m for m in messages)
    data = survey.data
    assert not survey.synthetic
    assert list(data["region"].cat.categories) == [v["code"] for v in DOCUMENTED["region"]["values"]]
    assert data.groupby("state", observed=True)["region"].agg(lambda r: set(r.astype(str))).to_dict() == {
        "DK": {"DK"}, "EE": {"EE"}, "NO": {"NO"}}
    norway = data["state"] == "NO"
    for name in SKIP_PATTERN_ITEMS:  # the documented user-missing 99 is NA, every other code a label
        assert data.loc[norway, name].isna().all(), name
        assert data.loc[~norway, name].notna().sum() == (frame.loc[frame["countryno"].isin([208000, 233000]), name].notna()).sum()
    assert data.loc[data["state"] == "DK", "grade"].isna().all()
    assert set(data["grade"].dropna()) == {"Country specific grade (11 year old)", "Country specific grade (13 year old)",
                                           "Country specific grade (15 year old)"}
    assert data["agecat"].isna().sum() == 1 and data["age"].isna().sum() == 1
    assert data.loc[data["state"] == "EE", "id3"].isna().all()
    assert (data["id1"] == 999).sum() == 2 * PUPILS_PER_CLASS
    arrays = survey.design_arrays()
    assert survey.design.strata_columns == ("countryno", "id1") and survey.design.psu == "cluster"
    assert survey.design.lonely_psu == "adjust"  # the codebook's rule: EE x id1 = 2 has one class
    assert arrays.n_strata == 7 and int((arrays.n_psu == 1).sum()) == 1
    table = estimate.proportion(survey, "cyberbullied", by="state", min_n=0)
    assert set(table["state"].astype(str)) == {"DK", "EE", "NO"}
    assert table["se"].notna().all()


@pytest.mark.parametrize("declare_user_missing", [True, False], ids=["spss_user_missing", "plain_codes"])
def test_a_sav_file_in_the_documented_schema_loads(tmp_path, declare_user_missing):
    path = _write_sav(documented_frame(), tmp_path / "hbsc2018.sav", declare_user_missing)
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.original_variable_types["region"] == "A6"
    raw, _ = pyreadstat.read_sav(str(path), usecols=["region"])
    assert raw["region"].iloc[0] in {"DK", "DK    "}  # SPSS stores the padding; the decoder strips it either way
    _check_loaded(*_load(path))


def test_a_csv_file_in_the_documented_schema_loads(tmp_path):
    path = tmp_path / "hbsc2018.csv"
    documented_frame().to_csv(path, index=False)
    _check_loaded(*_load(path))


def test_validate_reports_no_problem(tmp_path, capsys):
    path = _write_sav(documented_frame(), tmp_path / "hbsc2018.sav", declare_user_missing=True)
    assert validate_file(path, "hbsc2018_oa") == []
    assert main(["validate", str(path), "--codebook", "hbsc2018_oa"]) == 0
    assert "OK" in capsys.readouterr().out


def test_the_caller_can_refuse_lonely_psus_and_keep_all_countries(tmp_path):
    path = _write_sav(documented_frame(), tmp_path / "hbsc2018.sav", declare_user_missing=True)
    with pytest.raises(DesignError, match="only one PSU"):
        _load(path, lonely_psu="fail")
    everyone, messages = _load(path, keep_all_countries=True)
    assert len(everyone) == len(documented_frame()) and not messages
    albania = everyone.data["countryno"] == 8000
    assert everyone.data.loc[albania, "state"].isna().all()
    assert set(everyone.data.loc[albania, "region"].astype(str)) == {"AL"}


def test_an_undocumented_region_code_is_reported(tmp_path):
    frame = documented_frame()
    frame.loc[frame["countryno"] == 208000, "region"] = "DEN"
    path = _write_sav(frame, tmp_path / "hbsc2018.sav", declare_user_missing=True)
    problems = validate_file(path, "hbsc2018_oa")
    assert [(p.kind, p.variable) for p in problems] == [("unknown_code", "region")]
    assert "'DEN' (45 rows)" in problems[0].message


HAVEN = shutil.which("Rscript") is not None and subprocess.run(
    ["Rscript", "-e", "library(haven)"], capture_output=True).returncode == 0

R_WRITE = """
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1], colClasses = c(region = "character"))
df$region <- formatC(df$region, width = 6, flag = "-")
items <- strsplit(args[3], ",")[[1]]
for (v in items) df[[v]] <- haven::labelled_spss(df[[v]], labels = c("Missing due to skip pattern" = 99), na_values = 99)
haven::write_sav(df, args[2])
"""


@pytest.mark.skipif(not HAVEN, reason="R with haven is not installed")
def test_a_file_written_by_r_haven_loads(tmp_path):
    csv = tmp_path / "hbsc2018.csv"
    documented_frame().to_csv(csv, index=False)
    script = tmp_path / "write.R"
    script.write_text(R_WRITE, encoding="utf-8")
    sav = tmp_path / "hbsc2018_haven.sav"
    subprocess.run(["Rscript", str(script), str(csv), str(sav), ",".join(SKIP_PATTERN_ITEMS)], check=True, capture_output=True)
    _, meta = pyreadstat.read_sav(str(sav), user_missing=True, usecols=["region", "emcsocmed1"])
    assert meta.original_variable_types["region"] == "A6"
    assert meta.missing_ranges["emcsocmed1"] == [{"lo": 99.0, "hi": 99.0}]
    _check_loaded(*_load(sav))
    assert validate_file(sav, "hbsc2018_oa") == []


def test_the_embedded_synthetic_file_has_the_documented_schema():
    path = paths.embedded_survey()
    raw, meta = pyreadstat.read_sav(str(path), user_missing=True)
    for name in load_codebook("hbsc2018_oa").variables:
        character = DOCUMENTED[name]["format"]["storage"] == "character"
        assert meta.original_variable_types[name].startswith("A") == character, name
    assert meta.original_variable_types["region"] == f"A{DOCUMENTED['region']['format']['width']}"
    states = {s["countryno"]: s["region_codes"] for s in DOCUMENTATION["countries"]["cbss_states"]}
    assert raw.groupby("countryno")["region"].agg(lambda r: sorted(set(r))).to_dict() == states
    no_information = raw["id1"] == 999
    assert 0 < no_information.mean() < 0.02
    assert 1 < raw.loc[no_information, "countryno"].nunique() < raw["countryno"].nunique()
    assert (raw.loc[no_information].groupby("countryno").size() < raw.groupby("countryno").size().reindex(
        raw.loc[no_information, "countryno"].unique())).all(), "999 never covers a whole state"
    assert set(raw["grade"].dropna()) == {1, 2, 3}
    assert set(raw["agecat"].dropna()) == {1, 2, 3}
    for name in ("age", "cluster", "id1", "id2", "id3", "weight"):
        documented = DOCUMENTED[name]["range"]
        assert documented["min"] <= raw[name].min() and raw[name].max() <= documented["max"], name
    assert raw.groupby("cluster")["countryno"].nunique().max() == 1  # unique across countries
    for name in SKIP_PATTERN_ITEMS:
        assert meta.missing_ranges.get(name) == [{"lo": 99.0, "hi": 99.0}], name
