"""Scale scores and their reliability (weighted Cronbach's alpha).

Items are columns of the survey; labelled items enter by their codebook codes (``1..5``,
not their labels), and items whose codebook entry says ``reverse: true`` are reverse-coded
as ``low + high - code``, with ``low`` and ``high`` the smallest and largest valid code
(or the variable's ``range`` for numeric items). Missing codes are already NA.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbss_analysis._engine.domains import domain_rows
from cbss_analysis._engine.replicates import replicate_variance
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.common.text import snippet
from cbss_analysis.disclosure import suppress_rows
from cbss_analysis.errors import EstimationError
from cbss_analysis.survey.variance_words import variance_method

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey import Survey
    from cbss_analysis.survey.codebook import Variable

METHODS: tuple[str, ...] = ("mean", "sum")


def score(survey: Survey, items: Sequence[str], method: str = "mean", min_valid: int | None = None) -> pd.Series:
    """Scale score of each respondent: the mean or the sum of the (reverse-coded) items.

    Parameters
    ----------
    survey : Survey
        The survey.
    items : sequence of str
        Item columns (at least one).
    method : {"mean", "sum"}
        ``mean``: mean of the answered items. ``sum``: the sum when every item is answered;
        with ``min_valid`` below the number of items, the mean of the answered items times
        the number of items (prorated sum, person-mean imputation).
    min_valid : int, optional
        Fewest answered items for a score; fewer gives NaN. Default: all items.

    Returns
    -------
    pandas.Series
        Float scores named ``"score"``, indexed like ``survey.data``.

    Raises
    ------
    EstimationError
        Unknown item, unknown method, ``min_valid`` outside 1..number of items, or a
        reverse-coded item without codes or range.
    """
    if method not in METHODS:
        raise EstimationError(f"scale method {snippet(method)} is not one of {', '.join(METHODS)}")
    values = _item_matrix(survey, items)
    k = values.shape[1]
    required = k if min_valid is None else min_valid
    if not 1 <= required <= k:
        raise EstimationError(f"min_valid={snippet(min_valid)} must be between 1 and the number of items ({k})")
    answered = np.isfinite(values).sum(axis=1)
    total = np.nansum(values, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / answered
    if method == "mean":
        result = mean
    else:
        result = np.where(answered == k, total, mean * k)
    result = np.where(answered >= required, result, np.nan)
    return pd.Series(result, index=survey.data.index, name="score")


def alpha(
    survey: Survey,
    items: Sequence[str],
    by: str | Sequence[str] | None = None,
    weighted: bool = True,
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Cronbach's alpha of a set of items, survey-weighted, with listwise deletion.

    ``alpha = k / (k - 1) * (1 - sum_j s_j^2 / s_T^2)`` (Cronbach 1951, *Psychometrika* 16:297),
    where ``s_j^2`` are the weighted variances of the k items and ``s_T^2`` the weighted
    variance of their sum, over respondents who answered every item (in the domain). The
    normalisation of the weighted variances cancels in the ratio, so this equals the
    ``cov.wt()`` computation in ``tests/reference/models.R`` and, unweighted, psych's
    ``alpha()$total$raw_alpha``; R ``svycralpha()`` gives the same value.

    On a replicate-weight design (and a calibrated one) the full-sample weights give ``alpha``
    and the replicate weights its SE: R has no replicate SE for alpha, so this is
    ``withReplicates(design, function(w, data) alpha(cov.wt(items, w)))``, ``svrVar`` of the
    replicate alphas (``tests/reference/replicates_models.R``). Taylor designs get no SE.

    Parameters
    ----------
    survey : Survey
        The survey; its design weight is used when ``weighted``.
    items : sequence of str
        Two or more item columns (reverse-coded from the codebook, see the module docstring).
    by : str or sequence of str, optional
        Columns of ``survey.data`` defining domains: one alpha per domain.
    weighted : bool
        Use the design weights (default) or weight every respondent equally.
    min_n : int
        Domains with fewer complete respondents are suppressed (alpha NaN, ``n`` NA), with the
        margin rule of :mod:`cbss_analysis.disclosure`.

    Returns
    -------
    pandas.DataFrame
        Columns ``variables`` (the items, comma-separated), the ``by`` columns, ``alpha``,
        (replicate-weight designs, ``weighted``: ``se``), ``n_items``, ``n`` (complete
        respondents), ``suppressed``. ``attrs``: ``synthetic``, ``kind`` ("alpha"), ``weighted``, ``min_n``.

    Raises
    ------
    EstimationError
        Fewer than two items, unknown item or ``by`` column.
    """
    min_n = checks.min_n(min_n, "alpha")
    if isinstance(items, str) or len(items) < 2:
        raise EstimationError(f"Cronbach's alpha needs at least two items, got {snippet(items)}")
    values = _item_matrix(survey, items)
    by_columns = [by] if isinstance(by, str) else list(by or [])
    for name in by_columns:
        checks.column(name, survey.data.columns, "alpha")
    weight = survey.design_arrays().weight if weighted else np.ones(len(survey.data))
    complete = np.isfinite(values).all(axis=1)
    label = ", ".join(items)
    rep = survey.replicates if weighted else None
    rows = []
    for key, members in domain_rows(survey.data, by_columns, survey.analysed_rows()):
        rows_in = members[complete[members]]
        n = int(rows_in.size)
        value = _alpha(values[rows_in], weight[rows_in]) if n >= max(min_n, 2) else np.nan
        row = {"variables": label, **dict(zip(by_columns, key)), "alpha": value}
        if rep is not None:
            replicate = _replicate_alphas(values[rows_in], rep.replicates[rows_in]) if np.isfinite(value) else None
            row["se"] = float(np.sqrt(replicate_variance(replicate[None, :], np.array([value]), rep))[0]) \
                if replicate is not None else np.nan
        rows.append({**row, "n_items": len(items), "n": n, "suppressed": n < min_n})
    estimates = ["alpha", "se"] if rep is not None else ["alpha"]
    table = pd.DataFrame(rows, columns=["variables", *by_columns, *estimates, "n_items", "n", "suppressed"])
    table = suppress_rows(table, min_n, table["n"], by=by_columns, identity=["variables"], blank=[*estimates, "n"],
                          function="alpha")
    table.attrs.update({"synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": "alpha", "weighted": weighted, "min_n": min_n})
    return table


def _replicate_alphas(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Alpha with each replicate's weights, shape (R,): weighted moments of all replicates in two matrix products."""
    n, k = values.shape
    total = weights.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = (values.T @ weights) / total  # (k, R)
        second = ((values[:, :, None] * values[:, None, :]).reshape(n, k * k).T @ weights) / total
        covariance = second.reshape(k, k, -1) - means[:, None, :] * means[None, :, :]
        trace = np.einsum("iir->r", covariance)
        summed = covariance.sum(axis=(0, 1))
        return np.where(summed > 0, k / (k - 1) * (1.0 - trace / summed), np.nan)


def _alpha(values: np.ndarray, weight: np.ndarray) -> float:
    k = values.shape[1]
    covariance = np.cov(values, rowvar=False, aweights=weight, ddof=0)
    total_variance = covariance.sum()
    if total_variance <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(covariance) / total_variance))


def _item_matrix(survey: Survey, items: Sequence[str]) -> np.ndarray:
    """Items as float codes (n, k), reverse-coded where the codebook says so, NaN for missing."""
    if isinstance(items, str) or not items:
        raise EstimationError(f"items must be a non-empty list of variable names, got {snippet(items)}")
    if len(survey.data) == 0:
        raise EstimationError("scale: the survey has no respondents")
    unknown = [name for name in items if not isinstance(name, str) or name not in survey.data.columns]
    if unknown:
        raise EstimationError(f"scale item {snippet(unknown[0])} is not a column of the survey data"
                              f"{checks.suggestion(unknown[0], survey.data.columns)} (list them with survey.data.columns)")
    columns = []
    for name in items:
        codes = survey.codes(name).to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isnan(codes).all():
            raise EstimationError(f"scale item {snippet(name)} has no valid value (missing for every respondent)")
        if np.isinf(codes).any():
            raise EstimationError(f"scale item {snippet(name)} has infinite values")
        variable = survey.codebook.variables.get(name) if survey.codebook is not None else None
        if variable is not None and variable.reverse:
            low, high = _code_range(variable)
            codes = low + high - codes
        columns.append(codes)
    return np.column_stack(columns)


def _code_range(variable: Variable) -> tuple[float, float]:
    if variable.values:
        return float(min(variable.values)), float(max(variable.values))
    if variable.range is not None:
        return variable.range
    raise EstimationError(f"item {snippet(variable.name)} is reverse-coded but its codebook entry has neither values nor range")
