"""Scale scores and weighted Cronbach's alpha: against base R (tests/reference/models.json) and hand examples."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import scales
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey import Survey, design_from_codebook
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.design import Design
from tests.conftest import REFERENCE

ALL_ALPHA_CASES = json.loads((REFERENCE / "models.json").read_text(encoding="utf-8"))["alpha"]
ALPHA_CASES = [c for c in ALL_ALPHA_CASES if "codebook" not in c]
SYNTHETIC_ALPHA_CASES = [c for c in ALL_ALPHA_CASES if "codebook" in c]


def _api_survey(name: str) -> Survey:
    frame = pd.read_csv(REFERENCE / "data" / name, dtype={"cds": str, "stype": str})
    return Survey(frame, Design(weight="pw"))


def _hand_survey() -> Survey:
    frame = pd.DataFrame({"x1": [1.0, 2, 3], "x2": [1.0, 3, 2], "w": [2.0, 1, 1]})
    return Survey(frame, Design(weight="w"))


@pytest.mark.parametrize("case", ALPHA_CASES, ids=[c["id"] for c in ALPHA_CASES])
def test_alpha_matches_r(case: dict) -> None:
    survey = _api_survey(case["data"])
    domain = case["domain"]
    table = scales.alpha(survey, case["items"], by=domain["variable"] if domain else None, weighted=case["weighted"])
    if domain:
        table = table[table[domain["variable"]] == domain["value"]]
    row = table.iloc[0]
    assert row["alpha"] == pytest.approx(case["alpha"], rel=1e-10)
    assert row["n"] == case["n"] and row["n_items"] == len(case["items"])
    assert row["variables"] == ", ".join(case["items"])


@pytest.mark.parametrize("case", SYNTHETIC_ALPHA_CASES, ids=[c["id"] for c in SYNTHETIC_ALPHA_CASES])
def test_alpha_reverse_codes_from_the_codebook_as_r(case: dict) -> None:
    """Two of the five attitude items are reverse: true in cbss_online_risk; R reverse-coded them by hand."""
    codebook = load_codebook(case["codebook"])
    frame = pd.read_csv(REFERENCE / "data" / case["data"])
    table = scales.alpha(Survey(frame, design_from_codebook(codebook), codebook), case["items"])
    assert table["alpha"].iloc[0] == pytest.approx(case["alpha"], rel=1e-10)
    assert table["n"].iloc[0] == case["n"]
    assert table.attrs["synthetic"] is True


def test_alpha_by_hand() -> None:
    # x1 = 1,2,3 and x2 = 1,3,2, weights 2,1,1: weighted sums of squares 44/16, 44/16 and,
    # for the total 2,5,5, 144/16; alpha = 2 * (1 - 88/144) = 7/9. Unweighted: 2 * (1 - 4/6) = 2/3.
    survey = _hand_survey()
    assert scales.alpha(survey, ["x1", "x2"], min_n=1)["alpha"].iloc[0] == pytest.approx(7 / 9, rel=1e-14)
    assert scales.alpha(survey, ["x1", "x2"], weighted=False, min_n=1)["alpha"].iloc[0] == pytest.approx(2 / 3, rel=1e-14)


def test_alpha_small_domain_is_suppressed() -> None:
    table = scales.alpha(_hand_survey(), ["x1", "x2"])
    assert table["suppressed"].iloc[0] and np.isnan(table["alpha"].iloc[0]) and pd.isna(table["n"].iloc[0])
    assert table.attrs["kind"] == "alpha" and table.attrs["synthetic"] is False


def test_alpha_needs_two_items() -> None:
    with pytest.raises(EstimationError, match="at least two items"):
        scales.alpha(_hand_survey(), ["x1"])


def test_unknown_item_is_named() -> None:
    with pytest.raises(EstimationError, match="'x3'"):
        scales.score(_hand_survey(), ["x1", "x3"])


def test_score_mean_sum_and_min_valid() -> None:
    frame = pd.DataFrame({"a": [1.0, 2, np.nan, np.nan], "b": [3.0, np.nan, 4, np.nan], "c": [5.0, 4, 4, 1], "w": 1.0})
    survey = Survey(frame, Design(weight="w"))
    np.testing.assert_allclose(scales.score(survey, ["a", "b", "c"]), [3, np.nan, np.nan, np.nan])
    np.testing.assert_allclose(scales.score(survey, ["a", "b", "c"], min_valid=2), [3, 3, 4, np.nan])
    np.testing.assert_allclose(scales.score(survey, ["a", "b", "c"], method="sum", min_valid=2), [9, 9, 12, np.nan])
    np.testing.assert_allclose(scales.score(survey, ["a", "b", "c"], min_valid=1), [3, 3, 4, 1])
    with pytest.raises(EstimationError, match="min_valid"):
        scales.score(survey, ["a", "b"], min_valid=3)
    with pytest.raises(EstimationError, match="'median'"):
        scales.score(survey, ["a", "b"], method="median")


def test_reverse_coded_items_use_codebook_codes(mini_codebook, mini_frame) -> None:
    reversed_smd2 = dataclasses.replace(mini_codebook.variables["smd2"], reverse=True)
    codebook = dataclasses.replace(mini_codebook, variables={**mini_codebook.variables, "smd2": reversed_smd2})
    survey = Survey(mini_frame, design_from_codebook(codebook), codebook)
    codes = mini_frame[["smd1", "smd2", "smd3"]].where(lambda f: f != 99).astype(float)
    expected = (codes["smd1"] + (1 + 2 - codes["smd2"]) + codes["smd3"]).to_numpy()
    np.testing.assert_allclose(scales.score(survey, ["smd1", "smd2", "smd3"], method="sum"), expected)
    plain = Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)
    assert scales.alpha(survey, ["smd1", "smd2", "smd3"])["alpha"].iloc[0] != pytest.approx(
        scales.alpha(plain, ["smd1", "smd2", "smd3"])["alpha"].iloc[0]
    )
