"""The R reference of the survey verbs (tests/reference/verbs.json, made by verbs.R): cases, data, designs.

A helper for the reference tests (not a conftest): loads the JSON once, reads each case's CSV
with R's factor levels restored, and builds the design from the case's neutral spec.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

from cbss_analysis.survey import Survey
from cbss_analysis.survey.design import Design

REFERENCE = Path(__file__).resolve().parent / "reference"
VERBS = json.loads((REFERENCE / "verbs.json").read_text(encoding="utf-8"))


def cases(section: str) -> list[dict]:
    """Every case of one section of verbs.json."""
    return [case for case in VERBS["cases"] if case["section"] == section]


@cache
def frame(data: str) -> pd.DataFrame:
    """A CSV exported by verbs.R, with R's factors as Categoricals in R's level order (api_cat ordered)."""
    table = pd.read_csv(REFERENCE / "data" / data)
    name = data.removeprefix("verbs_").removesuffix(".csv")
    for column, levels in VERBS["factor_levels"][name].items():
        table[column] = pd.Categorical(table[column], categories=levels, ordered=column in VERBS["ordered_factors"])
    return table


def survey(case: dict) -> Survey:
    """The case's survey, with its full design (a two-stage spec gives R's multistage variance)."""
    spec = case["design"]
    psu, fpc = tuple(spec["psu"]), tuple(spec["fpc"])
    if spec.get("ultimate_cluster"):
        psu, fpc = psu[:1], fpc[:1]
    design = Design(weight=spec["weight"], strata=spec["strata"], psu=psu or None, fpc=fpc or None,
                    nest=bool(spec["nest"]), lonely_psu=spec["lonely_psu"])
    return Survey(frame(case["data"]), design)
