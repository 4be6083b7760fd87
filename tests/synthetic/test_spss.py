"""cbss_analysis.synthetic.spss and write_embedded: the committed SPSS file is reproducible and labelled synthetic."""

from __future__ import annotations

import pyreadstat

from cbss_analysis import paths, synthetic
from cbss_analysis.common.notices import synthetic_file_label
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.synthetic.spss import NOT_ASKED_LABEL
from tests.synthetic.hbsc import HBSC2018_N


def test_regenerating_from_the_seed_gives_the_committed_file_byte_for_byte(tmp_path):
    written = synthetic.write_embedded(seed=synthetic.SEED, path=tmp_path / paths.EMBEDDED_SURVEY_NAME)
    committed = paths.embedded_survey()
    assert written.read_bytes() == committed.read_bytes(), (
        "the committed survey differs from generate(seed=20180): rebuild it with synthetic.write_embedded() "
        "(a pyreadstat/ReadStat or numpy upgrade can change the bytes)"
    )
    checksum = committed.with_suffix(".sha256").read_text(encoding="utf-8")
    assert checksum == f"{synthetic.sha256_of(committed)}  {committed.name}\n"
    assert written.with_suffix(".sha256").read_text(encoding="utf-8") == checksum


def test_committed_file_is_small_and_labelled_synthetic():
    path = paths.embedded_survey()
    assert path.stat().st_size < 5_000_000
    frame, meta = pyreadstat.read_sav(str(path))
    assert meta.file_label.startswith("SYNTHETIC DATA")
    assert meta.creation_time.isoformat() == "2018-01-01T00:00:00"  # the fixed header stamp
    assert meta.variable_value_labels["sex"] == {1.0: "Boy", 2.0: "Girl"}
    assert meta.column_names_to_labels["beenbullied"] == "Been bullied past months"  # HBSC2018OAed1.1's label
    assert frame.shape == (sum(HBSC2018_N.values()), len(load_codebook("cbss_synthetic").variables))
    assert frame.loc[frame["agecat"] == 1, "img_sent"].isna().all()  # 99 is SPSS user-missing


def test_write_sav_is_reproducible_and_labels_seed_values_and_skips(tmp_path):
    frame = synthetic.generate(seed=7, n=2000)
    first = synthetic.write_sav(frame, tmp_path / "a.sav")
    second = synthetic.write_sav(frame, tmp_path / "b.sav")
    assert first.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.sav", "b.sav"], "no partial file is left"
    data, meta = pyreadstat.read_sav(str(first), user_missing=True)
    assert meta.file_label == synthetic_file_label(7)
    assert meta.variable_value_labels["img_sent"][99.0] == NOT_ASKED_LABEL
    assert (data.loc[data["agecat"] == 1, "img_sent"] == 99).all(), "99 is kept as a user-missing code"
    assert meta.variable_measure["agecat"] == "ordinal" and meta.variable_measure["weight"] == "scale"
