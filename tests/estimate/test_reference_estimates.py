"""The estimation engine against R ``survey`` (values in tests/reference/estimates.json, made by estimates.R).

Every estimate, SE, CI bound, df, n, weighted n and design effect must equal R's to 1e-8
relative. R is not needed to run these tests.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cbss_analysis import estimate, load_survey, paths
from cbss_analysis.survey import Survey
from cbss_analysis.survey.design import Design
from tests.conftest import REFERENCE

RESULTS = json.loads((REFERENCE / "estimates.json").read_text())
RTOL = 1e-8
COMPARED = ("estimate", "se", "ci_low", "ci_high", "n_weighted", "deff")


@cache
def reference_frame(name: str) -> pd.DataFrame:
    """A dataset exported by estimates.R, with R's factors as ordered-level Categoricals."""
    frame = pd.read_csv(REFERENCE / "data" / f"{name}.csv")
    for column, levels in RESULTS["factor_levels"].get(name, {}).items():
        frame[column] = pd.Categorical(frame[column], categories=levels)
    return frame


@cache
def embedded_survey() -> Survey:
    return load_survey()


def reference_survey(data: str, spec: dict) -> Survey:
    """The survey of a reference case; ``embedded`` is the shipped synthetic survey (R read the .sav)."""
    if data == "embedded":
        current = hashlib.md5(paths.embedded_survey().read_bytes()).hexdigest()
        assert current == RESULTS["embedded_md5"], (
            "the embedded survey changed since the R reference was made: run Rscript tests/reference/estimates.R"
        )
        return embedded_survey()
    design = Design(
        weight=spec["weight"], strata=spec.get("strata"), psu=spec.get("psu"), fpc=spec.get("fpc"),
        lonely_psu=spec.get("lonely_psu", "fail"), nest=bool(spec.get("nest", False)),
    )
    return Survey(reference_frame(data), design)


def run_case(case: dict, deff: bool | str = True) -> pd.DataFrame:
    survey = reference_survey(case["data"], case["design"])
    options = {"by": case["by"] or None, "level": case["level"], "min_n": 0, "deff": deff}
    if case["kind"] == "proportion":
        return estimate.proportion(survey, case["variables"], ci=case["ci"], **options)
    return getattr(estimate, case["kind"])(survey, case["variables"], **options)


def find_row(table: pd.DataFrame, row: dict) -> pd.Series:
    mask = table["variable"] == row["variable"]
    mask &= table["level"].isna() if row["level"] is None else table["level"] == row["level"]
    for column, value in row["by"].items():
        mask &= table[column].astype(str) == value
    assert mask.sum() == 1, row
    return table.loc[mask].iloc[0]


def assert_close(actual: float, expected: float | None, what: str, scale: float = 1.0) -> None:
    """Equal to 1e-8 relative; an exact zero in R (a stratum that is its own domain) allows rounding noise."""
    if expected is None:
        assert np.isnan(actual), f"{what}: expected NA, got {actual}"
    else:
        assert actual == pytest.approx(expected, rel=RTOL, abs=1e-14 * scale), what


@pytest.mark.parametrize("case", RESULTS["cases"], ids=[c["id"] for c in RESULTS["cases"]])
def test_matches_r(case: dict) -> None:
    table = run_case(case)
    wor = run_case(case, deff="wor")
    assert len(table) == len(case["rows"])
    for row in case["rows"]:
        got = find_row(table, row)
        what = f"{case['id']} {row['variable']} {row['level']} {row['by']}"
        assert got["n"] == row["n"], what
        if row["n"] == 0:
            assert np.isnan(got["estimate"]) and np.isnan(got["se"]), what
            continue
        assert got["df"] == row["df"], what
        scale = max(1.0, abs(row["estimate"]))
        compared = COMPARED
        if case["ci"] == "logit" and r_logit_level_rounds_to_one(case["level"], row["df"]):
            assert_exact_logit(got, row)
            compared = tuple(c for c in COMPARED if not c.startswith("ci_"))
        for column in compared:
            assert_close(got[column], row[column], f"{what} {column}", scale)
        assert_close(find_row(wor, row)["deff"], row["deff_wor"], f"{what} deff_wor")


def r_logit_level_rounds_to_one(level: float, df: int) -> bool:
    """``confint.svyglm`` turns the t level into a normal one, ``1 - 2 * pnorm(qt((1 - level) / 2, df))``;
    at df = 1 that rounds to exactly 1 (pnorm is about 3e-37) and R's interval becomes (0, 1)."""
    return 1.0 - 2.0 * stats.norm.cdf(stats.t.ppf((1.0 - level) / 2.0, df)) == 1.0


def assert_exact_logit(got: pd.Series, row: dict) -> None:
    """Where R's logit interval degenerates to (0, 1), the exact t interval is expected instead."""
    p, se = row["estimate"], row["se"]
    t = stats.t.ppf(0.975, row["df"])
    half = t * se / (p * (1 - p))
    centre = np.log(p / (1 - p))
    assert got["ci_low"] == pytest.approx(1 / (1 + np.exp(-(centre - half))), rel=RTOL)
    assert got["ci_high"] == pytest.approx(1 / (1 + np.exp(-(centre + half))), rel=RTOL)


CONTRASTS = [(c, k) for c in RESULTS["contrasts"] for k in c["contrasts"]]


@pytest.mark.parametrize("contrast_set,contrast", CONTRASTS, ids=[f"{c['id']}-{k['name']}" for c, k in CONTRASTS])
def test_compare_matches_svycontrast(contrast_set: dict, contrast: dict) -> None:
    survey = reference_survey(contrast_set["data"], contrast_set["design"])
    kind = {"mean": estimate.mean, "total": estimate.total}[contrast_set["kind"]]
    table = kind(survey, contrast_set["variable"], by=contrast_set["by"], min_n=0)
    weights = contrast["weights"]
    target, others = _as_comparison(weights)
    if contrast["name"].endswith("_vs_weighted_3_1_1"):
        population = {"E": 3.0, "H": 1.0, "M": 1.0}
        result = estimate.compare(table, reference="regional_weighted", by=contrast_set["by"], population=population)
    else:
        result = estimate.compare(table, reference=others, by=contrast_set["by"])
    got = result.loc[result[contrast_set["by"]].astype(str) == target].iloc[0]
    assert got["difference"] == pytest.approx(contrast["estimate"], rel=RTOL)
    assert got["se"] == pytest.approx(contrast["se"], rel=RTOL)


def _as_comparison(weights: dict) -> tuple[str, str]:
    """Read an R contrast as (domain, reference): pairwise 'a - b' or 'a - (weighted) mean of all'."""
    positive = [k for k, v in weights.items() if v > 0]
    negative = [k for k, v in weights.items() if v < 0]
    if len(negative) == 1 and weights[positive[0]] == 1:
        return positive[0], negative[0]
    return positive[0], "regional"


def test_covariance_matters_on_apiclus1() -> None:
    """The design doc's figure: E minus H has SE 30.03 with the covariance and 44.11 without; compare gives the former."""
    contrast_set = next(c for c in RESULTS["contrasts"] if c["id"] == "apiclus1_api00_stype")
    e_minus_h = next(k for k in contrast_set["contrasts"] if k["name"] == "E_minus_H")
    assert e_minus_h["se"] == pytest.approx(30.03, abs=0.005)
    assert e_minus_h["se_without_covariance"] == pytest.approx(44.11, abs=0.005)
    survey = reference_survey(contrast_set["data"], contrast_set["design"])
    table = estimate.mean(survey, "api00", by="stype", min_n=0).set_index("stype")
    result = estimate.compare(table.reset_index(), reference="H", by="stype").set_index("stype")
    assert result.loc["E", "se"] == pytest.approx(e_minus_h["se"], rel=RTOL)
    assert result.loc["E", "se"] == pytest.approx(30.03, abs=0.005)
    independent = np.hypot(table.loc["E", "se"], table.loc["H", "se"])
    assert independent == pytest.approx(e_minus_h["se_without_covariance"], rel=RTOL)
    assert result.loc["E", "se"] < independent - 14, "the positive covariance between the domains is used"
