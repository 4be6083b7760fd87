"""Tables a person reads: labels not ids, state names, numbers with separators, a dash for missing, a real caption.

:func:`readable_frame` turns a table of aggregates into text cells (column titles in words,
``state`` codes into names, indicator and term ids into their labels, ``1,151,000`` not
``1.151e+06``, ``–`` for missing, ``yes``/``no`` for booleans, a column's own word for a blank
where a blank means something, e.g. "no full ban"); :func:`html_table` writes it as an HTML
``<table>`` with a ``<caption>``, ``<th scope="col">`` headers, the first column as
``<th scope="row">``, text left-aligned and numbers right-aligned; :func:`text_table` as plain
text. Every text is HTML-escaped (codebook labels are untrusted).
"""

from __future__ import annotations

import html
import numbers
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbss_analysis.common.numbers import DASH, P_VALUE_COLUMNS, format_number, format_p_value, is_missing
from cbss_analysis.states import state_names

COLUMN_TITLES: dict[str, str] = {
    "state": "State", "state_name": "State", "subregion": "Subregion", "sex": "Sex", "agecat": "Age group",
    "variable": "Indicator", "indicator": "Indicator", "indicator_id": "Indicator id", "level": "Category",
    "category": "Category", "term": "Term", "n": "Respondents", "n_weighted": "Weighted count",
    "estimate": "Estimate", "se": "Standard error", "ci_low": "CI low", "ci_high": "CI high", "deff": "Design effect",
    "df": "Degrees of freedom", "suppressed": "Suppressed", "p_value": "p", "p_holm": "Holm-adjusted p",
    "p_adjusted": "Adjusted p", "significant": "Marked", "reference": "Regional average", "difference": "Difference",
    "odds_ratio": "Odds ratio", "or_ci_low": "OR CI low", "or_ci_high": "OR CI high",
    "ban_year": "Full ban on corporal punishment (year)", "first_barnahus": "First Barnahus (year)",
    "population_under18_2022": "Children under 18 (2022)", "population_2024": "Population (2024)",
    "under18_share_pct": "Children under 18 (% of population)", "confidence": "Confidence of the facts",
    "title": "Title", "period": "Period", "description": "Description", "text": "Key learning",
    "priority_area": "Priority area", "indicators": "Indicators", "alpha": "Cronbach's alpha", "items": "Items",
    "psus": "Primary sampling units (classes)", "strata": "Strata", "missing": "Missing (%)",
    "not_asked": "Not asked (%)", "available": "Available", "kind": "Kind", "label": "Label",
    "survey_pct": "This survey (%)", "survey_ci": "This survey, 95% CI", "published_pct": "Published (%)",
    "all": "All ages", "survey_n": "Respondents in this survey",
}
"""Column name -> title; other names are shown with underscores as spaces and a capital first letter."""
_WHOLE = re.compile(r"(^n$|^n_|_n$|population|year|^psus$|^strata$|count|respondents|^indicators$|^items$)")
_YEAR = re.compile(r"(^|_)year($|_)|barnahus")
_LABELLED = ("variable", "indicator", "term", "indicator_id")
WIDE_COLUMNS = 9
"""From this many columns a table is printed smaller, its cells broken anywhere if need be."""
LANDSCAPE_COLUMNS = 14
"""From this many columns a table is printed on a landscape page."""
_KIND = {True: "num", False: "txt"}
_ALIGN = {True: "text-align: right; white-space: nowrap", False: "text-align: left"}
_NUMERIC = re.compile(r"(?:[<>] )?[+\-\u2212]?[\d,]+(?:\.\d+)?(?: ?%| pp)?(?: \([\d.,]+\u2013[\d.,]+(?: ?%| pp)?\))?|suppressed")
"""Inline, so that JupyterLab (whose stylesheet right-aligns every cell) shows text left-aligned too."""
_CAPTION = "caption-side: top; text-align: left; font-style: italic; padding: 0.3em 0"


def column_title(name: Any) -> str:
    """The title of a column in words: :data:`COLUMN_TITLES`, else ``snake_case`` as "Snake case"."""
    text = str(name)
    if text in COLUMN_TITLES:
        return COLUMN_TITLES[text]
    if text != text.lower() or " " in text:
        return text
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else text


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_))


def _cell(value: Any, column: str, digits: int | None, missing: str) -> str:
    if isinstance(value, str):
        return value if value.strip() else missing
    if is_missing(value):
        return missing
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if _is_number(value):
        if column in P_VALUE_COLUMNS:
            return format_p_value(value)
        if _YEAR.search(column):
            return f"{round(float(value))}"
        return format_number(value, digits)
    return str(value)


def _digits(series: pd.Series, column: str) -> int | None:
    numbers = pd.to_numeric(series, errors="coerce").dropna()
    if numbers.empty:
        return None
    if _WHOLE.search(column):
        return 0
    if (numbers.round() == numbers).all():
        return 0
    if column.endswith("_pct") or column in ("missing", "not_asked"):
        return 1
    biggest = float(numbers.abs().max())
    return 1 if biggest >= 100 else 2 if biggest >= 1 else 3


def readable_frame(frame: pd.DataFrame, labels: Mapping[str, str] | None = None,
                   missing: Mapping[str, str] | None = None, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Text cells and titled columns of a table of aggregates.

    Parameters
    ----------
    frame : pandas.DataFrame
        What to show (the index is dropped unless it is named).
    labels : mapping, optional
        Id -> label for cells of the ``variable``, ``indicator`` and ``term`` columns (and for
        column names that are ids, as in a table with an indicator per column).
    missing : mapping, optional
        Column -> what a blank in it means ("no full ban"); other blanks read ``–``. A
        ``suppressed`` column is not shown: the blanks of a suppressed row read "suppressed".
    columns : mapping, optional
        Column -> title, before :data:`COLUMN_TITLES`.

    Returns
    -------
    pandas.DataFrame
        Strings only, columns titled.
    """
    labels = dict(labels or {})
    data = frame.reset_index() if any(name is not None for name in frame.index.names) else frame.reset_index(drop=True)
    names = state_names()
    if "state" in data.columns and "state_name" in data.columns:
        data = data.drop(columns="state")
    hidden = None
    if "suppressed" in data.columns:  # no "Suppressed: no" column: a suppressed row's blanks say "suppressed"
        hidden = data["suppressed"].fillna(False).astype(bool).to_numpy()
        data = data.drop(columns="suppressed")
    shown = {}
    for column in data.columns:
        key = str(column)
        series = data[column]
        if key == "state":
            series = series.astype("string").map(lambda v: names.get(v, v) if isinstance(v, str) else v)
        elif key in _LABELLED:
            series = series.astype("string").map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
        digits = _digits(series, key) if series.dtype.kind in "iuf" or series.dtype == object else None
        blank = (missing or {}).get(key, DASH)
        title = (columns or {}).get(key) or (labels.get(key) if key in labels else None) or column_title(key)
        if key in names and title == key:
            title = names[key]
        cells = [_cell(v, key, digits, blank) for v in series.tolist()]
        if hidden is not None:
            cells = ["suppressed" if h and c == DASH else c for c, h in zip(cells, hidden)]
        shown[title] = cells
    return pd.DataFrame(shown)


def _numeric_column(values: list[str]) -> bool:
    cells = [v for v in values if v not in (DASH, "")]
    return bool(cells) and all(_NUMERIC.fullmatch(v) for v in cells)


def html_table(frame: pd.DataFrame, caption: str, labels: Mapping[str, str] | None = None,
               missing: Mapping[str, str] | None = None, columns: Mapping[str, str] | None = None,
               row_headers: bool = True) -> str:
    """An accessible HTML table: ``<caption>``, ``<th scope="col">``, row headers, numbers right-aligned.

    Parameters are those of :func:`readable_frame`, with the ``caption`` (plain text, escaped)
    and ``row_headers`` (the first column as ``<th scope="row">``).
    """
    shown = readable_frame(frame, labels, missing, columns)
    numeric = {c: _numeric_column(shown[c].tolist()) for c in shown.columns}
    head = "".join(f'<th scope="col" class="{_KIND[numeric[c]]}" style="{_ALIGN[numeric[c]]}">{html.escape(str(c))}</th>'
                   for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = []
        for index, (column, value) in enumerate(zip(shown.columns, row)):
            tag = "th" if index == 0 and row_headers else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f'<{tag}{scope} class="{_KIND[numeric[column]]}" style="{_ALIGN[numeric[column]]}">'
                         f"{html.escape(value)}</{tag}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    width = len(shown.columns)
    wide = " cbss-wide" if width >= WIDE_COLUMNS else ""
    landscape = " cbss-landscape" if width >= LANDSCAPE_COLUMNS else ""
    return (f'<div class="cbss-table-wrap{landscape}"><table class="cbss-table{wide}"><caption style="{_CAPTION}">'
            f"{html.escape(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def text_table(frame: pd.DataFrame, caption: str, labels: Mapping[str, str] | None = None,
               missing: Mapping[str, str] | None = None, columns: Mapping[str, str] | None = None) -> str:
    """The same table as plain text, the caption below."""
    shown = readable_frame(frame, labels, missing, columns)
    return f"{shown.to_string(index=False)}\n{caption}"
