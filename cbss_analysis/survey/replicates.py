"""Replicate-weight designs: R ``svrepdesign()`` and ``as.svrepdesign()``.

A replicate design is a full-sample weight and a matrix of replicate *analysis* weights
``W`` (n x R) with the constants of R's ``svrVar()``:

    Var(theta) = scale * sum_r rscales_r (theta_r - centre)^2

``theta_r`` the estimate recomputed with replicate ``r``'s weights, ``centre`` the full-sample
estimate (``mse=True``) or the mean of the ``theta_r`` with ``rscales_r > 0``. Replicates whose
estimate is undefined (a domain with no weight in the replicate) are dropped, as R's
``na.omit`` in ``svrVar``. The design degrees of freedom are R's ``degf()``: the rank of the
analysis-weight matrix (of the rows analysed) minus 1.

:class:`ReplicateDesign` names the columns (R ``svrepdesign``); :func:`replicate_arrays`
checks them against a frame. Replicate weights from a Taylor design (R ``as.svrepdesign``:
:func:`replicate_weights`, :func:`hadamard`) live in :mod:`cbss_analysis.survey.as_replicate`,
the rank behind ``degf()`` (:func:`weight_rank`) in :mod:`cbss_analysis.survey.replicate_rank`;
both are importable from here too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from cbss_analysis.errors import DesignError
from cbss_analysis.survey.as_replicate import AS_REPLICATE_TYPES, hadamard, replicate_weights
from cbss_analysis.survey.replicate_rank import RANK_TOLERANCE, weight_rank

__all__ = [
    "AS_REPLICATE_TYPES", "RANK_TOLERANCE", "REPLICATE_TYPES", "ReplicateArrays", "ReplicateDesign", "default_constants",
    "hadamard", "replicate_arrays", "replicate_weights", "weight_rank",
]

REPLICATE_TYPES: tuple[str, ...] = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "successive-difference", "other")


@dataclass(frozen=True)
class ReplicateDesign:
    """Names of the columns of a replicate-weight design, with R ``svrepdesign()``'s meanings.

    Parameters
    ----------
    weight : str
        Full-sample weight column.
    replicates : str or sequence of str
        The replicate-weight columns: a list of names, or one string. A string with regular-
        expression characters is searched in the column names as R's ``repweights = "regex"``
        (``grep``); a plain string is a prefix followed by digits (``"rw"`` matches ``rw1``,
        ``rw2``, ... but not ``rweight``). Columns are taken in frame order.
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "successive-difference", "other"}
        The replication method, which sets the default ``scale`` and ``rscales`` as R does:
        JK1 ``(R-1)/R``, 1; JKn 1, ``rscales`` required with combined weights else
        ``1 / max`` of each factor column; BRR ``1/R``; Fay ``1 / (R (1 - rho)^2)``;
        bootstrap ``1 / (R - 1)``; successive-difference ``4 / R``; other 1, 1.
    rho : float, optional
        Fay's coefficient (required for ``type="Fay"``, in [0, 1)).
    scale, rscales : float and sequence of float, optional
        Override the defaults (R ``scale=``, ``rscales=``); fold an fpc into them as R's
        documentation does.
    mse : bool
        Centre the replicates on the full-sample estimate (R ``mse = TRUE``) instead of their mean.
    combined_weights : bool
        The replicate columns are analysis weights (R ``combined.weights = TRUE``, its default);
        False: they are factors multiplied by ``weight``.

    Raises
    ------
    DesignError
        An unknown type, ``type="Fay"`` without ``rho``, a ``rho`` outside [0, 1), a scale that is
        not positive, or JKn combined weights without ``rscales``.
    """

    weight: str
    replicates: str | tuple[str, ...]
    type: str
    rho: float | None = None
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    mse: bool = False
    combined_weights: bool = True

    def __post_init__(self) -> None:
        if self.type not in REPLICATE_TYPES:
            raise DesignError(f"replicate design: type={self.type!r} is not one of {', '.join(REPLICATE_TYPES)}")
        if isinstance(self.replicates, (list, tuple)):
            object.__setattr__(self, "replicates", tuple(self.replicates))
            if not self.replicates:
                raise DesignError("replicate design: replicates lists no column")
        elif not isinstance(self.replicates, str) or not self.replicates:
            raise DesignError(f"replicate design: replicates={self.replicates!r} must be column names or a regex / prefix")
        if self.type == "Fay" and self.rho is None:
            raise DesignError("replicate design: type='Fay' needs rho (Fay's coefficient, e.g. rho=0.5)")
        if self.rho is not None and not (0.0 <= float(self.rho) < 1.0):
            raise DesignError(f"replicate design: rho={self.rho!r} must be in [0, 1)")
        if self.scale is not None and not (np.isfinite(self.scale) and self.scale > 0):
            raise DesignError(f"replicate design: scale={self.scale!r} must be a positive number")
        if self.rscales is not None:
            object.__setattr__(self, "rscales", tuple(float(r) for r in np.atleast_1d(np.asarray(self.rscales, dtype=float))))
        if self.type == "JKn" and self.rscales is None and self.combined_weights:
            raise DesignError("replicate design: type='JKn' with combined weights needs rscales (R: 'Must provide rscales')")

    # Duck-typed with Design, for code that reads the design's columns.
    strata_columns = ()
    psu_columns = ()
    fpc_columns = ()
    strata = None
    psu = None
    fpc = None
    nest = False
    lonely_psu = "fail"

    def replicate_columns(self, columns: Sequence[str]) -> list[str]:
        """The replicate columns among ``columns`` (see ``replicates``), in their order."""
        if isinstance(self.replicates, tuple):
            return list(self.replicates)
        pattern = self.replicates
        if re.escape(pattern) == pattern:
            matcher = re.compile(re.escape(pattern) + r"\d+")
            return [c for c in map(str, columns) if matcher.fullmatch(c) and c != self.weight]
        try:
            matcher = re.compile(pattern)
        except re.error as error:
            raise DesignError(f"replicate design: replicates={pattern!r} is not a valid regular expression ({error})") from None
        return [c for c in map(str, columns) if matcher.search(c) and c != self.weight]

    @property
    def columns(self) -> tuple[str, ...]:
        """The weight column (replicate columns depend on the frame: :meth:`replicate_columns`)."""
        return (self.weight,)

    def __str__(self) -> str:
        rho = f", rho={self.rho:g}" if self.rho is not None else ""
        return f"ReplicateDesign(weight={self.weight!r}, type={self.type!r}{rho}, mse={self.mse})"


@dataclass(frozen=True)
class ReplicateArrays:
    """A replicate design over all rows: full-sample and replicate analysis weights with R's constants.

    Attributes
    ----------
    weight : ndarray of float64, shape (n,)
        Full-sample weights.
    replicates : ndarray of float64, shape (n, R)
        Replicate analysis weights (R ``weights(design, "analysis")``).
    scale : float
    rscales : ndarray of float64, shape (R,)
    mse : bool
    type : str
    names : tuple of str
        The replicate columns (or ``r1..rR`` for generated replicates).
    degf : int, optional
        The design df when it is not the rank of the weights (R keeps the uncalibrated ``degf``
        after a nonlinear ``calibrate()``); domains and subsets still use the rank.
    """

    weight: np.ndarray
    replicates: np.ndarray
    scale: float
    rscales: np.ndarray
    mse: bool
    type: str
    names: tuple[str, ...]
    degf: int | None = None

    @cached_property
    def has_negative(self) -> bool:
        """Whether some replicate weight is negative (after linear calibration; computed once)."""
        return bool((self.replicates < 0).any())

    @cached_property
    def cache(self) -> dict:
        """Per-design results that estimators reuse (e.g. the factor patterns of the ranks)."""
        return {}

    @property
    def count(self) -> int:
        """Number of replicates R."""
        return int(self.replicates.shape[1])

    def degrees_of_freedom(self, rows: np.ndarray | None = None) -> int:
        """R ``degf()``: rank of the analysis weights of ``rows`` (all rows: None) minus 1."""
        if rows is None and self.degf is not None:
            return self.degf
        return int(weight_rank(self.replicates if rows is None else self.replicates[rows])) - 1

    def with_weights(self, weight: np.ndarray, replicates: np.ndarray, degf: int | None = None) -> ReplicateArrays:
        """The same constants with new (e.g. calibrated) weights (``degf``: kept df, else the rank)."""
        return ReplicateArrays(weight, replicates, self.scale, self.rscales, self.mse, self.type, self.names, degf)


def default_constants(design: ReplicateDesign, replicates: np.ndarray) -> tuple[float, np.ndarray]:
    """``scale`` and ``rscales`` of R ``svrepdesign()`` for the design's type (overridden when given)."""
    count = replicates.shape[1]
    rho = float(design.rho or 0.0)
    defaults = {
        "JK1": (count - 1) / count,
        "JKn": 1.0,
        "BRR": 1.0 / count,
        "Fay": 1.0 / (count * (1.0 - rho) ** 2),
        "bootstrap": 1.0 / (count - 1) if count > 1 else 1.0,
        "successive-difference": 4.0 / count,
        "other": 1.0,
    }
    scale = float(design.scale) if design.scale is not None else defaults[design.type]
    if design.rscales is not None:
        rscales = np.asarray(design.rscales, dtype=np.float64)
        if rscales.size != count:
            raise DesignError(f"replicate design: rscales has {rscales.size} values for {count} replicate columns")
    elif design.type == "JKn":
        with np.errstate(divide="ignore"):
            rscales = 1.0 / replicates.max(axis=0)
    else:
        rscales = np.ones(count)
    return scale, rscales


def _shared_block(frame: pd.DataFrame, names: Sequence[str]) -> np.ndarray | None:
    """The replicate columns as one read-only (n, R) float64 view of the frame's memory, when pandas stores them
    so (float64 columns, in order, evenly spaced in one block, as a frame read from Parquet or built from a
    2-d array keeps them); else None (then they are copied)."""
    columns = [frame[name] for name in names]
    if not columns or any(column.dtype != np.float64 for column in columns):
        return None
    arrays = [column.to_numpy(copy=False) for column in columns]
    base = arrays[0].base
    if base is None or any(a.base is not base or a.strides != (8,) for a in arrays):
        return None
    starts = [a.__array_interface__["data"][0] for a in arrays]
    step = starts[1] - starts[0] if len(starts) > 1 else 8 * len(frame)
    if step <= 0 or any(b - a != step for a, b in itertools.pairwise(starts)):
        return None
    view = np.lib.stride_tricks.as_strided(arrays[0], shape=(len(frame), len(arrays)), strides=(8, step), writeable=False)
    return view if np.array_equal(view[:1], np.array([a[:1] for a in arrays]).T, equal_nan=True) else None


def replicate_arrays(frame: pd.DataFrame, design: ReplicateDesign, weight: np.ndarray, where: str = "survey") -> ReplicateArrays:
    """Check the replicate columns of ``frame`` and return the replicate analysis weights.

    Combined weights stored as one float64 block of the frame are not copied: the replicate
    matrix is a read-only view of them (change a replicate column by assigning a new column,
    then build the survey again; an in-place edit of the frame's values would show through).

    Raises
    ------
    DesignError
        No column matches ``replicates``, a replicate column is missing, not numeric, has
        missing, infinite or negative values.
    """
    names = design.replicate_columns(frame.columns)
    if not names:
        raise DesignError(f"{where}: replicates={design.replicates!r} matches no column of the data")
    absent = [c for c in names if c not in frame.columns]
    if absent:
        raise DesignError(f"{where}: replicate weight {absent[0]!r} is not in the data")
    shared = None if not design.combined_weights else _shared_block(frame, names)
    matrix = shared if shared is not None else np.empty((len(frame), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise DesignError(f"{where}: replicate weight {name!r} is not numeric (dtype {column.dtype})")
        values = matrix[:, j] if shared is not None else column.to_numpy(dtype=np.float64, na_value=np.nan)
        for bad, what in ((np.isnan(values), "missing"), (np.isinf(values), "infinite"), (values < 0, "negative")):
            if bad.any():
                raise DesignError(
                    f"{where}: replicate weight {name!r} is {what} in {int(bad.sum())} row(s) (first at row "
                    f"{column.index[np.flatnonzero(bad)[0]]}); replicate weights must be finite and not negative"
                )
        if shared is None:
            matrix[:, j] = values
    scale, rscales = default_constants(design, matrix)
    if not design.combined_weights:
        matrix *= weight[:, None]
    return ReplicateArrays(weight, matrix, scale, rscales, bool(design.mse), design.type, tuple(names))
