"""New weights for a survey: replicate weights derived from its design, calibration, post-stratification, raking.

:class:`Reweighting` gives :class:`~cbss_analysis.survey.core.Survey` its methods ``to_replicate``
(R ``as.svrepdesign``), ``calibrate`` (R ``calibrate``), ``post_stratify`` (R ``postStratify``) and ``rake``
(R ``rake``); each returns a new survey sharing the data and codebook. The g-weights are computed by
:mod:`cbss_analysis.survey.calibration`, the replicate weights by :mod:`cbss_analysis.survey.replicates`.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbss_analysis.errors import DesignError
from cbss_analysis.survey import calibration as cal
from cbss_analysis.survey.design import Design, design_arrays
from cbss_analysis.survey.design_checks import label as _label
from cbss_analysis.survey.replicates import ReplicateArrays, ReplicateDesign, replicate_weights

if TYPE_CHECKING:
    from cbss_analysis.survey.core import Survey


class Reweighting:
    """The reweighting methods of :class:`~cbss_analysis.survey.core.Survey` (a mixin: it has no state of its own)."""

    _calibration: cal.Calibration | None
    _replicates: ReplicateArrays | None

    @property
    def calibration(self) -> cal.Calibration | None:
        """How a calibrated Taylor survey's influence values are residualised (None: not calibrated)."""
        return self._calibration

    def to_replicate(
        self, type: str = "JKn", replicates: int | None = None, seed: int | None = None, rho: float | None = None,
        mse: bool = False,
    ) -> Survey:
        """The same survey with replicate weights derived from its Taylor design: R ``as.svrepdesign()``.

        Parameters
        ----------
        type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap"}
            JK1 (unstratified: one replicate per PSU dropped, the rest times ``n/(n-1)``, scale
            ``(1 - f)(n-1)/n``); JKn (one replicate per PSU, strata in order of first appearance,
            rscales ``(1 - f_h)(n_h-1)/n_h``); BRR and Fay (two PSUs per stratum, Hadamard rows
            2..H+1 for the strata in character sort order; Fay factors ``rho`` / ``2 - rho``);
            bootstrap (Rao-Wu: ``n_h`` PSUs drawn with replacement, scale ``nbar / ((nbar - 1)
            (R - 1))``) and subbootstrap (``n_h - 1`` draws, factor ``n_h / (n_h - 1)``, scale
            ``1 / (R - 1)``).
        replicates : int, optional
            Bootstrap replicates (default 50, R's).
        seed : int, optional
            Seed of the bootstrap draws (NumPy's generator: the draws are not R's).
        rho : float, optional
            Fay's coefficient (default 0.5, R's ``fay.rho``).
        mse : bool
            R ``mse=``.

        Returns
        -------
        Survey
            A replicate survey sharing the data, codebook and subset.

        Raises
        ------
        DesignError
            The design is already replicate, two-stage, or does not suit the type.
        """
        if self._replicates is not None:
            raise DesignError(f"{self._where()}: to_replicate: the survey already has a replicate design")
        if self._arrays.stage2 is not None:
            raise DesignError(f"{self._where()}: to_replicate: two-stage designs are not supported; use the first stage")
        labels = None
        if len(self.design.strata_columns) == 1:
            first = pd.Series(np.arange(len(self.data))).groupby(self._arrays.stratum).first().to_numpy()
            values = self.data[self.design.strata_columns[0]].to_numpy()[first]
            labels = [_label(v.item() if hasattr(v, "item") else v) for v in values]
        weights, scale, rscales = replicate_weights(self._arrays, type, replicates, rho, seed, labels)
        kind = {"subbootstrap": "bootstrap"}.get(type, type)
        names = tuple(f"r{i + 1}" for i in range(weights.shape[1]))
        out = copy.copy(self)
        out.design = ReplicateDesign(
            self.design.weight, names, kind, rho=rho if type == "Fay" else None, scale=scale, rscales=tuple(rscales), mse=mse
        )
        out._replicates = ReplicateArrays(self._arrays.weight, weights, scale, rscales, bool(mse), kind, names)
        out._arrays = design_arrays(self.data, Design(weight=self.design.weight), self._where())
        return out

    def calibrate(
        self,
        totals: Mapping | pd.DataFrame,
        method: str = "linear",
        bounds: tuple[float, float] | None = None,
        trim: tuple[float, float] | None = None,
        epsilon: float = cal.EPSILON,
        maxit: int = cal.MAXIT,
    ) -> Survey:
        """Weights calibrated to population totals: R ``calibrate(design, formula, population, calfun=)``.

        Parameters
        ----------
        totals : mapping or pandas.DataFrame
            ``{numeric column: total, categorical column: {level: total}, "(Intercept)": N}``, or
            a table with columns ``variable, level, total`` (see
            :func:`cbss_analysis.survey.calibration.auxiliary`). Give every level of one
            categorical (or the intercept) and all but one level of the others, as R's model
            matrix does.
        method : {"linear", "raking", "logit"}
            R's ``calfun``.
        bounds : (float, float), optional
            Bounds on ``g = w_new / w`` (required for logit).
        trim : (float, float), optional
            Trim ``g`` afterwards, spreading the excess (ignored, as R, for unbounded linear).
        epsilon, maxit : float, int
            Convergence: every relative misfit ``|misfit| / (1 + |total|)`` below ``epsilon``.

        Returns
        -------
        Survey
            The calibrated survey (Taylor: influence values residualised on the calibration
            variables with the weights before calibration; replicate: every replicate calibrated,
            degf kept for the nonlinear methods as R).

        Raises
        ------
        DesignError
            Unknown method, variable or level; collinear variables; non-convergence (naming the
            iteration count).
        """
        if method not in cal.METHODS:
            raise DesignError(f"calibrate: method={method!r} is not one of {', '.join(cal.METHODS)}")
        matrix, values, _ = cal.auxiliary(self.data, totals, "calibrate")
        old = self._arrays.weight
        closed = method == "linear" and (bounds is None or not np.isfinite(bounds).any())
        g = cal.g_weights(matrix, old, values, method, bounds, None if closed else trim, "calibrate", epsilon, maxit)
        new = old * g
        replicates = None
        degf = None
        if self._replicates is not None:
            rw = self._replicates.replicates
            rg = cal.g_weights(matrix, rw, values, method, bounds, None if closed else trim, "calibrate", epsilon, maxit, strict=False)
            replicates = rw * rg
            degf = None if closed else self.degrees_of_freedom
        step = cal.Step(matrix, None, old, new)
        return self._reweighted(new, replicates, degf, cal.Calibration((step,), 1, "calibrate", self._calibration))

    def post_stratify(self, strata: str | Sequence[str], population: Mapping | pd.DataFrame) -> Survey:
        """Weights post-stratified to population counts: R ``postStratify(design, strata, population)``.

        Parameters
        ----------
        strata : str or sequence of str
            The post-stratum column(s).
        population : pandas.DataFrame or mapping
            The strata columns and ``Freq`` (or ``total``); a ``{level: count}`` mapping for one column.

        Raises
        ------
        DesignError
            A cell with respondents but no population count, or the reverse (naming the cell).
        """
        code, totals = cal.cells(self.data, strata, population, "post_stratify")
        old = self._arrays.weight
        new = cal.post_stratify_weights(code, totals, old)
        replicates = None if self._replicates is None else cal.post_stratify_weights(code, totals, self._replicates.replicates)
        step = cal.Step(None, code, old, new)
        return self._reweighted(new, replicates, None, cal.Calibration((step,), 1, "post_stratify", self._calibration))

    def rake(
        self,
        margins: Sequence[str | Sequence[str]],
        populations: Sequence[Mapping | pd.DataFrame],
        epsilon: float = cal.EPSILON,
        maxit: int = cal.MAXIT,
    ) -> Survey:
        """Weights raked to several margins: R ``rake(design, sample.margins, population.margins)``.

        Post-stratifies to each margin in turn until the full-sample margins change by less than
        ``epsilon`` (replicates are post-stratified alongside, the same number of times).

        Raises
        ------
        DesignError
            As :meth:`post_stratify`; margins and populations of different lengths; no
            convergence in ``maxit`` iterations.
        """
        if len(margins) != len(populations) or not margins:
            raise DesignError(f"rake: {len(margins)} margin(s) but {len(populations)} population table(s)")
        coded = [cal.cells(self.data, m, p, "rake") for m, p in zip(margins, populations, strict=True)]
        old = self._arrays.weight
        weight = old
        replicates = None if self._replicates is None else self._replicates.replicates
        previous = None
        for _iteration in range(1, maxit + 1):
            recorded = []
            for code, totals in coded:
                weight = cal.post_stratify_weights(code, totals, weight)
                if replicates is not None:
                    replicates = cal.post_stratify_weights(code, totals, replicates)
                recorded.append(weight)
            table = np.concatenate([np.bincount(code, weights=weight, minlength=totals.size) for code, totals in coded])
            if previous is not None and np.max(np.abs(table - previous) / (1.0 + np.abs(previous))) < epsilon:
                break
            previous = table
        else:
            raise DesignError(f"rake: the margins did not converge in {maxit} iterations; raise maxit or check the margins")
        steps = tuple(cal.Step(None, code, old, w, mean_of_ratio=True) for (code, _), w in zip(coded, recorded, strict=True))
        return self._reweighted(weight, replicates, None, cal.Calibration(steps, cal.RAKE_SWEEPS, "rake", self._calibration))

    def _reweighted(
        self, weight: np.ndarray, replicates: np.ndarray | None, degf: int | None, calibration: cal.Calibration
    ) -> Survey:
        out = copy.copy(self)
        out.data = self.data.copy(deep=False)
        out.data[self.design.weight] = weight
        out._arrays = dataclasses.replace(self._arrays, weight=weight, zero_weights=bool((weight == 0).any()))
        out._indicator_cache = {}
        if self._replicates is not None:
            out._replicates = self._replicates.with_weights(weight, replicates, degf)
        else:
            out._calibration = calibration
        return out
