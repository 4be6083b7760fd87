"""Privacy: no notebook output shows respondent-level rows of the survey (these are data about children)."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

import cbss_analysis as cbss
from cbss_analysis import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("0*.ipynb"))


def _output_text(path) -> str:
    notebook = nbformat.read(path, as_version=4)
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts.extend(str(data.get(kind, "")) for kind in ("text/plain", "text/html", "text/markdown"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def respondent_fingerprints() -> list[str]:
    """Weights at full precision: a respondent's row, shown anywhere, would carry one of them."""
    weights = cbss.load_survey().data["weight"].to_numpy()
    distinct = np.unique(np.round(weights, 6))
    fingerprints = [f"{w:.6f}" for w in distinct if len(f"{w:.6f}".rstrip("0")) >= 7]
    covered = np.isin(np.round(weights, 6), [float(w) for w in fingerprints]).mean()
    assert covered > 0.95, f"only {covered:.0%} of respondents carry a distinctive weight: the check would miss the others"
    return fingerprints


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_respondent_rows_in_committed_outputs(path, respondent_fingerprints):
    text = _output_text(path)
    assert "seqno_int" not in text, "a respondent id column is shown"
    shown = [w for w in respondent_fingerprints if w in text]
    assert not shown, f"respondent weights appear in the outputs: {shown[:3]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_never_print_frames_of_the_data(path):
    sources = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    for forbidden in ("survey.data.head", "survey.data.sample", "survey.data.tail", "survey.data\n", "display(survey.data"):
        assert forbidden not in sources + "\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_committed_notebook_output_carries_a_machine_path(path) -> None:
    from cbss_analysis.reports.redact import FORBIDDEN_PREFIXES

    text = _output_text(path)
    found = [prefix for prefix in (*FORBIDDEN_PREFIXES, str(paths.PROJECT_ROOT)) if prefix in text]
    found += re.findall(r"/[^\s\"'<>]*/cbss_analysis/[^\s\"'<>]*\.py", text)  # a warning's source file, wherever checked out
    assert not found, f"{path.name} shows {found}"
