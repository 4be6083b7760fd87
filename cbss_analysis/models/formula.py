"""Model formulas: parse them, read their variables from the survey, build the model matrix.

Formulas are formulaic's (R-like: ``y ~ x + C(sex)``); names are columns of the survey data or
indicator ids of its codebook, and ``codes(item)`` enters a labelled item by its codebook codes.
Nothing in a formula is evaluated beyond arithmetic and the functions of :data:`ALLOWED_FUNCTIONS`:
every term that formulaic would evaluate as Python is checked first (no other calls, no attribute
access, no names starting with ``_``), so a formula cannot read or write files or run code
(``np.load(...)``, ``__import__(...)`` are refused).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix

from cbss_analysis.common import checks
from cbss_analysis.common.checks import suggestion
from cbss_analysis.common.text import SNIPPET_CHARS, first_line, snippet
from cbss_analysis.errors import EstimationError

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.models.fitting import Family
    from cbss_analysis.survey import Survey

CODES_FUNCTION = "codes"
ALLOWED_FUNCTIONS: frozenset[str] = frozenset({
    "C", CODES_FUNCTION, "I", "center", "scale", "standardize", "poly", "bs", "log", "exp", "sqrt", "abs",
    "np.log", "np.log1p", "np.log2", "np.log10", "np.exp", "np.sqrt", "np.abs", "np.square", "np.power",
    "contr.treatment", "contr.sum", "contr.helmert", "contr.poly", "contr.diff",
})
"""The functions a formula term may call (formulaic's transforms, a few numpy functions, ``codes``)."""
_ALLOWED_NODES = (
    ast.Expression, ast.Call, ast.Name, ast.Load, ast.Constant, ast.BinOp, ast.UnaryOp, ast.keyword, ast.List, ast.Tuple,
    ast.Compare, ast.BoolOp, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)


def _reason(error: BaseException) -> str:
    """formulaic's message, first line, short (it may quote the formula or the data)."""
    return first_line(error, SNIPPET_CHARS) or type(error).__name__


def _own_error(error: BaseException) -> EstimationError | None:
    """Our own error (from ``codes()``) when formulaic wrapped it in one of its exceptions."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, EstimationError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def parse(formula: str):
    if not isinstance(formula, str) or "~" not in formula:
        raise EstimationError(f"formula {snippet(formula)} must be a string 'outcome ~ terms', e.g. 'cyberbullied ~ C(sex)'")
    try:
        parsed = Formula(formula)
        lhs = parsed.lhs
    except Exception as error:  # formulaic raises several parser exception types
        raise EstimationError(f"formula {snippet(formula)} cannot be parsed: {_reason(error)}") from error
    for expression in _python_terms(parsed):
        _check_term(expression, formula)
    return parsed, lhs


def _python_terms(part) -> list[str]:
    """The factor expressions that formulaic evaluates as Python, from every part of a formula."""
    found: list[str] = []
    for name in ("lhs", "rhs"):
        side = getattr(part, name, None)
        if side is None or side is part:
            continue
        found.extend(_python_terms(side))
    if hasattr(part, "__iter__") and not isinstance(part, str) and not hasattr(part, "rhs"):
        for item in part:
            factors = getattr(item, "factors", None)
            if factors is None:
                found.extend(_python_terms(item))
                continue
            found.extend(f.expr for f in factors if str(getattr(f.eval_method, "value", f.eval_method)) == "python")
    return found


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _check_term(expression: str, formula: str) -> None:
    """Refuse a term that calls anything but :data:`ALLOWED_FUNCTIONS` or reaches into objects."""
    refused = EstimationError(
        f"formula {snippet(formula)}: term {snippet(expression, 60)} is not allowed; terms may use column names, "
        f"numbers, arithmetic and the functions {', '.join(sorted(ALLOWED_FUNCTIONS))}"
    )
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        raise refused from None
    function_names: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if _dotted(node.func) not in ALLOWED_FUNCTIONS:
                raise refused
            part = node.func
            while isinstance(part, ast.Attribute):
                function_names.add(id(part))
                part = part.value
            function_names.add(id(part))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in function_names:
            raise refused
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise refused
        if isinstance(node, ast.Constant) and not isinstance(node.value, str | int | float | bool | type(None)):
            raise refused
        if not isinstance(node, (*_ALLOWED_NODES, ast.Attribute)):
            raise refused


def model_variables(survey: Survey, formula: str) -> tuple[str, pd.DataFrame]:
    """The outcome name and a frame of every variable the formula reads, in analysis form."""
    parsed, lhs = parse(formula)
    lhs_variables = sorted(str(v) for v in lhs.required_variables)
    if len(lhs_variables) != 1 or len(lhs) != 1 or str(lhs[0]) != lhs_variables[0]:
        raise EstimationError(f"formula {snippet(formula)}: the outcome must be one variable name (an indicator id or a column)")
    outcome = lhs_variables[0]
    names = sorted(str(v) for v in parsed.required_variables if str(v) != CODES_FUNCTION)
    columns = {name: variable(survey, name, formula) for name in names}
    return outcome, pd.DataFrame(columns, index=survey.data.index)


def formula_context(survey: Survey) -> dict:
    """Functions a formula may call besides formulaic's own (``C``, ``np``, ``log``, ...)."""

    def codes(column: pd.Series) -> pd.Series:
        if not isinstance(column.dtype, pd.CategoricalDtype):
            raise EstimationError(f"codes(): {snippet(column.name)} is not a labelled variable; use it directly")
        return survey.codes(str(column.name)).loc[column.index]

    return {CODES_FUNCTION: codes}


def variable(survey: Survey, name: str, formula: str) -> pd.Series:
    data = survey.data
    if name in data.columns:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(column.dtype):
            checks.levels(int(column.nunique(dropna=True)), name, f"formula {snippet(formula)}")
            return column
        if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
            return pd.Series(column.to_numpy(dtype=np.float64, na_value=np.nan), index=data.index, name=name)
        raise EstimationError(f"variable {snippet(name)} in formula {snippet(formula)} has dtype {column.dtype}, neither numeric nor categorical")
    codebook = survey.codebook
    if codebook is not None and name in codebook.indicators:
        return survey.values(name)
    known = [*survey.indicator_ids, *data.columns]
    raise EstimationError(
        f"variable {snippet(name)} in formula {snippet(formula)} is neither a column of the survey data nor an indicator id "
        f"of its codebook{suggestion(name, known)} (list them with survey.indicator_ids or survey.data.columns)"
    )


def check_outcome(values: pd.Series, outcome: str, family: Family) -> None:
    if not pd.api.types.is_float_dtype(values.dtype):
        raise EstimationError(
            f"outcome {snippet(outcome)} is categorical; a {family.name} model needs a numeric outcome "
            "(use a 0/1 indicator of the codebook or a numeric column)"
        )
    present = values.dropna().to_numpy()
    if np.isinf(present).any():
        raise EstimationError(f"outcome {snippet(outcome)} has infinite values")
    if family.name == "poisson" and (present < 0).any():
        shown = ", ".join(f"{v:g}" for v in np.unique(present[present < 0])[:5])
        raise EstimationError(
            f"outcome {snippet(outcome)} of a poisson model must be a count or rate at least 0 but has the value(s) {shown}"
        )
    if family.name == "logistic":
        other = np.unique(present[(present != 0.0) & (present != 1.0)])
        if other.size:
            shown = ", ".join(f"{v:g}" for v in other[:5])
            raise EstimationError(
                f"outcome {snippet(outcome)} of a logistic model must be 0/1 but has the value(s) {shown}; "
                "use a 0/1 indicator of the codebook"
            )


def design_matrix(
    frame: pd.DataFrame, formula: str, in_fit: np.ndarray, context: dict
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Outcome vector, model matrix and term names on the rows of one fit (unused categories dropped)."""
    y, x, columns, _ = design_matrix_terms(frame, formula, in_fit, context)
    return y, x, columns


def design_matrix_terms(
    frame: pd.DataFrame, formula: str, in_fit: np.ndarray, context: dict, outcome: bool = True
) -> tuple[np.ndarray | None, np.ndarray, list[str], list[str]]:
    """As :func:`design_matrix`, plus the formula term of each column (``"C(stype)"`` for ``"C(stype)[T.H]"``).

    With ``outcome=False`` only the right-hand side is built (the outcome is None), for a
    categorical outcome that formulaic would expand into indicator columns.
    """
    rows = frame.loc[in_fit].copy()
    for name in rows.columns:
        if isinstance(rows[name].dtype, pd.CategoricalDtype):
            rows[name] = rows[name].cat.remove_unused_categories()
    try:
        spec = formula if outcome else parse(formula)[0].rhs
        matrices = model_matrix(spec, rows, na_action="ignore", context=context)
    except EstimationError:
        raise
    except Exception as error:  # formulaic raises several evaluation exception types
        cause = _own_error(error)
        if cause is not None:
            raise cause from None
        raise EstimationError(f"formula {snippet(formula)} cannot be evaluated on the survey data: {_reason(error)}") from error
    rhs = matrices.rhs if outcome else matrices
    y = matrices.lhs.to_numpy(dtype=np.float64).ravel() if outcome else None
    x = rhs.to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise EstimationError(f"formula {snippet(formula)} gives missing or infinite values in the model matrix (e.g. log of 0)")
    terms = [""] * x.shape[1]
    for term, columns in rhs.model_spec.term_slices.items():
        for j in range(*columns.indices(x.shape[1])):
            terms[j] = str(term)
    return y, x, [str(c) for c in rhs.columns], terms
