"""cbss_analysis.reports.files: a finished run replaces the last one atomically; recovery after a kill."""

from __future__ import annotations

from pathlib import Path

from cbss_analysis.reports.files import OLD_PREFIX, TMP_PREFIX, move_into_place, output_names, recover, run_dir
from cbss_analysis.reports.plan import RunSpec


def test_recover_removes_temporary_and_restores_moved_aside(tmp_path: Path) -> None:
    (tmp_path / "nb" / ".tmp-DK-123").mkdir(parents=True)
    (tmp_path / "nb" / ".old-SE-456").mkdir()
    (tmp_path / "nb" / ".old-SE-456" / "manifest.json").write_text("{}")
    (tmp_path / "nb" / ".tmp-FI-789").mkdir()            # a run the plan does not have: not ours to touch
    (tmp_path / "nb" / ".tmp-notes").mkdir()             # not a name the tool generates
    (tmp_path / "other" / ".tmp-DK-1").mkdir(parents=True)  # a notebook the plan does not have
    runs = [RunSpec("nb", "DK", tmp_path / "nb.ipynb"), RunSpec("nb", "SE", tmp_path / "nb.ipynb")]
    recover(tmp_path, runs)
    assert sorted(p.name for p in (tmp_path / "nb").iterdir()) == [".tmp-FI-789", ".tmp-notes", "SE"]
    assert (tmp_path / "nb" / "SE" / "manifest.json").exists()
    assert (tmp_path / "other" / ".tmp-DK-1").is_dir()


def test_recover_drops_a_moved_aside_folder_when_the_new_one_is_in_place(tmp_path: Path) -> None:
    (tmp_path / "nb" / "SE").mkdir(parents=True)
    (tmp_path / "nb" / "SE" / "manifest.json").write_text('{"new": true}')
    (tmp_path / "nb" / f"{OLD_PREFIX}SE-456").mkdir()
    (tmp_path / "nb" / f"{OLD_PREFIX}SE-456" / "manifest.json").write_text('{"old": true}')
    recover(tmp_path, [RunSpec("nb", "SE", tmp_path / "nb.ipynb")])
    assert sorted(p.name for p in (tmp_path / "nb").iterdir()) == ["SE"]
    assert (tmp_path / "nb" / "SE" / "manifest.json").read_text() == '{"new": true}'
    recover(tmp_path / "not-there", [RunSpec("nb", "SE", tmp_path / "nb.ipynb")])  # nothing to recover


def test_move_into_place_replaces_the_folder_and_leaves_nothing_aside(tmp_path: Path) -> None:
    final = tmp_path / "nb" / "DK"
    final.mkdir(parents=True)
    (final / "old.html").write_text("old")
    tmp = tmp_path / "nb" / f"{TMP_PREFIX}DK-1"
    tmp.mkdir()
    (tmp / "new.html").write_text("new")
    move_into_place(tmp, final)
    assert [p.name for p in final.iterdir()] == ["new.html"]
    assert sorted(p.name for p in (tmp_path / "nb").iterdir()) == ["DK"]
    first = tmp_path / "nb" / "EE"
    other = tmp_path / "nb" / f"{TMP_PREFIX}EE-1"
    other.mkdir()
    move_into_place(other, first)  # nothing there before
    assert first.is_dir() and not other.exists()


def test_run_folder_and_file_names(tmp_path: Path) -> None:
    spec = RunSpec("02_profile", "DK", tmp_path / "02_profile.ipynb")
    assert run_dir(tmp_path, spec) == tmp_path / "02_profile" / "DK"
    assert output_names(spec) == {"notebook": "02_profile-DK.ipynb", "html": "02_profile-DK.html",
                                  "manifest": "manifest.json"}
