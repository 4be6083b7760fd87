"""Regional averages of domain estimates: :func:`regional_average`, unweighted and population-weighted.

An average is a linear contrast of the rows of an estimate table (:func:`~cbss_analysis.estimate.contrast`), so its
SE has the design covariance between the rows; :func:`~cbss_analysis.estimate.trend` uses the same weights for
the changes of an average between cycles.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from cbss_analysis.common import checks
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate import contrasts
from cbss_analysis.estimate.linearization import ESTIMATE_INDEX, TABLE_COLUMNS_BEFORE_BY

AVERAGES = ("unweighted", "population")
"""Regional averages: the plain mean of the states' estimates (as HBSC reports) and the mean weighted by the states'
under-18 populations of 2022 (UNICEF ``DM_POP_U18``, UN WPP 2022: ``data/published/population.csv``), the same
fixed weights in every cycle, so that a change of the average is a change of the states' rates."""

def regional_average(
    table: pd.DataFrame, by: str = "state", population: Mapping[str, float] | None = None, level: float | None = None,
) -> pd.DataFrame:
    """The unweighted and the population-weighted average of the ``by`` domains' estimates, per group of the
    other by columns (e.g. per cycle), with design-based SEs (:func:`~cbss_analysis.estimate.contrast`).

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`~cbss_analysis.estimate.mean` or :func:`~cbss_analysis.estimate.proportion` with ``by``
        among its by columns.
    by : str
        The averaged column (default ``"state"``).
    population : mapping, optional
        Population per ``by`` value; default the published under-18 populations of 2022 (see ``AVERAGES``).
    level : float, optional
        Confidence level; default the table's.

    Returns
    -------
    pandas.DataFrame
        ``variable``, ``level``, the other by columns, ``average`` (``"unweighted"``, ``"population"``),
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``domains`` (how many were averaged: the unsuppressed
        ones with an estimate) and ``suppressed`` (no domain to average).

    Raises
    ------
    EstimationError
        Not an estimate table, ``by`` not one of its by columns, a population without a value for a domain.
    """
    linearization = contrasts.table_linearization(table, "regional_average")
    level = checks.level(table.attrs.get("level", checks.DEFAULT_LEVEL) if level is None else level, "regional_average")
    rows = contrasts.matched_rows(table, linearization, "regional_average")
    label_columns = [c for c in TABLE_COLUMNS_BEFORE_BY if c in linearization.keys.columns]
    by_columns = [c for c in linearization.keys.columns if c not in (*label_columns, ESTIMATE_INDEX)]
    if by not in by_columns:
        raise EstimationError(f"regional_average: by={snippet(by)} is not a by column of the table (by columns: {by_columns})")
    groups = [*label_columns, *[c for c in by_columns if c != by]]
    rows["_group"] = rows.groupby(groups, dropna=False, sort=False, observed=True).ngroup().to_numpy()
    coefficients, described = [], []
    if population is None:
        population = contrasts.published_child_population()
    for kind in AVERAGES:
        weights = average_weights(rows, rows["_available"].to_numpy(), kind, by, population)
        for members in rows.groupby("_group", sort=False).groups.values():
            positions = rows.index.get_indexer(members)
            total = weights[positions].sum()
            coefficients.append(row_vector(len(rows), positions, weights[positions] / total if total > 0 else weights[positions]))
            first = rows.iloc[positions[0]]
            described.append({**{c: first[c] for c in groups}, "average": kind,
                              "domains": int(rows["_available"].to_numpy()[positions].sum())})
    matrix = sparse.vstack(coefficients).tocsr() if coefficients else sparse.csr_matrix((0, len(rows)))
    result = contrasts.contrast(table, matrix, level=level)
    out = pd.DataFrame(described)
    for column in ("estimate", "se", "ci_low", "ci_high", "df"):
        out[column] = result[column].to_numpy()
    out["suppressed"] = out["domains"].to_numpy() == 0
    out = out[[*groups, "average", "estimate", "se", "ci_low", "ci_high", "df", "domains", "suppressed"]]
    out.attrs.update({"synthetic": bool(table.attrs.get("synthetic", False)), "kind": "regional_average", "by": by,
                      "level": float(level), "min_n": table.attrs.get("min_n")})
    return out


def average_weights(rows: pd.DataFrame, use: np.ndarray, kind: str, by: str, population: Mapping[str, float] | None) -> np.ndarray:
    """Weight of each row in its group's average (0 where not ``use``), before normalising: 1, or the population of its ``by``.

    ``population`` None means the published under-18 populations (a caller that needs the weights of many groups
    reads them once, :func:`~cbss_analysis.estimate.contrasts.published_child_population`, and passes them).
    """
    if kind == "unweighted":
        return use.astype(np.float64)
    labels = rows[by].astype(str).to_numpy()
    given = population is not None
    lookup = {str(k): float(v) for k, v in (population if given else contrasts.published_child_population()).items()}
    lacking = sorted(set(labels[use]) - set(lookup))
    if lacking:
        what = "population has no value" if given else "no published under-18 population"
        raise EstimationError(f"trend: {what} for {by}={lacking[0]!r}; pass population=")
    return np.array([lookup[label] if chosen else 0.0 for label, chosen in zip(labels, use, strict=True)])


def row_vector(size: int, positions: np.ndarray, values: np.ndarray) -> sparse.csr_matrix:
    """One contrast over the ``size`` rows of a table: ``values`` at ``positions``."""
    return sparse.csr_matrix((values, (np.zeros(len(positions), dtype=np.int64), positions)), shape=(1, size))
