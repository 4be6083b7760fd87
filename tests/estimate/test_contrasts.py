"""cbss_analysis.estimate.compare and cbss_analysis.estimate.contrasts: differences between domains with the design covariance.

Agreement with R's svycontrast is in test_reference_estimates.py.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate import contrasts
from cbss_analysis.survey import Survey
from cbss_analysis.survey.design import Design
from tests.conftest import REFERENCE

DATA = REFERENCE / "data"


def test_compare_regional_unweighted(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    result = estimate.compare(table, reference="regional", by="stype")
    regional = table["estimate"].mean()
    np.testing.assert_allclose(result["difference"], table["estimate"] - regional, rtol=1e-12)
    np.testing.assert_allclose(result["reference"], regional, rtol=1e-12)
    assert list(result.columns) == [
        "variable", "level", "stype", "estimate", "reference", "difference", "se", "ci_low", "ci_high",
        "p_value", "p_holm", "n", "suppressed", "df",
    ]
    assert result.attrs["kind"] == "comparison"


def test_compare_with_a_domain_drops_its_row(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    result = estimate.compare(table, reference="E", by="stype")
    assert list(result["stype"].astype(str)) == ["H", "M"]
    assert result.loc[0, "difference"] == pytest.approx(table.loc[1, "estimate"] - table.loc[0, "estimate"], rel=1e-12)


def test_compare_weighted_by_population(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    population = {"E": 3.0, "H": 1.0, "M": 1.0}
    result = estimate.compare(table, reference="regional_weighted", by="stype", population=population)
    weighted = np.average(table["estimate"], weights=[3, 1, 1])
    np.testing.assert_allclose(result["reference"], weighted, rtol=1e-12)
    default = estimate.compare(table, reference="regional_weighted", by="stype")
    np.testing.assert_allclose(default["reference"], np.average(table["estimate"], weights=table["n_weighted"]), rtol=1e-12)
    with pytest.raises(EstimationError, match="M"):
        estimate.compare(table, reference="regional_weighted", by="stype", population={"E": 1, "H": 1})


def test_compare_keeps_suppressed_rows_suppressed(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=30)
    result = estimate.compare(table, reference="regional", by="stype")
    hidden = table["suppressed"].to_numpy()
    assert hidden.any()
    assert (result["suppressed"].to_numpy() == hidden).all()
    assert result.loc[hidden, ["estimate", "difference", "se", "p_value"]].isna().all().all()
    shown = table.loc[~hidden, "estimate"]
    np.testing.assert_allclose(result.loc[~hidden, "reference"], shown.mean(), rtol=1e-12)


def test_compare_leaves_empty_domains_out_of_the_reference() -> None:
    frame = pd.read_csv(DATA / "lonely.csv")
    survey = Survey(frame, Design(weight="w", strata="stratum", psu="psu", nest=True, lonely_psu="adjust"))
    table = estimate.mean(survey, "yz", by="dom", min_n=0)
    result = estimate.compare(table, reference="regional", by="dom")
    assert not result["suppressed"].any()
    assert np.isnan(result.loc[2, "difference"])
    np.testing.assert_allclose(result.loc[:1, "reference"], table.loc[:1, "estimate"].mean(), rtol=1e-12)


def test_compare_groups_by_the_other_by_columns(clus1: Survey) -> None:
    table = estimate.proportion(clus1, "api_up", by=["region", "stype"], min_n=0)
    result = estimate.compare(table, reference="regional", by="stype")
    for _, group in result.groupby("region"):
        assert group["difference"].sum() == pytest.approx(0.0, abs=1e-12)


def test_compare_works_on_filtered_tables_and_survives_copies(clus1: Survey) -> None:
    table = estimate.mean(clus1, ["api00", "enroll"], by="stype", min_n=0)
    subset = table.loc[table["variable"] == "enroll"].iloc[::-1]
    result = estimate.compare(subset, reference="H", by="stype")
    full = estimate.compare(table, reference="H", by="stype")
    expected = full.loc[full["variable"] == "enroll"].set_index("stype")["se"]
    assert result.set_index("stype")["se"].to_dict() == pytest.approx(expected.to_dict(), rel=1e-12)
    assert copy.deepcopy(table).attrs["linearization"] is table.attrs["linearization"]
    joined = pd.concat([table, table])
    assert len(joined) == 12
    assert joined.attrs["linearization"] is table.attrs["linearization"], "a table concatenated with itself keeps its design link"


def test_tables_survive_parquet_pickle_and_concat(clus1: Survey, tmp_path: Path) -> None:
    """attrs stay JSON-writable (to_parquet), pickling keeps compare working, and concatenating
    two different estimates drops the design link instead of mixing them up."""
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    table.to_parquet(tmp_path / "t.parquet")
    assert pd.read_parquet(tmp_path / "t.parquet")["estimate"].tolist() == table["estimate"].tolist()
    restored = pickle.loads(pickle.dumps(table))
    pd.testing.assert_frame_equal(estimate.compare(restored, by="stype"), estimate.compare(table, by="stype"))
    other = estimate.mean(clus1, "api00", by="stype", min_n=0)
    assert "linearization" not in pd.concat([table, other]).attrs


def test_compare_needs_an_estimate_table() -> None:
    with pytest.raises(EstimationError, match="design information"):
        estimate.compare(pd.DataFrame({"variable": ["x"], "state": ["EE"], "estimate": [0.1]}))


def test_compare_rejects_unknown_reference_and_by(clus1: Survey) -> None:
    table = estimate.mean(clus1, "api00", by="stype", min_n=0)
    with pytest.raises(EstimationError, match="XX"):
        estimate.compare(table, reference="XX", by="stype")
    with pytest.raises(EstimationError, match="state"):
        estimate.compare(table)


def test_regional_weighted_by_state_uses_the_published_child_population(mini_survey) -> None:
    table = estimate.proportion(mini_survey, "cyberbullied", by="state", min_n=0)
    population = contrasts.published_child_population()
    assert {"EE", "FI"} <= set(population) and population["EE"] != population["FI"]
    result = estimate.compare(table, reference="regional_weighted")
    assert list(table["state"].astype(str)) == ["FI", "EE"]  # display order
    weights = [population["FI"], population["EE"]]
    np.testing.assert_allclose(result["reference"], np.average(table["estimate"], weights=weights), rtol=1e-12)
    by_n = estimate.compare(table, reference="regional_weighted", population=dict(zip(["FI", "EE"], table["n_weighted"])))
    assert not np.allclose(by_n["reference"], result["reference"])


def test_reference_weights_sum_to_one_per_group_and_skip_unavailable_rows() -> None:
    rows = pd.DataFrame({"state": ["EE", "LV", "LT", "EE", "LV"], "_group": [0, 0, 0, 1, 1],
                         "_available": [True, False, True, True, True], "n_weighted": [1.0, 2.0, 3.0, 4.0, 5.0]})
    np.testing.assert_allclose(contrasts.reference_weights(rows, "regional", "state", None), [0.5, 0, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(contrasts.reference_weights(rows, "LV", "state", None), [0, 0, 0, 0, 1])
    weighted = contrasts.reference_weights(rows, "regional_weighted", "state", {"EE": 1, "LV": 1, "LT": 3})
    np.testing.assert_allclose(weighted, [0.25, 0, 0.75, 0.5, 0.5])
    with pytest.raises(EstimationError, match="reference='SE' is not 'regional', 'regional_weighted' or a value of 'state'"):
        contrasts.reference_weights(rows, "SE", "state", None)
