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


def test_files_named_by_a_paths_parameter_are_inputs_of_the_run(plan_dir: Path) -> None:
    from dataclasses import replace

    from cbss_analysis.errors import ReportError

    run = load_plan(plan_dir / "plan.yaml").runs[0]
    (plan_dir / "earlier.csv").write_text("state,label,value\nDK,x,1\n", encoding="utf-8")
    spec = replace(run, parameters={**run.parameters, "trend_paths": ["earlier.csv"]})
    rows = report_cache.run_inputs(spec, report_cache.Inputs())
    assert [Path(r["path"]).name for r in rows if r["role"] == "data"][-1] == "earlier.csv"
    before = report_cache.run_key(spec, report_cache.Inputs(), False)
    (plan_dir / "earlier.csv").write_text("state,label,value\nDK,x,2\n", encoding="utf-8")
    assert report_cache.run_key(spec, report_cache.Inputs(), False) != before, "a changed trend file makes the run stale"
    missing = replace(run, parameters={**run.parameters, "trend_paths": ["gone.sav"]})
    with pytest.raises(ReportError, match="trend_paths file gone.sav not found"):
        report_cache.run_inputs(missing, report_cache.Inputs())


def test_the_shipped_codebooks_and_embedded_surveys_are_part_of_the_library() -> None:
    from cbss_analysis import paths

    files = set(report_cache.library_files())
    assert paths.codebook_dir() / "hbsc2002_oa.yaml" in files
    assert any(p.parent == paths.survey_dir() and p.name.startswith("cbss_synthetic_hbsc2002") for p in files)


def test_every_named_data_folder_is_hidden(plan_dir: Path) -> None:
    from dataclasses import replace

    run = load_plan(plan_dir / "plan.yaml").runs[0]
    spec = replace(run, parameters={**run.parameters, "data_path": "/srv/secure/a.sav",
                                    "trend_paths": ["/mnt/hbsc/2006.sav", "../other/2010.sav"]})
    folders = report_cache.data_folders(spec)
    assert Path("/srv/secure") in folders and Path("/mnt/hbsc") in folders
    assert (plan_dir.parent / "other").resolve() in folders
