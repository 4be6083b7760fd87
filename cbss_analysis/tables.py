"""Readable tables for notebooks and reports: labels, percentages, intervals, suppression, caption.

:func:`format_estimates` turns a tidy estimate table into what a reader wants to see
(state names, "23.4 (20.1-26.9)", "suppressed" for small cells) and wraps it in a
:class:`Table` whose caption says where the numbers come from and, for synthetic data,
says so. Text is HTML-escaped (codebook labels are untrusted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cbss_analysis import readable
from cbss_analysis.common.checks import suggestion
from cbss_analysis.common.notices import SYNTHETIC_NOTICE
from cbss_analysis.common.text import snippet
from cbss_analysis.disclosure import rule_text
from cbss_analysis.errors import TableError
from cbss_analysis.states import state_names

SYNTHETIC_NOTE = SYNTHETIC_NOTICE


class Table:
    """A DataFrame with a caption, shown the same way in JupyterLab, nbconvert HTML and plain text.

    Parameters
    ----------
    frame : pandas.DataFrame
        What to show (aggregates only, never respondent rows).
    caption : str
        One or two sentences: what the numbers are, their source, "synthetic data" where so.
    labels : mapping, optional
        Id -> label for indicator and term cells and for columns named by an id.
    missing : mapping, optional
        Column -> what a blank there means (e.g. ``{"ban_year": "no full ban"}``); else ``–``.
    columns : mapping, optional
        Column -> title, where the default title (:data:`cbss_analysis.readable.COLUMN_TITLES`) does not fit.

    Shown by :func:`cbss_analysis.readable.html_table`: a ``<caption>``, column and row headers,
    state names, thousands separators, no scientific notation.
    """

    def __init__(self, frame: pd.DataFrame, caption: str, labels: Mapping[str, str] | None = None,
                 missing: Mapping[str, str] | None = None, columns: Mapping[str, str] | None = None) -> None:
        self.frame = frame
        self.caption = caption
        self.labels = dict(labels or {})
        self.missing = dict(missing or {})
        self.columns = dict(columns or {})

    def _repr_html_(self) -> str:
        return readable.html_table(self.frame, self.caption, self.labels, self.missing, self.columns)

    def __repr__(self) -> str:
        return readable.text_table(self.frame, self.caption, self.labels, self.missing, self.columns)


def caption_for(table: pd.DataFrame, what: str, source: str | None = None, intervals: bool = True) -> str:
    """Caption text: what the table shows, the source, the confidence level and the synthetic-data note."""
    parts = [what.rstrip(".") + "."]
    level = table.attrs.get("level")
    if level and intervals:
        parts.append(f"{level:.0%} confidence intervals, design-based (Taylor linearisation).")
    min_n = table.attrs.get("min_n")
    if min_n:
        text = rule_text(min_n)
        parts.append(f"{text[:1].upper()}{text[1:]}.")
    if source:
        parts.append(f"Source: {source}.")
    if table.attrs.get("synthetic"):
        parts.append(SYNTHETIC_NOTE)
    return " ".join(parts)


def _interval(estimate: float, low: float, high: float, scale: float, digits: int) -> str:
    if np.isnan(estimate):
        return ""
    text = f"{estimate * scale:.{digits}f}"
    if not (np.isnan(low) or np.isnan(high)):
        text += f" ({low * scale:.{digits}f}\u2013{high * scale:.{digits}f})"
    return text


def format_estimates(
    table: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    by: Sequence[str] | None = None,
    percent: bool | None = None,
    digits: int = 1,
    what: str | None = None,
    source: str | None = None,
) -> Table:
    """A readable version of an estimate table.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :mod:`cbss_analysis.estimate` (``variable``, ``level``, by columns,
        ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``suppressed``, ...).
    labels : mapping, optional
        Variable id -> label to show instead of the id.
    by : sequence of str, optional
        The domain columns to show (default: those between ``level`` and ``estimate``).
    percent : bool, optional
        Show proportions as percentages (default: for proportion tables).
    digits : int
        Decimals.
    what, source : str, optional
        Caption text (default: "Estimates by ...").

    Returns
    -------
    Table
    """
    columns = list(table.columns)
    if by is None:
        start = columns.index("level") + 1 if "level" in columns else 1
        by = columns[start: columns.index("estimate")]
    if percent is None:
        percent = table.attrs.get("kind") == "proportion"
    scale = 100.0 if percent else 1.0
    unit = " (%)" if percent else ""
    shown = pd.DataFrame()
    names = state_names()
    labels = labels if labels is not None else table.attrs.get("labels") or {}
    shown["indicator"] = table["variable"].map(lambda v: labels.get(v, v))
    if "level" in table and table["level"].notna().any():
        shown["category"] = table["level"].astype("string").fillna("")
    for column in by:
        values = table[column].astype("string")
        shown[column] = values.map(lambda v: names.get(v, v)) if column == "state" else values
    shown[f"Estimate{unit} ({table.attrs.get('level', 0.95):.0%} CI)"] = [
        "suppressed" if sup else _interval(e, lo, hi, scale, digits)
        for e, lo, hi, sup in zip(table["estimate"], table["ci_low"], table["ci_high"], table["suppressed"], strict=True)
    ]
    shown["n"] = table["n"].astype("Int64")
    if "deff" in table:
        shown["deff"] = table["deff"].round(2)
    caption = caption_for(table, what or f"Estimates by {', '.join(by) or 'the whole sample'}", source)
    return Table(shown.reset_index(drop=True), caption)


MAX_WIDE_COLUMNS = 60
"""Most columns a two-way table shows; more groups go in rows (or use :func:`format_estimates`)."""
_KEY_HEADERS = {"variable": "indicator", "level": "category"}


def _table_by_columns(table: pd.DataFrame, what: str) -> list[str]:
    """The by columns of an estimate table: those between ``level`` (or ``variable``) and ``estimate``."""
    missing = [c for c in ("variable", "estimate", "suppressed") if c not in table.columns]
    if missing:
        raise TableError(f"{what}: the table has no column {missing[0]!r}; pass a table from cbss_analysis.estimate")
    columns = list(table.columns)
    start = columns.index("level") + 1 if "level" in columns else columns.index("variable") + 1
    return columns[start: columns.index("estimate")]


def _key_text(table: pd.DataFrame, key: str, labels: Mapping[str, str]) -> list[str]:
    values = table[key].astype("string").fillna("")
    if key == "variable":
        return [labels.get(v, v) for v in values]
    if key == "state":
        names = state_names()
        return [names.get(v, v) for v in values]
    return values.tolist()


def _two_way(table: pd.DataFrame, columns: str | Sequence[str], cells: list[str], labels: Mapping[str, str],
             what: str) -> pd.DataFrame:
    """Cells of ``table`` with the groups of ``columns`` across and every other key of a row down, in table order."""
    by = _table_by_columns(table, what)
    keys = ["variable", *(["level"] if "level" in table and table["level"].notna().any() else []), *by]
    across = [columns] if isinstance(columns, str) else list(columns)
    if not across:
        raise TableError(f"{what}: columns=[] names no column to put across")
    for key in across:
        if key not in keys:
            hint = suggestion(key, keys) if isinstance(key, str) else ""
            raise TableError(f"{what}: column={snippet(key)} is not a key of the table{hint} (its keys: {', '.join(keys)})")
    down = [k for k in keys if k not in across]
    raw = {k: table[k].astype("string").fillna("").tolist() for k in keys}
    text = {k: dict(zip(raw[k], _key_text(table, k, labels))) for k in keys}
    col_keys = list(zip(*(raw[k] for k in across)))
    row_keys = list(zip(*(raw[k] for k in down))) if down else [()] * len(table)
    order_cols = list(dict.fromkeys(col_keys))
    if len(order_cols) > MAX_WIDE_COLUMNS:
        raise TableError(f"{what}: {' x '.join(across)} has {len(order_cols)} groups; at most {MAX_WIDE_COLUMNS} columns "
                         "are shown (put it in rows, or use format_estimates)")
    grid: dict[tuple, dict[tuple, str]] = {}
    for row_key, col_key, cell in zip(row_keys, col_keys, cells):
        row = grid.setdefault(row_key, {})
        if col_key in row:
            shown = ", ".join(snippet(v) for v in (*row_key, *col_key) if v)
            raise TableError(f"{what}: more than one row of the table for {shown}; filter the table first")
        row[col_key] = cell
    headers = [", ".join(text[k][v] for k, v in zip(across, c)) for c in order_cols]
    if len(set(headers)) != len(headers):
        headers = [f"{h} ({i + 1})" for i, h in enumerate(headers)]
    body = [[*(text[k][v] for k, v in zip(down, row_key)), *(grid[row_key].get(c, "") for c in order_cols)]
            for row_key in grid]
    return pd.DataFrame(body, columns=[*(_KEY_HEADERS.get(k, k) for k in down), *headers])


def format_wide(
    table: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    column: str | Sequence[str] = "state",
    percent: bool | None = None,
    digits: int = 1,
    what: str | None = None,
    source: str | None = None,
) -> Table:
    """Indicators as rows and the groups of ``column`` (states by default) as columns: estimates only.

    The compact view of many indicators across the states; suppressed cells read "supp.",
    and the confidence intervals are left to :func:`format_estimates` (or :func:`format_crosstab`)
    and the figures. Any table of :mod:`cbss_analysis.estimate` can be shown: the other by
    columns (``state x agecat``: the age groups) and the categories of a categorical variable
    become row keys beside the indicator. ``column`` may be any key of the table (a by column,
    ``"level"`` for the categories, ``"variable"`` for the indicators) or a list of keys.
    ``labels`` defaults to the labels the table carries (``attrs["labels"]``).

    Raises
    ------
    TableError
        ``column`` is not a key of the table, or has more than :data:`MAX_WIDE_COLUMNS` groups.
    """
    _table_by_columns(table, "format_wide")
    if percent is None:
        percent = table.attrs.get("kind") == "proportion"
    scale = 100.0 if percent else 1.0
    cells = ["supp." if sup else ("" if np.isnan(e) else f"{e * scale:.{digits}f}")
             for e, sup in zip(table["estimate"].to_numpy(float), _suppressed(table), strict=True)]
    chosen = labels if labels is not None else table.attrs.get("labels") or {}
    wide = _two_way(table, column, cells, chosen, "format_wide")
    unit = " (%)" if percent else ""
    across = " x ".join(_KEY_HEADERS.get(c, c) for c in ([column] if isinstance(column, str) else column))
    caption = caption_for(table, what or f"Estimates{unit} by {across}", source, intervals=False)
    return Table(wide, caption)


def format_crosstab(
    table: pd.DataFrame,
    columns: str | Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    percent: bool | None = None,
    digits: int = 1,
    intervals: bool = True,
    what: str | None = None,
    source: str | None = None,
) -> Table:
    """A two-way table with estimates and their intervals: the groups of ``columns`` across, the rest down.

    ``columns`` defaults to the categories (``"level"``) of a categorical variable, else to the
    last by column: ``estimate.proportion(survey, "agecat", by="state")`` shows states down and
    the age groups across (each row a state's distribution); ``by=["state", "sex"]`` on an
    indicator shows girls and boys across. Suppressed cells read "suppressed".

    Raises
    ------
    TableError
        ``columns`` is not a key of the table, or has more than :data:`MAX_WIDE_COLUMNS` groups.
    """
    by = _table_by_columns(table, "format_crosstab")
    if columns is None:
        has_levels = "level" in table and table["level"].notna().any()
        columns = "level" if has_levels else (by[-1] if by else "variable")
    if percent is None:
        percent = table.attrs.get("kind") == "proportion"
    scale = 100.0 if percent else 1.0
    cells = [
        "suppressed" if sup else (_interval(e, lo, hi, scale, digits) if intervals else ("" if np.isnan(e) else f"{e * scale:.{digits}f}"))
        for e, lo, hi, sup in zip(table["estimate"].to_numpy(float), table["ci_low"].to_numpy(float),
                                  table["ci_high"].to_numpy(float), _suppressed(table), strict=True)
    ]
    chosen = labels if labels is not None else table.attrs.get("labels") or {}
    shown = _two_way(table, columns, cells, chosen, "format_crosstab")
    unit = ", %" if percent else ""
    across = " x ".join(_KEY_HEADERS.get(c, c) for c in ([columns] if isinstance(columns, str) else columns))
    caption = caption_for(table, what or f"Estimates{unit}{' (confidence interval)' if intervals else ''} by {across}",
                          source, intervals=intervals)
    return Table(shown, caption)


def _suppressed(table: pd.DataFrame) -> np.ndarray:
    return table["suppressed"].fillna(False).to_numpy(dtype=bool)
