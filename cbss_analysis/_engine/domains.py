"""Domains (subpopulations): the combinations of ``by`` values, as row codes or as row lists.

:func:`domain_codes` gives every row the code of its domain, for the estimators that handle all
domains in one pass of group sums (:mod:`cbss_analysis.estimate`); :func:`domain_rows` gives each
domain's rows, for analyses fitted one domain at a time (models, scale reliability), with the rows
outside kept in the design at zero weight. Rows with a missing ``by`` value belong to no domain.

Both take ``rows``, the rows that can belong to a domain at all (the survey's subset); the
domains are the combinations observed among the rows that count (``Survey.analysed_rows()``:
in the subset with a nonzero weight), as R's ``svyby`` on ``subset(design, ...)`` finds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis._engine.variance import group_index
from cbss_analysis.common import checks
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import EstimationError


def domain_rows(
    data: pd.DataFrame, by_columns: list[str], rows: np.ndarray | None = None
) -> list[tuple[tuple, np.ndarray]]:
    """Each domain's key and row positions, in sorted key order; one domain of all rows without ``by``.

    Rows with a missing ``by`` value, and rows outside ``rows`` (a bool mask; None: all), belong
    to no domain.
    """
    positions = np.arange(len(data)) if rows is None else np.flatnonzero(rows)
    if not by_columns:
        return [((), positions)]
    check_by_levels(data, by_columns)
    frame = data[by_columns] if rows is None else data[by_columns].iloc[positions]
    groups = frame.groupby(by_columns, observed=True, sort=True, dropna=True).indices
    return [((key,) if len(by_columns) == 1 else tuple(key), positions[np.asarray(members)]) for key, members in groups.items()]


def check_by_levels(data: pd.DataFrame, by_columns: list[str]) -> None:
    """Refuse a ``by`` column that is missing for everyone or has more than :data:`~cbss_analysis.common.checks.MAX_LEVELS` values."""
    for name in by_columns:
        distinct = int(data[name].nunique(dropna=True))
        if distinct == 0 and len(data):
            raise EstimationError(f"by: {snippet(name)} is missing for every respondent; no domain to estimate")
        checks.levels(distinct, name, "by", what="distinct values")


@dataclass(frozen=True)
class Domains:
    """Every row's domain code and the by values of each domain."""

    code: np.ndarray  # (N,) domain of each row, -1 when a by value is missing
    table: pd.DataFrame  # (G, len(by)) by values of each domain

    @property
    def count(self) -> int:
        return len(self.table)


def domain_codes(
    data: pd.DataFrame, by_columns: list[str], rows: np.ndarray | None = None, observed: np.ndarray | None = None
) -> Domains:
    """Code every row by its combination of by values; the combinations observed among ``observed``, in order.

    ``rows`` (bool mask, None: all rows) are the rows that can belong to a domain; the others get
    -1. ``observed`` (None: ``rows``) are the rows whose combinations make the domains: a row of
    ``rows`` whose combination is not observed gets -1 (a zero-weight row keeps the code of its
    domain, so it counts in R's ``nrow(design)``, but a group of zero-weight rows is no domain).
    """
    if not by_columns:
        code = np.zeros(len(data), dtype=np.int64) if rows is None else np.where(rows, 0, -1).astype(np.int64)
        return Domains(code, pd.DataFrame(index=pd.RangeIndex(1)))
    codes, uniques = [], []
    for name in by_columns:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes.append(column.cat.codes.to_numpy().astype(np.int64))
            uniques.append(column.dtype)
        else:
            code, unique = pd.factorize(column, sort=True, use_na_sentinel=True)
            codes.append(code.astype(np.int64))
            uniques.append(unique)
    for name, code in zip(by_columns, codes, strict=True):
        distinct = np.unique(code[code >= 0]).size
        if distinct == 0 and len(data):
            raise EstimationError(f"by: {snippet(name)} is missing for every respondent; no domain to estimate")
        checks.levels(distinct, name, "by", what="distinct values")
    sizes = [len(u.categories) if isinstance(u, pd.CategoricalDtype) else len(u) for u in uniques]
    if np.prod(np.array(sizes, dtype=np.float64)) >= 2.0**62:
        raise EstimationError(f"by={snippet(by_columns)} has too many combinations of values")
    key = np.zeros(len(data), dtype=np.int64)
    missing = np.zeros(len(data), dtype=bool)
    for code, size in zip(codes, sizes, strict=True):
        key = key * size + code
        missing |= code < 0
    valid = ~missing if rows is None else ~missing & rows
    domain = np.full(len(data), -1, dtype=np.int64)
    size = int(np.prod(sizes, dtype=np.int64))
    if observed is None:
        domain[valid], combinations = group_index(key[valid], size)
    else:
        _, combinations = group_index(key[valid & observed], size)
        position = np.searchsorted(combinations, key[valid])
        found = position < combinations.size
        found[found] = combinations[position[found]] == key[valid][found]
        domain[valid] = np.where(found, position, -1)
    parts = np.unravel_index(combinations, sizes)
    table = {}
    for name, unique, part in zip(by_columns, uniques, parts, strict=True):
        if isinstance(unique, pd.CategoricalDtype):
            table[name] = pd.Categorical.from_codes(part, dtype=unique)
        else:
            table[name] = unique.take(part)
    return Domains(domain, pd.DataFrame(table))
