"""cbss_analysis.plots.profile: one state against the regional average; the marks are the rule's marks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis.errors import PlotError
from cbss_analysis.estimate import significance
from cbss_analysis.plots.profile import state_profile
from cbss_analysis.plots.style import alt_text
from cbss_analysis.summaries import judgement
from tests.plots.figures import caption

VARIABLES = ("cyberbullied", "easy_talk_mother", "online_friends_daily", "psmu")


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    estimates, differences = [], []
    for i, variable in enumerate(VARIABLES):
        for state in ("EE", "LV", "DK"):
            p = 0.2 + 0.05 * i + (0.04 if state == "EE" else 0.0)
            hidden = variable == "psmu" and state == "EE"
            estimates.append({"variable": variable, "state": state, "estimate": np.nan if hidden else p, "se": 0.01,
                              "ci_low": np.nan if hidden else p - 0.02, "ci_high": np.nan if hidden else p + 0.02,
                              "n": 12 if hidden else 400, "suppressed": hidden})
            differences.append({"variable": variable, "state": state, "estimate": p, "reference": p - 0.03,
                                "difference": np.nan if hidden else 0.03 if i % 2 == 0 else -0.03,
                                "p_value": np.nan if hidden else [1e-6, 1e-5, 0.2, 0.5][i], "suppressed": hidden})
    estimates = pd.DataFrame(estimates)
    estimates.attrs.update(kind="proportion", synthetic=True, level=0.95, min_n=30)
    differences = pd.DataFrame(differences)
    differences.attrs.update(kind="comparison", estimate_kind="proportion", synthetic=True)
    return estimates, differences


def test_judgement_reads_the_better_direction():
    assert judgement(0.03, True, "lower") == "worse" and judgement(-0.03, True, "lower") == "better"
    assert judgement(0.03, True, None) == "higher" and judgement(0.03, False, "higher") == ""


def test_marked_dots_are_exactly_the_rules_marks_and_the_caption_states_the_rule():
    estimates, differences = _tables()
    shown = significance.mark(differences[differences["state"] == "EE"].reset_index(drop=True))
    figure = state_profile(estimates, shown, "EE", groups={"cyberbullied": "Prevention"},
                           better={"cyberbullied": "lower", "easy_talk_mother": "higher"})
    marked = {a.get_gid() for a in figure.findobj(lambda a: (a.get_gid() or "").startswith("significant:"))}
    expected = {f"significant:{v}:EE" for v in shown.loc[shown["significant"], "variable"]}
    assert marked == expected == {"significant:cyberbullied:EE", "significant:easy_talk_mother:EE"}
    assert shown.attrs["significance"]["text"] in " ".join(caption(figure).split())
    assert "Synthetic data" in caption(figure) and alt_text(figure).startswith("Estonia against the regional average")
    texts = [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]
    assert "+3.0 pp worse" in texts and "-3.0 pp worse" in texts, "more bullying is worse, less support is worse"
    assert any(t.startswith("suppressed (n=12 < 30)") for t in texts)


def test_unmarked_or_remarked_differences_are_refused():
    estimates, differences = _tables()
    with pytest.raises(PlotError, match="carry no marks"):
        state_profile(estimates, differences, "EE")
    marked = significance.mark(differences)
    with pytest.raises(PlotError, match="adjusted over 11 differences but 3 are shown"):
        state_profile(estimates, marked[marked["state"] == "EE"], "EE")
