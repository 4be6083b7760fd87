"""Recordable summaries of estimates and comparisons, for the key findings of a report.

A report's findings are sentences built by :mod:`cbss_analysis.reports.findings` from what the
notebook recorded, never by recomputing anything. This module turns the tables a notebook shows
into such records:

- :func:`record_estimate`: one estimate with its interval, label and unit (``28.2%``, CI);
- :func:`record_comparison`: the differences shown, as marked by
  :func:`cbss_analysis.estimate.significance.mark` (the rule in that module's words, which
  differences it marks, in which direction, better or worse where the codebook says which
  direction is better), and how many were suppressed.

It also gives a state profile what the codebook says about each indicator:
:func:`indicator_groups` (the priority area it is shown under) and :func:`better_directions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cbss_analysis.errors import ReportError
from cbss_analysis.records import record
from cbss_analysis.states import state_names

MAX_MARKED = 40
"""Most marked differences a comparison record lists one by one (the counts cover all of them)."""
_REFERENCES = {"regional": "the regional average", "regional_weighted": "the population-weighted regional average"}


def judgement(difference: float, significant: bool, better: str | None) -> str:
    """``better``, ``worse``, ``higher``, ``lower`` (marked, no better direction known) or ``""`` (not marked).

    >>> judgement(2.0, True, "lower")
    'worse'
    """
    if not significant or pd.isna(difference) or difference == 0:
        return ""
    higher = difference > 0
    if better not in ("higher", "lower"):
        return "higher" if higher else "lower"
    return "better" if higher == (better == "higher") else "worse"


def _scale(table: pd.DataFrame) -> tuple[float, str | None, str | None]:
    kind = table.attrs.get("estimate_kind", table.attrs.get("kind"))
    if kind == "proportion":
        return 100.0, "percent", "pp"
    return 1.0, "score" if kind == "mean" else None, "score" if kind == "mean" else None


def _number(value: Any, scale: float) -> float | None:
    return None if pd.isna(value) else round(float(value) * scale, 4)


def record_estimate(name: str, table: pd.DataFrame, variable: str, *, label: str | None = None,
                    where: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None) -> None:
    """Record one estimate of an estimate table with its interval, in percent for proportions.

    Parameters
    ----------
    name : str
        The record's name.
    table : pandas.DataFrame
        An estimate table of :mod:`cbss_analysis.estimate`.
    variable : str
        The indicator.
    label : str, optional
        What the figure is (default: the indicator's label, and the ``where`` values).
    where : mapping, optional
        By column -> value selecting one row (e.g. ``{"state": "EE"}``).
    labels : mapping, optional
        Indicator id -> label (default ``table.attrs["labels"]``).

    Raises
    ------
    ReportError
        When the selection is not exactly one row.
    """
    rows = table[table["variable"].astype(str) == variable]
    for column, value in (where or {}).items():
        rows = rows[rows[column].astype(str) == str(value)]
    if len(rows) != 1:
        raise ReportError(f"record_estimate({name!r}): {len(rows)} rows of {variable!r} match {dict(where or {})}; select one")
    row = rows.iloc[0]
    scale, unit, _ = _scale(table)
    labels = labels or table.attrs.get("labels") or {}
    names = state_names()
    place = ", ".join(names.get(str(v), str(v)) for v in (where or {}).values())
    text = label or f"{labels.get(variable, variable)}{f' ({place})' if place else ''}"
    if bool(row.get("suppressed", False)) or pd.isna(row["estimate"]):
        record(name, None, label=f"{text}: suppressed", unit=unit)
        return
    record(name, _number(row["estimate"], scale), label=text, unit=unit,
           interval=(_number(row["ci_low"], scale), _number(row["ci_high"], scale)), level=table.attrs.get("level"))


def record_comparison(name: str, marked: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                      better: Mapping[str, str] | None = None, label: str | None = None) -> dict[str, Any]:
    """Record the differences a figure or table shows, with the rule that marked them.

    Parameters
    ----------
    name : str
        The record's name.
    marked : pandas.DataFrame
        The rows shown, through :func:`cbss_analysis.estimate.significance.mark`.
    labels : mapping, optional
        Indicator id -> label.
    better : mapping, optional
        Indicator id -> ``"higher"`` / ``"lower"`` (:func:`better_directions`).
    label : str, optional
        What the comparison is (default "States against <the reference>").

    Returns
    -------
    dict
        The recorded value: ``kind`` ("comparison"), ``rule`` (the rule's sentence), ``family``,
        ``reference``, ``unit`` of the differences, ``compared``, ``suppressed``, ``states``,
        ``counts`` (``higher``, ``lower``, ``better``, ``worse``), ``by_state`` (state name ->
        counts) and ``marked`` (at most :data:`MAX_MARKED` marked differences, smallest adjusted p first).

    Raises
    ------
    ReportError
        When the rows carry no marks (pass them through ``estimate.significance.mark``).
    """
    rule = marked.attrs.get("significance")
    if not rule or "significant" not in marked.columns:
        raise ReportError(f"record_comparison({name!r}): mark the rows shown first (estimate.significance.mark)")
    labels = labels or marked.attrs.get("labels") or {}
    scale, unit, difference_unit = _scale(marked)
    names = state_names()
    reference = _REFERENCES.get(str(marked.attrs.get("reference", "regional")),
                                names.get(str(marked.attrs.get("reference")), str(marked.attrs.get("reference"))))
    counts = {"higher": 0, "lower": 0, "better": 0, "worse": 0}
    by_state: dict[str, dict[str, int]] = {}
    cells = []
    for row in marked.sort_values("p_adjusted", kind="stable").itertuples(index=False):
        state = names.get(str(row.state), str(row.state))
        by_state.setdefault(state, {"higher": 0, "lower": 0, "better": 0, "worse": 0})
        if not bool(row.significant):
            continue
        direction = "higher" if row.difference > 0 else "lower"
        verdict = judgement(float(row.difference), True, (better or {}).get(str(row.variable)))
        for key in {direction, verdict} - {""}:
            counts[key] += 1
            by_state[state][key] += 1
        cells.append({
            "indicator": str(labels.get(str(row.variable), row.variable)), "state": state,
            "estimate": _number(row.estimate, scale), "reference": _number(row.reference, scale),
            "difference": _number(row.difference, scale), "p_adjusted": float(row.p_adjusted),
            "direction": direction, "judgement": verdict if verdict in ("better", "worse") else None,
        })
    suppressed = int(marked["suppressed"].fillna(False).astype(bool).sum()) if "suppressed" in marked.columns else 0
    value = {
        "kind": "comparison", "rule": rule["text"], "family": rule["family"], "alpha": rule["alpha"],
        "method": rule["method"], "reference": reference, "unit": unit, "difference_unit": difference_unit,
        "compared": len(marked), "suppressed": suppressed, "states": list(by_state),
        "counts": counts, "by_state": by_state, "marked": cells[:MAX_MARKED], "marked_total": len(cells),
    }
    record(name, value, label=label or f"States against {reference}")
    return value


def better_directions(survey: Any) -> dict[str, str]:
    """Indicator id -> ``"higher"`` or ``"lower"`` where the survey's codebook says which is better."""
    codebook = getattr(survey, "codebook", None)
    if codebook is None:
        return {}
    return {i: ind.better for i, ind in codebook.indicators.items() if ind.better}


def indicator_groups(survey: Any, strategy: Any = None) -> dict[str, str]:
    """Indicator id -> the title of the priority area it is shown under in a state profile.

    The area is the first one the codebook lists for the indicator other than prevention (the
    area nearly every indicator serves), and prevention only when it lists no other; titles
    from the Regional Strategy. Indicators without an area are left out ("Other" in the figure).
    """
    codebook = getattr(survey, "codebook", None)
    if codebook is None:
        return {}
    if strategy is None:
        from cbss_analysis.strategy import load_strategy

        strategy = load_strategy(codebooks=[])
    titles = {area.id: area.title for area in strategy.priority_areas}
    groups = {}
    for indicator_id, indicator in codebook.indicators.items():
        areas = [a for a in indicator.priority_areas if a in titles]
        if areas:
            specific = [a for a in areas if a != "prevention"]
            groups[indicator_id] = titles[(specific or areas)[0]]
    return groups
