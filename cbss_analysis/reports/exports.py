"""The numbers of a run for reuse: one tidy CSV per published table and one XLSX workbook.

A notebook marks a table for export with :func:`cbss_analysis.publish`; the run's executed
notebook carries it (:func:`cbss_analysis.records.read_tables`), and :func:`export_files` makes

- ``<notebook>-<run>-<table>.csv``: UTF-8, one header row of tidy column names, every row with
  ``synthetic`` (``true``/``false``) and ``source`` columns; suppressed cells are empty, as
  in the report;
- ``<notebook>-<run>.xlsx``: a sheet "About" (the report's title, the synthetic-data banner,
  each table's source, suppression rule and significance rule, in words) and one sheet per
  table with the same columns as its CSV.

Only what the notebook published is written: no respondent row, no suppressed value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from cbss_analysis.common.notices import SYNTHETIC_BANNER

SHEET_CHARS = 31
_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def csv_names(stem: str, tables: Sequence[Mapping[str, Any]]) -> list[str]:
    """``<stem>-<table name>.csv`` for each table; a name used twice gets ``_2``, ``_3``, ... as its sheet does."""
    return [f"{stem}-{name}.csv" for name in _unique_names(tables, limit=None)]


def _rows(table: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    columns = [*table["columns"], "synthetic", "source"]
    synthetic = "true" if table.get("synthetic") else "false"
    rows = [[*row, synthetic, table.get("source") or ""] for row in table["rows"]]
    return columns, rows


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_text(table: Mapping[str, Any]) -> str:
    """A published table as tidy CSV text (empty cells for missing and suppressed values)."""
    columns, rows = _rows(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def _unique_names(tables: Sequence[Mapping[str, Any]], limit: int | None) -> list[str]:
    """Each table's name made safe for a file or sheet name, at most ``limit`` characters, unique ignoring case."""
    names, used = [], {"about"}
    for table in tables:
        base = (_SAFE.sub("_", str(table["name"])) or "table")[:limit]
        name, counter = base, 2
        while name.lower() in used:
            suffix = f"_{counter}"
            name, counter = base[: None if limit is None else limit - len(suffix)] + suffix, counter + 1
        used.add(name.lower())
        names.append(name)
    return names


def _sheet_names(tables: Sequence[Mapping[str, Any]]) -> list[str]:
    return _unique_names(tables, limit=SHEET_CHARS)


def workbook_bytes(tables: Sequence[Mapping[str, Any]], title: str, synthetic: bool) -> bytes:
    """One XLSX workbook: an "About" sheet, then a sheet per table (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    about = book.active
    about.title = "About"
    about.append([title])
    about["A1"].font = Font(bold=True, size=13)
    if synthetic:
        about.append([SYNTHETIC_BANNER])
        about["A2"].font = Font(bold=True, color="B00020")
    about.append([])
    about.append(["sheet", "table", "source", "suppression", "significance", "notes"])
    for cell in about[about.max_row]:
        cell.font = Font(bold=True)
    names = _sheet_names(tables)
    for name, table in zip(names, tables):
        about.append([name, table.get("title", ""), table.get("source", ""), table.get("suppression") or "",
                      table.get("significance") or "", table.get("notes") or ""])
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 60
    for name, table in zip(names, tables):
        sheet = book.create_sheet(name)
        columns, rows = _rows(table)
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([None if v is None else v for v in row])
        sheet.freeze_panes = "A2"
    book.properties.created = book.properties.modified = _FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _without_zip_times(buffer.getvalue())


_FIXED_TIME = dt.datetime(2000, 1, 1)
"""The workbook's created/modified time: fixed, so that a run's workbook has the same bytes wherever it is rendered."""


def _without_zip_times(data: bytes) -> bytes:
    """The zip archive ``data`` with every entry dated 1980-01-01 (openpyxl stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def export_files(tables: Sequence[Mapping[str, Any]], stem: str, title: str, synthetic: bool) -> dict[str, bytes]:
    """The CSV files and the workbook of a run, file name -> content, in that order (the workbook last).

    Empty when the notebook published nothing. The caller writes them (atomically, with the run's other files).
    """
    if not tables:
        return {}
    files = {name: csv_text(table).encode("utf-8") for name, table in zip(csv_names(stem, tables), tables)}
    files[f"{stem}.xlsx"] = workbook_bytes(tables, title, synthetic)
    return files
