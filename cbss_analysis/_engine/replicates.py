"""Replicate-weight variance core: R ``survey:::svrVar()`` and ``degf()`` of replicate designs.

Every estimate of a replicate design is recomputed with each replicate's analysis weights,
giving a matrix ``thetas`` (estimates x replicates); then

    Var = scale * sum_r rscales_r (theta_r - centre)^2

with ``centre`` the full-sample estimate (``mse``) or the mean of the finite ``theta_r`` with
``rscales_r > 0``. A replicate whose estimate is NaN (a domain without weight in it) is left out
of that estimate's sum, as R's ``na.omit`` of the replicates; an infinite one gives an infinite
or NaN variance. Degrees of freedom: the
rank of the analysis weights of the estimate's rows minus 1 (:func:`cell_ranks`).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy import sparse

from cbss_analysis._engine.variance import group_index
from cbss_analysis.survey.replicates import ReplicateArrays, weight_rank

PATTERN_LIMIT = 4096
"""Above this many distinct replicate-factor rows, ranks are computed from the rows themselves."""
CHECK_CHUNK = 1 << 13
RANK_CACHE = 64
"""Domain rank results kept per design (keyed by a digest of the rows' cells)."""
"""Rows per chunk when checking that the factor patterns reproduce the replicate weights."""


def replicate_variance(thetas: np.ndarray, full: np.ndarray, rep: ReplicateArrays) -> np.ndarray:
    """Variances of estimates from their replicates (R ``svrVar``), shape (E,).

    Parameters
    ----------
    thetas : ndarray, shape (E, R)
        Replicate estimates.
    full : ndarray, shape (E,)
        Full-sample estimates (the centre under ``mse``).
    rep : ReplicateArrays
        ``scale``, ``rscales``, ``mse``.
    """
    finite = ~np.isnan(thetas)
    safe = np.where(finite, thetas, 0.0)
    if rep.mse:
        centre = full
    else:
        use = finite & (rep.rscales > 0)[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = np.where(use, safe, 0.0).sum(axis=1) / use.sum(axis=1)
    with np.errstate(invalid="ignore"):
        deviation = np.where(finite, safe - centre[:, None], 0.0)
    return rep.scale * (deviation**2 @ rep.rscales)


def replicate_covariance(thetas: np.ndarray, full: np.ndarray, rep: ReplicateArrays) -> np.ndarray:
    """Covariance matrix of estimates from their replicates (R ``svrVar`` on a matrix), shape (E, E).

    Replicates with any non-finite estimate are left out (R's ``na.omit`` drops the whole replicate).
    """
    keep = ~np.isnan(thetas).any(axis=0)
    kept = thetas[:, keep]
    rscales = rep.rscales[keep]
    centre = full if rep.mse else kept[:, rscales > 0].mean(axis=1)
    deviation = (kept - centre[:, None]) * np.sqrt(rscales)[None, :]
    return rep.scale * (deviation @ deviation.T)


def factor_patterns(rep: ReplicateArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Distinct replicate-weight rows up to a positive factor: ``(pattern of each row, patterns, factor of each row)``.

    Rows of one PSU differ only by their full-sample weight, so their number is small; a row of
    zeros has pattern -1. Row ``i`` is ``factor_i * patterns[code_i]`` (the factor is the row's
    largest weight). None when there are more than :data:`PATTERN_LIMIT` patterns.
    """
    matrix = rep.replicates
    top = matrix.max(axis=1)
    zero = top <= 0
    projection = np.random.default_rng(12).standard_normal((matrix.shape[1], 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        keys = np.round((matrix @ projection) / np.where(zero, 1.0, top)[:, None], 8)
    codes, _ = pd.factorize(keys[:, 0] + 1j * keys[:, 1])
    codes = codes.astype(np.int64)
    if codes.max(initial=-1) + 1 > PATTERN_LIMIT:
        return None
    codes[zero] = -1
    count = int(codes.max(initial=-1)) + 1
    first = np.full(count, -1, dtype=np.int64)
    present = np.flatnonzero(~zero)
    first[codes[present][::-1]] = present[::-1]
    first = np.where(first < 0, 0, first)  # a code of zero rows only: never looked up
    return codes, matrix[first] / top[first][:, None], top


def exact_patterns(rep: ReplicateArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`factor_patterns` when they reproduce every replicate weight (``|W_i - f_i P_c| <= 8 eps f_i``,
    rows of pattern -1 all zero), else None; checked once per design, in chunks of rows, and cached."""
    if "exact_patterns" not in rep.cache:
        if "patterns" not in rep.cache:
            rep.cache["patterns"] = factor_patterns(rep)
        patterns = rep.cache["patterns"]
        if patterns is not None:
            code, rows, factor = patterns
            matrix = rep.replicates
            for start in range(0, matrix.shape[0], CHECK_CHUNK):
                part = slice(start, start + CHECK_CHUNK)
                block = matrix[part]
                expected = np.where(code[part, None] >= 0, factor[part, None] * rows[np.maximum(code[part], 0)], 0.0)
                bound = 8 * np.finfo(float).eps * np.maximum(factor[part], 0.0)[:, None]
                if not (np.abs(block - expected) <= bound).all():
                    patterns = None
                    break
        rep.cache["exact_patterns"] = patterns
    return rep.cache["exact_patterns"]


def replicate_sums(cell: np.ndarray, rows: np.ndarray, values: np.ndarray, n_cells: int, rep: ReplicateArrays
                   ) -> np.ndarray:
    """``S[k, r] = sum_i values_i W[rows_i, r]`` over the entries with ``cell_i = k``, shape (n_cells, R).

    With exact factor patterns (:func:`exact_patterns`: rows of a PSU, or of a stratum half in BRR / Fay,
    share one) this is a group sum of ``values_i f_i`` by (cell, pattern), one pass over the entries,
    times the small patterns matrix (BLAS); otherwise the sparse product ``A @ W``.
    """
    patterns = exact_patterns(rep)
    if patterns is None:
        matrix = sparse.csr_matrix((values, (cell, rows)), shape=(n_cells, rep.replicates.shape[0]))
        return np.asarray(matrix @ rep.replicates)
    code, pattern_rows, factor = patterns
    n_patterns = pattern_rows.shape[0]
    row_code = code[rows]
    keep = row_code >= 0
    grouped = np.bincount(cell[keep] * n_patterns + row_code[keep], weights=(values * factor[rows])[keep],
                          minlength=n_cells * n_patterns).reshape(n_cells, n_patterns)
    return grouped @ pattern_rows


def domain_ranks(rep: ReplicateArrays, cell: np.ndarray, n_cells: int) -> np.ndarray:
    """:func:`cell_ranks` with the design's factor patterns (computed once per design), cached by the cells.

    The ranks of a design's domains do not change between calls, so they are kept in the design's
    cache under a digest of ``cell`` (at most :data:`RANK_CACHE` entries, the oldest dropped first).
    """
    if "patterns" not in rep.cache:
        rep.cache["patterns"] = factor_patterns(rep)
    cache = rep.cache.setdefault("ranks", {})
    key = (n_cells, hashlib.blake2b(np.ascontiguousarray(cell, dtype=np.int64).tobytes(), digest_size=16).digest())
    if key not in cache:
        if len(cache) >= RANK_CACHE:
            cache.pop(next(iter(cache)))
        cache[key] = cell_ranks(cell, n_cells, rep, rep.cache["patterns"])
        cache[key].setflags(write=False)
    return cache[key].copy()


def cell_ranks(cell: np.ndarray, n_cells: int, rep: ReplicateArrays,
               patterns: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Rank of the analysis weights of the rows of each cell (``cell`` = -1: in no cell), shape (n_cells,).

    The rank (R's ``qr`` rule, :func:`~cbss_analysis.survey.replicates.weight_rank`) is that of the
    cell's distinct factor patterns (few: rows of a PSU share one), each times the root of the
    sum of its rows' squared factors in the cell: that block has the same column inner products
    as the cell's rows, so R's column-wise rank test (relative to column norms) decides the same.
    Without patterns (too many), the rank of the cell's rows. Cells with the same blocks share one
    computation.
    """
    ranks = np.zeros(n_cells, dtype=np.int64)
    if n_cells == 0:
        return ranks
    if patterns is not None:
        code, rows, factor = patterns
        used = (cell >= 0) & (code >= 0)
        n_patterns = rows.shape[0]
        pair_of, pairs = group_index(cell[used] * n_patterns + code[used], n_cells * n_patterns)
        size = np.sqrt(np.bincount(pair_of, weights=factor[used] ** 2, minlength=pairs.size))
        owner = pairs // n_patterns
        bounds = np.searchsorted(owner, np.arange(n_cells + 1))
        blocks = [rows[pairs[bounds[c] : bounds[c + 1]] % n_patterns] * size[bounds[c] : bounds[c + 1], None]
                  for c in range(n_cells)]
    else:
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(n_cells + 1))
        blocks = [rep.replicates[order[bounds[c] : bounds[c + 1]]] for c in range(n_cells)]
    seen: dict[bytes, int] = {}
    for c, block in enumerate(blocks):
        if block.shape[0] == 0:
            continue
        key = block.tobytes() if patterns is None or block.size < 4096 else None
        if key is not None and key in seen:
            ranks[c] = seen[key]
            continue
        ranks[c] = weight_rank(block)
        if key is not None:
            seen[key] = ranks[c]
    return ranks
