"""cbss_analysis.reports.run_plan end to end on tiny fixture notebooks: runs, pool, manifests, HTML, index.

The fixture plan (tests/report_fixtures/plan.yaml) has three runs of two notebooks that
read small CSV files; they do not depend on the real notebooks. These tests start
Jupyter kernels (about 2 s per run) and are marked slow.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from cbss_analysis import reports
from cbss_analysis.cli import main as cli_main
from cbss_analysis.common.files import sha256_of
from cbss_analysis.reports import cache as report_cache
from tests.conftest import REPORT_FIXTURES, write_plan
from tests.reports.offline import CSS_EXTERNAL, EXTERNAL, links

FIXTURES = REPORT_FIXTURES


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, reports.ReportSummary]:
    """The fixture plan rendered cold with two jobs (library hash pinned: other code may change meanwhile)."""
    root = tmp_path_factory.mktemp("rendered")
    shutil.copytree(FIXTURES, root / "plan")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_cache, "library_hash", lambda: "pinned")
        summary = reports.run_plan(root / "plan" / "plan.yaml", out=root / "out", jobs=2, progress=False)
    return root / "plan", root / "out", summary


@pytest.mark.slow
def test_full_plan_renders_every_run(rendered) -> None:
    _, out, summary = rendered
    assert (summary.ran, summary.skipped, summary.failed, summary.exit_code) == (3, 0, 0, 0)
    manifest = json.loads((out / "01_summary" / "default" / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["parameters"]["min_n"] == 1
    assert manifest["records"] == {"mean_value": 0.5, "label <i>x</i>": "<b>x</b>"}
    nb = json.loads((out / "01_summary" / "default" / "01_summary-default.ipynb").read_text())
    assert nb["metadata"]["cbss"]["records"] == manifest["records"]
    data = manifest["inputs"][0]
    assert data["role"] == "data" and data["sha256"] == sha256_of(FIXTURES / "table.csv")
    assert [Path(i["name"]).name for i in manifest["inputs"][1:]] == ["codebook.yaml", "cbss_online_risk.yaml",
                                                                     "hbsc2018_oa.yaml"]
    assert manifest["synthetic"] is True and manifest["environment"]["packages"]["papermill"]
    for run in ("01_summary/default", "02_profile/DK", "02_profile/NO"):
        folder = out / run
        assert sorted(p.suffix for p in folder.iterdir()) == [".html", ".ipynb", ".json"]
    assert not list(out.rglob(".tmp-*"))


@pytest.mark.slow
def test_html_is_offline_escaped_and_hides_code(rendered) -> None:
    _, out, _ = rendered
    page = (out / "01_summary" / "default" / "01_summary-default.html").read_text()
    assert "DictReader" not in page and "min_n = 1" not in page, "input cells and parameters are hidden"
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "SYNTHETIC DATA" in page and sha256_of(FIXTURES / "table.csv") in page
    assert 'href="#Labels"' in page, "table of contents"
    for html_file in out.rglob("*.html"):
        text = html_file.read_text()
        assert not EXTERNAL.search(text) and not CSS_EXTERNAL.search(text), html_file
        assert "<script src" not in text


@pytest.mark.slow
def test_with_code_keeps_input_but_not_parameters(rendered) -> None:
    import nbformat

    from cbss_analysis.reports.html import export_html

    _, out, _ = rendered
    folder = out / "01_summary" / "default"
    nb = nbformat.read(folder / "01_summary-default.ipynb", as_version=4)
    page = export_html(nb, json.loads((folder / "manifest.json").read_text()), with_code=True)
    assert "DictReader" in page and "smallest count shown" not in page and "injected" not in page.lower()


@pytest.mark.slow
def test_index_links_resolve(rendered) -> None:
    _, out, _ = rendered
    page = (out / "index.html").read_text()
    found = [link for link in links(page) if not link.startswith("#")]
    assert len(found) == 9, "per run: its report (linked by its subject), its notebook and its manifest"
    for link in found:
        assert (out / unquote(link)).is_file(), link
    for anchor in (link[1:] for link in links(page) if link.startswith("#")):
        assert f'id="{anchor}"' in page, anchor
    assert "mean_value: 0.5" in page and "label &lt;i&gt;x&lt;/i&gt;: &lt;b&gt;x&lt;/b&gt;" in page


@pytest.mark.slow
def test_incremental_runs_and_failures(rendered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_dir, out_dir, _ = rendered
    shutil.copytree(plan_dir, tmp_path / "plan")
    shutil.copytree(out_dir, tmp_path / "out")
    plan, out = tmp_path / "plan" / "plan.yaml", tmp_path / "out"
    monkeypatch.setattr(report_cache, "library_hash", lambda: "pinned")

    started = time.perf_counter()
    warm = reports.run_plan(plan, out=out, jobs=2, progress=False)
    assert (warm.ran, warm.skipped) == (0, 3)
    assert time.perf_counter() - started < 3.0

    plan.write_text(plan.read_text().replace("min_n: 1", "min_n: 2"))
    changed = reports.run_plan(plan, out=out, jobs=2, progress=False)
    assert changed.actions == {"01_summary/default": "ran", "02_profile/DK": "skipped", "02_profile/NO": "skipped"}

    (tmp_path / "plan" / "profile.csv").write_text("state,value\nDK,9.5\nNO,8.5\n")
    data = reports.run_plan(plan, out=out, jobs=2, progress=False)
    assert data.actions == {"01_summary/default": "skipped", "02_profile/DK": "ran", "02_profile/NO": "ran"}

    good = out / "02_profile" / "DK"
    before = {p.name: p.read_bytes() for p in good.iterdir()}
    assert cli_main(["report", "--plan", str(plan), "--out", str(out), "--only", "02_profile/DK", "--param",
                     "fail=true", "--jobs", "1"]) == 1
    assert {p.name: p.read_bytes() for p in good.iterdir() if p.name in before} == before
    failure = json.loads((good / "failed.json").read_text())
    assert failure["status"] == "failed" and failure["error"].startswith("ValueError: failing on purpose for DK")
    assert (good / "failed.ipynb").is_file()
    index = (out / "index.html").read_text()
    assert "failing on purpose for DK" in index and 'href="02_profile/DK/failed.ipynb"' in index
    assert all((out / unquote(link)).is_file() for link in links(index) if not link.startswith("#"))

    fast = reports.run_plan(plan, out=out, only=["02_profile"], params=["fail=true"], jobs=1, fail_fast=True,
                            progress=False)
    assert fast.actions == {"02_profile/DK": "failed", "02_profile/NO": "not started"} and fast.exit_code == 1
    assert not (out / "02_profile" / "NO" / "failed.json").exists()

    healed = reports.run_plan(plan, out=out, jobs=2, progress=False)
    assert healed.skipped == 3 and not (good / "failed.json").exists()


def _sleepy_plan(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("seconds = 0  # how long to sleep", metadata={"tags": ["parameters"]}),
                             new_code_cell("import pathlib, time\npathlib.Path(f'running-{seconds}').touch()\ntime.sleep(seconds)")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "sleep.ipynb")
    return write_plan(folder, "reports:\n  - notebook: sleep\n")


@pytest.mark.slow
def test_timeout_and_ctrl_c_leave_the_last_good_output(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    plan = _sleepy_plan(tmp_path)
    out = tmp_path / "out"
    common = ["--plan", str(plan), "--out", str(out), "--jobs", "1"]
    runner = "import sys; from cbss_analysis.cli import main; sys.exit(main(['report', *sys.argv[1:]]))"
    good = out / "sleep" / "default"
    assert subprocess.run([sys.executable, "-c", runner, *common], capture_output=True).returncode == 0
    before = {p.name: p.read_bytes() for p in good.iterdir()}

    slow = subprocess.run([sys.executable, "-c", runner, *common, "--param", "seconds=30", "--timeout", "2"],
                          capture_output=True, text=True)
    assert slow.returncode == 1 and "timed out after 2 s" in slow.stderr
    assert {p.name: p.read_bytes() for p in good.iterdir() if p.name in before} == before

    process = subprocess.Popen([sys.executable, "-c", runner, *common, "--param", "seconds=31"],
                               start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120  # Ctrl-C while the notebook runs, not while the command still imports
    while not (plan.parent / "running-31").exists():
        assert process.poll() is None and time.monotonic() < deadline, "the run never started"
        time.sleep(0.2)
    time.sleep(1)
    os.killpg(process.pid, signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in stdout
    assert {p.name: p.read_bytes() for p in good.iterdir() if p.name in before} == before
    assert not list(out.rglob(".tmp-*")) and not list(out.rglob(".old-*"))
    assert "interrupted" in (out / "index.html").read_text()
