"""Rich displays of result tables in JupyterLab: ``cbss.show(table)``.

An estimate table stays a plain DataFrame for code (13 tidy columns, flags in ``attrs``);
``cbss.show(table)`` wraps it for reading: the labels the table carries (``attrs["labels"]``,
or those passed), formatted estimates with their intervals, suppressed cells marked, and a
caption that says how the numbers were made (design-based, which interval, the confidence
level, the suppression rule) and, on synthetic data, the synthetic-data badge and notice
(:mod:`cbss_analysis.common.notices`). It displays as HTML in JupyterLab and in exported
reports and as text elsewhere; every text from a file is HTML-escaped.

>>> import cbss_analysis as cbss                                           # doctest: +SKIP
>>> table = cbss.estimate.proportion(survey, "cyberbullied", by=["state", "sex"])  # doctest: +SKIP
>>> cbss.show(table)                        # one row per state and sex      # doctest: +SKIP
>>> cbss.show(table, columns="sex")         # girls and boys side by side   # doctest: +SKIP

Tables of :mod:`cbss_analysis.estimate` (``mean``, ``proportion``, ``total``), of
``estimate.compare`` and of :mod:`cbss_analysis.models` are understood. Only tables of
estimates are shown: a frame without an ``estimate`` column (respondent rows, say) is refused.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cbss_analysis.common.notices import SYNTHETIC_BADGE, SYNTHETIC_NOTICE
from cbss_analysis.common.text import strip_control
from cbss_analysis.disclosure import rule_text
from cbss_analysis.errors import TableError
from cbss_analysis.states import state_names

MAX_ROWS = 500
"""Most rows shown; a longer table says how many are left out (filter it, or show it wide)."""
INTERVAL_METHODS: dict[str, str] = {
    "logit": "logit intervals (R svyciprop method 'logit')",
    "beta": "Korn-Graubard (beta) intervals",
    "wilson": "Wilson intervals",
    "wald": "Wald intervals",
}
"""How each ``ci`` method of ``estimate.proportion`` is named in a caption."""
_KIND_WHAT = {"proportion": "Proportions", "mean": "Means", "total": "Totals", "comparison": "Differences",
              "linear": "Linear model coefficients", "logistic": "Logistic model odds ratios"}
_HEADERS = {"variable": "indicator", "level": "category", "outcome": "outcome", "term": "term", "state": "state"}
_PAD = "padding:2px 10px 2px 0"
_BADGE_STYLE = ("background:#D55E00;color:#fff;font-weight:bold;padding:1px 6px;border-radius:3px;"
                "font-size:0.85em;letter-spacing:0.03em")


def _e(value: object) -> str:
    return html.escape(strip_control(str(value)), quote=True)


def _number(value: float, scale: float, digits: int) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value * scale:.{digits}f}"


def _interval(low: float, high: float, scale: float, digits: int) -> str:
    """``"7.0\u201310.0"``; ``"\u22125.1 to \u22122.8"`` when a bound is negative (a dash would read as a minus)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    lo, hi = (_number(x, scale, digits).replace("-", "\u2212") for x in (low, high))
    return f"{lo} to {hi}" if low < 0 or high < 0 else f"{lo}\u2013{hi}"


class EstimateTable:
    """A result table formatted for reading; ``.table`` is the original DataFrame, ``.frame`` the formatted one.

    Build it with :func:`show`.
    """

    def __init__(self, table: pd.DataFrame, frame: pd.DataFrame, caption: str, synthetic: bool,
                 keys: int = 0, left_out: int = 0) -> None:
        self.table = table
        self.title = ""
        """The one indicator (or model outcome) of the table, shown above it instead of in every row."""
        for column in ("indicator", "outcome"):
            if keys and frame.columns[0] == column and frame[column].nunique() == 1:
                self.title = str(frame[column].iloc[0])
                frame = frame.drop(columns=column)
                keys -= 1
                break
        self.frame = frame
        self.caption = caption
        self.synthetic = synthetic
        self.keys = keys
        """How many of the first columns of ``frame`` name a row (category, state, ...)."""
        self.left_out = left_out

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left;{_PAD}'>{_e(c)}</th>" for c in self.frame.columns)
        rows = []
        for values in self.frame.itertuples(index=False):
            cells = []
            for position, value in enumerate(values):
                text = _e(value)
                if position >= self.keys and text.startswith("suppressed"):
                    cells.append(f"<td class='cbss-suppressed' style='color:#777;font-style:italic;text-align:right;{_PAD}'>"
                                 f"{text}</td>")
                else:
                    cells.append(f"<td style='text-align:{'left' if position < self.keys else 'right'};{_PAD}'>{text}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        more = (f"<p style='color:#555;margin:0.2em 0'>{self.left_out:,} more rows not shown: filter the table, "
                f"or show it wide (columns=...).</p>" if self.left_out else "")
        badge = (f"<p style='margin:0.3em 0'><span class='cbss-badge' style='{_BADGE_STYLE}'>{_e(SYNTHETIC_BADGE)}</span></p>"
                 if self.synthetic else "")
        title = f"<p style='margin:0.3em 0'><strong>{_e(self.title)}</strong></p>" if self.title else ""
        return (f"<div class='cbss-estimates'>{badge}{title}<table class='cbss-table'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>{more}"
                f"<p class='cbss-caption' style='margin:0.3em 0'><em>{_e(self.caption)}</em></p></div>")

    def __repr__(self) -> str:
        lines = [f"[{SYNTHETIC_BADGE}]"] if self.synthetic else []
        if self.title:
            lines.append(strip_control(self.title))
        lines.append(self.frame.to_string(index=False))
        if self.left_out:
            lines.append(f"... {self.left_out:,} more rows not shown")
        lines.extend(textwrap.wrap(strip_control(self.caption), 110))
        return "\n".join(lines)


def _keys(table: pd.DataFrame, value: str) -> list[str]:
    columns = list(table.columns)
    keys = columns[: columns.index(value)]
    if "level" in keys and not table["level"].notna().any():
        keys.remove("level")
    return keys


def _key_text(table: pd.DataFrame, key: str, labels: Mapping[str, str]) -> list[str]:
    values = table[key].astype("string").fillna("")
    if key in ("variable", "outcome"):
        return [labels.get(v, v) for v in values]
    if key == "state":
        names = state_names()
        return [names.get(v, v) for v in values]
    return values.tolist()


def caption(table: pd.DataFrame, what: str | None = None, source: str | None = None) -> str:
    """The caption of a shown table: what, how (design-based, interval method, level), suppression, source, synthetic."""
    attrs = table.attrs
    kind = attrs.get("kind")
    by = attrs.get("by")
    by_text = (" by " + " and ".join(by if isinstance(by, list) else [by])) if by else ""
    parts = [(what or f"{_KIND_WHAT.get(kind, 'Estimates')}{by_text}").rstrip(".") + "."]
    level = attrs.get("level")
    if level:
        method = INTERVAL_METHODS.get(attrs.get("ci"), "t intervals (estimate \u00b1 t \u00d7 SE, df = PSUs \u2212 strata)")
        if kind == "comparison":
            method = "t intervals of the differences, with the design covariance between domains; p-values Holm-adjusted"
        parts.append(f"Design-based estimates (Taylor linearisation) with {level:.0%} {method}.")
    min_n = attrs.get("min_n")
    if min_n:
        text = rule_text(min_n)
        parts.append(f"{text[:1].upper()}{text[1:]}.")
    if source or attrs.get("source"):
        parts.append(f"Source: {str(source or attrs.get('source')).rstrip('.')}.")
    if attrs.get("synthetic"):
        parts.append(SYNTHETIC_NOTICE)
    return " ".join(parts)


def show(
    table: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    columns: str | Sequence[str] | None = None,
    digits: int = 1,
    percent: bool | None = None,
    what: str | None = None,
    source: str | None = None,
    max_rows: int = MAX_ROWS,
) -> EstimateTable:
    """A readable display of a result table (the table itself is not changed).

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :mod:`cbss_analysis.estimate` (``mean``, ``proportion``, ``total``, ``compare``)
        or :mod:`cbss_analysis.models`.
    labels : mapping, optional
        Indicator id -> label; default the labels the table carries (``attrs["labels"]``).
    columns : str or list of str, optional
        Show the table wide: the groups of these keys across (e.g. ``"sex"``, ``"state"``,
        ``"level"`` for the categories), estimates with intervals in the cells
        (:func:`cbss_analysis.tables.format_crosstab`). Default: one row per estimate.
    digits : int
        Decimals.
    percent : bool, optional
        Proportions as percentages (differences of proportions as percentage points); default
        for proportion tables.
    what, source : str, optional
        The caption's first sentence and the source it names.
    max_rows : int
        Most rows shown.

    Returns
    -------
    EstimateTable
        Displays as HTML in JupyterLab and as text in a terminal.

    Raises
    ------
    TableError
        ``table`` is not a table of estimates (no ``estimate`` column), or ``columns`` cannot be shown.
    """
    if not isinstance(table, pd.DataFrame) or "estimate" not in table.columns:
        raise TableError("show: expects a table of estimates (from cbss_analysis.estimate or models), "
                         "not respondent rows; for the survey itself display the Survey")
    chosen = dict(labels) if labels is not None else dict(table.attrs.get("labels") or {})
    kind = table.attrs.get("kind")
    scale_kind = table.attrs.get("estimate_kind") if kind == "comparison" else kind
    if percent is None:
        percent = scale_kind == "proportion"
    scale = 100.0 if percent else 1.0
    synthetic = bool(table.attrs.get("synthetic"))
    text = caption(table, what, source)
    suppressed = (table["suppressed"].fillna(False).to_numpy(dtype=bool) if "suppressed" in table
                  else np.zeros(len(table), dtype=bool))
    if columns is not None:
        from cbss_analysis.tables import format_crosstab

        wide = format_crosstab(table, columns=columns, labels=chosen, percent=percent, digits=digits)
        keys = sum(1 for c in wide.frame.columns if c in ("indicator", "category", *table.columns))
        return EstimateTable(table, wide.frame, text, synthetic, keys)
    value = "difference" if kind == "comparison" else "odds_ratio" if "odds_ratio" in table else "estimate"
    low, high = ("or_ci_low", "or_ci_high") if value == "odds_ratio" else ("ci_low", "ci_high")
    keys = _keys(table, "estimate")
    frame = pd.DataFrame({_HEADERS.get(k, k): _key_text(table, k, chosen) for k in keys})
    unit = " (%)" if scale == 100 else ""
    value_unit = " (pp)" if scale == 100 and kind == "comparison" else unit
    if value == "odds_ratio":
        digits = max(digits, 2)
    level = table.attrs.get("level") or 0.95
    min_n = table.attrs.get("min_n")
    n = table["n"].to_numpy() if "n" in table else np.full(len(table), np.nan)
    marks, intervals = [], []
    for v, lo, hi, hidden, count in zip(table[value].to_numpy(float), table[low].to_numpy(float),
                                        table[high].to_numpy(float), suppressed, n):
        if hidden:
            if np.isfinite(count):
                marks.append(f"suppressed (n={int(count)}{f' < {min_n}' if min_n else ''})")
            else:  # the count of a suppressed cell is hidden too
                marks.append(f"suppressed (n < {min_n})" if min_n else "suppressed")
            intervals.append("")
        else:
            marks.append(_number(v, scale, digits))
            intervals.append(_interval(lo, hi, scale, digits))
    name = {"difference": "difference", "odds_ratio": "odds ratio"}.get(value, "estimate")
    if kind == "comparison":
        frame[f"estimate{unit}"] = [_number(x, scale, digits) for x in table["estimate"].to_numpy(float)]
        frame[f"reference{unit}"] = [_number(x, scale, digits) for x in table["reference"].to_numpy(float)]
    frame[f"{name}{value_unit}"] = marks
    frame[f"{level:.0%} CI"] = intervals
    for p in ("p_holm", "p_value"):
        if p in table:
            frame["p (Holm)" if p == "p_holm" else "p"] = [
                "" if not np.isfinite(x) else ("<0.001" if x < 0.001 else f"{x:.3f}") for x in table[p].to_numpy(float)]
            break
    if "n" in table:
        frame["n"] = [f"{int(x):,}" if np.isfinite(x) else "" for x in n.astype(float)]
    if "deff" in table:
        frame["deff"] = ["" if not np.isfinite(x) else f"{x:.2f}" for x in table["deff"].to_numpy(float)]
    left_out = max(0, len(frame) - max_rows)
    return EstimateTable(table, frame.head(max_rows).reset_index(drop=True), text, synthetic, len(keys), left_out)
