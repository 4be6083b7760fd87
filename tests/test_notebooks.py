"""The analysis notebooks run on other surveys than the embedded one, and stop cleanly on bad parameters.

`pytest --nbval notebooks/` (in `make test`) proves that the committed outputs reproduce on the
embedded data; here every notebook is executed through papermill on a second, differently seeded
synthetic survey and on a survey without the CBSS online-risk module, asserting on the figures
each notebook records with ``cbss_analysis.record``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill
import pytest

from cbss_analysis import paths, synthetic
from cbss_analysis.records import read_records

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("0*.ipynb"))
pytestmark = pytest.mark.slow


def _run(notebook: Path, out: Path, **parameters) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        str(notebook), str(out), parameters=parameters, kernel_name="python3", cwd=str(paths.NOTEBOOKS_DIR),
        progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


ONE_SURVEY = [nb for nb in NOTEBOOKS if nb.stem != "07_trends"]
"""The notebooks of one survey file (07_trends takes one file per cycle: tested on its own below)."""


def _run_all(folder: Path, **parameters) -> dict[str, dict]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {nb.stem: pool.submit(_run, nb, folder / nb.name, **parameters) for nb in ONE_SURVEY}
        return {name: read_records(future.result()) for name, future in futures.items()}


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("seed7")
    data = synthetic.write_sav(synthetic.generate(seed=7, n=12_000), folder / "seed7.sav")
    return _run_all(folder, data_path=str(data))


@pytest.fixture(scope="module")
def without_module(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("hbsc_only")
    data = synthetic.write_sav(synthetic.generate(seed=11, n=12_000, include_online_risk=False), folder / "hbsc_only.sav")
    return _run_all(folder, data_path=str(data), states=["EE", "LV", "LT"])


def test_seven_notebooks_exist():
    assert [nb.stem for nb in NOTEBOOKS] == [
        "01_regional_strategy", "02_data_overview", "03_attitudes", "04_online_risk", "05_trusted_adults", "06_state_profile",
        "07_trends",
    ]


def test_notebooks_on_a_differently_seeded_survey(other_seed):
    assert other_seed["02_data_overview"]["respondents"] == 12_000
    assert other_seed["01_regional_strategy"]["states_with_full_ban"] == 10
    assert 0.05 < other_seed["04_online_risk"]["cyberbullied_regional_pct"] / 100 < 0.3
    assert other_seed["04_online_risk"]["model_outcome"] == "met_online_contact_offline"
    assert 0.5 < other_seed["03_attitudes"]["alpha_selfdisclosure_median"] < 1
    assert other_seed["05_trusted_adults"]["or_family_support_high"] < 1
    profile = other_seed["06_state_profile"]
    assert profile["indicators_profiled"] > 20
    assert profile["above_regional_holm"] + profile["below_regional_holm"] <= profile["indicators_profiled"]


def test_notebooks_on_a_survey_without_the_online_risk_module(without_module):
    coverage = without_module["02_data_overview"]
    assert coverage["respondents"] == 12_000
    assert coverage["indicators_available"] < 33
    assert without_module["04_online_risk"]["model_outcome"] == "cyberbullied"
    assert "permissive_any_regional" not in without_module["03_attitudes"]
    assert without_module["06_state_profile"]["indicators_profiled"] < 25


@pytest.mark.parametrize(
    ("parameters", "message"),
    [({"state": "XX"}, "unknown state 'XX'"), ({"data_path": "/no/such/file.sav"}, "no such file")],
)
def test_bad_parameters_stop_in_the_first_cells(tmp_path, parameters, message):
    with pytest.raises(papermill.PapermillExecutionError) as info:
        _run(paths.NOTEBOOKS_DIR / "06_state_profile.ipynb", tmp_path / "out.ipynb", **parameters)
    assert message in str(info.value)
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    failed = [i for i, cell in enumerate(executed.cells) if any(o.get("output_type") == "error" for o in cell.get("outputs", []))]
    first_code = [i for i, cell in enumerate(executed.cells) if cell.cell_type == "code"]
    assert failed and failed[0] <= first_code[2]
    error = next(o for o in executed.cells[failed[0]].outputs if o.get("output_type") == "error")
    assert len(error["traceback"]) == 1


def test_the_trends_notebook_on_three_cycles_and_some_states(tmp_path):
    from cbss_analysis.synthetic.cycles import embedded_cycle_paths

    files = [str(p) for p in embedded_cycle_paths()[2:]]
    executed = _run(paths.NOTEBOOKS_DIR / "07_trends.ipynb", tmp_path / "07.ipynb", data_path=files,
                    states=["EE", "LV", "LT"], show_states=[], indicators=["been_bullied", "easy_talk_father", "psmu"])
    records = read_records(executed)
    assert set(records) == {"been_bullied_regional_change_pp", "easy_talk_father_regional_change_pp", "steepest_linear_trend"}
    assert records["steepest_linear_trend"]["state"] in {"EE", "LV", "LT"}
