"""Exceptions of the package, one class per place a problem can come from.

Every error raised on bad input is a :class:`CbssError`; its message is one line that names
the file, the variable and the offending value, and says what to do. The CLI prints that
line and exits non-zero without a traceback (unless ``--debug``). Errors about a wrong value
are also :class:`ValueError`, so that code which catches ``ValueError`` keeps working.
"""

from __future__ import annotations


class CbssError(Exception):
    """Base class: a problem with the user's input, reported as one clear line."""


class DataError(CbssError, ValueError):
    """Survey microdata or a published-figures file cannot be read or does not match its codebook."""


class CodebookError(CbssError, ValueError):
    """A codebook file is malformed or inconsistent."""


class StrategyError(CbssError, ValueError):
    """The Regional Strategy file is malformed, or a codebook names an unknown priority area."""


class DesignError(CbssError, ValueError):
    """The sampling design is invalid (weights, strata, PSUs, lonely PSUs)."""


class EstimationError(CbssError, ValueError):
    """An estimate was asked for something the data cannot give (wrong type, unknown variable)."""


class PlotError(CbssError, ValueError):
    """A figure was asked for with arguments or a table it cannot draw."""


class ReportError(CbssError):
    """The report plan, its parameters or a report run failed."""
