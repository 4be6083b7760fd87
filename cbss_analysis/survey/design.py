"""The sampling design: weights, strata, primary sampling units (PSUs) and finite-population corrections.

:class:`Design` names the design columns, as R's ``svydesign(ids=, strata=, weights=,
fpc=, nest=)`` does; :func:`design_arrays` checks them against a frame and turns them
into the integer codes that the estimation engine sums over.

Two R semantics that matter:

- **Zero weights** are allowed: the row stays in the design (its PSU counts in the stratum's
  PSU count ``n_h`` and in the fpc) and contributes nothing to any estimate; the design degrees
  of freedom count only PSUs and strata with a nonzero weight (R ``degf()``), and a domain made
  only of zero-weight rows is not a domain (R ``svyby`` drops it).
- **Two stages** (``psu=("school", "class")``, ``fpc=("N_schools", "N_classes")``) give R's
  multistage variance (``svydesign(ids = ~school + class, fpc = ~N1 + N2)`` with
  ``options(survey.ultimate.cluster = FALSE)``, its default): the first-stage variance plus,
  within each PSU, the variance of its second-stage units, scaled by the first-stage sampling
  fraction (``survey:::multistage``). Without an fpc the second stage contributes nothing (R:
  with-replacement first stage), exactly as a one-stage design on the first-stage PSUs, which
  is also what R gives with ``survey.ultimate.cluster = TRUE``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbss_analysis.common.text import snippet
from cbss_analysis.errors import DesignError
from cbss_analysis.survey import design_checks as checks
from cbss_analysis.survey.design_codes import CERTAINTY_TOLERANCE, DesignArrays, SecondStage

__all__ = ["CERTAINTY_TOLERANCE", "LONELY_PSU_RULES", "Design", "DesignArrays", "SecondStage", "design_arrays"]

LONELY_PSU_RULES: tuple[str, ...] = ("fail", "adjust", "remove", "certainty", "average")


@dataclass(frozen=True)
class Design:
    """Names of the design columns of a survey, with R ``survey``'s meanings.

    Parameters
    ----------
    weight : str
        Sampling weight column (finite, not negative). A zero weight keeps the row in the
        design, contributing nothing (see the module docstring).
    strata : str or tuple of str, optional
        Stratum column(s) of the first stage; several columns define strata by their combination.
    psu : str or tuple of two str, optional
        Primary sampling unit (first-stage cluster). ``None``: each row is its own PSU. Two
        names ``(first, second)`` give a two-stage design: second-stage units are the distinct
        values of ``second`` within each PSU (R ``ids = ~first + second``); the second stage is
        not stratified. Its variance enters only with an fpc for both stages.
    fpc : str or tuple of two str, optional
        Finite-population correction, one column per stage, as in R ``svydesign(fpc=)``: values
        above 1 are population counts, values at most 1 are sampling fractions. First stage:
        constant within a stratum, counting PSUs (or rows when ``psu`` is None); second stage:
        constant within a PSU, counting its second-stage units.
    lonely_psu : {"fail", "adjust", "remove", "certainty", "average"}
        What to do with a stratum that has a single PSU, as R's ``options(survey.lonely.psu=)``.
    nest : bool
        PSU codes restart within strata (R ``nest=TRUE``): make them unique by stratum.
    """

    weight: str
    strata: str | tuple[str, ...] | None = None
    psu: str | tuple[str, ...] | None = None
    fpc: str | tuple[str, ...] | None = None
    lonely_psu: str = "fail"
    nest: bool = False

    def __post_init__(self) -> None:
        if self.lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu={snippet(self.lonely_psu)} is not one of {', '.join(LONELY_PSU_RULES)}")
        for name in ("strata", "psu", "fpc"):
            value = getattr(self, name)
            if isinstance(value, list):
                value = tuple(value)
            if isinstance(value, tuple) and len(value) == 1 and name != "strata":
                value = value[0]
            object.__setattr__(self, name, value)
        if len(self.psu_columns) > 2:
            raise DesignError(f"psu={snippet(self.psu)} names {len(self.psu_columns)} stages; at most two stages are supported")
        if len(self.fpc_columns) > max(len(self.psu_columns), 1) or (
            len(self.psu_columns) == 2 and len(self.fpc_columns) not in (0, 2)
        ):
            raise DesignError(
                f"fpc={snippet(self.fpc)} must name one column per stage of psu={snippet(self.psu)} (or none), "
                "as R svydesign(fpc = ~N1 + N2)"
            )

    @property
    def strata_columns(self) -> tuple[str, ...]:
        """The stratum columns as a tuple (empty when unstratified)."""
        if self.strata is None:
            return ()
        return (self.strata,) if isinstance(self.strata, str) else tuple(self.strata)

    @property
    def psu_columns(self) -> tuple[str, ...]:
        """The cluster columns, one per stage (empty: each row is its own PSU)."""
        if self.psu is None:
            return ()
        return (self.psu,) if isinstance(self.psu, str) else tuple(self.psu)

    @property
    def fpc_columns(self) -> tuple[str, ...]:
        """The fpc columns, one per stage (empty without fpc)."""
        if self.fpc is None:
            return ()
        return (self.fpc,) if isinstance(self.fpc, str) else tuple(self.fpc)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the design reads."""
        return (self.weight, *self.strata_columns, *dict.fromkeys((*self.psu_columns, *self.fpc_columns)))


def design_arrays(frame: pd.DataFrame, design: Design, where: str = "survey") -> DesignArrays:
    """Check the design columns of ``frame`` and return them as integer codes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The survey data.
    design : Design
        Which columns hold the weight, strata, PSUs and fpc.
    where : str
        Name of the data (file) used in error messages.

    Raises
    ------
    DesignError
        Missing design column; weights that are missing, non-numeric (or true/false), negative,
        infinite or all zero, or so large that their total (or the total of their squares) overflows;
        missing strata or PSU codes; a PSU in more than one stratum without ``nest=True``; an fpc that
        varies within a stratum (a PSU at the second stage) or is smaller than the sample; a stratum
        with a single PSU, or a PSU with a single second-stage unit, under ``lonely_psu="fail"``.
    """
    missing = [c for c in design.columns if c not in frame.columns]
    if missing:
        raise DesignError(f"{where}: design variable {snippet(missing[0])} is not in the data (columns: {checks.preview(frame.columns)})")
    weight = checks.weights(frame[design.weight], design.weight, where)
    stratum, stratum_labels = checks.strata_codes(frame, design.strata_columns, where)
    psu = checks.psu_codes(frame, design, stratum, stratum_labels, where)
    n_strata = len(stratum_labels)
    psu_stratum = np.zeros(int(psu.max()) + 1 if psu.size else 0, dtype=np.int64)
    psu_stratum[psu] = stratum
    n_psu = np.bincount(psu_stratum, minlength=n_strata).astype(np.int64)
    fpc_fraction = checks.fpc_fraction(frame, design, stratum, n_psu, stratum_labels, where)
    certainty = 1.0 - fpc_fraction < CERTAINTY_TOLERANCE
    lonely = (n_psu == 1) & ~certainty
    if design.lonely_psu == "fail" and lonely.any():
        names = [stratum_labels[i] for i in np.flatnonzero(lonely)[:5]]
        more = f" and {int(lonely.sum()) - 5} more" if lonely.sum() > 5 else ""
        raise DesignError(
            f"{where}: stratum {'; '.join(names)}{more} has only one PSU; choose lonely_psu='adjust', 'average', "
            "'remove' or 'certainty' (as R's survey.lonely.psu) or merge strata"
        )
    stage2 = checks.second_stage(frame, design, psu, psu_stratum, fpc_fraction, where) if len(design.fpc_columns) == 2 else None
    return DesignArrays(
        weight, stratum, psu, psu_stratum, n_psu, fpc_fraction, certainty, design.lonely_psu, stage2, bool((weight == 0).any())
    )
