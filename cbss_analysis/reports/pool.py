"""Parallel report runs: one worker process per run, at most ``jobs`` at a time.

A process per run (forked on POSIX, so the imported papermill/nbconvert and compiled
templates are shared) gives each run its own signal handling: the per-run timeout is a
timer in the worker, and Ctrl-C interrupts the running notebooks, whose workers remove
their temporary folders and exit. A kernel runs in its own session and exits when its
worker does (ipykernel polls its parent), so no kernel outlives the command.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from typing import Any

from cbss_analysis.reports.files import remove_worker_leftovers
from cbss_analysis.reports.run import RunResult, RunStopped, RunTask, RunTimeout, execute_run

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


def _worker(task: RunTask, connection: Connection) -> None:
    logging.getLogger("papermill").setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_stopped)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _raise_timeout)
    try:
        result = execute_run(task)
    except KeyboardInterrupt:
        result = RunResult(task.spec.id, "interrupted")
    connection.send(result)
    connection.close()


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_tasks(
    tasks: Iterable[RunTask],
    jobs: int,
    on_result: Callable[[RunResult], None],
    fail_fast: bool = False,
) -> bool:
    """Execute ``tasks`` in parallel worker processes and report each result as it arrives.

    Parameters
    ----------
    tasks : iterable of RunTask
        The runs to execute, started in this order.
    jobs : int
        Most runs at a time.
    on_result : callable
        Called in this process with each :class:`RunResult`.
    fail_fast : bool
        Start nothing more after the first failed run (running ones finish).

    Returns
    -------
    bool
        True when stopped by Ctrl-C (running workers were interrupted and cleaned up).
    """
    context = _context()
    pending = deque(tasks)
    active: dict[Connection, tuple[multiprocessing.process.BaseProcess, RunTask, float]] = {}
    try:
        while pending or active:
            while pending and len(active) < jobs:
                task = pending.popleft()
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_worker, args=(task, sender), name=f"report {task.spec.id}")
                process.start()
                sender.close()
                active[receiver] = (process, task, time.monotonic())
            for connection in wait(list(active), timeout=1.0):
                process, task, _ = active.pop(connection)
                try:
                    result = connection.recv()
                except EOFError:
                    process.join()
                    remove_worker_leftovers(task.out, task.spec, process.pid)
                    result = RunResult(task.spec.id, "failed", error=_death(process.exitcode))
                if result.status == "interrupted":  # the worker alone got SIGINT: the run did not complete
                    result = RunResult(task.spec.id, "failed", result.duration_s, "interrupted by SIGINT before it finished")
                process.join()
                connection.close()
                on_result(result)
                if fail_fast and result.status == "failed":
                    pending.clear()
            _kill_overdue(active, on_result)
    except KeyboardInterrupt:
        _interrupt(active, on_result)
        return True
    return False


def _death(exitcode: int | None) -> str:
    """What a worker's exit code says about how it died."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker killed by {name} before the run finished"
    return f"worker exited with code {exitcode} before the run finished"


def _kill_overdue(active: dict[Connection, tuple[Any, RunTask, float]], on_result: Callable[[RunResult], None]) -> None:
    """Safety net for a worker that does not honour its own timer: kill it after timeout + grace."""
    now = time.monotonic()
    for connection, (process, task, started) in list(active.items()):
        if task.timeout and now - started > task.timeout + GRACE_S:
            process.kill()
            process.join()
            remove_worker_leftovers(task.out, task.spec, process.pid)
            del active[connection]
            connection.close()
            on_result(RunResult(task.spec.id, "failed", now - started, f"killed after {task.timeout:g} s (--timeout)"))


def _interrupt(active: dict[Connection, tuple[Any, RunTask, float]], on_result: Callable[[RunResult], None]) -> None:
    for process, _, _ in active.values():
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_WAIT_S
    for connection, (process, task, _) in active.items():
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
        connection.close()
        on_result(RunResult(task.spec.id, "interrupted"))
    active.clear()
