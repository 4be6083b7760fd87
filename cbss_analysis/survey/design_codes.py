"""The sampling design as integer codes over all rows, for vectorised variance estimation.

:func:`cbss_analysis.survey.design.design_arrays` builds a :class:`DesignArrays` (and the
:class:`SecondStage` of a two-stage design) once, when a survey is built; the estimation engine
sums influence values over its codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CERTAINTY_TOLERANCE = 1e-7
"""A stratum whose finite-population factor ``1 - f_h`` is below this was sampled completely (R ``onestrat()``)."""


@dataclass(frozen=True)
class SecondStage:
    """The second stage of a two-stage design, for the multistage variance (R ``survey:::multistage``).

    Within PSU ``k`` the second-stage units play the part of PSUs in a stratum: their totals are
    centred on the PSU's mean over its ``n_units[k]`` units of the full design, scaled by
    ``(1 - f2_k) n_k / (n_k - 1)`` and by the first-stage sampling fraction ``factor[k]`` of
    the PSU's stratum (R's ``nPSUs / fpcs``).

    Attributes
    ----------
    unit : ndarray of int64, shape (n,)
        Second-stage unit of each row, 0..M-1, unique over the design (numbered PSU by PSU).
    unit_psu : ndarray of int64, shape (M,)
        PSU of each second-stage unit.
    n_units : ndarray of int64, shape (K,)
        Second-stage units per PSU in the full design.
    fpc_fraction : ndarray of float64, shape (K,)
        Second-stage sampling fraction within each PSU.
    certainty : ndarray of bool, shape (K,)
        PSUs whose units were all sampled (``1 - f2 < CERTAINTY_TOLERANCE``): no second-stage variance.
    factor : ndarray of float64, shape (K,)
        First-stage sampling fraction ``n_h / N_h`` of each PSU's stratum.
    """

    unit: np.ndarray
    unit_psu: np.ndarray
    n_units: np.ndarray
    fpc_fraction: np.ndarray
    certainty: np.ndarray
    factor: np.ndarray


@dataclass(frozen=True)
class DesignArrays:
    """The design as integer codes over all rows, for vectorised variance estimation.

    Attributes
    ----------
    weight : ndarray of float64, shape (n,)
    stratum : ndarray of int64, shape (n,)
        Stratum code 0..H-1 of each row.
    psu : ndarray of int64, shape (n,)
        PSU code 0..K-1 of each row, unique over the whole design.
    psu_stratum : ndarray of int64, shape (K,)
        Stratum of each PSU.
    n_psu : ndarray of int64, shape (H,)
        PSUs per stratum in the full design.
    fpc_fraction : ndarray of float64, shape (H,)
        First-stage sampling fraction f_h (0 without fpc).
    certainty : ndarray of bool, shape (H,)
        Strata sampled completely (``1 - f_h < CERTAINTY_TOLERANCE``, R's rule): they contribute no
        variance, and a single PSU in one is not lonely.
    lonely_psu : str
        The lonely-PSU rule in force.
    stage2 : SecondStage, optional
        The second stage of a two-stage design with fpc (None: one stage, the fast path).
    zero_weights : bool
        Whether some rows have weight 0.
    """

    weight: np.ndarray
    stratum: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu: np.ndarray
    fpc_fraction: np.ndarray
    certainty: np.ndarray
    lonely_psu: str
    stage2: SecondStage | None = None
    zero_weights: bool = False

    @property
    def n_strata(self) -> int:
        """Number of strata H."""
        return int(self.n_psu.size)

    @property
    def n_psus(self) -> int:
        """Number of PSUs K."""
        return int(self.psu_stratum.size)

    @property
    def unit(self) -> np.ndarray:
        """The unit over which influence values are totalled: the second-stage unit of each row in a
        two-stage design, else its PSU."""
        return self.psu if self.stage2 is None else self.stage2.unit

    @property
    def n_units(self) -> int:
        """Number of units (:attr:`unit` codes)."""
        return self.n_psus if self.stage2 is None else int(self.stage2.unit_psu.size)

    def unit_psu(self, unit: np.ndarray) -> np.ndarray:
        """The PSU of each unit code."""
        return unit if self.stage2 is None else self.stage2.unit_psu[unit]

    @property
    def positive(self) -> np.ndarray:
        """Rows with a nonzero weight, shape (n,)."""
        return self.weight > 0

    @property
    def degrees_of_freedom(self) -> int:
        """Design degrees of freedom: PSUs minus strata with a nonzero weight (R ``degf()``)."""
        if not self.zero_weights:
            return self.n_psus - self.n_strata
        positive = self.positive
        return int(np.unique(self.psu[positive]).size - np.unique(self.stratum[positive]).size)
