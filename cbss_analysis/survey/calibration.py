"""Calibration, raking and post-stratification: R ``calibrate()``, ``rake()`` and ``postStratify()``.

New weights ``w g`` whose weighted totals of the auxiliary variables ``X`` equal known
population totals, and what the variance needs afterwards:

- **Taylor designs**: the influence values ``x`` of every estimate are replaced by their
  residuals on ``X`` (R ``svyrecvar`` with ``postStrata``): ``x - w_new (X B)``,
  ``B = (X' diag(w_old) X)^-1 X' (x / g)``, ``w_old`` the weights *before* calibration
  (:meth:`Calibration.residualize`); post-stratification is the same with cell indicators;
  raking repeats, exactly 10 times (R's fixed sweeps), ``x <- x - w_m * ave(x / w_m, margin)``
  over the margins, ``w_m`` the weights after margin ``m``'s post-stratification in the last
  raking iteration.
- **Replicate designs**: every replicate's analysis weights are calibrated to the same totals
  (from ``eta = 0`` for the iterative methods, in closed form for linear); the variance then
  follows from the calibrated replicates.

Methods (R ``calfun``): ``"linear"`` (GREG, closed form; with ``bounds`` the truncated linear
function solved by R's ``grake``), ``"raking"`` (``g = exp(X eta)``), ``"logit"`` (bounded,
``bounds`` required). ``trim`` sets ``g`` outside it to the limit and spreads the excess over
the others (R ``calibrate(trim=)``); R ignores it for unbounded linear calibration, and so does
this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cbss_analysis.errors import DesignError

METHODS: tuple[str, ...] = ("linear", "raking", "logit")
EPSILON = 1e-12
MAXIT = 200
RAKE_SWEEPS = 10
"""R ``svyrecvar`` backfits raked influence values over the margins exactly 10 times."""


@dataclass(frozen=True)
class Step:
    """One residualisation: ``x <- x - w_new * (X B)``, ``B = (X' W_fit X)^-1 X' (x w_fit / w_new)``
    (``cells``: X = indicators of ``code``; ``mean_of_ratio``: B = unweighted cell means of x / w_new)."""

    x: np.ndarray | None
    code: np.ndarray | None
    w_fit: np.ndarray
    w_new: np.ndarray
    mean_of_ratio: bool = False


@dataclass(frozen=True)
class Calibration:
    """What the Taylor variance of a calibrated survey needs: the residualisation steps.

    Attributes
    ----------
    steps : tuple of Step
        Applied in order; ``sweeps`` times for raking.
    sweeps : int
    method : str
        ``"calibrate"``, ``"post_stratify"`` or ``"rake"`` (for the record).
    """

    steps: tuple[Step, ...]
    sweeps: int = 1
    method: str = "calibrate"
    previous: Calibration | None = field(default=None)

    def residualize(self, x: np.ndarray) -> np.ndarray:
        """Residuals of the influence values ``x`` (n x C) on the calibration variables."""
        if self.previous is not None:
            x = self.previous.residualize(x)
        for _ in range(self.sweeps):
            for step in self.steps:
                if step.code is not None:
                    size = int(step.code.max()) + 1
                    if step.mean_of_ratio:
                        ratio = x / step.w_new[:, None]
                        sums = np.zeros((size, x.shape[1]))
                        np.add.at(sums, step.code, ratio)
                        mean = sums / np.bincount(step.code, minlength=size)[:, None]
                        x = x - step.w_new[:, None] * mean[step.code]
                    else:
                        sums = np.zeros((size, x.shape[1]))
                        np.add.at(sums, step.code, x * (step.w_fit / step.w_new)[:, None])
                        mean = sums / np.bincount(step.code, weights=step.w_fit, minlength=size)[:, None]
                        x = x - step.w_new[:, None] * mean[step.code]
                else:
                    matrix = step.x
                    gram = matrix.T @ (matrix * step.w_fit[:, None])
                    beta = np.linalg.lstsq(gram, matrix.T @ (x * (step.w_fit / step.w_new)[:, None]), rcond=None)[0]
                    x = x - step.w_new[:, None] * (matrix @ beta)
        return x


# --- the auxiliary matrix and its totals -----------------------------------------------------------


def auxiliary(frame: pd.DataFrame, totals: Mapping | pd.DataFrame, function: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The calibration matrix X (n x p), the population totals (p,) and the column labels.

    ``totals`` maps a numeric column to its total, a categorical column to ``{level: total}``
    (each level given is one column of X; give every level of the first categorical and all
    but one of the others, or add ``"(Intercept)"``: the population size), or is a DataFrame
    with columns ``variable``, ``level`` (NA for numeric) and ``total``.

    Raises
    ------
    DesignError
        An unknown column, a level that the column does not have, a total that is not a number,
        a categorical column with missing values.
    """
    if isinstance(totals, pd.DataFrame):
        missing = {"variable", "level", "total"} - set(totals.columns)
        if missing:
            raise DesignError(f"{function}: the totals table lacks column {sorted(missing)[0]!r} (needs variable, level, total)")
        mapping: dict = {}
        for variable, level, total in totals[["variable", "level", "total"]].itertuples(index=False):
            if pd.isna(level):
                mapping[variable] = total
            else:
                mapping.setdefault(variable, {})[level] = total
        totals = mapping
    if not isinstance(totals, Mapping) or not totals:
        raise DesignError(f"{function}: totals must be a non-empty mapping or DataFrame (variable, level, total)")
    columns, values, labels = [], [], []
    n = len(frame)
    for name, total in totals.items():
        if name == "(Intercept)":
            columns.append(np.ones(n))
            values.append(_number(total, name, function))
            labels.append(name)
            continue
        if name not in frame.columns:
            raise DesignError(f"{function}: calibration variable {name!r} is not a column of the survey")
        column = frame[name]
        if isinstance(total, Mapping):
            if column.isna().any():
                raise DesignError(f"{function}: calibration variable {name!r} is missing in {int(column.isna().sum())} row(s)")
            text = column.astype(str).to_numpy()
            known = set(text)
            for level, value in total.items():
                if str(level) not in known:
                    raise DesignError(f"{function}: level {level!r} of {name!r} has a population total but no respondent in the sample")
                columns.append((text == str(level)).astype(np.float64))
                values.append(_number(value, f"{name}={level}", function))
                labels.append(f"{name}={level}")
            continue
        if isinstance(column.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(column):
            raise DesignError(f"{function}: calibration variable {name!r} is categorical: give its total per level")
        numeric = column.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isnan(numeric).any():
            raise DesignError(f"{function}: calibration variable {name!r} is missing in {int(np.isnan(numeric).sum())} row(s)")
        columns.append(numeric)
        values.append(_number(total, name, function))
        labels.append(name)
    return np.column_stack(columns), np.asarray(values, dtype=np.float64), labels


def _number(value: object, name: str, function: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DesignError(f"{function}: the population total of {name!r} is not a number ({value!r})") from None
    if not np.isfinite(number):
        raise DesignError(f"{function}: the population total of {name!r} is not finite")
    return number


def cells(frame: pd.DataFrame, strata: Sequence[str], population: Mapping | pd.DataFrame, function: str) -> tuple[np.ndarray, np.ndarray]:
    """Post-stratification cells: the cell of every row and the population total of every cell.

    ``population``: a DataFrame with the ``strata`` columns and a ``Freq`` (or ``total``) column,
    or, for one stratum column, a mapping ``{level: total}``.

    Raises
    ------
    DesignError
        An unknown column, a cell of the sample without a population total (naming it), a cell of
        the population with no respondent, a missing stratum value.
    """
    strata = [strata] if isinstance(strata, str) else list(strata)
    for name in strata:
        if name not in frame.columns:
            raise DesignError(f"{function}: post-stratum variable {name!r} is not a column of the survey")
        if frame[name].isna().any():
            raise DesignError(f"{function}: post-stratum variable {name!r} is missing in {int(frame[name].isna().sum())} row(s)")
    if isinstance(population, Mapping):
        if len(strata) != 1:
            raise DesignError(f"{function}: a mapping of totals needs one stratum column; give a DataFrame for {strata}")
        population = pd.DataFrame({strata[0]: list(population.keys()), "Freq": list(population.values())})
    total_column = "Freq" if "Freq" in population.columns else "total"
    for name in [*strata, total_column]:
        if name not in population.columns:
            raise DesignError(f"{function}: the population table lacks column {name!r}")
    sample_keys = _keys(frame, strata)
    population_keys = _keys(population, strata)
    lookup = pd.Index(population_keys)
    if lookup.has_duplicates:
        raise DesignError(f"{function}: the population table repeats cell {lookup[lookup.duplicated()][0]!r}")
    code = lookup.get_indexer(sample_keys).astype(np.int64)
    if (code < 0).any():
        cell = sample_keys[np.flatnonzero(code < 0)[0]]
        raise DesignError(f"{function}: cell {cell!r} of {strata} has respondents but no population total")
    counts = np.bincount(code, minlength=len(population_keys))
    if (counts == 0).any():
        cell = population_keys[np.flatnonzero(counts == 0)[0]]
        raise DesignError(f"{function}: population cell {cell!r} of {strata} has no respondent in the sample")
    totals = np.array([_number(v, population_keys[i], function) for i, v in enumerate(population[total_column])])
    return code, totals


def _keys(table: pd.DataFrame, strata: list[str]) -> np.ndarray:
    """One string per row naming its cell (the strata values joined)."""
    key = table[strata[0]].astype(str).to_numpy(dtype=object)
    for name in strata[1:]:
        key = key + ", " + table[name].astype(str).to_numpy(dtype=object)
    return key


# --- g-weights ---------------------------------------------------------------------------------------


def _calfun(method: str, bounds: tuple[float, float]):
    low, high = bounds
    if method == "linear":
        def inverse(u):
            return np.clip(1.0 + u, low, high)

        def derivative(u):
            return ((u < high - 1.0) & (u > low - 1.0)).astype(np.float64)
    elif method == "raking":
        def inverse(u):
            return np.clip(np.exp(u), low, high)

        def derivative(u):
            return np.where((u < high - 1.0) & (u > low - 1.0), np.exp(u), 0.0)
    else:
        a = (high - low) / ((1.0 - low) * (high - 1.0))

        def inverse(u):
            e = np.exp(a * u)
            return (low * (high - 1.0) + high * (1.0 - low) * e) / (high - 1.0 + (1.0 - low) * e)

        def derivative(u):
            e = np.exp(a * u)
            return a * e * (1.0 - low) * (high - 1.0) * (high - low) / (high - 1.0 + (1.0 - low) * e) ** 2
    return inverse, derivative


def g_weights(
    x: np.ndarray, w: np.ndarray, totals: np.ndarray, method: str, bounds: tuple[float, float] | None,
    trim: tuple[float, float] | None, function: str = "calibrate", epsilon: float = EPSILON, maxit: int = MAXIT,
    strict: bool = True,
) -> np.ndarray:
    """g-weights of every column of ``w`` (n x R, or n) so that ``X' (w g) = totals`` (R ``regcalibrate``/``grake``).

    Raises
    ------
    DesignError
        Collinear calibration variables, logit without finite bounds, non-convergence within
        ``maxit`` iterations (``strict``; replicates, as R, are kept unconverged).
    """
    single = w.ndim == 1
    w = w[:, None] if single else w
    unbounded = bounds is None or (not np.isfinite(bounds[0]) and not np.isfinite(bounds[1]))
    if method == "logit" and (bounds is None or not np.all(np.isfinite(bounds))):
        raise DesignError(f"{function}: method='logit' needs finite bounds, e.g. bounds=(0.5, 2)")
    if method == "linear" and unbounded:
        gram = np.einsum("ni,nr,nj->rij", x, w, x)
        gap = totals[None, :] - w.T @ x
        try:
            lam = np.linalg.solve(gram, gap[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            raise DesignError(f"{function}: the calibration variables are collinear; drop a level or the intercept") from None
        g = 1.0 + x @ lam.T
    else:
        inverse, derivative = _calfun(method, (-np.inf, np.inf) if bounds is None else tuple(map(float, bounds)))
        eta = np.zeros((w.shape[1], x.shape[1]))
        sample = w.T @ x
        scale = 1.0 + np.abs(totals)
        done = np.zeros(w.shape[1], dtype=bool)
        for iteration in range(1, maxit + 1):
            u = x @ eta.T
            g = inverse(u)
            misfit = totals[None, :] - sample - (w * (g - 1.0)).T @ x
            done = np.all(np.abs(misfit) / scale < epsilon, axis=1)
            if done.all():
                break
            d = derivative(u)
            gram = np.einsum("ni,nr,nj->rij", x, w * d, x)
            try:
                step = np.linalg.pinv(gram, rcond=256 * np.finfo(float).eps) @ misfit[:, :, None]
            except np.linalg.LinAlgError:
                raise DesignError(f"{function}: method={method!r} diverged at iteration {iteration} of {maxit}") from None
            step = np.where(done[:, None], 0.0, step[:, :, 0])
            for _ in range(60):  # R grake: halve the step while g is not finite
                if np.isfinite(inverse(x @ (eta + step).T)).all():
                    break
                step = step / 2.0
            eta = eta + step
        else:
            u = x @ eta.T
            g = inverse(u)
            misfit = totals[None, :] - sample - (w * (g - 1.0)).T @ x
            done = np.all(np.abs(misfit) / scale < epsilon, axis=1)
        if strict and not done[0]:
            raise DesignError(
                f"{function}: method={method!r} did not converge in {maxit} iterations (largest relative misfit "
                f"{float(np.max(np.abs(misfit[0]) / scale)):.3g}); widen bounds or raise maxit"
            )
        if trim is not None:
            g = _trim(g, w, trim)
    return g[:, 0] if single else g


def _trim(g: np.ndarray, w: np.ndarray, trim: tuple[float, float]) -> np.ndarray:
    low, high = trim
    trimmed = np.clip(g, low, high)
    outside = (g < low) | (g > high)
    excess = ((g - trimmed) * w).sum(axis=0)
    inside_weight = np.where(outside, 0.0, w).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(outside.any(axis=0), excess / inside_weight, 0.0)
    return np.where(outside, trimmed, trimmed + shift[None, :])


def post_stratify_weights(code: np.ndarray, totals: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Post-stratified weights ``w N_h / sum_h w`` of every column of ``w`` (R ``postStratify``)."""
    single = w.ndim == 1
    w = w[:, None] if single else w
    sums = np.zeros((totals.size, w.shape[1]))
    np.add.at(sums, code, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = w * (totals[:, None] / sums)[code]
    out = np.where(np.isfinite(out), out, 0.0)
    return out[:, 0] if single else out
