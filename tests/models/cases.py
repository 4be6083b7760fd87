"""The R svyglm reference cases of tests/reference/models.json (made by models.R) and how to fit them."""

from __future__ import annotations

import json
import re

import pandas as pd

from cbss_analysis import models
from cbss_analysis.survey import Survey, design_from_codebook
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.design import Design
from tests.conftest import REFERENCE

ALL_CASES = json.loads((REFERENCE / "models.json").read_text(encoding="utf-8"))["models"]
CASES = [c for c in ALL_CASES if "codebook" not in c["design"]]
SYNTHETIC_CASES = [c for c in ALL_CASES if "codebook" in c["design"]]
RTOL = 1e-8


def survey_of(case: dict) -> Survey:
    frame = pd.read_csv(REFERENCE / "data" / case["data"], dtype={"cds": str, "stype": str})
    spec = case["design"]
    if "codebook" in spec:
        codebook = load_codebook(spec["codebook"])
        return Survey(frame, design_from_codebook(codebook), codebook)
    design = Design(weight=spec["weight"], strata=spec["strata"], psu=spec["psu"], fpc=spec["fpc"], lonely_psu=spec["lonely_psu"])
    return Survey(frame, design)


def r_term(term: str) -> str:
    """formulaic's ``C(stype)[T.H]`` / ``Intercept`` as R's ``stypeH`` / ``(Intercept)``."""
    if term == "Intercept":
        return "(Intercept)"
    return re.sub(r"^(?:C\()?(\w+)\)?\[T\.(.+)\]$", r"\1\2", term)


def fit(case: dict) -> pd.DataFrame:
    function = models.logistic if case["family"] == "quasibinomial" else models.linear
    survey = survey_of(case)
    if case["domain"] is None:
        return function(survey, case["formula_py"])
    variable, value = case["domain"]["variable"], case["domain"]["value"]
    table = function(survey, case["formula_py"], by=variable)
    return table[table[variable] == value]
