"""The SYNTHETIC earlier cycles (cbss_analysis.synthetic.cycles): sizes, schema, calibration, bytes (issue #13)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pyreadstat
import pytest

from cbss_analysis import load_survey, paths
from cbss_analysis.common.files import sha256_of
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.codebook_choice import codebook_for_file
from cbss_analysis.synthetic import cycle_assumptions as assume
from cbss_analysis.synthetic.cycle_targets import POOLED_CASES, SAMPLE_SIZES
from cbss_analysis.synthetic.cycles import embedded_cycle_paths, generate_cycle, write_cycles

ROOT = Path(__file__).resolve().parents[2]
CYCLES = list(assume.CYCLE_CODEBOOKS)
EMBEDDED_2018_SHA256 = "bd0a56f0e8876a489195381551d061625525247e1e7ab6a13a79774f903b7cee"


@pytest.fixture(scope="module")
def frames():
    return {cycle: generate_cycle(cycle) for cycle in CYCLES}


def test_the_targets_are_written_from_the_documentation():
    script = ROOT / "tests" / "reference" / "hbsc_cycle_targets.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert SAMPLE_SIZES["2001/02"]["IS"] == 0 and SAMPLE_SIZES["2013/14"]["LT"] == 0
    assert SAMPLE_SIZES["2005/06"]["IS"] == 9540 and SAMPLE_SIZES["2009/10"]["DK"] == 4330  # lines 807, 741


@pytest.mark.parametrize("cycle", CYCLES)
def test_each_state_has_its_documented_share_of_cases(frames, cycle):
    book = load_codebook(assume.CYCLE_CODEBOOKS[cycle])
    counts = frames[cycle][book.state_variable].value_counts()
    from cbss_analysis.states import iso2_from_countryno

    by_state = {iso2_from_countryno()[int(code)]: int(n) for code, n in counts.items()}
    expected = {state: round(cases * assume.SAMPLE_FRACTION) for state, cases in SAMPLE_SIZES[cycle].items() if cases}
    assert by_state == expected


@pytest.mark.parametrize("cycle", CYCLES)
def test_the_file_has_the_cycles_schema(frames, cycle):
    book = load_codebook(assume.CYCLE_CODEBOOKS[cycle])
    frame = frames[cycle]
    assert list(frame.columns) == list(book.variables)
    for name, variable in book.variables.items():
        if variable.is_labelled:
            used = set(frame[name].dropna().astype(int))
            assert used <= set(map(int, variable.values)) | set(map(int, variable.missing)), name


@pytest.mark.parametrize("cycle", CYCLES)
def test_items_are_calibrated_to_the_documented_pooled_shares(frames, cycle):
    frame = frames[cycle]
    for name in ("beenbullied", "talkmother", "hadsex"):
        cases = POOLED_CASES[cycle][name]
        codes = sorted(cases)
        documented = np.array([cases[c] for c in codes], dtype=float)
        documented /= documented.sum()
        values = frame[name]
        valid = values[values.isin(codes)]
        synthetic = np.array([(valid == c).mean() for c in codes])
        np.testing.assert_allclose(synthetic, documented, atol=0.006, err_msg=f"{cycle} {name}")


def test_the_committed_files_are_rebuilt_byte_for_byte(tmp_path):
    written = write_cycles(tmp_path)
    for path in written:
        committed = paths.survey_dir() / path.name
        assert sha256_of(path) == sha256_of(committed), path.name
        assert (committed.with_suffix(".sha256")).read_text().split()[0] == sha256_of(committed)
    assert sha256_of(paths.embedded_survey()) == EMBEDDED_2018_SHA256
    total = sum(p.stat().st_size for p in embedded_cycle_paths())
    assert total < 3_000_000


@pytest.mark.parametrize("cycle", CYCLES)
def test_each_file_is_labelled_synthetic_and_loads_through_its_codebook(cycle):
    path = paths.survey_dir() / assume.FILE_NAMES[cycle]
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.file_label.startswith("SYNTHETIC DATA") and cycle in meta.file_label
    assert codebook_for_file(path) == assume.CYCLE_CODEBOOKS[cycle]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = load_survey(path)
    assert survey.synthetic and survey.codebook.name == assume.CYCLE_CODEBOOKS[cycle]


def test_the_five_cycles_stack(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = load_survey(embedded_cycle_paths())
    assert [c.label for c in survey.cycles] == [*CYCLES, "2017/18"]
    assert survey.synthetic
    states = survey.data.groupby("cycle", observed=True)["state"].agg(lambda s: set(s.astype(str)))
    assert "IS" not in states["2001/02"] and "LT" not in states["2013/14"]
    assert {"IS", "LT"} <= states["2005/06"]
