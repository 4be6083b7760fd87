"""estimate.trend and estimate.regional_average against R (tests/reference/trends.R), and their rules (issue #13).

The data are tests/reference/data/trends_stacked.csv (three cycles written by trends.R); each cycle is read
through a small codebook of its own, as a real cycle's file would be, and the cycles are stacked with
survey.stacking.stack_surveys.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Design, Survey
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.stacking import stack_surveys

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
R = json.loads((REFERENCE / "trends.json").read_text(encoding="utf-8"))
CYCLES = {"2009/10": "t2010", "2013/14": "t2014", "2017/18": "t2018"}
RTOL = 1e-8

CODEBOOK = """codebook: {name}
title: trend test cycle {cycle}
cycle: "{cycle}"
state_variable: countryno
design: {{weight: weight, strata: [stratum], psu: psu, nest: true, lonely_psu: adjust}}
variables:
  - {{name: countryno, label: Country, type: design, values: {{208000: Denmark, 233000: Estonia, 440000: Lithuania}}}}
  - {{name: stratum, label: Stratum, type: design}}
  - {{name: psu, label: Class, type: design}}
  - {{name: weight, label: Weight, type: weight}}
  - {{name: sex, label: Sex, type: binary, values: {{1: Boy, 2: Girl}}}}
  - {{name: y, label: Outcome, type: binary, values: {{0: "No", 1: "Yes"}}}}
indicators:
  - {{id: y_yes, label: Outcome yes, variables: [y], rule: {{in: [1]}}, comparable_with: [{y_with}]{y_break}}}
  - {{id: y_no, label: Outcome no, variables: [y], rule: {{in: [0]}}, comparable_with: [{others}]}}
"""


def codebooks(folder: Path, break_before_2018: bool = False) -> dict[str, Path]:
    out = {}
    for cycle, name in CYCLES.items():
        others = [n for n in CYCLES.values() if n != name]
        y_with = others
        y_break = ""
        if break_before_2018:
            y_with = [n for n in others if (n == "t2018") == (name == "t2018")]
            y_break = ", break: 'the question changed in 2017/18'"
        path = folder / f"{name}.yaml"
        path.write_text(CODEBOOK.format(name=name, cycle=cycle, y_with=", ".join(y_with), y_break=y_break,
                                        others=", ".join(others)), encoding="utf-8")
        out[cycle] = path
    return out


def stacked_survey(folder: Path, break_before_2018: bool = False) -> Survey:
    data = pd.read_csv(REFERENCE / "data" / "trends_stacked.csv")
    surveys = {}
    for cycle, path in codebooks(folder, break_before_2018).items():
        frame = data.loc[data["cycle"] == cycle, ["countryno", "stratum", "psu", "weight", "sex", "y"]].reset_index(drop=True)
        design = Design(weight="weight", strata="stratum", psu="psu", nest=True, lonely_psu="adjust")
        surveys[cycle] = Survey(frame, design, load_codebook(path))
    return stack_surveys(surveys)


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Survey:
    return stacked_survey(tmp_path_factory.mktemp("codebooks"))


@pytest.fixture(scope="module")
def table(survey) -> pd.DataFrame:
    return estimate.proportion(survey, "y_yes", by=["cycle", "state"], min_n=0)


@pytest.fixture(scope="module")
def result(table) -> pd.DataFrame:
    return estimate.trend(table, over="cycle")


def close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=1e-15)


def test_changes_are_differences_of_independent_estimates(result):
    states = result[result["average"].isna() & (result["comparison"] != "linear")]
    expected = pd.DataFrame(R["changes"])
    merged = states.astype({"state": str}).merge(expected, on=["state", "comparison", "from", "to"], suffixes=("", "_r"))
    assert len(merged) == len(expected) == len(states) == 7
    for column in ("estimate_from", "estimate_to", "change", "se", "p_value", "ci_low", "ci_high", "p_holm"):
        close(merged[column], merged[f"{column}_r"])
    assert (merged["df"] == R["df_changes"]).all()
    lithuania = states[states["state"] == "LT"]  # no cases in 2013/14: its consecutive change spans 8 years
    assert lithuania[["comparison", "from", "to", "years"]].values.tolist() == [["consecutive", "2009/10", "2017/18", 8]]


def test_linear_trend_is_svyglm_on_the_stacked_design(result):
    linear = result[result["comparison"] == "linear"].astype({"state": str})
    expected = pd.DataFrame(R["linear"])
    merged = linear.merge(expected, on="state", suffixes=("", "_r"))
    assert len(merged) == 3
    for column in ("change", "se", "df", "p_value", "ci_low", "ci_high", "p_holm"):
        close(merged[column], merged[f"{column}_r"])
    assert (linear["from"] == "2009/10").all() and (linear["to"] == "2017/18").all()


def test_regional_averages_over_time_and_their_changes(table, result):
    averages = estimate.regional_average(table)
    expected = pd.DataFrame(R["averages"])
    merged = averages.astype({"cycle": str}).merge(expected, on=["cycle", "average"], suffixes=("", "_r"))
    assert len(merged) == len(expected) == 6
    for column in ("estimate", "se", "domains"):
        close(merged[column], merged[f"{column}_r"])
    changes = result[result["average"].notna()]
    expected = pd.DataFrame(R["average_changes"])
    merged = changes.merge(expected, on=["average", "comparison", "from", "to"], suffixes=("", "_r"))
    assert len(merged) == len(expected) == 6
    for column in ("change", "se", "p_value"):
        close(merged[column], merged[f"{column}_r"])
    assert changes["state"].isna().all()


def test_the_table_points_to_its_survey_in_memory_only(table, survey):
    assert estimate.trend(pickle.loads(pickle.dumps(table)), survey=survey).equals(estimate.trend(table))
    with pytest.raises(EstimationError, match="no longer points to its survey .*; pass survey="):
        estimate.trend(pickle.loads(pickle.dumps(table)))


def test_a_break_is_marked_left_out_or_refused(tmp_path):
    survey = stacked_survey(tmp_path, break_before_2018=True)
    table = estimate.proportion(survey, ["y_yes", "y_no"], by=["cycle", "state"], min_n=0)
    marked = estimate.trend(table)
    crossing = marked[~marked["comparable"]]
    assert set(crossing["variable"]) == {"y_yes"}
    assert (crossing["to"] == "2017/18").all()
    assert crossing["break"].str.startswith("2013/14 to 2017/18: the question changed in 2017/18").all()
    lithuania = crossing[crossing["state"] == "LT"]  # 2009/10 -> 2017/18 crosses the break between 2013/14 and 2017/18
    assert len(lithuania) == 2 and set(lithuania["comparison"]) == {"consecutive", "linear"}
    assert marked.loc[marked["comparable"], "break"].eq("").all()
    omitted = estimate.trend(table, breaks="omit")
    assert omitted["comparable"].all() and len(omitted) == len(marked) - len(crossing)
    with pytest.raises(EstimationError, match=r"trend: y_yes from 2013/14 to 2017/18 crosses a break \('2013/14 to 2017/18: the question changed"):
        estimate.trend(table, breaks="raise")


def test_suppressed_estimates_suppress_their_changes(survey):
    table = estimate.proportion(survey, "y_yes", by=["cycle", "state"], min_n=200)
    small = table.loc[table["suppressed"], ["cycle", "state"]].astype(str).values.tolist()
    assert small, "the fixture has small domains"
    result = estimate.trend(table)
    states = result[result["average"].isna() & (result["comparison"] != "linear")].astype({"state": str})
    for cycle, state in small:
        touched = states[(states["state"] == state) & ((states["from"] == cycle) | (states["to"] == cycle))]
        assert touched["suppressed"].all() and touched["change"].isna().all()
    linear = result[result["comparison"] == "linear"]
    assert not linear["suppressed"].any()  # every state has more than 200 respondents over the cycles


def test_bad_input_is_one_line(table, survey):
    cases = [
        (lambda: estimate.trend(table, over="sex"), "over='sex' is not a by column of the table"),
        (lambda: estimate.trend(table, breaks="ignore"), "breaks='ignore' is not one of mark, omit, raise"),
        (lambda: estimate.trend(pd.DataFrame({"x": [1]})), "the table has no design information"),
        (lambda: estimate.regional_average(table, by="sex"), "by='sex' is not a by column"),
    ]
    for call, text in cases:
        with pytest.raises(EstimationError) as caught:
            call()
        assert text in str(caught.value) and "\n" not in str(caught.value)
    one_cycle = estimate.proportion(survey.cycles[0] and _single(survey), "y_yes", by="state", min_n=0)
    with pytest.raises(EstimationError, match="not a stacked survey of several cycles"):
        estimate.trend(one_cycle, over="state")


def _single(survey: Survey) -> Survey:
    frame = survey.data.loc[survey.data["cycle"] == "2009/10"].reset_index(drop=True)
    return Survey(frame, Design(weight="weight", strata="stratum", psu="psu", nest=True, lonely_psu="adjust"), survey.codebook)


def test_the_result_carries_its_provenance(result, table):
    assert result.attrs["kind"] == "trend" and result.attrs["over"] == "cycle" and result.attrs["min_n"] == 0
    assert list(result.columns[:3]) == ["variable", "level", "state"]
    assert result["p_holm"].ge(result["p_value"] - 1e-15).all()
    assert result["state"].dtype == table["state"].dtype


def test_an_average_without_states_in_both_cycles_is_suppressed(table):
    lithuania = table[table["state"].astype(str) == "LT"]  # no 2013/14 cases
    result = estimate.trend(lithuania)
    averages = result[result["average"].notna()]
    assert set(zip(averages["from"], averages["to"], strict=True)) == {("2009/10", "2017/18")}
    assert not averages["suppressed"].any()
    everything = estimate.trend(table[table["state"].astype(str).isin(["LT", "DK"])])
    empty = everything[everything["average"].notna() & (everything["from"] == "2013/14")]
    assert len(empty) == 2 and not empty["suppressed"].any()  # DK alone is in both 2013/14 and 2017/18


def test_a_cycle_whose_estimates_are_all_suppressed_leaves_its_averages_suppressed(survey):
    table = estimate.proportion(survey, "y_yes", by=["cycle", "state"], min_n=265)
    assert table.loc[table["cycle"] == "2013/14", "suppressed"].all()
    result = estimate.trend(table)
    touching = result[result["average"].notna() & ((result["from"] == "2013/14") | (result["to"] == "2013/14"))]
    assert len(touching) == 4 and touching["suppressed"].all() and touching["change"].isna().all()


def test_a_filtered_table_gives_the_trends_of_its_domains_only(table):
    result = estimate.trend(table[table["state"].astype(str) != "EE"])
    assert set(result["state"].dropna().astype(str)) == {"DK", "LT"}
    assert set(result.loc[result["comparison"] == "linear", "state"].astype(str)) == {"DK", "LT"}
