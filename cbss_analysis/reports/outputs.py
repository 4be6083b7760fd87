"""Everything a finished run writes beside its notebook: HTML, PDF, CSV, XLSX, and what the manifest says of them.

:func:`write_outputs` is the one export hook of a run (:func:`cbss_analysis.reports.run.execute_run`
calls it once the notebook has executed, before the folder is moved into place). In order:

1. no machine path: the executed notebook is scrubbed (:mod:`cbss_analysis.reports.redact`) and
   written again;
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
from cbss_analysis.reports.changes import run_changes
from cbss_analysis.reports.exports import write_exports
from cbss_analysis.reports.files import run_dir
from cbss_analysis.reports.findings import key_findings, lead_finding, suppression_share
from cbss_analysis.reports.html import export_html
from cbss_analysis.reports.manifest import MANIFEST, read_json
from cbss_analysis.reports.redact import scrub_notebook


def hidden_folders(task: Any) -> list[Path]:
    """Folders whose absolute path a run's files must not show: the plan's, the output's, the data file's."""
    folders = [task.spec.path.parent, task.out]
    data = task.spec.parameters.get("data_path")
    if isinstance(data, str) and data:
        folders.append((task.spec.path.parent / data).resolve().parent)
    return folders


def write_outputs(nb: nbformat.NotebookNode, manifest: dict[str, Any], folder: Path, task: Any) -> list[str]:
    """Write the run's notebook, HTML, exports and (``task.pdf``) PDF into ``folder``; update ``manifest``.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook (its records already in its metadata); scrubbed in place.
    manifest : dict
        The run's manifest so far (``files`` names the notebook and HTML); completed in place.
    folder : Path
        The run's temporary folder.
    task : RunTask
        The run (its spec, output folder, ``with_code`` and ``pdf``).

    Returns
    -------
    list of str
        The names of the files written, for the manifest's sha256 list.
    """
    names = dict(manifest.get("files") or {})
    scrub_notebook(nb, hidden_folders(task))
    nbformat.write(nb, folder / names["notebook"])
    details = read_record_details(nb)
    tables = read_tables(nb)
    stem = Path(names["html"]).stem
    exported = write_exports(tables, folder, stem, str(manifest.get("title") or stem), bool(manifest.get("synthetic")))
    csv_names = iter(exported.get("csv", []))
    manifest["tables"] = [{
        "name": t["name"], "title": t["title"], "csv": next(csv_names), "cells": t.get("cells", 0),
        "suppressed_cells": t.get("suppressed_cells", 0), "suppression": t.get("suppression"),
        "significance": t.get("significance"),
    } for t in tables]
    hidden, cells = suppression_share(tables)
    rules = list(dict.fromkeys(t["suppression"] for t in tables if t.get("suppression") and t.get("cells")))
    manifest["suppression"] = {"cells": cells, "suppressed": hidden, "rule": "; ".join(rules) or None}
    manifest["record_details"] = details
    manifest["findings"] = key_findings(details, tables)
    manifest["lead"] = lead_finding(details, tables)
    previous = read_json(run_dir(task.out, task.spec) / MANIFEST)
    manifest["changes"] = run_changes(previous, manifest)
    if exported:
        names["csv"] = exported["csv"]
        names["xlsx"] = exported["xlsx"]
    if getattr(task, "pdf", False):
        names["pdf"] = f"{stem}.pdf"
    manifest["files"] = names
    document = export_html(nb, manifest, task.with_code)
    (folder / names["html"]).write_text(document, encoding="utf-8")
    if "pdf" in names:
        from cbss_analysis.reports.pdf import write_pdf

        write_pdf(document, folder / names["pdf"])
    written = [names["notebook"], names["html"], *names.get("csv", [])]
    written += [names[kind] for kind in ("xlsx", "pdf") if kind in names]
    return written
