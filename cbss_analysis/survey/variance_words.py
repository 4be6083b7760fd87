"""How a survey's standard errors are computed, in words, from the survey itself.

One home for the phrase that captions, displays and methods notes print after "design-based", so that a
replicate-weight or calibrated survey is never described as plain Taylor linearisation: the words are read from
the design the estimators use (:attr:`Survey.replicates`, :attr:`Survey.calibration`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from cbss_analysis.survey.core import Survey

TAYLOR = "Taylor linearisation"
"""The words for a Taylor-linearisation design (and what a caption says of a table without ``attrs["variance"]``)."""
_CALIBRATION_WORDS = {"calibrate": "calibrated", "post_stratify": "post-stratified", "rake": "raked"}


def variance_method(survey: Survey) -> str:
    """``"Taylor linearisation"``, or the replicate method; with the weights' calibration when there is one.

    >>> variance_method(survey)                      # doctest: +SKIP
    'replicate weights (Fay, rho 0.5, 80 replicates), raked weights'
    """
    replicates = survey.replicates
    if replicates is None:
        words = TAYLOR
    else:
        rho = getattr(survey.design, "rho", None)
        details = [replicates.type, *([f"rho {rho:g}"] if rho is not None else []),
                   f"{replicates.replicates.shape[1]} replicates", *(["MSE"] if replicates.mse else [])]
        words = f"replicate weights ({', '.join(details)})"
    steps = []
    calibration = survey.calibration
    while calibration is not None:
        steps.append(_CALIBRATION_WORDS.get(calibration.method, calibration.method))
        calibration = calibration.previous
    if steps:
        words += f", {' then '.join(reversed(steps))} weights"
    return words
