"""Replicate-weight designs of tests/reference/replicates.json rebuilt in Python (shared by the reference tests)."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from cbss_analysis.survey import Design, Survey
from cbss_analysis.survey.replicates import ReplicateDesign

REFERENCE = Path(__file__).resolve().parent / "reference"
REPLICATES = json.loads((REFERENCE / "replicates.json").read_text())
RTOL = 1e-8
CI_RTOL = 1e-6
OBSERVED: dict[str, float] = defaultdict(float)


def close(actual, expected, what: str, rtol: float = RTOL) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray([np.nan if e is None else e for e in np.atleast_1d(expected)], dtype=float).reshape(actual.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, equal_nan=True, err_msg=what)
    if rtol == RTOL:
        ok = np.isfinite(expected) & (expected != 0)
        if ok.any():
            OBSERVED["max"] = max(OBSERVED["max"], float(np.max(np.abs(actual[ok] / expected[ok] - 1.0))))


@cache
def reference_data(file: str) -> pd.DataFrame:
    frame = pd.read_csv(REFERENCE / "data" / file)
    name = next(k for k, v in REPLICATES["datasets"].items() if v == file)
    for column, levels in REPLICATES["factor_levels"].get(name, {}).items():
        frame[column] = pd.Categorical(frame[column], categories=levels)
    if "pw" not in frame:
        frame["pw"] = 1.0  # R: no sampling weights, all 1
    return frame


@cache
def repweights(file: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / file).drop(columns="row")


def taylor(spec: dict, frame: pd.DataFrame) -> Survey:
    return Survey(frame, Design(weight=spec["weight"], strata=spec["strata"], psu=spec["psu"], fpc=spec["fpc"], nest=spec["nest"]))


def build(case: dict) -> Survey:
    spec = case["design"]
    frame = reference_data(case["data"])
    call = case["r_call"]
    if spec["made_by"] == "as.svrepdesign" and spec["type"] not in ("bootstrap", "subbootstrap"):
        base = taylor(spec["taylor"], frame)
        rho = spec["rho"] if spec["type"] == "Fay" else None
        return base.to_replicate(spec["type"], rho=rho, mse=spec["mse"])
    weights = repweights(spec["repweights_file"])
    combined = spec["combined_weights"]
    if spec["made_by"] == "as.svrepdesign":  # random draws: R's own factors, R's constants
        kind, scale, rscales = "bootstrap", spec["scale"], tuple(spec["rscales"])
        combined = False
    else:
        kind = spec["type"]
        scale = spec["scale"] if "scale =" in call else None
        rscales = tuple(spec["rscales"]) if "rscales =" in call else None
    data = pd.concat([frame, weights.set_axis(frame.index)], axis=1)
    design = ReplicateDesign(
        "pw", list(weights.columns), kind, rho=spec["rho"] if kind == "Fay" else None, scale=scale, rscales=rscales,
        mse=spec["mse"], combined_weights=combined,
    )
    return Survey(data, design)


def _totals(name: str):
    population = REPLICATES["populations"][name]
    if "Freq" in population:
        return pd.DataFrame(population)
    totals: dict = {}
    for key, value in population.items():
        for column in ("stype", "sch_wide"):
            if key.startswith(column) and key != column:
                totals.setdefault(column, {})[key[len(column):]] = value
                break
        else:
            totals[key] = value
    return totals


def calibrated(case: dict, survey: Survey) -> Survey:
    if case["method"] == "calibrate":
        return survey.calibrate(
            _totals(case["population"]), method=case["calfun"], bounds=case["bounds"], trim=case.get("trim"),
        )
    if case["method"] == "postStratify":
        table = _totals(case["population"])
        return survey.post_stratify([c for c in table.columns if c != "Freq"], table)
    names = [n.strip() for n in case["population"].split("+")]
    tables = [_totals(n) for n in names]
    return survey.rake([next(c for c in t.columns if c != "Freq") for t in tables], tables)




def design_case(design_id: str) -> dict:
    return next(c for c in REPLICATES["replicate_designs"] if c["id"] == design_id)


def calibration_case(calibration_id: str) -> dict:
    return next(c for c in REPLICATES["replicate_calibration"] if c["id"] == calibration_id)


MODELS = json.loads((REFERENCE / "replicates_models.json").read_text())
"""tests/reference/replicates_models.R's cases: each names a design of REPLICATES and, optionally, its calibration."""


def model_design(case: dict) -> Survey:
    """The (calibrated) replicate design of a replicates_models.json case."""
    survey = build(design_case(case["design_id"]))
    if case.get("calibration_id"):
        survey = calibrated(calibration_case(case["calibration_id"]), survey)
    return survey


def model_cases(section: str) -> list:
    import pytest

    return [pytest.param(case, id=case["id"]) for case in MODELS[section]]
