"""Decode stored survey codes through a codebook.

Labelled variables (categorical, ordinal, binary) become pandas categoricals of their
value labels, in code order (ordered for ordinal variables); missing codes become NA;
numeric variables become float with their valid range checked; text (character) variables
keep their string codes, stripped of padding, as an unordered categorical; the HBSC country code
becomes a ``state`` column of ISO2 codes. Every code that the codebook does not know is
collected as a :class:`Problem` so that ``cbss-analysis validate`` can list them all.

Columns are checked whatever their storage: a Parquet dictionary (categorical) column is read
through its categories (value labels or codes, each checked against the codebook), a boolean
column as codes 0 and 1 (and refused as a weight), and infinite values of a numeric variable are
a problem. A labelled variable with more than :data:`~cbss_analysis.common.checks.MAX_LEVELS`
categories is refused rather than expanded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis import states
from cbss_analysis.common.checks import MAX_LEVELS
from cbss_analysis.common.text import snippet
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
    if _is_boolean(column):
        values = pd.array(column.to_numpy(), dtype="boolean").to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(values, index=column.index, name=column.name)
    converted = pd.to_numeric(column, errors="coerce")
    if (converted.isna() & column.notna()).any():
        return None
    return converted.astype("float64")


def _is_boolean(column: pd.Series) -> bool:
    """True/false values: a bool column, or object values that are all booleans (Parquet booleans with nulls)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return True
    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "boolean"


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
            shown = ", ".join(f"{snippet(code, 40)} ({count} rows)" for code, count in counts.head(5).items())
            more = f" and {len(counts) - 5} more codes" if len(counts) > 5 else ""
            problems.append(Problem(
                "unknown_code", variable.name,
                f"{where}: text variable {snippet(variable.name)} has code(s) not in the codebook: {shown}{more}",
            ))
            text = text.mask(unknown)
    else:
        categories = sorted(text.dropna().unique())
    decoded = pd.Categorical(text.astype(object).where(text.notna(), None), categories=categories, ordered=False)
    return pd.Series(decoded, index=column.index, name=variable.name), problems


def _category_codes(column: pd.Series, variable: Variable | None) -> tuple[pd.Series, list[tuple[object, int]]]:
    """Float codes of a categorical (Parquet dictionary) column, through its categories.

    A category is a value label of the codebook (mapped to its code) or a number (the code itself);
    anything else is returned with its row count, and its rows become NA.
    """
    label_to_code = {label: float(code) for code, label in variable.values.items()} if variable is not None else {}
    lookup = []
    for category in column.cat.categories:
        if isinstance(category, str) and category in label_to_code:
            lookup.append(label_to_code[category])
            continue
        if isinstance(category, bool | np.bool_):
            lookup.append(float(category))
            continue
        try:
            lookup.append(float(category))
        except (TypeError, ValueError):
            lookup.append(None)
    positions = column.cat.codes.to_numpy()
    counts = np.bincount(positions[positions >= 0], minlength=len(lookup))
    unknown = [(category, int(counts[i])) for i, category in enumerate(column.cat.categories) if lookup[i] is None and counts[i]]
    table = np.array([np.nan if code is None else code for code in lookup] + [np.nan], dtype=np.float64)
    codes = table[np.where(positions < 0, len(lookup), positions)]
    return pd.Series(codes, index=column.index, name=column.name), unknown


def decode_variable(column: pd.Series, variable: Variable, where: str) -> tuple[pd.Series, list[Problem]]:
    """Decode one column; return the decoded column and the problems found."""
    name = snippet(variable.name)
    problems: list[Problem] = []
    if variable.is_labelled and len(variable.values) > MAX_LEVELS:
        return (pd.Series(np.nan, index=column.index, name=variable.name),
                [Problem("too_many_levels", variable.name, f"{where}: variable {name} has {len(variable.values):,} value "
                                                           f"labels; at most {MAX_LEVELS:,} are allowed")])
    boolean = _is_boolean(pd.Series(column.cat.categories)) if isinstance(column.dtype, pd.CategoricalDtype) else _is_boolean(column)
    if variable.type == "weight" and boolean:
        return column, [Problem("not_numeric", variable.name,
                                f"{where}: weight {name} holds true/false values; weights must be positive numbers")]
    if isinstance(column.dtype, pd.CategoricalDtype):
        if variable.is_text:
            return decode_text(column, variable, where)
        labels = list(variable.values.values())
        if variable.is_labelled and list(column.cat.categories) == labels and column.cat.ordered == (variable.type == "ordinal"):
            return column, []
        if variable.is_labelled and len(column.cat.categories) > MAX_LEVELS:
            return (pd.Series(np.nan, index=column.index, name=variable.name),
                    [Problem("too_many_levels", variable.name, f"{where}: variable {name} has {len(column.cat.categories):,} "
                                                               f"categories in the file; at most {MAX_LEVELS:,} are allowed")])
        numeric, unknown = _category_codes(column, variable)
        if unknown and not variable.is_labelled:
            return column, [Problem("not_numeric", variable.name,
                                    f"{where}: variable {name} holds non-numeric value {snippet(str(unknown[0][0]), 40)}")]
        if unknown:
            shown = ", ".join(f"{snippet(value, 40)} ({count} rows)" for value, count in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            problems.append(Problem("unknown_code", variable.name,
                                    f"{where}: variable {name} has value(s) not in the codebook: {shown}{more}"))
    elif variable.is_text:
        return decode_text(column, variable, where)
    else:
        numeric = _numeric(column)
        if numeric is None:
            example = column[pd.to_numeric(column, errors="coerce").isna() & column.notna()].iloc[0]
            return column, [Problem("not_numeric", variable.name, f"{where}: variable {name} holds non-numeric value {snippet(str(example), 40)}")]
    if variable.missing:
        numeric = numeric.mask(numeric.isin(variable.missing))
    if variable.is_labelled:
        ordered = sorted(variable.values.items())  # searchsorted needs codes in order, whoever built the Variable
        codes = np.array([code for code, _ in ordered], dtype=np.float64)
        unknown = numeric.notna() & ~numeric.isin(codes)
        if unknown.any():
            problems.append(Problem(
                "unknown_code", variable.name,
                f"{where}: variable {name} has code(s) not in the codebook: {_describe(numeric[unknown])}",
            ))
            numeric = numeric.mask(unknown)
        positions = np.searchsorted(codes, numeric.to_numpy())
        positions = np.where(numeric.isna().to_numpy(), -1, positions)
        categorical = pd.Categorical.from_codes(
            positions, categories=[label for _, label in ordered], ordered=variable.type == "ordinal", validate=False
        )
        return pd.Series(categorical, index=column.index, name=variable.name), problems
    if variable.type == "numeric":
        infinite = np.isinf(numeric.to_numpy())
        if infinite.any():
            problems.append(Problem("not_finite", variable.name,
                                    f"{where}: variable {name} is infinite in {int(infinite.sum())} row(s); values must be finite numbers"))
            numeric = numeric.mask(infinite)
    if variable.range is not None:
        low, high = variable.range
        outside = numeric.notna() & ((numeric < low) | (numeric > high))
        if outside.any():
            problems.append(Problem(
                "out_of_range", variable.name,
                f"{where}: variable {name} is outside its range [{low:g}, {high:g}]: {_describe(numeric[outside])}",
            ))
            numeric = numeric.mask(outside)
    return numeric.rename(variable.name), problems


def state_column(column: pd.Series, codebook: Codebook, where: str) -> tuple[pd.Series, list[Problem]]:
    """ISO2 state codes (categorical in display order) from the HBSC ``countryno`` codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        numeric, _ = _category_codes(column, codebook.variables.get(codebook.state_variable))
    else:
        numeric = _numeric(column)
    if numeric is None:
        return pd.Series(pd.NA, index=column.index), [Problem("not_numeric", str(column.name), f"{where}: state variable {snippet(column.name)} is not numeric")]
    iso2 = numeric.map(states.iso2_from_countryno())
    problems = []
    if numeric.isna().any():
        problems.append(Problem("missing_state", str(column.name), f"{where}: state variable {snippet(column.name)} is missing in {int(numeric.isna().sum())} row(s)"))
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
    return [Problem("missing_variable", name, f"{where}: variable {snippet(name)} of codebook {snippet(codebook.name)} is not in the file")
            for name in absent]
