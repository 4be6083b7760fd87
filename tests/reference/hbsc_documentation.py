#!/usr/bin/env python3
"""Extract an HBSC open-access study documentation (DDI codebook, any of five cycles) into JSON.

Input : the text of the official DDI study documentation of one survey cycle, as shipped in the project's shared
        reference folder, shared/reference/hbsc_oa_codebooks/<DOCUMENT>.txt (text of the PDFs in GitHub
        repository wguillioli/HBSC, reference/, commit 56f81fab). Not in this repository: its path is given on
        the command line. The cycles and their documents (CYCLES below):
            2002  HBSC2001OAed1.0  HBSC-2001/02, ed.1.0
            2006  HBSC2006OAed1.0  HBSC-2005/06, ed.1.0
            2010  HBSC2010OAed1.0  HBSC-2009/10, ed.1.0
            2014  HBSC2014OAed1.1  HBSC-2013/14, ed.1.1
            2018  HBSC2018OAed1.1  HBSC-2017/18, ed.1.1
Output: tests/reference/hbsc<CYCLE>_oa_documentation.json (facts only, every one with its line number), the
        fixture of tests/survey/test_hbsc<CYCLE>_documentation.py / test_hbsc_cycles_documentation.py, which hold
        the shipped codebooks data/codebooks/hbsc<CYCLE>_oa.yaml to it.

The script parses the text; no value is typed in by hand. It is deterministic (same
input, same bytes out) and strict: a line of the variable descriptions that it cannot
place, or a variable of the variables list without a description, is an error.

Usage:  python tests/reference/hbsc_documentation.py CYCLE TEXT_FILE [OUTPUT_JSON]
        python tests/reference/hbsc_documentation.py --check CYCLE TEXT_FILE
            (re-extract and compare with the committed JSON; exit status 1 if it differs)

What it reads, per variable:
- the variables table: "Variables List" (2017/18: one table, position, abbreviated name, label, type,
  format with width and decimals, valid and invalid N, question as listed) or "Variables Group(s)"
  (2001/02-2013/14: the same columns, one table per variable group, positions restarting in every
  group; the group is recorded);
- the "Variables Description" block ("# name: label"): Information (type, format, range,
  missing codes), Statistics (valid, invalid, mean, standard deviation), Definition,
  Pre-question, Literal question, and the value table (code, label, cases, percentage),
  "Sysmiss" rows and the user-missing rows (codes listed in [Missing=*/..]).
Page furniture (page numbers, "File : ...", running heads, repeated block headers and
repeated table headers after a page break) is skipped.

Text repair: the PDF prints some UTF-8 characters as cp1252 mojibake ("Havenâ€™t" for
"Haven’t", "RÃ©gion" for "Région"). Every string is given as printed (`*_as_printed`, only
where it differs) and repaired (the main field); nothing else is changed except that the
line breaks of wrapped text are joined with one space.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent

# One entry per cycle: the document's identifier, its edition as the running heads print it, the "File :" line
# of its description pages, and the name of its country variable. Everything else is read from the text.
CYCLES = {
    "2002": {"document_id": "HBSC2001OAed1.0", "edition": "HBSC-2001/02, ed.1.0",
             "file_line": "HBSC-2001, OpenAccess, ed. 1.0", "country_variable": "countryno"},
    "2006": {"document_id": "HBSC2006OAed1.0", "edition": "HBSC-2005/06, ed.1.0",
             "file_line": "HBSC-2006, OpenAccess, ed. 1.0", "country_variable": "countryno"},
    "2010": {"document_id": "HBSC2010OAed1.0", "edition": "HBSC-2009/10, ed.1.0",
             "file_line": "HBSC-2010, OpenAccess, ed. 1.0", "country_variable": "countryno"},
    "2014": {"document_id": "HBSC2014OAed1.1", "edition": "HBSC-2013/14, ed.1.1",
             "file_line": "hbsc2014, OpenAccess, ed. 1.1", "country_variable": "COUNTRYno"},
    "2018": {"document_id": "HBSC2018OAed1.1", "edition": "HBSC-2017/18, ed.1.1",
             "file_line": "HBSC2018OAed1.1", "country_variable": "countryno"},
}


def output_path(cycle: str) -> Path:
    return HERE / f"hbsc{cycle}_oa_documentation.json"


def text_file_citation(cycle: str) -> str:
    return f"shared/reference/hbsc_oa_codebooks/{CYCLES[cycle]['document_id']}.txt"


def pdf_citation(cycle: str) -> str:
    return f"reference/{CYCLES[cycle]['document_id']}.pdf, GitHub repository wguillioli/HBSC, commit 56f81fab"

# HBSC countryno codes of the eleven CBSS member states (the package's data/strategy/states.csv).
# These are the only codes written here; every count and label is read from the document.
CBSS_COUNTRYNO = (208000, 233000, 246000, 276000, 352000, 428000, 440000, 578000, 616000, 643000, 752000)

# ---------------------------------------------------------------------------- text helpers

_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]+"
)


def repair(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 mojibake, run by run; leave genuine characters alone."""

    def fix(match: re.Match) -> str:
        try:
            return match.group(0).encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group(0)

    return _MOJIBAKE.sub(fix, text)


def text_field(printed: str | None) -> dict:
    """{"text": repaired} plus {"text_as_printed": printed} when the repair changed it."""
    if printed is None:
        return {"text": None}
    fixed = repair(printed)
    return {"text": fixed} if fixed == printed else {"text": fixed, "text_as_printed": printed}


def join(lines: list[str]) -> str:
    return " ".join(part.strip() for part in lines if part.strip())


def number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and re.fullmatch(r"-?\d+", text) else value


# ---------------------------------------------------------------------------- page furniture

_PAGE_NUMBER = re.compile(r"^- \d+ -$")
_RUNNING_HEAD = re.compile(r"^HBSC-2017/18, ed\.1\.1 - .+$")
_FILE_LINE = re.compile(r"^File :? ?HBSC2018OAed1\.1$")


def configure(cycle: str) -> None:
    """Set the page furniture of one cycle's document (running heads and "File :" lines differ)."""
    global _RUNNING_HEAD, _FILE_LINE
    config = CYCLES[cycle]
    _RUNNING_HEAD = re.compile("^" + re.escape(config["edition"]) + r" - .+$")
    _FILE_LINE = re.compile(r"^File :? ?" + re.escape(config["file_line"]) + "$")
_LIST_HEADER = "# Name Label Type Format Valid Invalid Question"
_TABLE_HEADER = "Value Label Cases Percentage"
_WARNING = re.compile(r"^Warning: these figures indicate the number of cases found in the data file\.")


def is_furniture(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(line) or _RUNNING_HEAD.match(line) or _FILE_LINE.match(line) or line == _LIST_HEADER)


# ---------------------------------------------------------------------------- study level


def section(lines: list[str], start_title: str, end_titles: tuple[str, ...], start_at: int = 0) -> tuple[int, list[tuple[int, str]]]:
    """Lines after the first line equal to start_title (from start_at) up to one of end_titles."""
    begin = next(i for i in range(start_at, len(lines)) if lines[i] == start_title)
    out = []
    for i in range(begin + 1, len(lines)):
        if lines[i] in end_titles:
            break
        if not is_furniture(lines[i]):
            out.append((i + 1, lines[i]))
    return begin + 1, out


def study(lines: list[str]) -> dict:
    def find(prefix: str, start: int = 0) -> tuple[int, str]:
        i = next(k for k in range(start, len(lines)) if lines[k].startswith(prefix))
        return i + 1, lines[i]

    overview_at = next(i for i, line in enumerate(lines) if line == "Overview")
    id_line, id_text = find("Identification ", overview_at)
    version_line, version_text = find("Version ", overview_at)
    unit_line, unit_text = find("Unit of Analysis ")
    universe_line = next(i for i, line in enumerate(lines) if line == "Universe") + 2
    date_line = next(i for i, line in enumerate(lines[:20]) if re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4}", line)) + 1
    production_line, production_text = find("Production Date ")
    sampling_at, sampling = section(lines, "Sampling", ("Data Collection",), start_at=overview_at)
    titles = {"Sampling Procedure", "Sample selection", "Probability proportional to size (PPS) sampling", "Weighting",
              "Response Rate"}
    paragraphs: list[dict] = []
    for line_no, text in sampling:
        if text in titles:
            paragraphs.append({"heading": text, "line": line_no, "lines": [line_no, line_no], "parts": []})
        elif paragraphs:
            paragraphs[-1]["parts"].append(text)
            paragraphs[-1]["lines"][1] = line_no
    for paragraph in paragraphs:
        paragraph["text"] = join(paragraph.pop("parts"))
    mode_line, mode_text = find("Data Collection Mode ")
    files_line, _ = find("# Cases ")
    cases = int(re.search(r"\d+", lines[files_line - 1]).group())
    n_variables = int(re.search(r"\d+", lines[files_line]).group())
    version = {"text": version_text.split(" ", 1)[1], "line": version_line}
    if not re.fullmatch(r"HBSC \d{4} OA edition \d\.\d", version["text"]):
        # 2001/02-2013/14 print "Version Production Date: 2015-10-01" and the edition on the next line
        if not re.fullmatch(r"HBSC \d{4} OA edition \d\.\d", lines[version_line]):
            raise SystemExit(f"line {version_line}: cannot read the version {version_text!r}")
        version = {"text": lines[version_line], "line": version_line + 1,
                   "printed_after": {"text": version["text"], "line": version_line}}
        notes, k = [], version_line + 1
        while re.fullmatch(r"HBSC \d{4} OA edition \d\.\d: .+", lines[k]):  # 2013/14: "... 1.1: Removed Lithuanian data"
            notes.append({"text": lines[k], "line": k + 1})
            k += 1
        if notes:
            version["edition_notes"] = notes
    universe = [lines[universe_line - 1]]
    while lines[universe_line - 1 + len(universe)] != "Producers & Sponsors":
        universe.append(lines[universe_line - 1 + len(universe)])
    universe_field = {"text": join(universe), "line": universe_line}
    if len(universe) > 1:
        universe_field["lines"] = [universe_line, universe_line + len(universe) - 1]
    return {
        "identification": {"text": id_text.split(" ", 1)[1], "line": id_line},
        "version": version,
        "documentation_date": {"text": lines[date_line - 1], "line": date_line},
        "production_date": {"text": production_text.split("Production Date ", 1)[1], "line": production_line},
        "unit_of_analysis": {"text": unit_text.split("Unit of Analysis ", 1)[1], "line": unit_line},
        "universe": universe_field,
        "sampling": {"line": sampling_at, "paragraphs": paragraphs},
        "data_collection_mode": {"text": mode_text.split("Data Collection Mode ", 1)[1], "line": mode_line},
        "file": {"cases": cases, "variables": n_variables, "line": files_line},
    }


# ---------------------------------------------------------------------------- variables list

_LIST_ROW = re.compile(r"^(?P<pos>\d{1,3}) (?P<name>\S+(?: \.\.)?) ?(?P<rest>.*)$")
_LIST_STATS = re.compile(
    r"(?:^|\s)(?P<type>discrete|continuous) (?P<storage>numeric|character)-(?P<width>\d+)(?:\.(?P<decimals>\d+))? "
    r"(?P<valid>\d+) (?P<invalid>\d+) ?(?P<question>.*)$"
)


def _is_group_line(lines: list[str], i: int) -> bool:
    """ "Group <name>" opens a group of the grouped variables table: it is followed by the table header or,
    for a group without variables, by the next "Group" line."""
    if not lines[i].startswith("Group "):
        return False
    j = i + 1
    while j < len(lines) and lines[j] != _LIST_HEADER and is_furniture(lines[j]):  # a page break after the group line
        j += 1
    return j < len(lines) and (lines[j] == _LIST_HEADER or (lines[j].startswith("Group ") and _is_group_line(lines, j)))


def variables_list(lines: list[str]) -> list[dict]:
    start = next((i for i, line in enumerate(lines) if line in ("Variables List", "Variables Group(s)")), None)
    if start is None:
        raise SystemExit("no 'Variables List' or 'Variables Group(s)' section")
    grouped = lines[start] == "Variables Group(s)"
    end = next(i for i in range(start, len(lines)) if _RUNNING_HEAD.match(lines[i]) and lines[i].endswith("Variables Description"))
    rows: list[dict] = []
    current: dict | None = None
    group: dict | None = None
    for i in range(start + 1, end):
        line = lines[i]
        if is_furniture(line) or line.startswith("Dataset contains "):
            continue
        if grouped and _is_group_line(lines, i):
            if current is not None and current["stats"] is None:
                raise SystemExit(f"line {i + 1}: group starts before row {current['pos']} (line {current['line']}) is complete")
            group = {"name": line.removeprefix("Group "), "line": i + 1, "rows": 0}
            current = None
            continue
        if grouped and group is None:
            raise SystemExit(f"line {i + 1}: cannot place {line!r} before the first group")
        expected = (group["rows"] if grouped else len(rows)) + 1
        match = _LIST_ROW.match(line)
        if match and int(match.group("pos")) == expected and (current is None or current["stats"] is not None):
            current = {"pos": int(match.group("pos")), "name": match.group("name"), "line": i + 1,
                       "label_parts": [], "question_parts": [], "stats": None}
            if grouped:
                group["rows"] += 1
                current["group"] = {"name": group["name"], "line": group["line"], "position_in_group": current["pos"]}
                current["pos"] = len(rows) + 1
            rows.append(current)
            line = match.group("rest")
        if current is None:
            raise SystemExit(f"line {i + 1}: cannot place {line!r} in the variables table")
        if current["stats"] is None:
            stats = _LIST_STATS.search(line)
            if stats:
                current["label_parts"].append(line[: stats.start()].strip())
                current["stats"] = stats.groupdict()
                current["question_parts"].append(stats.group("question"))
            else:
                current["label_parts"].append(line)
        else:
            current["question_parts"].append(line)
    out = []
    for row in rows:
        stats = row["stats"]
        if stats is None:
            raise SystemExit(f"variables list: no type/format/N found for row {row['pos']} (line {row['line']})")
        question = join(row["question_parts"])
        out.append({
            "position": row["pos"],
            "name_as_listed": row["name"],
            "line": row["line"],
            "label": join(row["label_parts"]),
            "type": stats["type"],
            "format": {
                "storage": stats["storage"],
                "width": int(stats["width"]),
                "decimals": int(stats["decimals"]) if stats["decimals"] is not None else None,
                "as_printed": f"{stats['storage']}-{stats['width']}" + (f".{stats['decimals']}" if stats["decimals"] is not None else ""),
            },
            "valid": int(stats["valid"]),
            "invalid": int(stats["invalid"]),
            "question": None if question in {"", "-"} else question,
            **({"group": row["group"]} if "group" in row else {}),
        })
    return out


# ---------------------------------------------------------------------------- variable descriptions

_HEADER = re.compile(r"^# (?P<name>[A-Za-z][A-Za-z0-9_]*): (?P<label>.+)$")
_INFORMATION = re.compile(
    r"^Information \[Type= (?P<type>\w+)\] \[Format=(?P<format>\w+)\](?: \[Range= (?P<range>[^\]]+)\])? \[Missing=(?P<missing>[^\]]*)\]$"
)
_STATISTICS = re.compile(r"^Statistics \[NW/ W\] \[Valid=(?P<valid>\d+) /-\] \[Invalid=(?P<invalid>\d+) /-\](?P<rest>.*)$")
_STAT_EXTRA = re.compile(r"\[(?P<key>Mean|StdDev)=(?P<value>[-\d.]+) /-\]")
_VALUE_PCT = re.compile(r"^(?P<code>\S+)(?: (?P<label>.*?))? (?P<cases>\d+) (?P<pct>\d+\.\d)%$")
_VALUE_NOPCT = re.compile(r"^(?P<code>\S+)(?: (?P<label>.*?))? (?P<cases>\d+)$")
_VALUE_NOCOUNT = re.compile(r"^(?P<code>\S+) (?P<label>\D.*)$")
_SYSMISS = re.compile(r"^Sysmiss (?P<cases>\d+)$")
_FIELDS = ("Definition", "Pre-question", "Literal question", "Post-question", "Notes")  # the last two: 2001/02-2013/14


def descriptions(lines: list[str]) -> list[dict]:
    start = next(i for i, line in enumerate(lines) if line == "Variables Description")
    blocks: list[dict] = []
    block: dict | None = None
    field: str | None = None
    in_table = False
    for i in range(start + 1, len(lines)):
        line = lines[i].rstrip()
        n = i + 1
        if not line or is_furniture(line) or line.startswith("Dataset contains "):
            continue
        header = _HEADER.match(line)
        if header:
            if block is not None and header.group("name") == block["name"]:
                block["continuation_lines"].append(n)  # the block goes on after a page break
                continue
            block = {"name": header.group("name"), "header_label": header.group("label"), "line": n,
                     "last_line": n, "continuation_lines": [], "fields": {}, "field_lines": {},
                     "values": [], "sysmiss": None, "warning_line": None, "info": None, "stats": None}
            blocks.append(block)
            field, in_table = None, False
            continue
        if block is None:
            continue
        block["last_line"] = n
        if line.startswith("Information ["):
            block["info"] = (_match(_INFORMATION, line, n).groupdict(), n)
            continue
        if line.startswith("Statistics ["):
            block["stats"] = (_match(_STATISTICS, line, n).groupdict(), n)
            continue
        if _WARNING.match(line):
            block["warning_line"], field, in_table = n, None, False
            continue
        if line == _TABLE_HEADER:
            if not in_table:
                block["table_line"] = n
            field, in_table = None, True
            continue
        starts = next((f for f in _FIELDS if line == f or line.startswith(f + " ")), None)
        if starts and not in_table:
            field = starts
            block["fields"][field] = [line[len(starts):].strip()]
            block["field_lines"][field] = [n, n]
            continue
        if in_table:
            character = block["info"] is not None and block["info"][0]["format"] == "character"
            if character and _wrapped_character_row(block["values"], line, n):
                continue
            block["values"].append(_value_row(line, n))
            continue
        if field is not None:
            block["fields"][field].append(line)
            block["field_lines"][field][1] = n
            continue
        raise SystemExit(f"line {n}: cannot place {line!r} in the description of {block['name']!r}")
    return blocks


def _match(pattern: re.Pattern, line: str, n: int) -> re.Match:
    match = pattern.match(line)
    if not match:
        raise SystemExit(f"line {n}: unexpected format {line!r}")
    return match


_CASES_PCT = re.compile(r"^(?P<cases>\d+) (?P<pct>\d+\.\d)%$")


def _wrapped_character_row(values: list[dict], line: str, n: int) -> bool:
    """A free-text code of a character variable wrapped over lines (2013/14: "10 wenn ich was" / "ausmache" /
    "1 0.0%", or "Immer" / "unterschiedlich" / "1 0.0%"). A line that reads as no value row continues the
    previous row if that row has no count yet, or else starts a row; a bare "cases percentage" line completes a
    wrapped row. Every other line is left to _value_row."""
    counts = _CASES_PCT.match(line)
    pending = bool(values) and "sysmiss" not in values[-1] and values[-1]["cases"] is None
    if pending and counts:
        values[-1]["cases"], values[-1]["percent"] = int(counts.group("cases")), float(counts.group("pct"))
        values[-1].setdefault("wrapped_lines", []).append(n)
        return True
    if pending:
        # a wrapped row takes every line up to its count ("ungefÃ¤hr 100" included) except a complete row; a
        # "code label" row without a count takes the next line unless that line is a row with a count
        ends = (_VALUE_PCT, _SYSMISS) if "wrapped_lines" in values[-1] else (_VALUE_PCT, _VALUE_NOPCT, _SYSMISS)
        if not any(p.match(line) for p in ends):
            values[-1]["label_printed"] = join([values[-1]["label_printed"] or "", line])
            values[-1].setdefault("wrapped_lines", []).append(n)
            return True
        return False
    if counts or any(p.match(line) for p in (_VALUE_PCT, _VALUE_NOPCT, _VALUE_NOCOUNT, _SYSMISS)):
        return False
    code, _, rest = line.partition(" ")
    values.append({"code_text": code, "label_printed": rest or None, "cases": None, "percent": None, "line": n,
                   "wrapped_lines": []})
    return True


def _value_row(line: str, n: int) -> dict:
    sysmiss = _SYSMISS.match(line)
    if sysmiss:
        return {"sysmiss": int(sysmiss.group("cases")), "line": n}
    for pattern, has_pct, has_cases in ((_VALUE_PCT, True, True), (_VALUE_NOPCT, False, True), (_VALUE_NOCOUNT, False, False)):
        match = pattern.match(line)
        if match:
            return {
                "code_text": match.group("code"),
                "label_printed": match.group("label") or None,
                "cases": int(match.group("cases")) if has_cases else None,
                "percent": float(match.group("pct")) if has_pct else None,
                "line": n,
            }
    raise SystemExit(f"line {n}: cannot read value row {line!r}")


# ---------------------------------------------------------------------------- assemble


def parse_range(text: str | None) -> dict | None:
    if text is None:
        return None
    match = re.fullmatch(r"(?P<low>-?[\d.]+(?:e[+-]\d+)?)-(?P<high>-?[\d.]+(?:e[+-]\d+)?)", text.strip())
    if not match:
        raise SystemExit(f"cannot read range {text!r}")
    return {"min": number(match.group("low")), "max": number(match.group("high")), "as_printed": text.strip()}


def parse_missing(text: str) -> dict:
    parts = [p.strip() for p in text.split("/")]
    return {
        "as_printed": text,
        "system_missing": "*" in parts,
        "user_missing_codes": [number(p) for p in parts if p and p != "*"],
    }


def build_variable(row: dict, block: dict, total_cases: int) -> dict:
    info, info_line = block["info"]
    stats, stats_line = block["stats"]
    storage = info["format"]
    missing = parse_missing(info["missing"])
    value_range = parse_range(info["range"])
    values, user_missing, problems = [], [], []
    sysmiss = None
    for entry in block["values"]:
        if "sysmiss" in entry:
            sysmiss = {"cases": entry["sysmiss"], "line": entry["line"]}
            continue
        code = entry["code_text"] if storage == "character" else number(entry["code_text"])
        item = {"code": code, **_label(entry["label_printed"]), "cases": entry["cases"],
                "percent": entry["percent"], "line": entry["line"],
                **({"wrapped_lines": entry["wrapped_lines"]} if "wrapped_lines" in entry else {})}
        if code in missing["user_missing_codes"]:
            user_missing.append(item)
        else:
            values.append(item)
    valid, invalid = int(stats["valid"]), int(stats["invalid"])
    extra = {m.group("key").lower(): float(m.group("value")) for m in _STAT_EXTRA.finditer(stats["rest"])}
    tabulated_valid = sum(v["cases"] or 0 for v in values)
    tabulated_missing = sum(v["cases"] or 0 for v in user_missing) + (sysmiss["cases"] if sysmiss else 0)
    checks = {
        "valid_plus_invalid_equals_file_cases": valid + invalid == total_cases,
        "list_and_description_agree_on_valid_invalid": (row["valid"], row["invalid"]) == (valid, invalid),
        "value_table_printed": bool(block["values"]),
    }
    frequency_table = any(v["percent"] is not None for v in values)
    if block["values"]:
        # Only a frequency table (valid rows with percentages) is expected to add up to the valid N, and
        # only a table with a "Sysmiss" row to the invalid N (id2 and MBMI print a single labelled code).
        checks["tabulated_valid_cases"] = tabulated_valid
        checks["tabulated_valid_equals_valid"] = tabulated_valid == valid if frequency_table else None
        checks["tabulated_missing_equals_invalid"] = tabulated_missing == invalid if sysmiss is not None or invalid == 0 else None
    if not row["name_as_listed"].endswith(" ..") and row["name_as_listed"] != block["name"]:
        problems.append(f"list name {row['name_as_listed']!r} differs from description name {block['name']!r}")
    fields = {}
    for key, out in (("Definition", "definition"), ("Pre-question", "pre_question"), ("Literal question", "literal_question")):
        if key in block["fields"]:
            fields[out] = {**text_field(join(block["fields"][key])), "lines": block["field_lines"][key]}
        else:
            fields[out] = None
    for key, out in (("Post-question", "post_question"), ("Notes", "notes")):
        if key in block["fields"]:  # printed by the older documents only; not part of the question
            fields[out] = {**text_field(join(block["fields"][key])), "lines": block["field_lines"][key]}
    question_parts = [f["text"] for f in (fields["pre_question"], fields["literal_question"]) if f]
    return {
        "position": row["position"],
        **({"group": row["group"]} if "group" in row else {}),
        "name": block["name"],
        "name_as_listed": row["name_as_listed"],
        **({"name_and_label_printed_as": row["name_and_label_printed_as"]} if "name_and_label_printed_as" in row else {}),
        "line": block["line"],
        "lines": [block["line"], block["last_line"]],
        "list_line": row["line"],
        "label": repair(block["header_label"]),
        "label_in_list": row["label"],
        "type": info["type"],
        "type_in_list": row["type"],
        "format": {"storage": storage, "width": row["format"]["width"], "decimals": row["format"]["decimals"],
                   "in_list": row["format"]["as_printed"], "line": info_line},
        "range": value_range,
        "missing": {**missing, "line": info_line},
        "valid_n": valid,
        "missing_n": invalid,
        "statistics_line": stats_line,
        **({"mean": extra["mean"]} if "mean" in extra else {}),
        **({"stddev": extra["stddev"]} if "stddev" in extra else {}),
        "question_in_list": row["question"],
        "definition": fields["definition"],
        "pre_question": fields["pre_question"],
        "literal_question": fields["literal_question"],
        **({"post_question": fields["post_question"]} if "post_question" in fields else {}),
        **({"notes": fields["notes"]} if "notes" in fields else {}),
        "question": " ".join(question_parts) if question_parts else None,
        "values": values,
        "value_labels_printed": any(v["label"] is not None for v in values),
        "user_missing": user_missing,
        "sysmiss": sysmiss,
        "checks": checks,
        **({"problems": problems} if problems else {}),
    }


def _label(printed: str | None) -> dict:
    if printed is None:
        return {"label": None}
    fixed = repair(printed)
    return {"label": fixed} if fixed == printed else {"label": fixed, "label_as_printed": printed}


# ---------------------------------------------------------------------------- countries, region, id1


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower())) - {"of", "the", "belgium", "republic"}


def cbss_states_of(country: dict) -> list[dict]:
    """The CBSS states' rows of the country variable's value table (strict: every state must be listed)."""
    out = []
    for code in CBSS_COUNTRYNO:
        rows = [v for v in country["values"] if v["code"] == code]
        if len(rows) != 1:
            raise SystemExit(f"{country['name']}: code {code} is listed {len(rows)} times (expected once)")
        out.append(rows[0])
    return out


def countries_generic(variables: dict[str, dict], country_variable: str) -> dict:
    """Cycles without 2017/18's region/id1 pair: the country table and the CBSS states' rows of it."""
    country = variables[country_variable]
    cbss = [{"countryno": c["code"], "country": c["label"], "cases": c["cases"], "percent": c["percent"], "line": c["line"]}
            for c in cbss_states_of(country)]
    return {
        "country_variable": country_variable,
        "countryno": {
            "line": country["line"],
            "countries_listed": len(country["values"]),
            "countries_with_cases": sum(1 for c in country["values"] if c["cases"]),
            "cases_total": sum(c["cases"] or 0 for c in country["values"]),
            "per_country": [{"countryno": c["code"], "country": c["label"], "cases": c["cases"], "percent": c["percent"],
                             "line": c["line"]} for c in country["values"]],
        },
        "cbss_states": cbss,
        "cbss_cases_total": sum(s["cases"] or 0 for s in cbss),
        "cbss_states_without_cases": [s["country"] for s in cbss if not s["cases"]],
        "per_country_note": ("The documentation gives per-country counts only for the country variable; every other "
                             "variable (design variables included) is tabulated pooled over all countries."),
    }


def countries(variables: dict[str, dict], total: int) -> dict:
    country = variables["countryno"]
    region = variables["region"]
    id1 = variables["id1"]
    by_count: dict[int, list[dict]] = {}
    for c in country["values"]:
        by_count.setdefault(c["cases"], []).append(c)
    region_rows = []
    for r in region["values"]:
        candidates = by_count.get(r["cases"], [])
        if len(candidates) > 1:
            candidates = [c for c in candidates if _words(c["label"]) & _words(r["label"])]
        match = candidates[0] if len(candidates) == 1 else None
        region_rows.append({"region": r["code"], "region_label": r["label"], "cases": r["cases"], "line": r["line"],
                            "countryno": match["code"] if match else None, "countryno_label": match["label"] if match else None})
    region_of = {row["countryno"]: row for row in region_rows if row["countryno"] is not None}
    cbss = []
    for code in CBSS_COUNTRYNO:
        c = next(v for v in country["values"] if v["code"] == code)
        r = region_of.get(code)
        cbss.append({
            "countryno": code, "country": c["label"], "cases": c["cases"], "percent": c["percent"], "line": c["line"],
            "region_codes": [r["region"]] if r else [],
            "region_label": r["region_label"] if r else None,
            "region_cases": r["cases"] if r else None,
            "region_line": r["line"] if r else None,
            "region_constant_within_country": bool(r and r["cases"] == c["cases"]),
            "id1": "not given per country in the documentation (pooled counts only, see id1_pooled)",
        })
    id1_values = id1["values"]
    no_info = next(v for v in id1_values if v["code"] == 999)
    country_counts = [c["cases"] for c in country["values"] if c["cases"]]
    # Could the 999 rows be one or several whole countries? Only subsets whose sum can reach the count need testing.
    small = sorted(n for n in country_counts if n <= no_info["cases"])
    whole_country_subsets = [list(s) for k in range(1, len(small) + 1) for s in combinations(small, k) if sum(s) == no_info["cases"]]
    codes = [v["code"] for v in id1_values]
    return {
        "countryno": {
            "line": country["line"],
            "countries_listed": len(country["values"]),
            "countries_with_cases": sum(1 for c in country["values"] if c["cases"]),
            "cases_total": sum(c["cases"] for c in country["values"]),
            "per_country": [{"countryno": c["code"], "country": c["label"], "cases": c["cases"], "percent": c["percent"],
                             "line": c["line"]} for c in country["values"]],
        },
        "cbss_states": cbss,
        "cbss_cases_total": sum(s["cases"] for s in cbss),
        "region": {
            "line": region["line"],
            "storage": region["format"]["storage"],
            "width": region["format"]["width"],
            "codes_listed": len(region["values"]),
            "matched_to_countryno_by_cases_and_name": region_rows,
            "every_region_code_has_exactly_the_cases_of_one_countryno": all(
                row["countryno"] is not None for row in region_rows),
            "reading": ("region holds one HBSC region code per country (ISO 3166 style; sub-national only for "
                        "Belgium BE-VLG/BE-WAL and the United Kingdom GB-ENG/GB-SCT/GB-WLS/GB-NI), with the same "
                        "case count as that country's countryno code: it is constant within every country"),
        },
        "id1_pooled": {
            "line": id1["line"],
            "label": id1["label"],
            "range": id1["range"],
            "codes_listed": len(id1_values),
            "codes": {"min": min(codes), "max_below_999": max(c for c in codes if c != 999),
                      "consecutive_1_to_max": codes[:-1] == list(range(1, len(codes)))},
            "no_stratification_code": {"code": 999, "label": no_info["label"], "cases": no_info["cases"],
                                       "percent": no_info["percent"], "line": no_info["line"]},
            "cases_total": sum(v["cases"] for v in id1_values),
            "per_country": None,
            "per_country_note": ("The documentation tabulates id1 pooled over all countries only; it does not say "
                                 "which countries use which id1 codes, nor which countries have 999."),
            "whole_countries_summing_to_999_cases": whole_country_subsets,
            "countries_small_enough_to_be_wholly_999": [
                {"countryno": c["code"], "country": c["label"], "cases": c["cases"], "line": c["line"]}
                for c in country["values"] if c["cases"] and c["cases"] <= no_info["cases"]],
            "deduction": ("No single country and no set of whole countries has exactly the 999 count (see "
                          "whole_countries_summing_to_999_cases), so the 999 rows are not one or more whole "
                          "countries: some of them belong to a country whose other rows carry id1 codes. Only a "
                          "country listed in countries_small_enough_to_be_wholly_999 could have all its rows 999."
                          if not whole_country_subsets else
                          "Some set of whole countries has exactly the 999 count; 999 may cover whole countries."),
        },
    }


# ---------------------------------------------------------------------------- main


def extract(cycle: str, text_path: Path) -> dict:
    configure(cycle)
    config = CYCLES[cycle]
    raw = text_path.read_bytes()
    lines = raw.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    head = study(lines)
    listed = variables_list(lines)
    blocks = descriptions(lines)
    if len(listed) != head["file"]["variables"] or len(blocks) != len(listed):
        raise SystemExit(f"expected {head['file']['variables']} variables, list has {len(listed)}, descriptions {len(blocks)}")
    variables = []
    grouped = "group" in listed[0]
    if grouped:
        # 2001/02-2013/14: the table lists the variables group by group, the descriptions in file order. Pair them
        # by name (exact, else the one listed name that starts with the described name: "..", or a name printed
        # joined to its label); every listed row must be used exactly once.
        unused = {row["name_as_listed"]: row for row in listed}
        pairs = []
        for block in blocks:
            name = block["name"]
            candidates = [name] if name in unused else [k for k in unused if k.removesuffix(" ..").startswith(name) or (
                k.endswith(" ..") and name.startswith(k.removesuffix(" ..")))]
            if len(candidates) != 1:
                raise SystemExit(f"description {name!r} (line {block['line']}): {len(candidates)} matching rows in the variables table")
            pairs.append((unused.pop(candidates[0]), block))
        if unused:
            raise SystemExit(f"rows of the variables table without a description: {sorted(unused)}")
        # position = the place in the file (the order of the descriptions); the table's place is in "group"
        pairs = [({**row, "position": k}, block) for k, (row, block) in enumerate(pairs, start=1)]
    else:
        pairs = list(zip(listed, blocks, strict=True))
    for row, block in pairs:
        listed_name = row["name_as_listed"]
        if listed_name != block["name"] and not listed_name.endswith(" ..") and listed_name.startswith(block["name"]):
            # 2001/02-2009/10 print "contraceptwithdrawContraceptive-withdrawal": name and label without a space
            row = {**row, "name_as_listed": block["name"], "label": join([listed_name[len(block["name"]):], row["label"]]),
                   "name_and_label_printed_as": listed_name}
        prefix = row["name_as_listed"].removesuffix(" ..")
        if not block["name"].startswith(prefix):
            raise SystemExit(f"list row {row['position']} {row['name_as_listed']!r} does not match description {block['name']!r}")
        variables.append(build_variable(row, block, head["file"]["cases"]))
    by_name = {v["name"]: v for v in variables}
    return {
        "source": {
            "document_id": config["document_id"],
            "title": f"Health Behaviour in School-aged Children, {config['edition']}, Study Documentation",
            "text_file": text_file_citation(cycle),
            "text_sha256": hashlib.sha256(raw).hexdigest(),
            "text_lines": len(lines),
            "pdf": pdf_citation(cycle),
            "line_numbers": "1-based line numbers of the text file",
            "extracted_by": f"tests/reference/hbsc_documentation.py {cycle}; deterministic, no hand-typed values",
        },
        "study": head,
        "variables": variables,
        "countries": (countries(by_name, head["file"]["cases"]) if cycle == "2018"
                      else countries_generic(by_name, config["country_variable"])),
        "summary": summary(variables),
    }


def summary(variables: list[dict]) -> dict:
    def failed(check: str) -> list[str]:
        return [v["name"] for v in variables if v["checks"].get(check) is False]

    return {
        "variables": len(variables),
        "character_variables": [v["name"] for v in variables if v["format"]["storage"] == "character"],
        "with_user_missing_codes": {v["name"]: v["missing"]["user_missing_codes"] for v in variables if v["missing"]["user_missing_codes"]},
        "without_printed_value_labels_but_with_value_table": [
            v["name"] for v in variables if v["values"] and not v["value_labels_printed"]],
        "mojibake_repaired": sorted({v["name"] for v in variables if any("label_as_printed" in x for x in v["values"] + v["user_missing"])
                                     or any(f and "text_as_printed" in f for f in (v["pre_question"], v["literal_question"]))}),
        "checks_failed": {
            "valid_plus_invalid_equals_file_cases": failed("valid_plus_invalid_equals_file_cases"),
            "list_and_description_agree_on_valid_invalid": failed("list_and_description_agree_on_valid_invalid"),
            "tabulated_valid_equals_valid": failed("tabulated_valid_equals_valid"),
            "tabulated_missing_equals_invalid": failed("tabulated_missing_equals_invalid"),
        },
        "format_width_narrower_than_range": [
            v["name"] for v in variables
            if v["range"] and v["format"]["storage"] == "numeric" and v["format"]["decimals"] == 0
            and len(str(int(abs(v["range"]["max"])))) > v["format"]["width"]],
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    check = argv[:1] == ["--check"]
    if check:
        argv = argv[1:]
    if len(argv) < 2 or len(argv) > (2 if check else 3) or argv[0] not in CYCLES:
        print(__doc__.split("Usage:", 1)[1].split("What it reads", 1)[0].rstrip(), file=sys.stderr)
        print(f"CYCLE is one of {', '.join(CYCLES)}", file=sys.stderr)
        return 2
    cycle = argv[0]
    text_path = Path(argv[1])
    if not text_path.is_file():
        print(f"{text_path}: no such file (the text of {CYCLES[cycle]['document_id']})", file=sys.stderr)
        return 2
    default_output = output_path(cycle)
    if check:
        fresh = dumps(extract(cycle, text_path))
        same = default_output.read_text(encoding="utf-8") == fresh
        print("up to date" if same else f"{default_output.name} differs from a fresh extraction")
        return 0 if same else 1
    output = Path(argv[2]) if len(argv) > 2 else default_output
    output.write_text(dumps(extract(cycle, text_path)), encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
