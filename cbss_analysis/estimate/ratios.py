"""Ratios of two totals by domain: R ``svyratio`` (and ``svyby(..., FUN = svyratio)``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cbss_analysis._engine import intervals
from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.disclosure import suppress
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate.linearization import (
    LINEARIZATION_ATTR,
    AnalysisColumns,
    LinearizationRef,
    by_names,
    linearize,
    numeric_values,
    survey_domains,
)
from cbss_analysis.estimate.replication import replicate_linearize
from cbss_analysis.survey import Survey
from cbss_analysis.survey.variance_words import variance_method

RATIO_COLUMNS_AFTER_BY = ("estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "suppressed", "df")


def ratio(
    survey: Survey,
    numerator: str | Sequence[str],
    denominator: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Ratios of weighted totals, ``sum w y / sum w x``, by domain with linearisation SEs.

    Reproduces R ``svyratio(~y, ~x, design, na.rm = TRUE)`` and, with ``by``,
    ``svyby(~y, ~by, design, svyratio, denominator = ~x)``: influence values
    ``w_i (y_i - R_d x_i) / sum_d w x`` summed per PSU, variance from the design (as every
    estimate of :mod:`cbss_analysis.estimate`); CI ``R -/+ t_df * se`` with ``df`` the domain's
    design df (``confint(ratio, df = degf(domain design))``). A respondent counts when both
    values are present (R's ``na.rm = TRUE`` drops a row missing either).

    Parameters
    ----------
    survey : Survey
        The data and its design (or a :meth:`~cbss_analysis.survey.Survey.subset`).
    numerator, denominator : str or sequence of str
        Numeric columns or indicator ids. With several of either, every pair is estimated (R's
        ``svyratio(~a + b, ~c + d)``).
    by : str or sequence of str, optional
        Columns whose combinations define the domains.
    level : float
        Confidence level in (0, 1).
    min_n : int
        Suppress rows with fewer respondents (:func:`cbss_analysis.disclosure.suppress`); 0: off.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable`` (``"numerator/denominator"``), ``numerator``, ``denominator``,
        ``<by...>``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``, ``n_weighted`` (the
        weighted count of respondents), ``suppressed``, ``df``; ``attrs``: ``synthetic``,
        ``kind="ratio"``, ``level``, ``min_n``, ``by`` and the linearisation, so that
        :func:`~cbss_analysis.estimate.contrast` and :func:`~cbss_analysis.estimate.compare` work
        on the table. A domain whose denominator total is 0 gives an infinite or NaN ratio, as R.

    Raises
    ------
    EstimationError
        An unknown, categorical or non-numeric variable, an unknown ``by`` column, ``level``
        outside (0, 1).

    Examples
    --------
    >>> estimate.ratio(survey, "api00", "api99", by="stype")          # doctest: +SKIP
    """
    level = checks.level(level, "ratio")
    min_n = checks.min_n(min_n, "ratio")
    numerators = checks.names(numerator, "numerator", "ratio")
    denominators = checks.names(denominator, "denominator", "ratio")
    if not numerators or not denominators:
        raise EstimationError(f"ratio: {'numerator' if not numerators else 'denominator'} is empty; name a numeric variable")
    by_columns = by_names(survey, by, "ratio", ("numerator", "denominator"))
    top = {name: numeric_values(survey, name) for name in dict.fromkeys([*numerators, *denominators])}
    pairs = [(y, x) for y in numerators for x in denominators]
    columns = AnalysisColumns(
        [f"{y}/{x}" for y, x in pairs], [None] * len(pairs), [top[y] for y, _ in pairs], [top[x] for _, x in pairs]
    )
    domains = survey_domains(survey, by_columns)
    if survey.replicates is not None:
        table, linearization = replicate_linearize(columns, domains, survey, "ratio", None)
    else:
        table, linearization = linearize(columns, domains, survey.design_arrays(), "ratio", None, survey.calibration)
    low, high = intervals.wald(table["estimate"].to_numpy(), table["se"].to_numpy(), table["df"].to_numpy(), level)
    table["ci_low"] = low
    table["ci_high"] = high
    repeat = np.repeat(np.arange(len(pairs)), domains.count)
    table["numerator"] = pd.array(np.asarray([y for y, _ in pairs], dtype=object)[repeat], dtype="str")
    table["denominator"] = pd.array(np.asarray([x for _, x in pairs], dtype=object)[repeat], dtype="str")
    table = table[["variable", "numerator", "denominator", *by_columns, *RATIO_COLUMNS_AFTER_BY]]
    table.attrs.update(
        {"synthetic": bool(survey.synthetic), "variance": variance_method(survey), "kind": "ratio", "level": float(level), "by": list(by_columns),
         LINEARIZATION_ATTR: LinearizationRef(linearization)}
    )
    return suppress(table, min_n)
