"""Everything a finished run shows besides its notebook: HTML, PDF, CSV, XLSX, and what the manifest says of them.

:func:`render_outputs` is the one export hook of a run (:func:`cbss_analysis.reports.run.render` calls it once
the notebook has executed, wherever rendering costs least; :func:`cbss_analysis.reports.run.finish` writes the
files it returns into the run's temporary folder and moves them into place together). In order:

1. no machine path: the executed notebook is scrubbed (:mod:`cbss_analysis.reports.redact`);
2. the published tables become CSV files and a workbook (:mod:`cbss_analysis.reports.exports`);
3. the manifest gains the record details, the tables and their suppression counts, the key
   findings (:mod:`cbss_analysis.reports.findings`) and the changes since the last good run
   (:mod:`cbss_analysis.reports.changes`);
4. the HTML (:mod:`cbss_analysis.reports.html`) and, when asked, the PDF
   (:mod:`cbss_analysis.reports.pdf`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from cbss_analysis.records import read_record_details, read_tables
from cbss_analysis.reports.cache import data_folders
from cbss_analysis.reports.changes import run_changes
from cbss_analysis.reports.exports import export_files, workbook_bytes
from cbss_analysis.reports.findings import key_findings, lead_finding, suppression_share
from cbss_analysis.reports.html import export_html, prepare_exporter
from cbss_analysis.reports.redact import scrub_notebook


def hidden_folders(task: Any) -> list[Path]:
    """Folders whose absolute path a run's files must not show: the plan's, the output's, the data files'."""
    return [task.spec.path.parent, task.out, *data_folders(task.spec)]


def prepare_outputs(with_code: bool) -> None:
    """Load and warm everything :func:`render_outputs` uses (nbconvert's compiled template, openpyxl), once per
    process: the command calls it while its first runs execute, so that their rendering starts warm."""
    prepare_exporter(with_code)
    workbook_bytes([{"name": "sample", "title": "Sample", "columns": ["a"], "rows": [[1]]}], "Sample", False)


def render_outputs(nb: nbformat.NotebookNode, manifest: dict[str, Any], task: Any) -> dict[str, bytes]:
    """The run's files (notebook, HTML, exports and, with ``task.pdf``, PDF), name -> content; completes ``manifest``.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook (its records already in its metadata); scrubbed in place.
    manifest : dict
        The run's manifest so far (``files`` names the notebook and HTML); completed in place.
    task : RunTask
        The run (its spec, output folder, ``with_code``, ``pdf`` and the ``previous`` manifest).

    Returns
    -------
    dict of str to bytes
        Every file of the run but its manifest, in the order they are listed in the manifest.
    """
    names = dict(manifest.get("files") or {})
    scrub_notebook(nb, hidden_folders(task))
    details = read_record_details(nb)
    tables = read_tables(nb)
    stem = Path(names["html"]).stem
    exported = export_files(tables, stem, str(manifest.get("title") or stem), bool(manifest.get("synthetic")))
    csv_names = [name for name in exported if name.endswith(".csv")]
    manifest["tables"] = [{
        "name": t["name"], "title": t["title"], "csv": csv, "cells": t.get("cells", 0),
        "suppressed_cells": t.get("suppressed_cells", 0), "suppression": t.get("suppression"),
        "significance": t.get("significance"),
    } for t, csv in zip(tables, csv_names, strict=True)]
    hidden, cells = suppression_share(tables)
    rules = list(dict.fromkeys(t["suppression"] for t in tables if t.get("suppression") and t.get("cells")))
    manifest["suppression"] = {"cells": cells, "suppressed": hidden, "rule": "; ".join(rules) or None}
    manifest["record_details"] = details
    manifest["findings"] = key_findings(details, tables)
    manifest["lead"] = lead_finding(details, tables)
    manifest["changes"] = run_changes(getattr(task, "previous", None), manifest)
    if exported:
        names["csv"] = csv_names
        names["xlsx"] = f"{stem}.xlsx"
    if getattr(task, "pdf", False):
        names["pdf"] = f"{stem}.pdf"
    manifest["files"] = names
    document = export_html(nb, manifest, task.with_code)
    files = {names["notebook"]: nbformat.writes(nb).encode("utf-8"), names["html"]: document.encode("utf-8")}
    files.update(exported)
    if "pdf" in names:
        from cbss_analysis.reports.pdf import pdf_bytes

        files[names["pdf"]] = pdf_bytes(document)
    return files
