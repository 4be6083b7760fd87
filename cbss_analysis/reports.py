"""The report pipeline: render every notebook of the plan, for every parameter set, into HTML.

>>> from cbss_analysis import reports
>>> summary = reports.run_plan(jobs=2)          # notebooks/reports.yaml -> reports/
>>> summary.ran, summary.skipped, summary.failed

For each run of the plan (:mod:`cbss_analysis.report_plan`) whose inputs changed since its
last good output (:mod:`cbss_analysis.report_cache`), papermill executes the notebook
(:mod:`cbss_analysis.report_run`, in parallel worker processes: :mod:`cbss_analysis.report_pool`),
nbconvert writes offline HTML with a provenance header (:mod:`cbss_analysis.report_html`),
and ``<out>/<notebook>/<run>/`` receives the executed notebook, the HTML and
``manifest.json`` (:mod:`cbss_analysis.report_manifest`). ``<out>/index.html`` links every
run with its status (:mod:`cbss_analysis.report_index`).

The ``report`` subcommand of ``cbss-analysis`` is :func:`add_report_arguments` and
:func:`run_report_command`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbss_analysis import __version__, paths
from cbss_analysis.errors import ReportError
from cbss_analysis.report_cache import KERNEL_NAME, Inputs, run_inputs, run_key
from cbss_analysis.report_files import recover, run_dir
from cbss_analysis.report_index import write_index
from cbss_analysis.report_manifest import FAILED_MANIFEST, FAILED_NOTEBOOK, MANIFEST, read_json
from cbss_analysis.report_plan import Plan, RunSpec, load_plan, override_runs, select_runs

__all__ = ["Plan", "ReportSummary", "RunSpec", "add_report_arguments", "load_plan", "run_plan", "run_report_command"]

LOCK_FILE = ".lock"


@dataclass
class ReportSummary:
    """What one command did.

    Attributes
    ----------
    actions : dict
        Per run id: ``ran``, ``skipped``, ``failed`` or ``interrupted``.
    errors : dict
        Per failed run id, the first line of its error.
    index : Path or None
        The index page written.
    interrupted : bool
        Stopped by Ctrl-C.
    """

    actions: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    index: Path | None = None
    interrupted: bool = False

    def _count(self, action: str) -> int:
        return sum(1 for value in self.actions.values() if value == action)

    @property
    def ran(self) -> int:
        """Runs executed successfully."""
        return self._count("ran")

    @property
    def skipped(self) -> int:
        """Runs whose inputs were unchanged."""
        return self._count("skipped")

    @property
    def failed(self) -> int:
        """Runs that raised, timed out or whose kernel died."""
        return self._count("failed")

    @property
    def exit_code(self) -> int:
        """0 when every run is ok or skipped, 1 when one failed, 130 when interrupted."""
        return 130 if self.interrupted else 1 if self.failed else 0

    def line(self) -> str:
        """One-line summary, e.g. ``reports: 2 ran, 15 skipped, 0 failed -> reports/index.html``."""
        text = f"reports: {self.ran} ran, {self.skipped} skipped, {self.failed} failed"
        if self.interrupted:
            text += f", {self._count('interrupted')} interrupted (stopped by Ctrl-C)"
        return text + (f" -> {self.index}" if self.index else "")


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` so that two commands never write the same reports."""
    out.mkdir(parents=True, exist_ok=True)
    handle = (out / LOCK_FILE).open("a+")
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            yield
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ReportError(f"{out}: another report command is writing here; wait for it or use --out DIR") from exc
        yield
    finally:
        handle.close()


def _manifest_base(run: RunSpec, plan: Plan, inputs: Inputs, key: str) -> dict[str, Any]:
    codebook = inputs.codebook(run)
    try:
        source = run.path.relative_to(paths.PROJECT_ROOT).as_posix()
    except ValueError:
        source = str(run.path)
    return {
        "notebook": run.notebook,
        "run": run.run,
        "source": source,
        "run_key": key,
        "parameters": run.parameters,
        "defaults": {name: info.get("default") for name, info in plan.parameters[run.notebook].items()},
        "inputs": run_inputs(run, inputs),
        "codebook": {"reference": codebook.reference, "title": codebook.title},
        "synthetic": codebook.synthetic,
        "package": {"name": "cbss-analysis", "version": __version__, "source_sha256": inputs.library},
        "environment": inputs.environment,
        "kernel": KERNEL_NAME,
    }


def _is_current(folder: Path, key: str) -> bool:
    manifest = read_json(folder / MANIFEST)
    if not manifest or manifest.get("status") != "ok" or manifest.get("run_key") != key:
        return False
    for stale in (FAILED_MANIFEST, FAILED_NOTEBOOK):
        (folder / stale).unlink(missing_ok=True)
    return True


def _progress(total: int, enabled: bool | None) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="run", desc="reports", disable=None if enabled is None else not enabled,
                file=sys.stderr, dynamic_ncols=True)


def run_plan(
    plan: Plan | Path | str | None = None,
    *,
    only: Iterable[str] = (),
    params: Iterable[str] = (),
    data: Path | str | None = None,
    codebook: str | None = None,
    out: Path | str | None = None,
    jobs: int | None = None,
    force: bool = False,
    with_code: bool = False,
    fail_fast: bool = False,
    timeout: float | None = None,
    progress: bool | None = None,
) -> ReportSummary:
    """Render the plan's runs whose inputs changed, in parallel, and write the index.

    Parameters
    ----------
    plan : Plan, path or None
        A loaded plan or its file; default ``notebooks/reports.yaml``.
    only : iterable of str
        ``NOTEBOOK`` or ``NOTEBOOK/RUN`` names to run; default all.
    params : iterable of str
        ``key=value`` overrides for every run whose notebook has parameter ``key``.
    data : path, optional
        Survey file for every run (its ``data_path`` parameter).
    codebook : str, optional
        Codebook name or YAML path for every run (its ``codebook`` parameter).
    out : path, optional
        Output folder; default ``reports/``.
    jobs : int, optional
        Runs at a time; default the number of CPUs.
    force : bool
        Re-run even when the inputs are unchanged.
    with_code : bool
        Keep input cells in the HTML.
    fail_fast : bool
        Start no new run after the first failure.
    timeout : float, optional
        Seconds a run may take (whole notebook); none by default.
    progress : bool, optional
        Show a progress bar; default only on a terminal.

    Returns
    -------
    ReportSummary

    Raises
    ------
    ReportError
        For a bad plan or bad arguments, before anything runs.
    """
    if jobs is not None and jobs < 1:
        raise ReportError(f"--jobs {jobs}: must be at least 1")
    if timeout is not None and timeout <= 0:
        raise ReportError(f"--timeout {timeout:g}: must be a positive number of seconds")
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    data_path = None
    if data is not None:
        data_path = Path(data).expanduser().resolve()
        if not data_path.is_file():
            raise ReportError(f"--data {data}: no such file; give the path of a .sav, .dta, .csv or .parquet survey")
    if codebook is not None and codebook.endswith((".yaml", ".yml")):
        codebook = str(Path(codebook).expanduser().resolve())
    runs = override_runs(plan, select_runs(plan, only), params, data_path, codebook)
    out_dir = Path(out).expanduser().resolve() if out is not None else paths.REPORTS_DIR
    inputs = Inputs()
    keys = {run.id: run_key(run, inputs, with_code) for run in runs}
    summary = ReportSummary()
    with _locked(out_dir):
        recover(out_dir)
        todo = []
        for run in runs:
            if not force and _is_current(run_dir(out_dir, run), keys[run.id]):
                summary.actions[run.id] = "skipped"
            else:
                todo.append(run)
        if todo:
            summary.interrupted = _execute(plan, todo, keys, inputs, out_dir, jobs, with_code, fail_fast, timeout,
                                           progress, summary)
        summary.index = write_index(out_dir, plan.runs, summary.actions)
    return summary


def _execute(
    plan: Plan, todo: list[RunSpec], keys: dict[str, str], inputs: Inputs, out: Path, jobs: int | None,
    with_code: bool, fail_fast: bool, timeout: float | None, progress: bool | None, summary: ReportSummary,
) -> bool:
    import cbss_analysis.records  # noqa: F401 - imported once here rather than in every worker
    from cbss_analysis.report_html import prepare_exporter
    from cbss_analysis.report_pool import run_tasks
    from cbss_analysis.report_run import RunResult, RunTask

    prepare_exporter(with_code)
    workers = min(jobs or os.cpu_count() or 1, len(todo))
    threads = max(1, (os.cpu_count() or 1) // workers)
    tasks = [RunTask(run, out, _manifest_base(run, plan, inputs, keys[run.id]), with_code, timeout, threads)
             for run in todo]
    bar = _progress(len(tasks), progress)

    def on_result(result: RunResult) -> None:
        summary.actions[result.id] = {"ok": "ran"}.get(result.status, result.status)
        if result.error:
            summary.errors[result.id] = result.error
        bar.update(1)
        bar.set_postfix_str(f"{result.id} {result.status}")

    try:
        interrupted = run_tasks(tasks, workers, on_result, fail_fast)
    finally:
        bar.close()
    for run in todo:
        summary.actions.setdefault(run.id, "not started")
    return interrupted


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``cbss-analysis report`` to ``parser``."""
    parser.add_argument("--plan", metavar="FILE", type=Path, default=None,
                        help=f"report plan (default: {paths.REPORT_PLAN.relative_to(paths.PROJECT_ROOT)})")
    parser.add_argument("--only", metavar="NOTEBOOK", action="append", default=[],
                        help="run only this notebook (or NOTEBOOK/RUN); repeatable")
    parser.add_argument("--param", metavar="KEY=VALUE", action="append", default=[],
                        help="set a parameter of every notebook that has it (value read as YAML); repeatable")
    parser.add_argument("--data", metavar="PATH", type=Path, default=None,
                        help="survey file for every run (default: the embedded synthetic survey)")
    parser.add_argument("--codebook", metavar="NAME|PATH", default=None,
                        help="codebook name or YAML file for every run (default: the survey's own)")
    parser.add_argument("--out", metavar="DIR", type=Path, default=None,
                        help=f"output folder (default: {paths.REPORTS_DIR.relative_to(paths.PROJECT_ROOT)}/)")
    parser.add_argument("--jobs", metavar="N", type=int, default=os.cpu_count() or 1,
                        help="runs in parallel (default: number of CPUs)")
    parser.add_argument("--force", action="store_true", help="re-run even the runs whose inputs are unchanged")
    parser.add_argument("--with-code", action="store_true", help="keep the input cells in the HTML")
    parser.add_argument("--fail-fast", action="store_true", help="start no new run after the first failure")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=None,
                        help="fail a run that takes longer than this (default: no limit)")


def run_report_command(args: argparse.Namespace) -> int:
    """Run ``cbss-analysis report`` with parsed ``args``; print a summary; return the exit code.

    Returns 0 when every run is ok or skipped, 1 when any failed, 130 on Ctrl-C.
    Raises ReportError (exit code 2 in the CLI) for a bad plan or bad arguments.
    """
    summary = run_plan(
        args.plan, only=args.only, params=args.param, data=args.data, codebook=args.codebook, out=args.out,
        jobs=args.jobs, force=args.force, with_code=args.with_code, fail_fast=args.fail_fast, timeout=args.timeout,
    )
    for run_id, error in summary.errors.items():
        print(f"failed: {run_id}: {error}", file=sys.stderr)
    print(summary.line())
    return summary.exit_code
