"""Replicate-weight designs against R ``survey`` 4.1 (tests/reference/replicates.json, made by replicates.R).

Every case of ``replicate_designs`` runs: svymean, svytotal, svyciprop (logit, mean, beta),
svyratio and svyby (mean, total with ``covmat = TRUE``, svyciprop per domain) on designs built
with ``svrepdesign`` (here :class:`ReplicateDesign`) and ``as.svrepdesign`` (here
:meth:`Survey.to_replicate`; the random bootstrap draws come from the R file instead).
Estimates and SEs to 1e-8 relative, intervals to 1e-6, degf exactly; then svyquantile,
svyglm and svychisq on the same designs.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import estimate
from cbss_analysis.survey import Survey
from tests.replicate_reference import (
    CI_RTOL,
    OBSERVED,
    REFERENCE,
    REPLICATES,
    RTOL,
    build,
    calibrated,
    close,
    design_case,
    reference_data,
    repweights,
    taylor,
)


def design_cases() -> list:
    return [pytest.param(case, id=case["id"]) for case in REPLICATES["replicate_designs"]]


@pytest.mark.parametrize("case", design_cases())
def test_design_constants(case: dict) -> None:
    survey = build(case)
    spec = case["design"]
    rep = survey.replicates
    close(rep.scale, spec["scale"], "scale")
    close(rep.rscales, spec["rscales"], "rscales")
    assert survey.degrees_of_freedom == case["results"]["degf"]
    assert len(survey) == case["results"]["n"]
    if spec["made_by"] == "as.svrepdesign" and spec["type"] not in ("bootstrap", "subbootstrap"):
        expected = repweights(spec["repweights_file"]).to_numpy() * survey.replicates.weight[:, None]
        close(rep.replicates, expected, "replicate weights")


@pytest.mark.parametrize("case", design_cases())
def test_mean_total(case: dict) -> None:
    survey = build(case)
    results = case["results"]
    for kind, verb in (("mean", estimate.mean), ("total", estimate.total)):
        ref = results[kind]
        table = verb(survey, ref["terms"], min_n=0)
        close(table["estimate"], ref["estimate"], f"{kind} estimate")
        close(table["se"], ref["se"], f"{kind} se")
        close(estimate.contrast(table, np.eye(len(ref["terms"])))["se"], ref["se"], f"{kind} contrast se")
        assert (table["df"] == results["degf"]).all()


def _check_proportion(table: pd.DataFrame, survey: Survey, ref: dict, by: str | None, what: str) -> None:
    close(table["estimate"], ref["estimate"], f"{what} estimate")
    close(table["se"], ref["se"], f"{what} se")
    assert int(table["df"].iloc[0]) == ref["df"], what
    assert survey.calibration is not None or int(table["n"].iloc[0]) == ref["n"], what  # R: nrow() of the calibrated design
    for method, ci in (("logit", "ci_logit"), ("wald", "ci_mean"), ("beta", "ci_beta")):
        got = estimate.proportion(survey, ref["variable"], by=by, ci=method, min_n=0)
        if by is not None:
            got = got[got[by].astype(str) == table[by].astype(str).iloc[0]]
        close(got["ci_low"], ref[ci]["low"], f"{what} {ci} low", CI_RTOL)
        close(got["ci_high"], ref[ci]["high"], f"{what} {ci} high", CI_RTOL)


@pytest.mark.parametrize("case", design_cases())
def test_proportion(case: dict) -> None:
    survey = build(case)
    ref = case["results"]["proportion"]
    _check_proportion(estimate.proportion(survey, ref["variable"], min_n=0), survey, ref, None, "proportion")


@pytest.mark.parametrize("case", design_cases())
def test_ratio(case: dict) -> None:
    survey = build(case)
    ref = case["results"]["ratio"]
    table = estimate.ratio(survey, ref["numerator"], ref["denominator"], min_n=0)
    close(table["estimate"], ref["estimate"], "ratio estimate")
    close(table["se"], ref["se"], "ratio se")


@pytest.mark.parametrize("case", design_cases())
def test_by(case: dict) -> None:
    survey = build(case)
    ref = case["results"]["by"]
    by = ref["by"]
    for kind, verb in (("mean", estimate.mean), ("total", estimate.total)):
        r = ref[kind]
        table = verb(survey, r["variable"], by=by, min_n=0)
        assert list(table[by].astype(str)) == [str(v) for v in r["levels"]]
        close(table["estimate"], r["estimate"], f"by {kind} estimate")
        close(table["se"], r["se"], f"by {kind} se")
        domains = {str(d["level"]): d for d in ref["domains"]}
        for _, row in table.iterrows():
            domain = domains[str(row[by])]
            assert row["df"] == domain["degf"], f"by {kind} df {row[by]}"
            assert row["n"] == domain["n"]
            close(row["n_weighted"], domain["sum_weights"], "sum of weights")
        if r.get("vcov") is not None and np.isfinite(np.asarray(r["vcov"], dtype=float)).all():
            covariance = estimate.contrast(table, np.eye(len(table)))["se"] ** 2
            close(covariance, np.diag(np.asarray(r["vcov"], dtype=float)), f"by {kind} covmat diagonal")
    if not ref.get("proportion"):
        return
    table = estimate.proportion(survey, ref["proportion"][0]["variable"], by=by, min_n=0)
    for domain in ref["proportion"]:
        row = table[table[by].astype(str) == str(domain["level"])]
        _check_proportion(row, survey, domain, by, f"by proportion {domain['level']}")


def test_max_relative_error_recorded() -> None:
    """The largest relative error seen (printed with -s), for the record in the report."""
    print(f"max relative error vs R (estimates, SEs): {OBSERVED['max']:.3g}")


# --- calibration: R calibrate(), postStratify(), rake() on Taylor and replicate designs -------------


def calibration_cases() -> list:
    return [pytest.param(case, id=case["id"]) for case in REPLICATES["calibration"]]


def replicate_calibration_cases() -> list:
    return [pytest.param(case, id=case["id"]) for case in REPLICATES["replicate_calibration"]]


def _check_results(survey: Survey, results: dict) -> None:
    assert survey.degrees_of_freedom == results["degf"]
    close(survey.design_arrays().weight.sum(), results["sum_weights"], "sum of weights")
    for kind, verb in (("mean", estimate.mean), ("total", estimate.total)):
        ref = results[kind]
        table = verb(survey, ref["terms"], min_n=0)
        close(table["estimate"], ref["estimate"], f"{kind} estimate")
        close(table["se"], ref["se"], f"{kind} se")
    ref = results["proportion"]
    _check_proportion(estimate.proportion(survey, ref["variable"], min_n=0), survey, ref, None, "proportion")
    ref = results["ratio"]
    table = estimate.ratio(survey, ref["numerator"], ref["denominator"], min_n=0)
    close(table["estimate"], ref["estimate"], "ratio estimate")
    close(table["se"], ref["se"], "ratio se")
    ref = results["by"]
    by = ref["by"]
    for kind, verb in (("mean", estimate.mean), ("total", estimate.total)):
        r = ref[kind]
        table = verb(survey, r["variable"], by=by, min_n=0)
        close(table["estimate"], r["estimate"], f"by {kind} estimate")
        close(table["se"], r["se"], f"by {kind} se")
        domains = {str(d["level"]): d for d in ref["domains"]}
        assert [int(d) for d in table["df"]] == [domains[str(v)]["degf"] for v in table[by]], f"by {kind} df"
    if ref.get("proportion"):
        table = estimate.proportion(survey, ref["proportion"][0]["variable"], by=by, min_n=0)
        for domain in ref["proportion"]:
            row = table[table[by].astype(str) == str(domain["level"])]
            _check_proportion(row, survey, domain, by, f"by proportion {domain['level']}")


@pytest.mark.parametrize("case", calibration_cases())
def test_taylor_calibration(case: dict) -> None:
    survey = calibrated(case, taylor(case["design"], reference_data(case["data"])))
    weights = pd.read_csv(REFERENCE / "data" / case["weights_file"])
    close(survey.design_arrays().weight, weights[case["weights_column"]].to_numpy(), "calibrated weights")
    _check_results(survey, case["results"])


@pytest.mark.parametrize("case", replicate_calibration_cases())
def test_replicate_calibration(case: dict) -> None:
    base = next(c for c in REPLICATES["replicate_designs"] if c["id"] == case["base_design_id"])
    survey = calibrated(case, build(base))
    weights = pd.read_csv(REFERENCE / "data" / case["weights_file"])
    close(survey.replicates.weight, weights["w"].to_numpy(), "calibrated weights")
    close(survey.replicates.replicates, weights[[f"r{i + 1}" for i in range(survey.replicates.count)]].to_numpy(), "replicate weights")
    _check_results(survey, case["results"])


# --- withReplicates: ratios and differences of domain means ----------------------------------------


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in REPLICATES["with_replicates"]])
def test_with_replicates(case: dict) -> None:
    survey = build(design_case(case["design_id"]))
    if case["id"].startswith("mean_difference"):
        table = estimate.mean(survey, "api00", by="stype", min_n=0)
        result = estimate.contrast(table, {"E - M": (table["stype"].astype(str) == "E").astype(float) - (table["stype"].astype(str) == "M")})
    else:
        numerator, denominator = case["equals"].removeprefix("svyratio(~").split(",")[:2]
        result = estimate.ratio(survey, numerator.strip(), denominator.strip().removeprefix("~"), min_n=0)
    close(result["estimate"], case["estimate"], "estimate")
    close(result["se"], case["se"], "se")


# --- quantiles, GLMs and tests of association on replicate designs --------------------------------


def _r_argument(call: str, name: str, default: str) -> str:
    """The value of ``name = 'value'`` (or ``name = value``) in an R call, else ``default``."""
    match = re.search(rf"{re.escape(name)} = '?([^',)]+)'?", call)
    return match.group(1) if match else default


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in REPLICATES["quantiles"]])
def test_quantile(case: dict) -> None:
    survey = build(design_case(case["design_id"]))
    call = case["r_call"]
    interval = "replicates" if _r_argument(call, "interval.type", "mean") == "quantile" else "woodruff"
    table = estimate.quantile(
        survey, case["variable"], q=case["quantiles"], min_n=0, qrule=_r_argument(call, "qrule", "math"),
        interval=interval, level=1.0 - float(_r_argument(call, "alpha", "0.05")),
    )
    close(table["estimate"], case["estimate"], "quantile")
    close(table["se"], case["se"], "quantile se")
    close(table["ci_low"], case["ci_low"], "quantile ci low")
    close(table["ci_high"], case["ci_high"], "quantile ci high")
    assert (table["df"] == case["df"]).all()


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in REPLICATES["glm"]])
def test_glm(case: dict) -> None:
    from cbss_analysis import models

    survey = build(design_case(case["design_id"]))
    verb = models.linear if case["family"] == "gaussian" else models.logistic
    table = verb(survey, case["formula_r"], min_n=0)
    close(table["estimate"], case["coef"], "coefficients")
    close(table["se"], case["se"], "se")
    close(table["p_value"], case["p_value"], "p-values")
    close(table["ci_low"], case["ci_low"], "ci low")
    close(table["ci_high"], case["ci_high"], "ci high")
    assert (table["df"] == case["df"]).all()
    assert (table["n"] == case["n"]).all()
    fit = table.attrs["fits"].fits.fits[0]
    close(fit.covariance, case["vcov"], "vcov")


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in REPLICATES["chisq"]])
def test_chisq(case: dict) -> None:
    survey = build(design_case(case["design_id"]))
    row, col = (v.strip() for v in case["formula"].lstrip("~").split("+"))
    for statistic, ref in case["tests"].items():
        assert "error" not in ref, ref
        table = estimate.chisq(survey, row, col, statistic=statistic)
        close(table["value"], ref["statistic"], f"{statistic} statistic")
        # R finds the saddlepoint with uniroot(tol = 1e-8): its p-value to 1e-6, as the Taylor test's
        close(table["p_value"], ref["p_value"], f"{statistic} p-value", CI_RTOL if statistic == "saddlepoint" else RTOL)
        parameter = ref["parameter"] if isinstance(ref["parameter"], dict) else {}
        if "ndf" in parameter:
            close(table["ndf"], parameter["ndf"], f"{statistic} ndf")
            close(table["ddf"], parameter["ddf"], f"{statistic} ddf")
        elif "df" in parameter:
            close(table["ndf"], parameter["df"], f"{statistic} df")
        if statistic in ("Chisq", "saddlepoint"):
            close(table["value"], case["pearson_x2"], "Pearson X2")
