"""cbss_analysis.reports.options: the options of one report command, checked before anything runs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cbss_analysis import reports
from cbss_analysis.errors import ReportError
from cbss_analysis.reports.options import ReportOptions
from tests.conftest import REPORT_FIXTURES

FIXTURES = REPORT_FIXTURES


def test_bad_arguments_are_report_errors(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="--data .*no such file"):
        reports.run_plan(FIXTURES / "plan.yaml", data=tmp_path / "none.sav", out=tmp_path / "out")
    with pytest.raises(ReportError, match="--jobs 0"):
        reports.run_plan(FIXTURES / "plan.yaml", jobs=0, out=tmp_path / "out")
    with pytest.raises(ReportError, match="report plan not found"):
        reports.run_plan(tmp_path / "missing.yaml", out=tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is written before the options are checked"


@pytest.mark.parametrize("jobs", [0, -1, True, 2.0, "2"])
def test_jobs_must_be_a_whole_number_of_at_least_one(jobs: object) -> None:
    with pytest.raises(ReportError, match=r"^--jobs .*: must be a whole number, at least 1$"):
        ReportOptions(jobs=jobs)


@pytest.mark.parametrize("timeout", [0, 0.0, -5, math.inf, -math.inf, math.nan, True, "60"])
def test_timeout_must_be_a_finite_positive_number(timeout: object) -> None:
    with pytest.raises(ReportError) as info:
        ReportOptions(timeout=timeout)
    assert str(info.value).startswith("--timeout ") and "finite positive number of seconds" in str(info.value)


def test_good_options_are_normalised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "survey.csv"
    data.write_text("x\n1\n")
    monkeypatch.chdir(tmp_path)
    options = ReportOptions(only=["a", "b/c"], params=["min_n=5"], data="survey.csv", codebook="books/cb.yaml",
                            out="out", jobs=1, timeout=0.5)
    assert options.only == ("a", "b/c") and options.params == ("min_n=5",)
    assert options.data == data.resolve() and options.out == (tmp_path / "out").resolve()
    assert options.codebook == str((tmp_path / "books" / "cb.yaml").resolve())
    assert ReportOptions(codebook="hbsc2018_oa").codebook == "hbsc2018_oa", "a shipped name stays a name"
    assert (options.jobs, options.timeout) == (1, 0.5)
    assert ReportOptions().jobs is None and ReportOptions().timeout is None
    with pytest.raises(AttributeError):
        options.jobs = 3  # frozen


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_data_that_is_not_a_file_names_only_the_file(tmp_path: Path, kind: str) -> None:
    secret = tmp_path / "home" / "researcher" / "private"
    secret.mkdir(parents=True)
    data = secret / "survey.sav"
    if kind == "folder":
        data.mkdir()
    with pytest.raises(ReportError) as info:
        ReportOptions(data=data)
    message = str(info.value)
    assert message.startswith("--data survey.sav: no such file")
    assert str(secret) not in message and "researcher" not in message
