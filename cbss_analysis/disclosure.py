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


def rule_text(min_n: int) -> str:
    """The suppression rule that :func:`suppress` applies, in words, for captions, findings and exports.

    >>> rule_text(30)
    'estimates from fewer than 30 respondents are suppressed'
    """
    if int(min_n) <= 0:
        return "no estimate is suppressed (min_n=0)"
    return f"estimates from fewer than {int(min_n)} respondents are suppressed"


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
