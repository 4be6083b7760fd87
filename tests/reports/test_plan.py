"""cbss_analysis.reports.plan: the report plan expands into runs with checked parameters, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbss_analysis.errors import ReportError
from cbss_analysis.reports.plan import load_plan, override_runs, select_runs
from tests.conftest import REPORT_FIXTURES, write_plan

FIXTURES = REPORT_FIXTURES


def test_fixture_plan_expands_grid_and_defaults() -> None:
    plan = load_plan(FIXTURES / "plan.yaml")
    assert [run.id for run in plan.runs] == ["01_summary/default", "02_profile/DK", "02_profile/NO"]
    assert plan.runs[2].parameters == {"codebook": "codebook.yaml", "data_path": "profile.csv", "state": "NO"}
    assert plan.runs[0].parameters["min_n"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reports:\n  - notebook: 99_missing\n", "unknown notebook '99_missing'"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {min_m: 3}\n", "unknown parameter 'min_m' = 3"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {min_n: ten}\n", "parameter 'min_n' = 'ten' has type str, expected int"),
        ("reports:\n  - notebook: 02_profile\n    parameters: {state: false}\n", "expected str (quote it in YAML)"),
        ("reports:\n  - notebook: 01_summary\n    parameters: {states: DK}\n", "expected list of str or null"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: DK}\n", "grid 'state' must be a non-empty list"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: [DK]}\n    run: '{country}'\n", "uses {country}"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: [D/K]}\n", "not the ISO2 code of a CBSS member state"),
        ("reports:\n  - notebook: 02_profile\n    grid: {state: [DK]}\n    run: '../{state}'\n", "not a safe folder name"),
        ("reports:\n  - notebook: 01_summary\n  - notebook: 01_summary\n", "appears twice"),
        ("reports:\n  - notebook: 01_summary\n    params: {}\n", "unknown key 'params'"),
        ("report:\n  - notebook: 01_summary\n", "unknown key 'report'"),
        ("defaults: {colour: red}\nreports:\n  - notebook: 01_summary\n", "'colour' is not defined by any notebook"),
    ],
)
def test_plan_errors_name_file_notebook_parameter_value(plan_dir: Path, text: str, message: str) -> None:
    path = write_plan(plan_dir, text)
    with pytest.raises(ReportError) as info:
        load_plan(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_norway_is_a_state_not_false(plan_dir: Path) -> None:
    path = write_plan(plan_dir, "reports:\n  - notebook: 02_profile\n    grid: {state: [DK, NO, SE]}\n")
    assert [run.run for run in load_plan(path).runs] == ["DK", "NO", "SE"]


def test_overrides_apply_where_defined_and_are_checked() -> None:
    plan = load_plan(FIXTURES / "plan.yaml")
    runs = override_runs(plan, select_runs(plan, ["02_profile/NO", "01_summary"]), ["min_n=5"])
    assert [r.parameters.get("min_n") for r in runs] == [5, None]
    assert [r.parameters.get("state") for r in runs] == [None, "NO"]
    with pytest.raises(ReportError, match="'state' names the runs of notebook '02_profile'"):
        override_runs(plan, select_runs(plan, ["02_profile/NO"]), ["state=SE"])  # NO's output must not hold SE
    with pytest.raises(ReportError, match="no selected notebook defines parameter 'colour'"):
        override_runs(plan, plan.runs, ["colour=red"])
    with pytest.raises(ReportError, match="parameter 'min_n' = 'many'"):
        override_runs(plan, plan.runs, ["min_n=many"])
    with pytest.raises(ReportError, match="expected key=value"):
        override_runs(plan, plan.runs, ["min_n"])
    with pytest.raises(ReportError, match="--only 'nope' matches no run"):
        select_runs(plan, ["nope"])
