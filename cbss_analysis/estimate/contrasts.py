"""Linear contrasts of the estimates of one table, with the design covariance between them.

:func:`cbss_analysis.estimate.compare` builds a contrast matrix (each domain minus a reference)
and these helpers give its estimates and variances from the table's stored
:class:`~cbss_analysis.estimate.linearization.Linearization`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from cbss_analysis._engine import variance
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import CbssError, EstimationError
from cbss_analysis.estimate.linearization import ESTIMATE_INDEX, TABLE_COLUMNS_BEFORE_BY, Linearization

REFERENCES = ("regional", "regional_weighted")


def contrast_variance(contrast: sparse.csr_matrix, linearization: Linearization, variable: np.ndarray) -> np.ndarray:
    """Variance of each row of ``contrast @ estimates`` (R ``svycontrast``), rows in the strata of their variable."""
    theta = linearization.estimate
    influence = sparse.csr_matrix(
        (linearization.z, (linearization.column, linearization.psu)), shape=(theta.size, linearization.arrays.n_psus)
    )
    combined = (contrast @ influence).tocoo()
    return variance.psu_variance(
        combined.row.astype(np.int64), combined.col.astype(np.int64), combined.data, contrast.shape[0],
        linearization.arrays, strata_present=linearization.strata_present[variable],
    )


def matched_rows(table: pd.DataFrame, linearization: Linearization, by_columns: list[str]) -> pd.DataFrame:
    """The table's rows with their estimate index (matched on variable, level and by values)."""
    key_columns = [*TABLE_COLUMNS_BEFORE_BY, *by_columns]
    missing = [c for c in (*key_columns, "n", "n_weighted", "suppressed") if c not in table.columns]
    if missing:
        raise EstimationError(f"compare: the table lacks column {snippet(missing[0])}")
    rows = table[[*key_columns, "n", "n_weighted", "suppressed"]].reset_index(drop=True)
    rows = rows.rename(columns={"suppressed": "_suppressed"})
    rows["_row"] = np.arange(len(rows))
    keys = linearization.keys.astype({c: rows[c].dtype for c in key_columns})
    rows = rows.merge(keys, on=key_columns, how="left", sort=False)
    if rows[ESTIMATE_INDEX].isna().any():
        raise EstimationError("compare: some rows of the table do not belong to the estimate it was made from")
    rows[ESTIMATE_INDEX] = rows[ESTIMATE_INDEX].astype(np.int64)
    rows["_suppressed"] = rows["_suppressed"].astype(bool)
    rows["_available"] = ~rows["_suppressed"] & ~np.isnan(linearization.estimate[rows[ESTIMATE_INDEX]])
    return rows.sort_values("_row").reset_index(drop=True)


def reference_matrix(rows: pd.DataFrame, n_estimates: int) -> sparse.csr_matrix:
    """Row r: the reference weight on every estimate of its group (suppressed estimates have none)."""
    pairs = rows[["_row", "_group"]].merge(rows.loc[rows["_weight"] > 0, ["_group", ESTIMATE_INDEX, "_weight"]], on="_group")
    return sparse.csr_matrix(
        (pairs["_weight"].to_numpy(), (pairs["_row"].to_numpy(), pairs[ESTIMATE_INDEX].to_numpy())), shape=(len(rows), n_estimates)
    )


def contrast_matrix(rows: pd.DataFrame, n_estimates: int) -> sparse.csr_matrix:
    """Row r: +1 on its own estimate, minus the reference weight on every estimate of its group."""
    n_rows = len(rows)
    own = sparse.csr_matrix((np.ones(n_rows), (np.arange(n_rows), rows[ESTIMATE_INDEX].to_numpy())), shape=(n_rows, n_estimates))
    return (own - reference_matrix(rows, n_estimates)).tocsr()


def reference_weights(rows: pd.DataFrame, reference: str, by: str, population: Mapping[str, float] | None) -> np.ndarray:
    """Weight of each row in its group's reference value (0 for suppressed or empty rows), summing to 1 per group."""
    available = rows["_available"].to_numpy()
    labels = rows[by].astype(str).to_numpy()
    if reference == "regional":
        raw = available.astype(np.float64)
    elif reference == "regional_weighted":
        raw = np.where(available, population_weights(rows, by, labels, population), 0.0)
    else:
        if reference not in set(labels):
            raise EstimationError(f"compare: reference={snippet(reference)} is not 'regional', 'regional_weighted' or a value of {snippet(by)}")
        raw = (available & (labels == reference)).astype(np.float64)
    totals = pd.Series(raw).groupby(rows["_group"].to_numpy()).transform("sum").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(totals > 0, raw / totals, 0.0)


def population_weights(rows: pd.DataFrame, by: str, labels: np.ndarray, population: Mapping[str, float] | None) -> np.ndarray:
    """Population of each row's domain: given, published (states' under-18 population) or estimated."""
    if population is not None:
        lacking = sorted(set(labels) - set(map(str, population)))
        if lacking:
            raise EstimationError(f"compare: population has no value for {by}={snippet(lacking[0])}")
        lookup = {str(k): float(v) for k, v in population.items()}
        return np.array([lookup[label] for label in labels])
    published = published_child_population() if by == "state" else {}
    if set(labels) <= set(published):
        return np.array([published[label] for label in labels])
    return rows["n_weighted"].to_numpy(dtype=np.float64)


def published_child_population() -> dict[str, float]:
    """Latest published under-18 population per state (``data/published/population.csv``), or empty."""
    from cbss_analysis.published import load_published

    try:
        figures = load_published("population")
    except CbssError:
        return {}
    latest = figures.loc[figures["measure"] == "population_under18"].sort_values("year").groupby("state").last()
    return {str(state): float(value) for state, value in latest["value"].items()}
