"""Every path the package uses, derived from the package location.

Nothing here reads or creates files. ``CBSS_DATA_DIR`` overrides the data folder
(for a researcher who keeps the data elsewhere); everything else is fixed relative
to the repository so that notebooks, tests and the CLI never depend on the current
working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]
PACKAGE_DIR: Path = PROJECT_ROOT / "cbss_analysis"


def data_dir() -> Path:
    """Return the data folder (``$CBSS_DATA_DIR`` if set, else ``<project>/data``)."""
    override = os.environ.get("CBSS_DATA_DIR")
    return Path(override).expanduser().resolve() if override else PROJECT_ROOT / "data"


def codebook_dir() -> Path:
    """Folder of the shipped YAML codebooks."""
    return data_dir() / "codebooks"


def survey_dir() -> Path:
    """Folder of the embedded synthetic survey."""
    return data_dir() / "survey"


def published_dir() -> Path:
    """Folder of the real published figures (CSV)."""
    return data_dir() / "published"


def strategy_dir() -> Path:
    """Folder of the Regional Strategy and member-state tables."""
    return data_dir() / "strategy"


EMBEDDED_SURVEY_NAME = "cbss_synthetic_hbsc2018.sav"
DEFAULT_CODEBOOK = "cbss_synthetic"


def embedded_survey() -> Path:
    """Path of the embedded synthetic survey file (SPSS ``.sav``)."""
    return survey_dir() / EMBEDDED_SURVEY_NAME


NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"
REPORT_PLAN: Path = NOTEBOOKS_DIR / "reports.yaml"
TESTS_DIR: Path = PROJECT_ROOT / "tests"
