"""Character variables (``type: text``) and the codebook's lonely-PSU rule (``design.lonely_psu``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate
from cbss_analysis.errors import CodebookError, DesignError, EstimationError
from cbss_analysis.survey import Survey, design_from_codebook
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.decoding import decode_variable

HEADER = "codebook: t\nstate_variable: countryno\n"
DESIGN = "design: {weight: weight, strata: [countryno, stratum], psu: cluster, nest: true}\n"
VARIABLES = """variables:
  - {name: countryno, label: Country, type: design}
  - {name: stratum, label: Stratum, type: design}
  - {name: cluster, label: Class, type: design}
  - {name: weight, label: Weight, type: weight}
  - {name: region, label: HBSC region, type: text, values: {"EE": Estonia, "NO": Norway, "01": Zero one}, missing: ["ZZ"]}
  - {name: sex, label: Sex, type: categorical, values: {1: Boy, 2: Girl}}
"""
INDICATORS = "indicators:\n  - {id: girl, label: Girl, variables: [sex], rule: {in: [2]}}\n"


def _codebook(tmp_path, design: str = DESIGN, variables: str = VARIABLES, indicators: str = INDICATORS):
    path = tmp_path / "t.yaml"
    path.write_text(HEADER + design + variables + indicators, encoding="utf-8")
    return load_codebook(path)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "countryno": [233000] * 4 + [578000] * 4,
        "stratum": [1, 1, 2, 2, 1, 1, 1, 1],
        "cluster": [1, 2, 3, 4, 5, 6, 7, 8],
        "weight": 1.0,
        "region": ["EE    ", "EE", "", "ZZ", "NO", " NO ", None, "01"],
        "sex": [1, 2, 1, 2, 1, 2, 1, 2],
    })


def test_a_text_variable_keeps_its_string_codes_in_the_order_written(tmp_path):
    region = _codebook(tmp_path).variable("region")
    assert region.is_text and not region.is_labelled
    assert list(region.values) == ["EE", "NO", "01"] and region.missing == ("ZZ",)
    unquoted = _codebook(tmp_path, variables=VARIABLES.replace('"NO": Norway', "NO: Norway")).variable("region")
    assert list(unquoted.values) == ["EE", "NO", "01"]  # the package's YAML reader keeps NO (Norway) a string


def test_decoding_strips_padding_and_makes_empty_and_missing_codes_na(tmp_path):
    codebook = _codebook(tmp_path)
    survey = Survey(_frame(), design_from_codebook(codebook), codebook)
    region = survey.data["region"]
    assert isinstance(region.dtype, pd.CategoricalDtype) and not region.cat.ordered
    assert list(region.cat.categories) == ["EE", "NO", "01"]
    assert region.tolist()[:2] == ["EE", "EE"] and region.tolist()[4:6] == ["NO", "NO"]
    assert region.isna().tolist() == [False, False, True, True, False, False, True, False]
    assert region.iloc[7] == "01"  # never converted to a number


def test_an_unknown_text_code_is_reported_and_becomes_na(tmp_path):
    variable = _codebook(tmp_path).variable("region")
    decoded, problems = decode_variable(pd.Series(["EE", "XX", "XX"]), variable, "f.sav")
    assert decoded.isna().tolist() == [False, True, True]
    assert [p.kind for p in problems] == ["unknown_code"]
    assert "'XX' (2 rows)" in problems[0].message and "f.sav" in problems[0].message


def test_a_text_variable_without_values_takes_the_codes_found(tmp_path):
    codebook = _codebook(tmp_path, variables=VARIABLES.replace(
        '{name: region, label: HBSC region, type: text, values: {"EE": Estonia, "NO": Norway, "01": Zero one}, missing: ["ZZ"]}',
        "{name: region, label: HBSC region, type: text}"))
    decoded, problems = decode_variable(pd.Series(["NO", "EE ", None]), codebook.variable("region"), "f")
    assert not problems and list(decoded.cat.categories) == ["EE", "NO"]


def test_survey_codes_refuses_a_text_variable_but_by_accepts_it(tmp_path):
    codebook = _codebook(tmp_path)
    survey = Survey(_frame(), design_from_codebook(codebook, lonely_psu="adjust"), codebook)
    with pytest.raises(EstimationError, match="'region' is a text variable"):
        survey.codes("region")
    table = estimate.proportion(survey, "girl", by="region", min_n=0)
    assert set(table["region"].astype(str)) == {"EE", "NO", "01"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"01": Zero one', "01: Zero one", "code 1 in 'values' of a text variable must be a string"),
        ('missing: ["ZZ"]', "missing: [99]", "code 99 in 'missing' of a text variable must be a string"),
        ('"EE": Estonia', '" EE": Estonia', "without surrounding spaces"),
        ('missing: ["ZZ"]', "range: [1, 2]", "a text variable cannot have 'range'"),
        ('missing: ["ZZ"]', "asked_of: {sex: [1]}", "a text variable cannot have 'asked_of'"),
        ('missing: ["ZZ"]', "reverse: true", "a text variable cannot have 'reverse'"),
        ('missing: ["ZZ"]', 'missing: ["EE"]', "both a value and a missing code"),
    ],
)
def test_bad_text_variables_are_refused(tmp_path, old, new, message):
    with pytest.raises(CodebookError, match=message):
        _codebook(tmp_path, variables=VARIABLES.replace(old, new))


@pytest.mark.parametrize(
    ("design", "variables", "indicators", "message"),
    [
        (DESIGN, VARIABLES, "indicators:\n  - {id: r, label: R, variables: [region], rule: {in: [1]}}\n",
         "indicator 'r' uses text variable 'region'"),
        (DESIGN, VARIABLES, "indicators:\n  - {id: r, label: R, variables: [sex], rule: {in: [1]}, population: {region: [1]}}\n",
         "indicator 'r' uses text variable 'region'"),
        (DESIGN, VARIABLES.replace("values: {1: Boy, 2: Girl}}", "values: {1: Boy, 2: Girl}, asked_of: {region: [1]}}"), INDICATORS,
         "asked_of text variable 'region'"),
        (DESIGN.replace("weight: weight", "weight: region"), VARIABLES, INDICATORS, "the weight 'region' is a text variable"),
        (DESIGN.replace("nest: true", "nest: true, fpc: region"), VARIABLES, INDICATORS, "the fpc 'region' is a text variable"),
    ],
)
def test_text_variables_cannot_carry_numeric_roles(tmp_path, design, variables, indicators, message):
    with pytest.raises(CodebookError, match=message):
        _codebook(tmp_path, design, variables, indicators)


def test_a_text_state_variable_is_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("codebook: t\nstate_variable: region\n" + DESIGN + VARIABLES + INDICATORS, encoding="utf-8")
    with pytest.raises(CodebookError, match="the state variable 'region' is a text variable"):
        load_codebook(path)


def test_a_text_stratum_works_in_the_design(tmp_path):
    codebook = _codebook(tmp_path, design=DESIGN.replace("[countryno, stratum]", "[region]"))
    frame = _frame().assign(region=["EE", "EE", "EE", "EE", "NO", "NO", "NO", "NO"])
    survey = Survey(frame, design_from_codebook(codebook), codebook)
    assert survey.design_arrays().n_strata == 2


def test_the_codebook_declares_the_lonely_psu_rule_and_the_caller_overrides_it(tmp_path):
    plain = _codebook(tmp_path)
    assert plain.design.lonely_psu is None and design_from_codebook(plain).lonely_psu == "fail"
    with pytest.raises(DesignError, match="only one PSU"):  # each 233000 stratum has one class
        Survey(_frame().assign(cluster=[1, 1, 2, 2, 3, 4, 5, 6]), design_from_codebook(plain), plain)
    declared = _codebook(tmp_path, design=DESIGN.replace("nest: true", "nest: true, lonely_psu: adjust"))
    assert declared.design.lonely_psu == "adjust"
    assert design_from_codebook(declared).lonely_psu == "adjust"
    assert design_from_codebook(declared, lonely_psu="remove").lonely_psu == "remove"
    survey = Survey(_frame().assign(cluster=[1, 1, 2, 2, 3, 4, 5, 6]), design_from_codebook(declared), declared)
    assert survey.design_arrays().lonely_psu == "adjust"
    assert np.array_equal(survey.design_arrays().n_psu, [1, 1, 4])


def test_an_unknown_lonely_psu_rule_is_refused(tmp_path):
    with pytest.raises(CodebookError, match="design.lonely_psu 'drop' is not one of fail, adjust"):
        _codebook(tmp_path, design=DESIGN.replace("nest: true", "nest: true, lonely_psu: drop"))
