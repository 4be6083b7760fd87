"""The codebooks of the HBSC open-access files of 2001/02-2013/14 agree with their study documentation (issue #13).

Each cycle's documentation (HBSC2001OAed1.0, HBSC2006OAed1.0, HBSC2010OAed1.0, HBSC2014OAed1.1) is extracted by
``tests/reference/hbsc_documentation.py CYCLE TEXT`` into ``tests/reference/hbsc<CYCLE>_oa_documentation.json``;
the codebooks ``data/codebooks/hbsc<CYCLE>_oa.yaml`` are written from the extracts by
``tests/reference/hbsc_cycle_codebooks.py``. These tests read only the JSON and the codebooks: every declared
variable against the documentation, the per-country case counts, the design variables and their fallbacks, and the
harmonisation rules across all five cycles (one id, one meaning; every break recorded).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from cbss_analysis.states import iso2_from_countryno
from cbss_analysis.survey.codebook import DESIGN_FALLBACKS, LABELLED_TYPES, load_codebook

TESTS = Path(__file__).resolve().parents[1]
CYCLES = {"2002": "HBSC2001OAed1.0", "2006": "HBSC2006OAed1.0", "2010": "HBSC2010OAed1.0", "2014": "HBSC2014OAed1.1"}
ALL = (*CYCLES, "2018")
LABELS = {"2002": "2001/02", "2006": "2005/06", "2010": "2009/10", "2014": "2013/14", "2018": "2017/18"}


@cache
def documentation(cycle: str) -> dict:
    return json.loads((TESTS / "reference" / f"hbsc{cycle}_oa_documentation.json").read_text(encoding="utf-8"))


@cache
def documented(cycle: str) -> dict[str, dict]:
    return {v["name"]: v for v in documentation(cycle)["variables"]}


@cache
def codebook(cycle: str):
    return load_codebook(f"hbsc{cycle}_oa")


def _declared() -> list[tuple[str, str]]:
    return [(cycle, name) for cycle in CYCLES for name in codebook(cycle).variables]


# ------------------------------------------------------------------------------------------------ the extracts


@pytest.mark.parametrize("cycle", CYCLES)
def test_each_extract_names_its_document_and_is_complete(cycle):
    doc = documentation(cycle)
    assert doc["source"]["document_id"] == CYCLES[cycle]
    assert doc["source"]["text_file"].endswith(f"{CYCLES[cycle]}.txt") and len(doc["source"]["text_sha256"]) == 64
    assert len(doc["variables"]) == doc["study"]["file"]["variables"]
    assert doc["countries"]["countryno"]["cases_total"] == doc["study"]["file"]["cases"]
    assert all(v["valid_n"] + v["missing_n"] == doc["study"]["file"]["cases"] for v in doc["variables"]
               if v["format"]["storage"] == "numeric")
    assert [v["position"] for v in doc["variables"]] == list(range(1, len(doc["variables"]) + 1))
    assert all("group" in v for v in doc["variables"]), "2001/02-2013/14 list the variables by group"


def test_the_extractor_is_one_script_for_every_cycle():
    script = TESTS / "reference" / "hbsc_documentation.py"
    assert not (TESTS / "reference" / "hbsc2018_documentation.py").exists()
    for cycle in ALL:
        assert documentation(cycle)["source"]["extracted_by"].startswith(f"tests/reference/hbsc_documentation.py {cycle};")
    shared = Path("/work/shared/reference/hbsc_oa_codebooks")
    if not shared.is_dir():
        pytest.skip("the documentation texts are not on this machine")
    for cycle in ALL:
        document = documentation(cycle)["source"]["document_id"]
        result = subprocess.run([sys.executable, str(script), "--check", cycle, str(shared / f"{document}.txt")],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, (cycle, result.stdout, result.stderr)


def test_the_codebooks_are_as_their_script_writes_them():
    result = subprocess.run([sys.executable, str(TESTS / "reference" / "hbsc_cycle_codebooks.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------------------------------------ variables


@pytest.mark.parametrize(("cycle", "name"), _declared())
def test_every_codebook_variable_agrees_with_the_documentation(cycle, name):
    variable = codebook(cycle).variable(name)
    assert name in documented(cycle), f"{name} is not a variable of {CYCLES[cycle]}"
    doc = documented(cycle)[name]
    assert not variable.is_text and doc["format"]["storage"] == "numeric"
    assert variable.label == doc["label"]
    if variable.type not in ("design", "id", "weight"):
        assert (variable.question or None) == doc["question"]
    assert variable.missing == tuple(doc["missing"]["user_missing_codes"])
    if variable.range is not None:
        assert variable.range == (doc["range"]["min"], doc["range"]["max"])
    values = dict(variable.values)
    documented_codes = [v["code"] for v in doc["values"]]
    if name == codebook(cycle).state_variable:
        assert values == {v["code"]: v["label"] for v in doc["values"] if v["code"] in iso2_from_countryno()}
    elif variable.type in LABELLED_TYPES:  # a code printed without a label is labelled with the code
        assert values == {v["code"]: v["label"] if v["label"] is not None else str(v["code"]) for v in doc["values"]}
    else:
        assert values == {}
    if variable.type in LABELLED_TYPES:
        assert list(values) == documented_codes
    for missing in doc["user_missing"]:
        assert missing["code"] not in values
    assert CYCLES[cycle] in variable.source and f"variable {name} " in variable.source
    assert f"lines {doc['lines'][0]}-{doc['lines'][1]}" in variable.source


@pytest.mark.parametrize("cycle", CYCLES)
def test_the_documented_user_missing_codes_are_declared(cycle):
    for name, variable in codebook(cycle).variables.items():
        assert variable.missing == tuple(documentation(cycle)["summary"]["with_user_missing_codes"].get(name, [])), name


def test_the_documented_missing_codes_of_the_older_files():
    # 2001/02 prints 999 (and 0) as user-missing for the bullying items, 0 "INAP" for the sexual-health items
    assert codebook("2002").variable("beenbullied").missing == (999,)
    assert codebook("2002").variable("bulliedothers").missing == (0, 999)
    assert codebook("2002").variable("hadsex").missing == (0,)
    assert codebook("2006").variable("condomuse").missing == (0,)
    assert codebook("2010").variable("hadsex").missing == ()
    assert codebook("2014").variable("contraceptcondom").values == {1: "Yes", 2: "No", 3: "Don't know"}


# ------------------------------------------------------------------------------------------------ countries


@pytest.mark.parametrize("cycle", ALL)
def test_the_cbss_states_are_documented_with_their_cases(cycle):
    states = {s["countryno"]: s for s in documentation(cycle)["countries"]["cbss_states"]}
    assert set(states) == set(iso2_from_countryno())
    book = codebook(cycle)
    assert set(book.variable(book.state_variable).values) == set(iso2_from_countryno())
    per_country = {c["countryno"]: c["cases"] for c in documentation(cycle)["countries"]["countryno"]["per_country"]}
    for code, state in states.items():
        assert state["cases"] == per_country[code]
        assert book.variable(book.state_variable).values[code] == state["country"]


def test_iceland_is_absent_in_2001_02_and_lithuania_in_2013_14():
    cases = {cycle: {s["country"]: s["cases"] for s in documentation(cycle)["countries"]["cbss_states"]} for cycle in ALL}
    assert cases["2002"]["Iceland"] == 0 and documentation("2002")["countries"]["cbss_states_without_cases"] == ["Iceland"]
    assert cases["2014"]["Lithuania"] == 0 and documentation("2014")["countries"]["cbss_states_without_cases"] == ["Lithuania"]
    for cycle in ("2006", "2010"):
        assert documentation(cycle)["countries"]["cbss_states_without_cases"] == []
    assert all(n > 0 for n in cases["2018"].values())
    assert cases["2002"]["Russia"] == 8037 and cases["2006"]["Iceland"] == 9540 and cases["2014"]["Sweden"] == 7700
    # the shared reference table of sample sizes (2005/06, 2013/14, 2017/18) agrees with the extracts
    table = Path("/work/shared/reference/hbsc_oa_sample_sizes.csv")
    if table.is_file():
        import csv

        for row in csv.DictReader(table.open(encoding="utf-8")):
            for cycle in ("2006", "2014", "2018"):
                by_code = {s["countryno"]: s["cases"] for s in documentation(cycle)["countries"]["cbss_states"]}
                assert by_code[int(row["countryno"])] == int(row[f"hbsc{cycle}_oa_n"]), (row["country"], cycle)


# ------------------------------------------------------------------------------------------------ design


@pytest.mark.parametrize("cycle", CYCLES)
def test_the_design_names_documented_variables_and_covers_their_missing_values(cycle):
    design = codebook(cycle).design
    for role, names in (("weight", [design.weight]), ("strata", list(design.strata)), ("psu", [design.psu])):
        for name in names:
            doc = documented(cycle)[name]
            assert doc["format"]["storage"] == "numeric"
            if doc["missing_n"] > 0:
                assert design.fallback.get(role) == DESIGN_FALLBACKS[role], (
                    f"{name} is documented with {doc['missing_n']} missing values: {role} needs a fallback")
    assert design.strata[0] == codebook(cycle).state_variable and design.nest and design.lonely_psu == "adjust"
    for role in design.fallback:  # no fallback that the documentation does not call for
        names = {"weight": [design.weight], "strata": list(design.strata), "psu": [design.psu]}[role]
        assert any(documented(cycle)[n]["missing_n"] > 0 for n in names), (cycle, role)


def test_the_design_of_each_cycle():
    spec = {c: codebook(c).design for c in CYCLES}
    assert (spec["2002"].weight, spec["2002"].strata, spec["2002"].psu) == ("sampleweights", ("countryno",), "classno")
    assert documented("2002")["subregion"]["valid_n"] == 23_035  # 14% of rows: not usable as strata
    assert "cluster" not in documented("2002") and "cluster" not in documented("2010")
    assert (spec["2006"].weight, spec["2006"].strata, spec["2006"].psu) == ("sampleweights", ("countryno", "subregion"), "cluster")
    assert "primary sampling unit (PSU)" in documented("2006")["cluster"]["question"]
    assert (spec["2010"].weight, spec["2010"].strata, spec["2010"].psu) == ("sampleweights", ("countryno", "subregion"), "schoolno")
    assert documented("2010")["subregion"]["label"] == "Stratum"
    assert (spec["2014"].weight, spec["2014"].strata, spec["2014"].psu) == ("M137", ("COUNTRYno", "id1"), "ClassID")
    assert documented("2014")["M137"]["label"] == "Weight of dataset" and documented("2014")["M137"]["missing_n"] == 55
    assert documented("2014")["ClassID"]["label"] == "International Unique Class ID"


# ------------------------------------------------------------------------------------------------ harmonisation


def _hbsc2018_ids() -> list[str]:
    return list(codebook("2018").indicators)


@pytest.mark.parametrize("cycle", CYCLES)
def test_every_2017_18_indicator_is_defined_or_declared_absent(cycle):
    book = codebook(cycle)
    assert set(book.indicators) | set(book.absent) == set(_hbsc2018_ids())
    assert not set(book.indicators) & set(book.absent)
    assert all(reason for reason in book.absent.values())
    assert book.cycle == LABELS[cycle]


def test_one_id_means_one_thing_in_every_cycle():
    reference = codebook("2018").indicators
    for cycle in CYCLES:
        for indicator_id, indicator in codebook(cycle).indicators.items():
            assert indicator.label == reference[indicator_id].label, (cycle, indicator_id)
            assert indicator.priority_areas == reference[indicator_id].priority_areas
            assert indicator.kind == reference[indicator_id].kind


def test_comparability_is_symmetric_and_every_break_is_recorded():
    books = {c: codebook(c) for c in ALL}
    for indicator_id in _hbsc2018_ids():
        having = [c for c in ALL if indicator_id in books[c].indicators]
        for a in having:
            mine = books[a].indicators[indicator_id]
            for name in mine.comparable_with:
                b = name.removeprefix("hbsc").removesuffix("_oa")
                assert b in having, (indicator_id, a, name)
                assert f"hbsc{a}_oa" in books[b].indicators[indicator_id].comparable_with, (indicator_id, a, b)
            others = [c for c in having if c != a and f"hbsc{c}_oa" not in mine.comparable_with]
            if others:
                assert mine.break_, f"{indicator_id} in {a} is not comparable with {others}: the break must be said"


def test_the_recorded_breaks():
    def group(indicator_id, cycle):
        return {cycle, *(n[4:8] for n in codebook(cycle).indicators[indicator_id].comparable_with)}

    assert group("ever_had_sex", "2002") == set(ALL)
    assert group("easy_talk_mother", "2010") == group("easy_talk_father", "2018") == set(ALL)
    assert group("been_bullied", "2002") == {"2002", "2006", "2010", "2014"} and group("been_bullied", "2018") == {"2018"}
    for indicator_id in ("first_sex_13_or_younger", "condom_last_sex", "pill_last_sex", "no_parent_to_talk_to"):
        assert group(indicator_id, "2006") == {"2002", "2006", "2010"}
        assert group(indicator_id, "2014") == {"2014", "2018"}
    assert group("family_support", "2014") == {"2014", "2018"}
    # the codes behind a break
    assert codebook("2010").indicators["first_sex_13_or_younger"].rule == {"in": (2, 3, 4)}
    assert codebook("2014").indicators["first_sex_13_or_younger"].rule == {"in": (1, 2, 3)}
    assert documented("2010")["agesex"]["values"][0]["label"] == "Never"
    assert documented("2014")["agesex"]["values"][0]["label"] == "11 years old or younger"
    assert codebook("2002").indicators["condom_last_sex"].variables == ("condomuse",)
    assert "D. Condoms" in documented("2002")["contraceptcondom"]["question"]
    assert "(or mother’s boyfriend)" in documented("2014")["talkstepfa"]["question"]
    assert "a student" in documented("2014")["beenbullied"]["question"]
    assert "a person" in documented("2018")["beenbullied"]["question"]


def test_absent_items_are_not_in_the_documentation():
    for cycle in CYCLES:
        names = set(documented(cycle))
        assert not names & {"cbeenbullied", "cbulliedothers", "emconlfreq1", "emconlpref1", "emcsocmed1"}
        if cycle != "2014":
            assert not names & {"famhelp", "friendhelp", "teacheraccept"}
    assert {"cbullmess", "cbullpict"} <= set(documented("2014"))
    assert "cbullmess" in codebook("2014").absent["cyberbullied"]


def test_reg_no_of_2013_14_is_one_code_per_country_not_a_stratum():
    country = sorted(c["cases"] for c in documented("2014")["COUNTRYno"]["values"] if c["cases"])
    region = sorted(c["cases"] for c in documented("2014")["REG_NO"]["values"] if c["cases"])
    assert country == region  # every REG_NO code has the cases of one country: constant within countries
    assert "REG_NO" not in codebook("2014").design.strata


def test_the_2013_14_documentation_says_why_lithuania_is_missing():
    assert documentation("2014")["study"]["version"]["edition_notes"] == [
        {"text": "HBSC 2014 OA edition 1.1: Removed Lithuanian data", "line": 52}]
    assert "Lithuania" not in {s["country"] for s in documentation("2014")["countries"]["cbss_states"] if s["cases"]}


# ------------------------------------------------------------------------------------------------ reading it


SERIES = [f"hbsc{c}_oa" for c in ALL]


def test_comparability_reads_the_declared_groups_and_breaks():
    from cbss_analysis.survey.cycles import comparability

    assert comparability(SERIES, "ever_had_sex").comparable
    bullied = comparability(SERIES, "been_bullied")
    assert not bullied.comparable and [(b.before, b.after) for b in bullied.breaks] == [("hbsc2014_oa", "hbsc2018_oa")]
    assert "definition" in bullied.breaks[0].reason
    assert comparability(SERIES[:4], "been_bullied").comparable
    condom = comparability(SERIES, "condom_last_sex")
    assert [(b.before, b.after) for b in condom.breaks] == [("hbsc2010_oa", "hbsc2014_oa")]
    support = comparability(SERIES, "family_support")
    assert support.cycles == ("hbsc2014_oa", "hbsc2018_oa") and set(support.absent) == set(SERIES[:3])
    assert not support.comparable and comparability(SERIES[3:], "family_support").comparable
    psmu = comparability(SERIES, "psmu")
    assert psmu.cycles == ("hbsc2018_oa",) and "not in the 2001/02 open-access file" in psmu.absent["hbsc2002_oa"]


def test_comparability_refuses_an_undeclared_indicator(tmp_path):
    from cbss_analysis.errors import CodebookError
    from cbss_analysis.survey.cycles import comparability

    other = tmp_path / "other.yaml"
    other.write_text("codebook: other\nvariables:\n  - {name: x, label: x, type: numeric}\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="neither defined nor declared absent"):
        comparability(["hbsc2002_oa", other], "been_bullied")
