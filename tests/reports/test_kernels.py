"""Warm kernels: a run in a warm kernel sees what it would see in a kernel that papermill starts, and no kernel
is reused; the statement that moves a kernel into its run is made of literals.

One difference is by design: the warning filters that modules add when imported are the same, but those of the
preloaded modules come before IPython's own (a kernel started by papermill imports them after), so the probe
compares the filters as a set and the interpreter's defaults at the end in order.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cbss_analysis import reports
from cbss_analysis.reports.kernels import enter_code, notebook_modules, warm_kernels_problem

FIXTURES = Path(__file__).resolve().parents[1] / "report_fixtures"

PROBE = r'''
import json, os, signal, sys, warnings
import cbss_analysis as cbss
from cbss_analysis import estimate, plots, tables
from cbss_analysis.notebook import start
import matplotlib
import matplotlib.pyplot as plt

def name(handler):
    return getattr(handler, "__qualname__", str(handler))

info = {
    "cwd": os.getcwd(),
    "argv": [os.path.basename(sys.argv[0]), len(sys.argv)],
    "path0": sys.path[0],
    "names": sorted(k for k in globals() if not k.startswith("_")),
    "execution_count": get_ipython().execution_count,
    "history": len(In),
    "signals": {n: name(signal.getsignal(getattr(signal, n))) for n in ("SIGINT", "SIGTERM", "SIGALRM", "SIGCHLD", "SIGPIPE", "SIGHUP")},
    "blocked": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "timer": signal.getitimer(signal.ITIMER_REAL),
    "own_session": os.getsid(0) == os.getpid(),
    "parent_pid_variable": os.environ.get("JPY_PARENT_PID") == str(os.getppid()),
    "warning_filters": sorted((f[0], str(f[1]), f[2].__name__, str(f[3]), f[4]) for f in warnings.filters),
    "last_filters": [(f[0], f[2].__name__, str(f[3])) for f in warnings.filters[-5:]],
    "backend": matplotlib.get_backend(),
    "figures": plt.get_fignums(),
    "label": label,
    "pid": os.getpid(),
    "ppid": os.getppid(),
}
print(json.dumps(info, sort_keys=True))
'''


def _probe_plan(folder: Path, runs: int = 2) -> Path:
    nb = new_notebook(cells=[
        new_code_cell('label = "x"  # any text', metadata={"tags": ["parameters"]}),
        new_code_cell(PROBE),
        new_code_cell("plt.plot([1, 2], [3, 4]);"),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "probe.ipynb")
    labels = ", ".join(f"l{i}" for i in range(runs))
    (folder / "plan.yaml").write_text(f"reports:\n  - notebook: probe\n    grid: {{label: [{labels}]}}\n", encoding="utf-8")
    return folder / "plan.yaml"


def _probes(out: Path) -> list[dict]:
    found = []
    for path in sorted(out.glob("probe/*/probe-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "".join(o.get("text", "") for o in nb.cells[2].outputs)
        info = json.loads(text)
        info["png"] = any("image/png" in o.get("data", {}) for o in nb.cells[3].outputs)
        found.append(info)
    return found


def test_warm_kernels_are_available_here() -> None:
    assert warm_kernels_problem() is None


@pytest.mark.slow
def test_a_warm_kernel_sees_what_a_started_kernel_sees(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    plan = _probe_plan(folder, runs=3)
    seen = {}
    for warm in (True, False):
        out = tmp_path / f"out-{warm}"
        summary = reports.run_plan(plan, out=out, jobs=2, progress=False, warm_kernels=warm)
        assert summary.failed == 0, summary.errors
        seen[warm] = _probes(out)
    warm, started = seen[True], seen[False]
    assert len(warm) == len(started) == 3
    assert len({p["pid"] for p in warm}) == 3, "a kernel serves one run"
    assert all(p["ppid"] != q["ppid"] for p in warm for q in warm if p is not q), "and one worker serves one run"
    for info in warm + started:
        info.pop("pid"), info.pop("ppid")
    differing = {key: (w[key], s[key]) for w, s in zip(warm, started) for key in w if w[key] != s.get(key)}
    assert not differing, differing
    first = warm[0]
    assert first["cwd"] == "<plan>", "the notebook folder, shown without its machine path"
    assert first["names"][:2] == ["In", "Out"] and "label" in first["names"]
    assert first["argv"] == ["ipykernel_launcher.py", 4] and first["label"] == "l0"
    assert first["own_session"] and first["parent_pid_variable"] and first["png"] and first["figures"] == []
    assert first["backend"] == "module://matplotlib_inline.backend_inline" and first["blocked"] == []


def test_notebook_modules_are_the_package_imports_of_the_cells() -> None:
    modules = notebook_modules(sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("0*.ipynb")))
    assert "cbss_analysis.estimate" in modules and "cbss_analysis.models" in modules
    assert all(m.split(".")[0] == "cbss_analysis" for m in modules)
    assert notebook_modules(FIXTURES.glob("*.ipynb")) == []


@pytest.mark.parametrize("folder", ["/tmp/it's", '/tmp/"quoted" \\', "/tmp/new\nline", "/tmp/{__import__('os')}"])
def test_the_enter_statement_is_literals_only(folder: str) -> None:
    code = enter_code(Path(folder), {"CBSS_SURVEY_CACHE": folder + "'\"", "X": "\\"})
    call = ast.parse(code, mode="eval").body
    assert isinstance(call, ast.Call) and not call.keywords
    assert [ast.literal_eval(arg) for arg in call.args] == [str(Path(folder)), {"CBSS_SURVEY_CACHE": folder + "'\"", "X": "\\"}]
