"""Write cbss_analysis/synthetic/cycle_targets.py: the real figures the earlier cycles' synthetic files are cut to.

From the documentation extracts tests/reference/hbsc<CYCLE>_oa_documentation.json (2001/02, 2005/06, 2009/10,
2013/14; made by hbsc_documentation.py from the official HBSC open-access study documentation):

- the cases of each CBSS state (variable countryno / COUNTRYno, column "Cases"; 0 where the documentation lists
  the country with no cases: Iceland 2001/02, Lithuania 2013/14), with the line of each figure;
- the pooled cases per valid code (all countries, unweighted) of every labelled variable of the cycle's codebook
  (data/codebooks/hbsc<CYCLE>_oa.yaml) that is not a design variable, with its lines;
- 2013/14's REG_NO code of each state (its code label is the country's name).

Usage:  python tests/reference/hbsc_cycle_targets.py [--check]
"""

from __future__ import annotations

import json
import pprint
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "reference"
OUT = ROOT / "cbss_analysis" / "synthetic" / "cycle_targets.py"
CYCLES = {"2002": "2001/02", "2006": "2005/06", "2010": "2009/10", "2014": "2013/14"}
ISO2 = {208000: "DK", 233000: "EE", 246000: "FI", 276000: "DE", 352000: "IS", 428000: "LV", 440000: "LT",
        578000: "NO", 616000: "PL", 643000: "RU", 752000: "SE"}
REG_NO_NAMES = {"DK": "Denmark", "EE": "Estonia", "FI": "Finland", "DE": "Germany", "IS": "Iceland", "LV": "Latvia",
                "LT": "Lithuania", "NO": "Norway", "PL": "Poland", "RU": "Russian Federation", "SE": "Sweden"}


def targets() -> dict:
    documents, sizes, size_lines, pooled, pooled_lines = {}, {}, {}, {}, {}
    region_codes = {}
    for year, cycle in CYCLES.items():
        doc = json.loads((REFERENCE / f"hbsc{year}_oa_documentation.json").read_text(encoding="utf-8"))
        documents[cycle] = doc["source"]["document_id"]
        states = doc["countries"]["cbss_states"]
        sizes[cycle] = {ISO2[s["countryno"]]: int(s["cases"]) for s in states}
        size_lines[cycle] = {ISO2[s["countryno"]]: int(s["line"]) for s in states}
        book = yaml.safe_load((ROOT / "data" / "codebooks" / f"hbsc{year}_oa.yaml").read_text(encoding="utf-8"))
        variables = {v["name"]: v for v in doc["variables"]}
        pooled[cycle], pooled_lines[cycle] = {}, {}
        for entry in book["variables"]:
            if entry.get("type") not in ("categorical", "ordinal", "binary"):
                continue
            documented = variables[entry["name"]]
            missing = set(entry.get("missing", []))
            cases = {int(c["code"]): int(c["cases"]) for c in documented["values"]
                     if c.get("cases") is not None and int(c["code"]) not in missing and int(c["code"]) in entry.get("values", {})}
            pooled[cycle][entry["name"]] = cases
            pooled_lines[cycle][entry["name"]] = list(documented["lines"])
        if year == "2014":
            by_label = {c["label"]: int(c["code"]) for c in variables["REG_NO"]["values"]}
            region_codes = {iso2: by_label[name] for iso2, name in REG_NO_NAMES.items()}
    return {"documents": documents, "sizes": sizes, "size_lines": size_lines, "pooled": pooled,
            "pooled_lines": pooled_lines, "region_codes": region_codes}


def text() -> str:
    t = targets()

    def block(name: str, value: object, doc: str, annotation: str) -> str:
        return f"{name}: {annotation} = {pprint.pformat(value, width=116, sort_dicts=False, compact=True)}\n\"\"\"{doc}\"\"\"\n"

    return (
        '"""Real figures of the HBSC open-access files 2001/02-2013/14 that the synthetic cycles are cut to (issue #13).\n\n'
        "WRITTEN BY tests/reference/hbsc_cycle_targets.py from the documentation extracts\n"
        "tests/reference/hbsc<CYCLE>_oa_documentation.json (the official study documentation HBSC2001OAed1.0,\n"
        "HBSC2006OAed1.0, HBSC2010OAed1.0 and HBSC2014OAed1.1, as text in shared/reference/hbsc_oa_codebooks/); edit the\n"
        "script, not this file. Line numbers are those of the documentation text.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        + block("DOCUMENTS", t["documents"], "Cycle -> the study documentation the figures come from.", "dict[str, str]")
        + "\n" + block("SAMPLE_SIZES", t["sizes"], "Cycle -> state -> cases in the open-access file (countryno, column \"Cases\"; 0: listed without cases).",
                "dict[str, dict[str, int]]")
        + "\n" + block("SAMPLE_SIZE_LINES", t["size_lines"], "Cycle -> state -> line of its case count in the documentation text.",
                       "dict[str, dict[str, int]]")
        + "\n" + block("POOLED_CASES", t["pooled"],
                       "Cycle -> variable -> valid code -> cases, all countries pooled, unweighted (the documentation's frequencies).",
                       "dict[str, dict[str, dict[int, int]]]")
        + "\n" + block("POOLED_LINES", t["pooled_lines"], "Cycle -> variable -> (first, last) line of its entry in the documentation text.",
                       "dict[str, dict[str, list[int]]]")
        + "\n" + block("REGION_CODES_2014", t["region_codes"], "2013/14 REG_NO code of each state (its code label is the country).",
                       "dict[str, int]")
    )


def main(argv: list[str]) -> int:
    fresh = text()
    if argv == ["--check"]:
        if OUT.read_text(encoding="utf-8") != fresh:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python tests/reference/hbsc_cycle_targets.py")
            return 1
        print("up to date")
        return 0
    OUT.write_text(fresh, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
