"""Survey microdata with its sampling design and codebook.

:func:`load_survey` reads a file (SPSS, Stata, CSV, Parquet) through a codebook into a
:class:`Survey`: one row per respondent with labelled categoricals, NA for missing
codes and a ``state`` column of ISO2 codes, plus the :class:`~cbss_analysis.design.Design`
that every estimate uses. ``Survey(frame, design, codebook)`` builds one from any frame.
"""

from __future__ import annotations

import warnings
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from cbss_analysis import indicators, paths
from cbss_analysis.codebook import Codebook, load_codebook, rule_variables
from cbss_analysis.decoding import STATE_COLUMN, decode_frame
from cbss_analysis.design import Design, DesignArrays, design_arrays
from cbss_analysis.errors import DataError, EstimationError
from cbss_analysis.readers import read_raw

__all__ = ["Design", "DesignArrays", "Survey", "load_survey", "design_from_codebook"]

SYNTHETIC_FILE_LABEL_PREFIX = "SYNTHETIC"


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
        If the design does not fit the data (see :func:`cbss_analysis.design.design_arrays`).
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


def design_from_codebook(codebook: Codebook, lonely_psu: str = "fail") -> Design:
    """The :class:`Design` that a codebook declares.

    Raises
    ------
    DataError
        If the codebook declares no design.
    """
    if codebook.design is None:
        raise DataError(f"{codebook.path or codebook.name}: the codebook declares no design (weight, strata, psu)")
    spec = codebook.design
    return Design(weight=spec.weight, strata=spec.strata or None, psu=spec.psu, fpc=spec.fpc, lonely_psu=lonely_psu, nest=spec.nest)


def load_survey(
    path: str | Path | None = None,
    codebook: str | Path | Codebook | None = None,
    keep_all_countries: bool = False,
    lonely_psu: str = "fail",
) -> Survey:
    """Load survey microdata through a codebook.

    Parameters
    ----------
    path : str or Path, optional
        A ``.sav``, ``.dta``, ``.csv`` or ``.parquet`` file. Default: the embedded synthetic
        survey (``data/survey/cbss_synthetic_hbsc2018.sav``).
    codebook : str, Path or Codebook, optional
        A shipped codebook name, a YAML path, or a loaded codebook. Default: ``cbss_synthetic``
        for a file labelled synthetic (the embedded survey, ``cbss-analysis synth`` output),
        else ``hbsc2018_oa`` (the real HBSC 2017/18 open-access file).
    keep_all_countries : bool
        Keep rows of countries that are not CBSS member states (their ``state`` is NA).
        By default they are left out, with a warning that counts them.
    lonely_psu : str
        Lonely-PSU rule (see :class:`Design`).

    Returns
    -------
    Survey

    Raises
    ------
    DataError, CodebookError, DesignError
        One line naming the file, the variable and the value.
    """
    path = Path(path).expanduser() if path is not None else paths.embedded_survey()
    if codebook is None:
        codebook = default_codebook_for(path)
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    raw = read_raw(path, columns=list(codebook.variables))
    if codebook.state_variable and codebook.state_variable in raw.frame.columns and not keep_all_countries:
        raw_frame = _member_rows(raw.frame, codebook.state_variable, path)
    else:
        raw_frame = raw.frame
    synthetic = codebook.synthetic or raw.file_label.upper().startswith(SYNTHETIC_FILE_LABEL_PREFIX)
    return Survey(raw_frame, design_from_codebook(codebook, lonely_psu), codebook, source=path.resolve(), synthetic=synthetic)


def default_codebook_for(path: Path) -> str:
    """Name of the codebook that fits a file: ``cbss_synthetic`` for files labelled synthetic, else ``hbsc2018_oa``."""
    if path.suffix.lower() in {".sav", ".zsav", ".dta"} and path.is_file() and path.stat().st_size > 0:
        import pyreadstat

        reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
        try:
            _, meta = reader(str(path), metadataonly=True)
        except Exception:  # an unreadable file is reported by read_raw with its own message
            return "hbsc2018_oa"
        if (meta.file_label or "").upper().startswith(SYNTHETIC_FILE_LABEL_PREFIX):
            return paths.DEFAULT_CODEBOOK
    return "hbsc2018_oa"


def _member_rows(frame: pd.DataFrame, state_variable: str, path: Path) -> pd.DataFrame:
    from cbss_analysis.states import iso2_from_countryno

    country = pd.to_numeric(frame[state_variable], errors="coerce")
    member = country.isin(list(iso2_from_countryno()))
    dropped = int((~member).sum())
    if dropped == 0:
        return frame
    if not member.any():
        raise DataError(f"{path}: no rows of a CBSS member state in {state_variable!r} (codes such as {country.dropna().iloc[0]:g})")
    others = country[~member].nunique()
    warnings.warn(
        f"{path.name}: left out {dropped:,} rows of {others} non-CBSS countries; pass keep_all_countries=True to keep them",
        stacklevel=3,
    )
    return frame.loc[member].reset_index(drop=True)
