"""The tail probabilities behind svychisq's "lincom" and "saddlepoint" (cbss_analysis._engine.chisqsum)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cbss_analysis._engine import chisqsum


def test_imhof_is_exact_when_the_weights_are_equal() -> None:
    """sum_j a chi2_1 over m terms against x chi2_h / ddf is an F(m, h) tail, h = trunc(ddf) as in R."""
    x = np.array([0.3, 2.0, 7.5, 20.0, 55.0])
    m = np.array([1, 2, 3, 4, 8])
    ddf = np.array([3.5, 11.0, 57.2, 197.0, 1492.05])
    for j in range(x.size):
        a = np.full((1, m[j]), 1.7)
        h = np.trunc(ddf[j])
        exact = stats.f.sf(x[j] * h / (ddf[j] * 1.7 * m[j]), m[j], h)
        got = chisqsum.imhof(x[j : j + 1], a, ddf[j : j + 1])[0]
        assert got == pytest.approx(exact, rel=1e-9, abs=1e-13)


def test_imhof_agrees_with_simulation_for_unequal_weights() -> None:
    rng = np.random.default_rng(11)
    a = np.array([[2.5, 1.0, 0.4, 0.1]])
    ddf = np.array([40.0])
    x = np.array([6.0])
    draws = 400_000
    q = (a[0] * rng.chisquare(1, (draws, 4))).sum(axis=1) - x[0] / ddf[0] * rng.chisquare(40, draws)
    simulated = (q > 0).mean()
    got = chisqsum.imhof(x, a, ddf)[0]
    assert abs(got - simulated) < 4 * np.sqrt(simulated * (1 - simulated) / draws)


def test_saddlepoint_is_close_and_vectorised() -> None:
    a = np.array([[1.3, 0.7, 0.2], [2.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    x = np.array([4.0, 9.0, 12.0])
    ddf = np.array([60.5, 120.0, 1000.0])
    saddle = chisqsum.saddlepoint(x, a, ddf)
    exact = chisqsum.imhof(x, a, ddf)
    assert saddle == pytest.approx(exact, rel=0.05)
    one = [chisqsum.saddlepoint(x[j : j + 1], a[j : j + 1], ddf[j : j + 1])[0] for j in range(3)]
    assert saddle == pytest.approx(one, rel=1e-14)


def test_non_finite_inputs_give_nan_and_zero_statistic_gives_one() -> None:
    a = np.array([[1.0, 0.5], [np.nan, 1.0]])
    x = np.array([0.0, 3.0])
    ddf = np.array([10.0, 10.0])
    assert chisqsum.imhof(x, a, ddf)[0] == 1.0
    assert np.isnan(chisqsum.imhof(x, a, ddf)[1])
    assert np.isnan(chisqsum.saddlepoint(x, a, ddf)[1])


def test_chisq_exact_is_exact_when_the_weights_are_equal() -> None:
    """Without a denominator (replicate designs, R pchisqsum): sum of m a chi2_1 is a chi2_m scaled by a."""
    x = np.array([0.3, 2.0, 7.5, 20.0, 55.0])
    for j, m in enumerate([1, 2, 3, 4, 8]):
        a = np.full((1, m), 1.7)
        got = chisqsum.chisq_exact(x[j : j + 1], a)[0]
        assert got == pytest.approx(stats.chi2.sf(x[j] / 1.7, m), rel=1e-9, abs=1e-13)


def test_chisq_saddlepoint_is_close_to_the_exact_tail_and_vectorised() -> None:
    a = np.array([[1.3, 0.7, 0.2], [2.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    x = np.array([4.0, 9.0, 12.0])
    saddle = chisqsum.chisq_saddlepoint(x, a)
    assert saddle == pytest.approx(chisqsum.chisq_exact(x, a), rel=0.05)
    one = [chisqsum.chisq_saddlepoint(x[j : j + 1], a[j : j + 1])[0] for j in range(3)]
    assert saddle == pytest.approx(one, rel=1e-14)


def test_chisq_exact_agrees_with_simulation_for_unequal_weights() -> None:
    rng = np.random.default_rng(12)
    a = np.array([[2.5, 1.0, 0.4, 0.1]])
    x = np.array([6.0])
    draws = 400_000
    simulated = ((a[0] * rng.chisquare(1, (draws, 4))).sum(axis=1) > x[0]).mean()
    got = chisqsum.chisq_exact(x, a)[0]
    assert abs(got - simulated) < 4 * np.sqrt(simulated * (1 - simulated) / draws)
