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

from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbformat import NotebookNode
from traitlets.config import Config

from cbss_analysis.common.checks import small_cells_notice
from cbss_analysis.common.notices import SYNTHETIC_BANNER

TEMPLATE_NAME = "cbss_report.html.j2"
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style type="text/css">{{ resources.cbss_css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.cbss_header }}
<!--cbss-toc-->
{%- endblock body_header -%}
"""
_CSS = """
.cbss-header { font-family: var(--jp-ui-font-family, sans-serif); margin: 1em auto; max-width: 1100px;
  border: 1px solid #bbb; padding: 0.5em 1em; background: #fafafa; }
.cbss-header table { border-collapse: collapse; font-size: 0.9em; }
.cbss-header th { text-align: left; padding: 2px 1em 2px 0; vertical-align: top; white-space: nowrap; }
.cbss-header td { padding: 2px 0; word-break: break-all; }
.cbss-banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.4em 1em; text-align: center;
  letter-spacing: 0.05em; }
.cbss-toc { max-width: 1100px; margin: 0 auto 1em auto; font-family: var(--jp-ui-font-family, sans-serif); }
.cbss-toc ul { margin: 0.2em 0; } .cbss-toc .toc-3 { margin-left: 1.5em; }
a[data-external]::after { content: " <" attr(data-external) ">"; font-size: 0.85em; color: #555; }
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
    return '<nav class="cbss-toc"><strong>Contents</strong><ul>' + "".join(items) + "</ul></nav>"


def _value(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def provenance_header(manifest: dict[str, Any]) -> str:
    """The escaped HTML header of a report, from its manifest (see :mod:`cbss_analysis.reports.manifest`)."""
    rows: list[tuple[str, str]] = [("Report", html.escape(f"{manifest['notebook']} / {manifest['run']}"))]
    parameters = manifest.get("parameters", {})
    defaults = manifest.get("defaults", {})
    shown = [f"<code>{html.escape(k)}</code> = {_value(v)}" for k, v in parameters.items()]
    shown += [f"<code>{html.escape(k)}</code> = {html.escape(str(v))} (default)"
              for k, v in defaults.items() if k not in parameters]
    rows.append(("Parameters", "<br>".join(shown) or "none (notebook defaults)"))
    for item in manifest.get("inputs", []):
        label = "Data file" if item["role"] == "data" else "Codebook file"
        rows.append((label, f"{html.escape(item['path'])}<br>sha256 <code>{html.escape(item['sha256'])}</code>"))
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
    banner = ""
    if manifest.get("synthetic"):
        banner = f'<div class="cbss-banner">{html.escape(SYNTHETIC_BANNER)}</div>'
    small = small_cells_notice(parameters)
    if small:
        banner += f'<div class="cbss-banner cbss-small-cells">{html.escape(small)}</div>'
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f'{banner}<section class="cbss-header"><table>{body}</table></section>'


@lru_cache(maxsize=2)
def _exporter(with_code: bool) -> HTMLExporter:
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"parameters", "injected-parameters"}
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

    sample = new_notebook(cells=[
        new_markdown_cell("# Title"),
        new_code_cell("x = 1", outputs=[new_output("stream", name="stdout", text="1\n")]),
    ])
    _exporter(with_code).from_notebook_node(sample, resources={"cbss_header": "", "cbss_css": ""})


def _without_records(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` without the invisible record outputs (nbconvert warns it cannot show them)."""
    from cbss_analysis.records import MIMETYPE

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if set(o.get("data", {})) - {MIMETYPE} or "data" not in o]
    return nb


def export_html(nb: NotebookNode, manifest: dict[str, Any], with_code: bool = False) -> str:
    """Render an executed notebook as a self-contained, offline HTML report.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook (not modified).
    manifest : dict
        The run's manifest: parameters, inputs, package, times (see ``provenance_header``).
    with_code : bool
        Keep the input cells (the parameters cells are removed either way).

    Returns
    -------
    str
        The HTML document.
    """
    nb = _without_records(nb)
    title = f"{manifest['notebook']} / {manifest['run']}"
    if manifest.get("synthetic"):
        title += " (synthetic data)"
    resources = {
        "metadata": {"name": title},
        "cbss_header": provenance_header(manifest),
        "cbss_css": _CSS,
    }
    document, _ = _exporter(with_code).from_notebook_node(nb, resources=resources)
    document = disarm_external(document)
    return document.replace("<!--cbss-toc-->", table_of_contents(document), 1)
