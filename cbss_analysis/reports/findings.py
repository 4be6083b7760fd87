"""Key findings: 3-6 sentences that open a report, written from what its notebook recorded.

Nothing is computed here: the sentences are built from the notebook's records
(:func:`cbss_analysis.records.read_record_details`: value, label, unit, interval) and from the
tables it published (:func:`cbss_analysis.records.read_tables`: how many cells, how many
suppressed, under which rule). A rule is never written here: what a marked difference means and
what was suppressed are quoted from the words the code that applied the rule recorded
(:mod:`cbss_analysis.estimate.significance`, :func:`cbss_analysis.disclosure.rule_text`).

Order: estimates with their intervals; the differences from the reference (who differs, in
which direction, better or worse where the codebook says which direction is better); other
labelled figures; what was suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cbss_analysis.common.numbers import format_interval, format_value

MAX_SENTENCES = 6
MAX_LISTED = 3
MAX_LISTED_CELLS = 2


def _is_comparison(details: Mapping[str, Any]) -> bool:
    value = details.get("value")
    return isinstance(value, Mapping) and value.get("kind") == "comparison"


def figure_text(details: Mapping[str, Any]) -> str:
    """A recorded figure in words: ``28.2% (95% CI 26.1–30.4)``, ``47,421``, ``–``."""
    value = details.get("value")
    unit = details.get("unit")
    if isinstance(value, (Mapping, list)):
        return ""
    text = format_value(value, unit)
    interval = details.get("interval")
    if interval and len(interval) == 2 and None not in interval:
        level = details.get("level")
        text += f" ({f'{level:.0%} ' if level else ''}CI {format_interval(interval[0], interval[1], unit)})"
    return text


def _names(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _cell_text(cell: Mapping[str, Any], unit: str | None, with_state: bool) -> str:
    where = f"{cell['state']}, " if with_state else ""
    values = f"{format_value(cell.get('estimate'), unit)} against {format_value(cell.get('reference'), unit)}"
    return f"{cell['indicator']} ({where}{values})"


def _listed(cells: Sequence[Mapping[str, Any]], unit: str | None, with_state: bool) -> str:
    shown = [_cell_text(c, unit, with_state) for c in cells[:MAX_LISTED_CELLS]]
    more = len(cells) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def comparison_sentences(value: Mapping[str, Any]) -> list[str]:
    """One or two sentences on a comparison record (:func:`cbss_analysis.summaries.record_comparison`)."""
    rule = value.get("rule", "")
    reference = value.get("reference", "the reference")
    unit = value.get("unit")
    counts = value.get("counts", {})
    cells = list(value.get("marked", []))
    total = int(value.get("marked_total", len(cells)))
    family = int(value.get("family", 0))
    states = list(value.get("states", []))
    if len(states) == 1:
        state = states[0]
        if total == 0:
            return [f"{state} does not differ from {reference} on any of the {family} indicators compared ({rule})."]
        first = (f"{state} differs from {reference} on {total} of {family} indicators ({rule}): "
                 f"higher on {counts.get('higher', 0)}, lower on {counts.get('lower', 0)}")
        if counts.get("better", 0) + counts.get("worse", 0):
            first += (f"; of these, better than the average on {counts.get('better', 0)} and worse on "
                      f"{counts.get('worse', 0)} of the indicators whose better direction the codebook gives")
        first += "."
        better = [c for c in cells if c.get("judgement") == "better"]
        worse = [c for c in cells if c.get("judgement") == "worse"]
        neutral = [c for c in cells if not c.get("judgement")]
        parts = []
        if worse:
            parts.append(f"worse than the average on {_listed(worse, unit, False)}")
        if better:
            parts.append(f"better on {_listed(better, unit, False)}")
        if neutral and len(parts) < 2:
            parts.append(f"different where the codebook gives no better direction on {_listed(neutral, unit, False)}")
        second = (state + " is " + "; ".join(parts) + ".") if parts else ""
        return [first, second] if second else [first]
    if total == 0:
        return [f"No state differs from {reference} on any of the {family} differences compared ({rule})."]
    first = f"{total} of the {family} state differences from {reference} are marked ({rule})."
    by_state = value.get("by_state", {})
    parts = []
    for key, words in (("higher", "above the average"), ("lower", "below")):
        ranked = sorted(((n[key], s) for s, n in by_state.items() if n.get(key)), key=lambda item: (-item[0], item[1]))
        if ranked:
            listed = [f"{s} ({n})" for n, s in ranked[:MAX_LISTED]]
            parts.append(f"{words} {_names(listed)}")
    second = ("Marked most often " + "; ".join(parts) + " (number of indicators).") if parts else ""
    judged = counts.get("better", 0) + counts.get("worse", 0)
    if judged:
        second += (f" Of the marked differences on indicators whose better direction the codebook gives, "
                   f"{counts.get('worse', 0)} are worse and {counts.get('better', 0)} better than the average.")
    return [first, second] if second else [first]


def suppression_sentence(tables: Sequence[Mapping[str, Any]]) -> str:
    """How many of the published estimates were suppressed, under the rule the tables state; empty without estimates."""
    counted = [t for t in tables if int(t.get("cells") or 0) > 0]
    if not counted:
        return ""
    cells = sum(int(t["cells"]) for t in counted)
    suppressed = sum(int(t.get("suppressed_cells") or 0) for t in counted)
    rules = list(dict.fromkeys(str(t["suppression"]) for t in counted if t.get("suppression")))
    rule = f" ({'; '.join(rules)})" if rules else ""
    if suppressed == 0:
        return f"No estimate of the {cells:,} in this report's tables is suppressed{rule}."
    if suppressed == cells:
        return f"Every one of the {cells:,} estimates in this report's tables is suppressed{rule}."
    verb = "is" if suppressed == 1 else "are"
    return f"{suppressed:,} of the {cells:,} estimates in this report's tables {verb} suppressed{rule}."


def key_findings(records: Mapping[str, Mapping[str, Any]], tables: Sequence[Mapping[str, Any]] = ()) -> list[str]:
    """The report's key findings: at most :data:`MAX_SENTENCES` sentences from its records and tables.

    Parameters
    ----------
    records : mapping
        Name -> details (``value`` and, where recorded, ``label``, ``unit``, ``interval``).
    tables : sequence of mapping
        The published tables' summaries (``cells``, ``suppressed_cells``, ``suppression``).

    Returns
    -------
    list of str
        Only records with a label are used (a bare name is not a sentence).
    """
    with_interval, comparisons, others = [], [], []
    for details in records.values():
        if _is_comparison(details):
            comparisons.extend(comparison_sentences(details["value"]))
            continue
        if not details.get("label") or isinstance(details.get("value"), (Mapping, list)):
            continue
        sentence = f"{details['label']}: {figure_text(details)}."
        (with_interval if details.get("interval") else others).append(sentence)
    suppression = suppression_sentence(tables)
    room = MAX_SENTENCES - (1 if suppression else 0)
    chosen = with_interval[:2] + comparisons[:3]
    chosen += [s for s in with_interval[2:] + others if s not in chosen][: max(0, room - len(chosen))]
    chosen = chosen[:room]
    return [*chosen, suppression] if suppression else chosen


def suppression_share(tables: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """(suppressed cells, cells) over the published estimate tables."""
    counted = [t for t in tables if int(t.get("cells") or 0) > 0]
    return (sum(int(t.get("suppressed_cells") or 0) for t in counted), sum(int(t["cells"]) for t in counted))


def lead_finding(records: Mapping[str, Mapping[str, Any]], tables: Sequence[Mapping[str, Any]] = ()) -> str:
    """The one sentence the index shows for a run: the first on its comparisons, else its first finding."""
    for details in records.values():
        if _is_comparison(details):
            return comparison_sentences(details["value"])[0]
    findings = key_findings(records, tables)
    return findings[0] if findings else ""
