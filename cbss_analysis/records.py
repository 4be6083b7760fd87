"""Headline figures recorded by notebooks, for tests and the report index.

A kernel cannot write its own notebook's metadata, so :func:`record` publishes an invisible
``display_data`` output of mimetype ``application/vnd.cbss.record+json`` (no ``text/plain``:
Jupyter and nbconvert show nothing for it). :func:`read_records` collects these outputs from an
executed notebook, and :func:`store_records_in_metadata` (called by the report pipeline) copies
them into ``nb.metadata["cbss"]["records"]``, where they survive clearing the outputs.

>>> from cbss_analysis import record
>>> record("cyberbullied_regional", 0.143)          # doctest: +SKIP
>>> record("cyberbullied_regional_pct", 14.3, label="Cyberbullied, regional average", unit="percent",
...        interval=(12.9, 15.8))                   # doctest: +SKIP

A record may carry a ``label`` (what the figure is, in words), a ``unit`` (one of
:data:`cbss_analysis.common.numbers.UNITS`: the index and the findings show ``14.3%``, not
``0.143``) and an ``interval`` (the confidence interval, in the same unit). Old calls with a name
and a value publish exactly what they always did; :func:`read_records` still returns name -> value,
and :func:`read_record_details` returns the label, unit and interval beside each value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cbss_analysis.common.numbers import UNITS
from cbss_analysis.errors import ReportError

if TYPE_CHECKING:  # pragma: no cover - nbformat is imported only to read notebooks (it costs a kernel 0.3-2 s)
    import nbformat

MIMETYPE = "application/vnd.cbss.record+json"
TABLE_MIMETYPE = "application/vnd.cbss.table+json"
"""Mimetype of a table published for export by :func:`cbss_analysis.publishing.publish`."""
MAX_CHARS = 10_000
"""Largest recorded value, as JSON text (records are headline figures, not tables)."""


def record(name: str, value: Any, label: str | None = None, unit: str | None = None,
           interval: tuple[float, float] | list[float] | None = None, level: float | None = None) -> None:
    """Record a headline figure of a notebook (a number, a string, or a small dict or list).

    Parameters
    ----------
    name : str
        The figure's name, unique within the notebook (a later record of the same name wins).
    value : Any
        A number, string, bool, None, or a small dict / list of these. NumPy and pandas
        scalars are converted to Python ones; NaN, infinities and missing values become None;
        a pandas Series becomes a dict.
    label : str, optional
        What the figure is, in words ("Respondents", "Cyberbullied, regional average").
    unit : str, optional
        One of :data:`~cbss_analysis.common.numbers.UNITS` (``percent``: the value is already
        x100; ``pp``: percentage points; ``count``, ``score``, ``ratio``, ``year``, ``text``).
    interval : pair of numbers, optional
        The confidence interval ``(low, high)``, in the unit of the value.
    level : float, optional
        The interval's confidence level (0.95 for a 95% interval).

    Raises
    ------
    ReportError
        If the name is empty, the value cannot be stored as JSON (or is over 10,000 characters),
        the label is not a text, the unit is unknown or the interval is not two numbers.

    Notes
    -----
    Outside an IPython kernel this only validates the value.
    """
    if not isinstance(name, str) or not name.strip():
        raise ReportError(f"record(name={name!r}): the name must be a non-empty string")
    clean = json_safe(value, name)
    if len(json.dumps(clean)) > MAX_CHARS:
        raise ReportError(f"record({name!r}): value is over {MAX_CHARS} characters as JSON; record a headline figure, "
                          "not a table")
    payload: dict[str, Any] = {"name": name, "value": clean, **_details(name, label, unit, interval, level)}
    from IPython import get_ipython
    from IPython.display import publish_display_data

    if get_ipython() is not None:
        publish_display_data({MIMETYPE: payload})


def _details(name: str, label: Any, unit: Any, interval: Any, level: Any = None) -> dict[str, Any]:
    """The checked optional parts of a record (only those given, so old records stay as they were)."""
    details: dict[str, Any] = {}
    if label is not None:
        if not isinstance(label, str) or not label.strip():
            raise ReportError(f"record({name!r}): label must be a non-empty string")
        details["label"] = label.strip()[:300]
    if unit is not None:
        if unit not in UNITS:
            raise ReportError(f"record({name!r}): unit={unit!r} is not one of {', '.join(UNITS)}")
        details["unit"] = unit
    if interval is not None:
        bounds = json_safe(list(interval) if isinstance(interval, (tuple, list, np.ndarray)) else interval, name)
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(b is None or (isinstance(b, (int, float)) and not isinstance(b, bool)) for b in bounds)):
            raise ReportError(f"record({name!r}): interval must be two numbers (low, high)")
        details["interval"] = bounds
    if level is not None:
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ReportError(f"record({name!r}): level must be a confidence level between 0 and 1")
        details["level"] = float(level)
    return details


def json_safe(value: Any, name: str = "value") -> Any:
    """``value`` as plain JSON types (NumPy/pandas scalars converted, NaN and NA -> None).

    Raises
    ------
    ReportError
        Naming the record and the offending type when the value cannot be stored as JSON.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return json_safe(value.item(), name)
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, (str, int, np.integer)) or isinstance(key, bool):
                raise ReportError(f"record({name!r}): dict key {key!r} is not a string or integer")
        return {str(key): json_safe(item, name) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(item, name) for item in value]
    if value is pd.NA or value is pd.NaT:
        return None
    raise ReportError(f"record({name!r}): a {type(value).__name__} cannot be recorded; pass a number, string, "
                      "or a small dict or list of them")


def _notebook(notebook: str | Path | nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook itself, read from ``notebook`` when it is a path (nbformat is imported only then)."""
    if not isinstance(notebook, (str, Path)):
        return notebook
    import nbformat

    return nbformat.read(notebook, as_version=4)


def _payloads(nb: nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    """Every record output of ``nb``, name -> payload, in execution order (a later record of a name wins)."""
    payloads: dict[str, dict[str, Any]] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data", {})
            if MIMETYPE not in data:
                continue
            payload = data[MIMETYPE]
            if isinstance(payload, str):
                payload = json.loads(payload)
            payloads[payload["name"]] = dict(payload)
    return payloads


def read_record_details(notebook: str | Path | nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    """A notebook's records with what they say about themselves: name -> ``{value, label, unit, interval}``.

    ``label``, ``unit`` and ``interval`` are present only where the record gave them. A notebook
    without record outputs gives ``metadata["cbss"]["record_details"]`` (else the bare values).
    """
    nb = _notebook(notebook)
    payloads = _payloads(nb)
    if payloads:
        return {name: {k: v for k, v in payload.items() if k != "name"} for name, payload in payloads.items()}
    stored = nb.get("metadata", {}).get("cbss", {})
    if "record_details" in stored:
        return {name: dict(details) for name, details in stored["record_details"].items()}
    return {name: {"value": value} for name, value in stored.get("records", {}).items()}


def read_records(notebook: str | Path | nbformat.NotebookNode) -> dict[str, Any]:
    """Collect a notebook's records: name -> value.

    Parameters
    ----------
    notebook : str, Path or nbformat.NotebookNode
        An executed notebook (path or node).

    Returns
    -------
    dict
        From the record outputs, in execution order (a later record of a name wins). A notebook
        without record outputs (e.g. outputs cleared) gives ``metadata["cbss"]["records"]`` if present.
    """
    nb = _notebook(notebook)
    records = {name: payload["value"] for name, payload in _payloads(nb).items()}
    if records:
        return records
    return dict(nb.get("metadata", {}).get("cbss", {}).get("records", {}))


def store_records_in_metadata(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Copy the notebook's record outputs into ``nb.metadata["cbss"]["records"]`` (in place).

    Records that carry a label, unit or interval are also stored whole in
    ``nb.metadata["cbss"]["record_details"]`` (see :func:`read_record_details`).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook; its metadata is updated.

    Returns
    -------
    dict
        The records stored (name -> value).
    """
    records = read_records(nb)
    details = read_record_details(nb)
    stored = nb.metadata.setdefault("cbss", {})
    stored["records"] = records
    if any(set(d) - {"value"} for d in details.values()):
        stored["record_details"] = details
    return records


def read_tables(notebook: str | Path | nbformat.NotebookNode) -> list[dict[str, Any]]:
    """The tables a notebook published for export (:func:`cbss_analysis.publishing.publish`), in execution order.

    A later table of a name replaces the earlier one. Each is a dict: ``name``, ``title``,
    ``columns``, ``rows``, ``unit``, ``synthetic``, ``source``, ``suppression`` (the rule in words),
    ``cells``, ``suppressed_cells``, ``significance`` (the rule in words, when marked), ``notes``.
    """
    nb = _notebook(notebook)
    tables: dict[str, dict[str, Any]] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            payload = output.get("data", {}).get(TABLE_MIMETYPE)
            if payload is None:
                continue
            if isinstance(payload, str):
                payload = json.loads(payload)
            tables.pop(payload["name"], None)
            tables[payload["name"]] = payload
    return list(tables.values())
