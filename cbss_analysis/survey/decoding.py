"""Decode stored survey codes through a codebook.

Labelled variables (categorical, ordinal, binary) become pandas categoricals of their
value labels, in code order (ordered for ordinal variables); missing codes become NA;
numeric variables become float with their valid range checked; text (character) variables
keep their string codes, stripped of padding, as an unordered categorical; the HBSC country code
becomes a ``state`` column of ISO2 codes. Every code that the codebook does not know is
collected as a :class:`Problem` so that ``cbss-analysis validate`` can list them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis import states
from cbss_analysis.survey.codebook import Codebook, Variable

STATE_COLUMN = "state"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a survey file: what kind, which variable, a one-line message."""

    kind: str
    variable: str
    message: str


def _numeric(column: pd.Series) -> pd.Series | None:
    """The column as float64, or None when it holds text that is not a number."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype("float64")
    converted = pd.to_numeric(column, errors="coerce")
    if (converted.isna() & column.notna()).any():
        return None
    return converted.astype("float64")


def _describe(values: pd.Series) -> str:
    counts = values.value_counts().sort_index()
    shown = ", ".join(f"{code:g} ({count} rows)" for code, count in counts.head(5).items())
    return shown + (f" and {len(counts) - 5} more codes" if len(counts) > 5 else "")


def _as_text(column: pd.Series) -> pd.Series:
    """A column as stripped strings, NA for missing and empty values (whole numbers from a CSV: 1.0 -> "1")."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        column = column.astype("float64").map(lambda v: None if np.isnan(v) else f"{v:.0f}" if v.is_integer() else repr(v))
    text = column.astype("string").str.strip()
    return text.mask(text == "")


def decode_text(column: pd.Series, variable: Variable, where: str) -> tuple[pd.Series, list[Problem]]:
    """A character variable: its string codes as an unordered categorical.

    Codes are never converted to numbers (a code such as "01" stays "01"). Surrounding spaces are
    stripped (SPSS pads A-format values); empty strings and the variable's ``missing`` codes become NA.
    Categories are the codebook's codes in the order written, or the sorted codes found when it lists
    none; a code the codebook does not list is a problem (``unknown_code``) and becomes NA.
    """
    text = _as_text(column)
    if variable.missing:
        text = text.mask(text.isin([str(code) for code in variable.missing]))
    problems: list[Problem] = []
    if variable.values:
        categories = [str(code) for code in variable.values]
        unknown = text.notna() & ~text.isin(categories)
        if unknown.any():
            counts = text[unknown].value_counts().sort_index()
            shown = ", ".join(f"{code!r} ({count} rows)" for code, count in counts.head(5).items())
            more = f" and {len(counts) - 5} more codes" if len(counts) > 5 else ""
            problems.append(Problem(
                "unknown_code", variable.name,
                f"{where}: text variable {variable.name!r} has code(s) not in the codebook: {shown}{more}",
            ))
            text = text.mask(unknown)
    else:
        categories = sorted(text.dropna().unique())
    decoded = pd.Categorical(text.astype(object).where(text.notna(), None), categories=categories, ordered=False)
    return pd.Series(decoded, index=column.index, name=variable.name), problems


def decode_variable(column: pd.Series, variable: Variable, where: str) -> tuple[pd.Series, list[Problem]]:
    """Decode one column; return the decoded column and the problems found."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column, []
    if variable.is_text:
        return decode_text(column, variable, where)
    numeric = _numeric(column)
    if numeric is None:
        example = column[pd.to_numeric(column, errors="coerce").isna() & column.notna()].iloc[0]
        return column, [Problem("not_numeric", variable.name, f"{where}: variable {variable.name!r} holds non-numeric value {str(example)[:40]!r}")]
    if variable.missing:
        numeric = numeric.mask(numeric.isin(variable.missing))
    problems: list[Problem] = []
    if variable.is_labelled:
        ordered = sorted(variable.values.items())  # searchsorted needs codes in order, whoever built the Variable
        codes = np.array([code for code, _ in ordered], dtype=np.float64)
        unknown = numeric.notna() & ~numeric.isin(codes)
        if unknown.any():
            problems.append(Problem(
                "unknown_code", variable.name,
                f"{where}: variable {variable.name!r} has code(s) not in the codebook: {_describe(numeric[unknown])}",
            ))
            numeric = numeric.mask(unknown)
        positions = np.searchsorted(codes, numeric.to_numpy())
        positions = np.where(numeric.isna().to_numpy(), -1, positions)
        categorical = pd.Categorical.from_codes(
            positions, categories=[label for _, label in ordered], ordered=variable.type == "ordinal", validate=False
        )
        return pd.Series(categorical, index=column.index, name=variable.name), problems
    if variable.range is not None:
        low, high = variable.range
        outside = numeric.notna() & ((numeric < low) | (numeric > high))
        if outside.any():
            problems.append(Problem(
                "out_of_range", variable.name,
                f"{where}: variable {variable.name!r} is outside its range [{low:g}, {high:g}]: {_describe(numeric[outside])}",
            ))
            numeric = numeric.mask(outside)
    return numeric.rename(variable.name), problems


def state_column(column: pd.Series, codebook: Codebook, where: str) -> tuple[pd.Series, list[Problem]]:
    """ISO2 state codes (categorical in display order) from the HBSC ``countryno`` codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels_to_codes = {v: k for k, v in codebook.variable(codebook.state_variable).values.items()}
        column = column.map(labels_to_codes)
    numeric = _numeric(column)
    if numeric is None:
        return pd.Series(pd.NA, index=column.index), [Problem("not_numeric", str(column.name), f"{where}: state variable {column.name!r} is not numeric")]
    iso2 = numeric.map(states.iso2_from_countryno())
    problems = []
    if numeric.isna().any():
        problems.append(Problem("missing_state", str(column.name), f"{where}: state variable {column.name!r} is missing in {int(numeric.isna().sum())} row(s)"))
    dtype = pd.CategoricalDtype(states.state_codes(), ordered=True)
    return iso2.astype(dtype).rename(STATE_COLUMN), problems


def decode_frame(raw: pd.DataFrame, codebook: Codebook, where: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Decode every codebook variable present in ``raw``; other columns are kept as they are.

    Returns the decoded frame (with a ``state`` column when the codebook has a state
    variable) and every problem found. Variables of the codebook that the file lacks
    are reported by :func:`missing_variables`, not here.
    """
    columns: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for name in raw.columns:
        variable = codebook.variables.get(name)
        if variable is None:
            columns[name] = raw[name]
            continue
        columns[name], found = decode_variable(raw[name], variable, where)
        problems.extend(found)
    state_var = codebook.state_variable
    if state_var and state_var in raw.columns and STATE_COLUMN not in raw.columns:
        columns[STATE_COLUMN], found = state_column(raw[state_var], codebook, where)
        problems.extend(found)
    return pd.DataFrame(columns, index=raw.index), problems


def missing_variables(frame: pd.DataFrame, codebook: Codebook, where: str) -> list[Problem]:
    """A problem for each codebook variable that the file lacks."""
    absent = [name for name in codebook.variables if name not in frame.columns]
    return [Problem("missing_variable", name, f"{where}: variable {name!r} of codebook {codebook.name!r} is not in the file") for name in absent]
