"""Files the package writes: content hashes and atomic replacement.

Every file the package writes goes through :func:`atomic_write` (or :func:`atomic_path` for a
writer that needs a path): the content is written to a temporary name beside the target and
renamed into place only when complete, so a crash, a full disk or Ctrl-C never leaves a
half-written file and never damages the previous one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_BLOCK = 1 << 20
TMP_MARK = ".partial-"
"""Temporary files are named ``.<name>.partial-<pid>``."""


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's contents (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def temporary_name(path: Path) -> Path:
    """The temporary name under which ``path`` is written before it is moved into place."""
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``, on error delete it.

    >>> with atomic_path("out.sav") as tmp:      # doctest: +SKIP
    ...     writer(tmp)
    """
    target = Path(path)
    tmp = temporary_name(target)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``content`` (text or bytes) to ``path`` atomically; return the path."""
    target = Path(path)
    data = content.encode(encoding) if isinstance(content, str) else content
    with atomic_path(target) as tmp, tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return target
