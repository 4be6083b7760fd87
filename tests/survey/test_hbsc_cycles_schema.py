"""A file in each cycle's documented schema loads through its codebook (issue #13).

For 2001/02, 2005/06, 2009/10 and 2013/14 a small SPSS file is written with pyreadstat in the schema the study
documentation gives (tests/reference/hbsc<CYCLE>_oa_documentation.json: the variable names as the file spells
them, their codes and user-missing codes), with the design values missing where the documentation shows them
missing (2001/02 classno, 2005/06 subregion, 2013/14 M137, id1 and ClassID). It loads with its codebook: the CBSS
rows are kept, the documented missing codes are NA, the design fallback fills the missing design values (with a
warning), and ``validate_file`` reports no problem. The schema extension itself (``design.fallback``,
``absent``, ``comparable_with``/``break``, ``cycle``) is tested at the end.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cbss_analysis import load_survey
from cbss_analysis.errors import CodebookError, DesignError
from cbss_analysis.survey.codebook import load_codebook
from cbss_analysis.survey.loading import FALLBACK_STRATUM_CODE
from cbss_analysis.survey.validation import validate_file

TESTS = Path(__file__).resolve().parents[1]
CYCLES = ("2002", "2006", "2010", "2014")
STRATA, CLASSES, PUPILS = 2, 3, 4


def documented(cycle: str) -> dict[str, dict]:
    doc = json.loads((TESTS / "reference" / f"hbsc{cycle}_oa_documentation.json").read_text(encoding="utf-8"))
    return {v["name"]: v for v in doc["variables"]}, doc["countries"]


def countries(cycle: str) -> tuple[list[int], int]:
    """Three CBSS states with documented cases, and one other country with cases."""
    _, listed = documented(cycle)
    cbss = [s["countryno"] for s in listed["cbss_states"] if s["cases"]][:3]
    other = next(c["countryno"] for c in listed["countryno"]["per_country"]
                 if c["cases"] and c["countryno"] not in {s["countryno"] for s in listed["cbss_states"]})
    return cbss, other


def schema_frame(cycle: str) -> pd.DataFrame:
    book = load_codebook(f"hbsc{cycle}_oa")
    design = book.design
    cbss, other = countries(cycle)
    rows = []
    psu = 1000
    for country in [*cbss, other]:
        for stratum in range(1, STRATA + 1):
            for _ in range(CLASSES):
                psu += 1
                for pupil in range(PUPILS):
                    rows.append({book.state_variable: country, "_stratum": stratum, "_psu": psu, "_pupil": pupil})
    frame = pd.DataFrame(rows)
    n = len(frame)
    docs, _ = documented(cycle)
    out = pd.DataFrame({book.state_variable: frame[book.state_variable].astype(float)})
    for name, variable in book.variables.items():
        if name == book.state_variable:
            continue
        if name == design.weight:
            column = 0.5 + (np.arange(n) % 5) / 4
        elif name in design.strata:
            column = frame["_stratum"].to_numpy(dtype=float)
        elif name == design.psu:
            column = frame["_psu"].to_numpy(dtype=float)
        elif variable.type in ("design", "id"):
            column = np.arange(1, n + 1, dtype=float)
        elif variable.type == "numeric":
            low, high = variable.range
            column = low + (high - low) * (np.arange(n) % 7) / 7
        else:
            codes = np.array(list(variable.values), dtype=float)
            column = codes[(np.arange(n) + len(name)) % codes.size]
            column[np.arange(n) % 13 == 5] = np.nan  # item non-response: system missing
            if variable.missing:  # the documented user-missing codes, in every country
                column[np.arange(n) % 11 == 3] = variable.missing[-1]
        out[name] = column
    first_cbss = out[book.state_variable] == cbss[0]
    # the design values that the documentation shows as missing for some rows
    fallback = design.fallback
    if "psu" in fallback:
        out.loc[first_cbss & (frame["_psu"] % 2 == 0), design.psu] = np.nan
    if "strata" in fallback:
        out.loc[first_cbss & (frame["_stratum"] == 2), design.strata[1]] = np.nan
    if "weight" in fallback:
        out.loc[first_cbss & (frame["_pupil"] == 0), design.weight] = np.nan
    assert set(out.columns) <= set(docs), "every column is a documented variable"
    return out


def write(cycle: str, tmp_path: Path, declare_user_missing: bool = True) -> Path:
    book = load_codebook(f"hbsc{cycle}_oa")
    frame = schema_frame(cycle)
    path = tmp_path / f"hbsc{cycle}_schema.sav"
    missing = {name: list(v.missing) for name, v in book.variables.items() if v.missing}
    pyreadstat.write_sav(frame, str(path), file_label=f"HBSC {cycle} schema test file",
                         missing_ranges=missing if declare_user_missing and missing else None)
    return path


def load(path: Path, cycle: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        survey = load_survey(path, codebook=f"hbsc{cycle}_oa")
    return survey, [str(w.message) for w in caught]


@pytest.mark.parametrize("declare_user_missing", [True, False])
@pytest.mark.parametrize("cycle", CYCLES)
def test_a_file_in_the_documented_schema_loads_with_its_codebook(cycle, declare_user_missing, tmp_path):
    book = load_codebook(f"hbsc{cycle}_oa")
    path = write(cycle, tmp_path, declare_user_missing)
    raw = schema_frame(cycle)
    survey, messages = load(path, cycle)
    cbss, _ = countries(cycle)
    per_country = STRATA * CLASSES * PUPILS
    assert len(survey) == 3 * per_country
    assert any(f"left out {per_country} rows of 1 non-CBSS countries" in m for m in messages)
    data = survey.data
    assert data["state"].notna().all() and data["state"].nunique() == 3
    kept = raw[raw[book.state_variable].isin(cbss)].reset_index(drop=True)
    for name, variable in book.variables.items():
        if variable.missing:
            is_missing = kept[name].isin(variable.missing).to_numpy()
            assert is_missing.any(), name
            assert data.loc[is_missing, name].isna().all(), f"{name}: the documented missing codes are NA"
        if variable.is_labelled:
            valid = kept[name].notna() & ~kept[name].isin(variable.missing)
            assert data.loc[valid.to_numpy(), name].notna().all(), name
    survey.design_arrays()  # the design builds
    assert validate_file(path, codebook=f"hbsc{cycle}_oa") == []


@pytest.mark.parametrize("cycle", CYCLES)
def test_the_fallback_fills_the_documented_missing_design_values(cycle, tmp_path):
    book = load_codebook(f"hbsc{cycle}_oa")
    design = book.design
    survey, messages = load(write(cycle, tmp_path), cycle)
    data = survey.data
    fallback_messages = [m for m in messages if "design.fallback" in m]
    assert len(fallback_messages) == len(design.fallback)
    if "psu" in design.fallback:
        own = data[design.psu] < 0
        assert own.sum() == PUPILS * 3 and data.loc[own, design.psu].is_unique  # a PSU each
    if "strata" in design.fallback:
        assert (data[design.strata[1]] == FALLBACK_STRATUM_CODE).sum() == CLASSES * PUPILS
    if "weight" in design.fallback:
        assert (data[design.weight] == 0).sum() == STRATA * CLASSES
    if not design.fallback:
        assert fallback_messages == []


def test_without_its_fallback_the_2013_14_file_fails_to_load(tmp_path):
    path = write("2014", tmp_path)
    text = (TESTS.parent / "data" / "codebooks" / "hbsc2014_oa.yaml").read_text(encoding="utf-8")
    without = tmp_path / "hbsc2014_no_fallback.yaml"
    without.write_text(text.replace("  fallback: {weight: zero, strata: own_stratum, psu: own_psu}\n", ""), encoding="utf-8")
    assert load_codebook(without).design.fallback == {}
    with pytest.raises(DesignError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_survey(path, codebook=without)
    problems = validate_file(path, codebook=without)
    assert [p.kind for p in problems] == ["design"]


# ------------------------------------------------------------------------------------------------ schema extension


def _codebook(tmp_path: Path, extra: str = "", design_extra: str = "", indicator_extra: str = "") -> Path:
    path = tmp_path / "cb.yaml"
    path.write_text(
        "codebook: cb\ncycle: '2009/10'\n" + extra
        + "design: {weight: w, strata: [s], psu: p" + design_extra + "}\n"
        "variables:\n"
        "  - {name: w, label: w, type: weight}\n  - {name: s, label: s, type: design}\n"
        "  - {name: p, label: p, type: design}\n  - {name: x, label: x, type: binary, values: {1: a, 2: b}}\n"
        "indicators:\n  - {id: x1, label: x1, variables: [x], rule: {in: [1]}" + indicator_extra + "}\n",
        encoding="utf-8")
    return path


def test_the_schema_extension_is_read(tmp_path):
    book = load_codebook(_codebook(
        tmp_path, extra="absent:\n  - {indicator: y1, reason: not asked}\n", design_extra=", fallback: {psu: own_psu}",
        indicator_extra=", comparable_with: [hbsc2014_oa], break: 'wording changed'"))
    assert book.cycle == "2009/10"
    assert book.absent == {"y1": "not asked"}
    assert book.design.fallback == {"psu": "own_psu"}
    assert book.indicators["x1"].comparable_with == ("hbsc2014_oa",)
    assert book.indicators["x1"].break_ == "wording changed"
    plain = load_codebook("hbsc2018_oa")
    assert plain.design.fallback == {} and plain.absent == {}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"design_extra": ", fallback: {psu: own_stratum}"}, "design.fallback"),
    ({"design_extra": ", fallback: {fpc: zero}"}, "design.fallback"),
    ({"design_extra": ", fallback: [psu]"}, "design.fallback"),
    ({"extra": "absent:\n  - {indicator: y1}\n"}, "reason"),
    ({"extra": "absent:\n  - {indicator: x1, reason: r}\n"}, "absent"),
    ({"extra": "absent:\n  - {indicator: y1, reason: r, note: n}\n"}, "note"),
])
def test_the_schema_extension_is_strict(tmp_path, kwargs, message):
    with pytest.raises(CodebookError, match=message):
        load_codebook(_codebook(tmp_path, **kwargs))
