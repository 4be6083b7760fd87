"""Write data/published/hbsc_pooled_indicators.csv: each harmonised indicator's pooled HBSC figure per cycle.

Real figures, all HBSC countries and regions pooled, unweighted: from the documentation extracts
tests/reference/hbsc<CYCLE>_oa_documentation.json (made by hbsc_documentation.py from the official HBSC open-access
study documentation HBSC2001OAed1.0, HBSC2006OAed1.0, HBSC2010OAed1.0, HBSC2014OAed1.1, HBSC2018OAed1.1), each
variable's cases per code. An indicator is computed where its cycle codebook (data/codebooks/hbsc<CYCLE>_oa.yaml)
defines it on one variable with an ``at_least`` or ``in`` rule: its codes' cases over the cases of the variable's
valid codes (those of its population when the population restricts that variable). A restriction by age group
(ever_had_sex: 15-year-olds) cannot be applied to one-way counts: the row says that its denominator is every valid
answer. Indicators of a subgroup defined by another item (the sexually active) are left out: one-way counts cannot
give them. Not CBSS figures: pooled over every country of the cycle's file.

Usage:  python tests/reference/hbsc_pooled_indicators.py [--check]
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "reference"
OUT = ROOT / "data" / "published" / "hbsc_pooled_indicators.csv"
CYCLES = {"2002": "2001/02", "2006": "2005/06", "2010": "2009/10", "2014": "2013/14", "2018": "2017/18"}
COLUMNS = ("survey", "indicator", "variable", "codes", "cases", "valid_cases", "value_pct",
           "denominator", "document", "lines", "source", "source_url", "confidence")


def _codes(codes: list[int]) -> str:
    return " ".join(str(c) for c in sorted(codes))


def rows() -> list[dict]:
    out = []
    for year, cycle in CYCLES.items():
        doc = json.loads((REFERENCE / f"hbsc{year}_oa_documentation.json").read_text(encoding="utf-8"))
        book = yaml.safe_load((ROOT / "data" / "codebooks" / f"hbsc{year}_oa.yaml").read_text(encoding="utf-8"))
        documented = {v["name"]: v for v in doc["variables"]}
        entries = {v["name"]: v for v in book["variables"]}
        for indicator in book.get("indicators", []):
            names, rule = indicator["variables"], indicator["rule"]
            if len(names) != 1 or not set(rule) <= {"at_least", "in"} or names[0] not in documented:
                continue
            name = names[0]
            valid = [c for c in entries[name].get("values", {}) if c not in set(entries[name].get("missing", []))]
            cases = {int(c["code"]): int(c["cases"]) for c in documented[name]["values"] if c.get("cases") is not None}
            population = indicator.get("population") or {}
            own = [int(c) for c in population.get(name, valid)]
            counted = [c for c in own if c >= rule["at_least"]] if "at_least" in rule else [int(c) for c in rule["in"]]
            denominator = sum(cases.get(c, 0) for c in own)
            others = sorted(set(population) - {name})
            if any(other.lower() != "agecat" for other in others):
                continue
            first, last = documented[name]["lines"]
            out.append({
                "survey": f"HBSC {cycle}", "indicator": indicator["id"], "variable": name,
                "codes": _codes(counted), "cases": sum(cases.get(c, 0) for c in counted), "valid_cases": denominator,
                "value_pct": f"{100 * sum(cases.get(c, 0) for c in counted) / denominator:.1f}",
                "denominator": (f"valid answers with codes {_codes(own)}, every age"
                                + ("; the indicator's restriction to 15-year-olds cannot be applied to the "
                                   "documentation's one-way counts" if others else "")),
                "document": doc["source"]["document_id"], "lines": f"{first}-{last}",
                "source": (f"HBSC open-access study documentation {doc['source']['document_id']}, variable {name}, "
                           "cases per code, all countries pooled, unweighted"),
                "source_url": "", "confidence": "H",
            })
    return out


def text() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows())
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    fresh = text()
    if argv == ["--check"]:
        if OUT.read_text(encoding="utf-8") != fresh:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python tests/reference/hbsc_pooled_indicators.py")
            return 1
        print("up to date")
        return 0
    OUT.write_text(fresh, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
