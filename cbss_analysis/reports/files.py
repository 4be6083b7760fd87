"""Where a run's files live, and how a finished run replaces the last one atomically.

``<out>/<notebook>/<run>/`` holds a run's last good output: ``<notebook>-<run>.ipynb``,
``<notebook>-<run>.html`` and ``manifest.json`` (plus ``failed.ipynb`` and ``failed.json``
when a later attempt failed). A run is written into ``<out>/<notebook>/.tmp-<run>-<pid>/``
and renamed into place only when complete, so an interrupted or failed run never leaves a
half-written folder and never damages the last good output.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cbss_analysis.reports.manifest import MANIFEST
from cbss_analysis.reports.plan import RunSpec

TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"


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


def recover(out: Path) -> None:
    """Clean up after a command that was killed: drop temporary run folders, restore moved-aside ones.

    Call only while holding the output folder's lock (no other command is writing).
    """
    if not out.is_dir():
        return
    for notebook_dir in (p for p in out.iterdir() if p.is_dir()):
        for child in notebook_dir.iterdir():
            if child.name.startswith(TMP_PREFIX):
                shutil.rmtree(child, ignore_errors=True)
            elif child.name.startswith(OLD_PREFIX):
                run = child.name[len(OLD_PREFIX):].rsplit("-", 1)[0]
                if not (notebook_dir / run).exists():
                    os.rename(child, notebook_dir / run)
                else:
                    shutil.rmtree(child, ignore_errors=True)
