"""cbss_analysis.reports.findings: key findings written from records and published tables, never computed."""

from __future__ import annotations

from cbss_analysis.reports.findings import comparison_sentences, figure_text, key_findings, lead_finding, suppression_sentence

RULE = "Holm-adjusted p < 0.05 across the 29 differences shown"


def _profile(marked: list[dict], family: int = 29) -> dict:
    counts = {"higher": 0, "lower": 0, "better": 0, "worse": 0}
    for cell in marked:
        counts[cell["direction"]] += 1
        if cell.get("judgement"):
            counts[cell["judgement"]] += 1
    return {"kind": "comparison", "rule": RULE, "family": family, "reference": "the regional average", "unit": "percent",
            "states": ["Estonia"], "counts": counts, "by_state": {"Estonia": counts}, "marked": marked,
            "marked_total": len(marked)}


def test_a_figure_reads_in_its_unit_with_its_interval():
    assert figure_text({"value": 28.15, "unit": "percent", "interval": [26.0, 30.4], "level": 0.95}) == \
        "28.1% (95% CI 26.0–30.4%)"
    assert figure_text({"value": 47421, "unit": "count"}) == "47,421"
    assert figure_text({"value": None, "unit": "percent"}) == "–"


def test_a_state_profile_says_where_the_state_stands_in_words():
    cells = [
        {"indicator": "Cyberbullied", "state": "Estonia", "estimate": 16.8, "reference": 12.9, "difference": 3.9,
         "p_adjusted": 1e-6, "direction": "higher", "judgement": "worse"},
        {"indicator": "Problematic social media use", "state": "Estonia", "estimate": 5.4, "reference": 6.8,
         "difference": -1.4, "p_adjusted": 0.01, "direction": "lower", "judgement": "better"},
    ]
    first, second = comparison_sentences(_profile(cells))
    assert first == (f"Estonia differs from the regional average on 2 of 29 indicators ({RULE}): higher on 1, lower on 1; "
                     "of these, better than the average on 1 and worse on 1 of the indicators whose better direction "
                     "the codebook gives.")
    assert "worse than the average on Cyberbullied (16.8% against 12.9%)" in second
    assert "better on Problematic social media use (5.4% against 6.8%)" in second
    assert comparison_sentences(_profile([])) == [
        f"Estonia does not differ from the regional average on any of the 29 indicators compared ({RULE})."]


def test_the_rule_is_quoted_from_the_record_never_written_here():
    value = _profile([])
    value["rule"] = "a rule named by the code that applied it"
    assert "a rule named by the code that applied it" in comparison_sentences(value)[0]


def test_suppression_is_said_and_counted_from_the_published_tables():
    rule = "estimates from fewer than 30 respondents are suppressed"
    tables = [{"cells": 10, "suppressed_cells": 1, "suppression": rule}, {"cells": 0}]
    assert suppression_sentence(tables) == f"1 of the 10 estimates in this report's tables is suppressed ({rule})."
    assert suppression_sentence([{"cells": 4, "suppressed_cells": 4, "suppression": rule}]).startswith("Every one of the 4")
    assert suppression_sentence([]) == ""


def test_key_findings_are_three_to_six_sentences_in_order():
    records = {
        "bare": {"value": 3},
        "n": {"value": 29, "label": "Indicators compared", "unit": "count"},
        "cyber": {"value": 16.8, "label": "Cyberbullied (Estonia)", "unit": "percent", "interval": [15.4, 18.3]},
        "profile": {"value": _profile([]), "label": "States against the regional average"},
    }
    tables = [{"cells": 10, "suppressed_cells": 0, "suppression": "estimates from fewer than 30 respondents are suppressed"}]
    findings = key_findings(records, tables)
    assert 3 <= len(findings) <= 6
    assert findings[0].startswith("Cyberbullied (Estonia): 16.8% (CI 15.4–18.3%)")
    assert findings[1].startswith("Estonia does not differ")
    assert findings[-1].startswith("No estimate of the 10")
    assert not any("bare" in f for f in findings), "a record without a label is not a sentence"
    assert lead_finding(records, tables) == findings[1]
