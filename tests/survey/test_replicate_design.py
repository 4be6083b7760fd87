"""ReplicateDesign and Survey.to_replicate: column selection, R's default constants, one-line errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate
from cbss_analysis.errors import DesignError
from cbss_analysis.survey import Design, Survey
from cbss_analysis.survey.replicates import ReplicateDesign, hadamard


def frame(n: int = 12, replicates: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"w": np.full(n, 2.0), "y": rng.normal(size=n), "g": np.repeat(["a", "b"], n // 2),
                         "stratum": np.repeat([1, 2, 3], n // 3), "psu": np.tile([1, 2], n // 2)})
    for r in range(replicates):
        data[f"rw{r + 1}"] = data["w"] * rng.integers(0, 3, size=n)
    data["rweight"] = 1.0
    return data


def test_prefix_matches_digits_only_and_regex_searches() -> None:
    assert ReplicateDesign("w", "rw", "bootstrap").replicate_columns(frame().columns) == ["rw1", "rw2", "rw3", "rw4"]
    assert ReplicateDesign("w", "^rw[12]$", "bootstrap").replicate_columns(frame().columns) == ["rw1", "rw2"]


@pytest.mark.parametrize(
    ("kind", "rho", "scale"), [("JK1", None, 3 / 4), ("BRR", None, 1 / 4), ("Fay", 0.5, 1.0), ("bootstrap", None, 1 / 3),
                               ("successive-difference", None, 1.0), ("other", None, 1.0)],
)
def test_default_scale_is_r_svrepdesign(kind: str, rho: float | None, scale: float) -> None:
    survey = Survey(frame(), ReplicateDesign("w", "rw", kind, rho=rho))
    assert survey.replicates.scale == pytest.approx(scale)
    assert (survey.replicates.rscales == 1).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "Fay"}, "needs rho"),
        ({"type": "jackknife"}, "is not one of"),
        ({"type": "JKn"}, "needs rscales"),
        ({"type": "BRR", "rho": 1.5}, "must be in"),
        ({"type": "BRR", "scale": -1}, "positive"),
    ],
)
def test_bad_designs_are_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(DesignError, match=message) as error:
        ReplicateDesign("w", "rw", **kwargs)
    assert "\n" not in str(error.value)


def test_missing_and_non_numeric_replicate_columns_are_named() -> None:
    data = frame()
    with pytest.raises(DesignError, match="'rw9' is not in the data"):
        Survey(data, ReplicateDesign("w", ["rw1", "rw9"], "bootstrap"))
    with pytest.raises(DesignError, match="matches no column"):
        Survey(data, ReplicateDesign("w", "zz", "bootstrap"))
    data["rw2"] = "x"
    with pytest.raises(DesignError, match="replicate weight 'rw2' is not numeric"):
        Survey(data, ReplicateDesign("w", "rw", "bootstrap"))
    data["rw2"] = np.nan
    with pytest.raises(DesignError, match="replicate weight 'rw2' is missing in 12 row"):
        Survey(data, ReplicateDesign("w", "rw", "bootstrap"))


def test_to_replicate_types_and_errors() -> None:
    taylor = Survey(frame(), Design("w", strata="stratum", psu="psu", nest=True))
    jkn = taylor.to_replicate("JKn")
    assert jkn.replicates.count == 6
    assert jkn.degrees_of_freedom == taylor.degrees_of_freedom
    brr = taylor.to_replicate("BRR")
    assert brr.replicates.count == 4
    boot = taylor.to_replicate("bootstrap", replicates=20, seed=3)
    again = taylor.to_replicate("bootstrap", replicates=20, seed=3)
    np.testing.assert_array_equal(boot.replicates.replicates, again.replicates.replicates)
    with pytest.raises(DesignError, match="JK1"):
        taylor.to_replicate("JK1")
    with pytest.raises(DesignError, match="already has a replicate design"):
        jkn.to_replicate("JKn")
    assert (hadamard(3)[0] == 1).all()


def test_estimates_have_the_taylor_columns() -> None:
    taylor = Survey(frame(), Design("w", strata="stratum", psu="psu", nest=True))
    survey = taylor.to_replicate("JKn")
    assert list(estimate.mean(survey, "y", by="g", min_n=0).columns) == list(estimate.mean(taylor, "y", by="g", min_n=0).columns)
    assert list(estimate.quantile(survey, "y", by="g", min_n=0).columns) == list(
        estimate.quantile(taylor, "y", by="g", min_n=0).columns)


def test_codebook_design_block_declares_replicates() -> None:
    from cbss_analysis.errors import CodebookError
    from cbss_analysis.survey.codebook import Codebook, _parse_design
    from cbss_analysis.survey.loading import design_from_codebook

    spec = _parse_design({"weight": "w", "replicates": {"columns": "rw", "type": "Fay", "rho": 0.5, "mse": True}}, "cb.yaml")
    codebook = Codebook.__new__(Codebook)
    object.__setattr__(codebook, "design", spec)
    design = design_from_codebook(codebook)
    assert design == ReplicateDesign("w", "rw", "Fay", rho=0.5, mse=True)
    with pytest.raises(CodebookError, match="rho must be a number"):
        _parse_design({"weight": "w", "replicates": {"columns": "rw", "type": "Fay", "rho": "half"}}, "cb.yaml")
    with pytest.raises(CodebookError):
        _parse_design({"weight": "w", "replicates": {"columns": "rw", "type": "Fay", "colour": 1}}, "cb.yaml")
