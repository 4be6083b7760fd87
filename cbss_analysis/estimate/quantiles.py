"""Quantiles by domain with Woodruff or replicate confidence intervals: R ``svyquantile`` (survey 4.1).

Every variable, domain and probability in one pass: the rows are sorted once by (domain, value),
the weighted distribution function is accumulated within domains, and the quantile rules are
evaluated for all (domain, probability) pairs at once by a vectorised bisection; the Woodruff
step is one :func:`~cbss_analysis.estimate.linearization.linearize` call (on a replicate design
:func:`~cbss_analysis.estimate.replication.replicate_linearize`) on the indicators ``x <= q_hat``
of every variable and probability. Replicate intervals (R ``interval.type = "quantile"``)
re-evaluate the rule with each replicate's weights on the same sorted rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis._engine import intervals
from cbss_analysis._engine.replicates import replicate_variance
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.disclosure import suppress
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate.linearization import (
    AnalysisColumns,
    by_names,
    linearize,
    numeric_values,
    refuse_calibrated_taylor,
    survey_domains,
)
from cbss_analysis.estimate.replication import replicate_linearize
from cbss_analysis.survey import Survey
from cbss_analysis.survey.variance_words import variance_method

QRULES: tuple[str, ...] = ("math", "hf7")
INTERVALS: tuple[str, ...] = ("woodruff", "replicates")
QUANTILE_COLUMNS_AFTER_BY = ("estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "suppressed", "df")


def quantile(
    survey: Survey,
    variables: str | Sequence[str],
    q: float | Sequence[float] = 0.5,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    qrule: str = "math",
    interval: str = "woodruff",
) -> pd.DataFrame:
    """Weighted quantiles by domain with Woodruff (or replicate) intervals and SEs.

    Reproduces R ``svyquantile(~x, design, quantiles = q, qrule = qrule, ci = TRUE, na.rm = TRUE)``
    (survey 4.1, ``interval.type = "mean"``) and, with ``by``, ``svyby(~x, ~by, design,
    svyquantile, ...)`` with ``vartype = c("se", "ci")``:

    - ``qrule="math"`` (R's default): the inverse of the weighted distribution function,
      ``min{x : F(x) >= p}``, computed as R's ``qrule_math`` (rows sorted by value, cumulative
      weights ``W_k``; the last ``k`` with ``W_k <= p W``, or the first row when there is none;
      its value when ``W_k = p W`` exactly, else the next one);
    - ``qrule="hf7"``: R's weighted Hyndman-Fan type 7, linear interpolation of the sorted
      values at ``p`` against ``(0, W_1, ..., W_{n-1}) / W_{n-1}``;
    - interval (Woodruff 1952): the proportion ``P = mean(x <= q_hat)`` with its design SE gives
      ``P -/+ t_df SE``, and the interval is the same quantile rule at those two probabilities;
      an end is NaN when its probability falls outside [0, 1] (as R);
    - ``se = (ci_high - ci_low) / (2 t_df)``, with ``df`` the domain's design df (PSUs minus
      strata among respondents with a value: ``degf()`` of the domain design, which is what
      R uses inside ``svyby``; ``df = Inf`` never occurs).

    Rows with a zero weight take no part in the quantile rule (R removes them).

    On a replicate-weight design this is R ``svyquantile`` on an ``svrepdesign``
    (``survey:::svyquantile.svyrep.design``): the quantile uses the full-sample weights,
    ``df`` is ``degf()`` of the domain design of the respondents with a value (the rank of their
    replicate weights minus 1), and

    - ``interval="woodruff"`` (R's default, ``interval.type = "mean"``): as above, with the
      replicate SE of ``P`` (R ``woodruffCI``);
    - ``interval="replicates"`` (R ``interval.type = "quantile"``, ``repCI``): the rule is applied
      with each replicate's analysis weights, ``se`` is the replicate SE of those quantiles (R
      ``svrVar``) and the interval ``q_hat -/+ t_df se``. R warns that jackknife replicates may
      not give valid SEs for quantiles; so does the statistical literature (use BRR, Fay or the
      bootstrap).

    A calibrated Taylor survey is refused (R's Woodruff step would need the calibration residuals
    of the indicators, not implemented here).

    Parameters
    ----------
    survey : Survey
        The data and its design (or a :meth:`~cbss_analysis.survey.Survey.subset`).
    variables : str or sequence of str
        Numeric columns or indicator ids.
    q : float or sequence of float
        Probabilities strictly between 0 and 1 (``0.5``: the median).
    by : str or sequence of str, optional
        Columns whose combinations define the domains.
    level : float
        Confidence level in (0, 1).
    min_n : int
        Suppress rows with fewer respondents (:func:`cbss_analysis.disclosure.suppress`); 0: off.
    qrule : {"math", "hf7"}
        The quantile rule (see above).
    interval : {"woodruff", "replicates"}
        How the interval is made; ``"replicates"`` needs a replicate-weight survey.

    Returns
    -------
    pandas.DataFrame
        One row per variable, probability and domain: ``variable``, ``quantile`` (the
        probability), ``<by...>``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``,
        ``n_weighted``, ``suppressed``, ``df``; ``attrs``: ``synthetic``, ``kind="quantile"``,
        ``qrule``, ``level``, ``min_n``, ``by``. Quantiles are not linear: the table has no
        linearisation for :func:`~cbss_analysis.estimate.contrast`.

    Raises
    ------
    EstimationError
        A ``q`` outside (0, 1), an unknown ``qrule`` or ``interval``, ``interval="replicates"``
        on a Taylor design, an unknown or categorical variable, an unknown ``by`` column,
        ``level`` outside (0, 1).

    Examples
    --------
    >>> estimate.quantile(survey, "age", q=[0.25, 0.5, 0.75], by="state")    # doctest: +SKIP
    """
    refuse_calibrated_taylor(survey, 'quantile')
    level = checks.level(level, "quantile")
    min_n = checks.min_n(min_n, "quantile")
    probabilities = np.array(checks.probabilities(q, "q", "quantile"))
    qrule = checks.choice(qrule, QRULES, "qrule", "quantile")
    interval = checks.choice(interval, INTERVALS, "interval", "quantile")
    rep = survey.replicates
    if interval == "replicates" and rep is None:
        raise EstimationError("quantile: interval='replicates' needs a replicate-weight design; this survey has a "
                              "Taylor design (use interval='woodruff' or survey.to_replicate())")
    names = checks.names(variables, "variables", "quantile")
    if not names:
        raise EstimationError("quantile: no variables given")
    by_columns = by_names(survey, by, "quantile", ("quantile",))
    domains = survey_domains(survey, by_columns)
    arrays = survey.design_arrays()
    n_domains, n_probabilities = domains.count, probabilities.size
    query_group = np.repeat(np.arange(n_domains), n_probabilities)
    query_p = np.tile(probabilities, n_domains)
    ordered, estimates, indicators = [], [], []
    for name in names:
        values = numeric_values(survey, name)
        distribution = _distribution(values, domains.code, arrays.weight, n_domains)
        q_hat = distribution.quantile(qrule, query_group, query_p).reshape(n_domains, n_probabilities)
        ordered.append(distribution)
        estimates.append(q_hat)
        in_domain = (domains.code >= 0) if n_domains else np.zeros(values.size, dtype=bool)
        for k in range(n_probabilities):
            threshold = np.where(in_domain, q_hat[np.where(in_domain, domains.code, 0), k], np.nan) if n_domains \
                else np.full(values.size, np.nan)
            indicators.append(np.where(np.isnan(values), np.nan, (values <= threshold).astype(np.float64)))
    columns = AnalysisColumns([f"{n}#{k}" for n in names for k in range(n_probabilities)], [None] * len(indicators), indicators)
    if rep is None:
        shares, _ = linearize(columns, domains, arrays, "mean", None)
    else:
        shares, _ = replicate_linearize(columns, domains, survey, "mean", None)
    share = shares["estimate"].to_numpy().reshape(len(names), n_probabilities, n_domains)
    share_se = shares["se"].to_numpy().reshape(len(names), n_probabilities, n_domains)
    df = shares["df"].to_numpy().reshape(len(names), n_probabilities, n_domains)
    t = intervals.t_quantile(level, df)
    with np.errstate(invalid="ignore"):
        p_low = share - t * share_se
        p_high = share + t * share_se
        p_low = np.where(p_low < 0, np.nan, p_low)
        p_high = np.where(p_high > 1, np.nan, p_high)
    parts = []
    for j, name in enumerate(names):
        group = np.tile(np.arange(n_domains), n_probabilities)
        if interval == "replicates":
            point = estimates[j].T.reshape(-1)
            thetas = np.column_stack([
                ordered[j].reweighted(rep.replicates[:, r]).quantile(qrule, group, np.repeat(probabilities, n_domains))
                for r in range(rep.count)
            ])
            half = t[j].reshape(-1) * np.sqrt(replicate_variance(thetas, point, rep))
            low, high = point - half, point + half
        else:
            low = ordered[j].quantile(qrule, group, p_low[j].reshape(-1))
            high = ordered[j].quantile(qrule, group, p_high[j].reshape(-1))
        part = pd.DataFrame({"variable": pd.array([name] * group.size, dtype="str"),
                             "quantile": np.repeat(probabilities, n_domains)})
        part = pd.concat([part, domains.table.iloc[group].reset_index(drop=True)], axis=1)
        part["estimate"] = estimates[j].T.reshape(-1)
        part["ci_low"] = low
        part["ci_high"] = high
        with np.errstate(invalid="ignore"):
            part["se"] = (high - low) / (2.0 * t[j].reshape(-1))
        rows = slice(j * n_probabilities * n_domains, (j + 1) * n_probabilities * n_domains)
        part["n"] = shares["n"].to_numpy()[rows]
        part["n_weighted"] = shares["n_weighted"].to_numpy()[rows]
        part["suppressed"] = False
        part["df"] = shares["df"].to_numpy()[rows]
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table[["variable", "quantile", *by_columns, *QUANTILE_COLUMNS_AFTER_BY]]
    table.attrs.update({"synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": "quantile", "qrule": qrule, "level": float(level),
                        "by": list(by_columns), "interval": interval})
    return suppress(table, min_n)


@dataclass(frozen=True)
class _Distribution:
    """Values sorted within domains with their cumulative weights (R ``qs()``: ``cumsum(w[order(x)])``)."""

    x: np.ndarray  # sorted values, domain by domain
    cumulative: np.ndarray  # cumulative weight within the domain
    start: np.ndarray  # (G,) first position of each domain
    end: np.ndarray  # (G,) one past the last position
    rows: np.ndarray  # row of each position (its place in the data)
    domain: np.ndarray  # domain of each position

    def reweighted(self, weight: np.ndarray) -> _Distribution:
        """The same sorted rows with other weights (a replicate's), rows of weight 0 left out (R ``qrule_*``)."""
        keep = weight[self.rows] != 0
        return _accumulate(self.x[keep], self.rows[keep], self.domain[keep], weight, self.start.size)

    def quantile(self, rule: str, group: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The quantile of each query (domain ``group``, probability ``p``); NaN for an empty domain or NaN ``p``."""
        start, end = self.start[group], self.end[group]
        ok = (end > start) & ~np.isnan(p)
        out = np.full(group.size, np.nan)
        if not ok.any():
            return out
        start, end, p = start[ok], end[ok], p[ok]
        out[ok] = self._math(start, end, p) if rule == "math" else self._hf7(start, end, p)
        return out

    def _math(self, start: np.ndarray, end: np.ndarray, p: np.ndarray) -> np.ndarray:
        """R ``qrule_math``: ``qs()`` then ``qlow`` when ``wlow == 0`` else ``qup``."""
        total = self.cumulative[end - 1]
        count = _count_at_most(self.cumulative, start, end, p * total)
        pos = start + np.maximum(count - 1, 0)  # R's last() gives the first row when none is <= p W
        low = p - self.cumulative[pos] / total
        following = np.minimum(pos + 1, end - 1)
        return np.where(low == 0, self.x[pos], self.x[following])

    def _hf7(self, start: np.ndarray, end: np.ndarray, p: np.ndarray) -> np.ndarray:
        """R ``qrule_hf7``: ``approx(c(0, cumw[-n]) / cumw[n - 1], x, p, rule = 2)``."""
        size = end - start
        single = size == 1
        last = np.where(single, start, end - 2)
        positions = np.arange(self.x.size)
        # pk of each position: 0 at the domain's first row, else the previous row's cumulative weight / W_{n-1}
        domain_of = np.repeat(np.arange(self.start.size), self.end - self.start)
        first = self.start[domain_of]
        denominator = self.cumulative[np.maximum(self.end[domain_of] - 2, first)]
        previous = np.concatenate([[0.0], self.cumulative[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            pk = np.where(positions == first, 0.0, previous / denominator)
        count = _count_at_most(pk, start, end, p)
        i = start + np.clip(count - 1, 0, np.maximum(size - 2, 0))
        j = np.where(single, i, i + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = self.x[i] + (self.x[j] - self.x[i]) * ((p - pk[i]) / (pk[j] - pk[i]))
        value = np.where(p == pk[j], self.x[j], np.where(p == pk[i], self.x[i], inside))
        value = np.where(p < 0, self.x[start], np.where(p > pk[np.maximum(end - 1, start)], self.x[end - 1], value))
        return np.where(single, self.x[last], value)


def _distribution(values: np.ndarray, code: np.ndarray, weight: np.ndarray, n_domains: int) -> _Distribution:
    """Rows with a value, a domain and a nonzero weight, sorted by (domain, value) (stable: R's ``order``)."""
    rows = np.flatnonzero(~np.isnan(values) & (code >= 0) & (weight > 0))
    order = np.lexsort((values[rows], code[rows]))
    rows = rows[order]
    return _accumulate(values[rows], rows, code[rows], weight, n_domains)


def _accumulate(x: np.ndarray, rows: np.ndarray, domain: np.ndarray, weight: np.ndarray, n_domains: int) -> _Distribution:
    """Cumulative weights within domains of rows already sorted by (domain, value)."""
    counts = np.bincount(domain, minlength=n_domains)
    end = np.cumsum(counts)
    start = end - counts
    # R's cumsum() accumulates in long double; so does this, within domains via the running total
    running = np.cumsum(weight[rows].astype(np.longdouble))
    offset = np.where(start > 0, running[np.maximum(start - 1, 0)] if running.size else 0.0, 0.0)
    cumulative = (running - np.repeat(offset, counts)).astype(np.float64)
    return _Distribution(x, cumulative, start.astype(np.int64), end.astype(np.int64), rows, domain)


def _count_at_most(sorted_values: np.ndarray, start: np.ndarray, end: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How many of ``sorted_values[start:end]`` are ``<= target``, for every query at once (bisection)."""
    low, high = start.copy(), end.copy()
    while True:
        active = low < high
        if not active.any():
            return low - start
        middle = (low + high) // 2
        right = active & (sorted_values[np.where(active, middle, 0)] <= target)
        low = np.where(right, middle + 1, low)
        high = np.where(active & ~right, middle, high)
