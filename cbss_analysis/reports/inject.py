"""How parameter values reach a notebook: as Python literals that no value can escape.

papermill writes a ``str`` parameter between double quotes after escaping only the quotes, so a
value ending in a backslash, or holding a newline, can break out of its string and run code; other
types it writes unescaped. :class:`LiteralTranslator` replaces papermill's Python translator for
the package's kernel: every value is checked to be JSON-like and written as ``repr`` of plain data
(:func:`cbss_analysis.reports.values.python_literal`), and every name must be an identifier.
"""

from __future__ import annotations

import keyword
from typing import Any

from papermill.translators import PythonTranslator, papermill_translators

from cbss_analysis.reports.cache import KERNEL_NAME
from cbss_analysis.reports.values import python_literal


class LiteralTranslator(PythonTranslator):
    """papermill translator writing ``name = <repr of plain data>`` lines."""

    @classmethod
    def translate(cls, val: Any) -> str:
        """Python literal of a JSON-like value (ValueError otherwise)."""
        return python_literal(val)

    @classmethod
    def assign(cls, name: str, str_val: str) -> str:
        """``name = value``; ``name`` must be a Python identifier that is not a keyword."""
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"parameter name {name!r} is not a Python identifier")
        return f"{name} = {str_val}"


def install() -> None:
    """Make papermill use :class:`LiteralTranslator` for the package's kernel (in this process)."""
    papermill_translators.register(KERNEL_NAME, LiteralTranslator)
