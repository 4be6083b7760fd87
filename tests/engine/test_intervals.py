"""cbss_analysis._engine.intervals: t quantiles, Wald and proportion intervals, p-values, Holm."""

from __future__ import annotations

import numpy as np
import pytest

from cbss_analysis import estimate
from cbss_analysis._engine import intervals
from cbss_analysis.errors import EstimationError


def test_wilson_interval_against_hand_computed_value() -> None:
    """p = 0.3, se = 0.05 (effective n = 84), df = 10, 95%: t = 2.228138851986274; the values below were
    computed by hand from (p + t^2/2m -/+ t sqrt(p(1-p)/m + t^2/4m^2)) / (1 + t^2/m)."""
    low, high = intervals.proportion_interval(
        "wilson", np.array([0.3]), np.array([0.05]), np.array([10]), np.array([200]), 0.95
    )
    assert low[0] == pytest.approx(0.20233320319222753, rel=1e-12)
    assert high[0] == pytest.approx(0.41998849595830595, rel=1e-12)


def test_proportion_intervals_at_zero_and_one() -> None:
    """p = 0 or 1 (se = 0): logit gives [p, p] as R's svyciprop about does; beta, where R gives NaN,
    is Clopper-Pearson on n (upper bound 1 - (a/2)^(1/n) at p = 0 when df = n - 1)."""
    p, se, df, n = np.array([0.0, 1.0]), np.zeros(2), np.array([19, 19]), np.array([20, 20])
    low, high = intervals.proportion_interval("logit", p, se, df, n, 0.95)
    assert list(low) == [0.0, 1.0] and list(high) == [0.0, 1.0]
    low, high = intervals.proportion_interval("beta", p, se, df, n, 0.95)
    assert low[0] == 0.0 and high[1] == 1.0
    assert high[0] == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)
    assert low[1] == pytest.approx(0.025 ** (1 / 20), rel=1e-12)


def test_holm_matches_r_p_adjust() -> None:
    """R: p.adjust(c(0.01, 0.04, 0.03, 0.005, NA, 0.5), "holm")."""
    adjusted = estimate.holm(np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.5]))
    np.testing.assert_allclose(adjusted[[0, 1, 2, 3, 5]], [0.04, 0.09, 0.09, 0.025, 0.5], rtol=1e-15)
    assert np.isnan(adjusted[4])


def test_t_quantile_is_nan_without_degrees_of_freedom() -> None:
    t = intervals.t_quantile(0.95, np.array([0, -1, 1, 10]))
    assert np.isnan(t[:2]).all()
    assert t[2] == pytest.approx(12.706204736174698, rel=1e-12) and t[3] == pytest.approx(2.228138851986274, rel=1e-12)
    assert intervals.t_quantile(0.9, np.array([10]))[0] == pytest.approx(1.8124611228107335, rel=1e-12)


def test_wald_interval_is_symmetric_t() -> None:
    low, high = intervals.wald(np.array([10.0, 1.0]), np.array([2.0, 1.0]), np.array([10, 0]), 0.95)
    assert low[0] == pytest.approx(10 - 2 * 2.228138851986274, rel=1e-12)
    assert high[0] == pytest.approx(10 + 2 * 2.228138851986274, rel=1e-12)
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_two_sided_t_p_values() -> None:
    p = intervals.t_p_value(np.array([2.228138851986274, -2.228138851986274, 0.0, 1.0, np.nan]), np.array([10, 10, 10, 0, 10]))
    np.testing.assert_allclose(p[:3], [0.05, 0.05, 1.0], rtol=1e-12)
    assert np.isnan(p[3]) and np.isnan(p[4])


def test_logit_interval_is_on_the_logit_scale() -> None:
    low, high = intervals.proportion_interval("logit", np.array([0.2]), np.array([0.04]), np.array([10]), np.array([100]), 0.95)
    half = 2.228138851986274 * 0.04 / (0.2 * 0.8)
    assert low[0] == pytest.approx(1 / (1 + np.exp(-(np.log(0.25) - half))), rel=1e-12)
    assert high[0] == pytest.approx(1 / (1 + np.exp(-(np.log(0.25) + half))), rel=1e-12)
    assert high[0] - 0.2 > 0.2 - low[0], "asymmetric, unlike Wald"


def test_unknown_interval_method_is_named() -> None:
    with pytest.raises(EstimationError, match="ci='exact' is not one of logit, beta, wilson, wald"):
        intervals.proportion_interval("exact", np.array([0.5]), np.array([0.1]), np.array([10]), np.array([20]), 0.95)


def test_holm_keeps_order_caps_at_one_and_handles_empty_input() -> None:
    adjusted = intervals.holm(np.array([0.3, 0.01, 0.6]))
    np.testing.assert_allclose(adjusted, [0.6, 0.03, 0.6])
    assert intervals.holm(np.array([])).size == 0
    assert estimate.holm is intervals.holm
