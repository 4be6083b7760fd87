"""cbss_analysis.survey.design: the design columns checked once and turned into integer arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import Design, Survey
from cbss_analysis.errors import DesignError
from cbss_analysis.survey.design import design_arrays


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


@pytest.mark.parametrize(
    ("weight", "message"),
    [(np.nan, "is missing in 1 row(s) (first at row 3)"), (-1.0, "is negative in 1 row(s)"),
     (True, "holds true/false values")],
)
def test_weights_must_be_finite_and_not_negative(weight, message):
    frame = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0]})
    frame["w"] = [True, False, True, True] if weight is True else frame["w"].where(frame.index != 3, weight)
    with pytest.raises(DesignError) as info:
        design_arrays(frame, Design("w"), "file.csv")
    assert str(info.value).startswith("file.csv: weight 'w' ") and message in str(info.value)


def test_without_psu_every_row_is_its_own_psu_and_columns_are_listed():
    frame = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "h": ["a", "a", "b", "b"], "n": [10, 10, 20, 20]})
    design = Design("w", strata=["h"], fpc="n")
    assert design.strata == ("h",) and design.strata_columns == ("h",)
    assert design.columns == ("w", "h", "n") and Design("w").columns == ("w",) and Design("w").strata_columns == ()
    arrays = design_arrays(frame, design)
    assert arrays.psu.tolist() == [0, 1, 2, 3] and arrays.psu_stratum.tolist() == [0, 0, 1, 1]
    assert arrays.n_psu.tolist() == [2, 2] and arrays.degrees_of_freedom == 2
    np.testing.assert_allclose(arrays.fpc_fraction, [0.2, 0.1])  # 2 of 10, 2 of 20 units
    np.testing.assert_array_equal(arrays.weight, frame["w"].to_numpy())


def test_nest_makes_psu_codes_unique_within_strata():
    frame = pd.DataFrame({"w": 1.0, "h": [1, 1, 1, 1, 2, 2, 2, 2], "psu": [1, 1, 2, 2, 1, 1, 2, 2]})
    arrays = design_arrays(frame, Design("w", strata="h", psu="psu", nest=True))
    assert arrays.psu.tolist() == [0, 0, 1, 1, 2, 2, 3, 3] and arrays.psu_stratum.tolist() == [0, 0, 1, 1]
    with pytest.raises(DesignError, match="PSU psu=1 appears in strata h=1; h=2"):
        design_arrays(frame, Design("w", strata="h", psu="psu"))


def test_zero_weights_stay_in_the_design_but_all_zero_is_refused():
    arrays = design_arrays(pd.DataFrame({"w": [1.0, 0.0, 3.0, 4.0]}), Design("w"), "file.csv")
    assert arrays.weight.tolist() == [1.0, 0.0, 3.0, 4.0]  # R: the row stays and contributes nothing
    with pytest.raises(DesignError, match="file.csv: weight 'w' "):
        design_arrays(pd.DataFrame({"w": [0.0, 0.0]}), Design("w"), "file.csv")
