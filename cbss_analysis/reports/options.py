"""The options of one report command, checked once, in one frozen object."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from cbss_analysis import paths
from cbss_analysis.errors import ReportError


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
    pdf : bool
        Also write each report as PDF (WeasyPrint).

    Raises
    ------
    ReportError
        ``jobs`` below 1, ``timeout`` not a finite positive number, ``data`` not a file.
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
