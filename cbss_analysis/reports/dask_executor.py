"""Report runs on a Dask distributed cluster: ``cbss-analysis report --executor dask --scheduler ADDRESS``.

Every run is one Dask task (:func:`run_on_worker`). On a worker, the task first checks that the worker would
produce what the command expects (the same package source and key package versions, the notebook and every
input file reachable at the same path with the same sha256: a mismatch fails the run with one line), then
executes the run in that worker's own run server (:class:`~cbss_analysis.reports.executors.RunServer`:
warm kernels, a process per run, timeouts and dead-worker detection as in the local pool), renders its HTML
there (the cluster has many workers, the client one process) and returns it. **The client writes every
file** (:func:`cbss_analysis.reports.run.finish`), with the same temporary folders and atomic moves as local
runs, so a worker or a node that fails never damages the last good output; Ctrl-C cancels the tasks and writes
nothing more.

``--scheduler local`` starts a LocalCluster for testing: ``jobs`` worker processes of one thread each (memory
limited to an equal share each), listening on 127.0.0.1 only, with mutual TLS from temporary certificates
(other users of the machine cannot submit to it), no dashboard; it is closed with the command, and its workers
exit by themselves when the command dies (``death_timeout``). A cluster given by address or scheduler file is
the user's: the command connects, submits and disconnects, and leaves it running.

Workers need the package installed (the same version) and the notebooks and data at the same paths (a shared
file system, as on an HPC cluster); see ``reports/README.md`` for a SLURM cluster through dask-jobqueue.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cbss_analysis.common.text import first_line
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.execute import Executed

CONNECT_TIMEOUT_S = 30
DEATH_TIMEOUT_S = 60
IDLE_EXIT_S = 600.0
_SERVERS: dict[tuple[bool, int | None], Any] = {}
_SERVERS_LOCK = threading.Lock()
_DIGESTS: dict[tuple[str, int, int], str] = {}


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise ReportError("--executor dask needs Dask: pip install 'cbss-analysis[dask]' (dask[distributed])") from None
    return distributed


def _local_cluster(jobs: int) -> Any:
    distributed = _dask()
    try:
        from distributed.security import Security

        security = Security.temporary()
        protocol = "tls://"
    except Exception:  # no cryptography package: plain TCP, still on the loopback interface only
        security, protocol = None, "tcp://"
    return distributed.LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
        dashboard_address=None, protocol=protocol, security=security, silence_logs=logging.ERROR,
        death_timeout=DEATH_TIMEOUT_S, memory_limit="auto",
    )


class DaskExecutor:
    """Submits runs to a Dask cluster and yields their results as they finish (see the module docstring).

    Parameters
    ----------
    scheduler : str
        ``local``, a scheduler address (``tcp://host:8786``) or a scheduler file (``.json``).
    jobs : int
        Workers of a ``local`` cluster.
    threads : int, optional
        BLAS/OpenMP threads of each kernel.
    preload : iterable of str
        Package modules the notebooks import (each worker's run server imports them once).
    warm : bool
        Use warm kernels on the workers.

    Raises
    ------
    ReportError
        Dask is not installed, or the scheduler cannot be reached (one line).
    """

    def __init__(self, scheduler: str, jobs: int, threads: int | None, preload: Iterable[str], warm: bool = True) -> None:
        distributed = _dask()
        self.cluster = None
        try:
            if scheduler == "local":
                self.cluster = _local_cluster(jobs)
                self.client = distributed.Client(self.cluster, timeout=CONNECT_TIMEOUT_S)
            elif scheduler.endswith(".json"):
                self.client = distributed.Client(scheduler_file=scheduler, timeout=CONNECT_TIMEOUT_S)
            else:
                self.client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:
            self._close_cluster()
            raise ReportError(f"--scheduler {Path(scheduler).name if scheduler.endswith('.json') else scheduler}: "
                              f"cannot use the Dask cluster ({type(exc).__name__}: {first_line(str(exc))})") from None
        self.options = {"preload": tuple(preload), "warm": warm, "threads": threads}
        self.futures: dict[str, Any] = {}
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=10)
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=30)
            self.cluster = None

    def submit(self, task: Any) -> None:
        """Submit a run as one task (never retried elsewhere by this client: a run's failure is its result)."""
        key = f"cbss-run-{task.spec.notebook}-{task.spec.run}-{task.token[:12]}"
        future = self.client.submit(run_on_worker, task, self.options, key=key, pure=False, retries=0)
        self.futures[key] = future
        self.tasks[key] = task

    def results(self) -> Iterator[Executed]:
        """Results as runs finish; a task the cluster could not run (a worker that died) is a failed run."""
        distributed = _dask()
        for future in distributed.as_completed(list(self.futures.values())):
            task = self.tasks[future.key]
            if future.cancelled():
                yield Executed(task.spec.id, task.token, "cancelled")
                continue
            try:
                yield future.result()
            except Exception as exc:
                name = type(exc).__name__
                yield Executed(task.spec.id, task.token, "failed",
                               error=f"the Dask cluster could not run it ({name}: {first_line(str(exc))})")

    def cancel_pending(self) -> None:
        """Cancel the tasks that have not finished (``--fail-fast``; runs already running on workers finish)."""
        pending = [f for f in self.futures.values() if not f.done()]
        if pending:
            with contextlib.suppress(Exception):
                self.client.cancel(pending)

    def interrupt(self) -> list[Executed]:
        """Ctrl-C: cancel every task; nothing more is written."""
        self.cancel_pending()
        return []


# --- on a worker ------------------------------------------------------------------------------------------------


def _digest(path: Path) -> str:
    from cbss_analysis.common.files import sha256_of

    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_of(path)
    return _DIGESTS[key]


def check_worker(task: Any) -> str | None:
    """Why this worker must not run ``task`` (another package, another environment, inputs it cannot see)."""
    from cbss_analysis.reports import cache

    host = socket.gethostname()
    expected = task.manifest
    library = (expected.get("package") or {}).get("source_sha256")
    if library and cache.library_hash() != library:
        return f"worker {host}: its cbss-analysis source differs from the client's; install the same version on the cluster"
    wanted = (expected.get("environment") or {})
    here = cache.environment()
    if wanted and wanted.get("python") != here.get("python"):
        return f"worker {host}: Python {here.get('python')}, the client has {wanted.get('python')}"
    for name, version in (wanted.get("packages") or {}).items():
        if here["packages"].get(name) != version:
            return f"worker {host}: {name} {here['packages'].get(name)}, the client has {version}"
    checks = dict(task.checks)
    notebook = task.spec.path
    if not notebook.is_file():
        return f"worker {host}: notebook {notebook} is not reachable; the cluster needs the notebooks at the same path"
    if checks.get("notebook_sha256") and cache.notebook_source_hash(notebook) != checks["notebook_sha256"]:
        return f"worker {host}: notebook {notebook.name} differs from the client's"
    for kind, name, digest in task.input_files:
        path = Path(name)
        role = "data file" if kind == "data" else "codebook file"
        if not path.is_file():
            return f"worker {host}: {role} {path} is not reachable; the cluster needs the data at the same path"
        if _digest(path) != digest:
            return f"worker {host}: {role} {path.name} differs from the client's (sha256)"
    return None


def _server(options: dict[str, Any]) -> Any:
    from cbss_analysis.reports.executors import RunServer

    key = (bool(options.get("warm", True)), options.get("threads"))
    with _SERVERS_LOCK:
        server = _SERVERS.get(key)
        if server is None or not server.alive:
            try:
                from distributed import get_worker

                slots = max(1, int(get_worker().state.nthreads))
            except Exception:
                slots = 1
            server = RunServer(slots, options.get("threads"), options.get("preload", ()), key[0], serving=True,
                               idle_exit=IDLE_EXIT_S)
            _SERVERS[key] = server
    return server


def run_on_worker(task: Any, options: dict[str, Any]) -> Executed:
    """The Dask task: check, execute in this worker's run server, render the HTML; never writes the outputs."""
    from cbss_analysis.reports.runner import skip_iri_grammar

    skip_iri_grammar()
    problem = check_worker(task)
    if problem is not None:
        return Executed(task.spec.id, task.token, "failed", error=problem)
    executed = _server(options).submit(task).result()
    if executed.status == "ok":
        from cbss_analysis.reports.execute import error_text
        from cbss_analysis.reports.run import render

        try:
            render(task, executed)
        except Exception as exc:
            executed.status, executed.error = "failed", error_text(exc, task.timeout)
    return executed
