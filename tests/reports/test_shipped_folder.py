"""The project's reports/ ships with its README only and is a report folder; any other non-empty folder is refused."""

from __future__ import annotations

import pytest

from cbss_analysis import paths
from cbss_analysis.cli import build_parser
from cbss_analysis.errors import ReportError
from cbss_analysis.reports import files


def test_the_shipped_reports_folder_is_claimed_and_a_foreign_one_refused(tmp_path, monkeypatch):
    shipped = tmp_path / "reports"
    shipped.mkdir()
    (shipped / "README.md").write_text("# reports\n")
    monkeypatch.setattr(paths, "REPORTS_DIR", shipped)
    files.claim_output_folder(shipped)
    assert (shipped / files.MARKER).is_file()
    foreign = tmp_path / "other"
    foreign.mkdir()
    (foreign / "README.md").write_text("mine\n")
    with pytest.raises(ReportError, match="not made by cbss-analysis report"):
        files.claim_output_folder(foreign)


def test_the_report_command_has_a_pdf_option():
    args = build_parser().parse_args(["report", "--pdf"])
    assert args.pdf is True and build_parser().parse_args(["report"]).pdf is False
