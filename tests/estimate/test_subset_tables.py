"""crosstab and chisq respect Survey.subset on Taylor designs, as R subset(design, ...) (tests/reference/subset_tables.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cbss_analysis import estimate
from cbss_analysis.survey import Survey

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "subset_tables.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def high_scores(clus1: Survey) -> Survey:
    return clus1.subset(clus1.data["api00"] > 600)


@pytest.mark.parametrize("statistic", ["F", "Chisq"])
def test_chisq_on_a_subset_is_r_svychisq_on_subset(high_scores: Survey, statistic: str) -> None:
    expected = REFERENCE["chisq"][statistic]
    row = estimate.chisq(high_scores, "stype", "sch_wide", statistic=statistic).iloc[0]
    for key in ("value", "ndf", "p_value") + (("ddf",) if statistic == "F" else ()):
        assert row[key] == pytest.approx(expected[key], rel=1e-8), key


def test_crosstab_on_a_subset_is_r_svymean_on_subset(high_scores: Survey, clus1: Survey) -> None:
    table = estimate.crosstab(high_scores, "stype", "sch_wide", min_n=0)
    cells = REFERENCE["cells"]
    got = table.set_index(["stype", "sch_wide"])
    for stype, wide, proportion, se in zip(cells["stype"], cells["sch_wide"], cells["proportion"], cells["se"], strict=True):
        assert got.loc[(stype, wide), "proportion"] == pytest.approx(proportion, rel=1e-8)
        assert got.loc[(stype, wide), "proportion_se"] == pytest.approx(se, rel=1e-8)
    whole = estimate.crosstab(clus1, "stype", "sch_wide", min_n=0)
    assert not np.allclose(whole["proportion"], table["proportion"]), "the subset changes the table"
