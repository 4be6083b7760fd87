"""Real published figures shipped in ``data/published/`` (one CSV per table).

Every row carries its ``source``, ``source_url`` (where known) and a ``confidence`` grade
(H: copied from the primary document; M: quoted by a reliable secondary source; L: a
secondary transcription). ``data/published/README.md`` lists each file, its source and licence.

>>> from cbss_analysis import load_published
>>> load_published("psmu_2022_age11").head()   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cbss_analysis import paths, states
from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import DataError

CONFIDENCE: tuple[str, ...] = ("H", "M", "L")
_STATE = {"state": "str", "state_name": "str"}
_COMMON = {**_STATE, "source": "str", "source_url": "str", "confidence": "str"}
SCHEMAS: dict[str, dict[str, str]] = {
    "psmu_2022_age11": {"survey": "str", "age": "Int64", "indicator": "str", "sex": "str",
                        "value_pct": "float64", "licence": "str"},
    "hbsc_sample_sizes": {"countryno": "Int64", "survey": "str", "survey_year": "Int64", "n": "Int64",
                          "note": "str"},
    "corporal_punishment_ban": {"ban_year": "Int64", "note": "str"},
    "barnahus_first": {"first_opening_year": "Int64", "detail": "str"},
    "population": {"measure": "str", "year": "Int64", "value": "float64", "unit": "str"},
    "hbsc_pooled_indicators": {"survey": "str", "indicator": "str", "variable": "str", "codes": "str", "cases": "Int64",
                               "valid_cases": "Int64", "value_pct": "float64", "denominator": "str", "document": "str",
                               "lines": "str"},
}
"""Table name -> its columns (besides state, state_name, source, source_url, confidence) and dtypes."""
POOLED: frozenset[str] = frozenset({"hbsc_pooled_indicators"})
"""Tables of figures pooled over every country of a survey (no state columns): not figures of any CBSS state."""
KEYS: dict[str, tuple[str, ...]] = {
    "psmu_2022_age11": ("state", "sex"),
    "hbsc_sample_sizes": ("state", "survey"),
    "corporal_punishment_ban": ("state",),
    "barnahus_first": ("state",),
    "population": ("state", "measure", "year"),
    "hbsc_pooled_indicators": ("survey", "indicator"),
}
"""Table name -> the columns that identify a row."""


def available() -> list[str]:
    """Names of the published tables, sorted.

    Returns
    -------
    list of str
        Each name ``x`` has a file ``data/published/x.csv``.
    """
    return sorted(name for name in SCHEMAS if (paths.published_dir() / f"{name}.csv").is_file())


def load_published(name: str) -> pd.DataFrame:
    """Load one table of real published figures.

    Parameters
    ----------
    name : str
        One of :func:`available`: ``psmu_2022_age11`` (HBSC 2021/22 problematic social media use,
        age 11, % by state and sex; Denmark and Russia absent as in the source),
        ``hbsc_sample_sizes``, ``corporal_punishment_ban``, ``barnahus_first``, ``population``,
        ``hbsc_pooled_indicators`` (each harmonised indicator's share per HBSC cycle, all countries pooled,
        unweighted, from the study documentation's cases per code; no state columns, see :data:`POOLED`).

    Returns
    -------
    pandas.DataFrame
        Tidy table with ``state`` (ISO2 code), ``state_name`` (not in :data:`POOLED` tables) and the table's columns, then ``source``,
        ``source_url`` and ``confidence``; ``attrs["name"]`` and ``attrs["synthetic"] = False``.

    Raises
    ------
    DataError
        If the name is unknown (the message lists the names) or the file does not match its schema.
    """
    names = available()
    if name not in names:
        raise DataError(f"unknown published table {snippet(name)}; available: {', '.join(names)}")
    path = paths.published_dir() / f"{name}.csv"
    pooled = name in POOLED
    common = {k: v for k, v in _COMMON.items() if not (pooled and k in _STATE)}
    frame = _read(path, {**common, **SCHEMAS[name]})
    _validate(frame, path, KEYS[name], pooled)
    frame.attrs.update(name=name, synthetic=False, path=str(path))
    return frame


def _read(path: Path, schema: dict[str, str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot be read as CSV ({exc.__class__.__name__}); restore the shipped file") from None
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column {snippet(missing[0])}; expected {', '.join(schema)}")
    specific = [column for column in schema if column not in _COMMON]
    frame = frame[[*[c for c in _STATE if c in schema], *specific, "source", "source_url", "confidence"]]
    for column, dtype in schema.items():
        if dtype == "str":
            continue
        numeric = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & numeric.isna()
        if bad.any():
            raise DataError(f"{path}: column {snippet(column)}: non-numeric value {snippet(frame.loc[bad, column].iloc[0])} "
                            f"in {int(bad.sum())} row(s)")
        if dtype == "Int64" and (numeric.dropna() % 1 != 0).any():
            raise DataError(f"{path}: column {snippet(column)}: expected whole numbers")
        frame[column] = numeric.astype(dtype)
    return frame


def _validate(frame: pd.DataFrame, path: Path, keys: tuple[str, ...], pooled: bool = False) -> None:
    for column in ("source", "confidence") if pooled else ("state", "state_name", "source", "confidence"):
        if frame[column].isna().any():
            raise DataError(f"{path}: column {snippet(column)} is empty in {int(frame[column].isna().sum())} row(s)")
    if not pooled:
        _validate_states(frame, path)
    duplicated = frame.duplicated(list(keys))
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        raise DataError(f"{path}: duplicate row for {', '.join(f'{k}={strip_control(str(row[k]))[:40]}' for k in keys)}; keep one")
    bad = ~frame["confidence"].isin(CONFIDENCE)
    if bad.any():
        raise DataError(f"{path}: confidence {snippet(frame.loc[bad, 'confidence'].iloc[0])} is not one of "
                        f"{', '.join(CONFIDENCE)}")


def _validate_states(frame: pd.DataFrame, path: Path) -> None:
    names = states.state_names()
    unknown = sorted(set(frame["state"]) - set(names))
    if unknown:
        raise DataError(f"{path}: unknown state code {snippet(unknown[0])}; expected ISO2 codes of CBSS member states")
    wrong = frame["state_name"] != frame["state"].map(names)
    if wrong.any():
        row = frame[wrong].iloc[0]
        raise DataError(f"{path}: state_name {snippet(row['state_name'])} does not match code {snippet(row['state'])} "
                        f"({snippet(names[row['state']])} expected)")
