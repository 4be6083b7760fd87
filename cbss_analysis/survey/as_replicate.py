"""Replicate weights from a Taylor design: R ``as.svrepdesign()`` (JK1, JKn, BRR / Fay from a Hadamard matrix,
bootstrap, subbootstrap)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cbss_analysis.errors import DesignError
from cbss_analysis.survey.design import DesignArrays

AS_REPLICATE_TYPES: tuple[str, ...] = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap")



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
