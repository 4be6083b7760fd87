"""What the estimator of a two-way table returns, on a Taylor or a replicate-weight design."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CrosstabEstimates:
    """Estimates of every (domain, cell), cells ``k = col * n_rows + row``; arrays (n_dom, n_cell) unless noted.

    ``*_logit_se`` (replicate designs): the replicate SE of ``logit(p)`` for R ``svyciprop``'s
    logit interval; None for Taylor designs (the interval uses ``se / (p (1 - p))``).
    """

    cell_total: np.ndarray  # weighted counts
    count_var: np.ndarray
    p: np.ndarray  # cell proportions of the domain
    prop_var: np.ndarray
    prop_logit_se: np.ndarray | None
    domain_df: np.ndarray  # (n_dom,)
    row_total: np.ndarray  # (n_dom, n_rows)
    q: np.ndarray  # row proportions, (n_dom, n_cols, n_rows)
    row_var: np.ndarray  # (n_dom, n_cols, n_rows)
    row_logit_se: np.ndarray | None
    row_df: np.ndarray  # (n_dom, n_rows)
    respondents: np.ndarray  # rows in each cell
