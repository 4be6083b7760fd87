"""Linear contrasts of the estimates of one table, with the design covariance between them.

:func:`contrast` takes any linear combination of the rows of a table from
:func:`~cbss_analysis.estimate.mean`, :func:`~cbss_analysis.estimate.proportion`,
:func:`~cbss_analysis.estimate.total` or :func:`~cbss_analysis.estimate.ratio` (across
variables and domains), R ``svycontrast``; :func:`cbss_analysis.estimate.compare` is a use of
it (each domain minus a reference). The variances come from the table's stored
:class:`~cbss_analysis.estimate.linearization.Linearization`: the combination of the rows'
influence totals per unit, through the one variance core, so the covariances between rows
(domains sharing PSUs, variables of the same respondents) are included.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from cbss_analysis._engine import intervals, replicates, variance
from cbss_analysis.common import checks
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import CbssError, EstimationError
from cbss_analysis.estimate.linearization import ESTIMATE_INDEX, LINEARIZATION_ATTR, Linearization, LinearizationRef

REFERENCES = ("regional", "regional_weighted")
CONTRAST_COLUMNS = ("contrast", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "suppressed")


def contrast(
    table: pd.DataFrame,
    coefficients: Mapping | Sequence | np.ndarray | pd.Series | pd.DataFrame | sparse.spmatrix,
    level: float | None = None,
) -> pd.DataFrame:
    """Linear combinations ``sum_r c_r theta_r`` of the rows of one estimate table, with design-based SEs.

    Reproduces R ``svycontrast(stat, contrasts)`` on ``svymean``/``svytotal``/``svyratio``
    results and on ``svyby(..., covmat = TRUE)``: the variance is that of the combined influence
    values, so it includes the covariance between the rows (two domains sharing PSUs, two
    variables of the same respondents), and ``confint(contrast, df = ...)`` with t quantiles.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`~cbss_analysis.estimate.mean`, :func:`~cbss_analysis.estimate.proportion`,
        :func:`~cbss_analysis.estimate.total` or :func:`~cbss_analysis.estimate.ratio` (rows may
        be filtered, reordered or re-indexed).
    coefficients
        The combinations, in one of these forms:

        - a mapping from a row label (a label of ``table.index``) to its coefficient, e.g.
          ``{"E": 1, "H": -0.5, "M": -0.5}`` on ``table.set_index("stype")``; rows not named
          get 0 (R's named contrasts). A pandas Series is the same mapping;
        - a vector with one coefficient per row of the table, in its order, e.g. ``[1, -1, 0]``;
        - several contrasts at once: a mapping from a contrast's name to either of the above
          (``{"E - H": {"E": 1, "H": -1}, "H - M": [0, 1, -1]}``), a DataFrame with one row
          per contrast (its index the names) and columns that are row labels (absent: 0), or a
          matrix (array or scipy sparse) of shape ``(contrasts, len(table))``.

        With row labels the table's index must be unique: ``table.set_index(["variable", "stype"])``
        makes labels such as ``("api00", "E")``.
    level : float, optional
        Confidence level; default the table's.

    Returns
    -------
    pandas.DataFrame
        One row per contrast: ``contrast`` (its name: ``"contrast"`` for a single unnamed one,
        ``"contrast_1"``, ... for the rows of a matrix), ``estimate``, ``se``, ``ci_low``,
        ``ci_high`` (``estimate -/+ t_df se``), ``p_value`` (two-sided t test of 0), ``df`` and
        ``suppressed``. ``df`` is the smallest design df of the variables involved (for each,
        PSUs minus strata among its respondents with a value: ``degf()`` of the design R
        computes the statistic on). A contrast that puts weight on a suppressed row, or on a
        row without an estimate, is suppressed (NaN), so that it cannot reveal the row.
        ``attrs``: ``synthetic``, ``kind="contrast"``, ``estimate_kind``, ``level``, ``min_n``.

    Raises
    ------
    EstimationError
        The table carries no linearisation, a row label is not in the index (or the index
        has repeated labels), a vector or matrix does not have one coefficient per row, a
        coefficient is not a finite number, or ``level`` is outside (0, 1).

    Examples
    --------
    >>> t = estimate.mean(survey, "api00", by="stype")                          # doctest: +SKIP
    >>> estimate.contrast(t.set_index("stype"), {"E": 1, "H": -0.5, "M": -0.5})  # doctest: +SKIP
    >>> estimate.contrast(t, {"E - H": [1, -1, 0], "H - M": [0, 1, -1]})        # doctest: +SKIP
    """
    linearization = table_linearization(table, "contrast")
    level = checks.level(table.attrs.get("level", checks.DEFAULT_LEVEL) if level is None else level, "contrast")
    rows = matched_rows(table, linearization, "contrast")
    names, matrix = coefficient_matrix(table, coefficients)
    estimate, se, df, blank = evaluate(rows, linearization, matrix)
    estimate = np.where(blank, np.nan, estimate)
    se = np.where(blank, np.nan, se)
    low, high = intervals.wald(estimate, se, df, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = intervals.t_p_value(np.where(se > 0, estimate / se, np.nan), np.where(np.isnan(df), 0.0, df))
    out = pd.DataFrame(
        {"contrast": pd.array(names, dtype="str"), "estimate": estimate, "se": se, "ci_low": low, "ci_high": high,
         "p_value": p_value, "df": df, "suppressed": blank}
    )
    out.attrs.update(
        {"synthetic": table.attrs.get("synthetic", False), "kind": "contrast", "estimate_kind": table.attrs.get("kind"),
         "level": float(level), "min_n": table.attrs.get("min_n")}
    )
    return out


def table_linearization(table: pd.DataFrame, function: str) -> Linearization:
    """The linearisation a table carries, or a one-line error."""
    ref = table.attrs.get(LINEARIZATION_ATTR) if isinstance(table, pd.DataFrame) else None
    if not isinstance(ref, LinearizationRef):
        raise EstimationError(
            f"{function}: the table has no design information; pass a table from estimate.mean/proportion/total/ratio"
        )
    return ref.linearization


def evaluate(
    rows: pd.DataFrame, linearization: Linearization, matrix: sparse.csr_matrix
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Estimate, SE, df and "uses an unavailable row" of each row of ``matrix`` (contrasts x table rows)."""
    n_rows = len(rows)
    index = rows[ESTIMATE_INDEX].to_numpy()
    theta = linearization.estimate
    matrix = sparse.csr_matrix(matrix, dtype=np.float64)
    matrix.eliminate_zeros()
    to_estimates = sparse.csr_matrix((np.ones(n_rows), (np.arange(n_rows), index)), shape=(n_rows, theta.size))
    over_estimates = (matrix @ to_estimates).tocsr()
    involved = (abs(matrix) > 0).astype(np.float64)
    blank = (involved @ (~rows["_available"].to_numpy()).astype(np.float64)) > 0
    row_variable = linearization.variable_index[index]
    n_variables = linearization.variable_df.size
    variable_of_row = sparse.csr_matrix((np.ones(n_rows), (np.arange(n_rows), row_variable)), shape=(n_rows, n_variables))
    uses = (involved @ variable_of_row).toarray() > 0
    with np.errstate(invalid="ignore"):
        df = np.where(uses.any(axis=1), np.where(uses, linearization.variable_df[None, :], np.inf).min(axis=1), np.nan)
    strata_present = (uses.astype(np.float64) @ linearization.strata_present.astype(np.float64)) > 0
    safe_theta = np.where(np.isnan(theta), 0.0, theta)
    estimate = over_estimates @ safe_theta
    se = np.sqrt(contrast_variance(over_estimates, linearization, strata_present))
    return estimate, se, df, blank


def contrast_variance(
    contrast: sparse.csr_matrix, linearization: Linearization, strata_present: np.ndarray | None
) -> np.ndarray:
    """Variance of each row of ``contrast @ estimates`` (R ``svycontrast``); ``strata_present`` (rows x H)
    are the strata of each row's design, for the ``"average"`` lonely-PSU rule (None: the strata
    where the row has influence values, R's domain design)."""
    theta = linearization.estimate
    if linearization.replicate_estimates is not None:
        safe = np.where(np.isnan(theta), 0.0, theta)
        thetas = np.asarray(contrast @ linearization.replicate_estimates)
        used = np.asarray(abs(contrast) @ ~np.isfinite(linearization.replicate_estimates)) > 0
        return replicates.replicate_variance(np.where(used, np.nan, thetas), contrast @ safe, linearization.replicate_design)
    influence = sparse.csr_matrix(
        (linearization.z, (linearization.column, linearization.psu)), shape=(theta.size, linearization.arrays.n_units)
    )
    combined = (contrast @ influence).tocoo()
    return variance.psu_variance(
        combined.row.astype(np.int64), combined.col.astype(np.int64), combined.data, contrast.shape[0],
        linearization.arrays, strata_present=strata_present,
    )


def coefficient_matrix(table: pd.DataFrame, coefficients: object) -> tuple[list[str], sparse.csr_matrix]:
    """The contrasts' names and their coefficients over the table's rows, shape (contrasts, len(table))."""
    n_rows = len(table)
    if sparse.issparse(coefficients):
        matrix = sparse.csr_matrix(coefficients, dtype=np.float64)
        if matrix.shape[1] != n_rows:
            raise EstimationError(checks.problem("contrast", "coefficients", f"<sparse matrix {matrix.shape}>",
                                                 f"must have one column per row of the table ({n_rows})"))
        _finite(matrix.data, "<sparse matrix>")
        return _matrix_names(matrix.shape[0]), matrix
    if isinstance(coefficients, pd.DataFrame):
        vectors = [_vector(table, row) for _, row in coefficients.iterrows()]
        return [str(name) for name in coefficients.index], sparse.csr_matrix(np.vstack(vectors) if vectors else np.zeros((0, n_rows)))
    if isinstance(coefficients, (Mapping, pd.Series)):
        items = list(coefficients.items())
        if not items:
            raise EstimationError(checks.problem("contrast", "coefficients", coefficients, "is empty"))
        if all(_is_number(value) for _, value in items):
            return ["contrast"], sparse.csr_matrix(_vector(table, coefficients)[None, :])
        return [str(name) for name, _ in items], sparse.csr_matrix(np.vstack([_vector(table, value) for _, value in items]))
    if isinstance(coefficients, str) or not isinstance(coefficients, (Sequence, np.ndarray)):
        raise EstimationError(checks.problem("contrast", "coefficients", coefficients,
                                             "must be a mapping from row labels, a vector or a matrix of coefficients"))
    array = _numbers(coefficients)
    if array.ndim == 1:
        return ["contrast"], sparse.csr_matrix(_vector(table, array)[None, :])
    if array.ndim == 2 and array.shape[1] == n_rows:
        return _matrix_names(array.shape[0]), sparse.csr_matrix(array)
    raise EstimationError(checks.problem("contrast", "coefficients", f"<array of shape {array.shape}>",
                                         f"must have one coefficient per row of the table ({n_rows})"))


def _matrix_names(count: int) -> list[str]:
    return ["contrast"] if count == 1 else [f"contrast_{i + 1}" for i in range(count)]


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _numbers(values: object) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise EstimationError(checks.problem("contrast", "coefficients", values, "must hold numbers")) from None
    _finite(array, values)
    return array


def _finite(array: np.ndarray, shown: object) -> None:
    if not np.isfinite(array).all():
        raise EstimationError(checks.problem("contrast", "coefficients", shown, "must hold finite numbers"))


def _vector(table: pd.DataFrame, value: object) -> np.ndarray:
    """One contrast's coefficients over the table's rows, from a label mapping or a vector."""
    n_rows = len(table)
    if isinstance(value, (Mapping, pd.Series)):
        if not table.index.is_unique:
            raise EstimationError("contrast: the table's index has repeated labels; give coefficients as a vector in "
                                  "row order or make unique labels, e.g. table.set_index(['variable', 'stype'])")
        labels = list(value.keys())
        weights = _numbers([value[label] for label in labels])
        positions = table.index.get_indexer(labels) if labels else np.zeros(0, dtype=np.int64)
        if (positions < 0).any():
            bad = labels[int(np.flatnonzero(positions < 0)[0])]
            shown = ", ".join(map(repr, list(table.index[:6]))) + (", ..." if n_rows > 6 else "")
            raise EstimationError(checks.problem("contrast", "coefficients", bad,
                                                 f"is not a row label of the table (its index: {shown})"))
        vector = np.zeros(n_rows)
        np.add.at(vector, positions, weights)
        return vector
    if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
        raise EstimationError(checks.problem("contrast", "coefficients", value,
                                             "must be a mapping from row labels or a vector of coefficients"))
    vector = _numbers(value)
    if vector.shape != (n_rows,):
        raise EstimationError(checks.problem("contrast", "coefficients", value,
                                             f"must have one coefficient per row of the table ({n_rows})"))
    return vector


def matched_rows(table: pd.DataFrame, linearization: Linearization, function: str = "compare") -> pd.DataFrame:
    """The table's rows with their estimate index (matched on the identifying and by columns of the linearisation)."""
    key_columns = [c for c in linearization.keys.columns if c != ESTIMATE_INDEX]
    in_index = [name for name in table.index.names if name is not None and name not in table.columns]
    if in_index:  # columns moved to the index by set_index (row labels for contrast)
        table = table.reset_index(level=in_index)
    missing = [c for c in (*key_columns, "n", "n_weighted", "suppressed") if c not in table.columns]
    if missing:
        raise EstimationError(f"{function}: the table lacks column {snippet(missing[0])}")
    rows = table[[*key_columns, "n", "n_weighted", "suppressed"]].reset_index(drop=True)
    rows = rows.rename(columns={"suppressed": "_suppressed"})
    rows["_row"] = np.arange(len(rows))
    keys = linearization.keys.astype({c: rows[c].dtype for c in key_columns})
    rows = rows.merge(keys, on=key_columns, how="left", sort=False)
    if rows[ESTIMATE_INDEX].isna().any():
        raise EstimationError(f"{function}: some rows of the table do not belong to the estimate it was made from")
    rows[ESTIMATE_INDEX] = rows[ESTIMATE_INDEX].astype(np.int64)
    rows["_suppressed"] = rows["_suppressed"].astype(bool)
    rows["_available"] = ~rows["_suppressed"] & ~np.isnan(linearization.estimate[rows[ESTIMATE_INDEX]])
    return rows.sort_values("_row").reset_index(drop=True)


def contrast_matrix(rows: pd.DataFrame) -> sparse.csr_matrix:
    """Over the table's rows: row r is +1 on itself, minus the reference weight on every row of its group."""
    pairs = rows[["_row", "_group"]].merge(rows.loc[rows["_weight"] > 0, ["_group", "_row", "_weight"]], on="_group",
                                           suffixes=("", "_reference"))
    n_rows = len(rows)
    values = np.concatenate([np.ones(n_rows), -pairs["_weight"].to_numpy()])
    row_index = np.concatenate([np.arange(n_rows), pairs["_row"].to_numpy()])
    column_index = np.concatenate([rows["_row"].to_numpy(), pairs["_row_reference"].to_numpy()])
    return sparse.csr_matrix((values, (row_index, column_index)), shape=(n_rows, n_rows))


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
            raise EstimationError(f"compare: population has no value for {by}={lacking[0]!r}")
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
