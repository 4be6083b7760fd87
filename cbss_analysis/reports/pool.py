"""The worker pool of a run server: one worker process per run, at most ``jobs`` at a time, one spare per slot.

A worker is forked from the run server (:mod:`cbss_analysis.reports.runner`), which has the notebooks' modules
imported; it forks its warm kernel at once (:mod:`cbss_analysis.reports.kernels`) and waits for a run. So each
slot has a spare worker with a booted kernel **before** its next run arrives; a worker and its kernel serve one
run and exit. A process per run gives each run its own signal handling: the per-run timeout is a timer in the
worker (with a kill after timeout + grace as a safety net here), SIGTERM makes the run fail ("stopped"), Ctrl-C
interrupts the running notebooks, and a worker that dies (a notebook that kills its parent, the OOM killer) makes
its run fail with the signal named, its kernel folder removed at once. Kernels run in their own session and die
with their worker, so no kernel outlives the command. Workers write nothing into the output folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from cbss_analysis.reports.execute import Executed, RunStopped, RunTimeout, execute_task
from cbss_analysis.reports.files import remove_worker_leftovers

GRACE_S = 60.0
STOP_WAIT_S = 30.0


def _raise_timeout(signum: int, frame: Any) -> None:
    raise RunTimeout


def _raise_interrupt(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _raise_stopped(signum: int, frame: Any) -> None:
    raise RunStopped


@dataclass
class Worker:
    """A forked worker: its pid, the pipe that hands it a run, the pipe of its result."""

    pid: int
    tasks: Connection
    results: Connection
    task: Any = None
    started: float = 0.0
    exitcode: int | None = field(default=None)

    def fileno(self) -> int:
        """For ``multiprocessing.connection.wait``."""
        return self.results.fileno()


def _worker_main(tasks: Connection, results: Connection, kernels: tuple[str, ...] | None) -> int:  # pragma: no cover
    import logging

    logging.getLogger("papermill").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_stopped)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _raise_timeout)
    kernel = None
    try:
        if kernels is not None:
            from cbss_analysis.reports.kernels import fork_kernel

            kernel = fork_kernel(close_fds=(tasks.fileno(), results.fileno()), imports=kernels)
        try:
            task = tasks.recv()
        except (EOFError, OSError, KeyboardInterrupt, RunStopped):
            return 0
        if task is None:
            return 0
        try:
            result = execute_task(task, kernel)
        except KeyboardInterrupt:
            result = Executed(task.spec.id, task.token, "interrupted")
        results.send(result)
        return 0
    except (KeyboardInterrupt, RunStopped):
        return 0
    finally:
        from cbss_analysis.reports.kernels import stop

        with contextlib.suppress(BaseException):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop(kernel)


def _fork_worker(kernels: tuple[str, ...] | None, close: Iterable[int]) -> Worker:
    task_r, task_w = os.pipe()
    result_r, result_w = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker
        code = 1
        try:
            os.close(task_w)
            os.close(result_r)
            for descriptor in close:
                with contextlib.suppress(OSError):
                    os.close(descriptor)
            code = _worker_main(Connection(task_r, writable=False), Connection(result_w, readable=False), kernels)
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    os.close(task_r)
    os.close(result_w)
    return Worker(pid, Connection(task_w, readable=False), Connection(result_r, writable=False))


def death(exitcode: int | None) -> str:
    """What a worker's exit code says about how it died."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker killed by {name} before the run finished"
    return f"worker exited with code {exitcode} before the run finished"


class Pool:
    """Runs tasks in forked workers, ``jobs`` at a time, each slot with a spare worker started ahead of time.

    Parameters
    ----------
    jobs : int
        Most runs at a time.
    kernels : tuple of str or None
        None: papermill starts each run's kernel. Otherwise workers fork warm kernels
        (:mod:`cbss_analysis.reports.kernels`), which first import these modules themselves (empty when this
        process has imported them already).
    on_result : callable
        Called with each :class:`~cbss_analysis.reports.execute.Executed`.
    close_fds : iterable of int
        Descriptors of this process that workers must not keep (the run server's own pipes).
    on_cancel : callable, optional
        With ``fail_fast``: called with the tasks dropped after the first failed run.
    fail_fast : bool
        Start no waiting task after a run failed.
    serving : bool
        A server that waits for more work (the Dask executor's): keep a spare per slot even when nothing waits.
        Otherwise spares are kept only for waiting tasks (no kernel boots for nothing at the end of a plan).
    ahead : int
        Tasks announced but not yet submitted (the command is still hashing their inputs): their spares (at most
        one per slot) start at once, so that their kernels boot meanwhile.
    """

    def __init__(self, jobs: int, kernels: tuple[str, ...] | None, on_result: Callable[[Executed], None], close_fds: Iterable[int] = (),
                 serving: bool = False, fail_fast: bool = False,
                 on_cancel: Callable[[list[Any]], None] | None = None, ahead: int = 0) -> None:
        self.jobs = jobs
        self.ahead = ahead
        self.fail_fast = fail_fast
        self.on_cancel = on_cancel
        self.kernels = kernels
        self.on_result = on_result
        self.close_fds = tuple(close_fds)
        self.serving = serving
        self.pending: deque[Any] = deque()
        self.active: dict[int, Worker] = {}
        self.spares: deque[Worker] = deque()

    def _descriptors(self) -> list[int]:
        fds = list(self.close_fds)
        for worker in [*self.active.values(), *self.spares]:
            fds += [worker.tasks.fileno(), worker.results.fileno()]
        return fds

    def _new_worker(self) -> Worker:
        return _fork_worker(self.kernels, self._descriptors())

    def submit(self, task: Any) -> None:
        """Queue a task; it starts as soon as a slot is free."""
        self.pending.append(task)
        self.ahead = max(0, self.ahead - 1)

    def cancel_pending(self) -> list[Any]:
        """Drop the tasks that have not started; return them."""
        dropped = list(self.pending)
        self.pending.clear()
        self.ahead = 0
        return dropped

    @property
    def busy(self) -> bool:
        """Whether tasks are running or waiting."""
        return bool(self.pending or self.active)

    def connections(self) -> list[Worker]:
        """The running workers, to wait on."""
        return list(self.active.values())

    def fill(self) -> None:
        """Start waiting tasks in free slots and keep one spare worker per slot."""
        while self.pending and len(self.active) < self.jobs:
            task = self.pending.popleft()
            worker = self.spares.popleft() if self.spares else self._new_worker()
            try:
                worker.tasks.send(task)
            except OSError:  # the spare died (its kernel killed it?): use a new one
                self._reap(worker)
                worker = self._new_worker()
                worker.tasks.send(task)
            worker.task, worker.started = task, time.monotonic()
            self.active[worker.pid] = worker
        wanted = self.jobs if self.serving else min(self.jobs, len(self.pending) + self.ahead)
        while len(self.spares) < wanted:
            self.spares.append(self._new_worker())

    def collect(self, ready: Iterable[Any]) -> None:
        """Take the results of workers that are ``ready`` (from ``wait``), report deaths, kill overdue runs."""
        for worker in [w for w in ready if isinstance(w, Worker)]:
            if worker.pid not in self.active:
                continue
            del self.active[worker.pid]
            try:
                result = worker.results.recv()
            except (EOFError, OSError):
                result = None
            self._reap(worker)
            task = worker.task
            if result is None:
                remove_worker_leftovers(task.out, task.spec, worker.pid)
                result = Executed(task.spec.id, task.token, "failed", error=death(worker.exitcode),
                                  duration_s=time.monotonic() - worker.started)
            elif result.status == "interrupted":  # the worker alone got SIGINT: the run did not complete
                result = Executed(task.spec.id, task.token, "failed", duration_s=result.duration_s,
                                  error="interrupted by SIGINT before it finished")
            self._report(result)
        self._kill_overdue()

    def _report(self, result: Executed) -> None:
        self.on_result(result)
        if self.fail_fast and result.status == "failed" and self.pending:
            dropped = self.cancel_pending()
            if self.on_cancel is not None:
                self.on_cancel(dropped)

    def _reap(self, worker: Worker) -> None:
        for connection in (worker.tasks, worker.results):
            with contextlib.suppress(OSError):
                connection.close()
        try:
            _, status = os.waitpid(worker.pid, 0)
            worker.exitcode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            pass

    def _kill_overdue(self) -> None:
        """Safety net for a worker that does not honour its own timer: kill it after timeout + grace."""
        now = time.monotonic()
        for pid, worker in list(self.active.items()):
            task = worker.task
            if task.timeout and now - worker.started > task.timeout + GRACE_S:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                del self.active[pid]
                self._reap(worker)
                remove_worker_leftovers(task.out, task.spec, pid)
                self._report(Executed(task.spec.id, task.token, "failed", duration_s=now - worker.started,
                                      error=f"killed after {task.timeout:g} s (--timeout)"))

    def interrupt(self) -> None:
        """Ctrl-C: interrupt the running workers (they clean up), wait for them, report them interrupted."""
        for pid in list(self.active):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_WAIT_S
        for pid, worker in list(self.active.items()):
            while time.monotonic() < deadline:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.05)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._reap(worker)
            remove_worker_leftovers(worker.task.out, worker.task.spec, pid)
            self.on_result(Executed(worker.task.spec.id, worker.task.token, "interrupted"))
        self.active.clear()
        self.pending.clear()
        self.close()

    def close(self) -> None:
        """Stop the spare workers (they end their kernels and exit)."""
        while self.spares:
            worker = self.spares.popleft()
            with contextlib.suppress(OSError):
                worker.tasks.send(None)
            self._reap(worker)
