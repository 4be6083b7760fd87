"""Fixtures of the JupyterLab tests (#14): the small test survey and the embedded one, each built once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cbss_analysis.survey import Survey, design_from_codebook, load_survey
from cbss_analysis.survey.codebook import load_codebook

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def small_survey() -> Survey:
    """The mini codebook's survey (two states, 24 classes): built from tests/fixtures and tests/bad_inputs."""
    codebook = load_codebook(TESTS / "fixtures" / "mini_codebook.yaml")
    frame = pd.read_csv(TESTS / "bad_inputs" / "valid.csv")
    return Survey(frame, design_from_codebook(codebook), codebook, source=(TESTS / "bad_inputs" / "valid.csv").resolve())


@pytest.fixture(scope="session")
def embedded() -> Survey:
    """The embedded synthetic survey, as ``cbss.load_survey()`` gives it."""
    return load_survey()
