"""Set-up for the analysis notebooks: parameter checks, display options, one-line errors.

The notebooks call :func:`setup` in their first code cell after the parameters, so that a
wrong parameter (an unknown state, a data file that does not exist) stops the notebook
there with one clear line instead of a traceback, and tables display the same way in
every notebook and report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cbss_analysis.errors import CbssError, DataError
from cbss_analysis.states import check_state, state_codes


@dataclass(frozen=True)
class NotebookParameters:
    """The checked parameters of a notebook run."""

    data_path: Path | None
    codebook: str | None
    states: tuple[str, ...]
    min_n: int
    state: str | None = None


def _show_one_line(shell, etype, value, tb, tb_offset=None):  # IPython custom-exception signature
    shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])


def setup(
    data_path: str | Path | None = None,
    codebook: str | None = None,
    states: Sequence[str] | None = None,
    min_n: int = 30,
    state: str | None = None,
) -> NotebookParameters:
    """Check a notebook's parameters and set display options; return the checked values.

    Parameters
    ----------
    data_path : str or Path, optional
        Survey file; None for the embedded synthetic survey.
    codebook : str, optional
        Codebook name or path; None for the default.
    states : sequence of str, optional
        ISO2 codes to analyse; None or empty for all eleven.
    min_n : int
        Smallest number of respondents behind a published estimate (>= 1).
    state : str, optional
        The focal state of a state profile.

    Raises
    ------
    DataError
        One line naming the parameter and its value.
    """
    _install_one_line_errors()
    if data_path not in (None, "") and not Path(data_path).expanduser().is_file():
        raise DataError(f"parameter data_path={str(data_path)!r}: no such file")
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise DataError(f"parameter min_n={min_n!r}: must be a whole number of respondents, at least 1")
    chosen = tuple(check_state(s) for s in states) if states else tuple(state_codes())
    focal = check_state(state) if state is not None else None
    _display_options()
    return NotebookParameters(
        data_path=Path(data_path).expanduser() if data_path not in (None, "") else None,
        codebook=codebook or None,
        states=chosen,
        min_n=min_n,
        state=focal,
    )


def _install_one_line_errors() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: exceptions show as usual
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((CbssError,), _show_one_line)


def _display_options() -> None:
    import pandas as pd

    pd.set_option("display.max_rows", 60)
    pd.set_option("display.precision", 3)
    pd.set_option("display.width", 120)


def indicator_labels(survey) -> dict[str, str]:
    """Indicator and variable id -> label, from the survey's codebook (empty without one)."""
    if survey.codebook is None:
        return {}
    labels = {name: variable.label for name, variable in survey.codebook.variables.items()}
    labels.update({i: indicator.label for i, indicator in survey.codebook.indicators.items()})
    return labels


def split_available(survey, names: Sequence[str]) -> list[str]:
    """The names (indicators or columns) that the survey can compute; prints those it cannot.

    A notebook asks for everything its question needs; on a survey that lacks a module
    (say, the CBSS online-risk items) the missing indicators are reported as not
    available instead of stopping the notebook.
    """
    available = [name for name in names if survey.has(name)]
    lacking = [name for name in names if name not in available]
    if lacking:
        print(f"Not available in this survey ({len(lacking)}): {', '.join(lacking)}")
    return available


def keep_states(table, states: Sequence[str], column: str = "state"):
    """Rows of a table whose ISO2 code in ``column`` is one of ``states`` (the notebook's ``states`` parameter)."""
    return table[table[column].astype("string").isin(list(states))].reset_index(drop=True)
