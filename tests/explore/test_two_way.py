"""Two-way tables never crash: any by columns, categorical variables, keys across; a clear error for what cannot be shown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate
from cbss_analysis.errors import TableError
from cbss_analysis.tables import MAX_WIDE_COLUMNS, format_crosstab, format_wide


def test_state_by_age_puts_the_age_groups_in_rows(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by=["state", "agecat"], min_n=10)
    wide = format_wide(table).frame
    assert wide.columns.tolist() == ["indicator", "agecat", "Finland", "Estonia"]
    assert wide["agecat"].tolist() == ["11-year-olds", "13-year-olds", "15-year-olds"]
    assert wide["indicator"].unique().tolist() == ["Cyberbullied at least once"]  # labels from the table


def test_a_categorical_variable_shows_its_categories(small_survey):
    table = estimate.proportion(small_survey, ["cbeenbullied", "cyberbullied"], by="state", min_n=10)
    wide = format_wide(table).frame
    assert wide.columns.tolist() == ["indicator", "category", "Finland", "Estonia"]
    assert len(wide) == 5 + 1
    assert wide.loc[wide["indicator"] == "Cyberbullied at least once", "category"].tolist() == [""]


def test_crosstab_of_categories_by_state_with_intervals(small_survey):
    table = estimate.proportion(small_survey, "agecat", by="state", min_n=10)
    cross = format_crosstab(table)
    assert cross.frame.columns.tolist() == ["indicator", "state", "11-year-olds", "13-year-olds", "15-year-olds"]
    assert cross.frame["state"].tolist() == ["Finland", "Estonia"]
    assert all("\u2013" in cell for cell in cross.frame.iloc[:, 2:].to_numpy().ravel())
    assert "by category" in cross.caption and "confidence intervals" in cross.caption


def test_any_key_and_several_keys_across(small_survey):
    table = estimate.proportion(small_survey, ["cyberbullied", "smd_two"], by=["state", "sex"], min_n=10)
    by_sex = format_crosstab(table, columns="sex").frame
    assert by_sex.columns.tolist() == ["indicator", "state", "Boy", "Girl"]
    both = format_wide(table, column=["state", "sex"]).frame
    assert both.columns.tolist() == ["indicator", "Finland, Boy", "Finland, Girl", "Estonia, Boy", "Estonia, Girl"]
    indicators_across = format_wide(table, column="variable").frame
    assert indicators_across.columns.tolist() == ["state", "sex", "Cyberbullied at least once", "Two or more SMD items"]


def test_suppressed_and_missing_cells(small_survey):
    table = estimate.proportion(small_survey, "ever_had_sex", by=["state", "agecat"], min_n=30)
    wide = format_wide(table)
    assert set(wide.frame.iloc[:, 2:].to_numpy().ravel()) <= {"supp.", ""} | {
        c for c in wide.frame.iloc[:, 2:].to_numpy().ravel() if c.replace(".", "").isdigit()}
    assert "supp." in wide.frame.to_numpy()
    assert "suppressed" in format_crosstab(table, columns="state").frame.to_numpy()


def test_what_cannot_be_shown_is_one_clear_line(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by=["state", "agecat"], min_n=10)
    with pytest.raises(TableError, match=r"column='stat' is not a key of the table; did you mean 'state'\? \(its keys: variable, state, agecat\)"):
        format_wide(table, column="stat")
    with pytest.raises(TableError, match="no column 'estimate'"):
        format_wide(pd.DataFrame({"variable": ["x"]}))
    many = pd.DataFrame({"variable": "x", "level": pd.NA, "group": [f"g{i}" for i in range(MAX_WIDE_COLUMNS + 1)],
                         "estimate": 0.5, "ci_low": 0.4, "ci_high": 0.6, "n": 100, "suppressed": False})
    with pytest.raises(TableError, match=f"has {MAX_WIDE_COLUMNS + 1} groups; at most {MAX_WIDE_COLUMNS} columns"):
        format_wide(many, column="group")
    assert format_wide(many, column="variable").frame.shape == (MAX_WIDE_COLUMNS + 1, 2)


def test_every_combination_of_breakdowns_and_variables(small_survey):
    variables = ["cyberbullied", "cbeenbullied", "smd_mean", "sex"]
    for by in ([], ["state"], ["sex"], ["state", "agecat"], ["agecat", "sex"], ["state", "sex", "agecat"]):
        for kind in ("proportion", "mean"):
            table = getattr(estimate, kind)(small_survey, variables if kind == "mean" else variables[:2] + variables[3:],
                                            by=by or None, min_n=10)
            keys = ["variable", "level", *by]
            for key in keys:
                for shown in (format_wide(table, column=key), format_crosstab(table, columns=key)):
                    assert len(shown.frame) >= 1
                    assert shown._repr_html_().startswith("<div")
            if len(by) >= 2:
                format_wide(table, column=by[:2])
    assert np.isfinite(estimate.mean(small_survey, "smd_mean")["estimate"]).all()


def test_escapes_labels(small_survey):
    table = estimate.proportion(small_survey, "cyberbullied", by="state", min_n=10)
    html = format_wide(table, labels={"cyberbullied": "<b>bold</b>"})._repr_html_()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
