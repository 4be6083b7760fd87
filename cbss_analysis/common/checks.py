"""Checks of the arguments that every verb shares: ``by``, ``level``, ``min_n``, variable names.

One message template for all of them: ``"<function>: <argument>=<value> <what is wrong>; <what to do>"``,
raised as the caller's error class (an :class:`~cbss_analysis.errors.EstimationError` for the
estimators, a :class:`~cbss_analysis.errors.PlotError` for a figure, ...).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from typing import Any

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import CbssError, EstimationError

DEFAULT_MIN_N = 30
"""Smallest number of respondents behind a published estimate, unless the caller chooses another."""
MIN_N_FLOOR = 10
"""Below this ``min_n`` a notebook or report refuses to run unless ``allow_small_cells`` is set explicitly."""
DEFAULT_LEVEL = 0.95
"""Default confidence level."""
MAX_LEVELS = 1_000
"""Most categories a variable may have (value labels, categories of a file's column, distinct values of a
``by`` column or of a categorical model term): more would expand into that many estimate rows or model
columns and exhaust memory instead of giving a useful table."""


def problem(function: str, argument: str, value: Any, what: str) -> str:
    """The one message template: ``"function: argument=value what"``."""
    return f"{function}: {argument}={snippet(value)} {what}"


def names(value: str | Sequence[str] | None, argument: str, function: str,
          error: type[CbssError] = EstimationError) -> list[str]:
    """A column name or a list of names as a list without repeats; None gives ``[]``.

    Raises ``error`` when an element is not a string.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise error(problem(function, argument, value, "must be a column name or a list of names"))
    return list(dict.fromkeys(value))


def level(value: Any, function: str, error: type[CbssError] = EstimationError) -> float:
    """A confidence level strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 < value < 1:
        raise error(problem(function, "level", value, "must be a confidence level between 0 and 1, e.g. 0.95"))
    return float(value)


def min_n(value: Any, function: str, error: type[CbssError] = EstimationError) -> int:
    """A whole number of respondents, at least 0 (0 turns suppression off)."""
    if isinstance(value, bool) or (not isinstance(value, int) and not _is_numpy_integer(value)) or value < 0:
        raise error(problem(function, "min_n", value, "must be a whole number of respondents, at least 0 (0: no suppression)"))
    return int(value)


def report_min_n(value: Any, allow_small_cells: bool, function: str, error: type[CbssError]) -> int:
    """``min_n`` of a notebook or report: at least :data:`MIN_N_FLOOR` unless ``allow_small_cells`` is true."""
    value = min_n(value, function, error)
    if not isinstance(allow_small_cells, bool):
        raise error(problem(function, "allow_small_cells", allow_small_cells, "must be true or false"))
    if value < MIN_N_FLOOR and not allow_small_cells:
        raise error(problem(function, "min_n", value, f"is below the floor of {MIN_N_FLOOR} respondents; "
                                                       "set allow_small_cells=True to publish smaller cells"))
    return value


def small_cells_notice(parameters: dict[str, Any]) -> str | None:
    """The sentence a report built with ``allow_small_cells`` must show, or None when small cells are not allowed.

    Written by the same module that applies the floor (:func:`report_min_n`).
    """
    if parameters.get("allow_small_cells") is not True:
        return None
    shown = parameters.get("min_n")
    size = f"as few as {shown} respondents" if isinstance(shown, int) and not isinstance(shown, bool) else "small cells"
    return (f"SMALL CELLS ALLOWED: this report may show estimates from {size}, below the floor of {MIN_N_FLOOR} "
            "(allow_small_cells was set); such figures are unreliable and may identify respondents.")


def _is_numpy_integer(value: Any) -> bool:
    import numpy as np

    return isinstance(value, np.integer)


def levels(count: int, name: Any, function: str, error: type[CbssError] = EstimationError, what: str = "categories") -> None:
    """Refuse a variable with more than :data:`MAX_LEVELS` categories, in one line naming it."""
    if count > MAX_LEVELS:
        raise error(f"{function}: {snippet(name)} has {count:,} {what}; at most {MAX_LEVELS:,} are allowed "
                    "(recode it into fewer groups)")


def closest(name: str, candidates: Iterable[str], count: int = 3) -> list[str]:
    """Up to ``count`` candidates closest to ``name`` (by spelling), best first."""
    pool = [str(c) for c in candidates]
    lowered = {c.lower(): c for c in pool}
    found = difflib.get_close_matches(name.lower(), list(lowered), n=count, cutoff=0.6)
    return [lowered[f] for f in found]


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close."""
    found = closest(name, candidates, count=1)
    return f"; did you mean {found[0]!r}?" if found else ""


def column(name: Any, available: Iterable[str], function: str, argument: str = "by",
           error: type[CbssError] = EstimationError, where_listed: str = "survey.data.columns") -> str:
    """A column name that exists in ``available``; else one line with the closest names."""
    pool = list(available)
    if not isinstance(name, str) or name not in pool:
        hint = suggestion(name, pool) if isinstance(name, str) else ""
        raise error(problem(function, argument, name, f"is not a column of the survey{hint} (list them with {where_listed})"))
    return name


def choice(value: Any, options: Sequence[str], argument: str, function: str,
           error: type[CbssError] = EstimationError) -> str:
    """One of ``options`` (a string), else one line listing them."""
    if not isinstance(value, str) or value not in options:
        raise error(problem(function, argument, value, f"is not one of {', '.join(map(repr, options))}"))
    return value


def probabilities(value: Any, argument: str, function: str, error: type[CbssError] = EstimationError) -> list[float]:
    """A probability strictly between 0 and 1, or a non-empty list of them (repeats dropped), as floats."""
    values = [value] if not isinstance(value, Iterable) or isinstance(value, str) else list(value)
    if not values:
        raise error(problem(function, argument, value, "is empty; give a probability between 0 and 1, e.g. 0.5"))
    for item in values:
        number = not isinstance(item, bool) and (isinstance(item, (int, float)) or _is_numpy_number(item))
        if not number or not math.isfinite(float(item)) or not 0 < float(item) < 1:
            raise error(problem(function, argument, item, "must be a probability strictly between 0 and 1, e.g. 0.5"))
    return list(dict.fromkeys(float(v) for v in values))


def _is_numpy_number(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (np.integer, np.floating))
