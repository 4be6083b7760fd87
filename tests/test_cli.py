"""The command line: every bad input gets its one-line error and a non-zero exit, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from cbss_analysis.cli import main
from tests.conftest import BAD_INPUTS, MINI_CODEBOOK

EXPECTED = yaml.safe_load((BAD_INPUTS / "expected.yaml").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_input_gets_its_specific_error(name, capsys):
    code = main(["validate", str(BAD_INPUTS / name), "--codebook", str(MINI_CODEBOOK)])
    out, err = capsys.readouterr()
    assert code == EXPECTED[name]["exit"]
    assert EXPECTED[name]["error"] in out + err
    assert "Traceback" not in out + err


def test_every_bad_input_file_is_listed():
    files = {p.name for p in BAD_INPUTS.iterdir() if p.suffix in {".csv", ".sav", ".yaml"}} - {"expected.yaml", "valid.csv"}
    assert files == set(EXPECTED)


def test_valid_file_passes(capsys):
    assert main(["validate", str(BAD_INPUTS / "valid.csv"), "--codebook", str(MINI_CODEBOOK)]) == 0
    assert "OK" in capsys.readouterr().out


def test_console_script_prints_one_line_without_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "cbss_analysis.cli", "validate", str(BAD_INPUTS / "empty.csv"), "--codebook", "nope"],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: unknown codebook 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "cbss_analysis.cli", "--debug", "codebook", "nope"], capture_output=True, text=True
    )
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_codebook_command_lists_variables_and_indicators(capsys):
    assert main(["codebook", str(MINI_CODEBOOK)]) == 0
    out = capsys.readouterr().out
    assert "mini: A small test codebook  [SYNTHETIC DATA]" in out
    assert "cyberbullied" in out and "cbeenbullied" in out


def test_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "exit codes:" in capsys.readouterr().out
