"""Loading survey files: :func:`load_survey` reads a file through a codebook into a :class:`Survey`.

The file (SPSS, Stata, CSV, Parquet) is read by :mod:`~cbss_analysis.survey.readers`, decoded by
:mod:`~cbss_analysis.survey.decoding` (labelled categoricals, NA for missing codes, a ``state``
column of ISO2 codes) and given the :class:`~cbss_analysis.survey.design.Design` that its codebook
declares.

With a survey cache (``cache=FOLDER`` or ``$CBSS_SURVEY_CACHE``, :mod:`~cbss_analysis.survey.cache`), the decoded
frame is stored after the first load and read back, checked by its sha256, by every later load of the same file
through the same codebook; the survey and every message are the same either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from cbss_analysis import paths
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import DataError
from cbss_analysis.survey import cache as survey_cache
from cbss_analysis.survey.codebook import Codebook, load_codebook
from cbss_analysis.survey.codebook_choice import SYNTHETIC_FILE_LABEL_PREFIX, codebook_for_file, default_codebook_for
from cbss_analysis.survey.core import Survey
from cbss_analysis.survey.cycles import cycle_year
from cbss_analysis.survey.design import Design
from cbss_analysis.survey.readers import read_raw
from cbss_analysis.survey.replicates import ReplicateDesign
from cbss_analysis.survey.stacking import stack_surveys

__all__ = ["SYNTHETIC_FILE_LABEL_PREFIX", "apply_design_fallback", "default_codebook_for", "design_from_codebook", "load_survey"]

FileSpec = str | Path | tuple[str | Path, str | Path | Codebook]
"""One cycle's file for :func:`load_survey`: a path, or a pair (path, codebook)."""

def design_from_codebook(codebook: Codebook, lonely_psu: str | None = None) -> Design | ReplicateDesign:
    """The :class:`Design` that a codebook declares, or its :class:`ReplicateDesign` when the design
    block has ``replicates:`` (the replicate columns must be variables of the codebook).

    ``lonely_psu`` overrides the codebook's ``design.lonely_psu``; without either the rule is ``"fail"``.

    Raises
    ------
    DataError
        If the codebook declares no design.
    """
    if codebook.design is None:
        raise DataError(f"{codebook.path or snippet(codebook.name)}: the codebook declares no design (weight, strata, psu)")
    spec = codebook.design
    if spec.replicates is not None:
        return ReplicateDesign(weight=spec.weight, **spec.replicates)
    rule = lonely_psu if lonely_psu is not None else spec.lonely_psu or "fail"
    return Design(weight=spec.weight, strata=spec.strata or None, psu=spec.psu, fpc=spec.fpc, lonely_psu=rule, nest=spec.nest)


def load_survey(
    path: str | Path | Sequence[FileSpec] | Mapping[str, FileSpec] | None = None,
    codebook: str | Path | Codebook | None = None,
    keep_all_countries: bool = False,
    lonely_psu: str | None = None,
    cache: str | Path | bool | None = None,
) -> Survey:
    """Load survey microdata through a codebook; several cycles' files into one stacked survey.

    Parameters
    ----------
    path : str, Path, sequence or mapping, optional
        A ``.sav``, ``.dta``, ``.csv`` or ``.parquet`` file. Default: the embedded synthetic
        survey (``data/survey/cbss_synthetic_hbsc2018.sav``).

        **Several cycles**: a list of files (``[path_2006, path_2014, path_2018]``; an item may be a pair
        ``(path, codebook)``), each read through its codebook (default: the cycle codebook its schema fits,
        :func:`~cbss_analysis.survey.codebook_choice.codebook_for_file`) and labelled with the codebook's
        ``cycle``; or a mapping ``{"2005/06": (path, codebook), ...}`` (a value may be a path alone), whose keys
        are the cycles. The result is one survey with a ``cycle`` column, strata nested within cycle and PSUs
        within strata (independent samples) and the harmonised indicators
        (:func:`~cbss_analysis.survey.stacking.stack_surveys`); every estimator takes ``by=["cycle", ...]``.
    codebook : str, Path or Codebook, optional
        A shipped codebook name, a YAML path, or a loaded codebook. Default: ``cbss_synthetic``
        for a file labelled synthetic (the embedded survey, ``cbss-analysis synth`` output),
        else ``hbsc2018_oa`` (the real HBSC 2017/18 open-access file), else (an SPSS or Stata file without
        that codebook's design variables) the cycle codebook its schema fits. Not with several files: give
        each file's codebook with it.
    keep_all_countries : bool
        Keep rows of countries that are not CBSS member states (their ``state`` is NA).
        By default they are left out, with a warning that counts them.
    lonely_psu : str, optional
        Lonely-PSU rule (see :class:`Design`). Default: the codebook's ``design.lonely_psu``
        (``hbsc2018_oa`` declares ``"adjust"``), else ``"fail"``.
    cache : str, Path or bool, optional
        Folder of the survey cache (:mod:`~cbss_analysis.survey.cache`; it holds respondent-level rows);
        False for none; default ``$CBSS_SURVEY_CACHE`` (unset: none). ``cbss-analysis report`` sets it to
        ``<out>/.survey-cache``.

    Returns
    -------
    Survey

    Raises
    ------
    DataError, CodebookError, DesignError
        One line naming the file, the variable and the value; for several files also: a file's codebook that
        names no cycle (use the mapping), two files of one cycle, designs that cannot be stacked.
    """
    if isinstance(path, Mapping) or (isinstance(path, Sequence) and not isinstance(path, str)):
        if codebook is not None:
            raise DataError("load_survey: with several files give each its codebook, as (path, codebook) or "
                            "{cycle: (path, codebook)}, not codebook=")
        return _load_cycles(path, keep_all_countries, lonely_psu, cache)
    path = Path(path).expanduser() if path is not None else paths.embedded_survey()
    if codebook is None:
        codebook = default_codebook_for(path)
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    folder = survey_cache.cache_folder(cache)
    key = survey_cache.survey_key(path, codebook.files, keep_all_countries) if folder is not None and path.is_file() else None
    hit = survey_cache.read_entry(folder, key)
    if hit is not None:
        if hit.meta.get("left_out"):
            _warn_left_out(path, *hit.meta["left_out"])
        return Survey.from_decoded(hit.frame, design_from_codebook(codebook, lonely_psu), codebook, source=path.resolve(),
                                   synthetic=bool(hit.meta.get("synthetic")))
    raw = read_raw(path, columns=list(codebook.variables))
    left_out = None
    if codebook.state_variable and codebook.state_variable in raw.frame.columns and not keep_all_countries:
        raw_frame, left_out = _member_rows(raw.frame, codebook.state_variable, path)
        if left_out:
            _warn_left_out(path, *left_out)
    else:
        raw_frame = raw.frame
    raw_frame = apply_design_fallback(raw_frame, codebook, path.name)
    synthetic = codebook.synthetic or raw.file_label.upper().startswith(SYNTHETIC_FILE_LABEL_PREFIX)
    survey = Survey(raw_frame, design_from_codebook(codebook, lonely_psu), codebook, source=path.resolve(), synthetic=synthetic)
    if key is not None:
        survey_cache.write_entry(folder, key, survey.data, {"synthetic": synthetic, "left_out": left_out})
    return survey


def _load_cycles(
    files: Sequence[FileSpec] | Mapping[str, FileSpec], keep_all_countries: bool, lonely_psu: str | None,
    cache: str | Path | bool | None,
) -> Survey:
    """Each cycle's file through its codebook, stacked (see :func:`load_survey`)."""
    items = list(files.items()) if isinstance(files, Mapping) else [(None, spec) for spec in files]
    if not items:
        raise DataError("load_survey: no file given")
    surveys: dict[str, Survey] = {}
    seen: dict[str, str] = {}
    candidates: dict[str, Codebook] = {}
    for key, spec in items:
        path, book = spec if isinstance(spec, tuple) else (spec, None)
        if not isinstance(path, (str, Path)):
            raise DataError(f"load_survey: {snippet(spec)} is not a file path or a (path, codebook) pair")
        path = Path(path).expanduser()
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        if book is None:
            book = candidates[codebook_for_file(path, loaded=candidates)]
        elif not isinstance(book, Codebook):
            book = load_codebook(book)
        cycle = key if key is not None else book.cycle
        if cycle is None:
            raise DataError(f"{path.name}: codebook {snippet(book.name)} names no cycle; pass {{cycle: (path, codebook)}}")
        cycle_year(cycle)
        if key is not None and book.cycle is not None and book.cycle != cycle:
            raise DataError(f"{path.name}: given as cycle {snippet(cycle)} but codebook {book.name} is of cycle {book.cycle}")
        if cycle in seen:
            raise DataError(f"{path.name}: cycle {cycle} is already read from {seen[cycle]}; give one file per cycle")
        seen[cycle] = path.name
        surveys[cycle] = load_survey(path, book, keep_all_countries, lonely_psu, cache)
    return stack_surveys(surveys, lonely_psu)


FALLBACK_STRATUM_CODE = -1
"""The stratum code given to rows without one under ``design.fallback.strata: own_stratum``."""


def apply_design_fallback(frame: pd.DataFrame, codebook: Codebook, where: str = "", warn: bool = True) -> pd.DataFrame:
    """Fill the missing design values that the codebook's ``design.fallback`` covers (see ``DESIGN_FALLBACKS``).

    A value is missing when it is NA or one of the variable's ``missing`` codes. ``weight: zero`` gives weight 0;
    ``strata: own_stratum`` gives code -1 (one stratum of the rows without a code, within the other strata
    variables); ``psu: own_psu`` gives each such row a PSU of its own (codes -1, -2, ... by row). Each fill is
    warned about, with its count. A frame without such values, or a codebook without a fallback, is returned as is.
    """
    spec = codebook.design
    if spec is None or not spec.fallback:
        return frame
    roles = {"weight": [spec.weight], "strata": list(spec.strata), "psu": [spec.psu] if spec.psu else []}
    out = frame
    for role in spec.fallback:
        for name in roles[role]:
            if name not in out.columns:
                continue
            column = pd.to_numeric(out[name], errors="coerce") if not codebook.variables[name].is_text else out[name]
            missing = out[name].isna() | out[name].isin(list(codebook.variables[name].missing))
            count = int(missing.sum())
            if count == 0:
                continue
            if out is frame:
                out = frame.copy()
            if role == "weight":
                filled = column.mask(missing, 0.0)
            elif role == "strata":
                filled = column.mask(missing, str(FALLBACK_STRATUM_CODE) if codebook.variables[name].is_text else FALLBACK_STRATUM_CODE)
            else:
                own = pd.Series(-(pd.RangeIndex(len(out)) + 1), index=out.index, dtype="float64")
                filled = column.astype("float64").mask(missing, own)
            out[name] = filled
            if warn:
                what = {"weight": "weight 0", "strata": f"a stratum of their own (code {FALLBACK_STRATUM_CODE})",
                        "psu": "a PSU each"}[role]
                warnings.warn(f"{where}: {count:,} row(s) without {role} variable {name!r} get {what} (design.fallback)",
                              stacklevel=3)
    return out


def _member_rows(frame: pd.DataFrame, state_variable: str, path: Path) -> tuple[pd.DataFrame, tuple[int, int] | None]:
    """The rows of member states, and (rows left out, countries they belong to) when there were others."""
    from cbss_analysis.states import iso2_from_countryno

    country = pd.to_numeric(frame[state_variable], errors="coerce")
    member = country.isin(list(iso2_from_countryno()))
    dropped = int((~member).sum())
    if dropped == 0:
        return frame, None
    if not member.any():
        present = country.dropna()
        example = f" (codes such as {present.iloc[0]:g})" if len(present) else " (it has no numeric codes)"
        raise DataError(f"{path}: no rows of a CBSS member state in {snippet(state_variable)}{example}; "
                        "pass keep_all_countries=True to load them anyway")
    others = int(country[~member].nunique())
    return frame.loc[member].reset_index(drop=True), (dropped, others)


def _warn_left_out(path: Path, dropped: int, others: int) -> None:
    """Warn (attributed to the caller of :func:`load_survey`) that rows of non-member countries were left out."""
    warnings.warn(
        f"{path.name}: left out {dropped:,} rows of {others} non-CBSS countries; pass keep_all_countries=True to keep them",
        stacklevel=3,
    )
