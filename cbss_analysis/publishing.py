"""Tables a notebook marks for reuse: the report pipeline writes them as tidy CSV and one XLSX workbook.

>>> import cbss_analysis as cbss
>>> cbss.publish(risk_table, "online_risk_by_state", title="Online risk indicators by state")   # doctest: +SKIP

:func:`publish` turns an estimate table (or a comparison, or any small table of aggregates) into
tidy rows with labels and units (indicator id and label, state code and name, estimate and
interval in percent for proportions, ``unit``, ``synthetic``, ``source``) and publishes them as an
invisible ``display_data`` output of mimetype :data:`cbss_analysis.records.TABLE_MIMETYPE`, as
:func:`cbss_analysis.records.record` does for headline figures. The pipeline
(:mod:`cbss_analysis.reports.exports`) collects these outputs from the executed notebook
(:func:`cbss_analysis.records.read_tables`).
Suppressed cells stay suppressed: their estimate, interval, standard error, design effect,
difference and p-values are blank in the files, as in the table; the suppression rule is stated
in words beside the table (:func:`cbss_analysis.disclosure.rule_text`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import pandas as pd

from cbss_analysis.disclosure import rule_text
from cbss_analysis.errors import ReportError
from cbss_analysis.records import TABLE_MIMETYPE, json_safe
from cbss_analysis.states import state_names

MAX_TABLE_CHARS = 4_000_000
"""Largest published table, as JSON text (aggregates, never respondent rows)."""
BLANK_WHEN_SUPPRESSED: tuple[str, ...] = (
    "estimate", "se", "ci_low", "ci_high", "deff", "n_weighted", "reference", "difference", "p_value", "p_holm",
    "p_adjusted", "significant", "df",
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
_RESPONDENT_COLUMNS = {"weight", "cluster", "psu", "id", "respondent"}


def tidy(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, str | None]:
    """Tidy rows of ``table`` with labels and units, suppressed cells blank; and the unit of its estimates.

    Estimate tables (``variable``, ``estimate``, ...) get ``indicator_id``, ``indicator``, the by
    columns (``state`` with ``state_name``), the values (proportions x100, unit ``percent``),
    ``n``, ``suppressed``. Comparison tables add ``reference``, ``difference`` (unit ``pp`` for
    proportions), ``p_value`` and, when marked, ``p_adjusted`` and ``significant``. Other tables
    keep their columns, with ``state_name`` beside a ``state`` column.
    """
    labels = dict(labels or table.attrs.get("labels") or {})
    frame = table.copy()
    if "suppressed" in frame.columns:
        hidden = frame["suppressed"].fillna(False).astype(bool).to_numpy()
        for column in BLANK_WHEN_SUPPRESSED:
            if column in frame.columns:
                frame[column] = frame[column].astype(object).where(~hidden, None)
    kind = table.attrs.get("estimate_kind", table.attrs.get("kind"))
    is_estimates = {"variable", "estimate"} <= set(frame.columns)
    unit = None
    if is_estimates:
        percent = kind == "proportion"
        scale = 100.0 if percent else 1.0
        value_columns = ["estimate", "ci_low", "ci_high", "se", "reference", "difference"]
        for column in value_columns:
            if column in frame.columns:
                frame[column] = pd.to_numeric(frame[column], errors="coerce") * scale
        unit = "percent" if percent else (kind or None)
        frame.insert(0, "indicator", frame["variable"].astype(str).map(lambda v: labels.get(v, v)))
        frame = frame.rename(columns={"variable": "indicator_id", "level": "category"})
        frame = frame[["indicator_id", *[c for c in frame.columns if c != "indicator_id"]]]
        if "category" in frame.columns and frame["category"].isna().all():
            frame = frame.drop(columns="category")
        frame["unit"] = unit
        if "difference" in frame.columns:
            frame["difference_unit"] = "pp" if percent else unit
    if "state" in frame.columns and "state_name" not in frame.columns:
        names = state_names()
        frame.insert(list(frame.columns).index("state") + 1, "state_name",
                     frame["state"].astype("string").map(lambda v: names.get(v, v) if isinstance(v, str) else v))
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("string")
    return frame.reset_index(drop=True), unit


def publish(table: pd.DataFrame, name: str, *, title: str, labels: Mapping[str, str] | None = None,
            source: str | None = None, notes: str | None = None, synthetic: bool | None = None) -> None:
    """Mark a table for export: the report writes it as ``<report>-<name>.csv`` and a sheet of the workbook.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimate or comparison table of :mod:`cbss_analysis.estimate`, or another table of
        aggregates (never respondent rows).
    name : str
        File-name part, unique within the notebook: lower-case letters, digits, ``_`` and ``-``.
    title : str
        What the table is, in words (the sheet's title and the report's download list).
    labels : mapping, optional
        Indicator id -> label (default ``table.attrs["labels"]``).
    source : str, optional
        Where the numbers come from (default ``table.attrs["source"]``, else the survey).
    notes : str, optional
        One more sentence for the reader of the file.
    synthetic : bool, optional
        Whether the numbers come from synthetic data (default ``table.attrs["synthetic"]``; pass
        ``survey.synthetic`` for tables that do not carry it).

    Raises
    ------
    ReportError
        A bad name, an empty title, a table that looks like respondent rows, or one too large.

    Notes
    -----
    Outside an IPython kernel this only checks the table.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ReportError(f"publish(name={name!r}): use 1-60 lower-case letters, digits, '_' or '-'")
    if not isinstance(title, str) or not title.strip():
        raise ReportError(f"publish({name!r}): title must be a non-empty string")
    if not isinstance(table, pd.DataFrame):
        raise ReportError(f"publish({name!r}): pass a pandas DataFrame, not a {type(table).__name__}")
    if _RESPONDENT_COLUMNS & {str(c).lower() for c in table.columns}:
        raise ReportError(f"publish({name!r}): the table has design columns ({', '.join(sorted(_RESPONDENT_COLUMNS))}); "
                          "publish aggregates, never respondent rows")
    frame, unit = tidy(table, labels)
    synthetic = bool(table.attrs.get("synthetic", False) if synthetic is None else synthetic)
    min_n = table.attrs.get("min_n")
    suppressed = int(frame["suppressed"].fillna(False).astype(bool).sum()) if "suppressed" in frame.columns else 0
    cells = len(frame) if "suppressed" in frame.columns else 0
    significance = table.attrs.get("significance") if "significant" in table.columns else None
    payload = {
        "name": name,
        "title": title.strip(),
        "columns": [str(c) for c in frame.columns],
        "rows": json_safe([list(row) for row in frame.astype(object).itertuples(index=False, name=None)], name),
        "unit": unit,
        "synthetic": synthetic,
        "source": source or table.attrs.get("source") or ("the survey named in the report header"),
        "suppression": rule_text(min_n) if min_n is not None else None,
        "cells": cells,
        "suppressed_cells": suppressed,
        "significance": significance.get("text") if significance else None,
        "notes": notes,
    }
    if len(json.dumps(payload)) > MAX_TABLE_CHARS:
        raise ReportError(f"publish({name!r}): the table is over {MAX_TABLE_CHARS:,} characters as JSON")
    from IPython import get_ipython
    from IPython.display import publish_display_data

    if get_ipython() is not None:
        publish_display_data({TABLE_MIMETYPE: payload})
