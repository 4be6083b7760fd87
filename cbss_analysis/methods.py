"""The methods note of a notebook, written by the code that applies each rule, never typed into a notebook.

``methods_note(survey, params)`` states, for the survey and parameters in hand: whether the data
are synthetic (:mod:`cbss_analysis.common.notices`), the design the variances use (from the
survey's :class:`~cbss_analysis.survey.Design`), the confidence level, the suppression rule
(:func:`cbss_analysis.disclosure.rule_text`) and the significance rule of every mark
(:data:`cbss_analysis.estimate.significance.RULE`). A notebook shows it under "Limitations", so
its words change when the rules do.
"""

from __future__ import annotations

import html
from typing import Any

from cbss_analysis.common.checks import DEFAULT_LEVEL
from cbss_analysis.common.notices import SYNTHETIC_NOTICE
from cbss_analysis.disclosure import rule_text
from cbss_analysis.estimate.significance import RULE
from cbss_analysis.survey.variance_words import variance_method

_LONELY = {
    "adjust": "a stratum with one class is centred on the overall mean (R survey's lonely.psu = \"adjust\")",
    "remove": "strata with one class add no variance (\"remove\")",
    "certainty": "a stratum with one class is taken with certainty (\"certainty\")",
    "average": "a stratum with one class gets the average variance of the others (\"average\")",
    "fail": "a stratum with one class stops the estimate (\"fail\")",
}


class MethodsNote:
    """A list of sentences shown as HTML in notebooks and reports and as text elsewhere."""

    def __init__(self, sentences: list[str]) -> None:
        self.sentences = sentences

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences)
        return f'<ul class="cbss-methods">{items}</ul>'

    def __repr__(self) -> str:
        return "\n".join(f"- {s}" for s in self.sentences)


def design_sentence(survey: Any) -> str:
    """How the standard errors are computed, from the survey's design."""
    method = variance_method(survey)
    design = survey.design
    if survey.replicates is not None:
        return (f"Standard errors are design-based, from {method} as R's survey package computes them; "
                f"full-sample weights {design.weight}.")
    strata = " x ".join(design.strata) if design.strata else None
    psu = f"primary sampling units {design.psu} drawn with replacement" if design.psu else "each respondent its own unit"
    parts = [f"Standard errors are design-based ({method}, as R's survey package): weights {design.weight}, {psu}"]
    if strata:
        parts.append(f"within strata {strata}")
    text = " ".join(parts)
    if design.psu and strata and design.lonely_psu in _LONELY:
        text += f"; {_LONELY[design.lonely_psu]}"
    return text + "."


def methods_note(survey: Any, params: Any, level: float = DEFAULT_LEVEL) -> MethodsNote:
    """The sentences on data, design, intervals, suppression and marks for this survey and these parameters.

    Parameters
    ----------
    survey : Survey
        The survey the notebook analyses.
    params : NotebookParameters
        The checked parameters (``min_n``).
    level : float
        The confidence level the notebook's intervals use.
    """
    sentences = []
    cycles = getattr(survey, "cycles", ())
    if getattr(survey, "synthetic", False) and cycles:
        listed = ", ".join(cycle.label for cycle in cycles)
        sentences.append(f"{SYNTHETIC_NOTICE} The survey has the schemas of the HBSC cycles {listed} and their states' "
                         "relative sample sizes but no real respondent; the figures say nothing about young people in any "
                         "state, and the states' trends are invented.")
    elif getattr(survey, "synthetic", False):
        sentences.append(f"{SYNTHETIC_NOTICE} The survey has the HBSC 2017/18 schema and sample sizes but no real "
                         "respondent; the figures say nothing about young people in any state.")
    if cycles:
        sentences.append("The cycles are independent samples: strata are nested within cycle, so a change between two "
                         "cycles has the sum of their variances; a change across a break in a question's wording or codes "
                         "(as each cycle's codebook records it) is marked as not comparable.")
    sentences.append(design_sentence(survey))
    sentences.append(f"Confidence intervals are {level:.0%} and use the design's degrees of freedom.")
    rule = rule_text(params.min_n)
    sentences.append(f"{rule[:1].upper()}{rule[1:]} (shown as \u201csuppressed\u201d).")
    sentences.append(f"A difference from the regional average is marked when its {RULE.general()} in that figure or "
                     "table (two-sided t tests with the design's degrees of freedom); each caption says how many that is.")
    return MethodsNote(sentences)
