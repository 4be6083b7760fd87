"""cbss_analysis.reports.cache: the run key changes exactly when a run's output could change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cbss_analysis.reports import cache as report_cache
from cbss_analysis.reports.plan import load_plan, override_runs


def test_run_key_tracks_parameters_data_code_and_library(plan_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = load_plan(plan_dir / "plan.yaml")
    run = plan.runs[0]

    def key(spec=run, with_code=False) -> str:
        return report_cache.run_key(spec, report_cache.Inputs(), with_code)

    first = key()
    assert key() == first
    assert key(override_runs(plan, [run], ["min_n=2"])[0]) != first
    assert key(with_code=True) != first
    (plan_dir / "table.csv").write_text("state,label,value\nDK,x,1\n", encoding="utf-8")
    second = key()
    assert second != first
    (plan_dir / "codebook.yaml").write_text("codebook: fixture\ntitle: changed\nsynthetic: true\n", encoding="utf-8")
    third = key()
    assert third != second
    nb = json.loads(run.path.read_text())
    nb["cells"][0]["outputs"] = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = 42
    run.path.write_text(json.dumps(nb))
    assert key() == third, "outputs and execution counts are not part of the key"
    nb["cells"][-1]["source"] = "print('changed')"
    run.path.write_text(json.dumps(nb))
    fourth = key()
    assert fourth != third
    monkeypatch.setattr(report_cache, "library_hash", lambda: "another library")
    assert key() != fourth
