"""Where a run's files live, how a finished run replaces the last one atomically, and what the tool owns.

``<out>/<notebook>/<run>/`` holds a run's last good output: ``<notebook>-<run>.ipynb``,
``<notebook>-<run>.html`` and ``manifest.json`` (plus ``failed.ipynb`` and ``failed.json``
when a later attempt failed). A run is written into ``<out>/<notebook>/.tmp-<run>-<pid>/``
and renamed into place only when complete, so an interrupted or failed run never leaves a
half-written folder and never damages the last good output.

The tool touches only what it made. An output folder is marked as a report folder (a
``.cbss-reports`` file) when the tool first writes there, and a non-empty folder without the
mark is refused (:func:`claim_output_folder`). Clean-up (:func:`recover`) removes or restores
only entries whose names the tool generates for the notebooks and runs of the plan, and
:func:`sweep_kernel_folders` removes only the kernel folders of this user's dead processes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cbss_analysis import paths
from cbss_analysis.common.files import atomic_write
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.manifest import MANIFEST
from cbss_analysis.reports.plan import RunSpec

TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"
MARKER = ".cbss-reports"
"""The file that marks a folder as written by ``cbss-analysis report``."""
MARKER_TEXT = "This folder is written by cbss-analysis report; the tool changes only what it made here.\n"
KERNEL_PREFIX = "cbss-k-"
_GENERATED = re.compile(rf"^(?P<kind>{re.escape(TMP_PREFIX)}|{re.escape(OLD_PREFIX)})(?P<run>.+)-(?P<pid>[0-9]+)$")
_KERNEL = re.compile(rf"^{re.escape(KERNEL_PREFIX)}(?P<pid>[0-9]+)-")


def run_dir(out: Path, spec: RunSpec) -> Path:
    """``<out>/<notebook>/<run>``: the folder of a run's last good output."""
    return out / spec.notebook / spec.run


def output_names(spec: RunSpec) -> dict[str, str]:
    """File names inside a run folder."""
    stem = f"{spec.notebook}-{spec.run}"
    return {"notebook": f"{stem}.ipynb", "html": f"{stem}.html", "manifest": MANIFEST}


@contextmanager
def _signals_blocked() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGALRM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def move_into_place(tmp: Path, final: Path) -> None:
    """Replace folder ``final`` by ``tmp`` with two renames that signals cannot separate.

    The old folder is first renamed aside (``.old-<run>-<pid>``) and deleted after;
    :func:`recover` puts it back if the process died in between.
    """
    old = final.with_name(f"{OLD_PREFIX}{final.name}-{os.getpid()}")
    with _signals_blocked():
        if final.exists():
            os.rename(final, old)
        os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def claim_output_folder(out: Path) -> None:
    """Make sure ``out`` is a report folder of the tool: create and mark it, or find its mark.

    Raises
    ------
    ReportError
        ``out`` is a file, or a non-empty folder without the mark (the tool never writes into a
        folder it did not make).
    """
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out.name}: is a file, not a folder")
    if (out / MARKER).is_file():
        return
    shipped = out.is_dir() and out.resolve() == paths.REPORTS_DIR.resolve() and {p.name for p in out.iterdir()} <= {"README.md"}
    if out.is_dir() and any(out.iterdir()) and not shipped:  # the project's reports/ ships with its README only
        raise ReportError(
            f"--out {out.name}: the folder is not empty and was not made by cbss-analysis report "
            f"(no {MARKER} file); choose a new or empty folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / MARKER, MARKER_TEXT)


def recover(out: Path, runs: Iterable[RunSpec]) -> None:
    """Clean up after a command that was killed: drop temporary run folders, restore moved-aside ones.

    Only entries named as the tool names them (``.tmp-<run>-<pid>``, ``.old-<run>-<pid>``) for a
    notebook and run of ``runs`` are touched. Call only while holding the output folder's lock.
    """
    by_notebook: dict[str, set[str]] = {}
    for run in runs:
        by_notebook.setdefault(run.notebook, set()).add(run.run)
    for notebook, names in by_notebook.items():
        notebook_dir = out / notebook
        if not notebook_dir.is_dir() or notebook_dir.is_symlink():
            continue
        for child in notebook_dir.iterdir():
            match = _GENERATED.match(child.name)
            if not match or match["run"] not in names or child.is_symlink() or not child.is_dir():
                continue
            if match["kind"] == TMP_PREFIX:
                shutil.rmtree(child, ignore_errors=True)
            elif not (notebook_dir / match["run"]).exists():
                os.rename(child, notebook_dir / match["run"])
            else:
                shutil.rmtree(child, ignore_errors=True)


def worker_folder(out: Path, spec: RunSpec, pid: int) -> Path:
    """The temporary folder in which worker ``pid`` writes run ``spec``."""
    return out / spec.notebook / f"{TMP_PREFIX}{spec.run}-{pid}"


def remove_worker_leftovers(out: Path, spec: RunSpec, pid: int | None) -> None:
    """After a worker died: remove its temporary run folder and its kernel folders."""
    if pid is None:
        return
    shutil.rmtree(worker_folder(out, spec, pid), ignore_errors=True)
    for child in Path(tempfile.gettempdir()).glob(f"{KERNEL_PREFIX}{pid}-*"):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)


def kernel_folder_prefix() -> str:
    """Prefix of this process's private kernel folders (``cbss-k-<pid>-``, in the temporary folder)."""
    return f"{KERNEL_PREFIX}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_kernel_folders() -> int:
    """Remove kernel folders left by this user's processes that died (``kill -9``); return how many."""
    removed = 0
    root = Path(tempfile.gettempdir())
    uid = os.getuid() if hasattr(os, "getuid") else None
    for child in root.glob(f"{KERNEL_PREFIX}*"):
        match = _KERNEL.match(child.name)
        try:
            info = child.lstat()
        except OSError:
            continue
        if not match or not child.is_dir() or child.is_symlink() or (uid is not None and info.st_uid != uid):
            continue
        if not _alive(int(match["pid"])):
            shutil.rmtree(child, ignore_errors=True)
            removed += 1
    return removed
