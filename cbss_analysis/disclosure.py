"""Disclosure control: the one home of the rules that keep small groups of respondents hidden.

The data are about children. Every table that the package computes from respondents (estimates,
comparisons, models, scale reliability, the overviews of sample sizes, weights, design and
missingness) passes through this module, and every rule below is applied by the function named.
``min_n`` (default :data:`~cbss_analysis.common.checks.DEFAULT_MIN_N`) is the smallest number of
respondents behind anything shown; ``min_n=0`` turns every rule off.

1. **Small cells** (:func:`suppress`, :func:`suppress_rows`). A row based on fewer than ``min_n``
   respondents is marked ``suppressed=True`` and shows nothing computed from them: its estimate,
   standard error, interval, design effect and degrees of freedom are blanked (NaN / NA) and so
   are its counts: ``n`` is missing (pandas nullable ``Int64`` NA) and ``n_weighted`` is NaN.
   Decision: counts are blanked, not banded. ``suppressed=True`` already says "fewer than
   ``min_n``" (tables print "suppressed", figures "suppressed (n < min_n)"); a band would say
   little more and would still narrow down what a margin gives away (rule 2). The degrees of
   freedom are blanked too because without PSUs they are ``n`` minus the strata.

2. **Margins** (:func:`suppress`, :func:`suppress_rows`). The cells of a table that differ in one
   ``by`` column and share all the others (the states within one sex, the sexes within one state;
   all the domains of a one-column ``by``) make a *line*, and the line adds up to a margin that
   another call can publish (the estimate by state alone, or for the whole sample). Subtracting
   the shown cells from that margin gives the suppressed cells together. So in every line the
   suppressed cells together hold either no respondent or at least ``min_n``: while they hold
   between 1 and ``min_n - 1``, the unsuppressed cell with the fewest respondents (at least one)
   is suppressed too. Empty cells need no partner: they hide nobody. The rule is applied to every
   ``by`` column in turn, and again, until no line changes; all categories of a categorical
   variable in one domain (all terms of one model fit) are suppressed together.

3. **Derived populations** (:func:`linked_sets`, :func:`derived_population_counts`, applied by
   :mod:`cbss_analysis.estimate`). An indicator whose codebook ``population`` requires
   ``v in C`` (or a variable whose ``asked_of`` does) is estimated among the respondents with
   ``v`` in ``C``, so its ``n`` is the count of that set. Another estimate gives that count away
   when it counts the same set: an indicator with rule ``in`` / ``at_least`` on ``v`` whose
   positive (or negative) codes are ``C`` (``ever_had_sex``, ``in: [1]`` on ``hadsex``, counts
   the population ``{hadsex: [1]}`` of ``condom_last_sex``), or the categories of ``v`` itself
   (their shares add up to the share in ``C``). Such an estimate is suppressed in every domain
   where the number of its respondents with ``v`` in ``C`` is between 1 and ``min_n - 1``; the
   derived indicator is suppressed there by rule 1, as its ``n`` is at most that count. These
   set counts are protected by rule 2 as well (a margin minus the shown cells never leaves a
   small set count).

4. **Overviews** (:func:`suppress_rows`, used by :mod:`cbss_analysis.overview`): group counts
   follow rules 1 and 2; the number asked (a skip pattern's population) follows rules 2 and 3;
   weight summaries never show a minimum or a maximum, which are each one respondent's weight,
   only percentiles, the mean and Kish's design effect of groups of at least ``min_n``.

5. **Models and scales** (:func:`suppress_rows`): a fit (an alpha) on fewer than ``min_n``
   complete respondents is not computed, and rules 1 and 2 apply to their counts.

Not covered: differences between tables whose domains are not nested one ``by`` column apart
(e.g. age groups 11-13 against 11-15), sets that are not exactly an indicator's positive or
negative codes, and model coefficients of small categories inside a fit of ``min_n`` or more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbss_analysis.common import checks
from cbss_analysis.common.checks import DEFAULT_MIN_N
from cbss_analysis.errors import EstimationError

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey import Survey
    from cbss_analysis.survey.codebook import Codebook

SUPPRESSED_COLUMNS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "deff", "df")
"""Columns of an estimate table blanked in a suppressed row (besides the counts)."""
COUNT_COLUMNS: tuple[str, ...] = ("n", "n_weighted")
"""Counts blanked in a suppressed row: ``n`` becomes ``Int64`` NA, ``n_weighted`` NaN."""
_IDENTITY = ("variable", "level")
_INTEGER_COLUMNS = ("n", "asked")


def rule_text(min_n: int) -> str:
    """The suppression rules that :func:`suppress` applies, in words, for captions, findings and exports.

    >>> rule_text(30)
    'estimates from fewer than 30 respondents are suppressed, and further cells where the suppressed ones could be worked out from a total'
    """
    if int(min_n) <= 0:
        return "no estimate is suppressed (min_n=0)"
    return (f"estimates from fewer than {int(min_n)} respondents are suppressed, and further cells where the "
            "suppressed ones could be worked out from a total")


def suppress(table: pd.DataFrame, min_n: int = DEFAULT_MIN_N, *, by: Sequence[str] | None = None,
             protected: np.ndarray | None = None) -> pd.DataFrame:
    """Apply rules 1 to 3 (module docstring) to an estimate table.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimate table with columns ``n``, ``suppressed`` and those of ``SUPPRESSED_COLUMNS`` and
        ``COUNT_COLUMNS`` (missing ones are skipped).
    min_n : int
        Smallest unweighted count shown; ``0`` turns suppression off.
    by : sequence of str, optional
        The domain columns whose lines rule 2 protects; default ``table.attrs["by"]`` (none when
        absent).
    protected : ndarray of shape (rows, k), optional
        Further counts per row that rules 2 and 3 protect (the derived-population set counts).

    Returns
    -------
    pandas.DataFrame
        A new table (the input is not modified), ``n`` and ``df`` as ``Int64``, with
        ``attrs["min_n"] = min_n``. Rows already suppressed stay suppressed.

    Raises
    ------
    EstimationError
        If ``min_n`` is negative or not an integer, or the table has no ``n`` column.
    """
    min_n = checks.min_n(min_n, "suppress")
    if "n" not in table.columns:
        raise EstimationError("suppress: the table has no column 'n' (pass a table from cbss_analysis.estimate)")
    by = list(table.attrs.get("by") or []) if by is None else list(by)
    by = [c for c in by if c in table.columns]
    identity = [c for c in _IDENTITY if c in table.columns]
    result = {*_IDENTITY, *SUPPRESSED_COLUMNS, *COUNT_COLUMNS, "suppressed"}
    unit = ["variable", *(c for c in table.columns if c not in result)] if "variable" in table.columns else []
    blank = [c for c in (*SUPPRESSED_COLUMNS, *COUNT_COLUMNS) if c in table.columns]
    return suppress_rows(table, min_n, counts=table["n"], by=by, identity=identity, unit=unit, blank=blank,
                         protected=protected)


def suppress_rows(table: pd.DataFrame, min_n: int, counts: pd.Series | np.ndarray, *, by: Sequence[str] = (),
                  identity: Sequence[str] = (), unit: Sequence[str] = (), blank: Sequence[str] = (),
                  protected: np.ndarray | None = None, function: str = "suppress") -> pd.DataFrame:
    """Apply rules 1 and 2 (and 3 through ``protected``) to any table of groups.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group (domain), or per group and term / category.
    min_n : int
        Smallest number of respondents shown; 0: off.
    counts : Series or ndarray
        Respondents behind each row (rule 1: fewer than ``min_n`` is suppressed).
    by : sequence of str
        Group columns; rule 2 protects the lines along each of them.
    identity : sequence of str
        Columns that tell apart what is estimated (variable, category, term): lines never mix them.
    unit : sequence of str
        Columns that, with ``by``, name rows suppressed together: rows equal in all of them are one
        variable's categories in one domain, or one fit's terms. Empty: every row on its own.
    blank : sequence of str
        Columns set missing in suppressed rows (``n``, ``df``, ``asked`` become ``Int64`` NA).
    protected : ndarray of shape (rows, k), optional
        Further counts: a row is suppressed when one is between 1 and ``min_n - 1``, and rule 2
        protects them too.
    function : str
        Name for messages.

    Returns
    -------
    pandas.DataFrame
        A copy with ``suppressed`` set and the ``blank`` columns missing where it is true;
        ``attrs["min_n"] = min_n``.
    """
    min_n = checks.min_n(min_n, function)
    count = np.asarray(pd.Series(counts).to_numpy(dtype=np.float64, na_value=0.0), dtype=np.float64)
    extra = np.zeros((len(table), 0)) if protected is None else np.asarray(protected, dtype=np.float64).reshape(len(table), -1)
    hide = count < min_n
    if extra.size:
        hide |= ((extra > 0) & (extra < min_n)).any(axis=1)
    if "suppressed" in table.columns:
        hide |= table["suppressed"].fillna(False).to_numpy(dtype=bool)
    if min_n > 0 and len(table):
        hide = _margins(table, np.column_stack([count, extra]), hide, list(by), list(identity), list(unit), min_n)
    out = table.copy()
    for column in blank:
        if column not in out.columns:
            continue
        if column in _INTEGER_COLUMNS or pd.api.types.is_integer_dtype(out[column].dtype):
            out[column] = out[column].astype("Int64")
            out.loc[hide, column] = pd.NA
        elif pd.api.types.is_string_dtype(out[column].dtype) or out[column].dtype == object:
            out.loc[hide, column] = pd.NA
        else:
            out[column] = out[column].astype(np.float64)
            out.loc[hide, column] = np.nan
    out["suppressed"] = hide
    out.attrs["min_n"] = int(min_n)
    return out


def _margins(table: pd.DataFrame, counts: np.ndarray, hide: np.ndarray, by: list[str], identity: list[str],
             unit: list[str], min_n: int) -> np.ndarray:
    """Rule 2: in every line the suppressed cells hold no respondent or at least ``min_n`` (per count)."""
    hide = hide.copy()
    units = _group_codes(table, list(dict.fromkeys([*unit, *by]))) if unit else None
    lines = []
    for column in by:
        codes = _group_codes(table, [*identity, *(b for b in by if b != column)])
        order = np.argsort(codes, kind="stable")
        lines.append((codes, np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)))
    if not lines:
        return _whole_units(hide, units)
    for _ in range(len(table) + 1):
        before = hide.copy()
        for codes, members in lines:
            for k in range(counts.shape[1]):
                count = counts[:, k]
                hidden = np.bincount(codes, weights=np.where(hide, count, 0.0), minlength=len(members))
                for group in np.flatnonzero((hidden > 0) & (hidden < min_n)):
                    _add_partners(members[group], count, hide, min_n)
            hide = _whole_units(hide, units)
        if (hide == before).all():
            break
    return hide


def _add_partners(rows: np.ndarray, count: np.ndarray, hide: np.ndarray, min_n: int) -> None:
    """Suppress the smallest non-empty shown cells of one line until its suppressed cells hold 0 or >= min_n."""
    while True:
        held = count[rows][hide[rows]].sum()
        if held == 0 or held >= min_n:
            return
        candidates = rows[~hide[rows] & (count[rows] > 0)]
        if not candidates.size:
            return
        hide[candidates[np.argmin(count[candidates])]] = True


def _whole_units(hide: np.ndarray, units: np.ndarray | None) -> np.ndarray:
    if units is None:
        return hide
    hidden_units = np.bincount(units, weights=hide.astype(np.float64), minlength=int(units.max()) + 1) > 0
    return hidden_units[units]


def _group_codes(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    if not columns:
        return np.zeros(len(table), dtype=np.int64)
    keys = table[columns].astype(object).where(table[columns].notna(), "\x00<NA>")
    return keys.groupby(columns, sort=False, dropna=False).ngroup().to_numpy(dtype=np.int64)


def population_sets(codebook: Codebook) -> dict[str, list[frozenset[int]]]:
    """Variable -> the code sets that define a population: indicators' ``population`` and variables' ``asked_of``."""
    found: dict[str, list[frozenset[int]]] = {}
    filters = [*(i.population for i in codebook.indicators.values()), *(v.asked_of for v in codebook.variables.values())]
    for mapping in filters:
        for name, codes in mapping.items():
            sets = found.setdefault(name, [])
            if frozenset(codes) not in sets:
                sets.append(frozenset(codes))
    return found


def linked_sets(codebook: Codebook | None, name: str, categorical: bool) -> list[tuple[str, frozenset[int]]]:
    """The population-defining sets ``(variable, codes)`` whose count an estimate of ``name`` gives away (rule 3).

    ``categorical``: ``name`` is estimated by its categories (a labelled column), which give away the
    count of any set of its codes; otherwise ``name`` is an indicator with an ``in`` or ``at_least``
    rule, which gives away the counts of its positive and of its negative codes.
    """
    if codebook is None:
        return []
    sets = population_sets(codebook)
    if categorical:
        variable = codebook.variables.get(name)
        if variable is None:
            return []
        domain = frozenset(variable.values)
        return [(name, s & domain) for s in sets.get(name, []) if 0 < len(s & domain) < len(domain)]
    indicator = codebook.indicators.get(name)
    if indicator is None:
        return []
    kind, argument = next(iter(indicator.rule.items()))
    if kind not in ("in", "at_least"):
        return []
    source = indicator.variables[0]
    variable = codebook.variables.get(source)
    if variable is None:
        return []
    domain = frozenset(variable.values)
    if source in indicator.population:
        domain &= frozenset(indicator.population[source])
    positive = frozenset(c for c in domain if (c in argument if kind == "in" else c >= argument))
    negative = domain - positive
    linked = []
    for codes in sets.get(source, []):
        part = codes & domain
        if part and part != domain and part in (positive, negative) and (source, part) not in linked:
            linked.append((source, part))
    return linked


def derived_population_counts(survey: Survey, variables: Sequence[str], categorical: Sequence[bool],
                              values: Sequence[np.ndarray], domain: np.ndarray, n_domains: int) -> np.ndarray:
    """Rule 3's set counts: for each analysis column and domain, its respondents in each linked set.

    Parameters
    ----------
    survey : Survey
        The survey (its codebook says which sets define populations).
    variables, categorical, values : sequences of one entry per analysis column
        The variable (or indicator) name, whether it is a category of a labelled column, and its
        float values (NaN: not a respondent of this estimate).
    domain : ndarray of int64
        Domain code of every row (-1: in no domain).
    n_domains : int
        Number of domains.

    Returns
    -------
    ndarray of shape (columns * n_domains, k)
        Rows in the order of an estimate table (column-major: all domains of column 0 first);
        ``k`` is the largest number of linked sets of a column (0 when none).
    """
    links = [linked_sets(survey.codebook, name, cat) for name, cat in zip(variables, categorical, strict=True)]
    width = max((len(found) for found in links), default=0)
    out = np.zeros((len(values) * n_domains, width))
    if width == 0:
        return out
    codes_of: dict[str, np.ndarray] = {}
    in_domain = domain >= 0
    for j, (found, column) in enumerate(zip(links, values, strict=True)):
        for k, (name, codes) in enumerate(found):
            if name not in codes_of:
                codes_of[name] = survey.codes(name).to_numpy(dtype=np.float64, na_value=np.nan)
            member = ~np.isnan(column) & np.isin(codes_of[name], list(codes)) & in_domain
            out[j * n_domains:(j + 1) * n_domains, k] = np.bincount(domain[member], minlength=n_domains)[:n_domains]
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
