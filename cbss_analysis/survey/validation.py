"""Check a survey file against its codebook and list every problem, not just the first.

:func:`validate_file` is what ``cbss-analysis validate`` runs: unreadable files, missing
variables, unknown codes (with counts), out-of-range values, a file in which no row is of a CBSS
member state, and bad design variables (weights, strata, PSUs, lonely PSUs) each become one
:class:`~cbss_analysis.survey.decoding.Problem`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cbss_analysis import states
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import CbssError, DesignError
from cbss_analysis.survey.codebook import Codebook, load_codebook
from cbss_analysis.survey.decoding import Problem, decode_frame, missing_variables
from cbss_analysis.survey.design import design_arrays
from cbss_analysis.survey.loading import apply_design_fallback, default_codebook_for, design_from_codebook
from cbss_analysis.survey.readers import read_raw


def validate_file(path: str | Path, codebook: str | Path | Codebook | None = None) -> list[Problem]:
    """Every problem of a survey file against a codebook (empty when the file is valid).

    Parameters
    ----------
    path : str or Path
        The survey file.
    codebook : str, Path or Codebook, optional
        Default as :func:`cbss_analysis.load_survey` chooses it.

    Raises
    ------
    CodebookError
        If the codebook itself is invalid (there is nothing to check the file against).
    """
    path = Path(path).expanduser()
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook if codebook is not None else default_codebook_for(path))
    try:
        raw = read_raw(path, columns=list(codebook.variables))
    except CbssError as error:
        return [Problem("unreadable", "", str(error))]
    where = str(path)
    problems = missing_variables(raw.frame, codebook, where)
    decoded, found = decode_frame(raw.frame, codebook, where)
    problems.extend(found)
    problems.extend(_member_state_problems(decoded, codebook, where))
    if codebook.design is None:
        return problems
    design = design_from_codebook(codebook)
    if not any(p.variable in design.columns for p in problems):
        try:
            design_arrays(apply_design_fallback(decoded, codebook, where, warn=False), design, where)
        except DesignError as error:
            problems.append(Problem("design", "", str(error)))
    return problems


def _member_state_problems(decoded: pd.DataFrame, codebook: Codebook, where: str) -> list[Problem]:
    """A problem when the state variable has values but none of them is a CBSS member state."""
    from cbss_analysis.survey.decoding import STATE_COLUMN

    name = codebook.state_variable
    if not name or STATE_COLUMN not in decoded.columns or decoded[STATE_COLUMN].notna().any():
        return []
    if decoded[name].isna().all():
        return []  # reported as missing_state
    examples = ", ".join(f"{v:g}" if isinstance(v, float) else snippet(v, 20) for v in decoded[name].dropna().drop_duplicates().head(3))
    members = ", ".join(str(code) for code in list(states.iso2_from_countryno())[:3])
    return [Problem("no_member_state", name, f"{where}: no row of {snippet(name)} is a CBSS member state (values such as "
                                             f"{examples}; member codes are HBSC countryno codes such as {members})")]
