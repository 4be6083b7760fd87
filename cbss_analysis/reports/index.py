"""``<out>/index.html``: the reports as a table of contents, and what changed since the last good run.

The page reads like the contents of a printed report: one section per notebook (its title and
question), one row per run (the subject by name, e.g. the state, linked to its report), its
status, its labelled headline figures in their units (``Respondents: 47,421``,
``Cyberbullied, regional average: 12.9%``), its lead finding, and what changed in its last
run. Above them, "What changed since the last good run" lists the runs whose inputs moved and
the headline figures whose value changed (old -> new), so a reviewer re-reads only those.

Everything is read from the run folders (so it also shows runs that this command skipped or did
not select). A failed run shows its error's first line and links its error notebook. Links are
relative and point only to files that exist. The page is static: no script, no external
resource, every text escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cbss_analysis.common.files import atomic_write
from cbss_analysis.common.notices import SYNTHETIC_BANNER
from cbss_analysis.common.numbers import format_number
from cbss_analysis.reports.changes import change_lines
from cbss_analysis.reports.findings import figure_text
from cbss_analysis.reports.manifest import FAILED_MANIFEST, FAILED_NOTEBOOK, MANIFEST, read_json
from cbss_analysis.reports.plan import RunSpec
from cbss_analysis.reports.redact import scrub
from cbss_analysis.reports.style import SCREEN_CSS
from cbss_analysis.reports.titles import notebook_heading, notebook_question, subject

INDEX = "index.html"
MAX_RECORDS = 4
_CSS = SCREEN_CSS + """
body { margin: 0; color: #1a1a1a; font-family: system-ui, sans-serif; }
.cbss-index { font-family: system-ui, sans-serif; max-width: 1200px; margin: 0 auto; padding: 0 1.2em 2em 1.2em; }
.cbss-index h1 { margin: 0.5em 0 0.2em 0; }
.cbss-index table { border-collapse: collapse; width: 100%; font-size: 0.92em; margin: 0.3em 0 1.2em 0; }
.cbss-index caption { caption-side: top; text-align: left; font-style: italic; padding: 0.2em 0; }
.cbss-index th, .cbss-index td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.cbss-index thead th { background: #f3f3f3; }
.ok { color: #1b5e20; font-weight: bold; } .failed { color: #b00020; font-weight: bold; } .missing { color: #666; }
.error { color: #b00020; font-family: monospace; font-size: 0.9em; }
.records, .changes { margin: 0; padding-left: 1.1em; }
.question { margin: 0.1em 0 0.4em 0; }
.moved { background: #fff8e1; }
@media print { .cbss-index table { font-size: 8pt; } tr { break-inside: avoid; } h2 { break-after: avoid; } }
@page { size: A4 landscape; margin: 12mm; @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; } }
"""


def _format_number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return format_number(value)


def format_record(name: str, value: Any) -> str:
    """A figure recorded without a label, as text: ``name: value``, with ``[ci_low, ci_high]`` when the value has them."""
    if isinstance(value, Mapping):
        number = next((value[k] for k in ("estimate", "value") if k in value), None)
        if number is None:
            shown = ", ".join(f"{k}={_format_number(v)}" for k, v in value.items())
        else:
            shown = _format_number(number)
            if value.get("ci_low") is not None and value.get("ci_high") is not None:
                shown += f" [{_format_number(value['ci_low'])}, {_format_number(value['ci_high'])}]"
    elif isinstance(value, list):
        shown = ", ".join(_format_number(v) for v in value)
    else:
        shown = _format_number(value)
    return f"{name}: {shown}"


def headline_figures(manifest: Mapping[str, Any], limit: int = MAX_RECORDS) -> list[str]:
    """The run's headline figures in words, in their unit; bare ones (``name: value``) only when none has a label."""
    details = manifest.get("record_details") or {}
    records = manifest.get("records") or {}
    labelled, bare = [], []
    for name, value in records.items() if isinstance(records, Mapping) else ():
        info = details.get(name) or {}
        if isinstance(info.get("value"), Mapping) and info["value"].get("kind") == "comparison":
            continue
        if info.get("label"):
            labelled.append(f"{info['label']}: {figure_text(info)}")
        else:
            bare.append(format_record(str(name), value))
    return (labelled or bare)[:limit]


def _link(out: Path, folder: Path, name: str | None, text: str) -> str:
    if not name or not (folder / name).is_file():
        return ""
    href = quote((folder / name).relative_to(out).as_posix())
    return f'<a href="{href}">{html.escape(text)}</a>'


def _anchor(notebook: str) -> str:
    return "nb-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in notebook)


def _row(out: Path, run: RunSpec, action: str) -> tuple[str, bool, list[str]]:
    folder = out / run.notebook / run.run
    good = read_json(folder / MANIFEST)
    failed = read_json(folder / FAILED_MANIFEST)
    latest = failed or good
    if failed or action == "failed":
        status = '<span class="failed">failed</span>'
    elif good:
        status = '<span class="ok">ok</span>'
    else:
        status = '<span class="missing">not run yet</span>'
    name = subject(run) or ("Report" if run.run == "default" else run.run)
    files = (good or {}).get("files", {})
    title_link = _link(out, folder, files.get("html"), name) if good else ""
    label = title_link or html.escape(name)
    synthetic = bool(good and good.get("synthetic"))
    if synthetic:
        label += " <small>(synthetic data)</small>"
    links = []
    details, lead, moved = "", "", []
    if good:
        links += [_link(out, folder, files.get("pdf"), "PDF"), _link(out, folder, files.get("xlsx"), "numbers (XLSX)"),
                  _link(out, folder, files.get("notebook"), "notebook"), _link(out, folder, MANIFEST, "manifest")]
        figures = headline_figures(good)
        if figures:
            details = '<ul class="records">' + "".join(f"<li>{html.escape(f)}</li>" for f in figures) + "</ul>"
        findings = good.get("lead") or next(iter(good.get("findings") or []), "")
        lead = html.escape(findings)
        changes = good.get("changes") or {}
        if not changes.get("first_run"):
            moved = change_lines(changes)
    if failed:
        links += [_link(out, folder, FAILED_NOTEBOOK, "error notebook"), _link(out, folder, FAILED_MANIFEST, "error manifest")]
        error = scrub(str(failed.get("error", "")))
        details = f'<div class="error">{html.escape(error)}</div>' + (
            f"<div>last good output from {html.escape(str(good.get('finished', '')))}</div>" if good else "") + details
    when = html.escape(str(latest.get("finished", ""))) if latest else ""
    changed = ('<ul class="changes">' + "".join(f"<li>{html.escape(line)}</li>" for line in moved) + "</ul>"
               if moved else ("unchanged" if good and not (good.get("changes") or {}).get("first_run") else "first run"
                              if good else ""))
    cells = [label, status, details, lead, changed, f"{when}<br><small>{html.escape(action)}</small>",
             " ".join(link for link in links if link)]
    first = f'<th scope="row">{cells[0]}</th>'
    css = ' class="moved"' if moved else ""
    row = f"<tr{css}>{first}" + "".join(f"<td>{cell}</td>" for cell in cells[1:]) + "</tr>"
    prefix = f"{name}: " if subject(run) else ""
    return row, synthetic, [f"{prefix}{line}" for line in moved]


def write_index(out: Path, runs: Iterable[RunSpec], actions: Mapping[str, str], title: str = "CBSS reports") -> Path:
    """Write ``<out>/index.html`` for ``runs`` (atomically) and return its path.

    Parameters
    ----------
    out : Path
        The output folder.
    runs : iterable of RunSpec
        Every run of the plan, in plan order.
    actions : mapping
        Per run id, what this command did: ``ran``, ``skipped``, ``failed``, ``interrupted``;
        runs not in it show ``not selected``.
    title : str
        Page title.
    """
    runs = list(runs)
    by_notebook: dict[str, list[RunSpec]] = {}
    for run in runs:
        by_notebook.setdefault(run.notebook, []).append(run)
    sections, contents, moved_all, synthetic = [], [], [], False
    counts = {"ok": 0, "failed": 0, "missing": 0}
    for notebook, group in by_notebook.items():
        heading = notebook_heading(group[0].path, notebook) if group[0].path.is_file() else notebook
        question = notebook_question(group[0].path) if group[0].path.is_file() else ""
        rows = []
        for run in group:
            row, is_synthetic, moved = _row(out, run, actions.get(run.id, "not selected"))
            rows.append(row)
            synthetic = synthetic or is_synthetic
            moved_all.extend((heading, line) for line in moved)
            counts["failed" if 'class="failed"' in row else "ok" if 'class="ok"' in row else "missing"] += 1
        anchor = _anchor(notebook)
        contents.append(f'<li><a href="#{anchor}">{html.escape(heading)}</a> ({len(group)} '
                        f'{"report" if len(group) == 1 else "reports"})</li>')
        head = "".join(f'<th scope="col">{h}</th>' for h in
                       ("Report", "Status", "Headline figures", "Lead finding", "Changed in its last run",
                        "Finished (UTC)", "Files"))
        asked = f'<p class="question"><strong>Question.</strong> {html.escape(question)}</p>' if question else ""
        sections.append(
            f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{html.escape(heading)}</h2>{asked}'
            f"<table><caption>{html.escape(heading)}: {len(group)} {'run' if len(group) == 1 else 'runs'} "
            f"({html.escape(notebook)})</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
        )
    banner = f'<div class="cbss-banner" role="note">{html.escape(SYNTHETIC_BANNER)}</div>' if synthetic else ""
    if moved_all:
        items = "".join(f"<li><strong>{html.escape(h)}</strong>: {html.escape(line)}</li>" for h, line in moved_all)
        changes = (f'<section aria-labelledby="changed"><h2 id="changed">What changed since the last good run</h2>'
                   f"<p>Re-read only these; every other report's inputs and headline figures are as before.</p>"
                   f"<ul>{items}</ul></section>")
    else:
        changes = ('<section aria-labelledby="changed"><h2 id="changed">What changed since the last good run</h2>'
                   "<p>Nothing: no report's inputs or headline figures changed in its last run "
                   "(or every report ran for the first time).</p></section>")
    summary = (f"{len(runs)} reports: {counts['ok']} ok, {counts['failed']} failed"
               + (f", {counts['missing']} not run yet" if counts["missing"] else "") + ".")
    document = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>{html.escape(title)}</title>\n'
        f"<style>{_CSS}</style>\n</head>\n<body>\n{banner}\n<main class=\"cbss-index\">\n<h1>{html.escape(title)}</h1>\n"
        f"<p>{html.escape(summary)} Each report opens with its key findings; its numbers can be downloaded as CSV and "
        f"Excel, and each report is also a PDF.</p>\n{changes}\n"
        f'<nav aria-labelledby="contents"><h2 id="contents">Contents</h2><ul>{"".join(contents)}</ul></nav>\n'
        + "\n".join(sections) + "\n</main>\n</body>\n</html>\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write(out / INDEX, document)
