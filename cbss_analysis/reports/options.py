"""The options of one report command, checked once, in one frozen object."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from cbss_analysis import paths
from cbss_analysis.errors import ReportError

EXECUTORS: tuple[str, ...] = ("local", "dask")
SURVEY_CACHE_FOLDER = ".survey-cache"
"""The survey cache of a report folder, ``<out>/.survey-cache`` (respondent-level rows: see ``survey/cache.py``)."""
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5}$")


@dataclass(frozen=True)
class ReportOptions:
    """What ``cbss-analysis report`` (or :func:`cbss_analysis.reports.run_plan`) was asked to do.

    Attributes
    ----------
    only : tuple of str
        ``NOTEBOOK`` or ``NOTEBOOK/RUN`` names to run; empty: all.
    params : tuple of str
        ``key=value`` overrides for every run whose notebook has parameter ``key``.
    data : Path, optional
        Survey file for every run (its ``data_path`` parameter).
    codebook : str, optional
        Codebook name or YAML path for every run (its ``codebook`` parameter).
    out : Path
        Output folder (default ``reports/``).
    jobs : int, optional
        Runs at a time; default the number of CPUs.
    force : bool
        Re-run even when the inputs are unchanged.
    with_code : bool
        Keep input cells in the HTML.
    fail_fast : bool
        Start no new run after the first failure.
    timeout : float, optional
        Seconds a run may take (whole notebook); none by default.
    progress : bool, optional
        Show a progress bar; default only on a terminal.
    executor : {"local", "dask"}
        Where runs execute: the local pool of worker processes (default) or a Dask cluster.
    scheduler : str, optional
        With ``executor="dask"``: the scheduler's address (``tcp://host:8786``, ``tls://...``), a scheduler file
        (``.json``, as ``dask scheduler --scheduler-file`` and dask-jobqueue write), or ``local`` for a
        LocalCluster on 127.0.0.1 with ``jobs`` workers that stops with the command.
    survey_cache : bool
        Keep decoded surveys in ``<out>/.survey-cache`` for the next runs (default True; it holds
        respondent-level rows, see :mod:`cbss_analysis.survey.cache`).
    warm_kernels : bool
        Start kernels ahead of time with the notebooks' modules imported (default True); False starts each
        kernel from scratch as papermill does.
    pdf : bool
        Also write each report as PDF (WeasyPrint).

    Raises
    ------
    ReportError
        ``jobs`` below 1, ``timeout`` not a finite positive number, ``data`` not a file, an unknown executor,
        a scheduler without the Dask executor or a Dask executor without a scheduler.
    """

    only: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    data: Path | None = None
    codebook: str | None = None
    out: Path = field(default_factory=lambda: paths.REPORTS_DIR)
    jobs: int | None = None
    force: bool = False
    with_code: bool = False
    fail_fast: bool = False
    timeout: float | None = None
    progress: bool | None = None
    executor: str = "local"
    scheduler: str | None = None
    survey_cache: bool = True
    warm_kernels: bool = True
    pdf: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "only", tuple(self.only))
        set_(self, "params", tuple(self.params))
        if self.jobs is not None and (isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1):
            raise ReportError(f"--jobs {self.jobs}: must be a whole number, at least 1")
        if self.timeout is not None and (
            isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float))
            or not math.isfinite(self.timeout) or self.timeout <= 0
        ):
            raise ReportError(f"--timeout {self.timeout}: must be a finite positive number of seconds")
        set_(self, "out", Path(self.out).expanduser().resolve())
        if self.data is not None:
            data = Path(self.data).expanduser().resolve()
            if not data.is_file():
                raise ReportError(f"--data {Path(self.data).name}: no such file; give the path of a .sav, .dta, .csv or .parquet survey")
            set_(self, "data", data)
        if self.codebook is not None and str(self.codebook).endswith((".yaml", ".yml")):
            set_(self, "codebook", str(Path(self.codebook).expanduser().resolve()))
        self._check_executor()

    def _check_executor(self) -> None:
        if self.executor not in EXECUTORS:
            raise ReportError(f"--executor {str(self.executor)[:40]!r}: expected one of {', '.join(EXECUTORS)}")
        if self.executor == "local":
            if self.scheduler is not None:
                raise ReportError("--scheduler is for --executor dask; the local pool needs no scheduler")
            return
        if not self.scheduler:
            raise ReportError("--executor dask needs --scheduler ADDRESS (tcp://host:8786, a scheduler .json file) "
                              "or --scheduler local")
        scheduler = str(self.scheduler).strip()
        if scheduler == "local":
            return
        if scheduler.endswith(".json"):
            path = Path(scheduler).expanduser().resolve()
            if not path.is_file():
                raise ReportError(f"--scheduler {path.name}: no such scheduler file")
            object.__setattr__(self, "scheduler", str(path))
            return
        if not _ADDRESS.match(scheduler):
            raise ReportError(f"--scheduler {scheduler[:60]!r}: expected tcp://HOST:PORT, tls://HOST:PORT, "
                              "a scheduler .json file or local")
        object.__setattr__(self, "scheduler", scheduler)

    @property
    def survey_cache_folder(self) -> Path | None:
        """``<out>/.survey-cache``, or None when the cache is off."""
        return self.out / SURVEY_CACHE_FOLDER if self.survey_cache else None
