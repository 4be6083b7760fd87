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

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbss_analysis import __version__
from cbss_analysis.common.checks import small_cells_notice
from cbss_analysis.common.files import sha256_of, sha256_text
from cbss_analysis.errors import ReportError
from cbss_analysis.reports import titles
from cbss_analysis.reports.cache import KERNEL_NAME, Inputs, canonical_json, data_folders, run_inputs, run_key
from cbss_analysis.reports.files import claim_output_folder, recover, run_dir, sweep_kernel_folders
from cbss_analysis.reports.index import write_index
from cbss_analysis.reports.manifest import FAILED_MANIFEST, FAILED_NOTEBOOK, MANIFEST, read_json
from cbss_analysis.reports.options import ReportOptions
from cbss_analysis.reports.plan import Plan, RunSpec, load_plan, override_runs, select_runs
from cbss_analysis.reports.redact import display_path, scrub_value

__all__ = ["Plan", "ReportOptions", "ReportSummary", "RunSpec", "load_plan", "run_plan"]

LOCK_FILE = ".lock"
_LOG = logging.getLogger(__name__)


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
    warnings : list of str
        Runs that publish small cells (``allow_small_cells``), one line each; also logged.
    interrupted : bool
        Stopped by Ctrl-C.
    """

    actions: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
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
    hidden = [run.path.parent, *data_folders(run)]
    files = [{"name": display_path(item["path"]), **{k: v for k, v in item.items() if k != "path"}}
             for item in run_inputs(run, inputs)]
    return {
        "notebook": run.notebook,
        "run": run.run,
        "title": titles.report_title(run, titles.notebook_heading(run.path, run.notebook)),
        "question": titles.notebook_question(run.path),
        "neighbours": titles.neighbours(plan.runs, run),
        "source": display_path(run.path),
        "notebook_sha256": inputs.notebook(run.path),
        "run_key": key,
        "parameters": scrub_value(run.parameters, hidden),
        "defaults": {name: info.get("default") for name, info in plan.parameters[run.notebook].items()},
        "inputs": files,
        "codebook": {"reference": codebook.reference, "title": codebook.title},
        "synthetic": codebook.synthetic,
        "package": {"name": "cbss-analysis", "version": __version__, "source_sha256": inputs.library},
        "environment": inputs.environment,
        "kernel": KERNEL_NAME,
    }


def _key(run: RunSpec, plan: Plan, inputs: Inputs, options: ReportOptions) -> str:
    """The run key (:func:`~cbss_analysis.reports.cache.run_key`), with what else shapes the output files:
    whether a PDF is written and which runs the page links to (previous and next)."""
    extra = {"pdf": options.pdf, "neighbours": titles.neighbours(plan.runs, run)}
    return sha256_text(run_key(run, inputs, options.with_code) + canonical_json(extra))


def _is_current(folder: Path, key: str) -> bool:
    """Whether the run's last good output is complete for ``key``: its manifest matches and every file it lists
    exists with the sha256 recorded (a deleted or corrupted file makes the run stale)."""
    manifest = read_json(folder / MANIFEST)
    if not manifest or manifest.get("status") != "ok" or manifest.get("run_key") != key:
        return False
    recorded = manifest.get("file_sha256")
    if not isinstance(recorded, dict) or not recorded:
        return False
    for name, digest in recorded.items():
        path = folder / str(name)
        if path.parent != folder or not path.is_file() or sha256_of(path) != digest:
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
    summary = ReportSummary()
    for run in runs:
        notice = small_cells_notice(run.parameters)
        if notice:
            summary.warnings.append(f"{run.id}: allow_small_cells is set (min_n={run.parameters.get('min_n', 'default')})")
            _LOG.warning("%s: %s", run.id, notice)
    claim_output_folder(options.out)
    with _locked(options.out), ExitStack() as stack:
        recover(options.out, plan.runs)
        sweep_kernel_folders()
        try:
            early = _early_executor(options, runs)
            if early is not None:
                stack.enter_context(early)
            keys = {run.id: _key(run, plan, inputs, options) for run in runs}
            todo = []
            for run in runs:
                if not options.force and _is_current(run_dir(options.out, run), keys[run.id]):
                    summary.actions[run.id] = "skipped"
                else:
                    todo.append(run)
            if todo:
                summary.interrupted = _execute(plan, todo, keys, inputs, options, summary, early)
        except KeyboardInterrupt:  # Ctrl-C before the workers started: nothing was written yet
            summary.interrupted = True
            for run in runs:
                summary.actions.setdefault(run.id, "interrupted")
        stack.close()
        summary.index = write_index(options.out, plan.runs, summary.actions)
    return summary


def _slots(options: ReportOptions, runs: int) -> tuple[int, int]:
    """Worker slots for ``runs`` runs, and the BLAS/OpenMP threads of each kernel (the cores shared among them)."""
    workers = max(1, min(options.jobs or os.cpu_count() or 1, runs))
    return workers, max(1, (os.cpu_count() or 1) // workers)


def _early_executor(options: ReportOptions, runs: list[RunSpec]) -> Any:
    """The local run server, started before the inputs are hashed, when some run will surely execute; else None.

    A run executes for sure with ``--force`` or when its folder has no good manifest (it cannot be current). The
    server then imports the notebooks' modules while this process loads the codebooks and hashes the inputs; its
    slots and threads are those of all the selected runs (a slot without a run costs nothing), and it is told to
    expect them all (its first kernels boot before the runs arrive; with no more runs than slots, each kernel
    imports the modules itself, in parallel with its worker, instead of the server first). Otherwise (a
    rebuild that may have nothing to do) the server starts once the stale runs are known.
    """
    if options.executor == "dask" or not runs:
        return None
    if not options.force and all((read_json(run_dir(options.out, run) / MANIFEST) or {}).get("status") == "ok"
                                 for run in runs):
        return None
    from cbss_analysis.reports.executors import LocalExecutor
    from cbss_analysis.reports.kernels import notebook_modules

    workers, threads = _slots(options, len(runs))
    return LocalExecutor(workers, threads, notebook_modules(dict.fromkeys(run.path for run in runs)),
                         options.warm_kernels, options.fail_fast, expect=len(runs))


def _executor(options: ReportOptions, workers: int, threads: int, preload: list[str], expect: int) -> Any:
    if options.executor == "dask":
        from cbss_analysis.reports.dask_executor import DaskExecutor

        remote = options.scheduler != "local"  # a remote node's cores are its workers': one BLAS thread per run
        return DaskExecutor(options.scheduler or "local", workers, 1 if remote else threads, preload, options.warm_kernels)
    from cbss_analysis.reports.executors import LocalExecutor

    return LocalExecutor(workers, threads, preload, options.warm_kernels, options.fail_fast, expect)


def _execute(
    plan: Plan, todo: list[RunSpec], keys: dict[str, str], inputs: Inputs, options: ReportOptions, summary: ReportSummary,
    early: Any = None,
) -> bool:
    """Execute the stale runs (local pool or Dask) and write each as it finishes; True when stopped by Ctrl-C.

    ``early`` is the executor :func:`_early_executor` started (the caller closes it), if any.
    """
    import uuid

    from cbss_analysis.reports.runner import skip_iri_grammar

    skip_iri_grammar()
    from cbss_analysis.reports.kernels import notebook_modules
    from cbss_analysis.reports.run import finish
    from cbss_analysis.reports.tasks import RunTask

    workers, threads = (early.slots, early.threads) if early is not None else _slots(options, len(todo))
    cache = options.survey_cache_folder
    kernel_env = (("CBSS_SURVEY_CACHE", str(cache) if cache is not None else "off"),)
    tasks = [RunTask(run, options.out, _manifest_base(run, plan, inputs, keys[run.id]), options.with_code, options.timeout,
                     threads, uuid.uuid4().hex, kernel_env, (("notebook_sha256", inputs.notebook(run.path)),),
                     options.pdf, read_json(run_dir(options.out, run) / MANIFEST),
                     tuple((row["role"], row["path"], row["sha256"]) for row in run_inputs(run, inputs)))
             for run in todo]
    by_token = {task.token: task for task in tasks}
    bar = _progress(len(tasks), options.progress)
    interrupted = False
    try:
        with (nullcontext(early) if early is not None else
              _executor(options, workers, threads, notebook_modules(dict.fromkeys(run.path for run in todo)),
                        len(tasks))) as executor:
            try:
                for task in tasks:
                    executor.submit(task)
                if options.executor != "dask":  # the command renders local runs: it warms up while workers start
                    from cbss_analysis.reports.outputs import prepare_outputs

                    prepare_outputs(options.with_code)
                for executed in executor.results():
                    if executed.status == "cancelled":
                        continue
                    if executed.status == "interrupted":  # the run server got Ctrl-C (maybe before this process did)
                        interrupted = True
                        summary.actions[executed.id] = "interrupted"
                        bar.update(1)
                        continue
                    result = finish(by_token[executed.token], executed)
                    summary.actions[result.id] = {"ok": "ran"}.get(result.status, result.status)
                    if result.error:
                        summary.errors[result.id] = result.error
                    bar.update(1)
                    bar.set_postfix_str(f"{result.id} {result.status}")
                    if options.fail_fast and result.status == "failed":
                        executor.cancel_pending()
            except KeyboardInterrupt:
                interrupted = True
                executor.interrupt()
                for task in tasks:
                    summary.actions.setdefault(task.spec.id, "interrupted")
    finally:
        bar.close()
    for run in todo:
        summary.actions.setdefault(run.id, "not started")
    return interrupted
