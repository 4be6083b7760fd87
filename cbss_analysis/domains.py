"""Domains (subpopulations) for analyses fitted one domain at a time (models, scale reliability).

Estimates of means, totals and proportions do not loop over domains (see
:mod:`cbss_analysis.estimate`); a regression or a Cronbach's alpha is fitted per domain, with
the rows outside it kept in the design at zero weight.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def domain_rows(data: pd.DataFrame, by_columns: list[str]) -> list[tuple[tuple, np.ndarray]]:
    """Each domain's key and row positions, in sorted key order; one domain of all rows without ``by``.

    Rows with a missing ``by`` value belong to no domain.
    """
    if not by_columns:
        return [((), np.arange(len(data)))]
    groups = data[by_columns].groupby(by_columns, observed=True, sort=True, dropna=True).indices
    return [((key,) if len(by_columns) == 1 else tuple(key), np.asarray(rows)) for key, rows in groups.items()]
