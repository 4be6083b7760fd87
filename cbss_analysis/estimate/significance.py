"""The one significance rule of the package: Holm-adjusted p-values across the family of differences shown.

A figure that marks differences, the caption that says what a mark means, a table's "adjusted p"
column and the key findings of a report all call :func:`mark` with the rows they show, so the
marks and the words can never disagree:

>>> shown = differences.query("state == 'EE'")             # doctest: +SKIP
>>> marked = significance.mark(shown)                       # doctest: +SKIP
>>> marked["significant"], marked.attrs["significance"]["text"]   # doctest: +SKIP

The rule (chosen once, :data:`RULE`): two-sided t tests of each difference with the design's
degrees of freedom (``p_value`` of :func:`cbss_analysis.estimate.compare`), adjusted by Holm's
step-down method (R ``p.adjust(method = "holm")``) over the differences *shown* that have a
p-value; a difference is marked when its adjusted p is below 0.05. The family is what the
reader sees: one state's profile adjusts over that state's indicators, the heatmap of all
states over every cell of the heatmap. Suppressed cells have no p-value and are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis._engine import intervals
from cbss_analysis.errors import EstimationError


@dataclass(frozen=True)
class Rule:
    """A multiple-comparison rule: the adjustment method and the threshold of the adjusted p.

    Attributes
    ----------
    method : str
        ``"holm"`` (the only method: Holm's step-down adjustment).
    alpha : float
        A difference is marked when its adjusted p-value is below this.
    """

    method: str = "holm"
    alpha: float = 0.05

    def describe(self, family: int) -> str:
        """The sentence that states the rule for a family of ``family`` differences.

        >>> Rule().describe(29)
        'Holm-adjusted p < 0.05 across the 29 differences shown'
        """
        noun = "difference" if family == 1 else "differences"
        return f"Holm-adjusted p < {self.alpha:g} across the {family} {noun} shown"


    def general(self) -> str:
        """The rule without a family size: 'Holm-adjusted p < 0.05 across the differences shown'."""
        return f"Holm-adjusted p < {self.alpha:g} across the differences shown"


RULE = Rule()
"""The rule every figure, table, caption and finding of the package uses."""


def adjusted(p_values: pd.Series | np.ndarray, rule: Rule = RULE) -> np.ndarray:
    """Holm-adjusted p-values over the finite values of ``p_values`` (NaN stays NaN and is not counted)."""
    if rule.method != "holm":
        raise EstimationError(f"significance: method={rule.method!r} is not supported; use 'holm'")
    return intervals.holm(np.asarray(p_values, dtype=np.float64))


def mark(differences: pd.DataFrame, rule: Rule = RULE) -> pd.DataFrame:
    """The differences shown, with their adjusted p-value and whether the rule marks them.

    Parameters
    ----------
    differences : pandas.DataFrame
        The rows of a :func:`cbss_analysis.estimate.compare` table that are shown (filtered as
        the figure or table filters them); needs ``p_value`` and ``difference``.
    rule : Rule
        Default :data:`RULE`.

    Returns
    -------
    pandas.DataFrame
        A copy with ``p_adjusted`` (Holm over the rows given that have a p-value) and
        ``significant`` (``p_adjusted < alpha``; False where there is no p-value), and
        ``attrs["significance"]``: ``method``, ``alpha``, ``family`` (how many differences
        were adjusted together) and ``text`` (:meth:`Rule.describe`).

    Raises
    ------
    EstimationError
        The table has no ``p_value`` or ``difference`` column.
    """
    for column in ("p_value", "difference"):
        if column not in differences.columns:
            raise EstimationError(f"significance.mark: the table has no column {column!r}; pass rows of estimate.compare")
    out = differences.copy()
    p_adjusted = adjusted(out["p_value"].to_numpy(dtype=np.float64), rule)
    out["p_adjusted"] = p_adjusted
    out["significant"] = np.nan_to_num(p_adjusted, nan=1.0) < rule.alpha
    family = int(np.isfinite(out["p_value"].to_numpy(dtype=np.float64)).sum())
    out.attrs["significance"] = {"method": rule.method, "alpha": rule.alpha, "family": family,
                                 "text": rule.describe(family)}
    return out


def marked_cells(differences: pd.DataFrame, keys: tuple[str, ...] = ("variable", "state"),
                 rule: Rule = RULE) -> set[tuple[str, ...]]:
    """The keys (by default ``(variable, state)``) of the rows that :func:`mark` marks."""
    marked = mark(differences, rule)
    rows = marked.loc[marked["significant"], list(keys)].astype(str)
    return {tuple(row) for row in rows.itertuples(index=False, name=None)}
