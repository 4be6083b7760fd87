"""One report run, written by the command: manifest, HTML, exports and the atomic move into place.

A worker executes the notebook (:mod:`cbss_analysis.reports.execute`) and returns it in memory; the command
(or the Dask client) writes the run here. The notebook, the HTML, the CSV and XLSX exports, the PDF when asked,
and ``manifest.json`` are written into a temporary folder (``<out>/<notebook>/.tmp-<run>-<pid>``) and moved into
place only when all exist and their sha256 are recorded (:mod:`cbss_analysis.reports.files`), so a failed, interrupted or killed run never
leaves a half-written folder and never damages the last good output. A failed run keeps its error notebook and a
``failed.json`` beside the last good output (``<run>/failed.ipynb``), each written by an atomic rename too.
Workers write nothing into the output folder.

The files are rendered where it costs least (:func:`render`): by the command, between results, for the local
pool (it has nbconvert loaded and its template compiled once, and the worker is free for the next run); by the
cluster's workers for the Dask executor (many of them, one client).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from cbss_analysis.common.files import sha256_of
from cbss_analysis.reports.execute import Executed, RunStopped, RunTimeout, error_text
from cbss_analysis.reports.files import move_into_place, output_names, run_dir, worker_folder
from cbss_analysis.reports.manifest import FAILED_MANIFEST, FAILED_NOTEBOOK, MANIFEST, records_synthetic, write_json
from cbss_analysis.reports.tasks import RunResult, RunTask

__all__ = ["Executed", "RunResult", "RunStopped", "RunTask", "RunTimeout", "error_text", "finish", "keep_failure", "render"]


def final_manifest(task: RunTask, executed: Executed) -> dict[str, Any]:
    """The run's manifest from what was known before it and what its execution returned (not the sha256s)."""
    manifest: dict[str, Any] = {**task.manifest, "duration_s": round(executed.duration_s, 3)}
    manifest.update({key: value for key, value in (("started", executed.started), ("finished", executed.finished)) if value})
    if executed.status == "ok":
        manifest.update(status="ok", records=executed.records, files=output_names(task.spec),
                        synthetic=bool(manifest.get("synthetic")) or records_synthetic(executed.records))
    else:
        manifest.update(status="failed", error=executed.error)
    return manifest


def render(task: RunTask, executed: Executed) -> Executed:
    """Render an ok run's files into ``executed`` (``files`` and ``manifest``); failures pass unchanged.

    The files are the scrubbed notebook, the HTML, the CSV and XLSX exports and, when asked, the PDF
    (:func:`cbss_analysis.reports.outputs.render_outputs`).
    """
    if executed.status != "ok" or executed.notebook is None or executed.files is not None:
        return executed
    import nbformat

    from cbss_analysis.reports.outputs import render_outputs

    manifest = final_manifest(task, executed)
    nb = nbformat.reads(executed.notebook, as_version=4)
    executed.files = render_outputs(nb, manifest, task)
    executed.manifest = manifest
    return executed


def finish(task: RunTask, executed: Executed) -> RunResult:
    """Write an executed run (or its failure) into the output folder and return its result.

    An ok run is rendered (unless its worker did) and written into a temporary folder that replaces the run
    folder in one move; an error while rendering or writing (a full disk) makes it a failed run.
    """
    spec = task.spec
    if executed.status == "interrupted":
        return RunResult(spec.id, "interrupted", executed.duration_s)
    if executed.status != "ok":
        return _failed(task, executed, executed.error or "failed")
    tmp = worker_folder(task.out, spec, os.getpid())
    try:
        render(task, executed)
        manifest = dict(executed.manifest or final_manifest(task, executed))
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, content in (executed.files or {}).items():
            (tmp / name).write_bytes(content)
        manifest["file_sha256"] = {name: sha256_of(tmp / name) for name in executed.files or {}}
        write_json(tmp / MANIFEST, manifest)
        move_into_place(tmp, run_dir(task.out, spec))
        return RunResult(spec.id, "ok", executed.duration_s)
    except Exception as exc:
        return _failed(task, executed, error_text(exc, task.timeout))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _failed(task: RunTask, executed: Executed, error: str) -> RunResult:
    manifest = final_manifest(task, executed)
    manifest.update(status="failed", error=error)
    manifest.pop("records", None)
    recorded = keep_failure(task, executed.notebook, manifest)
    return RunResult(task.spec.id, "failed", executed.duration_s, error, recorded)


def keep_failure(task: RunTask, notebook: str | None, manifest: dict[str, Any]) -> bool:
    """Write ``failed.json`` (and ``failed.ipynb`` when there is an error notebook) beside the last good output.

    Returns whether it could (a full disk may say no; the run is reported failed all the same).
    """
    try:
        _write_failure(task, notebook, manifest)
    except Exception:  # a full disk, or a failure notebook nothing can scrub: the run is reported failed anyway
        return False
    return True


def _write_failure(task: RunTask, notebook: str | None, manifest: dict[str, Any]) -> None:
    from cbss_analysis.common.files import atomic_write

    final = run_dir(task.out, task.spec)
    final.mkdir(parents=True, exist_ok=True)
    if notebook is not None:
        atomic_write(final / FAILED_NOTEBOOK, _scrubbed(task, notebook))
        manifest["files"] = {"notebook": FAILED_NOTEBOOK}
    else:
        (final / FAILED_NOTEBOOK).unlink(missing_ok=True)
        manifest["files"] = {}
    write_json(final / FAILED_MANIFEST, manifest)


def _scrubbed(task: RunTask, notebook: str) -> str:
    """The error notebook without machine paths (its tracebacks name files), as the good outputs."""
    import nbformat

    from cbss_analysis.reports.outputs import hidden_folders
    from cbss_analysis.reports.redact import scrub_notebook

    try:
        nb = nbformat.reads(notebook, as_version=4)
        scrub_notebook(nb, hidden_folders(task))
        return nbformat.writes(nb)
    except Exception:  # a notebook we cannot read or scrub: keep nothing of it rather than a path
        return nbformat.writes(nbformat.v4.new_notebook())
