"""The rank of a replicate-weight matrix as R computes it for ``degf()`` of a replicate design."""

from __future__ import annotations

import numpy as np

RANK_TOLERANCE = 1e-5
"""R ``degf()``: ``qr(weights(design, "analysis"), tol = 1e-5)$rank``; a column whose part orthogonal to the
columns before it is below this fraction of its norm does not count."""


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
