"""Warm kernels: each run gets a fresh kernel that starts with the notebooks' modules already imported.

A kernel started by jupyter_client is a new interpreter that imports ipykernel, pandas, scipy, matplotlib and the
package before the notebook's first cell can run: about a second of work, repeated by every run. Here the run
server (:mod:`cbss_analysis.reports.runner`, a clean ``python -m`` process) imports them once (:func:`preload`);
each worker process it forks forks its kernel at once (:func:`fork_kernel`), **ahead of time**, while earlier
runs execute, and hands it the run when one arrives (:func:`enter_run`). The kernel is the worker's child
(so a notebook that kills its parent kills the worker and the run fails visibly, as with a spawned kernel), runs
in its own session, talks over Unix sockets in a private folder (``cbss-k-<worker pid>-*``) and serves exactly
one run: it is never reused, so every run still starts from a fresh interpreter state (no user variables, no
history, execution count 1).

What a forked kernel does differently from ``python -m ipykernel_launcher`` is undone in the child before the
kernel starts: signal handlers and mask, timers, the session, ``sys.argv``, the first ``sys.path`` entry and the
``JPY_PARENT_PID`` variable; at the start of its run it moves to the notebook's folder. ``tests/reports`` runs a
probe notebook both ways and compares what it sees. Warm kernels need ``fork`` and a ``python3`` kernelspec that
runs this interpreter; otherwise (:func:`warm_kernels_problem`) each run starts its kernel as papermill does.

Modules are preloaded by name: those of :data:`cbss_analysis.notebook.KERNEL_MODULES` and the package modules
(``cbss_analysis.*``) that the plan's notebooks import. The pipeline itself never calls them.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cbss_analysis.reports.cache import KERNEL_NAME
from cbss_analysis.reports.files import kernel_folder_prefix

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
READY_TIMEOUT_S = 60.0
HISTORY_ARGUMENT = "--HistoryManager.hist_file=:memory:"
_STOP_WAIT_S = 2.0


_RESET_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGALRM", "SIGHUP", "SIGCHLD", "SIGPIPE",
                                                        "SIGUSR1", "SIGUSR2", "SIGQUIT") if hasattr(signal, name))
_IGNORED_AT_START: frozenset[int] = frozenset()


def note_inherited_signals() -> None:
    """Remember which signals this process inherited as ignored (``nohup``, a shell's ``&``), before it sets any.

    A kernel that jupyter_client starts inherits them through ``exec``; a forked kernel gets the same.
    """
    global _IGNORED_AT_START
    _IGNORED_AT_START = frozenset(n for n in _RESET_SIGNALS if signal.getsignal(n) == signal.SIG_IGN)


def warm_kernels_problem() -> str | None:
    """Why runs cannot use warm kernels on this machine (None when they can)."""
    if os.name != "posix" or not hasattr(os, "fork"):
        return "this platform has no fork()"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        argv = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv
    except Exception as exc:  # no such kernelspec: papermill reports it when the run starts
        return f"no {KERNEL_NAME} kernelspec ({type(exc).__name__})"
    if "ipykernel_launcher" not in argv and "ipykernel" not in argv:
        return f"the {KERNEL_NAME} kernel does not run ipykernel"
    try:
        same = Path(argv[0]).resolve() == Path(sys.executable).resolve() or os.path.samefile(argv[0], sys.executable)
    except OSError:
        same = False
    if not same:
        return f"the {KERNEL_NAME} kernel runs {argv[0]}, not this interpreter"
    return None


def notebook_modules(paths: Iterable[Path]) -> list[str]:
    """The package modules (``cbss_analysis.*``) that the code cells of these notebooks import at top level."""
    import ast

    found: dict[str, None] = {}
    for path in paths:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            try:
                tree = ast.parse("".join(cell.get("source", "")))
            except SyntaxError:  # IPython magics
                continue
            for node in tree.body:
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
                found.update((name, None) for name in names if name.split(".")[0] == "cbss_analysis")
    return list(found)


def preload(modules: Iterable[str]) -> list[str]:
    """Import what every kernel needs, once, in the run server; return the modules imported.

    Only the package's modules and those of :data:`cbss_analysis.notebook.KERNEL_MODULES` are imported
    (a notebook's other imports may have side effects that other notebooks must not inherit); a module that
    fails to import is left to the notebook, which then fails as it would have.
    """
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)  # what ipykernel does, before matplotlib reads it
    _import_debugger()
    import ipykernel.ipkernel
    import ipykernel.kernelapp  # noqa: F401

    from cbss_analysis import notebook

    wanted = dict.fromkeys([*notebook.KERNEL_MODULES, *(m for m in modules if m.split(".")[0] == "cbss_analysis")])
    loaded = []
    for name in wanted:
        try:
            importlib.import_module(name)
        except Exception:
            continue
        loaded.append(name)
    if "matplotlib_inline.backend_inline" in sys.modules:
        raise RuntimeError("matplotlib_inline was imported before the kernels started; warm kernels would lose inline figures")
    keep_warning_filters()
    return loaded


def _import_debugger() -> None:
    """Import ipykernel's debugger (and debugpy), which every kernel imports as it starts (0.15 s each).

    A started kernel runs with ``-Xfrozen_modules=off`` (its kernelspec); this process does not, so debugpy would
    print a warning about frozen modules as it loads: its file validation is switched off for the import only.
    """
    variable = "PYDEVD_DISABLE_FILE_VALIDATION"
    before = os.environ.get(variable)
    os.environ[variable] = "1"
    try:
        import ipykernel.debugger  # noqa: F401
    finally:
        if before is None:
            del os.environ[variable]
        else:
            os.environ[variable] = before


_KERNEL_WARNING_FILTERS: list[Any] | None = None


def keep_warning_filters() -> None:
    """Remember the warning filters as the kernel modules leave them; kernels start with exactly these.

    The run server imports papermill for its workers after the kernel modules; what papermill's imports add to
    the filters (``requests``/``urllib3`` ones) is then not inherited by kernels, which see the filters a kernel
    that imported only the notebooks' modules would see.
    """
    global _KERNEL_WARNING_FILTERS
    import warnings

    _KERNEL_WARNING_FILTERS = list(warnings.filters)


def _restore_warning_filters() -> None:  # pragma: no cover - runs in the kernel process
    import warnings

    if _KERNEL_WARNING_FILTERS is not None:
        warnings.filters[:] = _KERNEL_WARNING_FILTERS
        warnings._filters_mutated()  # type: ignore[attr-defined]


@dataclass
class WarmKernel:
    """A kernel forked by this worker, waiting for its run."""

    pid: int
    connection_file: Path
    folder: Path


def _connection(folder: Path) -> Path:
    from jupyter_client.connect import write_connection_file

    path = folder / "kernel.json"
    write_connection_file(str(path), transport="ipc", ip=str(folder / "kernel-ipc"))
    return path


def _set_parent_death_signal() -> None:
    """Linux: the kernel gets SIGKILL when its worker dies (ipykernel would notice within a second anyway)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def fork_kernel(close_fds: Iterable[int] = (), imports: Iterable[str] = ()) -> WarmKernel:
    """Fork a kernel from this (preloaded) process; it boots in the background and waits for :func:`enter_run`.

    Call only while this process has no other threads and no ZeroMQ context (a worker does so first thing).
    ``close_fds`` are descriptors of this process that the kernel must not hold (the worker's pipes);
    ``imports`` are modules the kernel imports itself before it starts (:func:`preload`), when this process
    has not (the first runs of a command, whose kernels then load while their workers load papermill).
    """
    folder = Path(tempfile.mkdtemp(prefix=kernel_folder_prefix()))
    connection_file = _connection(folder)
    parent = os.getpid()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the kernel process (its output is checked by tests/reports)
        _kernel_main(connection_file, parent, tuple(close_fds), tuple(imports))
    return WarmKernel(pid, connection_file, folder)


def _kernel_main(connection_file: Path, parent: int, close_fds: tuple[int, ...], imports: tuple[str, ...]) -> None:  # pragma: no cover
    code = 1
    try:
        os.setsid()
        if imports:
            preload(imports)
        _restore_warning_filters()
        _set_parent_death_signal()
        for descriptor in close_fds:
            with contextlib.suppress(OSError):
                os.close(descriptor)
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        for number in _RESET_SIGNALS:  # as exec() leaves them: ignored stays ignored, handlers become defaults
            if number == signal.SIGPIPE:
                signal.signal(number, signal.SIG_IGN)  # Python ignores SIGPIPE at start
            elif number == signal.SIGINT:
                signal.signal(number, signal.SIG_IGN if number in _IGNORED_AT_START else signal.default_int_handler)
            else:
                signal.signal(number, signal.SIG_IGN if number in _IGNORED_AT_START else signal.SIG_DFL)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.environ["JPY_PARENT_PID"] = str(parent)
        import ipykernel_launcher

        sys.argv = [ipykernel_launcher.__file__, "-f", str(connection_file), HISTORY_ARGUMENT]  # as nbclient starts it
        if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
            del sys.path[0]  # as ipykernel_launcher does; the kernel adds "" (its working folder) back
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=["-f", str(connection_file), HISTORY_ARGUMENT,
                                          f"--IPKernelApp.parent_handle={parent}"])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def enter_code(folder: Path, env: Mapping[str, str]) -> str:
    """The silent statement that moves a warm kernel into its run: the notebook's folder and the run's variables.

    Built from ``repr`` literals of plain strings (like the parameters, :mod:`cbss_analysis.reports.inject`);
    it binds no name in the kernel's namespace and leaves the execution count alone.
    """
    pairs = {str(k): str(v) for k, v in env.items()}
    return (f"__import__('cbss_analysis.reports.kernels', fromlist=['_enter'])._enter({str(folder)!r}, {pairs!r})")


def _enter(folder: str, env: dict[str, str]) -> None:  # pragma: no cover - runs inside the kernel
    os.chdir(folder)
    os.environ.update(env)


def enter_run(kernel: WarmKernel, folder: Path, env: Mapping[str, str], timeout: float = READY_TIMEOUT_S) -> None:
    """Wait until the kernel is ready and run :func:`enter_code` in it, silently.

    Raises
    ------
    RuntimeError
        The kernel died or did not answer within ``timeout`` seconds.
    """
    from queue import Empty

    from jupyter_client.blocking import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(kernel.connection_file))
    client.load_connection_file()
    client.start_channels(iopub=False, stdin=False, hb=False, control=False)
    try:
        deadline = time.monotonic() + timeout
        msg_id = client.execute(enter_code(folder, env), silent=True, store_history=False, allow_stdin=False)
        while True:  # the request waits in ZeroMQ until the kernel has bound its socket
            try:
                reply = client.get_shell_msg(timeout=0.5)
            except Empty:
                if not is_alive(kernel):
                    raise RuntimeError("the kernel died before its run started") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the kernel did not start within {timeout:g} s") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"the kernel could not enter the run: {reply['content'].get('ename')}")
    finally:
        client.stop_channels()
        with contextlib.suppress(Exception):
            client.context.destroy(linger=0)


def is_alive(kernel: WarmKernel) -> bool:
    """Whether the kernel process still runs (reaps it when it has exited)."""
    if kernel.pid <= 0:
        return False
    try:
        pid, _ = os.waitpid(kernel.pid, os.WNOHANG)
    except ChildProcessError:
        kernel.pid = 0
        return False
    if pid == 0:
        return True
    kernel.pid = 0
    return False


def stop(kernel: WarmKernel | None) -> None:
    """End the kernel (SIGTERM, then SIGKILL), reap it and remove its folder."""
    if kernel is None:
        return
    if is_alive(kernel):
        with contextlib.suppress(ProcessLookupError):
            os.kill(kernel.pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_WAIT_S
        while is_alive(kernel) and time.monotonic() < deadline:
            time.sleep(0.01)
        if is_alive(kernel):
            with contextlib.suppress(ProcessLookupError):
                os.kill(kernel.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(kernel.pid, 0)
            kernel.pid = 0
    shutil.rmtree(kernel.folder, ignore_errors=True)


def kernel_manager(kernel: WarmKernel) -> Any:
    """A jupyter_client kernel manager for a warm kernel, for papermill/nbclient (``km=``)."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    class ReadyClient(AsyncKernelClient):
        """A client that is ready as soon as the kernel has answered on shell and on IOPub.

        jupyter_client then drains IOPub until 0.2 s pass in silence, on every run; here the ``idle`` status of
        the ``kernel_info`` request itself shows that the subscription works (no output can be missed).
        """

        async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
            from queue import Empty

            deadline = time.monotonic() + (timeout if timeout is not None else READY_TIMEOUT_S)
            while True:
                msg_id = self.kernel_info()
                seen_reply = seen_idle = False
                try:
                    while not (seen_reply and seen_idle):
                        if not seen_reply:
                            reply = await self.shell_channel.get_msg(timeout=1)
                            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                                seen_reply = True
                                self._handle_kernel_info_reply(reply)
                            continue
                        status = await self.iopub_channel.get_msg(timeout=0.5)
                        seen_idle = (status.get("parent_header", {}).get("msg_id") == msg_id
                                     and status.get("msg_type") == "status"
                                     and status["content"].get("execution_state") == "idle")
                    return
                except Empty:
                    if not is_alive(kernel):
                        raise RuntimeError("Kernel died before replying to kernel_info") from None
                    if time.monotonic() > deadline:
                        raise RuntimeError("Kernel didn't respond in time") from None

        wait_for_ready = _async_wait_for_ready

    class ForkedKernelManager(AsyncKernelManager):
        """Manages a kernel this process forked: alive while the child runs; interrupt and shutdown by signal."""

        @property
        def has_kernel(self) -> bool:
            return is_alive(kernel)

        async def _async_is_alive(self) -> bool:
            return is_alive(kernel)

        is_alive = _async_is_alive

        async def _async_interrupt_kernel(self) -> None:
            if is_alive(kernel):
                os.kill(kernel.pid, signal.SIGINT)

        interrupt_kernel = _async_interrupt_kernel

        async def _async_signal_kernel(self, signum: int) -> None:
            if is_alive(kernel):
                os.kill(kernel.pid, signum)

        signal_kernel = _async_signal_kernel

        async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            stop(kernel)

        shutdown_kernel = _async_shutdown_kernel

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            return None

        cleanup_resources = _async_cleanup_resources

        def client(self, **kwargs: Any) -> AsyncKernelClient:
            options = {**self.get_connection_info(session=True), "connection_file": self.connection_file, "parent": self}
            return ReadyClient(**{**options, **kwargs})

    manager = ForkedKernelManager(connection_file=str(kernel.connection_file), transport="ipc", kernel_name=KERNEL_NAME)
    manager.load_connection_file()
    return manager
