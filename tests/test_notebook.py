"""cbss_analysis.notebook: a notebook's first cell checks its parameters and loads the survey; helpers for notebooks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cbss_analysis import Design, Survey
from cbss_analysis.common.checks import MIN_N_FLOOR
from cbss_analysis.errors import DataError
from cbss_analysis.notebook import NotebookParameters, indicator_labels, keep_states, setup, split_available, start
from cbss_analysis.survey import design_from_codebook
from tests.conftest import BAD_INPUTS, MINI_CODEBOOK


def test_notebook_helpers(mini_frame, mini_codebook, capsys):
    survey = Survey(mini_frame.drop(columns="hadsex"), design_from_codebook(mini_codebook), mini_codebook)
    assert split_available(survey, ["cyberbullied", "ever_had_sex", "age"]) == ["cyberbullied", "age"]
    assert "Not available in this survey (1): ever_had_sex" in capsys.readouterr().out
    labels = indicator_labels(survey)
    assert labels["cyberbullied"] == "Cyberbullied at least once" and labels["sex"] == "Sex"
    table = pd.DataFrame({"state": pd.Categorical(["EE", "FI"]), "x": [1, 2]})
    table.attrs["synthetic"] = True
    kept = keep_states(table, ["FI"])
    assert kept["x"].tolist() == [2] and kept.attrs["synthetic"]


def test_notebook_setup_checks_parameters(tmp_path):
    params = setup(states=["ee", "FI"], min_n=10)
    assert params.states == ("EE", "FI") and params.data_path is None
    assert len(setup().states) == 11
    with pytest.raises(DataError, match="unknown state 'XX'"):
        setup(state="XX")
    with pytest.raises(DataError, match="data_path=.*no such file"):
        setup(data_path=tmp_path / "nothing.sav")
    with pytest.raises(DataError, match="min_n=0"):
        setup(min_n=0)


def test_min_n_below_the_floor_needs_allow_small_cells():
    assert MIN_N_FLOOR == 10
    with pytest.raises(DataError, match="parameter: min_n=9 is below the floor of 10 respondents; set allow_small_cells=True"):
        setup(min_n=9)
    params = setup(min_n=5, allow_small_cells=True)
    assert params.min_n == 5 and params.allow_small_cells is True
    with pytest.raises(DataError, match="allow_small_cells='yes' must be true or false"):
        setup(min_n=5, allow_small_cells="yes")


def test_focal_state_and_empty_data_path():
    params = setup(state="no", data_path="")
    assert params.state == "NO" and params.data_path is None and params.codebook is None
    assert setup(codebook="").codebook is None and setup(codebook="hbsc2018_oa").codebook == "hbsc2018_oa"
    assert pd.get_option("display.max_rows") == 60 and pd.get_option("display.precision") == 3


def test_start_checks_loads_and_labels():
    survey, labels, params = start(BAD_INPUTS / "valid.csv", str(MINI_CODEBOOK), ["FI"], 10)
    assert isinstance(params, NotebookParameters) and params.states == ("FI",) and params.min_n == 10
    assert len(survey) == 240 and survey.codebook.name == "mini" and survey.source == (BAD_INPUTS / "valid.csv").resolve()
    assert labels == indicator_labels(survey) and labels["smd_two"] == "Two or more SMD items"
    with pytest.raises(DataError, match="unknown state 'XX'"):
        start(BAD_INPUTS / "valid.csv", str(MINI_CODEBOOK), ["XX"], 10)


def test_helpers_without_a_codebook(mini_frame):
    survey = Survey(mini_frame, Design("weight"))
    assert indicator_labels(survey) == {}
    table = pd.DataFrame({"state": ["EE", "FI", "EE"], "x": [1, 2, 3]}, index=[5, 6, 7])
    kept = keep_states(table, ["EE"])
    assert kept["x"].tolist() == [1, 3] and kept.index.tolist() == [0, 1]
    assert keep_states(table.rename(columns={"state": "iso2"}), ["FI"], column="iso2")["x"].tolist() == [2]
    assert split_available(survey, ["age", "cyberbullied"]) == ["age"]


def test_several_cycles_files_start_a_stacked_survey(tmp_path):
    import warnings

    from cbss_analysis.methods import methods_note
    from cbss_analysis.synthetic.cycles import embedded_cycle_paths

    files = [str(p) for p in embedded_cycle_paths()[2:]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey, labels, params = start(files, None, ["EE", "LV"], 30)
    assert [c.label for c in survey.cycles] == ["2009/10", "2013/14", "2017/18"]
    assert params.data_path == tuple(embedded_cycle_paths()[2:]) and labels["been_bullied"].startswith("Bullied")
    note = repr(methods_note(survey, params))
    assert "schemas of the HBSC cycles 2009/10, 2013/14, 2017/18" in note and "strata are nested within cycle" in note
    with pytest.raises(DataError, match=r"parameter data_path='.*nowhere.sav': no such file"):
        setup([*files, str(tmp_path / "nowhere.sav")])
    with pytest.raises(DataError, match="with several files each file's codebook is chosen from its schema"):
        setup(files, codebook="hbsc2010_oa")


def test_the_package_warnings_read_as_one_line_in_notebooks(monkeypatch) -> None:
    import warnings

    from cbss_analysis import notebook

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    notebook._one_line_warnings()
    inside = str(Path(notebook.__file__).resolve().parent / "survey" / "loading.py")
    shown = warnings.formatwarning("12 row(s) get a PSU each", UserWarning, inside, 169)
    assert shown == "UserWarning: 12 row(s) get a PSU each\n", "no file, no line, no machine path"
    assert "/elsewhere.py:3" in warnings.formatwarning("other", UserWarning, "/elsewhere.py", 3)
