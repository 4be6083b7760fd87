"""Survey microdata with its sampling design and codebook.

:func:`load_survey` reads a file (SPSS, Stata, CSV, Parquet) through a codebook into a
:class:`Survey`: one row per respondent with labelled categoricals, NA for missing
codes and a ``state`` column of ISO2 codes, plus the :class:`~cbss_analysis.survey.design.Design`
that every estimate uses. ``Survey(frame, design, codebook)`` builds one from any frame.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cbss_analysis.errors import DataError, EstimationError
from cbss_analysis.survey import indicators
from cbss_analysis.survey.codebook import Codebook, rule_variables
from cbss_analysis.survey.decoding import STATE_COLUMN, decode_frame
from cbss_analysis.survey.design import Design, DesignArrays, design_arrays


class Survey:
    """Respondent-level survey data, its sampling design and (optionally) its codebook.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent. Columns that the codebook describes and that still hold
        numeric codes are decoded (labels, missing codes to NA); the caller's frame is
        never modified.
    design : Design
        The design columns (weight, strata, PSU, fpc).
    codebook : Codebook, optional
        What the variables mean; needed for indicators.
    source : Path, optional
        The file the data came from (for provenance).
    synthetic : bool, optional
        Whether the data are synthetic; default: the codebook's ``synthetic`` flag.

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
        design: Design,
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
        self.design: Design = design
        self.codebook: Codebook | None = codebook
        self.source: Path | None = source
        self.synthetic: bool = bool(codebook.synthetic if synthetic is None and codebook is not None else synthetic)
        self._arrays: DesignArrays = design_arrays(frame, design, where)
        self._indicator_cache: dict[str, pd.Series] = {}

    def __repr__(self) -> str:
        states = self.data[STATE_COLUMN].nunique() if STATE_COLUMN in self.data else 0
        codebook = self.codebook.name if self.codebook else None
        label = ", SYNTHETIC DATA" if self.synthetic else ""
        return f"<Survey: {len(self.data):,} respondents, {states} states, codebook={codebook!r}, {self.design}{label}>"

    def __len__(self) -> int:
        return len(self.data)

    def design_arrays(self) -> DesignArrays:
        """The design as integer codes (validated once, when the survey was built)."""
        return self._arrays

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
            If the survey has no column ``name``.
        """
        if name not in self.data.columns:
            raise EstimationError(f"{self._where()}: no variable {name!r} in the survey")
        column = self.data[name]
        if not isinstance(column.dtype, pd.CategoricalDtype):
            return pd.to_numeric(column, errors="coerce").astype("float64")
        variable = self.codebook.variables.get(name) if self.codebook else None
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
                raise EstimationError(f"{self._where()}: unknown indicator {indicator_id!r}")
            definition = self.codebook.indicators[indicator_id]
            lacking = [v for v in rule_variables(definition) if v not in self.data.columns]
            if lacking:
                raise EstimationError(f"{self._where()}: indicator {indicator_id!r} needs variable {lacking[0]!r}, which the survey lacks")
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
                raise EstimationError(f"{self._where()}: variable {name!r} is categorical ({column.dtype}); estimate its categories or use an indicator")
            return column.astype("float64")
        if self.codebook is not None and name in self.codebook.indicators:
            return self.indicator(name)
        raise EstimationError(f"{self._where()}: no variable or indicator {name!r} in the survey")

    def _where(self) -> str:
        return str(self.source) if self.source else "survey"
