"""Several cycles in one survey: load_survey([...]) and load_survey({cycle: (path, codebook)}) (issue #13).

The files are small SPSS files in each cycle's documented schema (tests/survey/test_hbsc_cycles_schema.py writes
them), here with the codebook's variable and value labels, as the real files have them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cbss_analysis import estimate, load_survey
from cbss_analysis.errors import DataError, DesignError
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.codebook_choice import codebook_for_file, default_codebook_for
from cbss_analysis.survey.cycles import cycle_year
from cbss_analysis.survey.stacking import stack_surveys
from tests.survey.test_hbsc_cycles_schema import schema_frame

CYCLE_OF = {"2002": "2001/02", "2006": "2005/06", "2010": "2009/10", "2014": "2013/14"}


def write_labelled(cycle: str, folder: Path, label: str = "HBSC test file") -> Path:
    """A file in the cycle's schema with the codebook's variable and value labels."""
    book = load_codebook(f"hbsc{cycle}_oa")
    frame = schema_frame(cycle)
    path = folder / f"hbsc{cycle}.sav"
    values = {name: {float(k): v for k, v in var.values.items()} for name, var in book.variables.items()
              if var.values and not var.is_text and name in frame.columns}
    pyreadstat.write_sav(frame, str(path), file_label=label, column_labels={n: book.variables[n].label for n in frame.columns},
                         variable_value_labels=values)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cycles")
    return {cycle: write_labelled(cycle, folder) for cycle in CYCLE_OF}


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.fixture(scope="module")
def stacked(files):
    return quiet(load_survey, [files["2014"], files["2002"], files["2006"], files["2010"]])


@pytest.fixture(scope="module")
def singles(files):
    return {CYCLE_OF[c]: quiet(load_survey, path, f"hbsc{c}_oa") for c, path in files.items()}


@pytest.mark.parametrize("cycle", list(CYCLE_OF))
def test_the_codebook_is_chosen_by_the_file_schema(files, cycle):
    assert codebook_for_file(files[cycle]) == f"hbsc{cycle}_oa"
    assert default_codebook_for(files[cycle]) == f"hbsc{cycle}_oa"  # lacks hbsc2018_oa's design variables


def test_two_cycles_with_the_same_names_need_labels_to_tell_them_apart(tmp_path):
    frame = schema_frame("2002")
    path = tmp_path / "hbsc.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"hbsc\.csv: its variables fit codebooks hbsc2002_oa and hbsc2010_oa equally"):
        codebook_for_file(path)


def test_the_stacked_survey_has_cycles_in_time_order(stacked, singles):
    assert [c.label for c in stacked.cycles] == ["2001/02", "2005/06", "2009/10", "2013/14"]
    assert [c.year for c in stacked.cycles] == [2002, 2006, 2010, 2014]
    assert [c.codebook.name for c in stacked.cycles] == [f"hbsc{c}_oa" for c in CYCLE_OF]
    assert list(stacked.data["cycle"].cat.categories) == [c.label for c in stacked.cycles]
    assert stacked.data["cycle"].cat.ordered
    assert len(stacked) == sum(len(s) for s in singles.values())
    assert stacked.data.groupby("cycle", observed=True)["cycle_year"].first().tolist() == [2002.0, 2006.0, 2010.0, 2014.0]


def test_strata_are_nested_in_cycle_and_psus_in_strata(stacked, singles):
    arrays = stacked.design_arrays()
    assert arrays.n_strata == sum(s.design_arrays().n_strata for s in singles.values())
    assert arrays.n_psus == sum(s.design_arrays().n_psus for s in singles.values())
    assert stacked.degrees_of_freedom == sum(s.degrees_of_freedom for s in singles.values())
    assert stacked.design.strata_columns == ("cycle", "stratum") and stacked.design.nest


def test_harmonised_indicators_are_each_cycles_own_rule(stacked, singles):
    for label, single in singles.items():
        rows = (stacked.data["cycle"] == label).to_numpy()
        for indicator_id in ("been_bullied", "condom_last_sex", "easy_talk_father", "teacher_support_high"):
            mine = stacked.indicator(indicator_id).to_numpy()[rows]
            if indicator_id in single.indicator_ids:
                np.testing.assert_array_equal(mine, single.indicator(indicator_id).to_numpy())
            else:
                assert np.isnan(mine).all() and indicator_id in single.codebook.absent
    ages = stacked.data["agecat"]
    assert list(ages.cat.categories) == ["11", "13", "15"]  # 2013/14 (the latest) names it AGECAT
    rows = (stacked.data["cycle"] == "2013/14").to_numpy()
    theirs = singles["2013/14"].data["AGECAT"]
    assert ages[rows].isna().sum() == theirs.isna().sum()
    assert (ages[rows].dropna().astype(str).to_numpy() == theirs.dropna().astype(str).to_numpy()).all()


def test_estimates_by_cycle_are_each_cycles_own(stacked, singles):
    """Independent samples: by cycle, the stacked design gives each cycle's estimate, SE and df."""
    both = quiet(estimate.proportion, stacked, ["been_bullied", "easy_talk_mother"], by=["cycle", "state", "sex"], min_n=0)
    for label, single in singles.items():
        own = quiet(estimate.proportion, single, ["been_bullied", "easy_talk_mother"], by=["state", "sex"], min_n=0)
        mine = both[both["cycle"] == label].reset_index(drop=True)
        for column in ("estimate", "se", "ci_low", "ci_high", "df", "n"):
            np.testing.assert_allclose(mine[column].to_numpy(dtype=float), own[column].to_numpy(dtype=float), rtol=1e-12)
    means = quiet(estimate.mean, stacked, "age", by="cycle", min_n=0)
    assert means["cycle"].tolist() == ["2001/02", "2005/06", "2009/10", "2013/14"]


def test_a_mapping_names_the_cycles(files):
    survey = quiet(load_survey, {"2009/10": (files["2010"], "hbsc2010_oa"), "2005/06": files["2006"]})
    assert [c.label for c in survey.cycles] == ["2005/06", "2009/10"]


def test_bad_input_is_one_line(files, tmp_path):
    cases = [
        (lambda: load_survey([files["2006"]], codebook="hbsc2006_oa"), DataError, "give each its codebook"),
        (lambda: load_survey([files["2006"], files["2006"]]), DataError, "hbsc2006.sav: cycle 2005/06 is already read from hbsc2006.sav"),
        (lambda: load_survey({"2009/10": (files["2006"], "hbsc2006_oa")}), DataError, "given as cycle '2009/10' but codebook hbsc2006_oa is of cycle 2005/06"),
        (lambda: load_survey({"2009-10": files["2006"]}), DataError, "cycle '2009-10' is not a survey cycle label"),
        (lambda: load_survey([tmp_path / "nowhere.sav"]), DataError, "nowhere.sav: no such file"),
        (lambda: load_survey([]), DataError, "no file given"),
    ]
    for call, error, text in cases:
        with pytest.raises(error) as caught, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
        assert text in str(caught.value) and "\n" not in str(caught.value)


def test_a_codebook_without_a_cycle_needs_the_mapping(files, tmp_path):
    text = (Path(load_codebook("hbsc2006_oa").path)).read_text(encoding="utf-8")
    nameless = tmp_path / "mine.yaml"
    nameless.write_text(text.replace("codebook: hbsc2006_oa\n", "codebook: mine\n").replace("cycle: 2005/06\n", ""), encoding="utf-8")
    with pytest.raises(DataError, match=r"hbsc2006.sav: codebook 'mine' names no cycle; pass \{cycle: \(path, codebook\)\}"):
        quiet(load_survey, [(files["2006"], nameless)])
    survey = quiet(load_survey, {"2005/06": (files["2006"], nameless), "2009/10": files["2010"]})
    assert [c.codebook.name for c in survey.cycles] == ["mine", "hbsc2010_oa"]


def test_incompatible_designs_are_refused(singles, files, tmp_path):
    from cbss_analysis.synthetic.replicates import load_replicate_example

    replicate = load_replicate_example()
    taylor = singles["2013/14"]
    with pytest.raises(DesignError, match=r"replicate weights cannot be stacked with other cycles \(2013/14: a Taylor; 2017/18: a replicate-weight design\)"):
        stack_surveys({"2017/18": replicate, "2013/14": taylor})
    with pytest.raises(DesignError, match="2013/14 is a subset; stack the whole surveys"):
        stack_surveys({"2013/14": taylor.subset('sex == "Girl"'), "2009/10": singles["2009/10"]})
    with pytest.raises(DesignError, match=r"lonely-PSU rules differ \(2009/10: 'adjust', 2013/14: 'remove'\)"):
        stack_surveys({"2013/14": quiet(load_survey, files["2014"], "hbsc2014_oa", lonely_psu="remove"),
                       "2009/10": singles["2009/10"]})
    fake = quiet(load_survey, write_labelled("2010", tmp_path, label="SYNTHETIC DATA test"), "hbsc2010_oa")
    assert fake.synthetic
    with pytest.raises(DataError, match="cycle 2009/10 is SYNTHETIC and cycle 2013/14 is real data"):
        stack_surveys({"2009/10": fake, "2013/14": taylor})


def test_cycle_years():
    assert [cycle_year(c) for c in ("2001/02", "1999/00", "2017/18")] == [2002, 2000, 2018]
    for bad in ("2001/03", "2001", 2002):
        with pytest.raises(DataError):
            cycle_year(bad)


def test_a_frame_of_one_cycle_is_unchanged(singles):
    """Loading cycles leaves each cycle's own survey as a single load gives it."""
    single = singles["2005/06"]
    assert single.cycles == () and "cycle" not in single.data.columns
    assert isinstance(single.data, pd.DataFrame)
