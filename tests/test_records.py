"""record(): headline figures published from a kernel and read back from the notebook."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import cbss_analysis as cbss
from cbss_analysis.errors import ReportError
from cbss_analysis.records import MIMETYPE, json_safe, read_records, store_records_in_metadata


def test_json_safe_converts_numpy_pandas_and_nan():
    value = {"n": np.int64(5), "share": np.float32(0.5), "missing": np.nan, "na": pd.NA, "ok": np.bool_(True),
             "inf": float("inf"), "list": (1, np.float64(2.5)), 7: "seven"}
    assert json_safe(value) == {"n": 5, "share": 0.5, "missing": None, "na": None, "ok": True, "inf": None,
                                "list": [1, 2.5], "7": "seven"}
    assert json_safe(pd.Series({"EE": 0.1, "LV": np.nan})) == {"EE": 0.1, "LV": None}
    assert json_safe(np.array(3.0)) == 3.0
    json.dumps(json_safe(value), allow_nan=False)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("", 1, "name must be a non-empty string"),
    ("x", object(), r"record\('x'\): a object cannot be recorded"),
    ("x", {(1, 2): 3}, r"dict key \(1, 2\) is not a string"),
    ("big", list(range(5000)), "over 10000 characters"),
])
def test_bad_records_raise(name, value, message):
    with pytest.raises(ReportError, match=message):
        cbss.record(name, value)


def test_outside_a_kernel_record_only_validates(capsys):
    assert cbss.record("n", np.int64(3)) is None
    assert capsys.readouterr().out == ""


def test_record_stays_a_function_after_the_module_is_imported():
    import cbss_analysis.records  # noqa: F401
    from cbss_analysis import record

    assert record("n", 1) is None


def _output(payload: dict | str) -> nbformat.NotebookNode:
    return new_output("display_data", data={MIMETYPE: payload})


def test_read_records_later_wins_and_falls_back_to_metadata(tmp_path):
    nb = new_notebook(cells=[new_code_cell("", outputs=[_output({"name": "a", "value": 1})]),
                             new_code_cell("", outputs=[_output(json.dumps({"name": "a", "value": 2}))])])
    assert read_records(nb) == {"a": 2}
    assert store_records_in_metadata(nb) == {"a": 2}
    assert nb.metadata["cbss"]["records"] == {"a": 2}
    for cell in nb.cells:
        cell.outputs = []
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert read_records(path) == {"a": 2}
    assert read_records(new_notebook()) == {}


@pytest.mark.slow
def test_records_from_an_executed_notebook(tmp_path):
    from nbclient import NotebookClient

    nb = new_notebook(cells=[
        new_code_cell("import numpy as np\nfrom cbss_analysis import record"),
        new_code_cell('record("n", np.int64(5))\nrecord("share", float("nan"))'),
        new_code_cell('record("summary", {"estimate": np.float32(0.25), "state": "EE"})\nrecord("n", 6)'),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells for o in cell.outputs]
    assert outputs and all(o.output_type == "display_data" and list(o.data) == [MIMETYPE] for o in outputs)
    expected = {"n": 6, "share": None, "summary": {"estimate": 0.25, "state": "EE"}}
    assert read_records(nb) == expected
    store_records_in_metadata(nb)
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    nbformat.validate(nbformat.read(path, as_version=4))
    assert nbformat.read(path, as_version=4).metadata["cbss"]["records"] == expected
