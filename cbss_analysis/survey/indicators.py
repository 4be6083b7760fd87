"""Evaluate the declarative indicator rules of a codebook on survey codes.

Rules are data, never code: ``in``, ``at_least``, ``count_at_least`` and ``mean_of``
(see :class:`cbss_analysis.survey.codebook.Indicator`). Each function takes a callable that
returns the float codes of a variable (NaN for missing) and returns a float series.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cbss_analysis.survey.codebook import Indicator

CodesOf = Callable[[str], pd.Series]


def evaluate(indicator: Indicator, codes_of: CodesOf) -> pd.Series:
    """Compute an indicator: 1.0/0.0 (or a mean for ``mean_of``), NaN where undetermined.

    - ``in: [c...]``: 1 when the variable's code is one of ``c``, 0 when another valid code.
    - ``at_least: k``: 1 when the code is >= k.
    - ``count_at_least: {items, codes, k}``: 1 when at least ``k`` items hold one of
      ``codes``; 0 when even the unanswered items could not reach ``k``; NaN otherwise
      (so item non-response never counts as "no").
    - ``mean_of: [items]``: mean of the answered items' codes, NaN when fewer than half
      of the items are answered.

    Respondents outside ``indicator.population`` (whose code of a population variable is
    not listed, or missing) get NaN: they were not asked.
    """
    kind, argument = next(iter(indicator.rule.items()))
    if kind == "in":
        result = _flag(codes_of(indicator.variables[0]), lambda c: np.isin(c, argument))
    elif kind == "at_least":
        result = _flag(codes_of(indicator.variables[0]), lambda c: c >= argument)
    elif kind == "count_at_least":
        result = _count_at_least(argument, codes_of)
    else:
        result = _mean_of(argument, codes_of)
    for name, allowed in indicator.population.items():
        result = result.where(codes_of(name).isin(allowed))
    return result.rename(indicator.id)


def _flag(codes: pd.Series, test: Callable[[np.ndarray], np.ndarray]) -> pd.Series:
    values = codes.to_numpy(dtype=np.float64)
    flags = np.where(np.isnan(values), np.nan, test(values).astype(np.float64))
    return pd.Series(flags, index=codes.index)


def _matrix(items: tuple[str, ...], codes_of: CodesOf) -> tuple[np.ndarray, pd.Index]:
    columns = [codes_of(item) for item in items]
    return np.column_stack([c.to_numpy(dtype=np.float64) for c in columns]), columns[0].index


def _count_at_least(argument: dict, codes_of: CodesOf) -> pd.Series:
    matrix, index = _matrix(argument["items"], codes_of)
    answered = ~np.isnan(matrix)
    hits = (np.isin(matrix, argument["codes"]) & answered).sum(axis=1)
    unanswered = (~answered).sum(axis=1)
    k = argument["k"]
    result = np.where(hits >= k, 1.0, np.where(hits + unanswered < k, 0.0, np.nan))
    return pd.Series(result, index=index)


def _mean_of(items: tuple[str, ...], codes_of: CodesOf) -> pd.Series:
    matrix, index = _matrix(items, codes_of)
    answered = (~np.isnan(matrix)).sum(axis=1)
    total = np.nansum(matrix, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(answered * 2 >= len(items), total / answered, np.nan)
    return pd.Series(mean, index=index)
