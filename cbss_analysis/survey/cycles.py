"""Survey cycles: their labels and years, the cycles of a stacked survey, and the comparability of an
indicator across cycles as the cycles' codebooks declare it (issue #13).

Each cycle's codebook (``hbsc2002_oa`` ... ``hbsc2018_oa``) either defines an indicator, with ``comparable_with``
(the other cycles whose indicator of the same id measures the same thing) and ``break`` (what changed), or lists it
under ``absent`` with a reason. :func:`comparability` reads them for a series of cycles, so that a trend estimator
can refuse, or mark, a trend across a break. See data/codebooks/README.md, "Trends across cycles".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import CodebookError, DataError
from cbss_analysis.survey.codebook import Codebook, load_codebook

CYCLE_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")
"""A cycle label: the school year of the survey, "2001/02" ... "2017/18"."""


def cycle_year(cycle: str) -> int:
    """The year a cycle's label ends in, which is the year of its fieldwork's end: "2001/02" -> 2002.

    It is the regressor of the linear trend (:func:`cbss_analysis.estimate.trend`).

    Raises
    ------
    DataError
        If ``cycle`` is not a label such as "2005/06" (two consecutive years).
    """
    match = CYCLE_PATTERN.match(cycle) if isinstance(cycle, str) else None
    if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise DataError(f"cycle {snippet(cycle)} is not a survey cycle label such as '2005/06' (two consecutive years)")
    return int(match.group(1)) + 1


@dataclass(frozen=True)
class Cycle:
    """One cycle of a stacked survey (:func:`cbss_analysis.survey.stacking.stack_surveys`)."""

    label: str
    """"2005/06"."""
    year: int
    """2006 (:func:`cycle_year`)."""
    codebook: Codebook = field(repr=False)
    """The codebook the cycle's file was read through: its indicator rules, comparability and absent items."""
    source: Path | None
    """The cycle's file."""
    respondents: int
    """Rows of the cycle in the stacked survey."""


def codebook_names(book: Codebook) -> frozenset[str]:
    """The names a codebook answers to in ``comparable_with``: its own and those of the codebooks it includes
    (``cbss_synthetic`` includes ``hbsc2018_oa``, so it is the 2017/18 cycle for comparability)."""
    return frozenset({book.name, *(path.stem for path in book.files[1:])})


@dataclass(frozen=True)
class Break:
    """Two consecutive cycles (that both define the indicator) whose measures are not comparable."""

    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class Comparability:
    """What the codebooks say about one indicator over a series of cycles (in the order given)."""

    indicator: str
    cycles: tuple[str, ...]
    """The codebooks that define the indicator."""
    absent: dict[str, str]
    """Codebook -> why it has no such indicator."""
    breaks: tuple[Break, ...]

    @property
    def comparable(self) -> bool:
        """True when every cycle defines the indicator and no two consecutive cycles are separated by a break."""
        return not self.absent and not self.breaks


def comparability(codebooks: Sequence[str | Path | Codebook], indicator_id: str) -> Comparability:
    """Read the comparability of ``indicator_id`` over ``codebooks`` (names, paths or codebooks, in time order).

    Raises
    ------
    CodebookError
        If a codebook neither defines the indicator nor declares it absent, or if two codebooks disagree about
        whether they are comparable (one lists the other in ``comparable_with``, the other does not).
    """
    books = [b if isinstance(b, Codebook) else load_codebook(b) for b in codebooks]
    having: list[Codebook] = []
    absent: dict[str, str] = {}
    for book in books:
        if indicator_id in book.indicators:
            having.append(book)
        elif indicator_id in book.absent:
            absent[book.name] = book.absent[indicator_id]
        else:
            raise CodebookError(f"{book.name}: indicator {indicator_id!r} is neither defined nor declared absent")
    breaks = []
    for before, after in pairwise(having):
        forward = bool(codebook_names(after) & set(before.indicators[indicator_id].comparable_with))
        backward = bool(codebook_names(before) & set(after.indicators[indicator_id].comparable_with))
        if forward != backward:
            raise CodebookError(f"{before.name} and {after.name} disagree on whether {indicator_id!r} is comparable")
        if not forward:
            reason = after.indicators[indicator_id].break_ or before.indicators[indicator_id].break_
            breaks.append(Break(before.name, after.name, reason))
    return Comparability(indicator_id, tuple(b.name for b in having), absent, tuple(breaks))
