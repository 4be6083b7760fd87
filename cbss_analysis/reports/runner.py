"""The run server: a clean process that executes report runs for a command (or for one Dask worker).

``python -m cbss_analysis.reports.runner --tasks-fd R --results-fd W --jobs N`` is started by
:class:`cbss_analysis.reports.executors.RunServer`. It is a fresh interpreter (nothing of the command's state
reaches the kernels), imports the notebooks' modules once (:func:`cbss_analysis.reports.kernels.preload`) and
runs the tasks it receives in a :class:`~cbss_analysis.reports.pool.Pool` of forked workers with warm kernels.

Messages (pickled, over two pipes): in ``("run", RunTask)``, ``("cancel",)`` (drop what has not started),
``("stop",)``; out ``("ready", info)``, ``("result", Executed)``, ``("cancelled", [tokens])``. The server stops
when told, when its command goes away (end of file), after ``--idle-exit`` seconds without work, or on Ctrl-C
(SIGINT or SIGTERM), when it interrupts its running workers and reports them interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import time
from multiprocessing.connection import Connection, wait
from typing import Any

WORKER_MODULES = ("papermill.engines", "papermill.execute", "papermill.iorw", "papermill.parameterize", "nbclient",
                  "jupyter_client.blocking", "jupyter_client.manager")
"""What a worker imports to execute a notebook (never nbconvert: the command renders the HTML)."""


def _interrupt_once(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def skip_iri_grammar() -> None:
    """Keep jsonschema from building its IRI grammar at import (1-2 s): nbformat's schema checks no IRI format.

    jsonschema imports the optional ``rfc3987_syntax`` package for its ``iri`` format checkers, which compiles a
    Lark grammar at import. Marking it unavailable, before jsonschema is first imported, gives exactly the
    validation nbformat asks for. Call only in the pipeline's own processes.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def serve(tasks: Connection, results: Connection, jobs: int, kernels: tuple[str, ...] | None, serving: bool,
          idle_exit: float | None, close_fds: tuple[int, ...], fail_fast: bool = False, expect: int = 0) -> int:
    """Run tasks until told to stop; return the exit code."""
    from cbss_analysis.reports.pool import Pool

    def send(message: tuple[Any, ...]) -> None:
        with contextlib.suppress(OSError):
            results.send(message)

    pool = Pool(jobs, kernels, lambda executed: send(("result", executed)), close_fds=close_fds, serving=serving,
                fail_fast=fail_fast, on_cancel=lambda dropped: send(("cancelled", [task.token for task in dropped])),
                ahead=expect)
    last_work = time.monotonic()
    try:
        while True:
            pool.fill()
            ready = wait([tasks, *pool.connections()], timeout=1.0)
            if tasks in ready:
                try:
                    message = tasks.recv()
                except (EOFError, OSError):
                    message = ("stop",)
                if message[0] == "run":
                    pool.submit(message[1])
                elif message[0] == "cancel":
                    send(("cancelled", [task.token for task in pool.cancel_pending()]))
                elif message[0] == "stop":
                    if pool.active:
                        pool.interrupt()
                    break
            pool.collect(ready)
            if pool.busy:
                last_work = time.monotonic()
            elif idle_exit and time.monotonic() - last_work > idle_exit:
                break
    except KeyboardInterrupt:
        pool.interrupt()
        return 130
    finally:
        pool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line of the run server (started by the pipeline, not by people)."""
    from cbss_analysis.reports.kernels import note_inherited_signals

    note_inherited_signals()
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _interrupt_once)
    parser = argparse.ArgumentParser(prog="python -m cbss_analysis.reports.runner", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks-fd", type=int, required=True)
    parser.add_argument("--results-fd", type=int, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--preload", default="", help="comma-separated package modules the notebooks import")
    parser.add_argument("--fresh-kernels", action="store_true", help="start every kernel from scratch")
    parser.add_argument("--fail-fast", action="store_true", help="start nothing after a failed run")
    parser.add_argument("--serving", action="store_true", help="keep a spare kernel per slot while idle")
    parser.add_argument("--expect", type=int, default=0, help="how many runs the command will send (0: unknown)")
    parser.add_argument("--idle-exit", type=float, default=None, help="stop after this many seconds without work")
    args = parser.parse_args(argv)
    tasks = Connection(args.tasks_fd, writable=False)
    results = Connection(args.results_fd, readable=False)
    try:
        skip_iri_grammar()
        from cbss_analysis.reports.kernels import preload, warm_kernels_problem

        problem = "--fresh-kernels" if args.fresh_kernels else warm_kernels_problem()
        modules = tuple(m for m in args.preload.split(",") if m)
        kernels: tuple[str, ...] | None = None
        if problem is None and args.expect and args.expect <= args.jobs and not args.serving:
            kernels = ("cbss_analysis.notebook", *modules)  # every run is a first run: each kernel loads in parallel
        elif problem is None:
            try:
                preload(modules)
                for name in WORKER_MODULES:  # once here rather than in every worker
                    importlib.import_module(name)
                kernels = ()
            except Exception as exc:
                problem = f"preload failed: {type(exc).__name__}: {exc}"
        results.send(("ready", {"pid": os.getpid(), "warm": kernels is not None, "why_not_warm": problem,
                                "preloaded": kernels == ()}))
        return serve(tasks, results, max(1, args.jobs), kernels, args.serving, args.idle_exit,
                     (args.tasks_fd, args.results_fd), args.fail_fast, args.expect)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line, the command reports the runs as failed
        print(f"error: report run server: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
              file=sys.stderr)
        return 4


if __name__ == "__main__":
    status = main()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)  # the workers are gone; skip unloading hundreds of modules
