"""What changed since the last good run: the inputs that moved and the headline figures whose value changed.

When a run succeeds, :func:`run_changes` compares its manifest with the manifest of the output it
replaces (the last good run) and the result is kept in the new manifest (``changes``), so the
index can say "re-read this one: the data file changed; Cyberbullied 12.9% -> 13.4%" and a
reviewer re-reads only what moved. Values are compared as recorded (to 1e-9 relative); labels
and units come from the new run's records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cbss_analysis.common.numbers import format_value

_INPUT_WORDS = {
    "data": "data file", "codebook": "codebook", "notebook": "notebook", "parameters": "parameters",
    "library": "cbss-analysis library", "environment": "Python packages",
}


def _inputs(manifest: Mapping[str, Any]) -> dict[str, Any]:
    files = manifest.get("inputs") or []
    return {
        "data": sorted(i.get("sha256") for i in files if i.get("role") == "data"),
        "codebook": sorted(i.get("sha256") for i in files if i.get("role") == "codebook"),
        "notebook": manifest.get("notebook_sha256"),
        "parameters": manifest.get("parameters"),
        "library": (manifest.get("package") or {}).get("source_sha256"),
        "environment": manifest.get("environment"),
    }


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        return math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-12)
    return old == new


def _shown(value: Any, unit: str | None) -> str:
    if isinstance(value, dict) and value.get("kind") == "comparison":
        return f"{value.get('marked_total', 0)} of {value.get('family', 0)} differences marked"
    if isinstance(value, (dict, list)):
        return "changed"
    return format_value(value, unit)


def run_changes(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """The changes between the last good run's manifest and this run's.

    Returns
    -------
    dict
        ``first_run`` (True when there was no good run before), ``previous_finished``,
        ``inputs`` (what changed, in words: "data file", "codebook", ...), ``figures`` (one per
        recorded figure whose value changed, appeared or went: ``name``, ``label``, ``old``,
        ``new`` as text in the figure's unit; only labelled figures when the run labels any).
    """
    if not previous or previous.get("status") != "ok":
        return {"first_run": True, "inputs": [], "figures": []}
    old_inputs, new_inputs = _inputs(previous), _inputs(current)
    moved = [_INPUT_WORDS[key] for key in _INPUT_WORDS if not _same(old_inputs[key], new_inputs[key])]
    old_records = previous.get("record_details") or {k: {"value": v} for k, v in (previous.get("records") or {}).items()}
    new_records = current.get("record_details") or {k: {"value": v} for k, v in (current.get("records") or {}).items()}
    figures = []
    labelled = {n for n, d in {**old_records, **new_records}.items() if d.get("label")}
    for name in dict.fromkeys([*new_records, *old_records]):
        if labelled and name not in labelled:
            continue  # a bare record is a code name; where the run labels its figures, only those are headlines
        old, new = old_records.get(name), new_records.get(name)
        if old is not None and new is not None and _same(old.get("value"), new.get("value")):
            continue
        details = new or old or {}
        unit = details.get("unit")
        figures.append({
            "name": name, "label": details.get("label") or name,
            "old": "not recorded" if old is None else _shown(old.get("value"), unit),
            "new": "not recorded" if new is None else _shown(new.get("value"), unit),
        })
    return {"first_run": False, "previous_finished": previous.get("finished"), "inputs": moved, "figures": figures}


def change_lines(changes: Mapping[str, Any] | None) -> list[str]:
    """The changes in words, one line each (empty when nothing moved or nothing is known)."""
    if not changes:
        return []
    if changes.get("first_run"):
        return ["first run: nothing to compare with"]
    lines = []
    if changes.get("inputs"):
        lines.append("inputs changed: " + ", ".join(changes["inputs"]))
    lines.extend(f"{f['label']}: {f['old']} \u2192 {f['new']}" for f in changes.get("figures", []))
    return lines
