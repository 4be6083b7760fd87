"""Numbers as a reader reads them: thousands separators, no scientific notation, a dash for missing, units in words.

One formatter for every table, index, finding and export label of the package, so that a figure
reads the same wherever it is shown: ``47,421``, ``28.2%``, ``+3.1 pp``, ``0.51``, ``2014``, ``–``.

Units (the ``unit`` of a recorded figure, :func:`cbss_analysis.records.record`):

========== ===================================================== ===========
unit       what the value is                                      shown as
========== ===================================================== ===========
percent    a share already in percent (0-100)                     ``28.2%``
pp         a difference of two percentages, percentage points    ``+3.1 pp``
count      a whole number of things (respondents, states, ...)    ``47,421``
score      a mean score on a scale                                ``3.42``
ratio      an odds ratio, alpha, design effect                    ``0.51``
year       a calendar year                                        ``2014``
text       words                                                  as given
========== ===================================================== ===========
"""

from __future__ import annotations

import math
from typing import Any

DASH = "\u2013"
"""What a missing value reads as: an en dash."""

UNITS: tuple[str, ...] = ("percent", "pp", "count", "score", "ratio", "year", "text")
"""The units a recorded figure may carry (``None``: a plain number)."""

_DIGITS = {"percent": 1, "pp": 1, "count": 0, "score": 2, "ratio": 2, "year": 0}


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and infinities (anything that is not a number or a text)."""
    if value is None:
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    try:
        import pandas as pd

        missing = pd.isna(value)
    except (ImportError, TypeError, ValueError):
        return False
    return bool(missing) if isinstance(missing, bool) or getattr(missing, "ndim", 1) == 0 else False


P_VALUE_COLUMNS: frozenset[str] = frozenset({"p_value", "p_holm", "p_adjusted", "p"})
"""Columns that hold p-values: shown by :func:`format_p_value`."""


def format_p_value(value: Any) -> str:
    """A p-value as a reader expects it: three decimals, ``< 0.001`` below that, ``–`` when missing.

    >>> format_p_value(0.0004), format_p_value(0.0312)
    ('< 0.001', '0.031')
    """
    if is_missing(value):
        return DASH
    number = float(value)
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def format_number(value: Any, digits: int | None = None) -> str:
    """A number with thousands separators and no scientific notation; ``–`` when missing.

    Parameters
    ----------
    value : number, str or None
        Integers keep no decimals; floats get ``digits`` decimals (default: none for whole
        numbers, else up to 3 significant decimals for small values and 1 for large ones).
        Texts are returned as they are; booleans read ``yes`` / ``no``.
    digits : int, optional
        Decimals for floats.

    Returns
    -------
    str
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if is_missing(value):
        return DASH
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return DASH
    is_integer = isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu")
    if digits is None:
        if is_integer or number.is_integer():
            digits = 0
        elif abs(number) >= 100:
            digits = 1
        elif abs(number) >= 1:
            digits = 2
        else:
            digits = 3
    text = f"{number:,.{digits}f}"
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]  # -0.0 reads 0.0
    return text


def format_value(value: Any, unit: str | None = None, digits: int | None = None, signed: bool = False) -> str:
    """A value in its unit: ``28.2%``, ``+3.1 pp``, ``47,421``, ``2014``; ``–`` when missing.

    Parameters
    ----------
    value : number, str or None
        The value, in the unit (percentages already x100).
    unit : str, optional
        One of :data:`UNITS`; None for a plain number.
    digits : int, optional
        Decimals (default per unit: 1 for percent and pp, 0 for counts and years, 2 for scores,
        3 for ratios).
    signed : bool
        Show a ``+`` before positive values (differences).
    """
    if unit == "text" or isinstance(value, str):
        return DASH if value in (None, "") else str(value)
    if is_missing(value):
        return DASH
    if unit == "year":
        return f"{round(float(value))}"
    chosen = _DIGITS.get(unit or "") if digits is None else digits
    text = format_number(value, chosen)
    if signed and float(value) > 0 and text not in ("0", "0.0"):
        text = "+" + text
    if unit == "percent":
        return f"{text}%"
    if unit == "pp":
        return f"{text} pp"
    return text


def format_interval(low: Any, high: Any, unit: str | None = None, digits: int | None = None) -> str:
    """``12.0–16.6%`` (the unit once, after the upper bound), ``-2.5 to -0.3 pp`` when a bound is negative (a dash
    between two minus signs misreads); ``–`` when a bound is missing.

    >>> format_interval(12.0, 16.6, "percent"), format_interval(-2.5, -0.3, "pp")
    ('12.0–16.6%', '-2.5 to -0.3 pp')
    """
    if is_missing(low) or is_missing(high):
        return DASH
    chosen = _DIGITS.get(unit or "") if digits is None else digits
    between = " to " if float(low) < 0 or float(high) < 0 else DASH
    text = f"{format_number(low, chosen)}{between}{format_number(high, chosen)}"
    if unit == "percent":
        return f"{text}%"
    if unit == "pp":
        return f"{text} pp"
    return text
