#!/usr/bin/env python3
"""Write the codebooks of the HBSC open-access files of 2001/02, 2005/06, 2009/10 and 2013/14 from their extracts.

Input : tests/reference/hbsc<CYCLE>_oa_documentation.json (made by tests/reference/hbsc_documentation.py).
Output: data/codebooks/hbsc<CYCLE>_oa.yaml for CYCLE in 2002, 2006, 2010, 2014.

Every label, question, code, code label and missing code comes from the extract (verbatim: the documentation's
own spelling, "Don`t have or see" included); the `source` of each variable names the document, the variable and
its lines. What is ours is written here, in SPEC and INDICATORS: which variables, their types, the design (with
its fallback), the indicators (the ids and rules of hbsc2018_oa.yaml, with each cycle's variable names and codes),
their comparability across cycles, and the indicators a cycle does not have. tests/survey/test_hbsc_cycles.py
holds the written codebooks to the extracts; this script is how they were made, and re-running it must leave them
unchanged (``--check``).

Usage:  python tests/reference/hbsc_cycle_codebooks.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "reference"
CODEBOOKS = ROOT / "data" / "codebooks"
CBSS_COUNTRYNO = (208000, 233000, 246000, 276000, 352000, 428000, 440000, 578000, 616000, 643000, 752000)
CYCLE_LABEL = {"2002": "2001/02", "2006": "2005/06", "2010": "2009/10", "2014": "2013/14", "2018": "2017/18"}

# ------------------------------------------------------------------------------------------------ the cycles
# design: role -> variable as the file names it; fallback: see data/codebooks/README.md ("Design fallbacks").
SPEC: dict[str, dict] = {
    "2002": {
        "state": "countryno", "age": "age", "agecat": "agecat",
        "design": {"weight": "sampleweights", "strata": ["countryno"], "psu": "classno", "fpc": None, "nest": True,
                   "lonely_psu": "adjust", "fallback": {"psu": "own_psu"}},
        "ids": ["countryno", "subregion", "schoolno", "classno", "uniqueid", "sampleweights"],
        "items": ["sex", "agecat", "age", "grade", "beenbullied", "bulliedothers", "hadsex", "agesex", "contraceptpill",
                  "contraceptcondom", "condomuse", "talkfather", "talkstepfa", "talkmother", "talkstepmo"],
    },
    "2006": {
        "state": "countryno", "age": "age", "agecat": "agecat",
        "design": {"weight": "sampleweights", "strata": ["countryno", "subregion"], "psu": "cluster", "fpc": None,
                   "nest": True, "lonely_psu": "adjust", "fallback": {"strata": "own_stratum"}},
        "ids": ["countryno", "subregion", "schoolno", "classno", "uniqueid", "sampleweights", "cluster"],
        "items": ["sex", "agecat", "age", "beenbullied", "bulliedothers", "hadsex", "agesex", "contraceptpill",
                  "contraceptcondom", "condomuse", "talkfather", "talkstepfa", "talkmother", "talkstepmo"],
    },
    "2010": {
        "state": "countryno", "age": "age", "agecat": "agecat",
        "design": {"weight": "sampleweights", "strata": ["countryno", "subregion"], "psu": "schoolno", "fpc": None,
                   "nest": True, "lonely_psu": "adjust"},
        "ids": ["countryno", "subregion", "schoolno", "classno", "uniqueid", "sampleweights"],
        "items": ["sex", "agecat", "age", "grade", "beenbullied", "bulliedothers", "hadsex", "agesex", "contraceptpill",
                  "contraceptcondom", "condomuse", "talkfather", "talkstepfa", "talkmother", "talkstepmo"],
    },
    "2014": {
        "state": "COUNTRYno", "age": "AGE", "agecat": "AGECAT",
        "design": {"weight": "M137", "strata": ["COUNTRYno", "id1"], "psu": "ClassID", "fpc": None, "nest": True,
                   "lonely_psu": "adjust", "fallback": {"weight": "zero", "strata": "own_stratum", "psu": "own_psu"}},
        "ids": ["SEQNO", "COUNTRYno", "REG_NO", "ClassID", "UniqueID", "id1", "id2", "id3", "M137"],
        "items": ["sex", "AGECAT", "AGE", "grade", "beenbullied", "bulliedothers", "cbullmess", "cbullpict", "hadsex",
                  "agesex", "contraceptcondom", "contraceptpill", "talkfather", "talkstepfa", "talkmother", "talkstepmo",
                  "famhelp", "famsup", "famtalk", "famdec", "friendhelp", "friendcounton", "friendshare", "friendtalk",
                  "teacheraccept", "teachercare", "teachertust"],
    },
}

DESIGN_NOTES = {
    "2002": [
        "No cluster variable. subregion ('Region') is valid for 23,035 of 162,305 cases, so it cannot stratify the",
        "file: strata = countryno only (conservative). PSU = classno (country-prefixed codes 400001-8400492);",
        "6,695 cases have no classno (schoolno is missing for 6,694): fallback psu: own_psu, each such pupil is a",
        "PSU of its own. The documentation tabulates design variables pooled over countries only.",
    ],
    "2006": [
        "cluster ('Class/School cluster', none missing) is documented as 'a unique cluster id that can be used as a",
        "primary sampling unit (PSU)': the PSU. Strata = countryno x subregion ('National region/Municipality/",
        "Language'); 791 cases have no subregion: fallback strata: own_stratum (one stratum per country, code -1).",
    ],
    "2010": [
        "No cluster variable (the group 'Cluster variable' is listed empty). Strata = countryno x subregion, which",
        "this file labels 'Stratum' (none missing). PSU = schoolno ('School', none missing): whether classno is",
        "unique across schools is not documented; schools nested in strata are safe and conservative.",
    ],
    "2014": [
        "Strata = COUNTRYno x id1 ('Region/Municipality'), PSU = ClassID ('International Unique Class ID'), as the",
        "2017/18 reading; weight M137 ('Weight of dataset'). Missing: M137 55, id1 146, ClassID 107 cases:",
        "fallback weight: zero, strata: own_stratum, psu: own_psu. REG_NO is one code per country, not a stratum.",
    ],
}

TYPES = {
    "id": ("SEQNO", "uniqueid", "UniqueID"),
    "weight": ("sampleweights", "M137"),
    "binary": ("sex", "hadsex"),
    "numeric": ("age", "AGE"),
    "categorical": ("condomuse", "talkfather", "talkstepfa", "talkmother", "talkstepmo", "cbullmess", "cbullpict"),
}


def variable_type(cycle: str, name: str, doc: dict) -> str:
    if name in SPEC[cycle]["ids"] and name not in TYPES["id"] + TYPES["weight"]:
        return "design"
    for kind, names in TYPES.items():
        if name in names:
            return kind
    if name in ("contraceptpill", "contraceptcondom"):
        # 2001/02-2009/10: one box of a method checklist (Yes/No); 2013/14: Yes/No/Don't know
        return "binary" if len(doc["values"]) == 2 else "categorical"
    return "ordinal"


# ------------------------------------------------------------------------------------------------ indicators
# Comparability groups: an indicator id is comparable across the cycles of one group (same question, same codes
# meaning the same); between groups there is a break, described once here and written into every codebook.
ALL = ("2002", "2006", "2010", "2014", "2018")
GROUPS: dict[str, tuple[tuple[tuple[str, ...], ...], str]] = {
    "been_bullied": ((("2002", "2006", "2010", "2014"), ("2018",)),
                     "2017/18 rewrote the definition read before the question: 'a person' instead of 'a student', "
                     "'repeatedly' in its first sentence, a new sentence on power and intent to harm, no sentence on "
                     "friendly teasing; the five answer codes are the same"),
    "bullied_others": ((("2002", "2006", "2010", "2014"), ("2018",)),
                       "as been_bullied: 2017/18 rewrote the definition; the five answer codes are the same"),
    "ever_had_sex": ((ALL,), ""),
    "first_sex_13_or_younger": (
        (("2002", "2006", "2010"), ("2014", "2018")),
        "2001/02-2009/10 ask every 15-year-old, with code 1 'I have never had sexual intercourse' (2009/10 'Never') and "
        "ages from code 2 ('11 years old or younger'); from 2013/14 it follows hadsex = Yes, codes start at 1 ('11 years "
        "old or younger'); the indicator's codes differ (2-4 against 1-3) and so do who answers"),
    "condom_last_sex": (
        (("2002", "2006", "2010"), ("2014", "2018")),
        "2001/02-2009/10: condomuse (1 never had intercourse, 2 Yes, 3 No); from 2013/14: contraceptcondom with 1 Yes, "
        "2 No, 3 \"Don't know\" (left out of the denominator): a new answer option"),
    "pill_last_sex": (
        (("2002", "2006", "2010"), ("2014", "2018")),
        "2001/02-2009/10: contraceptpill is one box of the checklist 'what method(s) did you or your partner use to "
        "prevent pregnancy?' (Yes/No); from 2013/14 a question of its own about birth control pills with \"Don't know\""),
    "easy_talk_mother": ((ALL,), ""),
    "easy_talk_father": ((ALL,), ""),
    "no_parent_to_talk_to": (
        (("2002", "2006", "2010"), ("2014", "2018")),
        "2013/14 prints the stepfather row as 'Stepfather (or mother’s boyfriend)'; 2001/02-2009/10 'Stepfather' "
        "(2017/18 prints no row text)"),
    "family_support": ((("2014", "2018"),), ""),
    "family_support_high": ((("2014", "2018"),), ""),
    "family_talk": ((("2014", "2018"),), ""),
    "friend_support": ((("2014", "2018"),), ""),
    "friend_support_high": ((("2014", "2018"),), ""),
    "teacher_support_high": ((("2014", "2018"),), ""),
}


def comparability(indicator_id: str, cycle: str) -> dict:
    groups, note = GROUPS[indicator_id]
    group = next(g for g in groups if cycle in g)
    out: dict = {"comparable_with": [f"hbsc{c}_oa" for c in group if c != cycle]}
    if (len(groups) > 1 or set(groups[0]) != set(ALL)) and note:
        out["break"] = note
    return out


def indicators(cycle: str) -> list[dict]:
    s = SPEC[cycle]
    agecat = s["agecat"]
    old = cycle in ("2002", "2006", "2010")
    out = [
        {"id": "been_bullied", "label": "Bullied at school at least 2-3 times a month in the past couple of months",
         "variables": ["beenbullied"], "rule": {"at_least": 3}, "priority_areas": ["violence"],
         "source": "HBSC item beenbullied; cut-off as hbsc2018_oa (code 3 or more)"},
        {"id": "bullied_others", "label": "Bullied others at least 2-3 times a month in the past couple of months",
         "variables": ["bulliedothers"], "rule": {"at_least": 3}, "priority_areas": ["violence"],
         "source": "HBSC item bulliedothers; cut-off as hbsc2018_oa"},
        {"id": "ever_had_sex", "label": "Has had sexual intercourse (15-year-olds)", "variables": ["hadsex"],
         "rule": {"in": [1]}, "population": {agecat: [3]}, "priority_areas": ["sexual_exploitation", "prevention"],
         "source": "HBSC item hadsex, 15-year-olds (agecat 3)"},
        {"id": "first_sex_13_or_younger", "label": "First intercourse at 13 or younger (15-year-olds who have had sex)",
         "variables": ["agesex"], "rule": {"in": [2, 3, 4] if old else [1, 2, 3]},
         "population": {agecat: [3], "hadsex": [1]}, "priority_areas": ["sexual_exploitation", "prevention"],
         "source": "HBSC item agesex; codes of 11 or younger, 12 and 13 years as this cycle numbers them"},
        ({"id": "condom_last_sex", "label": "Used a condom at last intercourse (15-year-olds who have had sex)",
          "variables": ["condomuse"], "rule": {"in": [2]},
          "population": {agecat: [3], "hadsex": [1], "condomuse": [2, 3]}, "priority_areas": ["prevention"],
          "source": "HBSC item condomuse (code 1 'never had sexual intercourse' is outside the denominator)"}
         if old else
         {"id": "condom_last_sex", "label": "Used a condom at last intercourse (15-year-olds who have had sex)",
          "variables": ["contraceptcondom"], "rule": {"in": [1]},
          "population": {agecat: [3], "hadsex": [1], "contraceptcondom": [1, 2]}, "priority_areas": ["prevention"],
          "source": "HBSC item contraceptcondom; \"Don't know\" left out of the denominator, as hbsc2018_oa"}),
        {"id": "pill_last_sex", "label": "Birth control pill at last intercourse (15-year-olds who have had sex)",
         "variables": ["contraceptpill"], "rule": {"in": [1]},
         "population": {agecat: [3], "hadsex": [1], **({} if old else {"contraceptpill": [1, 2]})},
         "priority_areas": ["prevention"], "source": "HBSC item contraceptpill"},
        {"id": "easy_talk_mother", "label": "Finds it easy or very easy to talk to mother (those who have or see her)",
         "variables": ["talkmother"], "rule": {"in": [1, 2]}, "population": {"talkmother": [1, 2, 3, 4]},
         "priority_areas": ["prevention", "child_friendly_justice"],
         "source": "HBSC item talkmother; code 5 (does not have or see her) outside the denominator, as hbsc2018_oa"},
        {"id": "easy_talk_father", "label": "Finds it easy or very easy to talk to father (those who have or see him)",
         "variables": ["talkfather"], "rule": {"in": [1, 2]}, "population": {"talkfather": [1, 2, 3, 4]},
         "priority_areas": ["prevention", "child_friendly_justice"],
         "source": "HBSC item talkfather; code 5 outside the denominator, as hbsc2018_oa"},
        {"id": "no_parent_to_talk_to", "label": "Does not have or see a father (or stepfather) to talk to",
         "variables": ["talkfather", "talkstepfa"],
         "rule": {"count_at_least": {"items": ["talkfather", "talkstepfa"], "codes": [5], "k": 2}},
         "priority_areas": ["alternative_care", "prevention"], "source": "HBSC items talkfather and talkstepfa, as hbsc2018_oa"},
    ]
    if cycle == "2014":
        fam = ["famhelp", "famsup", "famtalk", "famdec"]
        friend = ["friendhelp", "friendcounton", "friendshare", "friendtalk"]
        teacher = ["teacheraccept", "teachercare", "teachertust"]
        out += [
            {"id": "family_support", "label": "Family support, mean score (1 very strongly disagree to 7 very strongly agree)",
             "variables": fam, "rule": {"mean_of": fam}, "priority_areas": ["prevention", "alternative_care"],
             "source": "Mean of the four HBSC family-support items, as hbsc2018_oa"},
            {"id": "family_support_high", "label": "High family support: at least 3 of the 4 family items rated 6 or 7",
             "variables": fam, "rule": {"count_at_least": {"items": fam, "codes": [6, 7], "k": 3}},
             "priority_areas": ["prevention", "alternative_care"], "source": "Cut-off ours, as hbsc2018_oa"},
            {"id": "family_talk", "label": "Can talk about problems with family (6 or 7 on the 7-point scale)",
             "variables": ["famtalk"], "rule": {"at_least": 6}, "priority_areas": ["prevention"],
             "source": "HBSC item famtalk; cut-off ours, as hbsc2018_oa"},
            {"id": "friend_support", "label": "Friend support, mean score (1 very strongly disagree to 7 very strongly agree)",
             "variables": friend, "rule": {"mean_of": friend}, "priority_areas": ["prevention"],
             "source": "Mean of the four HBSC friend-support items, as hbsc2018_oa"},
            {"id": "friend_support_high", "label": "High friend support: at least 3 of the 4 friend items rated 6 or 7",
             "variables": friend, "rule": {"count_at_least": {"items": friend, "codes": [6, 7], "k": 3}},
             "priority_areas": ["prevention"], "source": "Cut-off ours, as hbsc2018_oa"},
            {"id": "teacher_support_high", "label": "High teacher support: agrees with all 3 teacher statements",
             "variables": teacher, "rule": {"count_at_least": {"items": teacher, "codes": [1, 2], "k": 3}},
             "priority_areas": ["prevention", "child_friendly_justice"],
             "source": "Cut-off ours, as hbsc2018_oa; 2013/14 names the trust item teachertust (as documented)"},
        ]
    for indicator in out:
        indicator.update(comparability(indicator["id"], cycle))
    return out


ABSENT_2018_ONLY = {
    "cyberbullied": "cyberbullying",
    "cyberbullied_others": "cyberbullying others",
    "online_friends_daily": "online contact (emconlfreq1-4)",
    "online_contact_intense": "online contact (emconlfreq1-4)",
    "online_selfdisclosure": "online self-disclosure preference (emconlpref1-3)",
    "online_selfdisclosure_pref": "online self-disclosure preference (emconlpref1-3)",
    "psmu": "the Social Media Disorder scale (emcsocmed1-9)",
}


def absent(cycle: str, hbsc2018_ids: list[str], defined: set[str]) -> list[dict]:
    out = []
    for indicator_id in hbsc2018_ids:
        if indicator_id in defined:
            continue
        if indicator_id in ABSENT_2018_ONLY:
            reason = f"{ABSENT_2018_ONLY[indicator_id]} is not in the {CYCLE_LABEL[cycle]} open-access file"
            if cycle == "2014" and indicator_id in ("cyberbullied", "cyberbullied_others"):
                reason += (" as one item: 2013/14 asks two victimisation items (cbullmess, by messages; cbullpict, by "
                           "pictures) and no perpetration item; a different measure, not harmonised")
            elif cycle != "2014" and indicator_id.startswith("online_"):
                reason += ("; emedia6m (talking to friends by phone, text or internet) is a different measure, "
                           "not harmonised")
            elif cycle == "2014" and indicator_id.startswith("online_"):
                reason += "; m90-m96 (contact with friends by phone/internet) are a different measure, not harmonised"
        else:
            reason = (f"the family, friend and teacher support items (MSPSS and teacher scales) are not in the "
                      f"{CYCLE_LABEL[cycle]} open-access file")
        out.append({"indicator": indicator_id, "reason": reason})
    return out


# ------------------------------------------------------------------------------------------------ writing


def variable_entry(cycle: str, doc: dict, document_id: str) -> dict:
    name = doc["name"]
    kind = variable_type(cycle, name, doc)
    entry: dict = {"name": name, "label": doc["label"]}
    if doc["question"] and kind not in ("design", "id", "weight"):
        entry["question"] = doc["question"]
    entry["type"] = kind
    notes = []
    if name == SPEC[cycle]["state"]:
        entry["values"] = {v["code"]: v["label"] for v in doc["values"] if v["code"] in CBSS_COUNTRYNO}
        empty = [v["label"] for v in doc["values"] if v["code"] in CBSS_COUNTRYNO and not v["cases"]]
        notes.append("labels of the codes of the eleven CBSS states verbatim (the loader drops the other countries)"
                     + (f"; documented with 0 cases: {', '.join(empty)}" if empty else ""))
    elif kind in ("ordinal", "categorical", "binary"):
        values = {}
        for v in doc["values"]:
            values[v["code"]] = v["label"] if v["label"] is not None else str(v["code"])
        unlabelled = [v["code"] for v in doc["values"] if v["label"] is None]
        if unlabelled:
            notes.append(f"codes {', '.join(map(str, unlabelled))} are printed without labels: the label is the code")
        entry["values"] = values
    if doc["missing"]["user_missing_codes"]:
        entry["missing"] = doc["missing"]["user_missing_codes"]
        notes.append(f"user-missing codes as documented ([Missing={doc['missing']['as_printed']}])")
    if kind == "numeric" and doc["range"]:
        entry["range"] = [doc["range"]["min"], doc["range"]["max"]]
    agecat = SPEC[cycle]["agecat"]
    if name == "hadsex" or (name in ("agesex", "condomuse") and cycle in ("2002", "2006", "2010")):
        entry["asked_of"] = {agecat: [3]}
    elif name in ("agesex", "contraceptcondom", "contraceptpill"):
        entry["asked_of"] = {agecat: [3], "hadsex": [1]}
    if "asked_of" in entry:
        notes.append("asked_of is the routing the package assumes (sexual health items for 15-year-olds), not "
                     "documented; indicators restrict by population")
    source = (f"{document_id} study documentation, variable {name} (lines {doc['lines'][0]}-{doc['lines'][1]}): "
              f"label, question (pre-question, if any, then literal question), codes and labels verbatim; "
              f"{doc['format']['in_list']}; valid {doc['valid_n']:,}, missing {doc['missing_n']:,}")
    if notes:
        source += "; " + "; ".join(notes)
    entry["source"] = source
    if kind not in ("design", "id", "weight") and name not in ("sex", agecat, SPEC[cycle]["age"], "grade"):
        entry["module"] = "hbsc"
    return entry


HEADER = """\
# Codebook of the REAL HBSC {label} international open-access file ({document_id}).
#
# WRITTEN BY tests/reference/hbsc_cycle_codebooks.py from tests/reference/hbsc{cycle}_oa_documentation.json, the
# extract of the official study documentation {document_id}
# ("{title}"),
# text in the project's shared reference folder, shared/reference/hbsc_oa_codebooks/{document_id}.txt.
# Edit the script, not this file. Every `source`
# names the variable and its lines in that text. tests/survey/test_hbsc_cycles.py holds this codebook to the
# extract. Labels, questions and codes are verbatim, in the documentation's spelling. The design, its fallback,
# the types, the indicators and their comparability are ours: see data/codebooks/README.md, section
# "HBSC {label}", and "Trends across cycles".
"""


def build(cycle: str) -> tuple[str, dict]:
    extract = json.loads((REFERENCE / f"hbsc{cycle}_oa_documentation.json").read_text(encoding="utf-8"))
    documented = {v["name"]: v for v in extract["variables"]}
    document_id = extract["source"]["document_id"]
    s = SPEC[cycle]
    names = list(dict.fromkeys(s["ids"] + s["items"]))
    variables = [variable_entry(cycle, documented[n], document_id) for n in names]
    hbsc2018 = yaml.safe_load((CODEBOOKS / "hbsc2018_oa.yaml").read_text(encoding="utf-8"))
    hbsc2018_ids = [i["id"] for i in hbsc2018["indicators"]]
    inds = indicators(cycle)
    by_id = {i["id"]: i for i in hbsc2018["indicators"]}
    for indicator in inds:  # one id, one meaning: the label and priority areas are hbsc2018_oa's
        indicator["label"] = by_id[indicator["id"]]["label"]
        indicator["priority_areas"] = by_id[indicator["id"]]["priority_areas"]
    study = extract["study"]
    data = {
        "codebook": f"hbsc{cycle}_oa",
        "title": f"HBSC {CYCLE_LABEL[cycle]} open-access file ({document_id})",
        "cycle": CYCLE_LABEL[cycle],
        "source": (f"{extract['source']['title']} ({document_id}; {study['file']['cases']:,} cases, "
                   f"{study['file']['variables']} variables, line {study['file']['line']}); PDF at "
                   f"{extract['source']['pdf']}; text in {extract['source']['text_file']}"),
        "synthetic": False,
        "include": [],
        "state_variable": s["state"],
        "design": s["design"],
        "variables": variables,
        "indicators": inds,
        "absent": absent(cycle, hbsc2018_ids, {i["id"] for i in inds}),
    }
    header = HEADER.format(label=CYCLE_LABEL[cycle], document_id=document_id, cycle=cycle,
                           title=extract["source"]["title"])
    header += "#\n# Design (ours; see the README):\n" + "".join(f"#   {line}\n" for line in DESIGN_NOTES[cycle])
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=118, default_flow_style=None)
    return header + body, data


def hbsc2018_text() -> str:
    """hbsc2018_oa.yaml (hand-written) with each harmonised indicator's comparable_with / break lines from GROUPS."""
    import re

    path = CODEBOOKS / "hbsc2018_oa.yaml"
    out, current = [], None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith(("    comparable_with: ", "    break: ")):
            continue  # replaced below
        out.append(line)
        match = re.match(r"^  - id: (\S+)$", line)
        if match:
            current = match.group(1)
        elif current and line.startswith("    label: "):
            if current in GROUPS:
                c = comparability(current, "2018")
                out.append("    comparable_with: [" + ", ".join(c["comparable_with"]) + "]")
                if "break" in c:
                    out.append("    break: " + json.dumps(c["break"], ensure_ascii=False))
            current = None
    return "\n".join(out)


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    stale = []
    fresh_2018 = hbsc2018_text()
    path_2018 = CODEBOOKS / "hbsc2018_oa.yaml"
    if check and path_2018.read_text(encoding="utf-8") != fresh_2018:
        stale.append(path_2018.name)
    elif not check:
        path_2018.write_text(fresh_2018, encoding="utf-8")
    for cycle in SPEC:
        text, _ = build(cycle)
        path = CODEBOOKS / f"hbsc{cycle}_oa.yaml"
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"differ from a fresh build: {', '.join(stale)}")
        return 1
    if check:
        print("up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
