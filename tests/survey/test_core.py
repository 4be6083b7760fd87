"""Loading survey files through a codebook: formats, decoding, states, design checks, indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cbss_analysis import Design, Survey, load_survey
from cbss_analysis.errors import DataError, DesignError, EstimationError
from cbss_analysis.survey import design_from_codebook


@pytest.fixture()
def mini_survey(mini_frame, mini_codebook) -> Survey:
    return Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)


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


def test_decoding_keeps_codes_recoverable(mini_survey, mini_frame):
    codes = mini_survey.codes("cbeenbullied")
    expected = mini_frame["cbeenbullied"].where(mini_frame["cbeenbullied"] != 99).astype(float)
    pd.testing.assert_series_equal(codes, expected, check_names=False)


def test_caller_frame_is_not_modified(mini_frame, mini_codebook):
    before = mini_frame.copy()
    Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    pd.testing.assert_frame_equal(mini_frame, before)


def test_indicators_follow_their_rules(mini_survey, mini_frame):
    raw = mini_frame["cbeenbullied"].where(mini_frame["cbeenbullied"] != 99)
    cyber = mini_survey.indicator("cyberbullied")
    assert cyber.isna().equals(raw.isna())
    assert (cyber[raw.notna()] == raw[raw.notna()].isin([2, 3, 4, 5]).astype(float)).all()
    often = mini_survey.indicator("bullied_often")
    assert (often[raw.notna()] == (raw[raw.notna()] >= 3).astype(float)).all()
    sex15 = mini_survey.indicator("ever_had_sex")
    assert sex15[mini_frame["agecat"] != 3].isna().all()
    assert sex15.notna().any()


def test_count_at_least_never_counts_non_response_as_no(mini_frame, mini_codebook):
    frame = mini_frame.iloc[:4].copy()
    frame[["smd1", "smd2", "smd3"]] = [[2, 2, 99], [1, 1, 99], [2, 1, 99], [1, 1, 1]]
    frame["countryno"], frame["cluster"], frame["region"] = 233000, [1, 1, 2, 2], 1
    survey = Survey(frame, Design("weight"), mini_codebook)
    result = survey.indicator("smd_two").tolist()
    assert result[:2] == [1.0, 0.0] and np.isnan(result[2]) and result[3] == 0.0
    assert survey.indicator("smd_mean").tolist() == [2.0, 1.0, 1.5, 1.0]


def test_values_and_errors(mini_survey):
    assert mini_survey.values("age").dtype == np.float64
    assert mini_survey.has("cyberbullied") and not mini_survey.has("nothing")
    with pytest.raises(EstimationError, match="'sex' is categorical"):
        mini_survey.values("sex")
    with pytest.raises(EstimationError, match="no variable or indicator 'nothing'"):
        mini_survey.values("nothing")


def test_indicator_needing_an_absent_variable(mini_frame, mini_codebook):
    survey = Survey(mini_frame.drop(columns="hadsex"), design_from_codebook(mini_codebook), mini_codebook)
    assert "ever_had_sex" not in survey.indicator_ids
    with pytest.raises(EstimationError, match="needs variable 'hadsex', which the survey lacks"):
        survey.indicator("ever_had_sex")


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


def test_design_arrays(mini_survey):
    arrays = mini_survey.design_arrays()
    assert arrays.n_strata == 4 and arrays.n_psus == 24
    assert arrays.degrees_of_freedom == 20
    assert (np.bincount(arrays.psu_stratum) == arrays.n_psu).all()


def test_psu_not_nested_needs_nest(mini_frame):
    frame = mini_frame.assign(cluster=mini_frame["cluster"] % 3)
    with pytest.raises(DesignError, match="appears in strata .* pass nest=True"):
        Survey(frame, Design("weight", strata=("countryno", "region"), psu="cluster"))
    nested = Survey(frame, Design("weight", strata=("countryno", "region"), psu="cluster", nest=True))
    assert nested.design_arrays().n_psus == 12


def test_fpc_counts_and_fractions(mini_frame):
    design = Design("weight", strata="countryno", psu="cluster", fpc="fpc")
    counts = Survey(mini_frame.assign(fpc=48), design).design_arrays().fpc_fraction
    fractions = Survey(mini_frame.assign(fpc=0.25), design).design_arrays().fpc_fraction
    np.testing.assert_allclose(counts, [0.25, 0.25])
    np.testing.assert_allclose(fractions, [0.25, 0.25])
    with pytest.raises(DesignError, match="smaller than the 12 sampled units"):
        Survey(mini_frame.assign(fpc=5), design)
    with pytest.raises(DesignError, match="varies within stratum"):
        Survey(mini_frame.assign(fpc=np.arange(len(mini_frame)) + 100), design)


def test_lonely_psu_rules(mini_frame):
    frame = mini_frame.assign(region=mini_frame["region"].where(mini_frame["cluster"] != 1, 3))
    with pytest.raises(DesignError, match="countryno=233000, region=3 has only one PSU"):
        Survey(frame, Design("weight", strata=("countryno", "region"), psu="cluster"))
    survey = Survey(frame, Design("weight", strata=("countryno", "region"), psu="cluster", lonely_psu="adjust"))
    assert survey.design_arrays().lonely_psu == "adjust"
    certain = Survey(frame.assign(fpc=frame["region"].map({1: 100, 2: 100, 3: 1})),
                     Design("weight", strata=("countryno", "region"), psu="cluster", fpc="fpc"))
    assert certain.design_arrays().certainty.sum() == 1
    with pytest.raises(DesignError, match="lonely_psu='sometimes' is not one of"):
        Design("weight", lonely_psu="sometimes")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="weight"), "design variable 'weight' is not in the data"),
        (lambda f: f.assign(weight="heavy"), "weight 'weight' is not numeric"),
        (lambda f: f.assign(weight=f["weight"].where(f.index != 0, np.inf)), "is infinite in 1 row"),
        (lambda f: f.assign(cluster=f["cluster"].where(f.index != 0)), "PSU variable 'cluster' is missing in 1 row"),
    ],
)
def test_bad_designs(mini_frame, change, message):
    with pytest.raises(DesignError, match=message):
        Survey(change(mini_frame), Design("weight", strata="countryno", psu="cluster"))


def test_unknown_code_is_a_data_error(mini_frame, mini_codebook):
    with pytest.raises(DataError, match=r"'sex' has code\(s\) not in the codebook: 3 \(1 rows\)"):
        Survey(mini_frame.assign(sex=mini_frame["sex"].where(mini_frame.index != 0, 3)), design_from_codebook(mini_codebook), mini_codebook)


def test_repr_shows_no_respondent_rows(mini_survey):
    text = repr(mini_survey)
    assert text.startswith("<Survey: 240 respondents, 2 states") and "SYNTHETIC DATA" in text
