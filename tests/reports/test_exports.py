"""cbss_analysis.reports.exports: tidy CSV and one workbook; suppressed cells stay suppressed."""

from __future__ import annotations

import csv
import io

from cbss_analysis.reports.exports import csv_text, export_files

TABLE = {
    "name": "risk", "title": "Online risk by state", "columns": ["indicator_id", "indicator", "state", "state_name",
                                                                 "estimate", "ci_low", "ci_high", "n", "suppressed", "unit"],
    "rows": [["cyberbullied", "Cyberbullied", "EE", "Estonia", 16.8, 15.4, 18.3, 400, False, "percent"],
             ["cyberbullied", "Cyberbullied", "IS", "Iceland", None, None, None, None, True, "percent"]],
    "synthetic": True, "source": "the embedded synthetic survey",
    "suppression": "estimates from fewer than 30 respondents are suppressed", "cells": 2, "suppressed_cells": 1,
}


def test_csv_is_tidy_labelled_and_says_synthetic():
    rows = list(csv.DictReader(io.StringIO(csv_text(TABLE))))
    assert rows[0]["state_name"] == "Estonia" and rows[0]["synthetic"] == "true" and rows[0]["unit"] == "percent"
    assert rows[0]["source"] == "the embedded synthetic survey"
    assert (rows[1]["estimate"], rows[1]["ci_low"], rows[1]["n"], rows[1]["suppressed"]) == ("", "", "", "true")


def test_workbook_has_an_about_sheet_and_a_sheet_per_table():
    from openpyxl import load_workbook

    files = export_files([TABLE, {**TABLE, "name": "risk"}], "04_online_risk-default", "Online risk", True)
    assert list(files) == ["04_online_risk-default-risk.csv", "04_online_risk-default-risk_2.csv",
                           "04_online_risk-default.xlsx"], "a name used twice is not overwritten"
    book = load_workbook(io.BytesIO(files["04_online_risk-default.xlsx"]))
    assert book.sheetnames == ["About", "risk", "risk_2"]
    about = [[c for c in row if c is not None] for row in book["About"].iter_rows(values_only=True)]
    assert about[0] == ["Online risk"] and "SYNTHETIC DATA" in about[1][0]
    assert any("fewer than 30 respondents" in str(cell) for row in about for cell in row)
    sheet = list(book["risk"].iter_rows(values_only=True))
    assert sheet[0][-2:] == ("synthetic", "source") and sheet[2][4] is None, "the suppressed estimate is empty"
    assert export_files([], "x", "x", False) == {}


def test_a_workbook_has_the_same_bytes_whenever_it_is_made(monkeypatch):
    import time

    first = export_files([TABLE], "04_online_risk-default", "Online risk", True)
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    monkeypatch.setattr(time, "localtime", lambda *_: time.struct_time((2033, 5, 18, 3, 33, 20, 2, 138, 0)))
    again = export_files([TABLE], "04_online_risk-default", "Online risk", True)
    assert first == again, "the same run renders the same workbook locally and on a Dask worker"
