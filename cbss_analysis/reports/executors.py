"""Where runs execute: the local pool (default) or a Dask cluster (:mod:`cbss_analysis.reports.dask_executor`).

An executor takes :class:`~cbss_analysis.reports.run.RunTask` objects and yields
:class:`~cbss_analysis.reports.execute.Executed` results in the order they finish; the command writes every
result itself (:func:`cbss_analysis.reports.run.finish`), so outputs are written the same, atomic way whatever
executed them. Executors share one interface: ``submit(task)``, ``results()``, ``cancel_pending()``,
``interrupt()`` and use as a context manager.

:class:`RunServer` starts and talks to a run server (:mod:`cbss_analysis.reports.runner`); the local executor
uses one with ``jobs`` slots, and each Dask worker uses one of its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, as_completed
from multiprocessing.connection import Connection
from typing import Any

from cbss_analysis.reports.execute import Executed

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
STOP_WAIT_S = 35.0
_LOG = logging.getLogger(__name__)


class RunServer:
    """A run server process and the futures of the tasks sent to it (thread-safe).

    Parameters
    ----------
    jobs : int
        Runs at a time.
    threads : int, optional
        BLAS/OpenMP threads of each kernel (unless the environment already says).
    preload : iterable of str
        Package modules the notebooks import (the server imports them before forking kernels).
    warm : bool
        Use warm kernels where possible.
    serving : bool, optional
        Keep a spare kernel per slot while idle (a Dask worker's server).
    idle_exit : float, optional
        Seconds without work after which the server stops by itself.
    fail_fast : bool
        The server starts no waiting run after one failed.
    expect : int
        How many runs will be sent (0: unknown): the server starts their workers and kernels (one per slot)
        before they arrive, and when they fit the slots, each kernel imports its modules itself, in parallel with
        its worker, instead of the server importing them first.
    """

    def __init__(self, jobs: int, threads: int | None = None, preload: Iterable[str] = (), warm: bool = True,
                 serving: bool = False, idle_exit: float | None = None, fail_fast: bool = False, expect: int = 0) -> None:
        tasks_r, tasks_w = os.pipe()
        results_r, results_w = os.pipe()
        env = dict(os.environ)
        if threads:
            for variable in THREAD_VARIABLES:
                env.setdefault(variable, str(threads))
        command = [sys.executable, "-m", "cbss_analysis.reports.runner", "--tasks-fd", str(tasks_r), "--results-fd",
                   str(results_w), "--jobs", str(jobs), "--preload", ",".join(preload)]
        if not warm:
            command.append("--fresh-kernels")
        if serving:
            command.append("--serving")
        if fail_fast:
            command.append("--fail-fast")
        if expect:
            command += ["--expect", str(expect)]
        if idle_exit:
            command += ["--idle-exit", str(idle_exit)]
        try:
            self.process = subprocess.Popen(command, pass_fds=(tasks_r, results_w), stdin=subprocess.DEVNULL, env=env)
        finally:
            os.close(tasks_r)
            os.close(results_w)
        self._tasks = Connection(tasks_w, readable=False)
        self._results = Connection(results_r, writable=False)
        self._futures: dict[str, Future[Executed]] = {}
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self.info: dict[str, Any] = {}
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, name="cbss-run-server-reader", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        """Whether the server process runs."""
        return self.process.poll() is None

    def submit(self, task: Any) -> Future[Executed]:
        """Send a task; its future completes with the run's :class:`Executed`."""
        future: Future[Executed] = Future()
        with self._lock:
            self._futures[task.token] = future
            self._ids[task.token] = task.spec.id
            try:
                self._tasks.send(("run", task))
            except OSError:
                self._futures.pop(task.token)
                future.set_result(Executed(task.spec.id, task.token, "failed", error=self._gone()))
        return future

    def cancel_pending(self) -> None:
        """Ask the server to drop the tasks that have not started (their futures complete as ``cancelled``)."""
        with contextlib.suppress(OSError):
            self._tasks.send(("cancel",))

    def interrupt(self) -> None:
        """Ctrl-C for the server: it interrupts its running workers and reports them interrupted."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, __import__("signal").SIGINT)

    def close(self, wait_s: float = STOP_WAIT_S) -> None:
        """Stop the server (waiting for it to end its workers), and fail what it did not finish."""
        with contextlib.suppress(OSError):
            self._tasks.send(("stop",))
        with contextlib.suppress(OSError):
            self._tasks.close()
        try:
            self.process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        self._fail_all(self._gone())

    def _gone(self) -> str:
        code = self.process.poll()
        if code is not None and code < 0:
            import signal

            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exited with code {code}" if code is not None else "stopped"
        return f"the report run server {how} before the run finished"

    def _fail_all(self, error: str) -> None:
        """Complete what the server left unfinished: interrupted if it stopped on Ctrl-C, else failed."""
        with self._lock:
            futures, self._futures = self._futures, {}
        status = "interrupted" if self.process.poll() == 130 else "failed"
        for token, future in futures.items():
            if not future.done():
                future.set_result(Executed(self._ids.get(token, "?"), token, status, error=error))

    def _read(self) -> None:
        while True:
            try:
                kind, payload = self._results.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # pragma: no cover - a message that does not unpickle: a bug
                _LOG.error("report run server sent an unreadable message: %s", exc)
                break
            if kind == "ready":
                self.info = dict(payload)
                self.ready.set()
                _LOG.debug("report run server %s: warm kernels %s", payload.get("pid"),
                           "on" if payload.get("warm") else f"off ({payload.get('why_not_warm')})")
            elif kind == "result":
                with self._lock:
                    future = self._futures.pop(payload.token, None)
                if future is not None:
                    future.set_result(payload)
            elif kind == "cancelled":
                for token in payload:
                    with self._lock:
                        future = self._futures.pop(token, None)
                    if future is not None:
                        future.set_result(Executed(self._ids.get(token, "?"), token, "cancelled"))
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_WAIT_S)
        self.ready.set()
        self._fail_all(self._gone())


class LocalExecutor:
    """Runs on this machine: one run server with ``jobs`` slots (the default executor)."""

    def __init__(self, jobs: int, threads: int | None, preload: Iterable[str], warm: bool = True,
                 fail_fast: bool = False, expect: int = 0) -> None:
        self.slots, self.threads = jobs, threads
        self.server = RunServer(jobs, threads, preload, warm, fail_fast=fail_fast, expect=expect)
        self.futures: list[Future[Executed]] = []

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()

    def submit(self, task: Any) -> None:
        """Queue a run."""
        self.futures.append(self.server.submit(task))

    def results(self) -> Iterator[Executed]:
        """Results as runs finish (cancelled ones included, with status ``cancelled``)."""
        for future in as_completed(self.futures):
            yield future.result()

    def cancel_pending(self) -> None:
        """Start nothing more (``--fail-fast``)."""
        self.server.cancel_pending()

    def interrupt(self) -> list[Executed]:
        """Ctrl-C: interrupt the running runs and return what became of the unfinished ones."""
        self.server.interrupt()
        deadline = time.monotonic() + STOP_WAIT_S
        for future in self.futures:
            with contextlib.suppress(Exception):
                future.result(timeout=max(0.0, deadline - time.monotonic()))
        self.server.close(wait_s=5)
        return [f.result() for f in self.futures if f.done()]
