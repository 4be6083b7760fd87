"""The CBSS Regional Strategy for Cooperation on Children at Risk, as validated data.

The strategy lives in ``data/strategy/strategy.yaml``: priority areas (the six areas of the
Regional Strategy 2017-2020 and the post-2020 aims), key learnings, milestones and the 2030
Agenda target, each entry with a source and a confidence grade. Which survey indicators speak
to which priority area is not listed there: every codebook indicator carries its own
``priority_areas``, and :func:`load_strategy` derives :attr:`Strategy.indicator_links` from the
codebooks, so there is one source of truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from cbss_analysis import paths
from cbss_analysis.common.safe_yaml import read_yaml_file
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import StrategyError
from cbss_analysis.survey.schema import Fields

PERIODS: tuple[str, ...] = ("2017-2020", "post-2020")
CONFIDENCE: tuple[str, ...] = ("H", "M", "L")
STRATEGY_FILE = "strategy.yaml"


@dataclass(frozen=True)
class Source:
    """A citable source of strategy entries."""

    key: str
    citation: str
    url: str | None


@dataclass(frozen=True)
class PriorityArea:
    """A priority area of the Regional Strategy (``period`` "2017-2020") or a post-2020 aim."""

    id: str
    title: str
    period: str
    description: str
    source: str
    confidence: str


@dataclass(frozen=True)
class KeyLearning:
    """A key learning the Expert Group highlights for future work."""

    id: str
    text: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Milestone:
    """A dated event in the history of the CBSS work on children at risk."""

    year: int
    event: str
    source: str
    confidence: str


@dataclass(frozen=True)
class SdgTarget:
    """A 2030 Agenda target the strategy supports, with the words the strategy text uses for it."""

    id: str
    goal: int
    text: str
    cited_as: str
    note: str
    source: str
    confidence: str


_ENTRY_TYPES = {
    "priority_areas": PriorityArea,
    "key_learnings": KeyLearning,
    "milestones": Milestone,
    "sdg_targets": SdgTarget,
}
_TOP_KEYS = {"title", "vision", "vision_source", "sources", *_ENTRY_TYPES}
_F = Fields(StrategyError)


@dataclass(frozen=True)
class Strategy:
    """The Regional Strategy: priority areas, key learnings, milestones, SDG targets, indicator links.

    Attributes
    ----------
    indicator_links : Mapping[str, tuple[str, ...]]
        Indicator id -> priority area ids, derived from the codebooks' indicators.
    sources : Mapping[str, Source]
        Source key -> citation; every entry's ``source`` is one of these keys.
    """

    title: str
    vision: str
    priority_areas: tuple[PriorityArea, ...]
    key_learnings: tuple[KeyLearning, ...]
    milestones: tuple[Milestone, ...]
    sdg_targets: tuple[SdgTarget, ...]
    indicator_links: Mapping[str, tuple[str, ...]]
    sources: Mapping[str, Source]
    path: Path

    def priority_area(self, area_id: str) -> PriorityArea:
        """Return the priority area ``area_id``.

        Raises
        ------
        StrategyError
            If no priority area has that id.
        """
        for area in self.priority_areas:
            if area.id == area_id:
                return area
        known = ", ".join(a.id for a in self.priority_areas)
        raise StrategyError(f"{self.path}: unknown priority area {snippet(area_id)}; expected one of {known}")

    def areas(self, period: str | None = None) -> tuple[PriorityArea, ...]:
        """Priority areas, all or those of one ``period`` ("2017-2020" or "post-2020")."""
        if period is not None and period not in PERIODS:
            raise StrategyError(f"{self.path}: unknown period {snippet(period)}; expected one of {', '.join(PERIODS)}")
        return tuple(a for a in self.priority_areas if period is None or a.period == period)

    def indicators_for(self, area_id: str) -> tuple[str, ...]:
        """Ids of the indicators linked to priority area ``area_id``, sorted."""
        self.priority_area(area_id)
        return tuple(sorted(ind for ind, areas in self.indicator_links.items() if area_id in areas))

    def frame(self, name: str) -> pd.DataFrame:
        """One part of the strategy as a table, with each entry's citation.

        Parameters
        ----------
        name : str
            ``priority_areas``, ``key_learnings``, ``milestones``, ``sdg_targets`` or
            ``indicator_links`` (one row per indicator and priority area).

        Returns
        -------
        pandas.DataFrame
            One row per entry; entry tables get a ``citation`` column from :attr:`sources`.
        """
        if name == "indicator_links":
            rows = [(ind, area) for ind, areas in self.indicator_links.items() for area in areas]
            return pd.DataFrame(rows, columns=["indicator", "priority_area"])
        if name not in _ENTRY_TYPES:
            known = ", ".join([*_ENTRY_TYPES, "indicator_links"])
            raise StrategyError(f"{self.path}: no strategy table {snippet(name)}; expected one of {known}")
        entry_type = _ENTRY_TYPES[name]
        columns = [f.name for f in fields(entry_type)]
        frame = pd.DataFrame([[getattr(e, c) for c in columns] for e in getattr(self, name)], columns=columns)
        frame["citation"] = frame["source"].map({k: s.citation for k, s in self.sources.items()})
        return frame


def load_strategy(path: str | Path | None = None, codebooks: Iterable[Any] | None = None) -> Strategy:
    """Load and validate the Regional Strategy.

    Parameters
    ----------
    path : str or Path, optional
        Strategy YAML file; default ``data/strategy/strategy.yaml``.
    codebooks : iterable of codebook names, paths or ``Codebook`` objects, optional
        Codebooks whose indicators' ``priority_areas`` make :attr:`Strategy.indicator_links`;
        default every ``*.yaml`` in ``data/codebooks/``.

    Returns
    -------
    Strategy

    Raises
    ------
    StrategyError
        One line naming the file and key when the strategy file is malformed, or the codebook
        and indicator when an indicator names an unknown priority area.
    """
    path = Path(path) if path is not None else paths.strategy_dir() / STRATEGY_FILE
    raw = _read_strategy_yaml(path)
    sources = _parse_sources(raw.get("sources"), path)
    _check_keys(raw, _TOP_KEYS, {"title", "vision", "sources", "priority_areas", "milestones"}, path, "top level")
    entries = {name: _parse_entries(raw.get(name, []), name, entry_type, sources, path)
               for name, entry_type in _ENTRY_TYPES.items()}
    _check_unique(entries["priority_areas"], path, "priority_areas")
    _check_unique(entries["key_learnings"], path, "key_learnings")
    _check_unique(entries["sdg_targets"], path, "sdg_targets")
    if raw.get("vision_source") is not None and raw["vision_source"] not in sources:
        raise StrategyError(f"{path}: vision_source: unknown source {snippet(raw['vision_source'])}; add it under sources")
    area_ids = [a.id for a in entries["priority_areas"]]
    links = _derive_links(codebooks, area_ids)
    return Strategy(
        title=_text(raw, "title", path, "top level"),
        vision=_text(raw, "vision", path, "top level"),
        priority_areas=entries["priority_areas"],
        key_learnings=entries["key_learnings"],
        milestones=tuple(sorted(entries["milestones"], key=lambda m: m.year)),
        sdg_targets=entries["sdg_targets"],
        indicator_links=MappingProxyType(links),
        sources=MappingProxyType(sources),
        path=path,
    )


def _read_strategy_yaml(path: Path) -> dict[str, Any]:
    raw = read_yaml_file(path, StrategyError, what="strategy file", if_missing=f"restore data/strategy/{STRATEGY_FILE}")
    return _F.mapping(raw, str(path), "the strategy file")


def _check_keys(entry: dict[str, Any], allowed: set[str], required: set[str], path: Path, where: str) -> None:
    _F.keys(entry, allowed, f"{path}: {where}", where, required)


def _text(entry: dict[str, Any], key: str, path: Path, where: str) -> str:
    return _F.require_str(entry, key, f"{path}: {where}").strip()


def _parse_sources(raw: Any, path: Path) -> dict[str, Source]:
    if not isinstance(raw, dict) or not raw:
        raise StrategyError(f"{path}: 'sources' must be a mapping of source key -> {{citation, url}}")
    sources = {}
    for key, entry in raw.items():
        where = f"sources.{snippet(str(key), 40)}"
        if not isinstance(entry, dict):
            raise StrategyError(f"{path}: {where}: expected a mapping with 'citation' and 'url'")
        _check_keys(entry, {"citation", "url"}, {"citation"}, path, where)
        url = entry.get("url")
        if url is not None and not (isinstance(url, str) and url.startswith("https://")):
            raise StrategyError(f"{path}: {where}.url: expected an https:// address or null, found {snippet(url)}")
        sources[str(key)] = Source(key=str(key), citation=_text(entry, "citation", path, where), url=url)
    return sources


def _parse_entries(raw: Any, name: str, entry_type: type, sources: dict[str, Source], path: Path) -> tuple:
    if not isinstance(raw, list):
        raise StrategyError(f"{path}: {snippet(name)} must be a list, found {type(raw).__name__}")
    names = [f.name for f in fields(entry_type)]
    parsed = []
    for index, entry in enumerate(raw):
        where = f"{name}[{index}]"
        if not isinstance(entry, dict):
            raise StrategyError(f"{path}: {where}: expected a mapping, found {type(entry).__name__}")
        _check_keys(entry, set(names), set(names), path, where)
        values = {}
        for key in names:
            if key in ("year", "goal"):
                if not isinstance(entry[key], int) or isinstance(entry[key], bool):
                    raise StrategyError(f"{path}: {where}.{key}: expected an integer, found {snippet(entry[key])}")
                values[key] = entry[key]
            else:
                values[key] = _text(entry, key, path, where)
        if values["source"] not in sources:
            raise StrategyError(f"{path}: {where}.source: unknown source {snippet(values['source'])}; add it under sources")
        if values["confidence"] not in CONFIDENCE:
            raise StrategyError(
                f"{path}: {where}.confidence: {snippet(values['confidence'])} is not one of {', '.join(CONFIDENCE)}")
        if "period" in values and values["period"] not in PERIODS:
            raise StrategyError(f"{path}: {where}.period: {snippet(values['period'])} is not one of {', '.join(PERIODS)}")
        parsed.append(entry_type(**values))
    return tuple(parsed)


def _check_unique(entries: tuple, path: Path, name: str) -> None:
    _F.unique((entry.id for entry in entries), f"{path}: {name}", "id")


def _derive_links(codebooks: Iterable[Any] | None, area_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """Indicator id -> priority area ids (in strategy order), from the codebooks' indicators."""
    if codebooks is None:
        codebooks = sorted(paths.codebook_dir().glob("*.yaml"))
    links: dict[str, set[str]] = {}
    for item in codebooks:
        codebook = item if hasattr(item, "indicators") else _load_codebook(item)
        for indicator in codebook.indicators.values():
            unknown = sorted(set(indicator.priority_areas) - set(area_ids))
            if unknown:
                raise StrategyError(
                    f"{codebook.path}: indicator {snippet(indicator.id)}: unknown priority area {snippet(unknown[0])}; "
                    f"expected ids from data/strategy/{STRATEGY_FILE}: {', '.join(area_ids)}")
            links.setdefault(indicator.id, set()).update(indicator.priority_areas)
    return {ind: tuple(a for a in area_ids if a in areas) for ind, areas in sorted(links.items())}


def _load_codebook(name_or_path: str | Path) -> Any:
    from cbss_analysis.survey.codebook import load_codebook

    return load_codebook(name_or_path)
