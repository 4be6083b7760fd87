"""The one wording of the synthetic-data notice, in its three lengths.

Every table, figure, report, display and file built on synthetic data says so with these words.
"""

from __future__ import annotations

SYNTHETIC_BADGE = "SYNTHETIC DATA"
"""Shortest form: a badge, a banner heading, a terminal flag."""

SYNTHETIC_NOTICE = "Synthetic data: not real respondents; the figures demonstrate the methods only."
"""One sentence: captions of tables and figures."""

SYNTHETIC_BANNER = (
    "SYNTHETIC DATA: every figure here is computed on synthetic data, not on real respondents; "
    "it demonstrates the methods only."
)
"""The banner of a report or an index page."""


SPSS_LABEL_CHARS = 64
"""SPSS keeps at most this many characters of a file label (longer ones are cut silently)."""


def synthetic_file_label(seed: int) -> str:
    """The label of a synthetic SPSS file: says SYNTHETIC and names the whole seed, in at most 64 characters."""
    label = f"{SYNTHETIC_BADGE}, not real respondents: cbss-analysis seed {seed}"
    return label if len(label) <= SPSS_LABEL_CHARS else f"{SYNTHETIC_BADGE}: cbss-analysis seed {seed}"
