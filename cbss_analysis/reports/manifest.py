"""A run's ``manifest.json``: what was run, on what, with what, when, and what it found.

Keys: ``notebook``, ``run``, ``source`` (the notebook file), ``status`` (``ok``/``failed``),
``run_key``, ``parameters`` (injected), ``defaults`` (the notebook's own, as source text),
``inputs`` (data and codebook files with sha256), ``codebook`` (reference, title),
``synthetic``, ``package`` (name, version, library ``source_sha256``), ``environment``
(Python and key package versions), ``kernel``, ``started``/``finished`` (UTC, ISO 8601),
``duration_s``, ``records`` (the notebook's recorded headline figures, name -> value,
from :mod:`cbss_analysis.records`), ``files`` (kind -> file name), ``file_sha256`` (file name ->
sha256, checked before a run counts as current), and
for a failed run ``error`` (its first line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cbss_analysis.common.files import atomic_write

MANIFEST = "manifest.json"
FAILED_MANIFEST = "failed.json"
FAILED_NOTEBOOK = "failed.ipynb"


def take_records(nb: Any) -> dict[str, Any]:
    """The headline figures recorded in an executed notebook (``cbss_analysis.records``), name -> value.

    They are also copied into ``nb.metadata["cbss"]["records"]`` (in place), where they
    survive clearing the outputs.
    """
    from cbss_analysis.records import store_records_in_metadata

    return dict(store_records_in_metadata(nb))


def records_synthetic(records: dict[str, Any]) -> bool:
    """Whether a record says the figures are synthetic (a record ``synthetic`` that is true)."""
    return records.get("synthetic") is True


def write_json(path: Path, content: dict[str, Any]) -> None:
    """Write JSON (sorted keys, indented) to ``path`` through a temporary file and an atomic rename.

    Every text is scrubbed of absolute folders first (:func:`cbss_analysis.reports.redact.scrub`).
    """
    from cbss_analysis.reports.redact import scrub_value

    clean = scrub_value(json.loads(json.dumps(content, default=str)))
    atomic_write(path, json.dumps(clean, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(path: Path) -> dict[str, Any] | None:
    """Read a manifest; None when it is missing or unreadable."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None
