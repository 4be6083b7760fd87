"""One notebook execution, in a worker process: parameters injected, cells run, the notebook returned in memory.

papermill injects the parameters (as literals, :mod:`cbss_analysis.reports.inject`) and runs the cells through
nbclient, in a warm kernel (:mod:`cbss_analysis.reports.kernels`) or, where there is none, in a kernel it starts
itself (``python3``, Unix sockets in a private folder, started again if it dies before running a cell). Nothing
is written to the output folder here: the worker returns an :class:`Executed` (the notebook as text, its records,
times, error) and the command, or the Dask client, writes the files (:mod:`cbss_analysis.reports.run`). The
notebook's papermill timestamps are removed (:func:`without_timings`; the manifest keeps the times), so that the
same run gives the same notebook file wherever and whenever it ran.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cbss_analysis.common.text import first_line
from cbss_analysis.reports.cache import KERNEL_NAME
from cbss_analysis.reports.files import kernel_folder_prefix

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.reports.kernels import WarmKernel
    from cbss_analysis.reports.tasks import RunTask

STARTUP_ATTEMPTS = 3
INJECTED_CELL_ID = "injected-parameters"
_VOLATILE_NOTEBOOK = ("start_time", "end_time", "duration", "output_path")
_VOLATILE_CELL = ("start_time", "end_time", "duration")


class RunTimeout(BaseException):
    """The run took longer than ``--timeout`` seconds.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` inside
    papermill or nbclient swallows it.
    """


class RunStopped(BaseException):
    """The worker was told to stop (SIGTERM): the run failed, and says so."""


@dataclass
class Executed:
    """What a worker sends back for one run.

    Attributes
    ----------
    id, token : str
        The run id and the task's token (unique per submission).
    status : str
        ``ok``, ``failed`` or ``interrupted``.
    notebook : str or None
        The executed notebook (or, for a failure, the error notebook when there is one) as nbformat JSON.
    records : dict
        The notebook's recorded headline figures (ok runs).
    started, finished : str
        UTC times of the execution (ISO 8601).
    duration_s : float
        Seconds of execution.
    error : str or None
        One line, for a failure.
    kernel : str
        ``warm`` or ``started`` (how the kernel came to be).
    files : dict of str to bytes, or None
        The run's rendered files (notebook, HTML, exports, PDF), when the worker rendered them (the Dask executor).
    manifest : dict
        The final manifest, when the worker rendered the files.
    """

    id: str
    token: str
    status: str
    notebook: str | None = None
    records: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    finished: str = ""
    duration_s: float = 0.0
    error: str | None = None
    kernel: str = ""
    files: dict[str, bytes] | None = None
    manifest: dict[str, Any] | None = None


def now() -> dt.datetime:
    """The current UTC time."""
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _kernel_options(folder: Path) -> dict[str, Any]:
    if os.name != "posix":
        return {}
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.connection_file = str(folder / "kernel.json")
    return {"config": config}


def _cells_ran(nb: Any) -> bool:
    return any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells)


def coalesced_streams(outputs: list) -> list:
    """``outputs`` with each run of consecutive ``stream`` outputs of the same name joined into one."""
    joined: list = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = _text(previous["text"]) + _text(output["text"])
        else:
            joined.append(output)
    return joined


def _text(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def without_timings(nb: Any) -> Any:
    """Remove papermill's and nbclient's times (and the scratch output path) from ``nb``, in place; join
    consecutive outputs of one stream (how a kernel splits them into messages depends on timing)."""
    info = nb.metadata.get("papermill")
    if isinstance(info, dict):
        for key in _VOLATILE_NOTEBOOK:
            info.pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.get("outputs"):
            cell["outputs"] = coalesced_streams(cell["outputs"])
        cell_info = cell.metadata.get("papermill")
        if isinstance(cell_info, dict):
            for key in _VOLATILE_CELL:
                cell_info.pop(key, None)
    return nb


def execute_notebook(spec: Any, timeout: float | None, kernel: WarmKernel | None, env: dict[str, str]) -> Any:
    """Run ``spec`` through papermill and return the executed notebook (cwd: the notebook's folder).

    With a warm ``kernel`` the run uses it; without, papermill starts a ``python3`` kernel (and again, up to
    ``STARTUP_ATTEMPTS`` times, if it dies before any cell ran).

    Raises
    ------
    papermill.exceptions.PapermillExecutionError
        When a cell raises; ``exc.notebook`` holds the error notebook (papermill's error markers included).
    """
    import nbformat
    import papermill
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import prepare_notebook_metadata, raise_for_execution_errors, remove_error_markers
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from cbss_analysis.reports.inject import install as install_literal_translator

    install_literal_translator()
    source = str(spec.path)
    attempts = 1 if kernel is not None else STARTUP_ATTEMPTS
    for attempt in range(1, attempts + 1):
        folder = kernel.folder if kernel is not None else Path(tempfile.mkdtemp(prefix=kernel_folder_prefix()))
        scratch = folder / "error.ipynb"
        nb = load_notebook_node(source)
        if spec.parameters:
            nb = parameterize_notebook(nb, dict(spec.parameters), kernel_name=KERNEL_NAME, language="python")
            for cell in nb.cells:  # papermill gives the cell a random id; the same run must give the same notebook
                if "injected-parameters" in cell.metadata.get("tags", []) and "id" in cell:
                    cell.id = INJECTED_CELL_ID
        nb = remove_error_markers(prepare_notebook_metadata(nb, source, None))
        try:
            if kernel is not None:
                from cbss_analysis.reports.kernels import enter_run, kernel_manager

                enter_run(kernel, spec.path.parent, env)
                options: dict[str, Any] = {"km": kernel_manager(kernel)}
            else:
                os.environ.update(env)
                options = {"shutdown_kernel": "immediate", **_kernel_options(folder)}
            with papermill.utils.chdir(str(spec.path.parent)):
                nb = papermill_engines.execute_notebook_with_engine(
                    None, nb, kernel_name=KERNEL_NAME, input_path=source, output_path=None, progress_bar=False,
                    log_output=False, execution_timeout=timeout, **options,
                )
            try:
                raise_for_execution_errors(nb, str(scratch))
            except PapermillExecutionError as error:
                error.notebook = nbformat.read(scratch, as_version=4)
                raise
            return nb
        except PapermillExecutionError:
            raise
        except BaseException as exc:
            exc.notebook = nb
            if kernel is not None or attempt == attempts or _cells_ran(nb):
                raise
        finally:
            if kernel is None:
                shutil.rmtree(folder, ignore_errors=True)
    raise AssertionError("unreachable")  # pragma: no cover


def error_text(exc: BaseException, timeout: float | None) -> str:
    """One line for a run's error: ``ename: evalue (cell [n])``, a timeout, or the exception."""
    from papermill.exceptions import PapermillExecutionError

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


def _notebook_text(nb: Any) -> str | None:
    import nbformat

    try:
        return nbformat.writes(without_timings(nb))
    except Exception:  # a notebook nbformat refuses to write: keep the error, lose the notebook
        return None


def execute_task(task: RunTask, kernel: WarmKernel | None) -> Executed:
    """Execute one run (in a worker process) and return its outcome; never raises but KeyboardInterrupt's result.

    ``KeyboardInterrupt`` gives an ``interrupted`` result; ``RunTimeout`` (the worker's timer), ``RunStopped``
    (SIGTERM) and every other error a ``failed`` one with the error notebook when there is one.
    """
    from cbss_analysis.reports.manifest import take_records

    spec = task.spec
    started = now()
    mode = "warm" if kernel is not None else "started"
    base = {"id": spec.id, "token": task.token, "started": iso(started), "kernel": mode}
    try:
        try:
            if task.timeout and hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, task.timeout)
            nb = execute_notebook(spec, task.timeout, kernel, dict(task.kernel_env))
        finally:
            if hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, 0)
        records = take_records(nb)
        text = _notebook_text(nb)
        if text is None:
            raise ValueError("the executed notebook could not be written")
        finished = now()
        return Executed(**base, status="ok", notebook=text, records=json.loads(json.dumps(records, default=str)),
                        finished=iso(finished), duration_s=round((finished - started).total_seconds(), 3))
    except KeyboardInterrupt:
        return Executed(**base, status="interrupted", duration_s=(now() - started).total_seconds())
    except (RunTimeout, RunStopped, Exception) as exc:
        finished = now()
        partial = getattr(exc, "notebook", None)
        return Executed(**base, status="failed", notebook=_notebook_text(partial) if partial is not None else None,
                        finished=iso(finished), duration_s=round((finished - started).total_seconds(), 3),
                        error=error_text(exc, task.timeout))
