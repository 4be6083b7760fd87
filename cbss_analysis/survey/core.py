"""Survey microdata with its sampling design and codebook.

:func:`load_survey` reads a file (SPSS, Stata, CSV, Parquet) through a codebook into a
:class:`Survey`: one row per respondent with labelled categoricals, NA for missing
codes and a ``state`` column of ISO2 codes, plus the :class:`~cbss_analysis.survey.design.Design`
that every estimate uses. ``Survey(frame, design, codebook)`` builds one from any frame, and
:meth:`Survey.subset` restricts the analysis to some respondents while keeping the full design.
"""

from __future__ import annotations

import copy
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbss_analysis.common.checks import suggestion
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import DataError, EstimationError
from cbss_analysis.survey import calibration as cal
from cbss_analysis.survey import indicators
from cbss_analysis.survey.codebook import Codebook, rule_variables
from cbss_analysis.survey.decoding import STATE_COLUMN, decode_frame
from cbss_analysis.survey.design import Design, DesignArrays, design_arrays
from cbss_analysis.survey.replicates import ReplicateArrays, ReplicateDesign, replicate_arrays
from cbss_analysis.survey.reweighting import Reweighting
from cbss_analysis.survey.selection import selection_mask

if TYPE_CHECKING:
    from cbss_analysis.survey.cycles import Cycle


class Survey(Reweighting):
    """Respondent-level survey data, its sampling design and (optionally) its codebook.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent. Columns that the codebook describes and that still hold
        numeric codes are decoded (labels, missing codes to NA); the caller's frame is
        never modified.
    design : Design or ReplicateDesign
        The design columns (weight, strata, PSU, fpc), or a replicate-weight design (R
        ``svrepdesign``, :class:`~cbss_analysis.survey.replicates.ReplicateDesign`): every
        estimator then uses the replicate variance.
    codebook : Codebook, optional
        What the variables mean; needed for indicators.
    source : Path, optional
        The file the data came from (for provenance).
    synthetic : bool, optional
        Whether the data are synthetic; default: the codebook's ``synthetic`` flag.

    Notes
    -----
    **A filtered frame is not a domain analysis.** ``Survey(frame[frame.state == "EE"], design)``
    builds a *new design* from the remaining rows: its strata have fewer PSUs (``n_h``) and its
    fpc and lonely-PSU checks see only those rows, so its standard errors differ from those of
    the same respondents analysed as a subpopulation of the survey, and the build can even fail
    (R's ``svydesign()`` on a filtered ``apiclus2`` stops with "has only one PSU at stage 2",
    while ``subset(design, stype == "E")`` works). To analyse some respondents, keep the whole
    design: use ``by=`` or :meth:`subset` (R ``subset(design, ...)``).

    Raises
    ------
    DesignError
        If the design does not fit the data (see :func:`cbss_analysis.survey.design.design_arrays`).
    DataError
        If a column holds codes that the codebook does not know.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        design: Design | ReplicateDesign,
        codebook: Codebook | None = None,
        source: Path | None = None,
        synthetic: bool | None = None,
    ) -> None:
        where = str(source) if source else "survey"
        if codebook is not None:
            frame, problems = decode_frame(frame, codebook, where)
            if problems:
                more = f" (and {len(problems) - 1} more problem(s): run 'cbss-analysis validate')" if len(problems) > 1 else ""
                raise DataError(problems[0].message + more)
        else:
            frame = frame.copy(deep=False)
        self._setup(frame, design, codebook, source, synthetic)

    @classmethod
    def from_decoded(
        cls,
        frame: pd.DataFrame,
        design: Design,
        codebook: Codebook | None = None,
        source: Path | None = None,
        synthetic: bool | None = None,
    ) -> Survey:
        """A survey from a frame that decoding already produced (the survey cache): codes are not decoded again.

        Parameters are those of :class:`Survey`; ``frame`` must be the ``data`` of a survey built from the same
        file and codebook. The design is checked as usual.
        """
        survey = cls.__new__(cls)
        survey._setup(frame, design, codebook, source, synthetic)
        return survey

    def _setup(
        self, frame: pd.DataFrame, design: Design, codebook: Codebook | None, source: Path | None, synthetic: bool | None,
    ) -> None:
        where = str(source) if source else "survey"
        self.data: pd.DataFrame = frame
        self.design: Design | ReplicateDesign = design
        self.codebook: Codebook | None = codebook
        self.source: Path | None = source
        self.synthetic: bool = bool(codebook.synthetic if synthetic is None and codebook is not None else synthetic)
        self._replicates: ReplicateArrays | None = None
        self._calibration: cal.Calibration | None = None
        if isinstance(design, ReplicateDesign):
            # each row its own PSU in one stratum: the Taylor arrays only carry the full-sample weight
            self._arrays = design_arrays(frame, Design(weight=design.weight), where)
            self._replicates = replicate_arrays(frame, design, self._arrays.weight, where)
        else:
            self._arrays = design_arrays(frame, design, where)
        self._indicator_cache: dict[str, pd.Series] = {}
        self.cycles: tuple[Cycle, ...] = ()
        """The cycles of a stacked survey (:func:`cbss_analysis.survey.stacking.stack_surveys`), in time order;
        empty for a survey of one file."""
        self._subset: np.ndarray | None = None
        self._conditions: tuple[str, ...] = ()

    def __repr__(self) -> str:
        data = self.data if self._subset is None else self.data.loc[self._subset]
        states = data[STATE_COLUMN].nunique() if STATE_COLUMN in data else 0
        codebook = self.codebook.name if self.codebook else None
        label = ", SYNTHETIC DATA" if self.synthetic else ""
        count = f"{len(self.data):,} respondents"
        if self._subset is not None:
            condition = self._conditions[0] if len(self._conditions) == 1 else " & ".join(f"({c})" for c in self._conditions)
            count = f"{len(self):,} of {len(self.data):,} respondents in subset {condition}"
        return f"<Survey: {count}, {states} states, codebook={codebook!r}, {self.design}{label}>"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        from cbss_analysis.survey.summary import survey_text

        printer.text(repr(self) if cycle else survey_text(self))

    def _repr_html_(self) -> str:
        from cbss_analysis.survey.summary import survey_html

        return survey_html(self)

    def __len__(self) -> int:
        """Respondents in the survey (in the subset, for a subset)."""
        return len(self.data) if self._subset is None else int(self._subset.sum())

    def design_arrays(self) -> DesignArrays:
        """The design as integer codes over all rows of ``data`` (validated once, when the survey was built)."""
        return self._arrays

    def subset(self, where: pd.Series | np.ndarray | str) -> Survey:
        """The same survey, restricted to the respondents ``where`` selects: R ``subset(design, ...)``.

        The result keeps the full data and the full design: respondents outside the subset stay
        in their strata and PSUs and contribute nothing, so every estimate on it is a domain
        (subpopulation) estimate with the standard errors of the whole design (strata keep the
        PSU counts ``n_h`` of the full design, the fpc is unchanged). Every estimator and model
        intersects its domains with the subset: ``n`` counts respondents in the subset, the
        ``by`` domains are those observed in it, and the degrees of freedom are R's ``degf()``
        of the subset design, PSUs with subset members minus strata with subset members.
        This is *not* the same as building a :class:`Survey` from the filtered frame (see the
        class notes). Subsets of subsets intersect.

        Parameters
        ----------
        where : pandas.Series of bool, ndarray of bool, or str
            A boolean Series aligned with :attr:`data` (same index; NA drops the row, as in R),
            or a pandas query string over the columns of :attr:`data`, e.g.
            ``'state == "EE" and age >= 13'``. The string is evaluated by ``DataFrame.eval``
            with no access to Python variables: ``@name`` is refused, and so is anything but
            column names, literals, comparisons, ``and``/``or``/``not`` (``&``, ``|``, ``~``),
            arithmetic, lists and the column methods ``isin``, ``between``, ``isna``, ``notna``
            (see :mod:`cbss_analysis.survey.selection`).

        Returns
        -------
        Survey
            A survey sharing this one's data, design and codebook, with :attr:`subset_mask` set.

        Raises
        ------
        EstimationError
            A malformed or unsafe condition, a Series not aligned with the data, or a subset
            with no respondent.
        """
        mask, label = selection_mask(self.data, where, "subset")
        if self._subset is not None:
            mask = mask & self._subset
        if not mask.any():
            raise EstimationError(f"subset: where={label!r} selects no respondent of the survey")
        out = copy.copy(self)
        out._subset = mask
        out._subset.setflags(write=False)
        out._conditions = (*self._conditions, label)
        return out

    @property
    def subset_mask(self) -> np.ndarray | None:
        """Rows of :attr:`data` in the subset (read-only bool array), or None for the whole survey."""
        return self._subset

    @property
    def in_subset(self) -> np.ndarray:
        """Rows of :attr:`data` in the survey's subset, shape (len(data),); all True without a subset."""
        return np.ones(len(self.data), dtype=bool) if self._subset is None else self._subset.copy()

    @property
    def replicates(self) -> ReplicateArrays | None:
        """The replicate weights and R ``svrVar`` constants of a replicate design (None: a Taylor design)."""
        return self._replicates

    @property
    def degrees_of_freedom(self) -> int:
        """Design degrees of freedom: PSUs minus strata among the rows of the survey (of its subset) with a
        nonzero weight, R ``degf(design)``; for a replicate design the rank of the analysis weights of
        those rows minus 1."""
        rows = self.analysed_rows()
        if self._replicates is not None:
            return self._replicates.degrees_of_freedom(rows)
        if rows is None:
            return self._arrays.degrees_of_freedom
        arrays = self._arrays
        return int(np.unique(arrays.psu[rows]).size - np.unique(arrays.stratum[rows]).size)

    def analysed_rows(self) -> np.ndarray | None:
        """Rows that can belong to a domain: in the subset and with a nonzero weight (None: every row).

        Zero-weight rows stay in the design but are no one's respondents (R ``svyby`` drops a
        group made only of them).
        """
        arrays = self._arrays
        if self._subset is None and not arrays.zero_weights:
            return None
        rows = self.in_subset
        if arrays.zero_weights:
            rows &= arrays.positive
        return rows

    @cached_property
    def indicator_ids(self) -> list[str]:
        """Indicators of the codebook that this survey's columns can compute."""
        if self.codebook is None:
            return []
        return [i for i, ind in self.codebook.indicators.items() if all(v in self.data for v in rule_variables(ind))]

    def has(self, name: str) -> bool:
        """True when ``name`` is a column of the data or a computable indicator."""
        return name in self.data.columns or name in self.indicator_ids

    def codes(self, name: str) -> pd.Series:
        """Float codes of a column: the codebook code of each label for labelled variables, NaN for NA.

        Raises
        ------
        EstimationError
            If the survey has no column ``name``, or ``name`` is a text variable (string codes).
        """
        if name not in self.data.columns:
            raise EstimationError(self._unknown("variable", name, self.data.columns, "survey.data.columns"))
        column = self.data[name]
        variable = self.codebook.variables.get(name) if self.codebook else None
        if variable is not None and variable.is_text:
            raise EstimationError(f"{self._where()}: variable {name!r} is a text variable (string codes); it has no numeric codes")
        if not isinstance(column.dtype, pd.CategoricalDtype):
            return pd.to_numeric(column, errors="coerce").astype("float64")
        if variable is not None:
            label_to_code = {label: float(code) for code, label in variable.values.items()}
        else:
            label_to_code = {label: float(i + 1) for i, label in enumerate(column.cat.categories)}
        lookup = np.array([label_to_code.get(c, np.nan) for c in column.cat.categories] + [np.nan])
        positions = column.cat.codes.to_numpy()
        return pd.Series(lookup[np.where(positions < 0, len(lookup) - 1, positions)], index=column.index, name=name)

    def indicator(self, indicator_id: str) -> pd.Series:
        """Evaluate a codebook indicator: float 1.0/0.0 (or a mean for ``mean_of``), NaN outside its population.

        Raises
        ------
        EstimationError
            Unknown indicator, or the survey lacks a variable that the indicator needs.
        """
        if indicator_id not in self._indicator_cache:
            if self.codebook is None or indicator_id not in self.codebook.indicators:
                known = list(self.codebook.indicators) if self.codebook is not None else []
                raise EstimationError(self._unknown("indicator", indicator_id, known, "survey.indicator_ids"))
            definition = self.codebook.indicators[indicator_id]
            lacking = [v for v in rule_variables(definition) if v not in self.data.columns]
            if lacking:
                raise EstimationError(f"{self._where()}: indicator {snippet(indicator_id)} needs variable {snippet(lacking[0])}, which the survey lacks")
            self._indicator_cache[indicator_id] = indicators.evaluate(definition, self.codes)
        return self._indicator_cache[indicator_id].copy()

    def values(self, name: str) -> pd.Series:
        """Float analysis values of an indicator id or a numeric column.

        Raises
        ------
        EstimationError
            If ``name`` is unknown or a labelled (categorical) column: estimate those by category.
        """
        if name in self.data.columns:
            column = self.data[name]
            if isinstance(column.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(column):
                raise EstimationError(f"{self._where()}: variable {snippet(name)} is categorical ({column.dtype}); estimate its categories or use an indicator")
            return column.astype("float64")
        if self.codebook is not None and name in self.codebook.indicators:
            return self.indicator(name)
        raise EstimationError(self._unknown("variable or indicator", name, [*self.indicator_ids, *self.data.columns],
                                            "survey.indicator_ids or survey.data.columns"))

    def _unknown(self, what: str, name: object, known, where_listed: str) -> str:
        """One line for an unknown name: the closest known names and where to list them."""
        hint = suggestion(name, known) if isinstance(name, str) else ""
        return f"{self._where()}: no {what} {snippet(name)} in the survey{hint} (list them with {where_listed})"

    def _where(self) -> str:
        """The data file's name (never its folder: messages carry no machine paths), or "survey"."""
        return self.source.name if self.source else "survey"
