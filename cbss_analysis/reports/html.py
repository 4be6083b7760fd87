"""HTML for reviewers: nbconvert's lab template, input hidden, a provenance header, offline.

- Input cells are hidden (``exclude_input``) unless ``with_code``; the ``parameters`` and
  ``injected-parameters`` cells are removed (``TagRemovePreprocessor``).
- A header states the parameters, the data file and its sha256, the codebook, the package
  version and source hash, and the time; a "SYNTHETIC DATA" banner when the survey is synthetic.
- A table of contents links the notebook's headings.
- Nothing is fetched when the file is opened: the template's require.js, MathJax, Mermaid
  and widget scripts (CDN) are left out, figures are embedded as data URIs, and any
  remaining reference to another host in ``src``/``href`` (a link in a markdown cell, an
  ``<img>`` in an output) is disarmed: links keep their text and show their address.
- Every text the package adds is escaped with :func:`html.escape`; nbconvert escapes
  plain-text outputs, pandas escapes its tables.
"""

from __future__ import annotations

import copy
import html
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbformat import NotebookNode
from traitlets.config import Config

from cbss_analysis.common.checks import small_cells_notice
from cbss_analysis.common.notices import SYNTHETIC_BANNER, SYNTHETIC_NOTICE
from cbss_analysis.records import MIMETYPE as RECORD_MIMETYPE
from cbss_analysis.records import TABLE_MIMETYPE
from cbss_analysis.reports.changes import change_lines
from cbss_analysis.reports.style import PRINT_CSS, SCREEN_CSS, banner_page_css
from cbss_analysis.reports.titles import NOTEBOOK_ONLY_TAG

TEMPLATE_NAME = "cbss_report.html.j2"
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style type="text/css">{{ resources.cbss_css }}</style>{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.cbss_header }}
<!--cbss-toc-->
{%- endblock body_header -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ ((output | get_metadata('alt', 'image/png')) or 'Figure without a caption') | escape_html }}"
{%- set width=output | get_metadata('width', 'image/png') -%}
{%- if width is not none %} width={{ width | escape_html }}{%- endif %}
{%- set height=output | get_metadata('height', 'image/png') -%}
{%- if height is not none %} height={{ height | escape_html }}{%- endif %}>
</div>
{%- endblock data_png %}
"""
_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_ATTR = re.compile(
    r"""(?P<lead>\s)(?P<name>src|href|srcset|poster|action|data|formaction|xlink:href|background)"""
    r"""\s*=\s*(?P<q>["']?)(?P<url>\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^"'\s>]*)(?P=q)""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""url\(\s*(["']?)\s*(?:https?:)?//[^)]*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(["'])(?:https?:)?//[^"']*\1\s*;?""", re.IGNORECASE)
_HEADING = re.compile(r"<h([1-3])\s+id=\"([^\"]+)\"[^>]*>(.*?)</h\1>", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def _disarm_tag(match: re.Match[str]) -> str:
    tag = match.group(0)
    is_anchor = tag[:3].lower() in ("<a ", "<a\t", "<a\n")

    def replace(attr: re.Match[str]) -> str:
        url = attr.group("url").strip()
        if is_anchor and attr.group("name").lower() == "href":
            return f'{attr.group("lead")}data-external="{url}"'
        return f'{attr.group("lead")}data-blocked="{url}"'

    return _ATTR.sub(replace, tag)


def disarm_external(document: str) -> str:
    """Remove every way an HTML document could fetch from another host when opened.

    ``src``/``href``/... attributes that point to a host (``http://``, ``https://``, ``//``)
    are renamed (``data-external`` for links, shown after the link text; ``data-blocked``
    otherwise), and ``url(...)``/``@import`` of remote CSS are dropped.
    """
    document = _TAG.sub(_disarm_tag, document)
    document = _CSS_IMPORT.sub("", document)
    return _CSS_URL.sub("url(data:,)", document)


def table_of_contents(document: str) -> str:
    """A ``<nav>`` listing the document's ``h1``-``h3`` headings with links to their ids."""
    items = []
    for level, anchor, inner in _HEADING.findall(document):
        text = _TAGS.sub("", inner).replace("\u00b6", "").strip()
        if text:
            items.append(f'<li class="toc-{level}"><a href="#{anchor}">{text}</a></li>')
    if not items:
        return ""
    return ('<nav class="cbss-toc cbss-page" aria-labelledby="contents"><h2 id="contents">Contents</h2><ul>'
            + "".join(items) + "</ul></nav>")


def _value(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def provenance_header(manifest: dict[str, Any]) -> str:
    """The provenance of a report, complete but compact: a collapsed ``<details>`` block, every text escaped.

    Parameters, the data file and each codebook file by name (or path inside the project) with
    its sha256, the codebook, the package and library hash, Python, and the run's times.
    """
    rows: list[tuple[str, str]] = [("Report", html.escape(f"{manifest['notebook']} / {manifest['run']}"))]
    parameters = manifest.get("parameters", {})
    defaults = manifest.get("defaults", {})
    shown = [f"<code>{html.escape(k)}</code> = {_value(v)}" for k, v in parameters.items()]
    shown += [f"<code>{html.escape(k)}</code> = {html.escape(str(v))} (default)"
              for k, v in defaults.items() if k not in parameters]
    rows.append(("Parameters", "<br>".join(shown) or "none (notebook defaults)"))
    for item in manifest.get("inputs", []):
        label = "Data file" if item["role"] == "data" else "Codebook file"
        name = item.get("name") or item.get("path", "")
        rows.append((label, f"{html.escape(str(name))}<br>sha256 <code>{html.escape(item['sha256'])}</code>"))
    codebook = manifest.get("codebook") or {}
    if codebook:
        rows.append(("Codebook", f"{html.escape(str(codebook.get('reference', '')))}: "
                                 f"{html.escape(str(codebook.get('title', '')))}"))
    package = manifest.get("package", {})
    rows.append(("Package", html.escape(f"{package.get('name', '')} {package.get('version', '')}")
                 + f" (library sha256 <code>{html.escape(str(package.get('source_sha256', '')))}</code>)"))
    rows.append(("Python", html.escape(str(manifest.get("environment", {}).get("python", "")))))
    rows.append(("Run", html.escape(f"{manifest.get('started', '')} to {manifest.get('finished', '')} UTC, "
                                    f"{manifest.get('duration_s', 0):.1f} s, kernel {manifest.get('kernel', '')}")))
    data = next((i for i in manifest.get("inputs", []) if i.get("role") == "data"), None)
    summary = "Provenance: parameters, data file"
    if data:
        summary += f" {html.escape(str(data.get('name') or data.get('path', '')))} (sha256 {html.escape(data['sha256'][:12])}…)"
    summary += f", codebook, versions, run {html.escape(str(manifest.get('finished', '')))}"
    body = "".join(f"<tr><th scope=\"row\">{name}</th><td>{value}</td></tr>" for name, value in rows)
    return (f'<details class="cbss-provenance"><summary>{summary}</summary><table>{body}</table></details>')


def banners(manifest: dict[str, Any]) -> str:
    """The synthetic-data banner, the small-cells banner and the suppression warning, as the manifest says."""
    parts = []
    if manifest.get("synthetic"):
        parts.append(f'<div class="cbss-banner" role="note">{html.escape(SYNTHETIC_BANNER)}</div>')
    small = small_cells_notice(manifest.get("parameters", {}))
    if small:
        parts.append(f'<div class="cbss-banner cbss-small-cells" role="note">{html.escape(small)}</div>')
    warning = suppression_warning(manifest.get("suppression") or {})
    if warning:
        kind = "cbss-all-suppressed" if warning.startswith("Every") else "cbss-most-suppressed"
        parts.append(f'<div class="cbss-warning {kind}" role="alert">{html.escape(warning)}</div>')
    return "".join(parts)


def suppression_warning(suppression: dict[str, Any]) -> str:
    """The warning of a report whose cells are mostly (more than half) or all suppressed; empty otherwise."""
    cells, hidden = int(suppression.get("cells") or 0), int(suppression.get("suppressed") or 0)
    rule = suppression.get("rule")
    because = f" ({rule})" if rule else ""
    if cells and hidden == cells:
        return (f"Every estimate in this report is suppressed: all {cells:,} cells of its tables{because}. "
                "The figures and tables below show no estimate; the survey is too small for these breakdowns.")
    if cells and hidden * 2 > cells:
        return (f"Most estimates in this report are suppressed: {hidden:,} of {cells:,} cells{because}. "
                "Read what is shown with care; much of the picture is missing.")
    return ""


def _navigation(manifest: dict[str, Any]) -> str:
    links = manifest.get("neighbours") or {}
    parts = []
    if "previous" in links:
        parts.append(f'<a rel="prev" href="{html.escape(links["previous"]["href"])}">\u2190 Previous: '
                     f'{html.escape(links["previous"]["label"])}</a>')
    parts.append('<a href="../../index.html">All reports (index)</a>')
    if "next" in links:
        parts.append(f'<a rel="next" href="{html.escape(links["next"]["href"])}">Next: '
                     f'{html.escape(links["next"]["label"])} \u2192</a>')
    return f'<nav class="cbss-nav" aria-label="Reports">{"".join(parts)}</nav>'


def _findings(manifest: dict[str, Any]) -> str:
    sentences = manifest.get("findings") or []
    if not sentences:
        return ""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    note = f'<p><strong>{html.escape(SYNTHETIC_NOTICE)}</strong></p>' if manifest.get("synthetic") else ""
    return f'<section class="cbss-findings" aria-labelledby="key-findings"><h2 id="key-findings">Key findings</h2><ul>{items}</ul>{note}</section>'


def _downloads(manifest: dict[str, Any]) -> str:
    files = manifest.get("files") or {}
    links = []
    if files.get("xlsx"):
        links.append(f'<a href="{quote(files["xlsx"])}" download>Excel workbook (all tables)</a>')
    for table in manifest.get("tables") or []:
        if table.get("csv"):
            links.append(f'<a href="{quote(table["csv"])}" download>{html.escape(table["title"])} (CSV)</a>')
    if files.get("pdf"):
        links.append(f'<a href="{quote(files["pdf"])}">This report as PDF</a>')
    if not links:
        return ""
    synthetic = " The files say in a <code>synthetic</code> column that the numbers are synthetic." if manifest.get("synthetic") else ""
    items = "".join(f"<li>{link}</li>" for link in links)
    return (f'<section class="cbss-downloads" aria-labelledby="downloads"><h2 id="downloads">Download the numbers</h2>'
            f"<ul>{items}</ul><p>Tidy tables with labels, units and sources; suppressed cells are empty.{synthetic}</p></section>")


def _changes(manifest: dict[str, Any]) -> str:
    lines = change_lines(manifest.get("changes"))
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines[:12])
    since = (manifest.get("changes") or {}).get("previous_finished")
    heading = f"Changed since the run of {html.escape(str(since))}" if since else "Changes"
    return f'<section class="cbss-changes" aria-labelledby="changes"><h2 id="changes">{heading}</h2><ul>{items}</ul></section>'


def page_top(manifest: dict[str, Any]) -> str:
    """Everything above the notebook's content: banners, navigation, title, question, findings, downloads, provenance."""
    title = html.escape(str(manifest.get("title") or f"{manifest['notebook']} / {manifest['run']}"))
    question = manifest.get("question")
    asked = f'<p class="cbss-question"><strong>Question.</strong> {html.escape(question)}</p>' if question else ""
    return (f'<div class="cbss-page">{banners(manifest)}{_navigation(manifest)}'
            f'<header class="cbss-title"><h1>{title}</h1>{asked}</header>'
            f"{_findings(manifest)}{_downloads(manifest)}{_changes(manifest)}{provenance_header(manifest)}</div>")


@lru_cache(maxsize=2)
def _exporter(with_code: bool) -> HTMLExporter:
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"parameters", "injected-parameters", NOTEBOOK_ONLY_TAG}
    config.HTMLExporter.exclude_input = not with_code
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.embed_images = True
    return HTMLExporter(
        config=config,
        template_name="lab",
        template_file=TEMPLATE_NAME,
        extra_loaders=[DictLoader({TEMPLATE_NAME: _TEMPLATE})],
    )


def prepare_exporter(with_code: bool) -> None:
    """Build and warm the exporter now, before worker processes fork, so they inherit compiled templates."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    sample = new_notebook(cells=[  # what a report has: headings, entities (BeautifulSoup builds its table once), outputs
        new_markdown_cell("# Title\n\n## Part\n\nA & B, *emphasis*, `code`."),
        new_code_cell("x = 1", outputs=[
            new_output("stream", name="stdout", text="1 < 2\n"),
            new_output("display_data", data={"text/html": "<table><tr><th>a &amp; b</th></tr></table>",
                                             "text/plain": "table"}),
        ]),
    ])
    _exporter(with_code).from_notebook_node(sample, resources={"cbss_header": "", "cbss_css": ""})


_HIDDEN_MIMETYPES = {RECORD_MIMETYPE, TABLE_MIMETYPE}
_FIRST_HEADING = re.compile(r"\A\s*#\s[^\n]*\n?")
_QUESTION_PARAGRAPH = re.compile(r"\*\*Question\.\*\*.*?(?:\n\s*\n|\Z)", re.DOTALL)


def _for_readers(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` for the HTML: no invisible record and table outputs, no first ``#`` title (the page has one)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if "data" not in o or set(o.get("data", {})) - _HIDDEN_MIMETYPES]
    for cell in nb.cells:
        if cell.cell_type == "markdown" and NOTEBOOK_ONLY_TAG not in cell.metadata.get("tags", []):
            if _FIRST_HEADING.match(cell.source):
                cell.source = _FIRST_HEADING.sub("", cell.source, count=1)
            cell.source = _QUESTION_PARAGRAPH.sub("", cell.source, count=1)  # the page's header asks it
            break
    return nb


def stylesheet(manifest: dict[str, Any]) -> str:
    """The report's own CSS: screen, print, and the banner on every printed page of synthetic data."""
    css = SCREEN_CSS + PRINT_CSS
    if manifest.get("synthetic"):
        css += banner_page_css(SYNTHETIC_BANNER)
    return css


def export_html(nb: NotebookNode, manifest: dict[str, Any], with_code: bool = False) -> str:
    """Render an executed notebook as a self-contained, offline HTML report.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook (not modified).
    manifest : dict
        The run's manifest: title, question, findings, files, neighbours, parameters, inputs,
        package, times (see :func:`page_top`).
    with_code : bool
        Keep the input cells (the parameters cells are removed either way).

    Returns
    -------
    str
        The HTML document.
    """
    nb = _for_readers(nb)
    title = str(manifest.get("title") or f"{manifest['notebook']} / {manifest['run']}")
    if manifest.get("synthetic"):
        title += " (synthetic data)"
    resources = {
        "metadata": {"name": title},
        "cbss_header": page_top(manifest),
        "cbss_css": stylesheet(manifest),
    }
    document, _ = _exporter(with_code).from_notebook_node(nb, resources=resources)
    document = disarm_external(document)
    return document.replace("<!--cbss-toc-->", table_of_contents(document), 1)
