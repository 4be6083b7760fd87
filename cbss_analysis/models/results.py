"""What a model table carries for later tests: each domain's coefficients, their covariance and df.

:func:`cbss_analysis.models.wald_test` needs the design-based covariance of the coefficients of
each fit, which a tidy table of one row per coefficient cannot hold. The table keeps them in
``table.attrs["fits"]``, a :class:`FitsRef`: a string label (so that ``to_parquet``, which writes
``attrs`` as JSON, still works, and ``pd.concat`` of two different tables drops it rather than
mixing them up) that carries the :class:`ModelFits` and survives pickling, as
:class:`cbss_analysis.estimate.LinearizationRef` does for estimate tables.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

FITS_ATTR = "fits"


class ModelWarning(UserWarning):
    """A model fit that needs attention: separation, non-convergence or aliased terms."""


@dataclass(frozen=True, eq=False)
class ModelFit:
    """One domain's fit.

    Attributes
    ----------
    key : tuple
        The by values of the domain (empty without ``by``).
    columns : tuple of str
        Coefficient names, as in the table's ``term`` column.
    terms : tuple of str
        The formula term of each coefficient (``"C(stype)"`` for ``"C(stype)[T.H]"``); ``""`` for
        an ordinal model's thresholds, which no term test includes (R ``regTermTest``).
    estimate : ndarray, shape (p,)
        Coefficients; NaN for aliased ones and for fits that were suppressed or failed.
    covariance : ndarray, shape (p, p)
        Design-based covariance of the coefficients (NaN rows and columns where ``estimate`` is NaN).
    df : float
        Residual degrees of freedom of the fit, the ``ddf`` of its Wald tests (NaN when there is no fit).
    """

    key: tuple
    columns: tuple[str, ...]
    terms: tuple[str, ...]
    estimate: np.ndarray
    covariance: np.ndarray
    df: float

    @staticmethod
    def empty(key: tuple, columns: list[str], terms: list[str]) -> ModelFit:
        """A domain without estimates (suppressed, separated, not converged)."""
        p = len(columns)
        return ModelFit(key, tuple(columns), tuple(terms), np.full(p, np.nan), np.full((p, p), np.nan), np.nan)


@dataclass(frozen=True, eq=False)
class ModelFits:
    """Every domain's fit of one model call."""

    kind: str
    formula: str
    outcome: str
    by: tuple[str, ...]
    fits: tuple[ModelFit, ...]


class FitsRef(str):
    """The ``attrs`` value that carries a :class:`ModelFits` (a unique label, shared by pandas' copies of ``attrs``)."""

    fits: ModelFits

    def __new__(cls, fits: ModelFits) -> FitsRef:
        ref = super().__new__(cls, f"cbss_analysis.models fits {uuid.uuid4().hex}")
        ref.fits = fits
        return ref

    def __copy__(self) -> FitsRef:
        return self

    def __deepcopy__(self, memo: dict) -> FitsRef:
        return self

    def __reduce__(self) -> tuple:
        return (FitsRef, (self.fits,))
