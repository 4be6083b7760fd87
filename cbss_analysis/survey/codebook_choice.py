"""Which codebook reads a file: :func:`default_codebook_for` (one file) and :func:`codebook_for_file` (by its schema).

HBSC's open-access files of different cycles name their variables differently (2001/02's ``sampleweights`` and
``classno``, 2005/06's ``cluster``, 2013/14's ``M137`` and ``ClassID``, 2017/18's ``weight`` and ``cluster``), and
two cycles may share every name (2001/02 and 2009/10): a file's schema is its column names, and for SPSS and Stata
files also its variable labels and value labels. :func:`codebook_for_file` scores every cycle codebook against it
and takes the one that fits best, or says which ones it cannot tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cbss_analysis import paths
from cbss_analysis.errors import DataError
from cbss_analysis.survey.codebook import Codebook, load_codebook

SYNTHETIC_FILE_LABEL_PREFIX = "SYNTHETIC"
"""A file whose label starts with this is synthetic (the embedded survey, ``cbss-analysis synth`` output)."""
CYCLE_CODEBOOKS: tuple[str, ...] = ("hbsc2002_oa", "hbsc2006_oa", "hbsc2010_oa", "hbsc2014_oa", "hbsc2018_oa")
"""The shipped codebooks of the HBSC open-access files, one per cycle, in time order."""
_LABELLED = (".sav", ".zsav", ".dta")


@dataclass(frozen=True)
class FileSchema:
    """What a file says about itself without its rows: column names, file label, variable and value labels."""

    columns: tuple[str, ...]
    file_label: str = ""
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[float, str]] = field(default_factory=dict)


def file_schema(path: Path) -> FileSchema:
    """Read a file's schema (no rows).

    Raises
    ------
    DataError
        If the file cannot be read or has a format other than SPSS, Stata, CSV or Parquet.
    """
    suffix = path.suffix.lower()
    try:
        if suffix in _LABELLED:
            import pyreadstat

            reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
            _, meta = reader(str(path), metadataonly=True)
            values = {name: {float(k): str(v) for k, v in labels.items() if _is_number(k)}
                      for name, labels in (meta.variable_value_labels or {}).items()}
            labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
            return FileSchema(tuple(meta.column_names), meta.file_label or "", labels, values)
        if suffix == ".csv":
            return FileSchema(tuple(pd.read_csv(path, nrows=0).columns))
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return FileSchema(tuple(pq.read_schema(path).names))
    except Exception as error:  # readers raise their own exception classes for corrupt files
        raise DataError(f"{path.name}: cannot read its variables ({type(error).__name__}: {str(error)[:80]})") from None
    raise DataError(f"{path.name}: unsupported file type {suffix!r}; use .sav, .zsav, .dta, .csv or .parquet")


def _is_number(value: object) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _fits(book: Codebook, schema: FileSchema) -> tuple[int, int, int] | None:
    """How well a codebook fits a schema: (its variables present, variable labels equal, value labels equal);
    None when the file lacks a design or state variable of the codebook."""
    columns = set(schema.columns)
    needed = [book.state_variable]
    if book.design is not None:
        spec = book.design
        needed += [spec.weight, *spec.strata, *([spec.psu] if spec.psu else [])]
    if any(name is not None and name not in columns for name in needed):
        return None
    present = [name for name in book.variables if name in columns]
    same_label = sum(1 for name in present if schema.variable_labels.get(name) == book.variables[name].label)
    same_values = 0
    for name in present:
        variable = book.variables[name]
        theirs = schema.value_labels.get(name)
        if theirs and variable.values and not variable.is_text:
            ours = {float(code): label for code, label in variable.values.items()}
            same_values += all(theirs.get(code) == label for code, label in ours.items())
    return len(present), same_label, same_values


def codebook_for_file(path: str | Path, candidates: tuple[str, ...] = CYCLE_CODEBOOKS,
                      loaded: dict[str, Codebook] | None = None) -> str:
    """The name of the cycle codebook that fits a file's schema best.

    The score of a codebook is (how many of its variables the file has, how many of their variable labels and
    then value labels agree); a codebook whose design or state variable the file lacks does not fit. A file
    labelled SYNTHETIC whose columns fit ``cbss_synthetic`` (the embedded 2017/18 survey) gets that.

    ``loaded`` (name -> codebook), when given, holds the candidates already read and receives those read here, so
    that choosing the codebooks of several files reads each candidate once.

    Raises
    ------
    DataError
        No codebook fits, or two fit equally well (e.g. a CSV file of 2001/02 or 2009/10, which share every
        name): pass the codebook explicitly.
    """
    path = Path(path).expanduser()
    schema = file_schema(path)
    names = list(candidates)
    if schema.file_label.upper().startswith(SYNTHETIC_FILE_LABEL_PREFIX):
        names.insert(0, paths.DEFAULT_CODEBOOK)
    books = loaded if loaded is not None else {}
    for name in names:
        if name not in books:
            books[name] = load_codebook(name)
    scores = {name: _fits(books[name], schema) for name in names}
    fitting = {name: score for name, score in scores.items() if score is not None}
    if not fitting:
        raise DataError(f"{path.name}: no cycle codebook fits its variables (none of {', '.join(names)} finds its "
                        "weight, strata, PSU and country variables); pass codebook=")
    best = max(fitting.values())
    top = [name for name, score in fitting.items() if score == best]
    if len(top) > 1 and top[0] == paths.DEFAULT_CODEBOOK:
        return top[0]
    if len(top) > 1:
        raise DataError(f"{path.name}: its variables fit codebooks {' and '.join(top)} equally; pass codebook= "
                        "(or a mapping {cycle: (path, codebook)})")
    return top[0]


def default_codebook_for(path: Path) -> str:
    """Name of the codebook that fits a file: ``cbss_synthetic`` for files labelled synthetic, else ``hbsc2018_oa``;
    for an SPSS or Stata file whose columns lack that codebook's design variables, the cycle codebook that fits
    its schema (:func:`codebook_for_file`)."""
    if path.suffix.lower() in _LABELLED and path.is_file() and path.stat().st_size > 0:
        try:
            schema = file_schema(path)
        except DataError:  # an unreadable file is reported by read_raw with its own message
            return "hbsc2018_oa"
        synthetic = schema.file_label.upper().startswith(SYNTHETIC_FILE_LABEL_PREFIX)
        default = paths.DEFAULT_CODEBOOK if synthetic else "hbsc2018_oa"
        if _fits(load_codebook(default), schema) is not None:
            return default
        try:
            return codebook_for_file(path)
        except DataError:
            return default
    return "hbsc2018_oa"
