"""A run end to end as a reviewer receives it: HTML, PDF, CSV, XLSX, no machine path, warnings on suppression.

The plan is the test fixtures' (tests/report_fixtures) plus a notebook written here that records labelled
figures, publishes a table whose every cell is suppressed and prints its own working folder (an absolute
path that must not reach any file). Starts Jupyter kernels: marked slow.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cbss_analysis import reports
from cbss_analysis.reports import cache as report_cache
from cbss_analysis.reports import pdf
from tests.conftest import write_plan
from tests.reports.machine_paths import machine_paths

pytestmark = pytest.mark.slow

SOURCE = '''import os
import pandas as pd
import cbss_analysis as cbss
print("working in", os.getcwd())
table = pd.DataFrame({"variable": ["cyberbullied"] * 3, "level": [None] * 3, "state": ["DK", "NO", "IS"],
                      "estimate": [None] * 3, "se": [None] * 3, "ci_low": [None] * 3, "ci_high": [None] * 3,
                      "n": [None] * 3, "suppressed": [True] * 3})
table.attrs.update(kind="proportion", synthetic=True, level=0.95, min_n=min_n)
cbss.publish(table, "cyberbullied_by_state", title="Cyberbullied by state", labels={"cyberbullied": "Cyberbullied"})
cbss.record("respondents", 12, label="Respondents", unit="count")
cbss.record("share", 28.15, label="Share of something", unit="percent", interval=(26.0, 30.4), level=0.95)'''


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import shutil

    from tests.conftest import REPORT_FIXTURES

    root = tmp_path_factory.mktemp("reviewer")
    folder = root / "plan"
    shutil.copytree(REPORT_FIXTURES, folder)
    nb = new_notebook(cells=[
        new_markdown_cell("# 3. Everything suppressed\n\n**Question.** What does a reviewer see when every cell is small?"),
        new_code_cell("data_path = None  # CSV file\ncodebook = None  # codebook YAML\nmin_n = 30  # smallest count shown"),
        new_code_cell(SOURCE),
    ])
    nb.cells[1].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "03_small.ipynb")
    plan = write_plan(folder, (folder / "plan.yaml").read_text()
                      + "  - notebook: 03_small\n    parameters: {data_path: table.csv}\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_cache, "library_hash", lambda: "pinned")
        summary = reports.run_plan(plan, out=root / "out", jobs=2, progress=False, pdf=pdf.available())
    assert summary.exit_code == 0, summary.errors
    return folder, root / "out"


def test_every_run_writes_html_pdf_csv_and_xlsx_with_no_machine_path(rendered):
    folder, out = rendered
    run = out / "03_small" / "default"
    names = sorted(p.name for p in run.iterdir())
    assert "03_small-default-cyberbullied_by_state.csv" in names and "03_small-default.xlsx" in names
    if pdf.available():
        assert "03_small-default.pdf" in names and (out / "01_summary" / "default" / "01_summary-default.pdf").is_file()
    assert machine_paths(out, extra=[folder, folder.parent]) == []
    manifest = json.loads((run / "manifest.json").read_text())
    assert all("path" not in item and item["name"] for item in manifest["inputs"])
    assert manifest["inputs"][0]["name"] == "table.csv"
    rows = list(csv.DictReader((run / "03_small-default-cyberbullied_by_state.csv").open()))
    assert [r["estimate"] for r in rows] == ["", "", ""] and {r["synthetic"] for r in rows} == {"true"}


def test_a_report_whose_every_cell_is_suppressed_says_so_first(rendered):
    _, out = rendered
    page = (out / "03_small" / "default" / "03_small-default.html").read_text()
    assert "Every estimate in this report is suppressed: all 3 cells" in page
    assert page.index("cbss-all-suppressed") < page.index("Key findings")
    assert "<h1>Everything suppressed</h1>" in page and "What does a reviewer see" in page
    assert "Share of something: 28.1% (95% CI 26.0–30.4%)." in page
    findings = page.split("Key findings")[1].split("</section>")[0]
    assert "Every one of the 3 estimates in this report's tables is suppressed" in findings, findings


def test_the_index_links_every_report_and_its_files(rendered):
    _, out = rendered
    index = (out / "index.html").read_text()
    assert "Everything suppressed" in index and "What does a reviewer see" in index
    assert "Respondents: 12" in index and "Share of something: 28.1%" in index
    assert 'href="03_small/default/03_small-default.xlsx"' in index
