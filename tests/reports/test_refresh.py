"""cbss_analysis.reports.refresh: re-executing a notebook in place gives the same bytes twice."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cbss_analysis import paths
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.refresh import KERNELSPEC, main, normalise, notebooks, refresh


@pytest.mark.slow
def test_notebooks_refresh_is_deterministic(plan_dir: Path) -> None:
    path = plan_dir / "01_summary.ipynb"
    refresh(path)
    first = path.read_bytes()
    refresh(path)
    assert path.read_bytes() == first
    nb = json.loads(first)
    assert "papermill" not in nb["metadata"] and nb["metadata"]["kernelspec"]["name"] == "python3"
    assert all("papermill" not in c["metadata"] and "execution" not in c["metadata"] for c in nb["cells"])
    assert any(c.get("outputs") for c in nb["cells"])


def test_normalise_strips_run_to_run_noise_and_keeps_cell_ids() -> None:
    source = new_notebook(cells=[new_code_cell("1"), new_code_cell("2")])
    executed = nbformat.from_dict(json.loads(nbformat.writes(source)))
    executed.metadata["papermill"] = {"duration": 1.5}
    executed.metadata["kernelspec"] = {"name": "python3", "display_name": "My machine's Python"}
    for cell in executed.cells:
        cell.metadata["papermill"] = {"start_time": "now"}
        cell.metadata["execution"] = {"iopub.status.busy": "now"}
        cell["id"] = "changed"
    normalise(executed, source)
    assert "papermill" not in executed.metadata and executed.metadata["kernelspec"] == KERNELSPEC
    assert all(not cell.metadata for cell in executed.cells)
    assert [cell["id"] for cell in executed.cells] == [cell["id"] for cell in source.cells]


def test_notebooks_are_the_committed_ones_or_those_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert notebooks() == sorted(paths.NOTEBOOKS_DIR.glob("0*.ipynb")) and len(notebooks()) == 7
    assert notebooks(["03_attitudes"]) == notebooks(["03_attitudes.ipynb"]) == [paths.NOTEBOOKS_DIR / "03_attitudes.ipynb"]
    with pytest.raises(ReportError, match="no such notebook; available: 01_regional_strategy, 02_data_overview"):
        notebooks(["nope"])
    assert main(["nope"]) == 2
    assert "error: " in capsys.readouterr().err


def test_consecutive_stream_outputs_are_joined_whatever_the_timing() -> None:
    from nbformat.v4 import new_output

    from cbss_analysis.reports.execute import coalesced_streams

    split = [new_output("stream", name="stderr", text="a\n"), new_output("stream", name="stderr", text=["b\n"]),
             new_output("stream", name="stdout", text="c\n"), new_output("stream", name="stderr", text="d\n")]
    joined = coalesced_streams(split)
    assert [(o["name"], o["text"]) for o in joined] == [("stderr", "a\nb\n"), ("stdout", "c\n"), ("stderr", "d\n")]
