"""The Dask executor: the same outputs as the local pool, failures as visible, checks on the worker, one-line errors.

End-to-end tests start a LocalCluster on the loopback interface (``--scheduler local``: two workers of one thread,
mutual TLS with temporary certificates, closed with the command) and are marked slow.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cbss_analysis import reports
from cbss_analysis.errors import ReportError
from cbss_analysis.reports import dask_executor
from cbss_analysis.reports.cache import Inputs, run_inputs, run_key
from cbss_analysis.reports.options import ReportOptions
from cbss_analysis.reports.plan import load_plan
from cbss_analysis.reports.tasks import RunTask

pytest.importorskip("distributed")

FIXTURES = Path(__file__).resolve().parents[1] / "report_fixtures"
TIMING = ("started", "finished", "duration_s")
RUNS = ("01_summary/default", "02_profile/DK", "02_profile/NO")


def _files(out: Path, run: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / run).iterdir()}


def _manifest_without_timing(raw: bytes) -> dict:
    manifest = json.loads(raw)
    for key in TIMING:
        manifest.pop(key)
    manifest["file_sha256"] = {k: v for k, v in manifest["file_sha256"].items() if not k.endswith(".html")}
    return manifest


def _html_without_timing(raw: bytes) -> str:
    text = re.sub(r'<tr><th scope="row">Run</th><td>[^<]*</td></tr>', "", raw.decode())
    return re.sub(r", run [0-9T:Z-]*</summary>", "</summary>", text)


def _leftovers() -> list[str]:
    """Command lines of cluster workers, run servers and kernels whose parent is this test process."""
    mine = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError):
                continue
            if parent == mine and "resource_tracker" not in command:
                found.append(command)
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_dask_renders_the_fixture_plan_as_the_local_pool_does(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "plan")
    plan = tmp_path / "plan" / "plan.yaml"
    before = _leftovers()
    local = reports.run_plan(plan, out=tmp_path / "local", jobs=2, progress=False)
    dask = reports.run_plan(plan, out=tmp_path / "dask", jobs=2, progress=False, executor="dask", scheduler="local")
    assert local.actions == dask.actions == dict.fromkeys(RUNS, "ran")
    for run in RUNS:
        a, b = _files(tmp_path / "local", run), _files(tmp_path / "dask", run)
        assert sorted(a) == sorted(b)
        for name in a:
            if name.endswith(".ipynb"):
                assert a[name] == b[name], f"{run}/{name} differs"
            elif name == "manifest.json":
                assert _manifest_without_timing(a[name]) == _manifest_without_timing(b[name])
            else:
                assert _html_without_timing(a[name]) == _html_without_timing(b[name])
    again = reports.run_plan(plan, out=tmp_path / "dask", jobs=2, progress=False, executor="dask", scheduler="local")
    assert again.skipped == 3, "current runs are skipped before any cluster starts"
    assert _leftovers() == before, "the cluster and its run servers stopped with the command"


def _notebook(folder: Path, name: str, parameters: str, body: str) -> None:
    nb = new_notebook(cells=[new_code_cell(parameters, metadata={"tags": ["parameters"]}), new_code_cell(body)])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.mark.slow
def test_dask_failures_are_visible_and_keep_the_last_good_output(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    _notebook(folder, "die", 'how = "ok"  # ok, kill, term, raise, sleep',
              "import os, signal, time\n"
              "if how == 'kill':\n    os.kill(os.getppid(), signal.SIGKILL)\n"
              "if how == 'term':\n    os.kill(os.getppid(), signal.SIGTERM)\n"
              "if how == 'raise':\n    raise ValueError('failing on purpose')\n"
              "time.sleep(30 if how == 'sleep' else 1)\n")
    plan = folder / "plan.yaml"
    plan.write_text("reports:\n  - notebook: die\n    grid: {how: [ok, kill, term, raise, sleep]}\n", encoding="utf-8")
    out = tmp_path / "out"
    options = {"out": out, "jobs": 2, "progress": False, "executor": "dask", "scheduler": "local"}
    first = reports.run_plan(plan, only=["die/ok"], **options)
    assert first.ran == 1
    good = _files(out, "die/ok")
    summary = reports.run_plan(plan, timeout=8, force=True, **options)
    assert summary.actions == {"die/ok": "ran", "die/kill": "failed", "die/term": "failed", "die/raise": "failed",
                               "die/sleep": "failed"}
    assert "killed by SIGKILL" in summary.errors["die/kill"] and "SIGTERM" in summary.errors["die/term"]
    assert summary.errors["die/raise"].startswith("ValueError: failing on purpose")
    assert "timed out after 8 s" in summary.errors["die/sleep"]
    for run in ("kill", "term", "raise", "sleep"):
        assert (out / "die" / run / "failed.json").is_file()
    assert (out / "die" / "raise" / "failed.ipynb").is_file()
    assert set(_files(out, "die/ok")) == set(good)
    assert not list(out.rglob(".tmp-*")) and (out / "index.html").read_text().count('class="failed"') == 4


@pytest.mark.slow
def test_dask_passes_crafted_strings_as_literals(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    _notebook(folder, "echo", 'label = ""  # any text', "print(repr(label))")
    values = ['\\"; open("SENTINEL", "w").close() #', "ends with a backslash \\", "x\"\nopen('SENTINEL', 'w')\n#"]
    entries = "".join(f"  - notebook: echo\n    run: c{i}\n    parameters:\n      label: {json.dumps(v)}\n"
                      for i, v in enumerate(values))
    (folder / "plan.yaml").write_text(f"reports:\n{entries}", encoding="utf-8")
    summary = reports.run_plan(folder / "plan.yaml", out=tmp_path / "out", jobs=2, progress=False, executor="dask",
                               scheduler="local")
    assert summary.failed == 0, summary.errors
    for i, value in enumerate(values):
        nb = nbformat.read(tmp_path / "out" / "echo" / f"c{i}" / f"echo-c{i}.ipynb", as_version=4)
        assert nb.cells[2].outputs[0].text.strip() == repr(value)
    assert not list(tmp_path.rglob("SENTINEL"))


def _task(tmp_path: Path) -> RunTask:
    shutil.copytree(FIXTURES, tmp_path / "plan")
    plan = load_plan(tmp_path / "plan" / "plan.yaml")
    run = plan.runs[1]
    inputs = Inputs()
    base = reports._manifest_base(run, plan, inputs, run_key(run, inputs, False))
    files = tuple((row["role"], row["path"], row["sha256"]) for row in run_inputs(run, inputs))
    return RunTask(run, tmp_path / "out", base, token="t", checks=(("notebook_sha256", inputs.notebook(run.path)),),
                   input_files=files)


def test_a_worker_checks_what_it_would_run(tmp_path: Path) -> None:
    task = _task(tmp_path)
    assert dask_executor.check_worker(task) is None
    data = Path(task.input_files[0][1])
    data.write_text(data.read_text() + "SE,1.0\n")
    assert "profile.csv differs from the client's" in dask_executor.check_worker(task)
    data.unlink()
    assert "is not reachable" in dask_executor.check_worker(task)
    other = replace(task, manifest={**task.manifest, "package": {"source_sha256": "another"}})
    assert "source differs" in dask_executor.check_worker(other)
    versions = {**task.manifest["environment"], "packages": {**task.manifest["environment"]["packages"], "pandas": "0.1"}}
    assert "pandas" in dask_executor.check_worker(replace(task, manifest={**task.manifest, "environment": versions}))
    assert "differs" in dask_executor.check_worker(replace(task, checks=(("notebook_sha256", "x"),)))


@pytest.mark.parametrize(
    ("choice", "message"),
    [({"executor": "spark"}, "--executor 'spark': expected one of local, dask"),
     ({"scheduler": "local"}, "--scheduler is for --executor dask"),
     ({"executor": "dask"}, "--executor dask needs --scheduler"),
     ({"executor": "dask", "scheduler": "http://x y"}, "expected tcp://HOST:PORT"),
     ({"executor": "dask", "scheduler": "missing.json"}, "no such scheduler file")],
)
def test_bad_executor_options_are_one_line_errors(tmp_path: Path, choice: dict, message: str) -> None:
    with pytest.raises(ReportError, match=re.escape(message)) as info:
        ReportOptions(out=tmp_path / "out", **choice)
    assert "\n" not in str(info.value)


def test_good_scheduler_values(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text("{}")
    for value in ("local", "tcp://127.0.0.1:8786", "tls://node-1.hpc.example:8786", "10.0.0.5:8786",
                  str(tmp_path / "s.json")):
        assert ReportOptions(out=tmp_path / "o", executor="dask", scheduler=value).scheduler


def test_an_unreachable_scheduler_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "plan")
    runner = ("import sys; from cbss_analysis.reports import dask_executor as d; d.CONNECT_TIMEOUT_S = 2; "
              "from cbss_analysis.cli import main; sys.exit(main(['report', *sys.argv[1:]]))")
    result = subprocess.run([sys.executable, "-c", runner, "--plan", str(tmp_path / "plan" / "plan.yaml"), "--out",
                             str(tmp_path / "out"), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"],
                            capture_output=True, text=True, timeout=120)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: --scheduler tcp://127.0.0.1:9: cannot use the Dask cluster")
    assert not list((tmp_path / "out").rglob("*.ipynb"))
