"""Seeded generator of the embedded SYNTHETIC survey (HBSC 2017/18 schema + CBSS online-risk module).

No row is a real respondent and no state figure in the output estimates anything real.
What is real is the frame the rows are cut to:

- the per-state sample sizes of the HBSC 2017/18 open-access file (HBSC2018OAed1.1,
  variable ``countryno``, column "Cases");
- the pooled (all countries, unweighted) response distributions of that file's codebook,
  to which every HBSC item is calibrated;
- the UNICEF/WPP 2022 under-18 populations, to which the weights are post-stratified.

How the rows are made (all vectorised, ``numpy.random.default_rng(seed)``):

1. Sample: each state's respondents are split over 3-6 regional strata (sampled
   disproportionately, which gives design weights), then over the three age groups, then
   into school classes of about 20 pupils (the clusters), one class per age group per school.
   The columns have the HBSC 2017/18 schema: ``region`` is the state's character HBSC region
   code (constant within the state), ``id1`` the regional stratum (999 "No information about
   stratification" for a few schools in three states, illustrative), ``id2`` the school, ``id3``
   and ``cluster`` the class, ``grade`` 1-3 (the age group's country-specific grade).
2. Latent traits: eleven correlated person-level traits (victimisation, conduct problems,
   online sociability, online self-disclosure, problematic social media use, family,
   friend and teacher support, permissive sexual attitudes, sexual experience, father
   absent), each the sum of a state effect, a sex x age effect, a region effect, a class
   effect (the intra-class correlation) and a correlated individual part.
3. Items: each item's latent response is a loading-weighted sum of traits plus its own
   sex, age and state effects and noise. It is cut into codes at the empirical quantiles
   that reproduce its target shares among those asked (the pooled HBSC distribution, or
   a stated assumption for items without one). Codes outside the order ("Don't know",
   "Don't have or see") come from a second latent response.
4. Skip patterns follow the codebook's ``asked_of`` (not asked: the variable's missing
   code, e.g. 99, or system missing when it has none); item non-response of a few percent
   (more among pupils with conduct problems) is system missing.
5. Weights: design weight x post-stratification to each state's population by sex x age
   group, normalised to a mean of 1 within each state (as in the HBSC file).

State differences are illustrative: their directions follow published comparisons where
the project has them (e.g. problematic social media use ordered as in HBSC 2021/22 for
11-year-olds; bullying highest in the Baltic states), their sizes are invented.
"""

from __future__ import annotations

from pathlib import Path

from cbss_analysis import paths
from cbss_analysis.common.files import atomic_write, sha256_of
from cbss_analysis.common.notices import synthetic_file_label as file_label
from cbss_analysis.synthetic.assumptions import CODEBOOK, HBSC2018_SAMPLE_SIZES, SEED
from cbss_analysis.synthetic.generator import generate
from cbss_analysis.synthetic.spss import write_sav

__all__ = ["CODEBOOK", "HBSC2018_SAMPLE_SIZES", "SEED", "file_label", "generate", "sha256_of", "write_embedded", "write_sav"]


def write_embedded(seed: int = SEED, path: str | Path | None = None) -> Path:
    """Generate the full file from ``seed``, write it and its ``.sha256`` beside it.

    Default path: :func:`cbss_analysis.paths.embedded_survey`. The checksum file has the
    ``sha256sum`` format (``<hex>  <file name>``).
    """
    path = Path(path) if path is not None else paths.embedded_survey()
    write_sav(generate(seed=seed), path)
    atomic_write(path.with_suffix(".sha256"), f"{sha256_of(path)}  {path.name}\n")
    return path
