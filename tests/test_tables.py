"""Readable estimate tables: intervals, suppression, captions, escaping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbss_analysis.tables import SYNTHETIC_NOTE, Table, format_estimates, format_wide


def _table() -> pd.DataFrame:
    table = pd.DataFrame({
        "variable": ["x", "x", "x"], "level": [pd.NA] * 3, "state": ["EE", "LV", "LT"],
        "estimate": [0.1234, np.nan, 0.5], "se": [0.01, np.nan, 0.02], "ci_low": [0.1, np.nan, 0.46],
        "ci_high": [0.15, np.nan, 0.54], "n": [100, 12, 80], "n_weighted": [99.0, 11.0, 81.0],
        "deff": [1.2, np.nan, 1.1], "suppressed": [False, True, False], "df": [10, 10, 10],
    })
    table.attrs.update(kind="proportion", level=0.95, min_n=30, synthetic=True)
    return table


def test_format_estimates_shows_intervals_suppression_and_names():
    shown = format_estimates(_table(), {"x": "Label of x"})
    frame = shown.frame
    assert list(frame["state"]) == ["Estonia", "Latvia", "Lithuania"]
    assert frame["Estimate (%) (95% CI)"].tolist() == ["12.3 (10.0\u201315.0)", "suppressed", "50.0 (46.0\u201354.0)"]
    assert frame["indicator"].unique().tolist() == ["Label of x"]
    assert "fewer than 30 respondents are suppressed" in shown.caption and SYNTHETIC_NOTE in shown.caption


def test_format_wide_puts_states_in_columns():
    wide = format_wide(_table())
    assert wide.frame.columns.tolist() == ["indicator", "Estonia", "Latvia", "Lithuania"]
    assert wide.frame.iloc[0].tolist() == ["x", "12.3", "supp.", "50.0"]
    assert "confidence intervals" not in wide.caption


def test_table_html_escapes_untrusted_text():
    html = Table(pd.DataFrame({"label": ["<b>x</b>"]}), "caption <script>")._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<script>" not in html
