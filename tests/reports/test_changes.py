"""cbss_analysis.reports.changes: what moved since the last good run."""

from __future__ import annotations

from cbss_analysis.reports.changes import change_lines, run_changes


def _manifest(data: str = "d1", value: float = 12.9, extra: dict | None = None) -> dict:
    return {"status": "ok", "finished": "2026-01-01T00:00:00Z", "inputs": [{"role": "data", "sha256": data}],
            "notebook_sha256": "n", "parameters": {"state": "EE"}, "package": {"source_sha256": "lib"},
            "environment": {"python": "3.11"},
            "records": {"cyber": value, **(extra or {})},
            "record_details": {"cyber": {"value": value, "label": "Cyberbullied", "unit": "percent"},
                               **{k: {"value": v} for k, v in (extra or {}).items()}}}


def test_nothing_moved():
    assert run_changes(_manifest(), _manifest()) == {"first_run": False, "previous_finished": "2026-01-01T00:00:00Z",
                                                     "inputs": [], "figures": []}


def test_inputs_and_figures_that_moved_are_named_old_to_new():
    changes = run_changes(_manifest(), _manifest(data="d2", value=13.4, extra={"new": 1}))
    assert changes["inputs"] == ["data file"]
    assert changes["figures"][0] == {"name": "cyber", "label": "Cyberbullied", "old": "12.9%", "new": "13.4%"}
    assert len(changes["figures"]) == 1, "a bare record is not a headline where the run labels its figures"
    bare = run_changes({**_manifest(), "record_details": {}}, {**_manifest(extra={"new": 1}), "record_details": {}})
    assert bare["figures"] == [{"name": "new", "label": "new", "old": "not recorded", "new": "1"}]
    assert change_lines(changes)[:2] == ["inputs changed: data file", "Cyberbullied: 12.9% \u2192 13.4%"]


def test_a_first_run_or_a_failed_previous_run_has_nothing_to_compare():
    assert run_changes(None, _manifest())["first_run"] is True
    assert run_changes({"status": "failed"}, _manifest())["first_run"] is True
    assert change_lines(run_changes(None, _manifest())) == ["first run: nothing to compare with"]
