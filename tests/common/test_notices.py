"""cbss_analysis.common.notices: one wording of the synthetic-data notice, in three lengths, and the SPSS file label."""

from __future__ import annotations

from cbss_analysis.common.notices import SYNTHETIC_BADGE, SYNTHETIC_BANNER, SYNTHETIC_NOTICE, synthetic_file_label
from cbss_analysis.synthetic import SEED

SPSS_FILE_LABEL_CHARS = 64
"""An SPSS .sav header holds a file label of at most 64 characters."""


def test_the_label_fits_spss_for_the_default_seed() -> None:
    label = synthetic_file_label(SEED)
    assert len(label) <= SPSS_FILE_LABEL_CHARS
    assert label.startswith(SYNTHETIC_BADGE) and label.endswith(f"seed {SEED}")
    assert synthetic_file_label(7) != label and synthetic_file_label(7).endswith("seed 7")


def test_three_lengths_of_one_wording() -> None:
    assert SYNTHETIC_BADGE == "SYNTHETIC DATA"
    assert len(SYNTHETIC_BADGE) < len(SYNTHETIC_NOTICE) < len(SYNTHETIC_BANNER)
    assert SYNTHETIC_BANNER.startswith(SYNTHETIC_BADGE) and SYNTHETIC_NOTICE.lower().startswith(SYNTHETIC_BADGE.lower())
    for text in (SYNTHETIC_NOTICE, SYNTHETIC_BANNER, synthetic_file_label(SEED)):
        assert "real respondents" in text
    assert SYNTHETIC_NOTICE.endswith("demonstrate the methods only.") and SYNTHETIC_BANNER.endswith("demonstrates the methods only.")
    assert "\n" not in SYNTHETIC_NOTICE + SYNTHETIC_BANNER


def test_a_long_seed_is_named_whole_within_the_spss_limit():
    from cbss_analysis.common.notices import SPSS_LABEL_CHARS, synthetic_file_label

    label = synthetic_file_label(2**63 - 1)
    assert len(label) <= SPSS_LABEL_CHARS and label.endswith(str(2**63 - 1)) and label.startswith("SYNTHETIC DATA")
