"""A small SYNTHETIC replicate-weight example, derived from the embedded survey (byte-reproducible).

The respondents of one state of the embedded synthetic survey (``STATE``), a few of its columns,
two indicators as 0/1 columns, and ``REPLICATES`` bootstrap replicate weights ``rw1..rwR`` drawn
from its own design (R ``as.svrepdesign(type = "bootstrap")``: Rao-Wu, clusters drawn with
replacement within strata, seed ``SEED``). It lets ``ReplicateDesign`` be exercised on a fresh
machine without downloads; like the survey it comes from it is SYNTHETIC DATA: not real
respondents. ``data/survey/README.md`` documents it.

    >>> from cbss_analysis import synthetic
    >>> synthetic.replicates.write_replicate_example()     # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cbss_analysis import paths
from cbss_analysis.common.notices import SYNTHETIC_NOTICE
from cbss_analysis.survey import Design, Survey, load_survey

STATE = "NO"
REPLICATES = 20
SEED = 20181
FILE_NAME = "cbss_synthetic_replicates_NO.csv"
COLUMNS = ("seqno_int", "state", "countryno", "id1", "cluster", "sex", "agecat", "age", "weight")
INDICATORS = ("been_bullied", "cyberbullied")
SCALE_NOTE = "ReplicateDesign('weight', 'rw', 'bootstrap', scale={scale!r}, combined_weights=True)"


def replicate_example() -> tuple[pd.DataFrame, float]:
    """The example frame (one row per respondent of ``STATE``) and its bootstrap ``scale``.

    The design of the rows is the embedded survey's restricted to the state (strata ``countryno``
    x ``id1``, clusters ``cluster``); the replicate weights are rounded to 6 decimals, so that the
    CSV is the same bytes on every machine with the same numpy.
    """
    survey = load_survey()
    rows = survey.data["state"].astype(str) == STATE
    frame = survey.data.loc[rows, list(COLUMNS)].reset_index(drop=True)
    for indicator in INDICATORS:
        frame[indicator] = survey.indicator(indicator).loc[rows].to_numpy()
    state = Survey(frame, Design("weight", strata=("countryno", "id1"), psu="cluster", nest=True, lonely_psu="adjust"))
    replicate = state.to_replicate("bootstrap", replicates=REPLICATES, seed=SEED)
    weights = np.round(replicate.replicates.replicates, 6)
    for r in range(REPLICATES):
        frame[f"rw{r + 1}"] = weights[:, r]
    for column in ("sex", "agecat", "state"):
        frame[column] = frame[column].astype(str)
    return frame, float(replicate.replicates.scale)


def write_replicate_example(path: Path | None = None) -> Path:
    """Write the example CSV (``data/survey/cbss_synthetic_replicates_NO.csv`` by default).

    The first line is a comment with the synthetic-data notice and the design to declare.
    """
    frame, scale = replicate_example()
    target = path or paths.survey_dir() / FILE_NAME
    header = f"# SYNTHETIC DATA. {SYNTHETIC_NOTICE} Design: {SCALE_NOTE.format(scale=scale)}\n"
    target.write_text(header + frame.to_csv(index=False, lineterminator="\n", float_format="%.10g"), encoding="utf-8")
    return target


def load_replicate_example(path: Path | None = None) -> Survey:
    """The example as a replicate :class:`Survey` (bootstrap, its ``scale`` from the header line), flagged synthetic."""
    from cbss_analysis.survey.replicates import ReplicateDesign

    target = path or paths.survey_dir() / FILE_NAME
    with target.open(encoding="utf-8") as handle:
        header = handle.readline()
    scale = float(header.split("scale=")[1].split(",")[0])
    frame = pd.read_csv(target, comment="#")
    return Survey(frame, ReplicateDesign("weight", "rw", "bootstrap", scale=scale), synthetic=True)
