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


def test_the_package_name_is_the_records_function():
    import cbss_analysis.records
    from cbss_analysis import record

    assert record is cbss.record is cbss_analysis.records.record
    assert callable(record) and record.__module__ == "cbss_analysis.records"
    assert cbss.records is cbss_analysis.records, "importing the module does not shadow the function, nor the reverse"


class _Kernel:
    """Stands in for IPython: a shell that is there, and the displays published through it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, in_kernel: bool) -> None:
        import IPython
        import IPython.display

        self.published: list[dict] = []
        monkeypatch.setattr(IPython, "get_ipython", lambda: object() if in_kernel else None)
        monkeypatch.setattr(IPython.display, "publish_display_data", lambda data, *a, **k: self.published.append(data))


def test_outside_a_kernel_record_only_validates(capsys, monkeypatch):
    kernel = _Kernel(monkeypatch, in_kernel=False)
    cbss.record("n", np.int64(3))
    assert kernel.published == []
    assert capsys.readouterr().out == ""
    with pytest.raises(ReportError):
        cbss.record("x", object())


def test_in_a_kernel_record_publishes_an_invisible_json_safe_display(monkeypatch):
    kernel = _Kernel(monkeypatch, in_kernel=True)
    cbss.record("summary", {"estimate": np.float32(0.25), "missing": np.nan, "n": np.int64(5)})
    (data,) = kernel.published
    assert list(data) == [MIMETYPE], "no text/plain: Jupyter shows nothing for it"
    assert data[MIMETYPE] == {"name": "summary", "value": {"estimate": 0.25, "missing": None, "n": 5}}
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    with pytest.raises(ReportError):
        cbss.record("", 1)
    assert len(kernel.published) == 1, "a refused record publishes nothing"


def test_what_record_publishes_read_records_reads_back(monkeypatch):
    kernel = _Kernel(monkeypatch, in_kernel=True)
    cbss.record("n", np.int64(5))
    cbss.record("share", pd.Series({"EE": 0.1, "LV": np.nan}))
    cbss.record("n", 6)
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=d) for d in kernel.published])])
    assert read_records(nb) == {"n": 6, "share": {"EE": 0.1, "LV": None}}


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
