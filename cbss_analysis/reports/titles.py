"""What a report is about, in one line: its title (naming the subject), its question, and its neighbours.

The title is the notebook's own first heading without its number ("6. State profile" ->
"State profile"), followed by the run's subject when a parameter names one ("State profile:
Estonia"); the question is the notebook's "**Question.**" paragraph. A plan that runs one
notebook several times (the state profiles) links each run to the previous and the next one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cbss_analysis.reports.plan import RunSpec
from cbss_analysis.states import state_names

_HEADING = re.compile(r"^#\s+(?:\d+\.\s*)?(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_QUESTION = re.compile(r"\*\*Question\.\*\*\s*(?P<text>.+?)(?:\n\s*\n|$)", re.DOTALL)
NOTEBOOK_ONLY_TAG = "notebook-only"
"""Cells with this tag are for people who run the notebook (how to change a parameter, the survey object the
first cell loads); reports leave them out, the notebooks keep them."""


def _markdown_cells(source: Path | dict[str, Any]) -> list[str]:
    content = json.loads(Path(source).read_text(encoding="utf-8")) if isinstance(source, (str, Path)) else source
    return ["".join(cell.get("source", "")) for cell in content.get("cells", []) if cell.get("cell_type") == "markdown"
            and NOTEBOOK_ONLY_TAG not in cell.get("metadata", {}).get("tags", [])]


def notebook_heading(source: Path | dict[str, Any], fallback: str) -> str:
    """The first ``# heading`` of the notebook without its number; ``fallback`` when it has none."""
    for text in _markdown_cells(source):
        match = _HEADING.search(text)
        if match:
            return match.group("title").strip()
    return fallback


def notebook_question(source: Path | dict[str, Any]) -> str:
    """The text after "**Question.**" in the notebook's markdown, on one line; empty when there is none."""
    for text in _markdown_cells(source):
        match = _QUESTION.search(text)
        if match:
            return " ".join(match.group("text").split())
    return ""


def subject(run: RunSpec) -> str | None:
    """What one run is about, when a parameter says: the state's name for ``state``; else the grid values."""
    state = run.parameters.get("state")
    if isinstance(state, str):
        return state_names().get(state, state)
    if run.grid:
        return ", ".join(str(run.parameters.get(key)) for key in run.grid)
    return None


def report_title(run: RunSpec, heading: str) -> str:
    """``heading: subject`` (e.g. "State profile: Estonia"), or the heading alone."""
    about = subject(run)
    return f"{heading}: {about}" if about else heading


def neighbours(runs: Sequence[RunSpec], run: RunSpec) -> dict[str, dict[str, str]]:
    """The previous and next run of the same notebook in plan order: ``{"previous": {label, href}, "next": ...}``.

    ``href`` is relative to the run's own folder (``../FI/06_state_profile-FI.html``).
    """
    same = [r for r in runs if r.notebook == run.notebook]
    ids = [r.id for r in same]
    if len(same) < 2 or run.id not in ids:  # by id: an overridden run (--param) is the same run
        return {}
    index = ids.index(run.id)
    found = {}
    for key, other in (("previous", same[index - 1] if index > 0 else None),
                       ("next", same[index + 1] if index + 1 < len(same) else None)):
        if other is not None:
            href = f"../{quote(other.run)}/{quote(f'{other.notebook}-{other.run}.html')}"
            found[key] = {"label": subject(other) or other.run, "href": href}
    return found
