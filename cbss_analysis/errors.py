"""Exceptions of the package, one class per place a problem can come from.

Every error raised on bad input is a :class:`CbssError`; its message is one line that names
the file, the variable and the offending value, and says what to do. The CLI prints that
line and exits non-zero without a traceback (unless ``--debug``). Errors about a wrong value
are also :class:`ValueError`, so that code which catches ``ValueError`` keeps working.

In IPython and Jupyter an error of the package shows as that one line too, without a
traceback (:meth:`CbssError._render_traceback_`, which IPython asks every exception for);
set the environment variable ``CBSS_DEBUG=1`` (``%env CBSS_DEBUG=1`` in a notebook) to see
the full traceback again.
"""

from __future__ import annotations

import os

DEBUG_ENV = "CBSS_DEBUG"
"""Environment variable: when set (to anything but ``""`` or ``0``), IPython shows full tracebacks of package errors."""


class CbssError(Exception):
    """Base class: a problem with the user's input, reported as one clear line."""

    @property
    def _render_traceback_(self):
        """IPython's hook for a custom traceback: ``["ErrorClass: message"]``, one line.

        A property, so that with ``CBSS_DEBUG`` set the attribute is absent and IPython shows the
        usual traceback.
        """
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise AttributeError("_render_traceback_")
        return self._one_line

    def _one_line(self) -> list[str]:
        text = " ".join(str(self).split()) or "(no message)"
        return [f"{type(self).__name__}: {text}"]


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


class TableError(CbssError, ValueError):
    """A table display was asked for in a layout it cannot show (a column it lacks, too many columns)."""


class ReportError(CbssError):
    """The report plan, its parameters or a report run failed."""
