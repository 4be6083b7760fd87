"""estimate.crosstab and estimate.chisq against R survey 4.1 (verbs.json sections crosstab and svychisq).

Estimates and SEs to 1e-8 relative, intervals and test statistics to 1e-6 (most agree to 1e-12).
The two-stage apiclus2 cases use the full multistage design (R's multistage variance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cbss_analysis import estimate
from cbss_analysis.errors import EstimationError
from tests.verbs_reference import VERBS, cases, survey

RTOL = 1e-8
CI_RTOL = 1e-6
CROSSTAB = cases("crosstab")
CHISQ = cases("svychisq")
STATISTICS = ("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")


def _params(section: list[dict], tested_on_multistage: bool = True) -> list:
    return [pytest.param(case, id=case["id"]) for case in section]


def _close(actual: float, expected: float | None, what: str, rtol: float = RTOL, scale: float = 1.0) -> None:
    """Relative agreement; R's null is NaN; an exact 0 in R allows rounding noise of the estimate's scale."""
    if expected is None:
        assert np.isnan(actual), f"{what}: expected NA, got {actual}"
    else:
        assert actual == pytest.approx(expected, rel=rtol, abs=1e-14 * scale), f"{what}: {actual!r} != {expected!r}"


def _domains(case: dict) -> list[dict]:
    result = case["result"]
    return result["domains"] if "domains" in result else [dict(result, level=None)]


def _crosstab(case: dict) -> pd.DataFrame:
    result = case["result"]
    return estimate.crosstab(survey(case), result["row_var"], result["col_var"], by=result.get("by"), min_n=0)


def _cell(table: pd.DataFrame, case: dict, domain: dict, row: str, col: str) -> pd.Series:
    result = case["result"]
    mask = (table[result["row_var"]] == row) & (table[result["col_var"]] == col)
    if domain["level"] is not None:
        mask &= table[result["by"]] == domain["level"]
    assert mask.sum() == 1
    return table.loc[mask].iloc[0]


@pytest.mark.parametrize("case", _params(CROSSTAB, tested_on_multistage=True))
def test_crosstab_counts_and_proportions_match_svytable_and_svymean(case: dict) -> None:
    """Point estimates: svytable / svytotal counts, svymean cell proportions, svyby row proportions; n and layout."""
    table = _crosstab(case)
    result = case["result"]
    levels = [d["level"] for d in _domains(case)]
    assert len(table) == len(levels) * len(result["row_levels"]) * len(result["col_levels"])
    assert list(table[result["row_var"]].cat.categories) == result["row_levels"]
    for domain in _domains(case):
        total = 0.0
        for cell in domain["cells"]:
            row = _cell(table, case, domain, cell["row"], cell["col"])
            _close(row["count"], cell["svytable"], f"{cell} count", scale=cell["svytable"] or 1.0)
            _close(row["count"], cell["total"]["estimate"], f"{cell} total")
            _close(row["proportion"], cell["proportion"]["estimate"], f"{cell} proportion")
            total += row["n"]
        assert total == domain["n"]
        for share in domain["row_proportions"]:
            row = _cell(table, case, domain, share["row"], share["col"])
            _close(row["row_proportion"], share["estimate"], f"{share} row proportion")
    assert not table["suppressed"].any()
    assert table.attrs["kind"] == "crosstab"
    assert table.attrs["by"] == ([result["by"]] if "by" in result else [])


@pytest.mark.parametrize("case", _params(CROSSTAB, tested_on_multistage=False))
def test_crosstab_ses_dfs_and_intervals_match_r(case: dict) -> None:
    """SEs (1e-8), df (exact) and intervals (1e-6): confint(df = degf) for counts, svyciprop logit for proportions."""
    table = _crosstab(case)
    for domain in _domains(case):
        for cell in domain["cells"]:
            row = _cell(table, case, domain, cell["row"], cell["col"])
            scale = max(cell["total"]["estimate"], 1.0)
            assert row["df"] == domain["df"]
            _close(row["count_se"], cell["total"]["se"], f"{cell} count se", scale=scale)
            _close(row["proportion_se"], cell["proportion"]["se"], f"{cell} proportion se")
            _close(row["count_ci_low"], cell["total"]["ci_low"], f"{cell} count ci", CI_RTOL, scale)
            _close(row["count_ci_high"], cell["total"]["ci_high"], f"{cell} count ci", CI_RTOL, scale)
            # R's Wald interval of the proportion, confint(svymean, df = degf(design)), from the table's se and df
            half = stats.t.ppf(0.975, row["df"]) * row["proportion_se"]
            _close(row["proportion"] - half, cell["proportion"]["ci_low"], f"{cell} proportion wald", CI_RTOL)
            _close(row["proportion"] + half, cell["proportion"]["ci_high"], f"{cell} proportion wald", CI_RTOL)
            logit = cell["proportion_logit"]
            if logit is None:  # R: no logit interval for a proportion of 0 or 1; here [p, p]
                assert row["proportion"] in (0.0, 1.0)
                assert row["proportion_ci_low"] == row["proportion_ci_high"] == row["proportion"]
            else:
                assert logit["df"] == row["df"]
                _close(row["proportion_ci_low"], logit["ci_low"], f"{cell} logit", CI_RTOL)
                _close(row["proportion_ci_high"], logit["ci_high"], f"{cell} logit", CI_RTOL)
        for share in domain["row_proportions"]:
            row = _cell(table, case, domain, share["row"], share["col"])
            assert row["row_df"] == share["df_domain"]
            _close(row["row_proportion_se"], share["se"], f"{share} row se")
            for suffix, df in (("", share["df_design"]), ("_domain_df", share["df_domain"])):
                half = stats.t.ppf(0.975, df) * row["row_proportion_se"]
                _close(row["row_proportion"] - half, share[f"ci_low{suffix}"], f"{share} wald{suffix}", CI_RTOL)
                _close(row["row_proportion"] + half, share[f"ci_high{suffix}"], f"{share} wald{suffix}", CI_RTOL)
            logit = share["logit"]
            if logit is None:
                assert row["row_proportion"] == pytest.approx(0.0, abs=1e-14) or row["row_proportion"] == pytest.approx(1.0)
            else:
                assert logit["df"] == row["row_df"]
                _close(row["row_proportion_ci_low"], logit["ci_low"], f"{share} row logit", CI_RTOL)
                _close(row["row_proportion_ci_high"], logit["ci_high"], f"{share} row logit", CI_RTOL)


def _chisq_rows(case: dict, statistic: str) -> list[tuple[pd.Series, dict]]:
    result = case["result"]
    table = estimate.chisq(survey(case), result["row_var"], result["col_var"], by=result.get("by"), statistic=statistic)
    assert list(table.columns) == [*([result["by"]] if "by" in result else []), "statistic", "value", "ndf", "ddf", "p_value"]
    out = []
    for domain in _domains(case):
        row = table.iloc[0] if domain["level"] is None else table.loc[table[result["by"]] == domain["level"]].iloc[0]
        out.append((row, domain))
    return out


@pytest.mark.parametrize("statistic", ["F", "Chisq", "Wald", "adjWald", "saddlepoint"])
@pytest.mark.parametrize("case", _params(CHISQ, tested_on_multistage=False))
def test_chisq_matches_svychisq(case: dict, statistic: str) -> None:
    """value, ndf, ddf to 1e-8; p-values to 1e-8, the saddlepoint's to 1e-6 (R's uniroot stops at tol = 1e-8)."""
    p_rtol = CI_RTOL if statistic == "saddlepoint" else RTOL
    for row, domain in _chisq_rows(case, statistic):
        expected = domain["tests"][statistic]
        assert row["statistic"] == statistic
        _close(row["value"], expected["statistic"], f"{domain['level']} value")
        _close(row["ndf"], expected["df"] if statistic == "Chisq" else expected["ndf"], f"{domain['level']} ndf")
        _close(row["ddf"], expected["ddf"], f"{domain['level']} ddf")
        _close(row["p_value"], expected["p_value"], f"{domain['level']} p", p_rtol)


@pytest.mark.parametrize("case", _params(CHISQ, tested_on_multistage=False))
def test_chisq_lincom_is_the_exact_distribution(case: dict) -> None:
    """R fell back to the saddlepoint for "lincom" (no CompQuadForm): the fixture's lincom is its saddlepoint.

    Here "lincom" is exact (Imhof). For a 2 x 2 table Delta has one eigenvalue, tr(Delta), and
    ddf = nu, so the exact tail P(tr(Delta) chi2_1 > X2 chi2_nu / nu) is the F(1, nu) tail of
    X2 / tr(Delta): R's "F" p-value, to 1e-8 relative or 1e-13 absolute (Imhof's accuracy; one
    of these p-values is 7.8e-11). Larger tables: close to R's saddlepoint.
    """
    assert VERBS["compquadform"] is False
    for row, domain in _chisq_rows(case, "lincom"):
        lincom, saddle = domain["tests"]["lincom"], domain["tests"]["saddlepoint"]
        assert lincom["lincom_method"].startswith("saddlepoint")
        assert lincom["p_value"] == saddle["p_value"]
        _close(row["value"], lincom["statistic"], "X2")
        assert np.isnan(row["ndf"]) and np.isnan(row["ddf"])
        if len(case["result"]["row_levels"]) == 2 and len(case["result"]["col_levels"]) == 2:
            assert row["p_value"] == pytest.approx(domain["tests"]["F"]["p_value"], rel=RTOL, abs=1e-13)
        else:
            assert row["p_value"] == pytest.approx(saddle["p_value"], rel=0.15)


@pytest.mark.parametrize("case", _params(CHISQ, tested_on_multistage=False))
def test_chisq_reference_quantities(case: dict) -> None:
    """R's nu (all rows of the domain), Pearson X2, tr(Delta) and d0 recorded beside the tests."""
    for row, domain in _chisq_rows(case, "F"):
        _close(domain["tests"]["F"]["ddf"] / domain["d0"], float(domain["nu"]), "nu")
        _close(row["ddf"] / row["ndf"], float(domain["nu"]), "ddf / ndf = nu")
        _close(row["ndf"], domain["d0"], "d0")
        _close(domain["pearson_x2"] / row["value"], domain["trace_delta"], "tr(Delta)")


# --------------------------------------------------------------------------- behaviour beyond R's numbers


def _apistrat() -> object:
    return survey(CROSSTAB[0])


def test_crosstab_suppresses_small_cells_and_their_complements() -> None:
    table = estimate.crosstab(_apistrat(), "stype", "awards", by="high_api", min_n=20)
    small = table["n"] < 20
    assert (table.loc[small, "suppression"] == "min_n").all()
    assert table.loc[small, ["count", "proportion", "row_proportion", "count_se"]].isna().all().all()
    hidden = table["suppressed"] & (table["n"] > 0)
    # no row or column of any domain's table has exactly one hidden (informative) cell
    for keys in (["high_api", "stype"], ["high_api", "awards"]):
        per_line = hidden.groupby([table[k] for k in keys], observed=True).sum()
        assert not (per_line == 1).any(), per_line
    assert (table.loc[table["suppression"] == "complementary", "n"] >= 20).all()
    assert table.loc[~table["suppressed"], "count"].notna().all()
    assert table.attrs["min_n"] == 20


def test_crosstab_complementary_cell_is_the_smallest_of_its_row() -> None:
    from cbss_analysis.disclosure import complementary_suppression

    n = np.array([[[5, 40, 50], [60, 70, 80]]])
    hide = complementary_suppression(n, n < 30)
    # row 0: (0,0) hidden -> (0,1) (fewest in the row); columns 0 and 1 then need one more each: row 1
    assert hide.tolist() == [[[True, True, False], [True, True, False]]]
    zero = np.array([[[0, 40], [50, 60]]])
    assert not complementary_suppression(zero, zero < 30)[0, :, 1].any()  # an empty cell reveals nothing


def test_crosstab_without_by_has_no_by_columns_and_row_proportions_sum_to_one() -> None:
    table = estimate.crosstab(_apistrat(), "stype", "sch_wide", min_n=0)
    assert list(table.columns[:2]) == ["stype", "sch_wide"]
    assert table.groupby("stype", observed=True)["row_proportion"].sum().to_numpy() == pytest.approx(1.0)
    assert table["proportion"].sum() == pytest.approx(1.0)


def test_crosstab_leaves_out_rows_with_a_missing_value() -> None:
    s = _apistrat()
    s.data["awards_na"] = s.data["awards"].where(s.data["api00"] > 500)
    table = estimate.crosstab(s, "stype", "awards_na", min_n=0)
    assert table["n"].sum() == int((s.data["api00"] > 500).sum())


@pytest.mark.parametrize("function", [estimate.crosstab, estimate.chisq])
def test_non_categorical_variable_is_one_line_error(function) -> None:
    with pytest.raises(EstimationError, match=r"^[^\n]*col='api00' is not categorical \(dtype int64\)[^\n]*$"):
        function(_apistrat(), "stype", "api00")
    with pytest.raises(EstimationError, match="row='stypo' is not a column of the survey; did you mean 'stype'"):
        function(_apistrat(), "stypo", "awards")
    with pytest.raises(EstimationError, match="is the row variable too"):
        function(_apistrat(), "stype", "stype")


def test_chisq_unknown_statistic() -> None:
    with pytest.raises(EstimationError, match="statistic='LRT' is not one of F, Chisq, Wald, adjWald, lincom, saddlepoint"):
        estimate.chisq(_apistrat(), "stype", "awards", statistic="LRT")


def test_chisq_drops_a_category_absent_from_a_domain() -> None:
    """R gives NaN for F and Chisq (svytable keeps the empty level); here the domain is tested on the categories it has."""
    s = _apistrat()
    absent = (s.data["stype"] == "H") & (s.data["yr_rnd"] == "No")
    s.data["stype_x"] = s.data["stype"].where(~absent)  # no H in domain yr_rnd == "No"
    s.data["stype_y"] = pd.Categorical(s.data["stype"].where(s.data["stype"] != "H").astype(object), categories=["E", "M"])
    for statistic in STATISTICS:
        with_empty = estimate.chisq(s, "stype_x", "awards", by="yr_rnd", statistic=statistic).set_index("yr_rnd")
        without = estimate.chisq(s, "stype_y", "awards", by="yr_rnd", statistic=statistic).set_index("yr_rnd")
        assert with_empty.loc["No"].equals(without.loc["No"]), statistic
        assert np.isfinite(with_empty["p_value"]).all(), statistic


def test_chisq_domain_with_one_category_is_nan() -> None:
    s = _apistrat()
    table = estimate.chisq(s, "awards", "sch_wide", by="stype")
    s.data["awards_e"] = s.data["awards"].where((s.data["stype"] != "E") | (s.data["awards"] == "Yes"))
    one = estimate.chisq(s, "awards_e", "sch_wide", by="stype").set_index("stype")
    assert np.isnan(one.loc["E", "value"]) and np.isnan(one.loc["E", "p_value"])
    assert one.loc[["H", "M"], "value"].to_numpy() == pytest.approx(table.set_index("stype").loc[["H", "M"], "value"].to_numpy())


def test_rows_with_a_missing_by_value_are_in_no_table_but_keep_their_psu() -> None:
    s = _apistrat()
    s.data["group"] = s.data["stype"].astype(str).where(s.data.index >= 30)
    table = estimate.crosstab(s, "awards", "sch_wide", by="group", min_n=0)
    assert table["n"].sum() == len(s.data) - 30 and set(table["group"]) == {"E", "H", "M"}
    assert table.loc[table["count"] > 0, "count_se"].gt(0).all()
    test = estimate.chisq(s, "awards", "sch_wide", by="group")
    assert list(test["group"]) == ["E", "H", "M"] and np.isfinite(test["p_value"]).all()


def test_crosstab_keeps_by_column_types() -> None:
    s = _apistrat()
    s.data["big"] = s.data["enroll"] > 600
    table = estimate.crosstab(s, "awards", "sch_wide", by=["stype", "big"], min_n=0)
    assert isinstance(table["stype"].dtype, pd.CategoricalDtype) and table["big"].dtype == bool
    assert isinstance(table["awards"].dtype, pd.CategoricalDtype) and table["suppression"].isna().all()
