"""record(label=, unit=, interval=): what a headline figure says about itself; publish(): tables for export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import cbss_analysis as cbss
from cbss_analysis.disclosure import rule_text
from cbss_analysis.errors import ReportError
from cbss_analysis.records import (
    MIMETYPE,
    TABLE_MIMETYPE,
    read_record_details,
    read_records,
    read_tables,
    store_records_in_metadata,
)
from cbss_analysis.summaries import record_comparison, record_estimate


class _Kernel:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import IPython
        import IPython.display

        self.published: list[dict] = []
        monkeypatch.setattr(IPython, "get_ipython", lambda: object())
        monkeypatch.setattr(IPython.display, "publish_display_data", lambda data, *a, **k: self.published.append(data))

    def notebook(self):
        return new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=d) for d in self.published])])


def test_old_calls_publish_what_they_always_did_and_new_ones_say_more(monkeypatch):
    kernel = _Kernel(monkeypatch)
    cbss.record("n", 5)
    cbss.record("share", np.float64(28.15), label="Share", unit="percent", interval=(np.float64(26.0), 30.4), level=0.95)
    assert kernel.published[0][MIMETYPE] == {"name": "n", "value": 5}
    assert kernel.published[1][MIMETYPE] == {"name": "share", "value": 28.15, "label": "Share", "unit": "percent",
                                             "interval": [26.0, 30.4], "level": 0.95}
    nb = kernel.notebook()
    assert read_records(nb) == {"n": 5, "share": 28.15}
    assert read_record_details(nb)["share"]["unit"] == "percent" and read_record_details(nb)["n"] == {"value": 5}
    store_records_in_metadata(nb)
    assert nb.metadata["cbss"]["record_details"]["share"]["interval"] == [26.0, 30.4]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"unit": "percentage"}, "unit='percentage' is not one of"), ({"label": ""}, "label must be"),
    ({"interval": (1, 2, 3)}, "interval must be two numbers"), ({"level": 95}, "level must be"),
])
def test_bad_details_are_refused(kwargs, message):
    with pytest.raises(ReportError, match=message):
        cbss.record("x", 1, **kwargs)


def _estimates() -> pd.DataFrame:
    table = pd.DataFrame({"variable": ["cyberbullied"] * 2, "level": [pd.NA] * 2, "state": ["EE", "IS"],
                          "estimate": [0.168, np.nan], "se": [0.01, np.nan], "ci_low": [0.154, np.nan],
                          "ci_high": [0.183, np.nan], "n": pd.array([400, pd.NA], dtype="Int64"), "suppressed": [False, True]})
    table.attrs.update(kind="proportion", synthetic=True, level=0.95, min_n=30)
    return table


def test_publish_writes_tidy_labelled_rows_and_keeps_suppression(monkeypatch):
    kernel = _Kernel(monkeypatch)
    cbss.publish(_estimates(), "risk", title="Cyberbullying by state", labels={"cyberbullied": "Cyberbullied"})
    (table,) = read_tables(kernel.notebook())
    assert table["columns"][:4] == ["indicator_id", "indicator", "state", "state_name"]
    rows = [dict(zip(table["columns"], row)) for row in table["rows"]]
    assert rows[0]["estimate"] == pytest.approx(16.8) and rows[0]["unit"] == "percent" and rows[0]["state_name"] == "Estonia"
    assert rows[1]["estimate"] is None and rows[1]["ci_low"] is None and rows[1]["suppressed"] is True
    assert (table["cells"], table["suppressed_cells"], table["synthetic"]) == (2, 1, True)
    assert table["suppression"] == rule_text(30)
    assert TABLE_MIMETYPE in kernel.published[0] and len(kernel.published[0]) == 1, "invisible in notebooks"
    with pytest.raises(ReportError, match="respondent rows"):
        cbss.publish(pd.DataFrame({"weight": [1.0]}), "rows", title="x")
    with pytest.raises(ReportError, match="lower-case"):
        cbss.publish(_estimates(), "Bad Name", title="x")


def test_summaries_record_estimates_with_intervals_and_comparisons_with_their_rule(monkeypatch):
    from cbss_analysis.estimate import significance

    kernel = _Kernel(monkeypatch)
    record_estimate("cyber", _estimates(), "cyberbullied", where={"state": "EE"}, labels={"cyberbullied": "Cyberbullied"})
    differences = pd.DataFrame({"variable": ["cyberbullied", "psmu"], "state": ["EE", "EE"], "estimate": [0.168, 0.05],
                                "reference": [0.129, 0.06], "difference": [0.039, -0.01], "p_value": [1e-6, 0.3],
                                "suppressed": [False, False]})
    differences.attrs.update(kind="comparison", estimate_kind="proportion")
    value = record_comparison("profile", significance.mark(differences), better={"cyberbullied": "lower"})
    details = read_record_details(kernel.notebook())
    assert details["cyber"] == {"value": 16.8, "label": "Cyberbullied (Estonia)", "unit": "percent",
                                "interval": [15.4, 18.3], "level": 0.95}
    assert value["rule"] == "Holm-adjusted p < 0.05 across the 2 differences shown"
    assert value["counts"] == {"higher": 1, "lower": 0, "better": 0, "worse": 1}
    assert value["marked"][0]["difference"] == pytest.approx(3.9) and value["marked"][0]["judgement"] == "worse"
    with pytest.raises(ReportError, match="mark the rows shown first"):
        record_comparison("x", differences)
