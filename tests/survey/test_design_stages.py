"""Two-stage designs (R's multistage variance) and zero weights, pinned by hand computations.

Agreement with R (apiclus2 with fpc as counts and as fractions, apistrat with zero weights) is
in tests/estimate/test_reference_verbs.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate, models
from cbss_analysis.errors import DesignError
from cbss_analysis.survey import Design, Survey

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
LEVELS = json.loads((REFERENCE / "verbs.json").read_text())["factor_levels"]


def two_stage_frame() -> pd.DataFrame:
    """2 strata x 3 PSUs (of 10 and 12), each with 2-4 sampled classes (of 6) of 1-3 pupils."""
    rng = np.random.default_rng(11)
    rows = []
    for stratum, population in ((0, 10), (1, 12)):
        for school in range(3):
            classes = 2 + (school + stratum) % 3
            for klass in range(classes):
                for _ in range(1 + (klass + school) % 3):
                    rows.append({"stratum": stratum, "school": 10 * stratum + school, "class": klass, "N1": population,
                                 "N2": 6, "w": rng.uniform(5, 30), "y": rng.normal(10, 3), "dom": rng.integers(0, 2)})
    return pd.DataFrame(rows)


def hand_variance(frame: pd.DataFrame, z: np.ndarray) -> float:
    """R's multistage formula for per-row influence values z (a total: w * y)."""
    frame = frame.assign(z=z)
    total = 0.0
    for _, stratum in frame.groupby("stratum"):
        psu_totals = stratum.groupby("school")["z"].sum()
        n, population = psu_totals.size, stratum["N1"].iloc[0]
        total += (1 - n / population) * n / (n - 1) * ((psu_totals - psu_totals.mean()) ** 2).sum()
        for _, school in stratum.groupby("school"):
            unit_totals = school.groupby("class")["z"].sum()
            m, classes = unit_totals.size, school["N2"].iloc[0]
            total += n / population * (1 - m / classes) * m / (m - 1) * ((unit_totals - unit_totals.mean()) ** 2).sum()
    return total


def test_two_stage_variance_is_the_multistage_formula() -> None:
    frame = two_stage_frame()
    survey = Survey(frame, Design("w", strata="stratum", psu=("school", "class"), fpc=("N1", "N2")))
    row = estimate.total(survey, "y", min_n=0).iloc[0]
    assert row["se"] ** 2 == pytest.approx(hand_variance(frame, frame["w"] * frame["y"]), rel=1e-12)
    assert row["df"] == 6 - 2
    # a domain: classes without domain members count as zeros among the classes of the full design
    in_domain = (frame["dom"] == 1).to_numpy()
    domain = estimate.total(survey, "y", by="dom", min_n=0).set_index("dom").loc[1]
    assert domain["se"] ** 2 == pytest.approx(hand_variance(frame, np.where(in_domain, frame["w"] * frame["y"], 0.0)),
                                              rel=1e-12)


def test_fractions_counts_and_the_one_stage_fast_path() -> None:
    frame = two_stage_frame()
    frame["f1"] = 3 / frame["N1"]
    frame["f2"] = frame.groupby("school")["class"].transform("nunique") / frame["N2"]
    counts = Survey(frame, Design("w", strata="stratum", psu=("school", "class"), fpc=("N1", "N2")))
    fractions = Survey(frame, Design("w", strata="stratum", psu=["school", "class"], fpc=["f1", "f2"]))
    assert estimate.mean(fractions, "y")["se"].iloc[0] == pytest.approx(estimate.mean(counts, "y")["se"].iloc[0], rel=1e-12)
    # without fpc the second stage adds nothing: the one-stage design on the schools (R, with replacement)
    no_fpc = Survey(frame, Design("w", strata="stratum", psu=("school", "class")))
    one_stage = Survey(frame, Design("w", strata="stratum", psu="school"))
    assert no_fpc.design_arrays().stage2 is None and one_stage.design_arrays().stage2 is None
    assert counts.design_arrays().stage2 is not None
    pd.testing.assert_frame_equal(estimate.mean(no_fpc, "y", by="dom"), estimate.mean(one_stage, "y", by="dom"))


def test_models_use_the_multistage_variance() -> None:
    frame = two_stage_frame()
    survey = Survey(frame, Design("w", strata="stratum", psu=("school", "class"), fpc=("N1", "N2")))
    fit = models.linear(survey, "y ~ 1", min_n=0)
    mean = estimate.mean(survey, "y", min_n=0)
    assert fit["se"].iloc[0] == pytest.approx(mean["se"].iloc[0], rel=1e-10)


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"psu": ("school", "class"), "fpc": "N1"}, "one column per stage"),
        ({"psu": "school", "fpc": ("N1", "N2")}, "one column per stage"),
        ({"psu": ("school", "class", "stratum")}, "at most two stages"),
    ],
)
def test_stage_and_fpc_counts_must_agree(design: dict, message: str) -> None:
    with pytest.raises(DesignError, match=message):
        Design("w", **design)


def test_second_stage_fpc_checks() -> None:
    frame = two_stage_frame()
    design = Design("w", strata="stratum", psu=("school", "class"), fpc=("N1", "N2"))
    with pytest.raises(DesignError, match=r"fpc 'N2' varies within PSU school=0"):
        Survey(frame.assign(N2=np.where(frame.index == 0, 7, 6)), design)
    with pytest.raises(DesignError, match=r"fpc 'N2' = 1.5 in PSU school=0 is smaller than its 2 sampled class units"):
        Survey(frame.assign(N2=1.5), design)


def test_a_single_sampled_class_is_a_lonely_unit_at_stage_2() -> None:
    frame = two_stage_frame()
    lonely = frame.loc[~((frame["school"] == 0) & (frame["class"] > 0))].reset_index(drop=True)  # school 0: one class
    with pytest.raises(DesignError, match=r"PSU school=0 has only one sampled class unit at stage 2"):
        Survey(lonely, Design("w", strata="stratum", psu=("school", "class"), fpc=("N1", "N2")))
    # a census of the school's classes is no lonely unit
    census = lonely.assign(N2=np.where(lonely["school"] == 0, 1, lonely["N2"]))
    Survey(census, Design("w", strata="stratum", psu=("school", "class"), fpc=("N1", "N2")))
    z = (lonely["w"] * lonely["y"]).to_numpy()
    school0 = (lonely["school"] == 0).to_numpy()
    first_stage_fraction = 3 / 10
    results = {}
    for rule in ("remove", "certainty", "adjust", "average"):
        survey = Survey(lonely, Design("w", strata="stratum", psu=("school", "class"), fpc=("N1", "N2"), lonely_psu=rule))
        results[rule] = estimate.total(survey, "y", min_n=0)["se"].iloc[0] ** 2
    assert results["remove"] == pytest.approx(results["certainty"], rel=1e-14)
    # "adjust": the lonely class is not centred (deviation from 0), R's onestrat()
    assert results["adjust"] - results["remove"] == pytest.approx(first_stage_fraction * (1 - 1 / 6) * z[school0].sum() ** 2,
                                                                  rel=1e-10)
    assert np.isnan(results["average"])  # R: an NA stage-2 stratum with nothing to average over


# --------------------------------------------------------------------------- zero weights


def apistrat() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "data" / "verbs_apistrat.csv")
    for column, levels in LEVELS["apistrat"].items():
        data[column] = pd.Categorical(data[column], categories=levels)
    return data


def test_zero_weights_are_rows_outside_every_domain() -> None:
    """Weight 0 on some rows = those rows outside a subset of the design with their weights."""
    data = apistrat()
    zero = Survey(data, Design("pw_zero", strata="stype", fpc="fpc"))
    subset = Survey(data, Design("pw", strata="stype", fpc="fpc")).subset(data["pw_zero"] > 0)
    columns = ["estimate", "se", "ci_low", "ci_high", "n", "df", "n_weighted"]
    for verb in (estimate.mean, estimate.total):
        pd.testing.assert_frame_equal(verb(zero, ["api00", "enroll"], by="stype")[columns],
                                      verb(subset, ["api00", "enroll"], by="stype")[columns], rtol=1e-12)
    pd.testing.assert_frame_equal(models.linear(zero, "api00 ~ ell", min_n=0)[["estimate", "se", "df", "n"]],
                                  models.linear(subset, "api00 ~ ell", min_n=0)[["estimate", "se", "df", "n"]], rtol=1e-10)
    assert zero.degrees_of_freedom == subset.degrees_of_freedom == 187
    assert estimate.mean(zero, "api00", by="zgroup")["zgroup"].astype(str).tolist() == ["kept"]
    assert estimate.quantile(zero, "api00", by="zgroup")["zgroup"].astype(str).tolist() == ["kept"]


def test_n_counts_respondents_with_a_nonzero_weight() -> None:
    data = apistrat()
    zero = Survey(data, Design("pw_zero", strata="stype", fpc="fpc"))
    table = estimate.mean(zero, "api00", by="stype", min_n=0)
    assert table["n"].tolist() == [94, 47, 49]


@pytest.mark.parametrize(("weights", "message"), [(0.0, "zero in every row"), (-1.0, "negative in 1 row")])
def test_weights_that_are_refused(weights: float, message: str) -> None:
    data = apistrat()
    data["bad"] = weights if weights == 0.0 else np.where(data.index == 3, weights, data["pw"])
    with pytest.raises(DesignError, match=message):
        Survey(data, Design("bad", strata="stype", fpc="fpc"))
