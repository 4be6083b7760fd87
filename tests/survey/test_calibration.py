"""Survey.calibrate, post_stratify and rake: totals met, one-line errors naming the column, level or iteration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate
from cbss_analysis.errors import DesignError
from cbss_analysis.survey import Design, Survey


def survey() -> Survey:
    rng = np.random.default_rng(2)
    n = 60
    data = pd.DataFrame({"w": rng.uniform(1, 3, n), "sex": pd.Categorical(rng.choice(["Boy", "Girl"], n)), "age": rng.integers(11, 16, n).astype(float),
                         "y": rng.normal(size=n), "psu": np.arange(n) // 3})
    return Survey(data, Design("w", psu="psu"))


@pytest.mark.parametrize("method", ["linear", "raking", "logit"])
def test_calibrated_totals_are_met(method: str) -> None:
    totals = {"sex": {"Boy": 70.0, "Girl": 60.0}, "age": 1700.0}
    out = survey().calibrate(totals, method=method, bounds=(0.2, 5.0) if method == "logit" else None)
    table = estimate.total(out, ["sex", "age"], min_n=0)
    np.testing.assert_allclose(table["estimate"], [70.0, 60.0, 1700.0], rtol=1e-9)


def test_post_stratify_and_rake_meet_their_margins() -> None:
    base = survey()
    out = base.post_stratify("sex", {"Boy": 70, "Girl": 60})
    np.testing.assert_allclose(estimate.total(out, "sex", min_n=0)["estimate"], [70, 60])
    base.data["band"] = pd.Categorical(np.where(base.data["age"] < 13, "young", "old"), categories=["old", "young"])
    raked = base.rake(["sex", "band"], [{"Boy": 70, "Girl": 60}, {"old": 80, "young": 50}])
    np.testing.assert_allclose(estimate.total(raked, "band", min_n=0)["estimate"], [80, 50])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.calibrate({"sex": {"Other": 3}}), "level 'Other' of 'sex'"),
        (lambda s: s.calibrate({"height": 3.0}), "'height' is not a column"),
        (lambda s: s.calibrate({"sex": {"Boy": 70}}, method="cubic"), "is not one of"),
        (lambda s: s.calibrate({"sex": {"Boy": 70, "Girl": 60}}, method="logit"), "needs finite bounds"),
        (lambda s: s.calibrate({"sex": {"Boy": 70, "Girl": 60}, "age": 1e9}, method="raking", maxit=5), "did not converge in 5 iterations"),
        (lambda s: s.post_stratify("sex", {"Boy": 70}), "cell 'Girl'"),
        (lambda s: s.post_stratify("sex", {"Boy": 70, "Girl": 60, "Other": 1}), "population cell 'Other'"),
    ],
)
def test_bad_calibrations_are_one_line_errors(call, message: str) -> None:
    with pytest.raises(DesignError, match=message) as error:
        call(survey())
    assert "\n" not in str(error.value)
