"""Report pipeline: plan validation, run keys, HTML safety, and end to end on tiny fixture notebooks.

The fixture plan (tests/report_fixtures/plan.yaml) has three runs of two notebooks that
read small CSV files; they do not depend on the real notebooks. End-to-end tests start
Jupyter kernels (about 2 s per run) and are marked slow.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from cbss_analysis import reports
from cbss_analysis.cli import build_parser
from cbss_analysis.cli import main as cli_main
from cbss_analysis.common.files import sha256_of
from cbss_analysis.errors import ReportError
from cbss_analysis.reports import cache as report_cache
from cbss_analysis.reports.files import recover
from cbss_analysis.reports.html import disarm_external, provenance_header, table_of_contents
from cbss_analysis.reports.params import ParamType, notebook_parameters, parse_cli_value
from cbss_analysis.reports.plan import load_plan, override_runs, select_runs
from tests.conftest import REPORT_FIXTURES

FIXTURES = REPORT_FIXTURES
EXTERNAL = re.compile(r"""\s(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
CSS_EXTERNAL = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//|@import\s+["'](?:https?:)?//""", re.IGNORECASE)


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture folder (plan, notebooks, CSV, codebooks)."""
    target = tmp_path / "plan"
    shutil.copytree(FIXTURES, target)
    return target


def write_plan(folder: Path, text: str) -> Path:
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- plan validation --------------------------------------------------------------------------


def test_fixture_plan_expands_grid_and_defaults() -> None:
    plan = load_plan(FIXTURES / "plan.yaml")
    assert [run.id for run in plan.runs] == ["01_summary/default", "02_profile/DK", "02_profile/NO"]
    assert plan.runs[2].parameters == {"codebook": "codebook.yaml", "data_path": "profile.csv", "state": "NO"}
    assert plan.runs[0].parameters["min_n"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reports:\n  - notebook: 99_missing\n", "unknown notebook '99_missing'"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {min_m: 3}\n", "unknown parameter 'min_m' = 3"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {min_n: ten}\n", "parameter 'min_n' = 'ten' has type str, expected int"),
        ("reports:\n  - notebook: 02_profile\n    parameters: {state: false}\n", "expected str (quote it in YAML)"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {states: DK}\n", "expected list of str or null"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: DK}\n", "grid 'state' must be a non-empty list"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: [DK]}\n    run: '{country}'\n", "uses {country}"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: [D/K]}\n", "not a safe folder name"),
        ("reports:\n  - notebook: 01_summary\n  - notebook: 01_summary\n", "appears twice"),
        ("reports:\n  - notebook: 01_summary\n    params: {}\n", "unknown key 'params'"),
        ("report:\n  - notebook: 01_summary\n", "unknown key 'report'"),
        ("defaults: {colour: red}\nreports:\n  - notebook: 01_summary\n", "'colour' is not defined by any notebook"),
    ],
)
def test_plan_errors_name_file_notebook_parameter_value(plan_dir: Path, text: str, message: str) -> None:
    path = write_plan(plan_dir, text)
    with pytest.raises(ReportError) as info:
        load_plan(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_norway_is_a_state_not_false(plan_dir: Path) -> None:
    path = write_plan(plan_dir, "reports:\n  - notebook: 02_profile\n    grid: {state: [DK, NO, SE]}\n")
    assert [run.run for run in load_plan(path).runs] == ["DK", "NO", "SE"]


def test_overrides_apply_where_defined_and_are_checked() -> None:
    plan = load_plan(FIXTURES / "plan.yaml")
    runs = override_runs(plan, select_runs(plan, ["02_profile/NO", "01_summary"]), ["min_n=5", "state=SE"])
    assert [r.parameters.get("min_n") for r in runs] == [5, None]
    assert [r.parameters.get("state") for r in runs] == [None, "SE"]
    with pytest.raises(ReportError, match="no selected notebook defines parameter 'colour'"):
        override_runs(plan, plan.runs, ["colour=red"])
    with pytest.raises(ReportError, match="parameter 'min_n' = 'many'"):
        override_runs(plan, plan.runs, ["min_n=many"])
    with pytest.raises(ReportError, match="expected key=value"):
        override_runs(plan, plan.runs, ["min_n"])
    with pytest.raises(ReportError, match="--only 'nope' matches no run"):
        select_runs(plan, ["nope"])


def test_parameter_types_and_cli_values() -> None:
    assert parse_cli_value("NO", ParamType(str)) == "NO"
    assert parse_cli_value("2", ParamType(str)) == "2"
    assert parse_cli_value("[DK, NO]", ParamType(list, str, optional=True)) == ["DK", "NO"]
    assert parse_cli_value("null", ParamType(list, str, optional=True)) is None
    assert ParamType(float).accepts(3) and not ParamType(int).accepts(True)


def test_parameters_match_papermill_inspection() -> None:
    papermill = pytest.importorskip("papermill")
    for notebook in FIXTURES.glob("*.ipynb"):
        ours = notebook_parameters(notebook)
        theirs = papermill.inspect_notebook(str(notebook))
        assert theirs and all(ours[name] == info for name, info in theirs.items())
    # papermill skips lines with two "=" (a comment "None = table.csv"); we do not
    assert "data_path" in notebook_parameters(FIXTURES / "01_summary.ipynb")


def test_bad_arguments_are_report_errors(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="--data .*no such file"):
        reports.run_plan(FIXTURES / "plan.yaml", data=tmp_path / "none.sav", out=tmp_path / "out")
    with pytest.raises(ReportError, match="--jobs 0"):
        reports.run_plan(FIXTURES / "plan.yaml", jobs=0, out=tmp_path / "out")
    with pytest.raises(ReportError, match="report plan not found"):
        reports.run_plan(tmp_path / "missing.yaml", out=tmp_path / "out")


def test_cli_arguments() -> None:
    parser = build_parser()
    args = parser.parse_args(["report", "--only", "a", "--only", "b/c", "--param", "min_n=5", "--jobs", "3", "--force",
                              "--with-code", "--fail-fast", "--timeout", "60", "--codebook", "x"])
    assert (args.only, args.param, args.jobs, args.force, args.with_code, args.fail_fast, args.timeout) == (
        ["a", "b/c"], ["min_n=5"], 3, True, True, True, 60.0)
    assert parser.parse_args(["report"]).jobs >= 1


# --- run keys ---------------------------------------------------------------------------------


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


# --- HTML safety (no kernel) ------------------------------------------------------------------


def test_disarm_external_references() -> None:
    page = ('<script src="https://cdn.example/x.js"></script><a href="https://hbsc.org">HBSC</a>'
            '<img src=//evil.example/p.png><a href="#local">x</a><style>@import "https://f.example/a.css";'
            "body{background:url(https://x.example/i.png)}</style>")
    out = disarm_external(page)
    assert not EXTERNAL.search(out) and not CSS_EXTERNAL.search(out)
    assert '<a data-external="https://hbsc.org">HBSC</a>' in out and 'href="#local"' in out


def test_header_escapes_everything() -> None:
    manifest = {"notebook": "n", "run": "<r>", "parameters": {"state": "<b>x</b>"}, "defaults": {"min_n": "30"},
                "inputs": [{"role": "data", "path": "/d/<b>x</b>.csv", "sha256": "abc"}],
                "codebook": {"reference": "cb", "title": "<b>x</b>"}, "synthetic": True,
                "package": {"name": "cbss-analysis", "version": "0.1.0", "source_sha256": "def"},
                "started": "s", "finished": "f", "duration_s": 1.0}
    header = provenance_header(manifest)
    assert "<b>x</b>" not in header and "&lt;b&gt;x&lt;/b&gt;" in header
    assert "SYNTHETIC DATA" in header and "min_n" in header and "(default)" in header
    toc = table_of_contents('<h2 id="A-b">A &lt;b&gt;<a class="anchor-link" href="#A-b">¶</a></h2>')
    assert 'href="#A-b"' in toc and "&lt;b&gt;" in toc


def test_recover_removes_temporary_and_restores_moved_aside(tmp_path: Path) -> None:
    (tmp_path / "nb" / ".tmp-DK-123").mkdir(parents=True)
    (tmp_path / "nb" / ".old-SE-456").mkdir()
    (tmp_path / "nb" / ".old-SE-456" / "manifest.json").write_text("{}")
    recover(tmp_path)
    assert sorted(p.name for p in (tmp_path / "nb").iterdir()) == ["SE"]
    assert (tmp_path / "nb" / "SE" / "manifest.json").exists()


# --- end to end (kernels) ---------------------------------------------------------------------


def _links(page: str) -> list[str]:
    return re.findall(r"""\s(?:href|src)\s*=\s*"([^"]*)\"""", page)


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
    assert [Path(i["path"]).name for i in manifest["inputs"][1:]] == ["codebook.yaml", "cbss_online_risk.yaml",
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
    links = _links(page)
    assert len(links) == 9
    for link in links:
        assert (out / unquote(link)).is_file(), link
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
    assert all((out / unquote(link)).is_file() for link in _links(index))

    fast = reports.run_plan(plan, out=out, only=["02_profile"], params=["fail=true"], jobs=1, fail_fast=True,
                            progress=False)
    assert fast.actions == {"02_profile/DK": "failed", "02_profile/NO": "not started"} and fast.exit_code == 1
    assert not (out / "02_profile" / "NO" / "failed.json").exists()

    healed = reports.run_plan(plan, out=out, jobs=2, progress=False)
    assert healed.skipped == 3 and not (good / "failed.json").exists()


@pytest.mark.slow
def test_notebooks_refresh_is_deterministic(plan_dir: Path) -> None:
    from cbss_analysis.reports.refresh import refresh

    path = plan_dir / "01_summary.ipynb"
    refresh(path)
    first = path.read_bytes()
    refresh(path)
    assert path.read_bytes() == first
    nb = json.loads(first)
    assert "papermill" not in nb["metadata"] and nb["metadata"]["kernelspec"]["name"] == "python3"
    assert all("papermill" not in c["metadata"] and "execution" not in c["metadata"] for c in nb["cells"])
    assert any(c.get("outputs") for c in nb["cells"])


def test_html_embeds_figures_and_escapes_outputs() -> None:
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from cbss_analysis.reports.html import export_html

    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    nb = new_notebook(cells=[new_code_cell("plot()", outputs=[
        new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        new_output("stream", name="stdout", text="<b>x</b>\n"),
    ])])
    page = export_html(nb, {"notebook": "n", "run": "r", "synthetic": False})
    assert f'src="data:image/png;base64,{png}"' in page
    assert "<b>x</b>" not in page and "SYNTHETIC DATA" not in page and "plot()" not in page


def _sleepy_plan(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("seconds = 0  # how long to sleep", metadata={"tags": ["parameters"]}),
                             new_code_cell("import time\ntime.sleep(seconds)")])
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
    time.sleep(4)
    os.killpg(process.pid, signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in stdout
    assert {p.name: p.read_bytes() for p in good.iterdir() if p.name in before} == before
    assert not list(out.rglob(".tmp-*")) and not list(out.rglob(".old-*"))
    assert "interrupted" in (out / "index.html").read_text()
