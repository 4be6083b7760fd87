"""Find machine paths in rendered reports: every file under an output folder, decompressed where it is packed.

Used by tests/reports/test_machine_paths.py (on the fixture plan) and by the browser check (on the real
``reports/``). HTML, JSON, CSV and notebooks are read as text; an XLSX workbook is unzipped; a PDF is
read with ``pdftotext`` when poppler is there (else its uncompressed bytes).
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from pathlib import Path

from cbss_analysis import paths
from cbss_analysis.reports.redact import FORBIDDEN_PREFIXES


def _texts(path: Path) -> Iterable[str]:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            for name in book.namelist():
                yield book.read(name).decode("utf-8", "replace")
        return
    if path.suffix == ".pdf":
        if shutil.which("pdftotext"):
            yield subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, text=True, check=False).stdout
        yield path.read_bytes().decode("latin-1")
        return
    yield path.read_text(encoding="utf-8", errors="replace")


def machine_paths(out: Path, extra: Iterable[str | Path] = ()) -> list[str]:
    """``file: what`` for every file under ``out`` that shows the project's absolute path, ``out``'s, or /tmp/, /home/, /root/."""
    needles = {str(paths.PROJECT_ROOT) + "/", str(Path(out).resolve()), *(str(e) for e in extra), *FORBIDDEN_PREFIXES}
    found = []
    for path in sorted(p for p in Path(out).rglob("*") if p.is_file()):
        for text in _texts(path):
            for needle in needles:
                if needle and needle in text:
                    at = text.index(needle)
                    found.append(f"{path.relative_to(out)}: {needle!r} in ...{text[max(0, at - 40): at + 60]!r}...")
                    break
    return found
