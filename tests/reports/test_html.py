"""cbss_analysis.reports.html: offline HTML, everything escaped, a provenance header (no kernel needed)."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output

from cbss_analysis.reports.html import disarm_external, export_html, page_top, table_of_contents
from tests.reports.offline import CSS_EXTERNAL, EXTERNAL


def test_disarm_external_references() -> None:
    page = ('<script src="https://cdn.example/x.js"></script><a href="https://hbsc.org">HBSC</a>'
            '<img src=//evil.example/p.png><a href="#local">x</a><style>@import "https://f.example/a.css";'
            "body{background:url(https://x.example/i.png)}</style>")
    out = disarm_external(page)
    assert not EXTERNAL.search(out) and not CSS_EXTERNAL.search(out)
    assert '<a data-external="https://hbsc.org">HBSC</a>' in out and 'href="#local"' in out


def test_header_escapes_everything() -> None:
    manifest = {"notebook": "n", "run": "<r>", "parameters": {"state": "<b>x</b>"}, "defaults": {"min_n": "30"},
                "inputs": [{"role": "data", "path": "/d/<b>x</b>.csv", "sha256": "abc"}],
                "codebook": {"reference": "cb", "title": "<b>x</b>"}, "synthetic": True,
                "package": {"name": "cbss-analysis", "version": "0.1.0", "source_sha256": "def"},
                "started": "s", "finished": "f", "duration_s": 1.0}
    header = page_top(manifest)
    assert "<b>x</b>" not in header and "&lt;b&gt;x&lt;/b&gt;" in header
    assert "SYNTHETIC DATA" in header and "min_n" in header and "(default)" in header
    toc = table_of_contents('<h2 id="A-b">A &lt;b&gt;<a class="anchor-link" href="#A-b">¶</a></h2>')
    assert 'href="#A-b"' in toc and "&lt;b&gt;" in toc


def test_html_embeds_figures_and_escapes_outputs() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    nb = new_notebook(cells=[new_code_cell("plot()", outputs=[
        new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        new_output("stream", name="stdout", text="<b>x</b>\n"),
    ])])
    page = export_html(nb, {"notebook": "n", "run": "r", "synthetic": False})
    assert f'src="data:image/png;base64,{png}"' in page
    assert "<b>x</b>" not in page and "SYNTHETIC DATA" not in page and "plot()" not in page
