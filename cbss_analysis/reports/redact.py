"""No machine paths in what a report shows or writes: files by name (or path inside the project), never absolute.

A report, its manifest, its PDF and its exports go to reviewers; the absolute path of the data
file, the codebooks, the project or a temporary folder says something about the machine and the
people on it and nothing about the numbers. Input files are named by :func:`display_path` (the
path relative to the project when inside it, else the file name) beside their sha256, which
identifies them; :func:`scrub` is the safety net for any text that reaches a report (an error
message, a warning printed by a library): every known absolute folder is replaced by a short
name in angle brackets.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from cbss_analysis import paths

FORBIDDEN_PREFIXES: tuple[str, ...] = ("/tmp/", "/home/", "/root/", "/var/folders/", "/Users/")
"""Folder prefixes that never appear in a report (tests grep every file under ``reports/`` for them)."""


def display_path(path: str | Path) -> str:
    """``data/survey/x.sav`` inside the project, else only the file name (``HBSC2018OAed1.1.sav``)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(paths.PROJECT_ROOT).as_posix()
    except (ValueError, OSError):
        return path.name


def _folders(extra: Iterable[str | Path]) -> tuple[tuple[str, str], ...]:
    """(absolute folder, replacement), longest first so that the most specific wins."""
    machine = (str(paths.PROJECT_ROOT), sys.prefix, sys.base_prefix, tempfile.gettempdir(), os.path.expanduser("~"))
    return _folder_pairs(tuple(str(folder) for folder in extra if folder), machine)


@lru_cache(maxsize=64)
def _folder_pairs(extra: tuple[str, ...], machine: tuple[str, str, str, str, str]) -> tuple[tuple[str, str], ...]:
    """:func:`_folders` for these folders (cached: a notebook's hundreds of texts share the same few folders)."""
    pairs = [(str(Path(folder)), "<" + Path(folder).name + ">") for folder in extra]
    project, *others = machine
    pairs.append((project, "<project>"))
    for folder, name in zip(others, ("<python>", "<python>", "<tmp>", "<home>"), strict=True):
        if folder and folder not in ("/", ""):
            pairs.append((str(Path(folder)), name))
    unique = {folder: name for folder, name in pairs if len(folder) > 1}
    return tuple(sorted(unique.items(), key=lambda item: -len(item[0])))


_GENERIC = re.compile(r"(?<![\w.<>-])(?:/tmp|/home|/root|/var/folders|/Users)/[^\s\"'<>,;:)\]}]*")


def scrub(text: str, extra: Iterable[str | Path] = ()) -> str:
    """``text`` with absolute folders replaced: the project by ``<project>``, Python by ``<python>``, ...

    Parameters
    ----------
    text : str
        Any text shown in or written to a report.
    extra : iterable of paths
        More folders to hide (the data file's folder, the output folder), each shown as its name.
    """
    for folder, name in _folders(extra):
        text = text.replace(folder + "/", name + "/").replace(folder, name)
    return _GENERIC.sub(lambda m: "<path>/" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def scrub_value(value: Any, extra: Iterable[str | Path] = ()) -> Any:
    """:func:`scrub` every text inside a JSON-like value (dicts, lists, strings)."""
    extra = tuple(extra)
    if isinstance(value, str):
        return scrub(value, extra)
    if isinstance(value, dict):
        return {scrub(str(k), extra) if isinstance(k, str) else k: scrub_value(v, extra) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_value(v, extra) for v in value]
    return value


def scrub_notebook(nb: Any, extra: Iterable[str | Path] = ()) -> None:
    """Scrub, in place, every cell source and every text output of an executed notebook."""
    extra = tuple(extra)
    for cell in nb.cells:
        cell.source = scrub(cell.source, extra)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = scrub(output["text"], extra)
            if "traceback" in output:
                output["traceback"] = [scrub(line, extra) for line in output["traceback"]]
            if "evalue" in output:
                output["evalue"] = scrub(output["evalue"], extra)
            for mime, data in list(output.get("data", {}).items()):
                if isinstance(data, str) and not mime.startswith("image/"):
                    output["data"][mime] = scrub(data, extra)
                elif isinstance(data, (dict, list)):
                    output["data"][mime] = scrub_value(data, extra)
    papermill = nb.metadata.get("papermill")
    if isinstance(papermill, dict):
        nb.metadata["papermill"] = scrub_value(papermill, extra)
