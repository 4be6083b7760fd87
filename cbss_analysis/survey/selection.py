"""Which respondents a subset keeps: a boolean Series, or a pandas query string evaluated safely.

:meth:`cbss_analysis.survey.Survey.subset` calls :func:`selection_mask`. A query string is a
pandas expression over the columns of ``survey.data`` (``'state == "EE" and age >= 13'``,
``'sex != "Girl" & agecat.isin(["13-year-olds", "15-year-olds"])'``, backticks for names with
spaces), evaluated by ``DataFrame.eval`` with empty local and global namespaces. Before that,
the expression is parsed and refused unless it is built only from column names, literals,
comparisons, ``and``/``or``/``not`` (``&``, ``|``, ``~``), arithmetic, lists, and the methods
``isin``, ``between``, ``isna``, ``notna``; in particular ``@name`` references to Python
variables, ``__dunder__`` names and any other attribute or call are refused, so that a string
from a parameter file cannot reach Python objects, files or the network.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pandas as pd

from cbss_analysis.common.checks import problem, suggestion
from cbss_analysis.errors import EstimationError

SAFE_METHODS = frozenset({"isin", "between", "isna", "notna", "isnull", "notnull"})
"""Methods of a column that a query string may call."""
_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Invert, ast.USub, ast.UAdd,
    ast.BinOp, ast.BitAnd, ast.BitOr, ast.BitXor, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow,
    ast.FloorDiv, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple,
)
_BACKTICKED = re.compile(r"`[^`]*`")


def selection_mask(data: pd.DataFrame, where: object, function: str = "subset") -> tuple[np.ndarray, str]:
    """The rows of ``data`` that ``where`` selects, and a label describing the selection.

    Parameters
    ----------
    data : pandas.DataFrame
        The survey's data.
    where : pandas.Series of bool, ndarray of bool, or str
        A boolean Series with the index of ``data`` (or an array as long as ``data``); NA
        selects nothing (as R's ``subset``). Or a query string (see the module docstring).
    function : str
        Name of the caller, for messages.

    Returns
    -------
    (mask, label) : tuple of ndarray of bool and str

    Raises
    ------
    EstimationError
        A Series that is not aligned with ``data`` or not boolean, an array of the wrong
        length, a query that is malformed, refers to an unknown column, uses ``@`` or a
        construct outside the list above, or does not give one boolean per row.
    """
    if isinstance(where, str):
        return _query_mask(data, where, function), where.strip()
    if isinstance(where, pd.Series):
        if not where.index.equals(data.index):
            raise EstimationError(problem(function, "where", "<Series>", "is not aligned with survey.data (its index differs); "
                                                                        "build it from survey.data, e.g. survey.data['age'] >= 13"))
        return _boolean(where, function), "<boolean Series>"
    if isinstance(where, np.ndarray):
        if where.shape != (len(data),):
            raise EstimationError(problem(function, "where", f"<array of shape {where.shape}>",
                                          f"must have one value per row of survey.data ({len(data)})"))
        return _boolean(pd.Series(where, index=data.index), function), "<boolean array>"
    raise EstimationError(problem(function, "where", where, "must be a boolean Series aligned with survey.data or a query string"))


def _boolean(values: pd.Series, function: str) -> np.ndarray:
    if not pd.api.types.is_bool_dtype(values.dtype):
        raise EstimationError(problem(function, "where", f"<{values.dtype} values>", "must be boolean (True: keep the row)"))
    return values.fillna(False).to_numpy(dtype=bool)


def _query_mask(data: pd.DataFrame, expression: str, function: str) -> np.ndarray:
    text = expression.strip()
    if not text:
        raise EstimationError(problem(function, "where", expression, "is empty"))
    if "@" in text:
        raise EstimationError(problem(function, "where", expression, "refers to a Python variable with '@'; "
                                                                     "write the value into the string instead"))
    if "\n" in text or "\r" in text:
        raise EstimationError(problem(function, "where", expression, "must be a single line"))
    _check_syntax(data, text, expression, function)
    try:
        result = data.eval(text, local_dict={}, global_dict={})
    except Exception as error:  # pandas raises many types for a bad expression
        raise EstimationError(problem(function, "where", expression, f"cannot be evaluated ({type(error).__name__}: "
                                                                     f"{str(error).splitlines()[0] if str(error) else ''})")) from None
    if not isinstance(result, pd.Series) or len(result) != len(data):
        raise EstimationError(problem(function, "where", expression, "must give one True/False per respondent (a condition)"))
    return _boolean(result, function)


def _check_syntax(data: pd.DataFrame, text: str, expression: str, function: str) -> None:
    """Refuse anything but columns, literals, comparisons, logic, arithmetic and the safe methods."""
    quoted = {}

    def placeholder(match: re.Match) -> str:
        name = f"backticked_{len(quoted)}"
        quoted[name] = match.group(0)[1:-1]
        return name

    try:
        tree = ast.parse(_BACKTICKED.sub(placeholder, text), mode="eval")
    except SyntaxError:
        raise EstimationError(problem(function, "where", expression, "is not a valid condition (pandas query syntax)")) from None
    columns = [str(c) for c in data.columns]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if not (isinstance(func, ast.Attribute) and func.attr in SAFE_METHODS and isinstance(func.value, ast.Name)
                    and not node.keywords):
                raise EstimationError(problem(function, "where", expression, "calls a function; only the column methods "
                                                                             f"{', '.join(sorted(SAFE_METHODS))} are allowed"))
            continue
        if isinstance(node, ast.Attribute):
            if node.attr not in SAFE_METHODS:
                raise EstimationError(problem(function, "where", expression, f"uses the attribute {node.attr!r}; only the "
                                                                             "column methods isin, between, isna, notna are allowed"))
            continue
        if not isinstance(node, _NODES):
            raise EstimationError(problem(function, "where", expression, f"uses {type(node).__name__}, which a condition may not"))
        if isinstance(node, ast.Name):
            name = quoted.get(node.id, node.id)
            if name.startswith("__") or name not in columns:
                raise EstimationError(problem(function, "where", expression, f"refers to {name!r}, which is not a column of "
                                                                             f"the survey{suggestion(name, columns)}"))
