"""Exceptions of the package.

Every error raised on bad input is a :class:`CbssError`; its message is one line
that names the file, the variable and the offending value, and says what to do.
The CLI prints that line and exits non-zero without a traceback (unless ``--debug``).
"""

from __future__ import annotations


class CbssError(Exception):
    """Base class: a problem with the user's input, reported as one clear line."""


class DataError(CbssError):
    """Survey microdata cannot be read or does not match its codebook."""


class CodebookError(CbssError):
    """A codebook file is malformed or inconsistent."""


class DesignError(CbssError):
    """The sampling design is invalid (weights, strata, PSUs, lonely PSUs)."""


class EstimationError(CbssError):
    """An estimate was asked for something the data cannot give (wrong type, unknown variable)."""


class ReportError(CbssError):
    """The report plan or a report run failed."""
