"""Set-up for the analysis notebooks: parameter checks, display options, one-line errors, the survey.

Every notebook's first code cell after the parameters is one call,
``survey, labels, params = start(data_path, codebook, states, min_n)``: it checks the
parameters (:func:`setup`), so that a wrong one (an unknown state, a data file that does not
exist) stops the notebook there with one clear line instead of a traceback, sets the display
options that every notebook and report shares, and loads the survey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cbss_analysis.common import checks
from cbss_analysis.errors import CbssError, DataError
from cbss_analysis.states import check_state, state_codes

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey import Survey

KERNEL_MODULES: tuple[str, ...] = (
    "numpy", "pandas", "scipy.stats", "matplotlib", "matplotlib.pyplot", "pyreadstat", "pyarrow", "yaml",
    "IPython.display",
    "cbss_analysis.notebook", "cbss_analysis.survey", "cbss_analysis.survey.cache", "cbss_analysis.records",
    "cbss_analysis.overview", "cbss_analysis.tables", "cbss_analysis.published", "cbss_analysis.context",
    "cbss_analysis.states", "cbss_analysis.strategy",
)
"""What every notebook's kernel imports: :func:`start` and the ``cbss.*`` names the notebooks use.

The report pipeline's warm kernels (:mod:`cbss_analysis.reports.kernels`) start with these already imported,
together with the package modules that the plan's notebooks import by name (``estimate``, ``models``, ``plots``,
...). Importing them has no side effect beyond loading code; the inline figure backend is not among them, nor
``cbss_analysis.models`` (statsmodels changes the warning filters when it is imported), which the warm kernels of
notebooks that import it get from the notebooks' own imports.
"""


@dataclass(frozen=True)
class NotebookParameters:
    """The checked parameters of a notebook run."""

    data_path: Path | tuple[Path, ...] | None
    """One survey file, the files of several cycles (a stacked survey), or None for the embedded survey."""
    codebook: str | None
    states: tuple[str, ...]
    min_n: int
    state: str | None = None
    allow_small_cells: bool = False


def _show_one_line(shell, etype, value, tb, tb_offset=None):  # IPython custom-exception signature
    shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])


def setup(
    data_path: str | Path | Sequence[str | Path] | None = None,
    codebook: str | None = None,
    states: Sequence[str] | None = None,
    min_n: int = checks.DEFAULT_MIN_N,
    state: str | None = None,
    allow_small_cells: bool = False,
) -> NotebookParameters:
    """Check a notebook's parameters and set display options; return the checked values.

    Parameters
    ----------
    data_path : str, Path or sequence of them, optional
        Survey file; a list of files, one per survey cycle, for a survey of several cycles
        (``load_survey([...])``: each file's codebook chosen from its schema); None for the embedded synthetic survey.
    codebook : str, optional
        Codebook name or path; None for the default.
    states : sequence of str, optional
        ISO2 codes to analyse; None or empty for all eleven.
    min_n : int
        Smallest number of respondents behind a published estimate; at least
        :data:`cbss_analysis.common.checks.MIN_N_FLOOR` unless ``allow_small_cells``.
    state : str, optional
        The focal state of a state profile.
    allow_small_cells : bool
        Allow ``min_n`` below the floor (the report then says so in its banner).

    Raises
    ------
    DataError
        One line naming the parameter and its value.
    """
    _install_one_line_errors()
    files = list(data_path) if isinstance(data_path, (list, tuple)) else [data_path] if data_path not in (None, "") else []
    for file in files:
        if not Path(file).expanduser().is_file():
            raise DataError(f"parameter data_path={str(file)!r}: no such file")
    if isinstance(data_path, (list, tuple)) and codebook:
        raise DataError("parameter codebook: with several files each file's codebook is chosen from its schema; leave it None")
    checks.report_min_n(min_n, allow_small_cells, "parameter", DataError)
    chosen = tuple(check_state(s) for s in states) if states else tuple(state_codes())
    focal = check_state(state) if state is not None else None
    _display_options()
    return NotebookParameters(
        data_path=(tuple(Path(f).expanduser() for f in files) if isinstance(data_path, (list, tuple))
                   else Path(files[0]).expanduser() if files else None),
        codebook=codebook or None,
        states=chosen,
        min_n=min_n,
        state=focal,
        allow_small_cells=allow_small_cells,
    )


class NotebookStart(NamedTuple):
    """What a notebook needs after its parameters: the survey, its labels and the checked parameters."""

    survey: Survey
    labels: dict[str, str]
    params: NotebookParameters


def start(
    data_path: str | Path | None = None,
    codebook: str | None = None,
    states: Sequence[str] | None = None,
    min_n: int = checks.DEFAULT_MIN_N,
    state: str | None = None,
    allow_small_cells: bool = False,
) -> NotebookStart:
    """Check the parameters (:func:`setup`), load the survey and its labels: the first cell of every notebook.

    >>> survey, labels, params = start(data_path, codebook, states, min_n)   # doctest: +SKIP

    Parameters are those of :func:`setup`.

    Returns
    -------
    NotebookStart
        ``(survey, labels, params)``: the loaded :class:`~cbss_analysis.survey.Survey`, indicator and
        variable id -> label (:func:`indicator_labels`), and the checked :class:`NotebookParameters`.
    """
    from cbss_analysis.survey import load_survey

    params = setup(data_path, codebook, states, min_n, state=state, allow_small_cells=allow_small_cells)
    survey = load_survey(list(params.data_path) if isinstance(params.data_path, tuple) else params.data_path, params.codebook)
    return NotebookStart(survey, indicator_labels(survey), params)


def trend_cycles(trend_paths: Sequence[str | Path] | None, survey: Survey, params: NotebookParameters) -> Survey | None:
    """The stacked survey of a profile's trends section: one file per cycle, or the embedded synthetic cycles.

    Parameters
    ----------
    trend_paths : sequence of paths, optional
        One survey file per cycle (each file's codebook chosen from its schema), read with
        :func:`~cbss_analysis.survey.load_survey`. None: the four embedded SYNTHETIC earlier cycles stacked with
        ``survey`` as 2017/18, when ``survey`` is the embedded synthetic survey (it is not read twice).
    survey : Survey
        The notebook's survey (:func:`start`).
    params : NotebookParameters
        The checked parameters (``data_path`` None means the embedded survey).

    Returns
    -------
    Survey or None
        None (with a printed line saying why) when the notebook reads another survey and no ``trend_paths``
        are given: the embedded synthetic cycles are not stacked with real data.
    """
    from cbss_analysis.survey import load_survey
    from cbss_analysis.survey.codebook_choice import codebook_for_file
    from cbss_analysis.survey.stacking import stack_surveys
    from cbss_analysis.synthetic.cycles import embedded_cycle_paths

    if trend_paths:
        return load_survey([Path(p).expanduser() for p in trend_paths])
    if params.data_path is not None:
        print("No trend section: the survey is not the embedded one and no trend_paths (one file per cycle) are given.")
        return None
    books: dict = {}
    earlier = {}
    for path in embedded_cycle_paths()[:-1]:
        book = books[codebook_for_file(path, loaded=books)]
        earlier[book.cycle] = load_survey(path, book)
    return stack_surveys({**earlier, survey.codebook.cycle: survey})


def _install_one_line_errors() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: exceptions show as usual
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((CbssError,), _show_one_line)
        _one_line_warnings()


_PACKAGE_FOLDER = str(Path(__file__).resolve().parent)


def _one_line_warnings() -> None:
    """In a notebook, the package's own warnings read as one line (``UserWarning: ...``), without the file and line
    of the code that raised them: a notebook or report shows no machine path. Other warnings keep Python's format."""
    import warnings

    default = warnings.formatwarning
    if getattr(default, "cbss_one_line", False):
        return

    def formatwarning(message, category, filename, lineno, line=None):  # warnings.formatwarning's signature
        if str(filename).startswith(_PACKAGE_FOLDER):
            return f"{category.__name__}: {message}\n"
        return default(message, category, filename, lineno, line)

    formatwarning.cbss_one_line = True
    warnings.formatwarning = formatwarning


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
