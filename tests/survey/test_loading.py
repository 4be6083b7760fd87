"""cbss_analysis.survey.loading: load_survey reads a file of any format through a codebook."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pyreadstat
import pytest
import yaml

from cbss_analysis import load_survey, paths
from cbss_analysis.errors import DataError
from cbss_analysis.survey import default_codebook_for, design_from_codebook
from cbss_analysis.survey.codebook import load_codebook
from tests.conftest import MINI_CODEBOOK


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".sav", ".dta"])
def test_every_format_loads_the_same(tmp_path, mini_frame, mini_codebook, suffix):
    path = tmp_path / f"survey{suffix}"
    writers = {
        ".csv": lambda: mini_frame.to_csv(path, index=False),
        ".parquet": lambda: mini_frame.to_parquet(path),
        ".sav": lambda: pyreadstat.write_sav(mini_frame, path),
        ".dta": lambda: pyreadstat.write_dta(mini_frame, path),
    }
    writers[suffix]()
    survey = load_survey(path, mini_codebook)
    assert len(survey) == len(mini_frame)
    assert survey.source == path.resolve()
    assert list(survey.data["sex"].cat.categories) == ["Boy", "Girl"]
    assert survey.data["agecat"].cat.ordered
    assert survey.data["cbeenbullied"].isna().sum() == (mini_frame["cbeenbullied"] == 99).sum()
    assert survey.data["state"].astype(str).value_counts().to_dict() == {"EE": 120, "FI": 120}
    assert survey.synthetic  # the mini codebook says so


def test_non_member_countries_are_left_out_with_a_count(tmp_path, mini_frame, mini_codebook):
    frame = mini_frame.copy()
    frame.loc[frame["cluster"] <= 4, "countryno"] = 56001  # Belgium (Flemish) in HBSC
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(UserWarning, match="left out 40 rows of 1 non-CBSS countries"):
        survey = load_survey(path, mini_codebook)
    assert len(survey) == 200
    kept = load_survey(path, mini_codebook, keep_all_countries=True)
    assert len(kept) == 240 and kept.data["state"].isna().sum() == 40


def test_a_file_without_member_states_is_an_error(tmp_path, mini_frame, mini_codebook):
    path = tmp_path / "belgium.csv"
    mini_frame.assign(countryno=56001).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"no rows of a CBSS member state in 'countryno' \(codes such as 56001\)"):
        load_survey(path, mini_codebook)


def test_codebook_by_name_path_or_object(tmp_path, mini_frame, mini_codebook):
    path = tmp_path / "survey.csv"
    mini_frame.to_csv(path, index=False)
    by_path = load_survey(path, MINI_CODEBOOK)
    by_object = load_survey(path, mini_codebook)
    assert by_path.codebook.name == by_object.codebook.name == "mini"
    pd.testing.assert_frame_equal(by_path.data, by_object.data)
    assert by_path.design == design_from_codebook(mini_codebook)
    assert load_survey(path, mini_codebook, lonely_psu="adjust").design_arrays().lonely_psu == "adjust"


def test_the_default_codebook_follows_the_file_label(tmp_path, mini_frame):
    labelled = tmp_path / "synthetic.sav"
    pyreadstat.write_sav(mini_frame, labelled, file_label="SYNTHETIC DATA for a test")
    plain = tmp_path / "real.sav"
    pyreadstat.write_sav(mini_frame, plain, file_label="HBSC 2018")
    csv = tmp_path / "survey.csv"
    mini_frame.to_csv(csv, index=False)
    assert default_codebook_for(labelled) == paths.DEFAULT_CODEBOOK == "cbss_synthetic"
    assert default_codebook_for(plain) == default_codebook_for(csv) == "hbsc2018_oa"
    assert default_codebook_for(tmp_path / "missing.sav") == "hbsc2018_oa"


def test_a_file_labelled_synthetic_is_synthetic_whatever_the_codebook(tmp_path, mini_frame):
    raw = {"codebook": "real", "state_variable": "countryno", "design": {"weight": "weight", "strata": ["countryno"]},
           "variables": [{"name": "countryno", "label": "Country", "type": "design"},
                         {"name": "weight", "label": "Weight", "type": "weight"}]}
    codebook_path = tmp_path / "real.yaml"
    codebook_path.write_text(yaml.safe_dump(raw))
    codebook = load_codebook(codebook_path)
    assert codebook.synthetic is False
    labelled = tmp_path / "synthetic.sav"
    pyreadstat.write_sav(mini_frame, labelled, file_label="SYNTHETIC DATA for a test")
    plain = tmp_path / "plain.sav"
    pyreadstat.write_sav(mini_frame, plain)
    assert load_survey(labelled, codebook).synthetic is True
    assert load_survey(plain, codebook).synthetic is False
    assert list(load_survey(plain, codebook).data.columns) == ["countryno", "weight", "state"], "only the codebook's columns"


def test_design_from_a_codebook_without_a_design_is_an_error(mini_codebook):
    with pytest.raises(DataError, match="the codebook declares no design"):
        design_from_codebook(dataclasses.replace(mini_codebook, design=None))
