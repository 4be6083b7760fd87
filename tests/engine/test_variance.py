"""cbss_analysis._engine.variance: the one design-variance core, checked against values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis._engine import variance
from cbss_analysis.errors import DesignError
from cbss_analysis.survey import Survey
from cbss_analysis.survey.design import Design, DesignArrays
from tests.conftest import REFERENCE

DATA = REFERENCE / "data"


def toy_arrays(rule: str, fraction: float = 0.0) -> DesignArrays:
    """Stratum 0 with PSUs 0, 1, 2; stratum 1 with the single PSU 3."""
    return DesignArrays(
        weight=np.ones(4), stratum=np.array([0, 0, 0, 1]), psu=np.arange(4), psu_stratum=np.array([0, 0, 0, 1]),
        n_psu=np.array([3, 1]), fpc_fraction=np.array([fraction, 0.0]), certainty=np.array([False, False]),
        lonely_psu=rule,
    )


@pytest.mark.parametrize(
    "rule,expected",
    [("adjust", 21.0 + 16.0), ("remove", 21.0), ("certainty", 21.0), ("average", 42.0)],
)
def test_lonely_psu_rules_by_hand(rule: str, expected: float) -> None:
    """PSU totals 1, 2, 6 in stratum 0: 3/2 * (4 + 1 + 9) = 21; lonely PSU total 4: adjust adds 4^2,
    remove/certainty add 0, average doubles the one other stratum (2 strata / 1 with variance)."""
    variance_ = variance.psu_variance(
        np.zeros(4, dtype=np.int64), np.arange(4), np.array([1.0, 2.0, 6.0, 4.0]), 1, toy_arrays(rule)
    )
    assert variance_[0] == pytest.approx(expected, rel=1e-15)


def test_fpc_and_absent_psus_by_hand() -> None:
    """f = 1 - 0.5 halves stratum 0; a PSU without domain members counts as a zero total:
    totals 1, 2, (0): centre 1, squares 0 + 1 + 1 = 2, times 3/2."""
    arrays = toy_arrays("remove", fraction=0.5)
    full = variance.psu_variance(np.zeros(3, dtype=np.int64), np.arange(3), np.array([1.0, 2.0, 6.0]), 1, arrays)
    assert full[0] == pytest.approx(0.5 * 21.0, rel=1e-15)
    domain = variance.psu_variance(np.zeros(2, dtype=np.int64), np.arange(2), np.array([1.0, 2.0]), 1, toy_arrays("remove"))
    assert domain[0] == pytest.approx(3.0, rel=1e-15)
    assert variance.degrees_of_freedom(np.zeros(2, dtype=np.int64), np.arange(2), 1, arrays)[0] == 1


def test_lonely_psu_fail() -> None:
    with pytest.raises(DesignError, match="only one PSU"):
        variance.psu_variance(np.zeros(4, dtype=np.int64), np.arange(4), np.ones(4), 1, toy_arrays("fail"))
    frame = pd.read_csv(DATA / "lonely.csv")
    with pytest.raises(DesignError, match="s5"):
        Survey(frame, Design(weight="w", strata="stratum", psu="psu", nest=True))


def test_group_index_numbers_groups_in_key_order() -> None:
    keys = np.array([7, 3, 7, 0, 3], dtype=np.int64)
    for size in (8, 10**9):  # the dense (bincount) and the sparse (unique) paths
        inverse, unique = variance.group_index(keys, size)
        assert unique.tolist() == [0, 3, 7] and inverse.tolist() == [2, 1, 2, 0, 1]


def test_degrees_of_freedom_are_psus_minus_strata_with_entries() -> None:
    arrays = toy_arrays("adjust")
    column = np.array([0, 0, 0, 0, 1, 1], dtype=np.int64)
    psu = np.array([0, 1, 2, 3, 0, 1], dtype=np.int64)
    assert variance.degrees_of_freedom(column, psu, 2, arrays).tolist() == [4 - 2, 2 - 1]


@pytest.mark.parametrize("rule", ["adjust", "remove", "certainty", "average"])
def test_matrix_form_agrees_with_the_vector_form(rule: str) -> None:
    """design_covariance (models) and psu_variance (estimates) are one core: the diagonal of the one is the other,
    and the covariance is what the variance of a sum needs."""
    arrays = toy_arrays(rule, fraction=0.25)
    scores = np.array([[1.0, 0.5], [2.0, -1.0], [6.0, 2.0], [4.0, 3.0]])
    covariance = variance.design_covariance(scores, arrays, np.ones(4, dtype=bool))
    np.testing.assert_allclose(covariance, covariance.T)
    column = np.repeat([0, 1, 2], 4).astype(np.int64)
    psu = np.tile(np.arange(4), 3).astype(np.int64)
    z = np.concatenate([scores[:, 0], scores[:, 1], scores.sum(axis=1)])
    separate = variance.psu_variance(column, psu, z, 3, arrays, strata_present=np.ones((3, 2), dtype=bool))
    np.testing.assert_allclose(np.diag(covariance), separate[:2], rtol=1e-13)
    np.testing.assert_allclose(covariance.sum(), separate[2], rtol=1e-13)


def test_certainty_strata_contribute_nothing() -> None:
    arrays = toy_arrays("remove")
    certain = DesignArrays(**{**arrays.__dict__, "fpc_fraction": np.array([1.0, 0.0]), "certainty": np.array([True, False])})
    got = variance.psu_variance(np.zeros(4, dtype=np.int64), np.arange(4), np.array([1.0, 2.0, 6.0, 4.0]), 1, certain)
    assert got[0] == 0.0
    np.testing.assert_allclose(variance.stratum_scale(certain), [0.0, 1.0])
    np.testing.assert_allclose(variance.stratum_scale(arrays), [1.5, 1.0])
    assert variance.lonely_strata(arrays).tolist() == [False, True] and variance.lonely_strata(certain).tolist() == [False, True]
