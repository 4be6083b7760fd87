"""cbss-analysis validate FILE --codebook hbsc<CYCLE>_oa checks a file against its cycle's documented codes (issue #13).

The files are small SPSS files in each cycle's documented schema (tests/survey/test_hbsc_cycles_schema.py), and the
embedded synthetic cycles.
"""

from __future__ import annotations

import pyreadstat
import pytest

from cbss_analysis import paths
from cbss_analysis.cli import main
from cbss_analysis.synthetic import cycle_assumptions as assume
from tests.survey.test_hbsc_cycles_schema import CYCLES, schema_frame, write


@pytest.mark.parametrize("cycle", CYCLES)
def test_a_file_in_its_cycles_schema_validates(cycle, tmp_path, capsys):
    path = write(cycle, tmp_path)
    assert main(["validate", str(path), "--codebook", f"hbsc{cycle}_oa"]) == 0
    assert capsys.readouterr().out.strip().endswith(": OK")


@pytest.mark.parametrize("cycle", CYCLES)
def test_an_undocumented_code_is_reported_with_variable_and_value(cycle, tmp_path, capsys):
    frame = schema_frame(cycle)
    frame.loc[3, "beenbullied"] = 7  # the documentation lists codes 1-5
    path = tmp_path / f"bad{cycle}.sav"
    pyreadstat.write_sav(frame, str(path))
    assert main(["validate", str(path), "--codebook", f"hbsc{cycle}_oa"]) == 1
    out = capsys.readouterr().out
    assert "beenbullied" in out and "7" in out


@pytest.mark.parametrize("cycle", CYCLES)
def test_another_cycles_codebook_does_not_fit(cycle, tmp_path, capsys):
    other = "2014" if cycle != "2014" else "2006"
    assert main(["validate", str(write(cycle, tmp_path)), "--codebook", f"hbsc{other}_oa"]) == 1
    assert "is not in the file" in capsys.readouterr().out


@pytest.mark.parametrize("cycle", list(assume.FILE_NAMES))
def test_the_embedded_synthetic_cycles_validate_by_their_schema(cycle, capsys):
    path = paths.survey_dir() / assume.FILE_NAMES[cycle]
    assert main(["validate", str(path)]) == 0  # the codebook is chosen by the file's schema
    assert main(["validate", str(path), "--codebook", assume.CYCLE_CODEBOOKS[cycle]]) == 0
