"""Loading survey microdata: codebooks, designs, readers, decoding, indicators and the :class:`Survey`.

>>> from cbss_analysis.survey import load_survey
>>> survey = load_survey()            # the embedded synthetic survey            # doctest: +SKIP

Modules, in the order data flows through them:

- :mod:`~cbss_analysis.survey.schema`: checks shared by every YAML file the package reads;
- :mod:`~cbss_analysis.survey.codebook`: what every variable and code means (YAML);
- :mod:`~cbss_analysis.survey.readers`: SPSS, Stata, CSV and Parquet files to raw frames;
- :mod:`~cbss_analysis.survey.decoding`: codes to labelled categoricals, missing codes to NA;
- :mod:`~cbss_analysis.survey.indicators`: the codebook's declarative indicator rules;
- :mod:`~cbss_analysis.survey.design`: the sampling design (its integer codes in
  :mod:`~cbss_analysis.survey.design_codes`, the checks in :mod:`~cbss_analysis.survey.design_checks`);
- :mod:`~cbss_analysis.survey.core`: the :class:`Survey` (its reweighting methods in
  :mod:`~cbss_analysis.survey.reweighting`);
- :mod:`~cbss_analysis.survey.codebook_choice`: which codebook reads a file (its schema);
- :mod:`~cbss_analysis.survey.loading`: :func:`load_survey`, a file through a codebook, or several cycles' files;
- :mod:`~cbss_analysis.survey.stacking`: several cycles in one :class:`Survey` (independent samples);
- :mod:`~cbss_analysis.survey.cycles`: cycle labels and years, comparability of an indicator across cycles;
- :mod:`~cbss_analysis.survey.validation`: every problem of a file, listed.
"""

from __future__ import annotations

from cbss_analysis.survey.core import Survey
from cbss_analysis.survey.design import Design, DesignArrays
from cbss_analysis.survey.loading import default_codebook_for, design_from_codebook, load_survey

__all__ = ["Design", "DesignArrays", "Survey", "default_codebook_for", "design_from_codebook", "load_survey"]
