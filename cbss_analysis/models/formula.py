"""Model formulas: parse them, read their variables from the survey, build the model matrix.

Formulas are formulaic's (R-like: ``y ~ x + C(sex)``); names are columns of the survey data or
indicator ids of its codebook, and ``codes(item)`` enters a labelled item by its codebook codes.
Nothing in a formula is evaluated beyond formulaic's own transforms and ``codes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix

from cbss_analysis.common.checks import suggestion
from cbss_analysis.errors import EstimationError

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.models.fitting import Family
    from cbss_analysis.survey import Survey

CODES_FUNCTION = "codes"


def parse(formula: str):
    if not isinstance(formula, str) or "~" not in formula:
        raise EstimationError(f"formula {formula!r} must be a string 'outcome ~ terms', e.g. 'cyberbullied ~ C(sex)'")
    try:
        parsed = Formula(formula)
        lhs = parsed.lhs
    except Exception as error:  # formulaic raises several parser exception types
        raise EstimationError(f"formula {formula!r} cannot be parsed: {error}") from error
    return parsed, lhs


def model_variables(survey: Survey, formula: str) -> tuple[str, pd.DataFrame]:
    """The outcome name and a frame of every variable the formula reads, in analysis form."""
    parsed, lhs = parse(formula)
    lhs_variables = sorted(str(v) for v in lhs.required_variables)
    if len(lhs_variables) != 1 or len(lhs) != 1 or str(lhs[0]) != lhs_variables[0]:
        raise EstimationError(f"formula {formula!r}: the outcome must be one variable name (an indicator id or a column)")
    outcome = lhs_variables[0]
    names = sorted(str(v) for v in parsed.required_variables if str(v) != CODES_FUNCTION)
    columns = {name: variable(survey, name, formula) for name in names}
    return outcome, pd.DataFrame(columns, index=survey.data.index)


def formula_context(survey: Survey) -> dict:
    """Functions a formula may call besides formulaic's own (``C``, ``np``, ``log``, ...)."""

    def codes(column: pd.Series) -> pd.Series:
        if not isinstance(column.dtype, pd.CategoricalDtype):
            raise EstimationError(f"codes({column.name}): {column.name!r} is not a labelled variable; use it directly")
        return survey.codes(str(column.name)).loc[column.index]

    return {CODES_FUNCTION: codes}


def variable(survey: Survey, name: str, formula: str) -> pd.Series:
    data = survey.data
    if name in data.columns:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(column.dtype):
            return column
        if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
            return pd.Series(column.to_numpy(dtype=np.float64, na_value=np.nan), index=data.index, name=name)
        raise EstimationError(f"variable {name!r} in formula {formula!r} has dtype {column.dtype}, neither numeric nor categorical")
    codebook = survey.codebook
    if codebook is not None and name in codebook.indicators:
        return survey.values(name)
    known = [*survey.indicator_ids, *data.columns]
    raise EstimationError(
        f"variable {name!r} in formula {formula!r} is neither a column of the survey data nor an indicator id "
        f"of its codebook{suggestion(name, known)} (list them with survey.indicator_ids or survey.data.columns)"
    )


def check_outcome(values: pd.Series, outcome: str, family: Family) -> None:
    if not pd.api.types.is_float_dtype(values.dtype):
        raise EstimationError(
            f"outcome {outcome!r} is categorical; a {family.name} model needs a numeric outcome "
            "(use a 0/1 indicator of the codebook or a numeric column)"
        )
    present = values.dropna().to_numpy()
    if np.isinf(present).any():
        raise EstimationError(f"outcome {outcome!r} has infinite values")
    if family.name == "logistic":
        other = np.unique(present[(present != 0.0) & (present != 1.0)])
        if other.size:
            shown = ", ".join(f"{v:g}" for v in other[:5])
            raise EstimationError(
                f"outcome {outcome!r} of a logistic model must be 0/1 but has the value(s) {shown}; "
                "use a 0/1 indicator of the codebook"
            )


def design_matrix(
    frame: pd.DataFrame, formula: str, in_fit: np.ndarray, context: dict
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Outcome vector, model matrix and term names on the rows of one fit (unused categories dropped)."""
    rows = frame.loc[in_fit].copy()
    for name in rows.columns:
        if isinstance(rows[name].dtype, pd.CategoricalDtype):
            rows[name] = rows[name].cat.remove_unused_categories()
    try:
        matrices = model_matrix(formula, rows, na_action="ignore", context=context)
    except EstimationError:
        raise
    except Exception as error:  # formulaic raises several evaluation exception types
        raise EstimationError(f"formula {formula!r} cannot be evaluated on the survey data: {error}") from error
    y = matrices.lhs.to_numpy(dtype=np.float64).ravel()
    x = matrices.rhs.to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise EstimationError(f"formula {formula!r} gives missing or infinite values in the model matrix (e.g. log of 0)")
    return y, x, [str(c) for c in matrices.rhs.columns]
