"""A disk cache of decoded surveys: every load after the first reads one Arrow file instead of decoding again.

**What it holds.** The frame that decoding produced: **one row per respondent** (labelled categoricals, NA for
missing codes, the ``state`` column), i.e. respondent-level data about children. Treat a cache folder as you treat
the data file it came from.

**Where.** Only in a folder the caller names: ``load_survey(..., cache=FOLDER)`` or the environment variable
``CBSS_SURVEY_CACHE=FOLDER`` (``off`` or empty: no cache). Nothing is cached by default in an interactive
session. ``cbss-analysis report`` names ``<out>/.survey-cache/`` inside its marked output folder (see
:mod:`cbss_analysis.reports`), the place the user chose for the outputs of that data (``--no-survey-cache``
turns it off). The folder is created only when its parent exists, with mode 0700; a folder that is a symbolic
link or belongs to another user is not used; entries are written with mode 0600.

**Key.** sha256 over the cache format, the data file's sha256, the sha256 of every codebook file the codebook
read (includes too), ``keep_all_countries``, the loading code (``survey/*.py``, ``states.py`` and the states
table) and the pandas and pyarrow versions: any change to the inputs or to how they are decoded gives another
key. File contents are hashed, never modification times.

**Entry.** ``<key>.<sha256 of the entry>.arrow``: an uncompressed Arrow IPC file written to a temporary name
and renamed into place, so concurrent writers (parallel report runs) never expose a partial file; the last
rename wins and all write the same content. Before a write the frame is read back and compared exactly; a
frame that would not come back identical is not cached. On a load the entry's sha256 is checked against its
name: a damaged entry is deleted and the survey decoded again, never trusted. At most :data:`MAX_ENTRIES`
entries are kept (least recently used removed). Problems with the cache never fail a load and print nothing
(a notebook's outputs are the same with and without it); they are logged at debug level.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from cbss_analysis import paths
from cbss_analysis.common.files import sha256_of

ENVIRONMENT_VARIABLE = "CBSS_SURVEY_CACHE"
FORMAT_VERSION = 1
MAX_ENTRIES = 8
SUFFIX = ".arrow"
_META_KEY = b"cbss_survey_cache"
_OFF = {"", "0", "off", "false", "no", "none"}
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedSurvey:
    """A cache hit: the decoded frame and what loading learnt besides it."""

    frame: pd.DataFrame
    meta: dict[str, Any]


def cache_folder(choice: str | Path | bool | None = None) -> Path | None:
    """The cache folder to use: ``choice`` (a folder, or False for none), else ``$CBSS_SURVEY_CACHE``; None for no cache."""
    if choice is False:
        return None
    if choice is None or choice is True:
        value = os.environ.get(ENVIRONMENT_VARIABLE, "")
        if value.strip().lower() in _OFF:
            return None
        choice = value
    return Path(choice).expanduser()


def _usable(folder: Path) -> bool:
    """Create ``folder`` (0700) if its parent exists; whether it is a private folder of this user."""
    try:
        if not folder.exists():
            if not folder.parent.is_dir():
                return False
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=0o700)
        info = folder.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid"):
        if info.st_uid != os.getuid():
            return False
        if stat.S_IMODE(info.st_mode) & 0o077:
            try:
                os.chmod(folder, 0o700)
            except OSError:
                return False
    return True


@lru_cache(maxsize=1)
def loading_code_hash() -> str:
    """sha256 over the code and table that decode a survey (``survey/*.py``, ``states.py``, ``states.csv``)."""
    files = [*sorted((paths.PACKAGE_DIR / "survey").glob("*.py")), paths.PACKAGE_DIR / "states.py",
             paths.strategy_dir() / "states.csv"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + (sha256_of(path).encode() if path.is_file() else b"-") + b"\n")
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def survey_key(data: Path, codebook_files: tuple[Path, ...], keep_all_countries: bool) -> str | None:
    """The entry key of a data file read through a codebook (None when the codebook was not read from files)."""
    if not codebook_files:
        return None
    document = {
        "format": FORMAT_VERSION,
        "data": sha256_of(data),
        "codebook": [sha256_of(path) for path in codebook_files],
        "keep_all_countries": bool(keep_all_countries),
        "code": loading_code_hash(),
        "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _entries(folder: Path, key: str) -> list[Path]:
    return [p for p in folder.glob(f"{key}.*{SUFFIX}") if not p.name.startswith(".")]


def read_entry(folder: Path | None, key: str | None) -> CachedSurvey | None:
    """The cached survey of ``key``, or None (no entry, or a damaged one, which is deleted)."""
    if folder is None or key is None or not _usable(folder):
        return None
    import pyarrow as pa

    for path in _entries(folder, key):
        digest = path.name[len(key) + 1:-len(SUFFIX)]
        try:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                raise ValueError("content does not match its sha256")
            table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
            meta = json.loads((table.schema.metadata or {}).get(_META_KEY, b"{}"))
            frame = table.to_pandas()
            with contextlib.suppress(OSError):
                os.utime(path)
            return CachedSurvey(frame, meta)
        except Exception as exc:  # a damaged or foreign entry: drop it and decode again
            _LOG.debug("survey cache: dropping %s (%s)", path.name, exc)
            with contextlib.suppress(OSError):
                path.unlink()
    return None


def _arrow_bytes(frame: pd.DataFrame, meta: dict[str, Any]) -> bytes:
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=None)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()})
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def write_entry(folder: Path | None, key: str | None, frame: pd.DataFrame, meta: dict[str, Any]) -> Path | None:
    """Store a decoded frame under ``key``; return the entry, or None when it was not cached."""
    if folder is None or key is None or not _usable(folder):
        return None
    try:
        import pyarrow as pa

        data = _arrow_bytes(frame, meta)
        back = pa.ipc.open_file(pa.BufferReader(data)).read_all().to_pandas()
        pd.testing.assert_frame_equal(back, frame, check_exact=True, check_categorical=True, check_index_type=True)
        digest = hashlib.sha256(data).hexdigest()
        target = folder / f"{key}.{digest}{SUFFIX}"
        tmp = folder / f".{key}.{os.getpid()}.{id(data)}.partial"
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    except Exception as exc:  # a full disk, a frame Arrow cannot hold exactly: load without the cache
        _LOG.debug("survey cache: not cached (%s)", exc)
        return None
    _prune(folder, keep=target)
    return target


def _prune(folder: Path, keep: Path) -> None:
    entries = []
    for path in folder.glob(f"*{SUFFIX}"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime, path))
    entries.sort(reverse=True)
    for _, path in entries[MAX_ENTRIES:]:
        if path != keep:
            with contextlib.suppress(OSError):
                path.unlink()
    for path in folder.glob(".*.partial"):  # left by a process that died while writing
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < keep.stat().st_mtime - 3600:
                path.unlink()
