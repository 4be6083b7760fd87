"""Headline figures recorded by notebooks, for tests and the report index.

A kernel cannot write its own notebook's metadata, so :func:`record` publishes an invisible
``display_data`` output of mimetype ``application/vnd.cbss.record+json`` (no ``text/plain``:
Jupyter and nbconvert show nothing for it). :func:`read_records` collects these outputs from an
executed notebook, and :func:`store_records_in_metadata` (called by the report pipeline) copies
them into ``nb.metadata["cbss"]["records"]``, where they survive clearing the outputs.

>>> from cbss_analysis import record
>>> record("cyberbullied_regional", 0.143)          # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cbss_analysis.errors import ReportError

if TYPE_CHECKING:  # pragma: no cover - nbformat is imported only to read notebooks (it costs a kernel 0.3-2 s)
    import nbformat

MIMETYPE = "application/vnd.cbss.record+json"
MAX_CHARS = 10_000
"""Largest recorded value, as JSON text (records are headline figures, not tables)."""


def record(name: str, value: Any) -> None:
    """Record a headline figure of a notebook (a number, a string, or a small dict or list).

    Parameters
    ----------
    name : str
        The figure's name, unique within the notebook (a later record of the same name wins).
    value : Any
        A number, string, bool, None, or a small dict / list of these. NumPy and pandas
        scalars are converted to Python ones; NaN, infinities and missing values become None;
        a pandas Series becomes a dict.

    Raises
    ------
    ReportError
        If the name is empty or the value cannot be stored as JSON (or is over 10,000 characters).

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
    from IPython import get_ipython
    from IPython.display import publish_display_data

    if get_ipython() is not None:
        publish_display_data({MIMETYPE: {"name": name, "value": clean}})


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
    if isinstance(notebook, (str, Path)):
        import nbformat

        notebook = nbformat.read(notebook, as_version=4)
    nb = notebook
    records: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data", {})
            if MIMETYPE not in data:
                continue
            payload = data[MIMETYPE]
            if isinstance(payload, str):
                payload = json.loads(payload)
            records[payload["name"]] = payload["value"]
    if records:
        return records
    return dict(nb.get("metadata", {}).get("cbss", {}).get("records", {}))


def store_records_in_metadata(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Copy the notebook's record outputs into ``nb.metadata["cbss"]["records"]`` (in place).

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
    nb.metadata.setdefault("cbss", {})["records"] = records
    return records
