"""cbss_analysis.reports.index: a table of contents with titles, state names, labelled figures and what changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cbss_analysis.reports.index import write_index
from cbss_analysis.reports.plan import RunSpec
from cbss_analysis.reports.titles import neighbours, notebook_heading, notebook_question, report_title

NOTEBOOK = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# 6. State profile\n\n**Question.** How does one "
                       "state compare?\n\n**Data.** x"}]}


def _run(folder: Path, state: str, records: dict, changes: dict) -> RunSpec:
    notebook = folder / "06_state_profile.ipynb"
    notebook.write_text(json.dumps(NOTEBOOK))
    spec = RunSpec("06_state_profile", state, notebook, {"state": state}, ("state",))
    out = folder / "out" / spec.notebook / spec.run
    out.mkdir(parents=True)
    (out / f"06_state_profile-{state}.html").write_text("<html></html>")
    manifest = {"status": "ok", "synthetic": True, "finished": "2026-01-02T00:00:00Z", "duration_s": 1.0,
                "files": {"html": f"06_state_profile-{state}.html"}, "records": {k: v["value"] for k, v in records.items()},
                "record_details": records, "changes": changes,
                "findings": [f"{state} differs from the regional average on 2 of 29 indicators."]}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return spec


def test_titles_questions_and_neighbours(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    assert notebook_heading(path, "x") == "State profile" and notebook_question(path) == "How does one state compare?"
    runs = [RunSpec("06_state_profile", s, path, {"state": s}, ("state",)) for s in ("DK", "EE", "FI")]
    assert report_title(runs[1], "State profile") == "State profile: Estonia"
    assert neighbours(runs, runs[1]) == {
        "previous": {"label": "Denmark", "href": "../DK/06_state_profile-DK.html"},
        "next": {"label": "Finland", "href": "../FI/06_state_profile-FI.html"}}
    assert "previous" not in neighbours(runs, runs[0])
    overridden = RunSpec("06_state_profile", "EE", path, {"state": "EE", "min_n": 50}, ("state",))
    assert neighbours(runs, overridden) == neighbours(runs, runs[1]), "--param does not lose the links"


def test_index_reads_like_a_table_of_contents_and_says_what_changed(tmp_path):
    records = {"cyber": {"value": 13.4, "label": "Cyberbullied (Estonia)", "unit": "percent", "interval": [12.0, 14.9]},
               "bare": {"value": 0.2815}}
    moved = {"first_run": False, "previous_finished": "2026-01-01", "inputs": ["data file"],
             "figures": [{"name": "cyber", "label": "Cyberbullied (Estonia)", "old": "12.9%", "new": "13.4%"}]}
    runs = [_run(tmp_path, "EE", records, moved),
            _run(tmp_path, "FI", records, {"first_run": False, "inputs": [], "figures": []})]
    page = write_index(tmp_path / "out", runs, {}).read_text()
    assert "<h2 id=\"nb-06_state_profile\">State profile</h2>" in page and "How does one state compare?" in page
    assert ">Estonia</a>" in page and ">Finland</a>" in page, "states by name, linked to their reports"
    assert "Cyberbullied (Estonia): 13.4% (CI 12.0–14.9%)" in page
    assert "bare: " not in page, "bare code names are not shown beside labelled figures"
    assert "What changed since the last good run" in page
    assert "Estonia: inputs changed: data file" in page and "Estonia: Cyberbullied (Estonia): 12.9% \u2192 13.4%" in page
    assert "Finland: " not in re.sub(r"<[^>]+>", " ", page.split("What changed")[1].split("Contents")[0])
    assert "SYNTHETIC DATA" in page
