"""cbss_analysis.reports.pdf: a PDF whose tables are never cut, with page numbers and the banner on every page."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cbss_analysis.common.notices import SYNTHETIC_BANNER
from cbss_analysis.reports import pdf
from cbss_analysis.reports.html import export_html

pytestmark = pytest.mark.skipif(not pdf.available(), reason="WeasyPrint or Pango is not installed")


def _wide_notebook():
    import pandas as pd
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from cbss_analysis import readable

    frame = pd.DataFrame({f"A long column heading number {i}": [f"{1000 * i:,} ({i}.0–{i + 1}.0)"] * 60 for i in range(16)}).head(1).pipe(lambda f: pd.concat([f] * 30, ignore_index=True))
    table = readable.html_table(frame, "A wide, long table.")
    return new_notebook(cells=[new_markdown_cell("# 1. Wide\n\n## Section"),
                               new_code_cell("t", outputs=[new_output("display_data", data={"text/html": table,
                                                                                            "text/plain": "t"})])])


def _boxes(box):
    yield box
    for child in getattr(box, "children", []) or []:
        yield from _boxes(child)


def test_wide_tables_fit_the_page_and_every_page_is_numbered_and_bannered(tmp_path):
    import weasyprint

    manifest = {"notebook": "wide", "run": "default", "title": "Wide", "synthetic": True}
    document = export_html(_wide_notebook(), manifest)
    rendered = weasyprint.HTML(string=document, url_fetcher=pdf._offline_fetcher()).render()
    assert len(rendered.pages) >= 2, "the long table runs over several pages"
    for number, page in enumerate(rendered.pages, 1):
        right = page.width - page._page_box.margin_right
        for box in _boxes(page._page_box):
            if type(box).__name__ == "TableBox":
                assert box.position_x + box.margin_width() <= right + 0.5, f"table cut on page {number}"
    path = tmp_path / "wide.pdf"
    rendered.write_pdf(path)
    assert path.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        pages = text.split("\f")
        assert all(SYNTHETIC_BANNER[:40] in p for p in pages if p.strip()), "the banner is on every page"
        assert f"Page 1 of {len(rendered.pages)}" in text
        assert "15,000" in text, "the last column is printed"


def test_only_data_urls_are_fetched():
    fetcher = pdf._offline_fetcher()
    fetch = fetcher.fetch if hasattr(fetcher, "fetch") else fetcher
    for url in ("https://example.org/x.png", "file:///etc/passwd", "http://localhost/x.css"):
        with pytest.raises(ValueError):
            fetch(url)
