"""Read survey microdata files (SPSS ``.sav``, Stata ``.dta``, CSV, Parquet) as raw codes.

Readers return the values as they are stored (numeric codes, no value labels applied)
with the file label; decoding through a codebook is :mod:`cbss_analysis.survey`'s job.
Every failure is a one-line :class:`~cbss_analysis.errors.DataError` naming the file.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cbss_analysis.common.text import SNIPPET_CHARS, first_line, snippet
from cbss_analysis.errors import DataError

SUFFIXES: tuple[str, ...] = (".sav", ".zsav", ".dta", ".csv", ".parquet")
_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class RawFile:
    """A survey file as read: the frame of stored codes and the file's own label."""

    frame: pd.DataFrame
    file_label: str


def read_raw(path: Path, columns: Sequence[str] | None = None) -> RawFile:
    """Read a survey file's stored values.

    Parameters
    ----------
    path : Path
        A ``.sav``/``.zsav``, ``.dta``, ``.csv`` or ``.parquet`` file.
    columns : sequence of str, optional
        Read only these columns (those absent from the file are ignored).

    Raises
    ------
    DataError
        The file does not exist, is empty, has an unknown suffix or cannot be parsed.
    """
    if not path.is_file():
        raise DataError(f"{path}: survey file not found")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unknown survey file type {snippet(suffix)}; expected one of {', '.join(SUFFIXES)}")
    reader = {".sav": _read_spss, ".zsav": _read_spss, ".dta": _read_stata, ".csv": _read_csv, ".parquet": _read_parquet}[suffix]
    raw = reader(path, list(columns) if columns is not None else None)
    if raw.frame.empty:
        raise DataError(f"{path}: the file has no respondent rows")
    return raw


def _reason(exc: BaseException) -> str:
    """The first line of a reader's exception, short: it may quote the file's content."""
    return first_line(exc, SNIPPET_CHARS) or type(exc).__name__


def refuse_duplicate_columns(names: Sequence[object], path: Path) -> None:
    """A file whose columns do not each have their own name is refused: which one would be read?

    Raises
    ------
    DataError
        Naming the repeated column names (at most three, quoted through ``snippet``).
    """
    repeated = [name for name, count in Counter(map(str, names)).items() if count > 1]
    if repeated:
        shown = ", ".join(snippet(name) for name in repeated[:3]) + (f" and {len(repeated) - 3} more" if len(repeated) > 3 else "")
        raise DataError(f"{path}: duplicate column name(s) {shown}; every column needs its own name")


def _readstat(function, path: Path, columns: list[str] | None) -> RawFile:
    try:
        _, meta = function(str(path), metadataonly=True)
    except Exception as exc:  # pyreadstat raises several private exception classes
        raise DataError(f"{path}: cannot read the file ({_reason(exc)}); is it truncated or not a {path.suffix} file?") from None
    refuse_duplicate_columns(meta.column_names, path)
    try:
        usecols = None if columns is None else [c for c in meta.column_names if c in set(columns)]
        frame, meta = function(str(path), usecols=usecols, apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises several private exception classes
        raise DataError(f"{path}: cannot read the file ({_reason(exc)}); is it truncated or not a {path.suffix} file?") from None
    return RawFile(frame, meta.file_label or "")


def _read_spss(path: Path, columns: list[str] | None) -> RawFile:
    import pyreadstat

    return _readstat(pyreadstat.read_sav, path, columns)


def _read_stata(path: Path, columns: list[str] | None) -> RawFile:
    import pyreadstat

    return _readstat(pyreadstat.read_dta, path, columns)


def _sniff_delimiter(path: Path) -> str:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        sample = handle.read(65536)
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _csv_header(path: Path, delimiter: str) -> list[str]:
    """The header row as written (pandas would rename a repeated ``x`` to ``x.1`` silently)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle, delimiter=delimiter), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot parse the CSV header ({_reason(exc)})") from None


def _read_csv(path: Path, columns: list[str] | None) -> RawFile:
    delimiter = _sniff_delimiter(path)
    refuse_duplicate_columns(_csv_header(path, delimiter), path)
    try:
        header = pd.read_csv(path, sep=delimiter, nrows=0).columns
        if len(header) == 1 and columns and header[0] not in columns:
            raise DataError(f"{path}: found a single column {snippet(str(header[0]), 60)}; the delimiter must be one of , ; tab |")
        usecols = None if columns is None else [c for c in header if c in set(columns)]
        frame = pd.read_csv(path, sep=delimiter, usecols=usecols, low_memory=False)
    except DataError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: cannot parse the CSV ({_reason(exc)})") from None
    return RawFile(frame, "")


def _read_parquet(path: Path, columns: list[str] | None) -> RawFile:
    import pyarrow.parquet as pq

    try:
        schema_names = pq.read_schema(path).names
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others
        raise DataError(f"{path}: cannot read the Parquet file ({_reason(exc)})") from None
    refuse_duplicate_columns(schema_names, path)
    try:
        usecols = None if columns is None else [c for c in schema_names if c in set(columns)]
        frame = pd.read_parquet(path, columns=usecols)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others
        raise DataError(f"{path}: cannot read the Parquet file ({_reason(exc)})") from None
    return RawFile(frame, "")
