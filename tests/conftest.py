"""Shared fixtures: small surveys built from the test codebook (no dependency on the embedded data),
R's api datasets, and a private copy of the report fixture plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbss_analysis.survey import Survey, design_from_codebook
from cbss_analysis.survey.codebook import Codebook, load_codebook
from cbss_analysis.survey.design import Design

TESTS = Path(__file__).resolve().parent
MINI_CODEBOOK = TESTS / "fixtures" / "mini_codebook.yaml"
BAD_INPUTS = TESTS / "bad_inputs"
REFERENCE = TESTS / "reference"
"""R reference values (``*.json``, made by the ``*.R`` scripts) and their datasets (``data/``)."""
REPORT_FIXTURES = TESTS / "report_fixtures"
"""A tiny report plan with two notebooks that read small CSV files."""


@pytest.fixture(scope="session")
def mini_codebook() -> Codebook:
    return load_codebook(MINI_CODEBOOK)


@pytest.fixture()
def mini_frame() -> pd.DataFrame:
    """A valid coded frame for the mini codebook (two states, 24 classes)."""
    return pd.read_csv(BAD_INPUTS / "valid.csv")


@pytest.fixture()
def mini_survey(mini_frame, mini_codebook) -> Survey:
    return Survey(mini_frame, design_from_codebook(mini_codebook), mini_codebook)


@pytest.fixture(scope="module")
def clus1() -> Survey:
    """R's apiclus1: one-stage cluster sample of 15 districts with fpc."""
    frame = pd.read_csv(REFERENCE / "data" / "apiclus1.csv")
    frame["stype"] = pd.Categorical(frame["stype"], categories=["E", "H", "M"])
    frame["sch_wide"] = pd.Categorical(frame["sch_wide"], categories=["No", "Yes"])
    frame["region"] = np.where(frame["dnum"] % 2 == 0, "even", "odd")
    return Survey(frame, Design(weight="pw", psu="dnum", fpc="fpc"))


@pytest.fixture(scope="module")
def strat() -> Survey:
    """R's apistrat: stratified (by school type) simple random sample with fpc."""
    frame = pd.read_csv(REFERENCE / "data" / "apistrat.csv")
    frame["stype"] = pd.Categorical(frame["stype"], categories=["E", "H", "M"])
    return Survey(frame, Design(weight="pw", strata="stype", fpc="fpc"))


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A private copy of the report fixture folder (plan, notebooks, CSV, codebooks)."""
    target = tmp_path / "plan"
    shutil.copytree(REPORT_FIXTURES, target)
    return target


def write_plan(folder: Path, text: str) -> Path:
    """Write ``text`` as ``folder/plan.yaml`` and return its path."""
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path
