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
checks them against a frame; :func:`replicate_weights` builds replicate weights from a Taylor
design (R ``as.svrepdesign``: JK1, JKn, BRR/Fay from a Hadamard matrix, bootstrap, subbootstrap).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from cbss_analysis.errors import DesignError
from cbss_analysis.survey.design import DesignArrays

REPLICATE_TYPES: tuple[str, ...] = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "successive-difference", "other")
AS_REPLICATE_TYPES: tuple[str, ...] = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap")
RANK_TOLERANCE = 1e-5
"""R ``degf()``: ``qr(weights(design, "analysis"), tol = 1e-5)$rank``; here singular values below
this fraction of the largest do not count."""


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


def weight_rank(matrix: np.ndarray) -> int:
    """Rank of a weight matrix as R ``qr(., tol = 1e-5)$rank`` (LINPACK ``dqrdc2``).

    Columns are taken in order; a column counts when the norm of its part orthogonal to the
    columns already counted is at least ``1e-5`` times its own norm (a zero column never counts).
    Gram-Schmidt, twice, on the columns: one small pass per column of a (patterns x R) matrix.
    """
    if matrix.shape[0] == 0:
        return 0
    norms = np.linalg.norm(matrix, axis=0)
    basis = np.zeros((matrix.shape[0], min(matrix.shape)))
    rank = 0
    for j in range(matrix.shape[1]):
        if norms[j] == 0 or rank == basis.shape[1]:
            continue
        v = matrix[:, j].copy()
        for _ in range(2):
            v -= basis[:, :rank] @ (basis[:, :rank].T @ v)
        size = np.linalg.norm(v)
        if size >= RANK_TOLERANCE * norms[j]:
            basis[:, rank] = v / size
            rank += 1
    return rank


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


def replicate_arrays(frame: pd.DataFrame, design: ReplicateDesign, weight: np.ndarray, where: str = "survey") -> ReplicateArrays:
    """Check the replicate columns of ``frame`` and return the replicate analysis weights.

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
    matrix = np.empty((len(frame), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise DesignError(f"{where}: replicate weight {name!r} is not numeric (dtype {column.dtype})")
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        for bad, what in ((np.isnan(values), "missing"), (np.isinf(values), "infinite"), (values < 0, "negative")):
            if bad.any():
                raise DesignError(
                    f"{where}: replicate weight {name!r} is {what} in {int(bad.sum())} row(s) (first at row "
                    f"{column.index[np.flatnonzero(bad)[0]]}); replicate weights must be finite and not negative"
                )
        matrix[:, j] = values
    scale, rscales = default_constants(design, matrix)
    if not design.combined_weights:
        matrix *= weight[:, None]
    return ReplicateArrays(weight, matrix, scale, rscales, bool(design.mse), design.type, tuple(names))


# --- replicate weights from a Taylor design (R as.svrepdesign) ------------------------------------


def hadamard(n: int) -> np.ndarray:
    """R ``survey:::hadamard(n)``: a 0/1 Hadamard-type matrix with at least ``n + 1`` rows.

    Sylvester's construction ``(H + 1) / 2`` of the smallest power of two above ``n`` (R's
    ``hadamard`` is the same for those orders; for some ``n`` R picks a smaller Paley matrix of
    order 12, 20, ..., which this function does not build).
    """
    size = 1
    while size < n + 1:
        size *= 2
    matrix = np.ones((1, 1))
    while matrix.shape[0] < size:
        matrix = np.block([[matrix, matrix], [matrix, -matrix]])
    return (matrix + 1.0) / 2.0


def _first_seen_order(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered in order of first appearance."""
    _, first = np.unique(codes, return_index=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty(order.size, dtype=np.int64)
    renumber[order] = np.arange(order.size)
    return renumber[np.searchsorted(np.unique(codes), codes)]


def replicate_weights(
    arrays: DesignArrays,
    type: str,
    replicates: int | None = None,
    rho: float | None = None,
    seed: int | None = None,
    stratum_labels: Sequence[str] | None = None,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Replicate analysis weights of a one-stage Taylor design, as R ``as.svrepdesign``.

    Parameters
    ----------
    arrays : DesignArrays
        The Taylor design.
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap"}
        The replication method (see :meth:`cbss_analysis.survey.Survey.to_replicate`).
    replicates : int, optional
        Bootstrap replicates (default 50, as R).
    rho : float, optional
        Fay's coefficient (default 0.5 for "Fay"; 0 for BRR).
    seed : int, optional
        Seed of the bootstrap draws (NumPy's generator: not R's random numbers).
    stratum_labels : sequence of str, optional
        Stratum labels, for the character sort order of BRR's Hadamard rows.

    Returns
    -------
    (weights, scale, rscales) : ndarray (n, R), float, ndarray (R,)

    Raises
    ------
    DesignError
        An unknown type; BRR/Fay on a design whose strata do not all have two PSUs; JK1 on a
        stratified design.
    """
    weight = arrays.weight
    psu = arrays.psu
    n_h = arrays.n_psu.astype(np.float64)
    fpc = 1.0 - arrays.fpc_fraction
    if type == "JK1":
        if arrays.n_strata > 1:
            raise DesignError("to_replicate: type='JK1' needs an unstratified design; use type='JKn'")
        order = _first_seen_order(psu)
        count = arrays.n_psus
        factors = np.full((weight.size, count), count / (count - 1.0))
        factors[np.arange(weight.size), order] = 0.0
        return weight[:, None] * factors, float(fpc[0] * (count - 1.0) / count), np.ones(count)
    if type == "JKn":
        # one replicate per PSU: strata in order of first appearance, PSUs in data order within them
        stratum_order = _first_seen_order(arrays.stratum)
        first_row = np.full(arrays.n_psus, weight.size, dtype=np.int64)
        np.minimum.at(first_row, psu, np.arange(weight.size))
        psu_stratum_order = stratum_order[first_row]
        replicate_of_psu = np.lexsort((first_row, psu_stratum_order))
        rank = np.empty(arrays.n_psus, dtype=np.int64)
        rank[replicate_of_psu] = np.arange(arrays.n_psus)
        count = arrays.n_psus
        stratum = arrays.stratum
        factors = np.ones((weight.size, count))
        row_h = n_h[stratum]
        same = arrays.psu_stratum[replicate_of_psu][None, :] == stratum[:, None]
        factors = np.where(same, (row_h / (row_h - 1.0))[:, None], 1.0)
        factors[np.arange(weight.size), rank[psu]] = 0.0
        psu_h = arrays.psu_stratum[replicate_of_psu]
        rscales = fpc[psu_h] * (n_h[psu_h] - 1.0) / n_h[psu_h]
        return weight[:, None] * factors, 1.0, rscales
    if type in ("BRR", "Fay"):
        rho = (0.5 if rho is None else float(rho)) if type == "Fay" else 0.0
        if (arrays.n_psu != 2).any():
            raise DesignError("to_replicate: type='BRR'/'Fay' needs exactly two PSUs in every stratum")
        labels = list(stratum_labels) if stratum_labels is not None else [str(i) for i in range(arrays.n_strata)]
        char_order = np.argsort(np.asarray(labels, dtype=str), kind="stable")
        position = np.empty(arrays.n_strata, dtype=np.int64)
        position[char_order] = np.arange(arrays.n_strata)
        matrix = hadamard(arrays.n_strata)
        count = matrix.shape[1]
        first_row = np.full(arrays.n_psus, weight.size, dtype=np.int64)
        np.minimum.at(first_row, psu, np.arange(weight.size))
        for_stratum = np.full(arrays.n_strata, weight.size + 1, dtype=np.int64)
        np.minimum.at(for_stratum, arrays.psu_stratum, first_row)
        is_first = first_row == for_stratum[arrays.psu_stratum]
        signs = matrix[1 + position[arrays.stratum], :]  # (n, R)
        first = is_first[psu][:, None]
        factors = np.where((signs == 0) == first, rho, 2.0 - rho)
        return weight[:, None] * factors, 1.0 / (count * (1.0 - rho) ** 2), np.ones(count)
    if type in ("bootstrap", "subbootstrap"):
        count = 50 if replicates is None else int(replicates)
        rng = np.random.default_rng(seed)
        factors = np.empty((arrays.n_psus, count))
        for h in range(arrays.n_strata):
            members = np.flatnonzero(arrays.psu_stratum == h)
            size = members.size
            draws = size - 1 if type == "subbootstrap" else size
            picks = rng.integers(0, size, size=(count, max(draws, 0)))
            keys = (np.arange(count)[:, None] * size + picks).ravel()
            counts = np.bincount(keys, minlength=count * size).reshape(count, size).T
            factors[members] = counts * (size / (size - 1.0) if type == "subbootstrap" else 1.0)
        if type == "subbootstrap":
            scale = 1.0 / (count - 1.0)
        else:
            nbar = 1.0 / np.mean(1.0 / n_h)
            scale = nbar / ((nbar - 1.0) * (count - 1.0))
        return weight[:, None] * factors[psu], float(scale), np.ones(count)
    raise DesignError(f"to_replicate: type={type!r} is not one of {', '.join(AS_REPLICATE_TYPES)}")
