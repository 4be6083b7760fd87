"""Small-cell suppression of estimate tables.

A row based on fewer than ``min_n`` respondents keeps its count ``n`` (and ``n_weighted``)
but loses its estimate, standard error, confidence interval and design effect, and is marked
``suppressed=True``. Every estimate function applies this by default (``min_n=30``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.errors import EstimationError

SUPPRESSED_COLUMNS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "deff")


def suppress(table: pd.DataFrame, min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
    """Blank the estimates of rows with fewer than ``min_n`` respondents.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimate table with columns ``n``, ``suppressed`` and those in ``SUPPRESSED_COLUMNS``
        (missing ones are skipped).
    min_n : int
        Smallest unweighted count shown; ``0`` turns suppression off.

    Returns
    -------
    pandas.DataFrame
        A new table (the input is not modified) with ``attrs["min_n"] = min_n``. Rows already
        suppressed stay suppressed.

    Raises
    ------
    EstimationError
        If ``min_n`` is negative or not an integer, or the table has no ``n`` column.
    """
    min_n = checks.min_n(min_n, "suppress")
    if "n" not in table.columns:
        raise EstimationError("suppress: the table has no column 'n' (pass a table from cbss_analysis.estimate)")
    out = table.copy()
    hide = out["n"].to_numpy() < min_n
    if "suppressed" in out.columns:
        hide |= out["suppressed"].to_numpy(dtype=bool)
    blanked = [c for c in SUPPRESSED_COLUMNS if c in out.columns]
    out.loc[hide, blanked] = np.nan
    out["suppressed"] = hide
    out.attrs["min_n"] = int(min_n)
    return out


def complementary_suppression(n: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Cells to hide so that no row or column of a two-way table has exactly one hidden cell.

    A table that shows a row's total (or lets it be derived: in an estimate table, ``count /
    row_proportion`` of any shown cell) and all but one of its cells reveals the last one by
    subtraction. The usual cell-suppression heuristic closes that gap: while some row or column
    of a table has exactly one hidden cell and at least one shown cell, hide the shown cell of
    that line with the fewest respondents, preferring one whose crossing line also has exactly
    one hidden cell (so that one extra cell closes two gaps). Cells with ``n == 0`` reveal
    nothing (their count is 0 and ``n`` is public), so they are neither counted as hidden nor
    chosen. This does not protect against every linear combination of several tables (e.g. a
    table without ``by`` minus its by-domain tables).

    Parameters
    ----------
    n : ndarray of int, shape (G, R, C)
        Respondents in each cell of G tables of R rows and C columns.
    hidden : ndarray of bool, shape (G, R, C)
        Cells hidden already (e.g. ``n < min_n``).

    Returns
    -------
    ndarray of bool, shape (G, R, C)
        ``hidden`` with the complementary cells added.
    """
    n = np.asarray(n)
    hide = np.asarray(hidden, dtype=bool).copy()
    if hide.ndim != 3 or n.shape != hide.shape:
        raise EstimationError("complementary_suppression: n and hidden must be arrays of the same shape (G, R, C)")
    informative = n > 0
    big = float(n.max(initial=0)) + 1.0
    while True:
        changed = False
        for axis in (2, 1):  # a row's cells lie along axis 2, a column's along axis 1
            other = 1 if axis == 2 else 2
            secret = hide & informative
            shown = ~hide & informative
            needs = (secret.sum(axis=axis) == 1) & shown.any(axis=axis)
            if not needs.any():
                continue
            crossing_needs = np.expand_dims(secret.sum(axis=other) == 1, other)
            score = np.where(shown, n + np.where(crossing_needs, 0.0, big), np.inf)
            choice = np.expand_dims(np.argmin(score, axis=axis), axis)
            mark = np.zeros_like(hide)
            np.put_along_axis(mark, choice, np.expand_dims(needs, axis), axis=axis)
            hide |= mark
            changed = True
        if not changed:
            return hide
