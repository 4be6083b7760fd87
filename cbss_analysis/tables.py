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
from cbss_analysis.common.notices import SYNTHETIC_NOTICE
from cbss_analysis.disclosure import rule_text
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
    shown["indicator"] = table["variable"].map(lambda v: (labels or {}).get(v, v))
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


def format_wide(
    table: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    column: str = "state",
    percent: bool | None = None,
    digits: int = 1,
    what: str | None = None,
    source: str | None = None,
) -> Table:
    """Indicators as rows and the groups of ``column`` (states by default) as columns: estimates only.

    The compact view of many indicators across the states; suppressed cells read "supp.",
    and the confidence intervals are left to :func:`format_estimates` and the figures.
    """
    if percent is None:
        percent = table.attrs.get("kind") == "proportion"
    scale = 100.0 if percent else 1.0
    names = state_names() if column == "state" else {}
    cells = table.assign(
        indicator=table["variable"].map(lambda v: (labels or {}).get(v, v)),
        group=table[column].astype("string").map(lambda v: names.get(v, v)),
        cell=["supp." if sup else ("" if np.isnan(e) else f"{e * scale:.{digits}f}")
              for e, sup in zip(table["estimate"], table["suppressed"], strict=True)],
    )
    order = list(dict.fromkeys(cells["group"]))
    wide = cells.pivot(index="indicator", columns="group", values="cell")
    wide = wide.reindex(index=list(dict.fromkeys(cells["indicator"])), columns=order).fillna("")
    unit = " (%)" if percent else ""
    caption = caption_for(table, what or f"Estimates{unit} by {column}", source, intervals=False)
    return Table(wide.rename_axis(columns=None).reset_index(), caption)
