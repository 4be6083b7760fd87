"""cbss-analysis: design-based survey analysis of children and young people at risk in the CBSS states.

Importing the package is light: heavy modules (pandas I/O, pyreadstat, matplotlib,
statsmodels, papermill) load only when one of the names below is first used.

>>> import cbss_analysis as cbss
>>> survey = cbss.load_survey()               # the embedded synthetic survey
>>> table = cbss.estimate.proportion(survey, "cyberbullied", by=["state", "sex"])
>>> cbss.show(table)                          # labels, intervals, suppression, caption
>>> cbss.explore(survey)                      # an explorer widget that writes its own code
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY_ATTRIBUTES = {
    "load_survey": ("cbss_analysis.survey", "load_survey"),
    "Survey": ("cbss_analysis.survey", "Survey"),
    "Design": ("cbss_analysis.survey", "Design"),
    "load_codebook": ("cbss_analysis.survey.codebook", "load_codebook"),
    "Codebook": ("cbss_analysis.survey.codebook", "Codebook"),
    "load_strategy": ("cbss_analysis.strategy", "load_strategy"),
    "load_published": ("cbss_analysis.published", "load_published"),
    "member_states": ("cbss_analysis.states", "member_states"),
    "record": ("cbss_analysis.records", "record"),
    "show": ("cbss_analysis.display", "show"),
    "explore": ("cbss_analysis.explorer", "explore"),
    "publish": ("cbss_analysis.publishing", "publish"),
}
_LAZY_MODULES = {
    name: f"cbss_analysis.{name}"
    for name in (
        "estimate", "models", "scales", "disclosure", "plots", "synthetic", "reports", "states", "strategy",
        "published", "survey", "paths", "errors", "context", "overview", "tables", "notebook", "records",
        "display", "explorer", "summaries", "readable", "publishing",
    )
} | {"codebook": "cbss_analysis.survey.codebook"}

__all__ = sorted([*_LAZY_ATTRIBUTES, *_LAZY_MODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRIBUTES:
        module_name, attribute = _LAZY_ATTRIBUTES[name]
        value = getattr(importlib.import_module(module_name), attribute)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(_LAZY_MODULES[name])
    else:
        raise AttributeError(f"module 'cbss_analysis' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
