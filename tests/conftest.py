"""Shared fixtures: small surveys built from the test codebook (no dependency on the embedded data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cbss_analysis.survey.codebook import Codebook, load_codebook

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
