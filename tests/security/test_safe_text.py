"""Text from other people's files is shown safely: terminals get no control characters, figures no mathtext.

``Codebook.describe_lines()`` (what ``cbss-analysis codebook`` prints) strips control characters and
terminal escapes; every figure draws a ``$`` literally (a label ``$x^2$`` is not mathtext) in its
title, axis and tick labels, legend and caption; and a 10,000-character label leaves the figure's
size bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from matplotlib import cbook
from matplotlib.figure import Figure
from matplotlib.text import Text

from cbss_analysis import plots
from cbss_analysis.plots.style import MAX_HEIGHT, MAX_WIDTH
from cbss_analysis.states import state_codes
from cbss_analysis.strategy import Milestone
from cbss_analysis.survey.codebook import load_codebook

TESTS = Path(__file__).resolve().parents[1]
MINI = TESTS / "fixtures" / "mini_codebook.yaml"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
HOSTILE = ["\x1b[31mRed\x1b[0m", "\x1b]0;owned\x07Title", "Bell\x07", "right\u202eto-left", "two\nlines", "carriage\rreturn",
           "\x9b2Jcsi", "tab\there", "null\x00byte"]


def test_codebook_listing_strips_control_characters(tmp_path: Path) -> None:
    raw = yaml.safe_load(MINI.read_text())
    raw["title"] = "\x1b[2J\x1b[H" + HOSTILE[1]
    raw["source"] = HOSTILE[3]
    raw["variables"][4]["label"] = HOSTILE[0]
    raw["variables"][4]["values"] = {1: HOSTILE[2], 2: HOSTILE[4]}
    raw["indicators"][0]["label"] = HOSTILE[5] + HOSTILE[6] + HOSTILE[8]
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    lines = load_codebook(path).describe_lines()
    assert lines and all(not CONTROL.search(line) for line in lines)
    text = "\n".join(lines)
    assert "Red" in text and "[31m" not in text and "Bell" in text and "two lines" in text and "rightto-left" in text
    assert lines[0].startswith("mini: ") and "[SYNTHETIC DATA]" in lines[0]
    assert "variables (12):" in lines and "indicators (5):" in lines


def _estimates(label: str, by_sex: bool = True) -> pd.DataFrame:
    rows = []
    for index, state in enumerate(state_codes()):
        for sex in ([label, "Girl"] if by_sex else [None]):
            rows.append({"variable": label, "level": None, "state": state, **({"sex": sex} if by_sex else {}),
                         "estimate": 0.2 + 0.01 * index, "se": 0.01, "ci_low": 0.18, "ci_high": 0.25 + 0.01 * index,
                         "n": pd.NA if index == 0 else 400, "n_weighted": 400.0, "deff": 1.2, "suppressed": index == 0, "df": 40})
    table = pd.DataFrame(rows)
    table["n"] = table["n"].astype("Int64")
    table.attrs.update(kind="proportion", level=0.95, min_n=30, synthetic=True)
    return table


def _differences(label: str) -> pd.DataFrame:
    rows = [{"variable": variable, "level": None, "state": state, "difference": 0.02 * (i - 5), "ci_low": -0.1, "ci_high": 0.1}
            for variable in (label, "other") for i, state in enumerate(state_codes())]
    table = pd.DataFrame(rows)
    table.attrs.update(kind="comparison", estimate_kind="proportion", reference="regional", level=0.95, synthetic=True)
    return table


def _strategy(label: str) -> SimpleNamespace:
    return SimpleNamespace(milestones=[Milestone(2000 + i, f"{label} event {i}", "src", "H") for i in range(3)])


PLOTS: dict[str, Callable[[str], Figure]] = {
    "estimates_by_state": lambda label: plots.estimates_by_state(
        _estimates(label), split="sex", title=label, xlabel=label, source=label),
    "estimates_by_state_default_labels": lambda label: plots.estimates_by_state(_estimates(label, by_sex=False)),
    "gap_plot": lambda label: plots.gap_plot(_estimates(label), by="sex", groups=[label, "Girl"], title=label, source=label),
    "indicator_heatmap": lambda label: plots.indicator_heatmap(_differences(label), labels={"other": label}, title=label,
                                                               source=label),
    "state_map": lambda label: plots.state_map(pd.Series(range(11), index=state_codes(), name=label, dtype=float),
                                               label=label, source=label),
    "state_map_title": lambda label: plots.state_map(pd.Series(range(11), index=state_codes(), dtype=float), title=label),
    "timeline": lambda label: plots.timeline(_strategy(label), title=label),
}


def _texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_dollar_labels_are_drawn_literally(name: str) -> None:
    figure = PLOTS[name]("$x^2$ costs $5")
    texts = _texts(figure)
    assert not [t for t in texts if cbook.is_math_text(t)], "no text is parsed as mathtext"
    assert any(r"\$x^2\$" in t for t in texts), "the label reaches the figure, escaped"
    figure.canvas.draw()  # renders without a mathtext error


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_a_10000_character_label_keeps_the_figure_bounded(name: str) -> None:
    figure = PLOTS[name]("W" * 10_000 + " $x$")
    width, height = figure.get_size_inches()
    assert width <= MAX_WIDTH and height <= MAX_HEIGHT
    assert max(len(t) for t in _texts(figure)) <= 3_500  # the caption: at most 12 wrapped lines
    assert not [t for t in _texts(figure) if cbook.is_math_text(t)]


@pytest.mark.parametrize("label", HOSTILE)
def test_control_characters_never_reach_a_figure(label: str) -> None:
    figure = PLOTS["estimates_by_state"](label)
    assert not [t for t in _texts(figure) if CONTROL.search(t.replace("\n", ""))]
