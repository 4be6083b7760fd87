"""The report pipeline keeps decoded surveys in <out>/.survey-cache (private, reused, opt-out), and nowhere else."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cbss_analysis import reports

TESTS = Path(__file__).resolve().parents[1]


def _plan(folder: Path) -> Path:
    shutil.copy(TESTS / "fixtures" / "mini_codebook.yaml", folder / "codebook.yaml")
    shutil.copy(TESTS / "bad_inputs" / "valid.csv", folder / "data.csv")
    nb = new_notebook(cells=[
        new_code_cell('label = "a"  # a label', metadata={"tags": ["parameters"]}),
        new_code_cell("from cbss_analysis.survey import load_survey\n"
                      "survey = load_survey('data.csv', 'codebook.yaml')\nprint(label, len(survey), survey.data['sex'].value_counts().to_dict())"),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "load.ipynb")
    (folder / "plan.yaml").write_text("reports:\n  - notebook: load\n    grid: {label: [a, b, c]}\n", encoding="utf-8")
    return folder / "plan.yaml"


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in sorted(out.glob("load/*/load-*.ipynb"))}


@pytest.mark.slow
def test_runs_share_a_private_survey_cache_in_the_output_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    folder.mkdir()
    plan = _plan(folder)
    out = tmp_path / "out"
    assert reports.run_plan(plan, out=out, jobs=2, progress=False).ran == 3
    cache = out / ".survey-cache"
    entries = list(cache.glob("*.arrow"))
    assert len(entries) == 1 and stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(entries[0].stat().st_mode) == 0o600
    first = _outputs(out)
    assert reports.run_plan(plan, out=out, jobs=2, progress=False, force=True).ran == 3
    assert _outputs(out) == first and list(cache.glob("*.arrow")) == entries
    assert ".survey-cache" not in (out / "index.html").read_text()
    assert not list(folder.rglob("*.arrow")), "nothing cached beside the data or the notebooks"

    plain = tmp_path / "plain"
    assert reports.run_plan(plan, out=plain, jobs=2, progress=False, survey_cache=False).ran == 3
    assert not (plain / ".survey-cache").exists()
    assert _outputs(plain) == first, "the cache changes no output"
