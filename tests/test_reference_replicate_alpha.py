"""Cronbach's alpha on replicate-weight designs: R svycralpha() for the value and withReplicates() for its SE
(tests/reference/replicates_models.json, made by replicates_models.R), to 1e-8 relative."""

from __future__ import annotations

import pytest

from cbss_analysis import scales
from tests.replicate_reference import close, model_cases, model_design


@pytest.mark.parametrize("case", model_cases("alpha"))
def test_alpha_and_its_replicate_se(case: dict) -> None:
    table = scales.alpha(model_design(case), case["items"], min_n=0)
    close(table["alpha"], case["alpha"], "alpha")
    close(table["se"], case["se"], "alpha se")


def test_taylor_alpha_has_no_se(clus1) -> None:
    assert "se" not in scales.alpha(clus1, ["api00", "api99", "enroll"], min_n=0).columns
