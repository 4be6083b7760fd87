"""cbss_analysis.survey.readers: SPSS, Stata, CSV and Parquet files read as stored codes, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from cbss_analysis.errors import DataError
from cbss_analysis.survey.readers import SUFFIXES, read_raw
from tests.conftest import BAD_INPUTS


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".sav", ".dta"])
def test_codes_are_read_as_stored_and_only_the_columns_asked_for(tmp_path: Path, mini_frame, suffix: str) -> None:
    path = tmp_path / f"survey{suffix}"
    {".csv": lambda: mini_frame.to_csv(path, index=False), ".parquet": lambda: mini_frame.to_parquet(path),
     ".sav": lambda: pyreadstat.write_sav(mini_frame, path, file_label="my label"),
     ".dta": lambda: pyreadstat.write_dta(mini_frame, path)}[suffix]()
    raw = read_raw(path, columns=["sex", "cbeenbullied", "not_in_the_file"])
    assert list(raw.frame.columns) == ["sex", "cbeenbullied"]
    assert raw.frame["cbeenbullied"].tolist() == mini_frame["cbeenbullied"].tolist(), "missing codes are not applied"
    assert raw.file_label == ("my label" if suffix == ".sav" else "")
    assert list(read_raw(path).frame.columns) == list(mini_frame.columns)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, mini_frame, delimiter: str) -> None:
    path = tmp_path / "survey.csv"
    mini_frame.to_csv(path, index=False, sep=delimiter)
    pd.testing.assert_frame_equal(read_raw(path).frame, mini_frame)


def test_bad_files_are_one_line_data_errors(tmp_path: Path) -> None:
    cases = {
        tmp_path / "missing.csv": "survey file not found",
        BAD_INPUTS / "empty.csv": "the file is empty",
        BAD_INPUTS / "truncated.sav": "cannot read the file",
        BAD_INPUTS / "wrong_delimiter.csv": "found a single column",
    }
    (tmp_path / "survey.xlsx").write_text("x")
    cases[tmp_path / "survey.xlsx"] = f"unknown survey file type '.xlsx'; expected one of {', '.join(SUFFIXES)}"
    (tmp_path / "header.csv").write_text("sex,age\n")
    cases[tmp_path / "header.csv"] = "the file has no respondent rows"
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    cases[tmp_path / "broken.parquet"] = "cannot read the Parquet file"
    for path, message in cases.items():
        with pytest.raises(DataError) as info:
            read_raw(path, columns=["sex", "age"])
        assert str(info.value).startswith(f"{path}: ") and message in str(info.value), path
        assert "\n" not in str(info.value)
