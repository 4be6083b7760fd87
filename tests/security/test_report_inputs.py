"""Hostile and broken report inputs: plans, --param values, output folders, dying workers.

Every case is asserted to give its own one-line error, to run no code (a sentinel file never
appears), and to leave every file outside the output folder, and every previous good report,
byte-identical.
"""

from __future__ import annotations

import ast
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cbss_analysis import reports
from cbss_analysis.cli import main as cli_main
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.inject import LiteralTranslator
from cbss_analysis.reports.plan import load_plan, override_runs

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "report_fixtures"
SENTINEL = "SENTINEL-must-not-exist"


def _snapshot(root: Path, skip: Path | None = None) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and (skip is None or skip not in p.parents)}


def _notebook(folder: Path, name: str, parameters: str, body: str) -> None:
    nb = new_notebook(cells=[new_code_cell(parameters, metadata={"tags": ["parameters"]}), new_code_cell(body)])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    target = tmp_path / "plan"
    shutil.copytree(FIXTURES, target)
    return target


def _plan(folder: Path, text: str) -> Path:
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


TAGS = [
    f'!!python/object/apply:os.system ["touch {SENTINEL}"]',
    f'!!python/object/new:os.system ["touch {SENTINEL}"]',
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [{a: 1}]",
    "!!timestamp 2018-01-01",
    "!!str DK",
    "!custom DK",
    "!!float 1",
]


@pytest.mark.parametrize("tag", TAGS)
def test_plan_with_any_yaml_tag_is_refused_and_runs_nothing(plan_dir: Path, tag: str) -> None:
    path = _plan(plan_dir, f"reports:\n  - notebook: 01_summary\n    parameters:\n      data_path: {tag}\n")
    before = _snapshot(plan_dir)
    with pytest.raises(ReportError, match="explicit tag .* is not allowed") as info:
        load_plan(path)
    assert "\n" not in str(info.value)
    assert not list(plan_dir.rglob(SENTINEL)) and not Path(SENTINEL).exists()
    assert _snapshot(plan_dir) == before


@pytest.mark.parametrize("tag", TAGS[:4])
def test_param_with_a_yaml_tag_is_refused(plan_dir: Path, tag: str) -> None:
    plan = load_plan(plan_dir / "plan.yaml")
    with pytest.raises(ReportError, match="--param .*explicit tag"):
        override_runs(plan, plan.runs, [f"min_n={tag}"])
    assert not Path(SENTINEL).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9))
         + "reports: [{notebook: 01_summary}]\n", "alias bomb"),
        ("reports:\n  - notebook: 01_summary\n  - notebook: 01_summary\n    notebook: 02_profile\n", "duplicate key 'notebook'"),
        ("reports: [{notebook: 01_summary, <<: {grid: {}}}]\n", "merge keys"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {min_n: .nan}\n", "non-finite"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {min_n: .inf}\n", "non-finite"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {codebook: /etc/passwd.yaml}\n", "inside the plan's folder"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {codebook: ../../secret.yaml}\n", "no '..'"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {codebook: 'C:\\\\x\\\\cb.yaml'}\n", "inside the plan's folder"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {codebook: '$(touch x)'}\n", "not a codebook name"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {states: [DK, XX]}\n", "'XX', not the ISO2 code"),
        ("reports:\n  - notebook: 02_profile\n    parameters: {state: '../../etc'}\n", "not the ISO2 code"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {min_n: -5}\n", "at least 0"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {states: {1: DK}}\n", "a mapping with a key that is not text"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {states: {a: DK}}\n", "expected list of str"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: [DK]}\n    run: '../{state}'\n", "not a safe folder name"),
        ("reports:\n  - notebook: '../01_summary'\n", "unknown notebook"),
        ("reports: [" + "[" * 60 + "]" * 60 + "]\n", "nested deeper"),
        ("\x00\x01 not yaml: [", "not valid YAML"),
    ],
)
def test_hostile_plans_give_one_line_errors(plan_dir: Path, text: str, message: str) -> None:
    path = _plan(plan_dir, text)
    before = _snapshot(plan_dir)
    with pytest.raises(ReportError) as info:
        load_plan(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value) and len(str(info.value)) < 600
    assert _snapshot(plan_dir) == before


CRAFTED = [
    '\\"; open("SENTINEL-must-not-exist", "w").close() #',
    '"; open("SENTINEL-must-not-exist", "w").close() #',
    "'; open('SENTINEL-must-not-exist', 'w').close() #",
    'x"\nopen("SENTINEL-must-not-exist", "w").close()\n#',
    "\\",
    "ends with a backslash \\",
    '"""; open("SENTINEL-must-not-exist", "w").close(); """',
    "unicode \u2028 line separator \u2029 and \U0001f600 and \x00 nul",
    "{__import__('os').system('touch SENTINEL-must-not-exist')}",
]


@pytest.mark.parametrize("value", CRAFTED)
def test_translator_writes_literals_that_parse_back_to_the_value(value: str) -> None:
    code = LiteralTranslator.codify({"label": value, "items": [value, 1, 2.5, None, True], "nested": {"k": value}})
    tree = ast.parse(code)
    assert all(isinstance(node, ast.Assign) for node in tree.body)
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}
    assert values == {"label": value, "items": [value, 1, 2.5, None, True], "nested": {"k": value}}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1: "x"}, (1, 2), b"bytes", object()])
def test_translator_refuses_anything_but_plain_data(value: object) -> None:
    with pytest.raises(ValueError, match="parameter value"):
        LiteralTranslator.codify({"label": value})


def test_translator_refuses_names_that_are_not_identifiers() -> None:
    with pytest.raises(ValueError, match="not a Python identifier"):
        LiteralTranslator.codify({"x = 1; import os; y": 1})


@pytest.mark.slow
def test_crafted_strings_reach_the_notebook_unchanged_and_run_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    _notebook(folder, "echo", 'label = ""  # any text', "print(repr(label))")
    entries = "".join(f"  - notebook: echo\n    run: c{i}\n    parameters:\n      label: {_yaml_quote(v)}\n"
                      for i, v in enumerate(CRAFTED))
    plan = _plan(folder, f"reports:\n{entries}")
    summary = reports.run_plan(plan, out=tmp_path / "out", jobs=2, progress=False)
    assert summary.failed == 0, summary.errors
    for i, value in enumerate(CRAFTED):
        executed = nbformat.read(tmp_path / "out" / "echo" / f"c{i}" / f"echo-c{i}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
        assert ast.literal_eval(printed.strip()) == value
    assert not list(tmp_path.rglob(SENTINEL)) and not (folder / SENTINEL).exists() and not Path(SENTINEL).exists()


def _yaml_quote(value: str) -> str:
    escaped = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"'


def test_out_folder_not_made_by_the_tool_is_refused_and_untouched(plan_dir: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.docx").write_bytes(b"precious")
    (foreign / ".tmp-DK-1").mkdir()
    before = _snapshot(foreign)
    with pytest.raises(ReportError, match="not made by cbss-analysis report"):
        reports.run_plan(plan_dir / "plan.yaml", out=foreign, progress=False)
    assert _snapshot(foreign) == before and sorted(p.name for p in foreign.iterdir()) == [".tmp-DK-1", "chapter1.docx"]


def test_out_that_is_a_file_is_refused(plan_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep")
    with pytest.raises(ReportError, match="is a file"):
        reports.run_plan(plan_dir / "plan.yaml", out=target, progress=False)
    assert target.read_text() == "keep"


@pytest.mark.parametrize(
    ("choice", "message"),
    [({"timeout": 0}, "--timeout 0"), ({"timeout": -3}, "--timeout -3"), ({"timeout": float("inf")}, "finite"),
     ({"timeout": float("nan")}, "finite"), ({"jobs": 0}, "--jobs 0"), ({"jobs": True}, "--jobs True")],
)
def test_bad_options_are_refused_before_anything_runs(plan_dir: Path, tmp_path: Path, choice: dict, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        reports.run_plan(plan_dir / "plan.yaml", out=tmp_path / "out", progress=False, **choice)
    assert not (tmp_path / "out").exists()


def test_param_cannot_refile_one_grid_run_under_another(plan_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="names the runs of notebook '02_profile'"):
        reports.run_plan(plan_dir / "plan.yaml", out=tmp_path / "out", only=["02_profile/DK"], params=["state=NO"],
                         progress=False)


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cbss_analysis.cli", *args], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("setup", "args", "code", "message"),
    [
        (lambda d: (d / "plan.yaml").write_text("reports: [notebook: 01_summary\n"), ["report"], 2, "not valid YAML"),
        (lambda d: (d / "01_summary.ipynb").write_text('{"cells": [{"cell_type": "code", "sou'), ["report"], 2,
         "01_summary.ipynb: not a readable notebook"),
        (lambda d: None, ["report", "--param", "min_n=[1, 2"], 2, "--param"),
        (lambda d: None, ["report", "--param", "min_n=!!python/object/apply:os.system [x]"], 2, "explicit tag"),
        (lambda d: None, ["report", "--timeout", "nan"], 2, "finite"),
        (lambda d: None, ["synth", "--out", "missing-folder/x.sav"], 2, "its folder does not exist"),
        (lambda d: None, ["synth", "--out", "x.sav", "--seed", "-1"], 2, "--seed -1"),
        (lambda d: None, ["synth", "--out", "x.csv"], 2, "ending in .sav"),
    ],
)
def test_every_cli_path_ends_in_one_line(plan_dir: Path, tmp_path: Path, setup, args: list[str], code: int,
                                         message: str) -> None:
    setup(plan_dir)
    extra = ["--plan", str(plan_dir / "plan.yaml"), "--out", str(tmp_path / "out")] if args[0] == "report" else []
    result = _cli([*args, *extra], cwd=plan_dir)
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (plan_dir / SENTINEL).exists()


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [(MemoryError(), 3, "out of memory"), (OSError(errno.ENOSPC, "No space left on device", "/secret/path/x"), 3,
                                            "x: No space left on device"),
     (TypeError("boom"), 4, "unexpected TypeError: boom")],
)
def test_resource_and_internal_errors_are_one_line_with_their_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, error: Exception, code: int, message: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(reports, "run_plan", fail)
    assert cli_main(["report"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "/secret/path" not in err


def _dying_plan(folder: Path) -> Path:
    _notebook(folder, "die", 'how = "ok"  # ok, kill, term, disk',
              "import os, signal\n"
              "if how == 'kill':\n    os.kill(os.getppid(), signal.SIGKILL)\n"
              "if how == 'term':\n    os.kill(os.getppid(), signal.SIGTERM)\n"
              "import time; time.sleep(2)\n")
    return _plan(folder, "reports:\n  - notebook: die\n    grid: {how: [ok, kill, term]}\n")


@pytest.mark.slow
def test_runs_whose_worker_died_fail_visibly_and_keep_the_last_good_output(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    plan = _dying_plan(folder)
    out = tmp_path / "out"
    first = reports.run_plan(plan, out=out, jobs=2, progress=False, params=())
    assert first.actions == {"die/ok": "ran", "die/kill": "failed", "die/term": "failed"}
    assert "killed by SIGKILL" in first.errors["die/kill"] and "SIGTERM" in first.errors["die/term"]
    assert first.exit_code == 1
    index = (out / "index.html").read_text()
    assert index.count('class="failed"') == 2
    for run in ("kill", "term"):
        assert (out / "die" / run / "failed.json").is_file()
    assert not list(out.rglob(".tmp-*"))


@pytest.mark.slow
def test_a_current_run_whose_files_were_damaged_runs_again(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    _notebook(folder, "one", "x = 1  # a number", "print(x)")
    plan = _plan(folder, "reports:\n  - notebook: one\n")
    out = tmp_path / "out"
    assert reports.run_plan(plan, out=out, progress=False).ran == 1
    assert reports.run_plan(plan, out=out, progress=False).skipped == 1
    html = out / "one" / "default" / "one-default.html"
    html.write_text(html.read_text() + "<!-- tampered -->")
    assert reports.run_plan(plan, out=out, progress=False).ran == 1
    (out / "one" / "default" / "one-default.ipynb").unlink()
    assert reports.run_plan(plan, out=out, progress=False).ran == 1


@pytest.mark.slow
def test_a_full_disk_in_a_worker_fails_the_run_and_keeps_the_good_output(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    _notebook(folder, "one", "x = 1  # a number", "print(x)")
    plan = _plan(folder, "reports:\n  - notebook: one\n")
    out = tmp_path / "out"
    assert reports.run_plan(plan, out=out, progress=False).ran == 1
    good = _snapshot(out / "one" / "default")

    def full(*args: object, **kwargs: object) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("cbss_analysis.reports.outputs.export_html", full)  # forked workers inherit the patch
    failed = reports.run_plan(plan, out=out, progress=False, force=True)
    assert failed.exit_code == 1 and "No space left on device" in failed.errors["one/default"]
    kept = _snapshot(out / "one" / "default")
    assert {k: v for k, v in kept.items() if k in good} == good
