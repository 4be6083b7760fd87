"""cbss_analysis.readable and common.numbers: tables a person reads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbss_analysis.common.numbers import format_interval, format_number, format_value
from cbss_analysis.readable import html_table, readable_frame
from cbss_analysis.tables import Table


def test_numbers_read_as_numbers():
    assert [format_number(v) for v in (1151342, 1.151e6, 260327.5, 0.2815, np.nan, pd.NA, None, True)] == [
        "1,151,342", "1,151,000", "260,327.5", "0.281", "–", "–", "–", "yes"]
    assert format_value(28.15, "percent") == "28.1%" and format_value(3.14, "pp", signed=True) == "+3.1 pp"
    assert format_value(2014.0, "year") == "2014" and format_interval(12, 16.61, "percent") == "12.0–16.6%"
    assert format_interval(-2.54, -0.31, "pp") == "-2.5 to -0.3 pp", "no dash between two minus signs"


def test_a_table_reads_like_a_table_not_like_code():
    frame = pd.DataFrame({"state": ["EE", "RU"], "ban_year": [2014.0, np.nan], "population_under18_2022": [260327.5, 3.0e7],
                          "variable": ["cyberbullied", "psmu"], "suppressed": [False, True], "odd_ratio_x": [0.5, 1e-7]})
    shown = readable_frame(frame, labels={"cyberbullied": "Cyberbullied"}, missing={"ban_year": "no full ban"})
    assert list(shown.columns) == ["State", "Full ban on corporal punishment (year)", "Children under 18 (2022)",
                                   "Indicator", "Odd ratio x"]
    assert shown.iloc[0].tolist()[:4] == ["Estonia", "2014", "260,328", "Cyberbullied"]
    assert shown.iloc[1].tolist()[:4] == ["Russia", "no full ban", "30,000,000", "psmu"]
    hidden = readable_frame(pd.DataFrame({"state": ["IS"], "alpha": [np.nan], "suppressed": [True]}))
    assert hidden.iloc[0].tolist() == ["Iceland", "suppressed"], "no Suppressed column; the blank says why"
    assert "e-07" not in shown.to_string() and "<NA>" not in shown.to_string()


def test_html_has_a_caption_headers_with_scope_and_aligned_cells():
    page = html_table(pd.DataFrame({"state": ["EE"], "n": [1234], "<b>x</b>": ["<i>y</i>"]}), "Caption <b>.")
    assert "<caption" in page and "Caption &lt;b&gt;.</caption>" in page
    assert '<th scope="col" class="txt" style="text-align: left">State</th>' in page
    assert '<th scope="row" class="txt" style="text-align: left">Estonia</th>' in page
    assert 'class="num" style="text-align: right; white-space: nowrap">1,234</td>' in page
    assert "<i>y</i>" not in page and "&lt;i&gt;y&lt;/i&gt;" in page
    assert "Caption" in repr(Table(pd.DataFrame({"n": [1]}), "Caption"))
