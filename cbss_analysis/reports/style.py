"""The stylesheets of the reports and the index: screen, print and the PDF's pages.

Links look like links (underlined, blue, visited purple); text is left-aligned; tables wrap
instead of running off the page; on paper (and in the PDF) headings stay with what follows,
figures are not split, table header rows repeat, wide tables are set smaller with wrapped
cells, every page is numbered and, for synthetic data, carries the banner.
"""

from __future__ import annotations

SCREEN_CSS = """
body.jp-Notebook > main { max-width: 1150px; margin: 0 auto; }
.cbss-page { font-family: var(--jp-ui-font-family, system-ui, sans-serif); max-width: 1100px; margin: 0 auto;
  padding: 0 1em; color: #1a1a1a; }
.cbss-page a, .cbss-index a, .jp-RenderedHTMLCommon a { color: #0645ad; text-decoration: underline; }
.cbss-page a:visited, .cbss-index a:visited { color: #5a2a82; }
.cbss-page a:focus, .cbss-index a:focus { outline: 2px solid #e69f00; outline-offset: 1px; }
.cbss-banner { background: #b00020; color: #fff; font-weight: bold; padding: 0.4em 1em; text-align: center;
  letter-spacing: 0.03em; }
.cbss-warning { background: #fff4e5; color: #5f3700; border: 2px solid #e69f00; padding: 0.5em 1em; margin: 0.6em 0;
  font-weight: bold; }
.cbss-warning.cbss-all-suppressed { background: #fde7ea; color: #7a0016; border-color: #b00020; }
.cbss-nav { display: flex; gap: 1.2em; flex-wrap: wrap; font-size: 0.95em; margin: 0.8em 0 0.2em 0; }
.cbss-title h1 { font-size: 1.9em; margin: 0.3em 0 0.2em 0; }
.cbss-question { font-size: 1.05em; margin: 0 0 0.8em 0; }
.cbss-findings { border-left: 4px solid #0072b2; background: #f3f8fc; padding: 0.4em 1em; margin: 0.8em 0; }
.cbss-findings h2, .cbss-downloads h2, .cbss-toc h2, .cbss-changes h2 { font-size: 1.15em; margin: 0.4em 0; }
.cbss-findings li { margin: 0.25em 0; }
.cbss-downloads, .cbss-changes { margin: 0.6em 0; }
.cbss-provenance { border: 1px solid #bbb; background: #fafafa; padding: 0.3em 1em; margin: 0.8em 0; font-size: 0.9em; }
.cbss-provenance summary { cursor: pointer; font-weight: bold; }
.cbss-provenance table { border-collapse: collapse; }
.cbss-provenance th { text-align: left; padding: 2px 1em 2px 0; vertical-align: top; white-space: nowrap; }
.cbss-provenance td { padding: 2px 0; overflow-wrap: anywhere; text-align: left; }
.cbss-toc ul { margin: 0.2em 0; } .cbss-toc .toc-3 { margin-left: 1.5em; }
table.cbss-table { border-collapse: collapse; margin: 0.4em 0 1em 0; font-size: 0.92em; max-width: 100%; }
table.cbss-table caption { caption-side: top; text-align: left; font-style: italic; padding: 0.3em 0; }
table.cbss-table th, table.cbss-table td { border-bottom: 1px solid #ddd; padding: 3px 8px; vertical-align: top; }
table.cbss-table thead th { background: #f3f3f3; border-bottom: 2px solid #999; }
table.cbss-table .txt { text-align: left; } table.cbss-table .num { text-align: right; font-variant-numeric: tabular-nums; }
.cbss-table-wrap { overflow-x: auto; }
.jp-RenderedImage img { max-width: 100%; height: auto; }
a[data-external]::after { content: " <" attr(data-external) ">"; font-size: 0.85em; color: #555; }
"""

PRINT_CSS = """
@page landscape { size: A4 landscape; }
@page { size: A4; margin: 16mm 12mm 16mm 12mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #444; font-family: sans-serif; }
  @bottom-left { content: string(report-title); font-size: 8pt; color: #444; font-family: sans-serif; } }
@media print {
  html, body { background: #fff !important; }
  body.jp-Notebook, body.jp-Notebook > main, .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea-child,
  .jp-OutputArea-output, .jp-RenderedHTMLCommon { padding-left: 0 !important; padding-right: 0 !important;
    margin-left: 0 !important; margin-right: 0 !important; box-sizing: border-box; }
  body { font-size: 10pt; }
  .cbss-title h1 { string-set: report-title content(); }
  .jp-Notebook, .jp-Cell, .jp-OutputArea, .jp-OutputArea-output, .jp-RenderedHTMLCommon, .cbss-table-wrap,
  .jp-Cell-outputWrapper, .jp-OutputArea-child { overflow: visible !important; max-width: 100% !important; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
  .cbss-findings, .cbss-warning, figure, img, .jp-RenderedImage { break-inside: avoid; page-break-inside: avoid; }
  img { max-width: 100% !important; height: auto !important; }
  table.cbss-table, .jp-RenderedHTMLCommon table { width: 100% !important; max-width: 100% !important;
    table-layout: auto; font-size: 8pt; }
  table.cbss-table th, table.cbss-table td, .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th {
    overflow-wrap: break-word; word-break: normal; white-space: normal !important; padding: 2px 4px; }
  thead { display: table-header-group; } tr { break-inside: avoid; page-break-inside: avoid; }
  table.cbss-wide { font-size: 6.5pt; }
  table.cbss-wide th, table.cbss-wide td { overflow-wrap: anywhere; }
  .cbss-landscape { page: landscape; }
  .cbss-nav, .cbss-toc { display: none; }
  .cbss-provenance { break-inside: avoid; }
  details.cbss-provenance > *:not(summary) { display: block; }
  a { color: #0645ad; }
}
"""


def banner_page_css(text: str) -> str:
    """An ``@page`` rule that prints ``text`` (the synthetic-data banner) at the top of every page."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return (f'@page {{ @top-center {{ content: "{escaped}"; color: #b00020; font-weight: bold; font-size: 7.5pt; '
            "font-family: sans-serif; }} }}")
