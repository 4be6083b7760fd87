"""Several survey cycles in one :class:`~cbss_analysis.survey.core.Survey`: :func:`stack_surveys`.

Each cycle is an independent sample, so the stacked design keeps every cycle's strata and PSUs apart: the
strata are nested within cycle and the PSUs within strata (R ``svydesign(ids = ~psu, strata = ~cycle + stratum,
weights = ~weight, nest = TRUE)`` on the stacked rows). A variance of anything computed from two cycles is then
the sum of their variances, and within a cycle the cycle's own design applies.

The stacked frame holds, per row:

- ``cycle`` (ordered categorical, in time order) and ``cycle_year`` (2002, 2006, ...: :func:`~cbss_analysis.survey.
  cycles.cycle_year`, the regressor of a linear trend);
- ``state`` (ISO2) and the harmonised background variables ``sex``, ``agecat`` and ``age`` (each cycle's codes,
  whatever the cycle names them, e.g. 2013/14's ``AGECAT``, labelled as the latest cycle labels them);
- one float column per **harmonised indicator** (one id, one meaning in every cycle: see
  ``data/codebooks/README.md``, "Trends across cycles"), each cycle's rows computed by that cycle's codebook rule;
  NaN in a cycle that does not have it;
- the design: ``weight``, ``stratum`` (the cycle's stratum code, 0 .. H-1 within the cycle) and ``psu`` (the
  cycle's PSU code), as each cycle's :class:`~cbss_analysis.survey.design_codes.DesignArrays` coded them after its
  codebook's design fallbacks.

Only the harmonised columns are stacked: an item keeps its meaning only within its cycle's codebook.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import DataError, DesignError
from cbss_analysis.survey.codebook_model import Codebook, DesignSpec, Indicator, Variable
from cbss_analysis.survey.core import Survey
from cbss_analysis.survey.cycles import Cycle, cycle_year
from cbss_analysis.survey.decoding import STATE_COLUMN
from cbss_analysis.survey.design import Design

CYCLE_COLUMN = "cycle"
CYCLE_YEAR_COLUMN = "cycle_year"
WEIGHT_COLUMN, STRATUM_COLUMN, PSU_COLUMN = "weight", "stratum", "psu"
HARMONISED_VARIABLES: dict[str, tuple[str, ...]] = {"sex": ("sex",), "agecat": ("agecat", "AGECAT"), "age": ("age", "AGE")}
"""Stacked name -> the names the cycles' files give it. A labelled one must have the same codes in every cycle."""


def stack_surveys(surveys: Mapping[str, Survey], lonely_psu: str | None = None) -> Survey:
    """One survey of several cycles, each an independent sample (see the module docstring).

    Parameters
    ----------
    surveys : mapping of str to Survey
        Cycle label ("2005/06") -> that cycle's whole survey (a Taylor design, not a subset, not calibrated).
    lonely_psu : str, optional
        Lonely-PSU rule of the stacked design; default the cycles' own rule, which must then be the same.

    Returns
    -------
    Survey
        The stacked survey; ``survey.cycles`` lists its :class:`~cbss_analysis.survey.cycles.Cycle` s in time order.

    Raises
    ------
    DataError
        No survey, a cycle label that is not one, a survey without codebook or ``state``, real and synthetic
        cycles mixed, or a background variable whose codes differ between cycles.
    DesignError
        Designs that cannot be stacked: replicate weights (with one another or with a Taylor design), an fpc or
        two stages, a calibrated survey or a subset, different lonely-PSU rules.
    """
    if not surveys:
        raise DataError("stack_surveys: no survey given")
    ordered = sorted(surveys.items(), key=lambda item: cycle_year(item[0]))
    for label, survey in ordered:
        _check_stackable(label, survey, ordered)
    rule = lonely_psu or _common_rule(ordered)
    latest = ordered[-1][1].codebook
    frames = [_cycle_frame(label, survey, ordered) for label, survey in ordered]
    frame = pd.concat(frames, ignore_index=True)
    labels = [label for label, _ in ordered]
    frame[CYCLE_COLUMN] = pd.Categorical(frame[CYCLE_COLUMN], categories=labels, ordered=True)
    for name in _background(ordered):
        variable = _background_variable(latest, name)
        if variable is not None and variable.is_labelled:
            frame[name] = pd.Categorical(frame[name], categories=list(variable.values.values()), ordered=True)
    codebook = _stacked_codebook(ordered, rule, list(frame.columns))
    design = Design(weight=WEIGHT_COLUMN, strata=(CYCLE_COLUMN, STRATUM_COLUMN), psu=PSU_COLUMN, nest=True, lonely_psu=rule)
    synthetic = ordered[0][1].synthetic
    stacked = Survey.from_decoded(frame, design, codebook, source=None, synthetic=synthetic)
    stacked.cycles = tuple(
        Cycle(label, cycle_year(label), survey.codebook, survey.source, len(survey.data)) for label, survey in ordered
    )
    return stacked


def _where(survey: Survey, label: str) -> str:
    return survey.source.name if survey.source is not None else f"cycle {label}"


def _check_stackable(label: str, survey: Survey, ordered: list[tuple[str, Survey]]) -> None:
    where = _where(survey, label)
    if any(s.replicates is not None for _, s in ordered):
        kinds = {lab: "a replicate-weight" if s.replicates is not None else "a Taylor" for lab, s in ordered}
        listed = "; ".join(f"{lab}: {kind}" for lab, kind in kinds.items())
        raise DesignError(f"{where}: cycles with replicate weights cannot be stacked with other cycles ({listed} design); "
                          "load each cycle with its Taylor design (strata and PSUs)")
    if survey.codebook is None:
        raise DataError(f"{where}: cycle {snippet(label)} has no codebook; its indicators cannot be harmonised")
    if STATE_COLUMN not in survey.data.columns:
        raise DataError(f"{where}: cycle {snippet(label)} has no {STATE_COLUMN!r} column (its codebook names no state variable)")
    if survey.cycles:
        raise DataError(f"{where}: cycle {snippet(label)} is already a stacked survey; stack the cycles' own surveys")
    first_label, first = ordered[0]
    if survey.synthetic != first.synthetic:
        real, fake = (first_label, label) if survey.synthetic else (label, first_label)
        raise DataError(f"{where}: cycle {fake} is SYNTHETIC and cycle {real} is real data; a trend cannot join them")
    if survey.calibration is not None or survey.subset_mask is not None:
        what = "is calibrated" if survey.calibration is not None else "is a subset"
        raise DesignError(f"{where}: cycle {label} {what}; stack the whole surveys, then calibrate or subset the stacked one")
    arrays = survey.design_arrays()
    if arrays.stage2 is not None or (arrays.fpc_fraction > 0).any():
        raise DesignError(f"{where}: cycle {label} has a finite-population correction or two stages "
                          f"(fpc={snippet(survey.design.fpc)}); stacking supports with-replacement designs only")


def _common_rule(ordered: list[tuple[str, Survey]]) -> str:
    rules = {label: survey.design.lonely_psu for label, survey in ordered}
    if len(set(rules.values())) > 1:
        listed = ", ".join(f"{label}: {rule!r}" for label, rule in rules.items())
        raise DesignError(f"the cycles' lonely-PSU rules differ ({listed}); pass lonely_psu= for the stacked design")
    return next(iter(rules.values()))


def _background(ordered: list[tuple[str, Survey]]) -> list[str]:
    """Harmonised background variables that every cycle has."""
    return [name for name, aliases in HARMONISED_VARIABLES.items()
            if all(any(a in s.data.columns for a in aliases) for _, s in ordered)]


def _own_name(survey: Survey, name: str) -> str:
    return next(a for a in HARMONISED_VARIABLES[name] if a in survey.data.columns)


def _background_variable(codebook: Codebook, name: str) -> Variable | None:
    own = next((a for a in HARMONISED_VARIABLES[name] if a in codebook.variables), None)
    return codebook.variables[own] if own is not None else None


def _cycle_frame(label: str, survey: Survey, ordered: list[tuple[str, Survey]]) -> pd.DataFrame:
    arrays = survey.design_arrays()
    n = len(survey.data)
    columns: dict[str, object] = {
        CYCLE_COLUMN: np.full(n, label, dtype=object),
        CYCLE_YEAR_COLUMN: np.full(n, float(cycle_year(label))),
    }
    latest_label, latest = ordered[-1]
    for name in _background(ordered):
        own = _own_name(survey, name)
        variable = survey.codebook.variables.get(own)
        if variable is None or not variable.is_labelled:
            columns[name] = pd.to_numeric(survey.data[own], errors="coerce").to_numpy(dtype=np.float64)
            continue
        reference = _background_variable(latest.codebook, name)
        if reference is None or set(variable.values) != set(reference.values):
            theirs = sorted(reference.values) if reference is not None else "none"
            raise DataError(f"{_where(survey, label)}: variable {own!r} has codes {sorted(variable.values)} but cycle "
                            f"{latest_label} has {theirs}; {name!r} cannot be harmonised")
        codes = survey.codes(own).to_numpy()
        labels = pd.Series(np.trunc(codes.astype(np.float64))).map({float(k): v for k, v in reference.values.items()})
        columns[name] = labels.astype(object).where(labels.notna(), None).to_numpy(dtype=object)
    for indicator_id in _indicator_ids(ordered):
        computable = indicator_id in survey.indicator_ids
        columns[indicator_id] = survey.indicator(indicator_id).to_numpy(dtype=np.float64) if computable else np.full(n, np.nan)
    columns[WEIGHT_COLUMN] = arrays.weight
    columns[STRATUM_COLUMN] = arrays.stratum
    columns[PSU_COLUMN] = arrays.psu
    frame = pd.DataFrame(columns)
    frame.insert(2, STATE_COLUMN, survey.data[STATE_COLUMN].reset_index(drop=True))
    return frame


def _indicator_ids(ordered: list[tuple[str, Survey]]) -> list[str]:
    """Every indicator id of the cycles, the latest cycle's order first."""
    ids: dict[str, None] = {}
    for _, survey in reversed(ordered):
        ids.update(dict.fromkeys(survey.codebook.indicators))
    return list(ids)


def _stacked_codebook(ordered: list[tuple[str, Survey]], rule: str, columns: list[str]) -> Codebook:
    """A codebook of the stacked columns: each indicator a column of its own, evaluated per cycle beforehand."""
    books = [survey.codebook for _, survey in ordered]
    latest = books[-1]
    variables: dict[str, Variable] = {
        CYCLE_YEAR_COLUMN: Variable(CYCLE_YEAR_COLUMN, "Year of the cycle's end (2001/02: 2002)", "numeric"),
        WEIGHT_COLUMN: Variable(WEIGHT_COLUMN, "The cycle's sampling weight", "weight"),
        STRATUM_COLUMN: Variable(STRATUM_COLUMN, "The cycle's stratum (code within the cycle)", "design"),
        PSU_COLUMN: Variable(PSU_COLUMN, "The cycle's primary sampling unit (code within the cycle)", "design"),
    }
    for name in HARMONISED_VARIABLES:
        reference = _background_variable(latest, name)
        if name in columns and reference is not None:
            variables[name] = Variable(name, reference.label, reference.type, reference.question,
                                       reference.values if reference.is_labelled else {}, source=reference.source)
    indicators: dict[str, Indicator] = {}
    for indicator_id in _indicator_ids(ordered):
        defining = [book for book in reversed(books) if indicator_id in book.indicators]
        base = defining[0].indicators[indicator_id]
        rule_ = {"mean_of": (indicator_id,)} if base.kind == "mean" else {"in": (1,)}
        variables[indicator_id] = Variable(indicator_id, base.label, "numeric",
                                           source="computed in each cycle by that cycle's codebook rule")
        indicators[indicator_id] = Indicator(
            indicator_id, base.label, (indicator_id,), rule_, priority_areas=base.priority_areas,
            source="harmonised across cycles: each cycle's rows by its own codebook (" + ", ".join(b.name for b in defining) + ")",
        )
    files = tuple(dict.fromkeys(f for book in books for f in book.files))
    return Codebook(
        name="+".join(book.name for book in books),
        title="Stacked survey cycles " + ", ".join(label for label, _ in ordered),
        source="; ".join(book.source for book in books if book.source),
        synthetic=any(book.synthetic for book in books),
        state_variable=None,
        design=DesignSpec(weight=WEIGHT_COLUMN, strata=(CYCLE_COLUMN, STRATUM_COLUMN), psu=PSU_COLUMN, nest=True, lonely_psu=rule),
        variables=variables,
        indicators=indicators,
        files=files,
    )
