"""Hand-made estimate and comparison tables for the figures, and what to read back from a drawn figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cbss_analysis import plots, states

CODES = states.state_codes()
COLUMNS = ["variable", "level", "state", "sex", "estimate", "se", "ci_low", "ci_high", "n", "n_weighted", "deff",
           "suppressed", "df"]


def estimate_table(by_sex: bool = False, synthetic: bool = True, suppressed: tuple[str, ...] = ("IS",)) -> pd.DataFrame:
    rows = []
    for i, state in enumerate(CODES):
        for sex in ("Boy", "Girl") if by_sex else (None,):
            p = 0.08 + 0.02 * i + (0.03 if sex == "Girl" else 0.0)
            hidden = state in suppressed and sex != "Boy"
            rows.append({"variable": "cyberbullied", "level": pd.NA, "state": state, "sex": sex,
                         "estimate": np.nan if hidden else p, "se": np.nan if hidden else 0.01,
                         "ci_low": np.nan if hidden else p - 0.02, "ci_high": np.nan if hidden else p + 0.02,
                         "n": 12 if hidden else 400, "n_weighted": 400.0, "deff": 1.5, "suppressed": hidden, "df": 40})
    table = pd.DataFrame(rows, columns=COLUMNS)
    if not by_sex:
        table = table.drop(columns="sex")
    table.attrs.update(synthetic=synthetic, kind="proportion", level=0.95, min_n=30)
    return table


def compare_table(synthetic: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for variable in ("cyberbullied", "bullied", "talk_mother_easy"):
        for state in CODES:
            d = float(rng.normal(0, 0.04))
            rows.append({"variable": variable, "state": state, "difference": d, "se": 0.01, "ci_low": d - 0.02,
                         "ci_high": d + 0.02, "p_value": 0.5, "p_holm": 1.0})
    table = pd.DataFrame(rows)
    table.loc[(table["variable"] == "bullied") & (table["state"] == "IS"), ["difference", "ci_low", "ci_high"]] = np.nan
    table.attrs.update(synthetic=synthetic, kind="proportion")
    return table


def map_values(synthetic: bool = True) -> pd.Series:
    values = pd.Series({"EE": 12.0, "LV": 15.0, "SE": 9.5, "DE": 20.0}, name="cyberbullied")
    values.attrs["synthetic"] = synthetic
    return values


BUILDERS = {
    "estimates_by_state": lambda s: plots.estimates_by_state(estimate_table(synthetic=s)),
    "estimates_by_state_split": lambda s: plots.estimates_by_state(estimate_table(True, synthetic=s), split="sex"),
    "gap_plot": lambda s: plots.gap_plot(estimate_table(True, synthetic=s)),
    "state_map": lambda s: plots.state_map(map_values(s), label="Cyberbullied (%)"),
    "indicator_heatmap": lambda s: plots.indicator_heatmap(compare_table(s)),
}


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_position"))]


def caption(figure: Figure) -> str:
    (text,) = [t for t in figure.texts if t.get_gid() == "caption"]
    return text.get_text()


def data_axes(figure: Figure) -> list:
    """Axes that carry data (not colour bars, not the secondary gap axis)."""
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>" and not hasattr(ax, "_functions")]
