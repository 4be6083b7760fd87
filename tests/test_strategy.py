"""The Regional Strategy data and its loader."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import cbss_analysis as cbss
from cbss_analysis import paths
from cbss_analysis.errors import StrategyError
from cbss_analysis.strategy import load_strategy

AREAS_2017 = ["prevention", "child_friendly_justice", "alternative_care", "sexual_violence", "trafficking", "migration"]


def fake_codebook(path: str, **indicators: list[str]) -> SimpleNamespace:
    """A stand-in with the Codebook attributes the strategy reads (path, indicators)."""
    return SimpleNamespace(
        path=Path(path),
        indicators={i: SimpleNamespace(id=i, priority_areas=tuple(a)) for i, a in indicators.items()},
    )


@pytest.fixture(scope="module")
def strategy():
    return load_strategy(codebooks=[])


def test_priority_areas_of_the_2017_2020_strategy(strategy):
    assert [a.id for a in strategy.areas("2017-2020")] == AREAS_2017
    assert strategy.priority_area("child_friendly_justice").title == "Child-friendly justice"
    post = strategy.areas("post-2020")
    assert post and all(a.period == "post-2020" for a in post)


def test_every_entry_has_a_known_source_and_confidence(strategy):
    entries = [*strategy.priority_areas, *strategy.key_learnings, *strategy.milestones, *strategy.sdg_targets]
    assert all(e.source in strategy.sources and e.confidence in ("H", "M", "L") for e in entries)


def test_milestones_from_the_review_and_russia(strategy):
    years = {m.year: m for m in strategy.milestones}
    assert {1997, 1998, 2002, 2022} <= set(years)
    assert "Riga" in years[1998].event
    assert years[2022].confidence == "M"
    assert [m.year for m in strategy.milestones] == sorted(years)


def test_sdg_target_is_16_2_cited_as_in_the_text(strategy):
    (target,) = strategy.sdg_targets
    assert target.id == "16.2" and target.goal == 16
    assert target.cited_as == "its target to end abuse, exploitation, trafficking and violence against children"
    assert target.confidence == "M"


def test_key_learnings_listed(strategy):
    assert len(strategy.key_learnings) == 7
    assert strategy.key_learnings[0].text == "Listening to the child"


def test_strategy_is_immutable(strategy):
    with pytest.raises(FrozenInstanceError):
        strategy.title = "x"
    with pytest.raises(TypeError):
        strategy.indicator_links["x"] = ("prevention",)


def test_frames_carry_citations(strategy):
    frame = strategy.frame("priority_areas")
    assert list(frame["id"][:6]) == AREAS_2017
    assert frame["citation"].str.contains("20 years").all()
    with pytest.raises(StrategyError, match="no strategy table 'nope'"):
        strategy.frame("nope")


def test_indicator_links_derived_from_codebooks():
    books = [fake_codebook("a.yaml", cyberbullied=["sexual_violence", "prevention"], talk_mother=["prevention"]),
             fake_codebook("b.yaml", cyberbullied=["sexual_violence"])]
    strategy = load_strategy(codebooks=books)
    assert strategy.indicator_links == {"cyberbullied": ("prevention", "sexual_violence"),
                                        "talk_mother": ("prevention",)}
    assert strategy.indicators_for("prevention") == ("cyberbullied", "talk_mother")
    assert strategy.frame("indicator_links").shape == (3, 2)


def test_unknown_priority_area_in_a_codebook_names_it():
    with pytest.raises(StrategyError, match=r"a\.yaml: indicator 'x': unknown priority area 'bogus'"):
        load_strategy(codebooks=[fake_codebook("a.yaml", x=["bogus"])])


def test_shipped_codebooks_use_known_priority_areas():
    assert any(paths.codebook_dir().glob("*.yaml")), "the codebooks are shipped"
    strategy = cbss.load_strategy()
    ids = {a.id for a in strategy.priority_areas}
    assert strategy.indicator_links, "the shipped codebooks link indicators to priority areas"
    assert all(set(areas) <= ids for areas in strategy.indicator_links.values())
    assert "cyberbullied" in strategy.indicator_links


def test_unknown_area_and_period_raise(strategy):
    with pytest.raises(StrategyError, match="unknown priority area 'nope'"):
        strategy.priority_area("nope")
    with pytest.raises(StrategyError, match="unknown period"):
        strategy.areas("2030")


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "strategy.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture()
def raw() -> dict:
    return yaml.safe_load((paths.strategy_dir() / "strategy.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda r: r["priority_areas"][0].update(period="2021"), r"priority_areas\[0\]\.period: '2021'"),
    (lambda r: r["priority_areas"][1].pop("title"), r"priority_areas\[1\]: missing key 'title'"),
    (lambda r: r["milestones"][0].update(year="1997"), r"milestones\[0\]\.year: expected an integer"),
    (lambda r: r["milestones"][0].update(source="nowhere"), r"milestones\[0\]\.source: unknown source 'nowhere'"),
    (lambda r: r["key_learnings"][0].update(confidence="X"), r"key_learnings\[0\]\.confidence: 'X'"),
    (lambda r: r["priority_areas"][0].update(colour="red"), r"priority_areas\[0\]: unknown key 'colour'"),
    (lambda r: r["priority_areas"].append(dict(r["priority_areas"][0])), "duplicate id 'prevention'"),
    (lambda r: r.update(extra=1), "top level: unknown key 'extra'"),
    (lambda r: r.pop("sources"), "'sources' must be a mapping"),
])
def test_malformed_strategy_gives_one_line_error(tmp_path, raw, mutate, message):
    mutate(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(StrategyError, match=message) as info:
        load_strategy(path, codebooks=[])
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "strategy.yaml"
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(StrategyError, match="not valid YAML at line"):
        load_strategy(bad, codebooks=[])
    with pytest.raises(StrategyError, match="strategy file not found"):
        load_strategy(tmp_path / "missing.yaml", codebooks=[])
