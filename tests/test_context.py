"""cbss_analysis.context: published figures beside the analysis (policy context, survey beside published)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cbss_analysis import context, load_published


def test_policy_context_has_every_state_once_with_published_facts():
    table = context.policy_context().set_index("state")
    assert len(table) == 11
    assert table.loc["SE", "ban_year"] == 1979 and pd.isna(table.loc["RU", "ban_year"])
    assert table.loc["IS", "first_barnahus"] == 1998
    assert table.loc["EE", "under18_share_pct"] == pytest.approx(19.3, abs=0.05)  # as in the reference table
    assert table.loc["LV", "confidence"] == "L" and table.loc["SE", "confidence"] == "M"
    assert table.loc["EE", "state_name"] == "Estonia"  # `state` is the ISO2 code and `state_name` the name everywhere


def test_survey_beside_published_matches_state_and_sex():
    estimates = pd.DataFrame({
        "state": ["EE", "EE", "DK"], "sex": ["Girl", "Boy", "Girl"], "estimate": [0.1, 0.05, 0.2],
        "ci_low": [0.08, np.nan, 0.15], "ci_high": [0.12, np.nan, 0.25],
    })
    beside = context.survey_beside_published(estimates, load_published("psmu_2022_age11"))
    assert beside["published_pct"].tolist()[:2] == [8.0, 7.0]
    assert pd.isna(beside["published_pct"].iloc[2]), "Denmark is not in the published table"
    assert beside["survey_ci"].tolist() == ["8.0\u201312.0", "", "15.0\u201325.0"]
