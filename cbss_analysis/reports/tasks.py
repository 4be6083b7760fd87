"""What the command sends to a worker (:class:`RunTask`) and what it reports for a run (:class:`RunResult`).

Kept apart from the modules that render and write runs, so that a run server or a Dask worker that unpickles a
task imports nothing heavy (no nbconvert: its kernels are forked from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbss_analysis.reports.plan import RunSpec


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run.

    ``manifest`` holds the manifest fields known before the run (parameters, inputs, codebook, package,
    environment, run key); the run adds times, status and records. ``kernel_env`` are environment variables
    of the run's kernel (the survey cache folder). ``token`` is unique per submission. ``checks`` are what a
    remote worker verifies before it runs (the notebook's source hash). ``pdf`` asks for a PDF beside the HTML;
    ``previous`` is the manifest of the run's last output (what changed since, :mod:`cbss_analysis.reports.changes`),
    read by the command so that a remote worker needs no access to the output folder. ``input_files`` are the
    run's data and codebook files as ``(role, path, sha256)``, for a remote worker to check (the manifest names
    them without their folder).
    """

    spec: RunSpec
    out: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    with_code: bool = False
    timeout: float | None = None
    threads: int | None = None
    token: str = ""
    kernel_env: tuple[tuple[str, str], ...] = ()
    checks: tuple[tuple[str, str], ...] = ()
    pdf: bool = False
    previous: dict[str, Any] | None = None
    input_files: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class RunResult:
    """Outcome of one run: ``status`` is ``ok``, ``failed`` or ``interrupted``.

    ``recorded`` says whether the failure was written beside the run's last good output (``failed.json``).
    """

    id: str
    status: str
    duration_s: float = 0.0
    error: str | None = None
    recorded: bool = False
