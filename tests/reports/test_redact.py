"""cbss_analysis.reports.redact: files by name or project path, never an absolute machine path."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from cbss_analysis import paths
from cbss_analysis.reports.redact import display_path, scrub, scrub_value


def test_display_path_is_relative_in_the_project_and_a_name_outside():
    assert display_path(paths.embedded_survey()) == "data/survey/cbss_synthetic_hbsc2018.sav"
    assert display_path("/secure/HBSC2018OAed1.1.sav") == "HBSC2018OAed1.1.sav"


def test_scrub_hides_every_known_folder():
    text = (f"{paths.PROJECT_ROOT}/notebooks/x.ipynb {sys.prefix}/lib/site.py {tempfile.gettempdir()}/cbss-k-1/a "
            "/home/someone/data.sav /root/x /secure/real/HBSC.sav")
    clean = scrub(text, extra=[Path("/secure/real")])
    for folder in (str(paths.PROJECT_ROOT), sys.prefix, "/home/", "/root/", "/secure/real"):
        assert folder not in clean
    assert "<project>/notebooks/x.ipynb" in clean and "<real>/HBSC.sav" in clean
    assert scrub_value({"a": [f"{paths.PROJECT_ROOT}/x"], "n": 1}) == {"a": ["<project>/x"], "n": 1}
