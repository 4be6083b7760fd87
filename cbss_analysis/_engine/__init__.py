"""The estimation engine (private): the one design-variance core, intervals and tests, domains.

- :mod:`~cbss_analysis._engine.variance`: Taylor-linearisation variances and covariances from
  influence totals per PSU (R ``svyrecvar``), the degrees of freedom;
- :mod:`~cbss_analysis._engine.intervals`: t quantiles, Wald and proportion intervals, p-values, Holm;
- :mod:`~cbss_analysis._engine.domains`: domains as row codes or row lists.

Only the estimation layer (:mod:`cbss_analysis.estimate`, :mod:`cbss_analysis.models`,
:mod:`cbss_analysis.scales`) imports it; an import contract in ``pyproject.toml`` says so.
"""
