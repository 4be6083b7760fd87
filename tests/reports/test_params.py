"""cbss_analysis.reports.params: parameter types read from a notebook's parameters cell, and --param values."""

from __future__ import annotations

import papermill

from cbss_analysis.reports.params import ParamType, notebook_parameters, parse_cli_value
from tests.conftest import REPORT_FIXTURES

FIXTURES = REPORT_FIXTURES


def test_parameter_types_and_cli_values() -> None:
    assert parse_cli_value("NO", ParamType(str)) == "NO"
    assert parse_cli_value("2", ParamType(str)) == "2"
    assert parse_cli_value("[DK, NO]", ParamType(list, str, optional=True)) == ["DK", "NO"]
    assert parse_cli_value("null", ParamType(list, str, optional=True)) is None
    assert ParamType(float).accepts(3) and not ParamType(int).accepts(True)


def test_parameters_match_papermill_inspection() -> None:
    notebooks = sorted(FIXTURES.glob("*.ipynb"))
    assert [nb.stem for nb in notebooks] == ["01_summary", "02_profile"]
    for notebook in notebooks:
        ours = notebook_parameters(notebook)
        theirs = papermill.inspect_notebook(str(notebook))
        assert theirs and all(ours[name] == info for name, info in theirs.items())
    # papermill skips lines with two "=" (a comment "None = table.csv"); we do not
    assert "data_path" in notebook_parameters(FIXTURES / "01_summary.ipynb")
