"""The report pipeline: render every notebook of the plan, for every parameter set, into HTML.

>>> from cbss_analysis import reports
>>> summary = reports.run_plan(jobs=2)          # notebooks/reports.yaml -> reports/
>>> summary.ran, summary.skipped, summary.failed

For each run of the plan (:mod:`cbss_analysis.reports.plan`) whose inputs changed since its
last good output (:mod:`cbss_analysis.reports.cache`), papermill executes the notebook
(:mod:`cbss_analysis.reports.run`, in parallel worker processes: :mod:`cbss_analysis.reports.pool`),
nbconvert writes offline HTML with a provenance header (:mod:`cbss_analysis.reports.html`),
and ``<out>/<notebook>/<run>/`` receives the executed notebook, the HTML and
``manifest.json`` (:mod:`cbss_analysis.reports.manifest`). ``<out>/index.html`` links every
run with its status (:mod:`cbss_analysis.reports.index`).

The ``report`` subcommand of ``cbss-analysis`` (:mod:`cbss_analysis.cli`) builds a
:class:`~cbss_analysis.reports.options.ReportOptions` and calls :func:`run_plan`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbss_analysis import __version__, paths
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.cache import KERNEL_NAME, Inputs, run_inputs, run_key
from cbss_analysis.reports.files import recover, run_dir
from cbss_analysis.reports.index import write_index
from cbss_analysis.reports.manifest import FAILED_MANIFEST, FAILED_NOTEBOOK, MANIFEST, read_json
from cbss_analysis.reports.options import ReportOptions
from cbss_analysis.reports.plan import Plan, RunSpec, load_plan, override_runs, select_runs

__all__ = ["Plan", "ReportOptions", "ReportSummary", "RunSpec", "load_plan", "run_plan"]

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


def run_plan(plan: Plan | Path | str | None = None, options: ReportOptions | None = None, **choices: Any) -> ReportSummary:
    """Render the plan's runs whose inputs changed, in parallel, and write the index.

    Parameters
    ----------
    plan : Plan, path or None
        A loaded plan or its file; default ``notebooks/reports.yaml``.
    options : ReportOptions, optional
        What to run and how; default ``ReportOptions(**choices)``.
    **choices
        The fields of :class:`~cbss_analysis.reports.options.ReportOptions` (``only``, ``params``,
        ``data``, ``codebook``, ``out``, ``jobs``, ``force``, ``with_code``, ``fail_fast``,
        ``timeout``, ``progress``), when ``options`` is not given.

    Returns
    -------
    ReportSummary

    Raises
    ------
    ReportError
        For a bad plan or bad options, before anything runs.
    """
    if options is None:
        if choices.get("out") is None:
            choices.pop("out", None)
        options = ReportOptions(**choices)
    elif choices:
        raise ReportError(f"run_plan: give options or {', '.join(sorted(choices))}, not both")
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    runs = override_runs(plan, select_runs(plan, options.only), options.params, options.data, options.codebook)
    inputs = Inputs()
    keys = {run.id: run_key(run, inputs, options.with_code) for run in runs}
    summary = ReportSummary()
    with _locked(options.out):
        recover(options.out)
        todo = []
        for run in runs:
            if not options.force and _is_current(run_dir(options.out, run), keys[run.id]):
                summary.actions[run.id] = "skipped"
            else:
                todo.append(run)
        if todo:
            summary.interrupted = _execute(plan, todo, keys, inputs, options, summary)
        summary.index = write_index(options.out, plan.runs, summary.actions)
    return summary


def _execute(
    plan: Plan, todo: list[RunSpec], keys: dict[str, str], inputs: Inputs, options: ReportOptions, summary: ReportSummary,
) -> bool:
    import cbss_analysis.records  # noqa: F401 - imported once here rather than in every worker
    from cbss_analysis.reports.html import prepare_exporter
    from cbss_analysis.reports.pool import run_tasks
    from cbss_analysis.reports.run import RunResult, RunTask

    prepare_exporter(options.with_code)
    workers = min(options.jobs or os.cpu_count() or 1, len(todo))
    threads = max(1, (os.cpu_count() or 1) // workers)
    tasks = [RunTask(run, options.out, _manifest_base(run, plan, inputs, keys[run.id]), options.with_code, options.timeout,
                     threads) for run in todo]
    bar = _progress(len(tasks), options.progress)

    def on_result(result: RunResult) -> None:
        summary.actions[result.id] = {"ok": "ran"}.get(result.status, result.status)
        if result.error:
            summary.errors[result.id] = result.error
        bar.update(1)
        bar.set_postfix_str(f"{result.id} {result.status}")

    try:
        interrupted = run_tasks(tasks, workers, on_result, options.fail_fast)
    finally:
        bar.close()
    for run in todo:
        summary.actions.setdefault(run.id, "not started")
    return interrupted
