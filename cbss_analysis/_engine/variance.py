"""Taylor-linearisation variance core: stratified, with-replacement first stage, fpc, lonely PSUs.

The estimation engine reduces every estimate (a mean, total or proportion in a domain, or a
linear combination of them) to the totals of its influence values per PSU. This module turns
those PSU totals into variances exactly as R ``survey``'s ``svyrecvar()`` does for a one-stage
(ultimate-cluster) design, for many estimates at once:

    Var = sum_h  f_h * n_h / (n_h - 1) * sum_{k in h} (z_k - zbar_h)^2,    zbar_h = sum_{k in h} z_k / n_h

with ``n_h`` the PSUs of stratum ``h`` in the *full* design (PSUs without domain members count
as zeros: ``onestrat()`` pads them), ``f_h = 1 - n_h / N_h`` the finite-population correction
(1 without fpc) and certainty strata (``DesignArrays.certainty``: ``f_h < 1e-7``) contributing nothing.

A stratum with a single PSU (``n_h == 1``) follows R's ``survey.lonely.psu``:

- ``"fail"``: error (the survey normally refuses such a design when it is built);
- ``"certainty"`` and ``"remove"``: contributes zero (the single PSU is centred on itself); R
  does not rescale the other strata for either rule;
- ``"adjust"``: the PSU total is *not* centred: contribution ``f_h * z_k^2``, i.e. the PSU is
  centred on the grand mean of the linearised variable (0);
- ``"average"``: the stratum is left out and the sum over the other strata is multiplied by
  ``nstrat / (nstrat - nlonely)``, where both counts are over the strata present in the
  estimate's (domain) design, as ``onestage()`` does.

R's option ``survey.adjust.domain.lonely`` is FALSE (its default): a stratum with several PSUs
of which only one has domain members is treated as usual.

**Two-stage designs** (``DesignArrays.stage2``; R ``survey:::multistage`` with
``survey.ultimate.cluster = FALSE``): influence values are totalled per second-stage unit
(``DesignArrays.unit``); the first-stage term above uses their sums per PSU, and each PSU ``k``
adds ``f1_k * (1 - f2_k) m_k / (m_k - 1) * sum_{j in k} (z_kj - zbar_k)^2`` over its ``m_k``
units of the full design (units without entries count as zeros), with ``f1_k`` the first-stage
sampling fraction ``n_h / N_h`` of its stratum. A PSU whose units were all sampled adds nothing;
a PSU with a single unit follows the lonely-PSU rule as a stratum does, except that
``"average"`` gives NaN (R: an NA stratum variance with no other stratum to average over).
One-stage designs never enter this path.
"""

from __future__ import annotations

import numpy as np

from cbss_analysis.errors import DesignError
from cbss_analysis.survey.design import DesignArrays


def group_index(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense group ids of non-negative integer keys below ``size``.

    Parameters
    ----------
    keys : ndarray of int64
        Keys in ``0 .. size - 1``.
    size : int
        Upper bound of the keys.

    Returns
    -------
    inverse : ndarray of int64
        Group id of each key, groups numbered in increasing key order.
    unique : ndarray of int64
        The key of each group.
    """
    if size <= 4 * keys.size + 4096:
        occupied = np.bincount(keys, minlength=size) > 0
        unique = np.flatnonzero(occupied)
        lookup = np.cumsum(occupied) - 1
        return lookup[keys], unique
    unique, inverse = np.unique(keys, return_inverse=True)
    return inverse.astype(np.int64), unique


def _stage2_scale(arrays: DesignArrays) -> tuple[np.ndarray, np.ndarray]:
    """Factor of each PSU's second-stage sum of squares and its lonely PSUs, shape (K,) each."""
    stage = arrays.stage2
    f = 1.0 - stage.fpc_fraction
    m = stage.n_units.astype(np.float64)
    scale = np.where(m > 1, f * m / np.maximum(m - 1.0, 1.0), f) * stage.factor
    return np.where(stage.certainty, 0.0, scale), (stage.n_units == 1) & ~stage.certainty


def lonely_strata(arrays: DesignArrays) -> np.ndarray:
    """Strata with a single PSU in the full design that are not certainty strata, shape (H,)."""
    return (arrays.n_psu == 1) & ~arrays.certainty


def stratum_scale(arrays: DesignArrays) -> np.ndarray:
    """Factor of each stratum's sum of squares: ``(1 - f_h) n_h / (n_h - 1)``; ``1 - f_h`` for a lonely
    PSU (used by ``"adjust"``); 0 for certainty strata. Shape (H,)."""
    f = 1.0 - arrays.fpc_fraction
    n_h = arrays.n_psu.astype(np.float64)
    scale = np.where(n_h > 1, f * n_h / np.maximum(n_h - 1.0, 1.0), f)
    return np.where(arrays.certainty, 0.0, scale)


def psu_variance(
    column: np.ndarray,
    psu: np.ndarray,
    z: np.ndarray,
    n_columns: int,
    arrays: DesignArrays,
    strata_present: np.ndarray | None = None,
) -> np.ndarray:
    """Linearisation variances of many estimates from their influence totals per unit.

    Reproduces R ``survey:::svyrecvar()`` (``onestage()``/``onestrat()``, and ``multistage()``
    for a two-stage design with fpc).

    Parameters
    ----------
    column : ndarray of int64, shape (E,)
        Estimate (0 .. n_columns - 1) of each entry.
    psu : ndarray of int64, shape (E,)
        Unit code of each entry (``DesignArrays.unit``: the PSU, or the second-stage unit of a
        two-stage design); each (column, unit) pair occurs at most once. Units without an entry
        count as zero totals.
    z : ndarray of float64, shape (E,)
        Sum of the estimate's influence values over the unit's rows.
    n_columns : int
        Number of estimates.
    arrays : DesignArrays
        The design.
    strata_present : ndarray of bool, shape (n_columns, H), optional
        Strata that count as part of each estimate's design for the ``"average"`` rule. By
        default the strata in which the estimate has entries (R's domain design, rows
        outside the domain dropped); pass all-True rows to reproduce ``svyrecvar`` on the
        full design (``svyby(covmat=TRUE)``).

    Returns
    -------
    ndarray of float64, shape (n_columns,)

    Raises
    ------
    DesignError
        A stratum with a single PSU under ``lonely_psu="fail"``.
    """
    if arrays.stage2 is None:
        return _first_stage_variance(column, psu, z, n_columns, arrays, strata_present)
    n_psus = arrays.n_psus
    group, keys = group_index(column * n_psus + arrays.stage2.unit_psu[psu], n_columns * n_psus)
    psu_totals = np.bincount(group, weights=z, minlength=keys.size)
    first = _first_stage_variance(keys // n_psus, keys % n_psus, psu_totals, n_columns, arrays, strata_present)
    scale, lonely = _stage2_scale(arrays)
    second = _stratified_sum(
        column, psu, z, n_columns, arrays.stage2.unit_psu, arrays.stage2.n_units, scale, lonely,
        "nan" if arrays.lonely_psu == "average" else arrays.lonely_psu,
    )
    return first + second


def _stratified_sum(
    column: np.ndarray,
    unit: np.ndarray,
    z: np.ndarray,
    n_columns: int,
    unit_stratum: np.ndarray,
    n_units: np.ndarray,
    scale: np.ndarray,
    lonely_stratum: np.ndarray,
    rule: str,
) -> np.ndarray:
    """``sum_h scale_h * sum_{k in h} (z_k - zbar_h)^2`` per column over ``n_units[h]`` units
    (absent ones are zeros); lonely strata by ``rule`` (``"adjust"``: uncentred; ``"average"``:
    left out, the caller rescales; ``"nan"``: NaN; otherwise centred on themselves, i.e. 0)."""
    n_strata = n_units.size
    stratum = unit_stratum[unit]
    group, keys = group_index(column * n_strata + stratum, n_columns * n_strata)
    g_column = keys // n_strata
    g_stratum = keys % n_strata
    n_h = n_units[g_stratum].astype(np.float64)
    totals = np.bincount(group, weights=z, minlength=keys.size)
    entries = np.bincount(group, minlength=keys.size)
    centre = totals / n_h
    squares = np.bincount(group, weights=(z - centre[group]) ** 2, minlength=keys.size)
    squares += (n_h - entries) * centre**2
    contribution = scale[g_stratum] * squares
    lonely = lonely_stratum[g_stratum]
    if lonely.any():
        if rule == "fail":
            bad = np.unique(g_stratum[lonely])
            raise DesignError(
                f"stratum code(s) {', '.join(map(str, bad[:5]))} have only one PSU; choose lonely_psu="
                "'adjust', 'average', 'remove' or 'certainty'"
            )
        if rule == "adjust":
            contribution = np.where(lonely, scale[g_stratum] * totals**2, contribution)
        elif rule == "average":
            contribution = np.where(lonely, 0.0, contribution)
        elif rule == "nan":
            contribution = np.where(lonely, np.nan, contribution)
    return np.bincount(g_column, weights=contribution, minlength=n_columns)


def _first_stage_variance(
    column: np.ndarray,
    psu: np.ndarray,
    z: np.ndarray,
    n_columns: int,
    arrays: DesignArrays,
    strata_present: np.ndarray | None,
) -> np.ndarray:
    """The one-stage variance (R ``onestage()``) from PSU totals; see :func:`psu_variance`."""
    rule = arrays.lonely_psu
    lonely_stratum = lonely_strata(arrays)
    variance = _stratified_sum(
        column, psu, z, n_columns, arrays.psu_stratum, arrays.n_psu, stratum_scale(arrays), lonely_stratum, rule
    )
    if rule != "average":
        return variance
    if strata_present is None:
        n_strata = arrays.n_strata
        _, keys = group_index(column * n_strata + arrays.psu_stratum[psu], n_columns * n_strata)
        n_present = np.bincount(keys // n_strata, minlength=n_columns)
        n_lonely = np.bincount(keys // n_strata, weights=lonely_stratum[keys % n_strata], minlength=n_columns)
    else:
        n_present = strata_present.sum(axis=1)
        n_lonely = (strata_present & lonely_stratum).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return variance * n_present / (n_present - n_lonely)


def degrees_of_freedom(column: np.ndarray, psu: np.ndarray, n_columns: int, arrays: DesignArrays) -> np.ndarray:
    """Design degrees of freedom of each estimate: PSUs minus strata with entries (R ``degf()``).

    For a domain estimate whose entries are the PSUs with domain members, this is R's
    ``degf(design[domain, ])``, the df that ``svyby(..., svyciprop)`` uses.

    Parameters
    ----------
    column, psu : ndarray of int64, shape (E,)
        As in :func:`psu_variance`: unique (estimate, unit) pairs, each with a row of nonzero
        weight (R's ``degf`` counts only those).
    n_columns : int
        Number of estimates.
    arrays : DesignArrays
        The design.

    Returns
    -------
    ndarray of int64, shape (n_columns,)
    """
    n_strata = arrays.n_strata
    if arrays.stage2 is not None:
        n_psus = arrays.n_psus
        _, pairs = group_index(column * n_psus + arrays.stage2.unit_psu[psu], n_columns * n_psus)
        column, psu = pairs // n_psus, pairs % n_psus
    psus = np.bincount(column, minlength=n_columns)
    _, keys = group_index(column * n_strata + arrays.psu_stratum[psu], n_columns * n_strata)
    strata = np.bincount(keys // n_strata, minlength=n_columns)
    return (psus - strata).astype(np.int64)


def design_covariance(scores: np.ndarray, arrays: DesignArrays, in_fit: np.ndarray) -> np.ndarray:
    """Design-based covariance of the column totals of per-row ``scores`` (R ``svyrecvar``, first stage).

    The matrix form of :func:`psu_variance`, for model coefficients: scores are summed to PSU
    totals ``z_hi``, centred within strata, and combined as
    ``sum_h (1 - f_h) n_h / (n_h - 1) sum_i (z_hi - zbar_h)(z_hi - zbar_h)'`` with ``n_h`` the
    stratum's PSUs in the full design; certainty strata contribute nothing and lonely PSUs follow
    ``arrays.lonely_psu`` as in :func:`psu_variance`.

    Parameters
    ----------
    scores : ndarray, shape (n, p)
        Per-row influence values over all rows of the survey; zero outside the fit. In a
        two-stage design the second-stage term of :func:`psu_variance` is added.
    arrays : DesignArrays
        The survey design.
    in_fit : ndarray of bool, shape (n,)
        Rows of the fit (their strata are the ones R's subsetted design keeps; this matters
        only for ``lonely_psu="average"``).

    Returns
    -------
    ndarray, shape (p, p)

    Raises
    ------
    DesignError
        A lonely PSU under ``lonely_psu="fail"``.
    """
    p = scores.shape[1]
    if arrays.stage2 is not None:
        unit_totals = np.column_stack(
            [np.bincount(arrays.stage2.unit, weights=scores[:, j], minlength=arrays.n_units) for j in range(p)]
        )
        totals = np.zeros((arrays.n_psus, p))
        np.add.at(totals, arrays.stage2.unit_psu, unit_totals)
    else:
        totals = np.column_stack([np.bincount(arrays.psu, weights=scores[:, j], minlength=arrays.n_psus) for j in range(p)])
    n_h = arrays.n_psu.astype(np.float64)
    stratum_sums = np.zeros((arrays.n_strata, p))
    np.add.at(stratum_sums, arrays.psu_stratum, totals)
    lonely = lonely_strata(arrays)
    if arrays.lonely_psu == "fail" and lonely.any():
        raise DesignError("a stratum has only one PSU; choose lonely_psu='adjust', 'average', 'remove' or 'certainty'")
    centre = stratum_sums / n_h[:, None]
    if arrays.lonely_psu == "adjust":
        centre[lonely] = 0.0
    deviations = totals - centre[arrays.psu_stratum]
    weighted = deviations * np.sqrt(stratum_scale(arrays)[arrays.psu_stratum])[:, None]
    covariance = weighted.T @ weighted
    if arrays.lonely_psu == "average":
        present = np.zeros(arrays.n_strata, dtype=bool)
        present[arrays.stratum[in_fit]] = True
        n_present = int(present.sum())
        n_ok = int((present & ~lonely).sum())
        covariance = covariance * (n_present / n_ok) if n_ok else covariance * np.nan
    if arrays.stage2 is not None:
        covariance = covariance + _stage2_covariance(unit_totals, totals, arrays)
    return covariance


def _stage2_covariance(unit_totals: np.ndarray, psu_totals: np.ndarray, arrays: DesignArrays) -> np.ndarray:
    """The second-stage term of :func:`design_covariance` (R ``multistage()``), shape (p, p)."""
    stage = arrays.stage2
    scale, lonely = _stage2_scale(arrays)
    centre = psu_totals / stage.n_units[:, None]
    if arrays.lonely_psu == "adjust":
        centre[lonely] = 0.0
    deviations = (unit_totals - centre[stage.unit_psu]) * np.sqrt(scale[stage.unit_psu])[:, None]
    covariance = deviations.T @ deviations
    if arrays.lonely_psu == "average" and (lonely & (np.abs(psu_totals).sum(axis=1) > 0)).any():
        covariance = covariance * np.nan
    return covariance
