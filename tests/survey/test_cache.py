"""The survey cache: same survey, faster; invalidated by any input change; damage detected; private; opt-out."""

from __future__ import annotations

import os
import shutil
import stat
import threading
import warnings
from pathlib import Path

import pandas as pd
import pytest

from cbss_analysis.survey import cache as survey_cache
from cbss_analysis.survey import load_survey

TESTS = Path(__file__).resolve().parents[1]
CODEBOOK = TESTS / "fixtures" / "mini_codebook.yaml"
DATA = TESTS / "bad_inputs" / "valid.csv"


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """Private copies of the mini codebook and a valid file (so that tests may change them)."""
    shutil.copy(CODEBOOK, tmp_path / "codebook.yaml")
    shutil.copy(DATA, tmp_path / "data.csv")
    return tmp_path / "data.csv", tmp_path / "codebook.yaml"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.arrow"))


def test_a_cached_load_gives_the_same_survey(inputs, tmp_path: Path) -> None:
    data, codebook = inputs
    folder = tmp_path / "cache"
    first = load_survey(data, codebook, cache=folder)
    assert len(_entries(folder)) == 1
    second = load_survey(data, codebook, cache=folder)
    plain = load_survey(data, codebook, cache=False)
    for survey in (first, second):
        pd.testing.assert_frame_equal(survey.data, plain.data, check_exact=True)
        assert repr(survey) == repr(plain) and survey.synthetic == plain.synthetic and survey.source == plain.source
    assert (second.design_arrays().psu == plain.design_arrays().psu).all()
    assert second.indicator("cyberbullied").equals(plain.indicator("cyberbullied"))


def test_the_cache_is_private(inputs, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    load_survey(*inputs, cache=folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())


@pytest.mark.parametrize("change", ["data", "codebook"])
def test_any_change_to_the_inputs_gives_a_new_entry(inputs, tmp_path: Path, change: str) -> None:
    data, codebook = inputs
    folder = tmp_path / "cache"
    load_survey(data, codebook, cache=folder)
    if change == "data":
        rows = data.read_text().splitlines()
        data.write_text("\n".join(rows[:-1]) + "\n")
    else:
        codebook.write_text(codebook.read_text().replace("label: Sex,", "label: Gender,"))
    changed = load_survey(data, codebook, cache=folder)
    assert len(_entries(folder)) == 2
    assert len(changed) == (239 if change == "data" else 240)
    if change == "codebook":
        assert changed.codebook.variables["sex"].label == "Gender"


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_damaged_entry_is_detected_and_rebuilt(inputs, tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "cache"
    plain = load_survey(*inputs, cache=False)
    load_survey(*inputs, cache=folder)
    entry = _entries(folder)[0]
    content = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(content[: len(content) // 2])
    elif damage == "flip":
        middle = len(content) // 2
        entry.write_bytes(content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1:])
    else:
        entry.write_bytes(b"not arrow at all")
    again = load_survey(*inputs, cache=folder)
    pd.testing.assert_frame_equal(again.data, plain.data, check_exact=True)
    assert [p.read_bytes() for p in _entries(folder)] == [content], "rebuilt with the same content"


def test_a_tampered_entry_with_a_matching_name_is_still_a_survey_of_the_same_key(inputs, tmp_path: Path) -> None:
    """An entry is found only by the key of its inputs; a file for other inputs is never served for these."""
    data, codebook = inputs
    folder = tmp_path / "cache"
    load_survey(data, codebook, cache=folder)
    other = tmp_path / "other.csv"
    other.write_text("\n".join(data.read_text().splitlines()[:100]) + "\n")
    assert len(load_survey(other, codebook, cache=folder)) == 99
    assert len(load_survey(data, codebook, cache=folder)) == 240


def test_concurrent_writers_leave_one_good_entry(inputs, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    errors: list[BaseException] = []

    def load() -> None:
        try:
            load_survey(*inputs, cache=folder)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(_entries(folder)) == 1 and not list(folder.glob(".*"))
    assert len(load_survey(*inputs, cache=folder)) == 240


def test_opt_out_and_default_off(inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    monkeypatch.delenv(survey_cache.ENVIRONMENT_VARIABLE, raising=False)
    load_survey(*inputs)
    load_survey(*inputs, cache=False)
    assert not folder.exists()
    monkeypatch.setenv(survey_cache.ENVIRONMENT_VARIABLE, "off")
    load_survey(*inputs)
    assert survey_cache.cache_folder() is None
    monkeypatch.setenv(survey_cache.ENVIRONMENT_VARIABLE, str(folder))
    load_survey(*inputs)
    assert len(_entries(folder)) == 1
    load_survey(*inputs, cache=False)


def test_the_folder_is_made_only_inside_an_existing_folder(inputs, tmp_path: Path) -> None:
    nowhere = tmp_path / "missing" / "cache"
    assert len(load_survey(*inputs, cache=nowhere)) == 240
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_a_symlinked_cache_folder_is_not_used(inputs, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(elsewhere)
    load_survey(*inputs, cache=tmp_path / "cache")
    assert not list(elsewhere.iterdir())


def test_warnings_are_the_same_on_a_hit(tmp_path: Path) -> None:
    codebook = tmp_path / "codebook.yaml"
    shutil.copy(CODEBOOK, codebook)
    rows = DATA.read_text().splitlines()
    data = tmp_path / "with_other_country.csv"
    data.write_text("\n".join([*rows, rows[1].replace("233000", "999000", 1)]) + "\n")
    messages = []
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            load_survey(data, codebook, cache=tmp_path / "cache")
        messages.append([(str(w.message), w.filename, w.lineno) for w in caught])
    assert messages[0] == messages[1] and "left out 1 rows of 1 non-CBSS countries" in messages[0][0][0]
    assert messages[0][0][1] == __file__


def test_entries_are_pruned(inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(survey_cache, "MAX_ENTRIES", 2)
    data, codebook = inputs
    folder = tmp_path / "cache"
    rows = data.read_text().splitlines()
    for n in range(4):
        data.write_text("\n".join(rows[: 200 + n]) + "\n")
        load_survey(data, codebook, cache=folder)
    assert len(_entries(folder)) == 2
