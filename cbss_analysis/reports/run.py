"""One report run: papermill execution, manifest, HTML, and the atomic move into place.

A run is written into a temporary folder and moved into place only when the notebook ran
and its HTML exists (:mod:`cbss_analysis.reports.files`). A failed run keeps its error
notebook and a ``failed.json`` beside the last good output (``<run>/failed.ipynb``),
each written by an atomic rename too.

Kernels: papermill starts the kernel named ``python3`` explicitly, in the notebook's
folder. Parallel runs that each pick free TCP ports can race for the same port
(papermill issue #511, ipython #12372: "ZMQError: Address already in use"). On POSIX the
kernel talks over Unix-domain sockets (``transport="ipc"``) in a private folder, so there
are no ports to race for; on any platform a kernel that dies before running a cell is
started again (twice at most).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from cbss_analysis.common.files import sha256_of
from cbss_analysis.common.text import first_line
from cbss_analysis.reports.cache import KERNEL_NAME
from cbss_analysis.reports.files import kernel_folder_prefix, move_into_place, output_names, run_dir, worker_folder
from cbss_analysis.reports.inject import install as install_literal_translator
from cbss_analysis.reports.manifest import (
    FAILED_MANIFEST,
    FAILED_NOTEBOOK,
    MANIFEST,
    records_synthetic,
    take_records,
    write_json,
)
from cbss_analysis.reports.outputs import write_outputs
from cbss_analysis.reports.plan import RunSpec

STARTUP_ATTEMPTS = 3
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class RunTimeout(BaseException):
    """The run took longer than ``--timeout`` seconds.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` inside
    papermill or nbclient swallows it.
    """


class RunStopped(BaseException):
    """The worker was told to stop (SIGTERM): the run failed, and says so."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run.

    ``manifest`` holds the manifest fields known before the run (parameters, inputs,
    codebook, package, environment, run key); the worker adds times, status and records.
    """

    spec: RunSpec
    out: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    with_code: bool = False
    timeout: float | None = None
    threads: int | None = None
    pdf: bool = False


@dataclass(frozen=True)
class RunResult:
    """Outcome of one executed run: ``status`` is ``ok``, ``failed`` or ``interrupted``.

    ``recorded`` says whether the failure was written beside the run's last good output
    (``failed.json``); a worker that died could not, and the parent writes it instead.
    """

    id: str
    status: str
    duration_s: float = 0.0
    error: str | None = None
    recorded: bool = False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _kernel_options(folder: Path) -> dict[str, Any]:
    if os.name != "posix":
        return {}
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.connection_file = str(folder / "kernel.json")
    return {"config": config}


def _cells_ran(path: Path) -> bool:
    if not path.exists():
        return False
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells)


def execute_notebook(spec: RunSpec, output: Path, timeout: float | None) -> None:
    """Run ``spec`` through papermill into ``output`` (kernel ``python3``, cwd = the notebook's folder).

    A kernel that dies before any cell ran is started again, up to ``STARTUP_ATTEMPTS`` times.

    Raises
    ------
    papermill.exceptions.PapermillExecutionError
        When a cell raises (``output`` then holds the error notebook).
    """
    install_literal_translator()
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        kernel_folder = Path(tempfile.mkdtemp(prefix=kernel_folder_prefix()))
        try:
            papermill.execute_notebook(
                str(spec.path), str(output), parameters=dict(spec.parameters), kernel_name=KERNEL_NAME,
                cwd=str(spec.path.parent), execution_timeout=timeout, progress_bar=False, log_output=False,
                shutdown_kernel="immediate", **_kernel_options(kernel_folder),
            )
            return
        except PapermillExecutionError:
            raise
        except Exception:
            if attempt == STARTUP_ATTEMPTS or _cells_ran(output):
                raise
            output.unlink(missing_ok=True)
        finally:
            shutil.rmtree(kernel_folder, ignore_errors=True)


def error_text(exc: BaseException, timeout: float | None) -> str:
    """One line for a run's error: ``ename: evalue (cell [n])``, a timeout, or the exception."""
    if isinstance(exc, PapermillExecutionError):
        where = f" (cell [{exc.exec_count}])" if exc.exec_count else ""
        return f"{exc.ename}: {first_line(exc.evalue)}{where}"
    if isinstance(exc, RunTimeout):
        return f"timed out after {timeout:g} s (--timeout)"
    if isinstance(exc, RunStopped):
        return "stopped by SIGTERM before it finished"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}" + (f" ({Path(str(exc.filename)).name})" if exc.filename else "")
    return f"{type(exc).__name__}: {first_line(str(exc))}"


def keep_failure(task: RunTask, executed: Path | None, manifest: dict[str, Any]) -> bool:
    """Write ``failed.json`` (and ``failed.ipynb`` when the error notebook exists) beside the last good output.

    Returns whether it could (a full disk may say no; the run is reported failed all the same).
    """
    try:
        _write_failure(task, executed, manifest)
    except OSError:
        return False
    return True


def _write_failure(task: RunTask, executed: Path | None, manifest: dict[str, Any]) -> None:
    final = run_dir(task.out, task.spec)
    final.mkdir(parents=True, exist_ok=True)
    if executed is not None and executed.exists():
        os.replace(executed, final / FAILED_NOTEBOOK)
        manifest["files"] = {"notebook": FAILED_NOTEBOOK}
    else:
        (final / FAILED_NOTEBOOK).unlink(missing_ok=True)
        manifest["files"] = {}
    write_json(final / FAILED_MANIFEST, manifest)


def execute_run(task: RunTask) -> RunResult:
    """Execute one run end to end (in a worker process) and return its outcome.

    ``threads`` caps the kernel's BLAS/OpenMP threads (unless the environment already does),
    so that parallel kernels share the cores instead of oversubscribing them.
    ``KeyboardInterrupt`` is turned into an ``interrupted`` result that leaves nothing
    behind; ``RunTimeout`` (raised by the worker's timer) and every other error into a
    ``failed`` result whose error notebook is kept.
    """
    spec = task.spec
    if task.threads:
        for variable in THREAD_VARIABLES:
            os.environ.setdefault(variable, str(task.threads))
    names = output_names(spec)
    tmp = worker_folder(task.out, spec, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    executed = tmp / names["notebook"]
    started = _now()
    manifest: dict[str, Any] = {**task.manifest, "started": _iso(started)}
    try:
        try:
            if task.timeout and hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, task.timeout)
            execute_notebook(spec, executed, task.timeout)
        finally:
            if hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, 0)
        nb = nbformat.read(executed, as_version=4)
        records = take_records(nb)
        nbformat.write(nb, executed)
        finished = _now()
        manifest.update(
            status="ok", finished=_iso(finished), duration_s=round((finished - started).total_seconds(), 3),
            records=records, synthetic=bool(manifest.get("synthetic")) or records_synthetic(records), files=names,
        )
        written = write_outputs(nb, manifest, tmp, task)  # notebook, HTML, PDF, CSV, XLSX: reports.outputs
        manifest["file_sha256"] = {name: sha256_of(tmp / name) for name in written}
        write_json(tmp / MANIFEST, manifest)
        move_into_place(tmp, run_dir(task.out, spec))
        return RunResult(spec.id, "ok", manifest["duration_s"])
    except KeyboardInterrupt:
        return RunResult(spec.id, "interrupted", (_now() - started).total_seconds())
    except (RunTimeout, RunStopped, Exception) as exc:
        finished = _now()
        duration = round((finished - started).total_seconds(), 3)
        error = error_text(exc, task.timeout)
        manifest.update(status="failed", finished=_iso(finished), duration_s=duration, error=error)
        return RunResult(spec.id, "failed", duration, error, recorded=keep_failure(task, executed, manifest))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
