"""cbss_analysis.common.files: sha256 and atomic writes that never leave a half-written or damaged file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from cbss_analysis.common import files
from cbss_analysis.common.files import TMP_MARK, atomic_path, atomic_write, sha256_of, sha256_text, temporary_name


def test_sha256_equals_hashlib(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)  # more than one 1 MiB block
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()
    assert sha256_of(str(path)) == sha256_of(path)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert sha256_of(empty) == hashlib.sha256(b"").hexdigest()
    assert sha256_text("Æblegrød") == hashlib.sha256("Æblegrød".encode()).hexdigest()


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    assert atomic_write(target, "first\n") == target
    assert target.read_text() == "first\n"
    atomic_write(target, b"\x00second")
    assert target.read_bytes() == b"\x00second"
    atomic_write(target, "ø", encoding="latin-1")
    assert target.read_bytes() == b"\xf8"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"], "no temporary file is left"


def test_temporary_name_is_hidden_beside_the_target(tmp_path: Path) -> None:
    tmp = temporary_name(tmp_path / "report.html")
    assert tmp.parent == tmp_path and tmp.name == f".report.html{TMP_MARK}{os.getpid()}"


def test_a_failed_rename_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "manifest.json"
    target.write_text("old")

    def fail(source, destination):
        assert Path(source).read_bytes() == b"new content", "the whole content is written before the rename"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, "new content")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"], "the temporary file is removed"


def test_a_writer_that_fails_midway_leaves_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "survey.sav"
    target.write_bytes(b"the last good file")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"half of the ne")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"the last good file"
    assert [p.name for p in tmp_path.iterdir()] == ["survey.sav"]
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"complete")
        assert target.read_bytes() == b"the last good file", "the target changes only when the writer is done"
    assert target.read_bytes() == b"complete"

