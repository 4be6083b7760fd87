"""``<out>/index.html``: the entry page that links every run of the plan with its status.

One row per run of the plan, read from the run folders (so it also shows runs that this
command skipped or did not select): status, time, duration, headline figures, and links
to the HTML report, the executed notebook and the manifest; a failed run shows its
error's first line and links its error notebook. Links are relative and point only to
files that exist. The page is static: no script, no external resource, every text escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cbss_analysis.common.files import atomic_write
from cbss_analysis.reports.manifest import FAILED_MANIFEST, FAILED_NOTEBOOK, MANIFEST, read_json
from cbss_analysis.reports.plan import RunSpec

INDEX = "index.html"
MAX_RECORDS = 6
_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.ok { color: #1b5e20; font-weight: bold; } .failed { color: #b00020; font-weight: bold; } .missing { color: #777; }
.error { color: #b00020; font-family: monospace; font-size: 0.9em; }
.banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.4em 1em; margin-bottom: 1em; }
.records { margin: 0; padding-left: 1.2em; }
"""


def _format_number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def format_record(name: str, value: Any) -> str:
    """One headline figure as text: ``name: value``, with ``[ci_low, ci_high]`` when the value has them."""
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


def _link(out: Path, folder: Path, name: str | None, text: str) -> str:
    if not name or not (folder / name).is_file():
        return ""
    href = quote((folder / name).relative_to(out).as_posix())
    return f'<a href="{href}">{html.escape(text)}</a>'


def _row(out: Path, run: RunSpec, action: str) -> tuple[str, bool]:
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
    links = []
    details = ""
    if good:
        files = good.get("files", {})
        links += [_link(out, folder, files.get("html"), "report"), _link(out, folder, files.get("notebook"), "notebook"),
                  _link(out, folder, MANIFEST, "manifest")]
        records = good.get("records") or {}
        if isinstance(records, dict) and records:
            shown = list(records.items())[:MAX_RECORDS]
            items = "".join(f"<li>{html.escape(format_record(str(k), v))}</li>" for k, v in shown)
            details = f'<ul class="records">{items}</ul>'
    if failed:
        links += [_link(out, folder, FAILED_NOTEBOOK, "error notebook"), _link(out, folder, FAILED_MANIFEST, "error manifest")]
        details = f'<div class="error">{html.escape(str(failed.get("error", "")))}</div>' + (
            f"<div>last good output from {html.escape(str(good.get('finished', '')))}</div>" if good else "") + details
    when = html.escape(str(latest.get("finished", ""))) if latest else ""
    duration = f"{latest.get('duration_s', 0):.1f} s" if latest else ""
    synthetic = bool(good and good.get("synthetic"))
    cells = [
        html.escape(run.notebook), html.escape(run.run) + (" <small>(synthetic data)</small>" if synthetic else ""),
        status, html.escape(action), when, duration, details, " ".join(link for link in links if link),
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>", synthetic


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
    rows, synthetic = [], False
    for run in runs:
        row, is_synthetic = _row(out, run, actions.get(run.id, "not selected"))
        rows.append(row)
        synthetic = synthetic or is_synthetic
    banner = ('<div class="banner">SYNTHETIC DATA: reports marked "synthetic data" are computed on the embedded '
              "synthetic survey, not on real respondents</div>") if synthetic else ""
    header = "".join(f"<th>{h}</th>" for h in
                     ("Notebook", "Run", "Status", "This command", "Finished (UTC)", "Duration", "Headline figures",
                      "Files"))
    document = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f"<style>{_CSS}</style>\n</head>\n<body>\n<h1>{html.escape(title)}</h1>\n{banner}\n"
        f"<table>\n<thead><tr>{header}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n</body>\n</html>\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write(out / INDEX, document)
