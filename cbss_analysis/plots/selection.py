"""Check and select the rows of an estimate table that a figure draws."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cbss_analysis import states
from cbss_analysis.common.text import snippet, strip_control
from cbss_analysis.errors import PlotError

ESTIMATE_COLUMNS: tuple[str, ...] = ("variable", "estimate", "ci_low", "ci_high", "n", "suppressed")
_NOT_BY = {"variable", "level", "estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "deff", "suppressed", "df"}


def listing(values: Sequence[object], limit: int = 8) -> str:
    """Up to ``limit`` values for a message, each one line and at most 30 characters."""
    values = list(values)
    shown = ", ".join(_short(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _short(value: object) -> str:
    text = strip_control(str(value))
    return text if len(text) <= 30 else text[:27] + "..."


def require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a one-line PlotError naming the first missing column."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise PlotError(f"{what}: table has no column {snippet(missing[0])}; expected {', '.join(columns)}")


def select(table: pd.DataFrame, variable: str | None, category: str | None, keep: Sequence[str],
           what: str) -> tuple[pd.DataFrame, str]:
    """The rows of one variable (and category) with one row per combination of ``keep`` columns.

    Parameters
    ----------
    table : DataFrame
        An estimate table (contract columns: variable, level, by columns, estimate, ...).
    variable, category : str or None
        Which variable and, for categorical variables, which ``level``; None when there is only one.
    keep : sequence of str
        By columns the figure draws (e.g. ``["state", "sex"]``).
    what : str
        The figure's name, for error messages.

    Returns
    -------
    (DataFrame, str)
        The selected rows (a copy) and the variable name.
    """
    require_columns(table, [*ESTIMATE_COLUMNS, *keep], what)
    variables = list(dict.fromkeys(table["variable"].astype(str)))
    if variable is None:
        if len(variables) != 1:
            raise PlotError(f"{what}: table holds several variables ({listing(variables)}); pass variable=")
        variable = variables[0]
    if variable not in variables:
        raise PlotError(f"{what}: variable {snippet(variable)} not in the table ({listing(variables)})")
    rows = table[table["variable"].astype(str) == variable]
    if "level" in rows.columns and rows["level"].notna().any():
        levels = list(dict.fromkeys(rows["level"].dropna().astype(str)))
        if category is None and len(levels) > 1:
            raise PlotError(f"{what}: {snippet(variable)} has categories ({listing(levels)}); pass category=")
        chosen = category if category is not None else levels[0]
        if chosen not in levels:
            raise PlotError(f"{what}: {snippet(variable)} has no category {snippet(chosen)} ({listing(levels)})")
        rows = rows[rows["level"].astype(str) == chosen]
    extra = [c for c in rows.columns if c not in _NOT_BY and c not in keep and rows[c].nunique(dropna=False) > 1]
    if extra:
        raise PlotError(f"{what}: table has several values of {snippet(extra[0])}; filter the table first "
                        f"(or split by it where the figure allows)")
    if (rows.duplicated(list(keep)).any() if keep else len(rows) > 1):
        raise PlotError(f"{what}: more than one row per {' x '.join(keep) or 'table'} for {snippet(variable)}")
    rows = rows.copy()
    rows["suppressed"] = rows["suppressed"].fillna(False).astype(bool)
    return rows, variable


def percent_scale(table: pd.DataFrame, percent: bool | None) -> float:
    """100 when the estimates are proportions (``attrs["kind"] == "proportion"`` unless told), else 1."""
    if percent is None:
        percent = table.attrs.get("kind") == "proportion"
    return 100.0 if percent else 1.0


def value_label(table: pd.DataFrame, what: str, scale: float) -> str:
    """Axis label with the unit: "x (%)" for proportions shown as %, "x (mean)" or "x (total)" otherwise."""
    if scale == 100:
        return f"{what} (%)"
    kind = table.attrs.get("kind")
    return f"{what} ({kind})" if kind in ("mean", "total") else what


def state_label(code: str) -> str:
    """The state's English name (the code itself when it is not a member state)."""
    return states.state_names().get(str(code), str(code))


def ci_percent(table: pd.DataFrame) -> str:
    """The CI level as text, e.g. "95%" (``attrs["level"]``, default 0.95)."""
    return f"{table.attrs.get('level', 0.95) * 100:g}%"


def group_order(values: pd.Series, groups: Sequence[str] | None) -> list[str]:
    """Groups in the given order, else categorical order, else order of appearance."""
    if groups is not None:
        return [str(g) for g in groups]
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().astype(str))
        return [str(c) for c in values.cat.categories if str(c) in present]
    return list(dict.fromkeys(values.dropna().astype(str)))


def significance_rule(table: pd.DataFrame, what: str) -> dict | None:
    """The significance rule a comparison table was marked with (``estimate.significance.mark``), or None.

    Raises a PlotError when the marks were computed over another family than the rows shown (the
    table was filtered after marking), so that a figure never shows marks of another family.
    """
    rule = table.attrs.get("significance")
    if not rule or "significant" not in table.columns:
        return None
    shown = int(pd.to_numeric(table["p_value"], errors="coerce").notna().sum()) if "p_value" in table.columns else -1
    if shown != rule.get("family"):
        raise PlotError(f"{what}: the marks were adjusted over {rule.get('family')} differences but {shown} are shown; "
                        "mark the rows shown (estimate.significance.mark) after filtering them")
    return rule

