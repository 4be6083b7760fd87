"""Shared fixtures: small surveys built from the test codebook (no dependency on the embedded data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cbss_analysis.survey.codebook import Codebook, load_codebook

TESTS = Path(__file__).resolve().parent
MINI_CODEBOOK = TESTS / "fixtures" / "mini_codebook.yaml"
BAD_INPUTS = TESTS / "bad_inputs"


@pytest.fixture(scope="session")
def mini_codebook() -> Codebook:
    return load_codebook(MINI_CODEBOOK)


@pytest.fixture()
def mini_frame() -> pd.DataFrame:
    """A valid coded frame for the mini codebook (two states, 24 classes)."""
    return pd.read_csv(BAD_INPUTS / "valid.csv")
