"""Wald tests of one or several terms of a fitted survey model (R ``regTermTest``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cbss_analysis.common import checks
from cbss_analysis.errors import EstimationError
from cbss_analysis.models.formula import parse
from cbss_analysis.models.results import FITS_ATTR, FitsRef, ModelFit, ModelFits


def wald_test(fit: pd.DataFrame, terms: str | Sequence[str]) -> pd.DataFrame:
    """Design-based Wald F test that every coefficient of some terms is 0, in each domain of a model table.

    Reproduces R ``regTermTest(model, ~terms)`` (its default ``method = "Wald"``) for models from
    :func:`~cbss_analysis.models.logistic`, :func:`~cbss_analysis.models.linear`,
    :func:`~cbss_analysis.models.poisson` (``svyglm``) and :func:`~cbss_analysis.models.ordinal`
    (``svyolr``): with ``b`` the ``k`` coefficients of the terms and ``V`` their design-based
    covariance, ``F = b' V^-1 b / k`` on ``F(k, ddf)``, ``ddf`` the fit's residual df
    (``svyglm``: PSUs - strata + 1 - coefficients; ``svyolr``: PSUs - strata - coefficients,
    thresholds not counted). Aliased coefficients are left out of ``k``, as R's ``okbeta``.
    An ordinal model's thresholds belong to no term and cannot be tested (as in R).

    Parameters
    ----------
    fit : pandas.DataFrame
        A table returned by one of the model functions (rows may be filtered: domains whose rows
        are all gone are left out). It carries each domain's coefficient covariance in
        ``attrs["fits"]``.
    terms : str or sequence of str
        Formula terms as written in the model's formula (``"C(stype)"``, ``"meals"``,
        ``"meals:C(stype)"``; the factors of an interaction in any order), a formula of them
        (``"~ meals + ell"``), or coefficient names of the table's ``term`` column
        (``"C(stype)[T.H]"``) to test single coefficients.

    Returns
    -------
    pandas.DataFrame
        One row per domain: ``outcome``, the by columns, ``terms`` (the tested terms joined by
        ``" + "``), ``F``, ``ndf``, ``ddf``, ``p_value``; NaN for a domain without a fit
        (suppressed, separated, not converged) or whose tested coefficients are all aliased.
        ``attrs``: ``synthetic``, ``kind="wald_test"``, ``model``, ``formula``, ``terms``, ``by``.

    Raises
    ------
    EstimationError
        The table carries no model fits, or a term is not in the model.
    """
    ref = fit.attrs.get(FITS_ATTR) if isinstance(fit, pd.DataFrame) else None
    if not isinstance(ref, FitsRef):
        raise EstimationError(
            "wald_test: the table has no model fits; pass a table from models.logistic, linear, poisson or ordinal"
        )
    fits: ModelFits = ref.fits
    wanted = _requested(terms, fits)
    by_columns = list(fits.by)
    keep = _domains_in_table(fit, fits)
    records = []
    for model in fits.fits:
        if model.key not in keep:
            continue
        f_value, ndf, ddf, p_value = _test(model, wanted, fits)
        records.append({"outcome": fits.outcome, **dict(zip(by_columns, model.key)), "terms": " + ".join(wanted),
                        "F": f_value, "ndf": ndf, "ddf": ddf, "p_value": p_value})
    table = pd.DataFrame(records, columns=["outcome", *by_columns, "terms", "F", "ndf", "ddf", "p_value"])
    for column in by_columns:
        if column in fit.columns and isinstance(fit[column].dtype, pd.CategoricalDtype):
            table[column] = pd.Categorical(table[column], dtype=fit[column].dtype)
    table["terms"] = table["terms"].astype(pd.StringDtype())
    table.attrs.update({"synthetic": bool(fit.attrs.get("synthetic", False)), "kind": "wald_test", "model": fits.kind,
                        "formula": fits.formula, "terms": wanted, "by": by_columns})
    return table


def term_tests(fit: pd.DataFrame) -> pd.DataFrame:
    """A joint Wald F test of each term of a model, in each domain (R ``regTermTest`` once per term).

    Each term of the formula (a numeric variable, a factor with all its categories, an
    interaction) is tested on its own with :func:`wald_test`: does the term matter as a whole,
    given the others? The intercept and an ordinal model's thresholds are not terms.

    Parameters
    ----------
    fit : pandas.DataFrame
        A table returned by :func:`~cbss_analysis.models.logistic`, ``linear``, ``poisson`` or ``ordinal``.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`wald_test` for every term, in formula order.

    Raises
    ------
    EstimationError
        The table carries no model fits.
    """
    ref = fit.attrs.get(FITS_ATTR) if isinstance(fit, pd.DataFrame) else None
    if not isinstance(ref, FitsRef):
        raise EstimationError("term_tests: the table has no model fits; pass a table from models.logistic, linear, poisson or ordinal")
    terms = list(dict.fromkeys(t for model in ref.fits.fits for t in model.terms if t and t not in ("1", "Intercept")))
    tables = [wald_test(fit, [term]) for term in terms]
    table = pd.concat(tables, ignore_index=True) if tables else wald_test(fit, terms)
    table.attrs.update(tables[0].attrs if tables else {})
    table.attrs["terms"] = terms
    return table


def _canonical(term: str) -> str:
    """An interaction's factors in sorted order (R ``regTermTest``'s ``canonicalOrder``)."""
    return ":".join(sorted(part.strip() for part in term.split(":")))


def _requested(terms: str | Sequence[str], fits: ModelFits) -> list[str]:
    """The requested terms or coefficient names, checked against the model."""
    known_terms = {_canonical(t) for f in fits.fits for t in f.terms if t}
    known_columns = {c for f in fits.fits for c, t in zip(f.columns, f.terms) if t}  # not thresholds
    if isinstance(terms, str):
        stripped = terms.strip()
        if stripped.lstrip("~").strip() in known_columns | {t for f in fits.fits for t in f.terms if t}:
            names = [stripped.lstrip("~").strip()]
        else:
            try:
                names = [str(t) for t in parse("_ ~ " + stripped.lstrip("~"))[0].rhs if str(t) != "1"]
            except EstimationError as error:
                raise EstimationError(checks.problem("wald_test", "terms", terms, "is not a term or a formula of terms")) from error
    else:
        names = checks.names(terms, "terms", "wald_test")
    if not names:
        raise EstimationError(checks.problem("wald_test", "terms", terms, "names no term; pass e.g. 'C(stype)' or '~ meals + ell'"))
    for name in names:
        if _canonical(name) not in known_terms and name not in known_columns:
            pool = sorted({t for f in fits.fits for t in f.terms if t} | known_columns)
            raise EstimationError(checks.problem(
                "wald_test", "terms", name, f"is not a term of the model {fits.formula!r}{checks.suggestion(name, pool)}"
            ))
    return names


def _domains_in_table(fit: pd.DataFrame, fits: ModelFits) -> set[tuple]:
    """Keys of the domains that still have rows in the (possibly filtered) table."""
    if not fits.by:
        return {()} if len(fit) else set()
    if any(c not in fit.columns for c in fits.by):
        raise EstimationError(f"wald_test: the table lacks the by column(s) {list(fits.by)} of its model")
    present = fit[list(fits.by)].drop_duplicates()
    return {tuple(row) if len(fits.by) > 1 else (row[0],) for row in present.itertuples(index=False, name=None)}


def _test(model: ModelFit, wanted: list[str], fits: ModelFits) -> tuple[float, float, float, float]:
    """``F, ndf, ddf, p`` of one domain's fit."""
    canonical = {_canonical(w) for w in wanted}
    selected = np.array(
        [bool(t) and (_canonical(t) in canonical or c in wanted) for c, t in zip(model.columns, model.terms)], dtype=bool
    )
    selected &= ~np.isnan(model.estimate)
    k = int(selected.sum())
    if k == 0 or not np.isfinite(model.df):
        return np.nan, float(k) if k else np.nan, model.df, np.nan
    beta = model.estimate[selected]
    covariance = model.covariance[np.ix_(selected, selected)]
    try:
        chisq = float(beta @ np.linalg.solve(covariance, beta))
    except np.linalg.LinAlgError:
        return np.nan, float(k), model.df, np.nan
    f_value = chisq / k
    p_value = float(stats.f.sf(f_value, k, model.df)) if model.df > 0 else np.nan
    return f_value, float(k), model.df, p_value
