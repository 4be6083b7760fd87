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
   into school classes of about 20 pupils (the clusters).
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

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cbss_analysis import paths
from cbss_analysis.codebook import Codebook, load_codebook
from cbss_analysis.errors import DataError
from cbss_analysis.states import check_state, iso2_from_countryno

SEED: int = 20180
"""Seed of the committed file ``data/survey/cbss_synthetic_hbsc2018.sav``."""

CODEBOOK: str = "cbss_synthetic"
MODULE_ONLINE_RISK: str = "online_risk"

HBSC2018_SAMPLE_SIZES: dict[str, int] = {
    "DK": 3181, "EE": 4725, "FI": 3146, "DE": 4347, "IS": 6996, "LV": 4412,
    "LT": 3797, "NO": 3127, "PL": 5224, "RU": 4281, "SE": 4185,
}
"""HBSC 2017/18 open-access file, cases per state (HBSC2018OAed1.1 codebook, variable countryno; confidence H)."""

UNDER18_POPULATION_THOUSANDS: dict[str, float] = {
    "DK": 1151.342, "EE": 260.3275, "FI": 1025.3265, "DE": 13892.8135, "IS": 82.7285, "LV": 345.3225,
    "LT": 496.636, "NO": 1101.184, "PL": 7257.868, "RU": 30162.3325, "SE": 2225.468,
}
"""Under-18 population 2022, thousands (UNICEF DM_POP_U18, based on UN WPP 2022; confidence H)."""

BOY_SHARE_OF_COHORT: float = 0.513
"""Boys' share of a birth cohort (sex ratio at birth about 105:100); an assumption, not a per-state figure."""

HBSC2018_POOLED_PCT: dict[str, tuple[float, ...]] = {
    "beenbullied": (73.2, 16.1, 4.3, 2.7, 3.7),
    "bulliedothers": (79.1, 14.4, 2.9, 1.7, 1.9),
    "cbeenbullied": (86.9, 8.9, 2.0, 1.0, 1.2),
    "cbulliedothers": (90.3, 6.4, 1.5, 0.8, 1.1),
    "emconlfreq1": (8.7, 7.3, 14.0, 21.3, 22.1, 26.7),
    "emconlfreq2": (12.8, 16.3, 23.0, 19.4, 15.7, 12.8),
    "emconlfreq3": (36.2, 29.5, 13.7, 8.2, 6.0, 6.4),
    "emconlfreq4": (14.5, 17.3, 21.0, 18.5, 13.6, 15.1),
    "emconlpref1": (39.3, 21.6, 19.0, 12.5, 7.7),
    "emconlpref2": (36.2, 22.2, 19.0, 14.7, 8.0),
    "emconlpref3": (37.8, 22.9, 19.6, 12.6, 7.1),
    "emcsocmed1": (78.0, 22.0),
    "emcsocmed2": (81.1, 18.9),
    "emcsocmed3": (78.6, 21.4),
    "emcsocmed4": (69.2, 30.8),
    "emcsocmed5": (84.3, 15.7),
    "emcsocmed6": (81.1, 18.9),
    "emcsocmed7": (85.5, 14.5),
    "emcsocmed8": (68.9, 31.1),
    "emcsocmed9": (85.5, 14.5),
    "hadsex": (16.7, 83.3),
    "agesex": (7.4, 3.5, 9.0, 25.3, 35.1, 19.7),
    "contraceptcondom": (52.2, 34.3, 13.5),
    "contraceptpill": (22.9, 58.3, 18.9),
    "talkfather": (32.6, 34.6, 17.8, 8.4, 6.7),
    "talkmother": (50.7, 32.8, 10.5, 4.1, 1.9),
    "famtalk": (9.1, 4.7, 5.3, 7.6, 10.4, 14.7, 48.2),
    "friendtalk": (10.5, 5.7, 6.0, 9.0, 11.9, 16.6, 40.2),
}
"""HBSC 2017/18 pooled response distributions, % of valid answers by code (HBSC2018OAed1.1 codebook, all
countries, unweighted; confidence H): the calibration targets of the HBSC items."""

ASSUMED_PCT: dict[str, tuple[float, ...]] = {
    "talkstepfa": (3.0, 4.5, 3.5, 2.5, 86.5),
    "talkstepmo": (1.5, 2.5, 2.5, 2.0, 91.5),
    "famhelp": (5.0, 2.5, 3.0, 5.5, 9.0, 15.0, 60.0),
    "famsup": (7.0, 3.5, 4.5, 7.0, 10.5, 15.0, 52.5),
    "famdec": (6.0, 3.0, 4.0, 7.0, 10.5, 16.0, 53.5),
    "friendhelp": (8.0, 4.5, 5.5, 9.0, 13.0, 18.5, 41.5),
    "friendcounton": (8.5, 4.5, 5.5, 8.5, 12.0, 17.5, 43.5),
    "friendshare": (9.0, 4.5, 5.0, 8.0, 11.5, 16.5, 45.5),
    "teacheraccept": (35.0, 40.0, 15.0, 6.0, 4.0),
    "teachercare": (28.0, 38.0, 21.0, 8.0, 5.0),
    "teachertrust": (25.0, 36.0, 22.0, 10.0, 7.0),
    "att_images_ok": (40.0, 25.0, 18.0, 11.0, 6.0),
    "att_share_wrong": (5.0, 4.0, 9.0, 22.0, 60.0),
    "att_pressure_blame": (50.0, 25.0, 13.0, 7.0, 5.0),
    "att_right_no": (3.0, 3.0, 8.0, 20.0, 66.0),
    "att_gifts_ok": (65.0, 18.0, 9.0, 5.0, 3.0),
    "img_received": (80.0, 8.0, 12.0),
    "img_sent": (94.0, 3.5, 2.5),
    "img_asked": (85.0, 7.0, 8.0),
    "met_offline": (84.0, 8.0, 8.0),
    "bothered_online": (75.0, 25.0),
    "told_someone": (35.0, 35.0, 30.0),
    "knows_help": (60.0, 25.0, 15.0),
}
"""Target distributions (%) of items without a pooled HBSC figure: assumptions of this generator, loosely
guided for the online-risk items by EU Kids Online 2020 ranges (e.g. 16% met an online contact offline)."""

TRAITS: tuple[str, ...] = (
    "victim", "conduct", "online", "disclosure", "socmed", "family", "peers", "teachers", "attitude", "sexual", "absent",
)
_CORRELATIONS: dict[tuple[str, str], float] = {
    ("victim", "conduct"): 0.30, ("victim", "family"): -0.25, ("victim", "peers"): -0.20, ("victim", "teachers"): -0.20,
    ("victim", "disclosure"): 0.15, ("victim", "socmed"): 0.25,
    ("conduct", "online"): 0.20, ("conduct", "disclosure"): 0.15, ("conduct", "socmed"): 0.30, ("conduct", "family"): -0.30,
    ("conduct", "teachers"): -0.30, ("conduct", "attitude"): 0.35, ("conduct", "sexual"): 0.40,
    ("online", "disclosure"): 0.30, ("online", "socmed"): 0.35, ("online", "peers"): 0.15, ("online", "sexual"): 0.20,
    ("online", "attitude"): 0.15,
    ("disclosure", "socmed"): 0.30, ("disclosure", "family"): -0.20, ("disclosure", "attitude"): 0.20, ("disclosure", "peers"): -0.10,
    ("socmed", "family"): -0.25, ("socmed", "attitude"): 0.15, ("socmed", "sexual"): 0.10,
    ("family", "peers"): 0.35, ("family", "teachers"): 0.40, ("family", "attitude"): -0.20, ("family", "sexual"): -0.20,
    ("family", "absent"): -0.15,
    ("peers", "teachers"): 0.25,
    ("teachers", "attitude"): -0.15, ("teachers", "sexual"): -0.10,
    ("attitude", "sexual"): 0.35,
}
"""Correlations of the individual parts of the traits (assumed; signs follow the HBSC literature)."""

_CLASS_SD: dict[str, float] = {
    "victim": 0.30, "conduct": 0.30, "online": 0.25, "disclosure": 0.15, "socmed": 0.20, "family": 0.15,
    "peers": 0.20, "teachers": 0.40, "attitude": 0.20, "sexual": 0.25, "absent": 0.10,
}
"""SD of the school-class effect on each trait (the individual part has SD 1): intra-class correlations
of about 0.01-0.14 on the latent scale, attenuated further on the items."""
_REGION_SD: float = 0.10
_SOCMED_LOADING: float = 0.65
"""Loading of the nine Social Media Disorder items on their trait. It sets how often 6+ of 9 co-occur: 0.65
gives about 7% problematic use, the HBSC figure for 2018 (SOURCES.md 1.3, confidence M)."""

_STATE_ORDER: tuple[str, ...] = ("DK", "FI", "IS", "NO", "SE", "EE", "LV", "LT", "DE", "PL", "RU")


def _by_state(*values: float) -> dict[str, float]:
    return dict(zip(_STATE_ORDER, values, strict=True))


#                                      DK     FI     IS     NO     SE     EE     LV     LT     DE     PL     RU
_STATE_EFFECTS: dict[str, dict[str, float]] = {
    "victim": _by_state(-0.25, -0.10, -0.35, -0.20, -0.35, 0.25, 0.45, 0.60, -0.05, 0.05, 0.30),
    "conduct": _by_state(-0.05, -0.15, -0.20, -0.20, -0.25, 0.20, 0.35, 0.45, 0.00, 0.05, 0.30),
    "online": _by_state(0.25, 0.10, 0.20, 0.25, 0.20, 0.15, 0.05, 0.00, -0.15, 0.00, -0.05),
    "disclosure": _by_state(-0.10, -0.10, -0.05, -0.05, -0.10, 0.05, 0.10, 0.15, -0.05, 0.15, 0.20),
    # Ordered as HBSC 2021/22 problematic social media use at age 11 (SOURCES.md 1.2); DK and RU are not in
    # that table and sit near the mean.
    "socmed": _by_state(0.00, -0.15, -0.15, -0.04, -0.19, -0.04, -0.04, 0.35, 0.07, 0.04, 0.15),
    "family": _by_state(0.20, 0.05, 0.35, 0.20, 0.15, -0.10, -0.15, -0.20, 0.10, -0.10, -0.15),
    "peers": _by_state(0.20, 0.00, 0.25, 0.15, 0.10, -0.10, -0.20, -0.20, 0.10, -0.10, -0.10),
    "teachers": _by_state(0.10, 0.05, 0.10, 0.20, 0.00, -0.05, -0.10, -0.15, 0.00, -0.20, 0.05),
    "attitude": _by_state(0.10, 0.00, 0.05, 0.05, 0.05, 0.05, 0.10, 0.10, 0.00, -0.05, 0.15),
    "sexual": _by_state(0.35, 0.15, 0.35, 0.20, 0.25, 0.05, 0.05, -0.15, 0.05, -0.35, -0.05),
    "absent": _by_state(0.00, -0.05, -0.10, -0.05, 0.00, 0.15, 0.20, 0.10, -0.10, -0.10, 0.20),
}

# Trait effects of being a girl and of age group (11, 13, 15), in SD units of the individual part.
_TRAIT_GIRL: dict[str, float] = {
    "victim": 0.0, "conduct": -0.35, "online": 0.10, "disclosure": 0.0, "socmed": 0.25, "family": -0.05,
    "peers": 0.40, "teachers": 0.0, "attitude": -0.35, "sexual": -0.25, "absent": 0.0,
}
_TRAIT_AGE: dict[str, tuple[float, float, float]] = {
    "victim": (0.15, 0.05, -0.20), "conduct": (-0.15, 0.05, 0.10), "online": (-0.45, 0.05, 0.40),
    "disclosure": (-0.10, 0.05, 0.05), "socmed": (-0.10, 0.10, 0.00), "family": (0.30, 0.00, -0.30),
    "peers": (-0.05, 0.00, 0.05), "teachers": (0.40, 0.00, -0.40), "attitude": (-0.20, -0.10, 0.15),
    "sexual": (-0.50, -0.20, 0.30), "absent": (0.00, 0.00, 0.00),
}

_REGIONS: dict[str, int] = {"DK": 5, "FI": 5, "IS": 3, "NO": 5, "SE": 6, "EE": 4, "LV": 5, "LT": 5, "DE": 6, "PL": 6, "RU": 6}
_GRADES: dict[str, tuple[int, int, int]] = {"IS": (6, 8, 10), "NO": (6, 8, 10)}
_DEFAULT_GRADES: tuple[int, int, int] = (5, 7, 9)
_CLASS_SIZE: int = 20
_GIRL_SHARE: float = 0.505
_MIN_PER_REGION: int = 90
"""Fewer regions in a small state (when n is scaled down) so that each region still has classes of every age group."""
_NOT_ASKED_LABEL: str = "Not asked (skip pattern)"
# SPSS .sav header (sysfile-info): the creation date ("dd mmm yy") and time ("hh:mm:ss") follow the
# 4-byte magic, 60-byte product name, five int32 fields and the float64 compression bias.
_SAV_DATE_OFFSET: int = 4 + 60 + 5 * 4 + 8
_SAV_FIXED_STAMP: bytes = b"01 Jan 1800:00:00"


@dataclass(frozen=True)
class _Aside:
    """A code outside the item's order ("Don't know", "Don't have or see"), drawn by its own latent response."""

    code: int
    load: dict[str, float]
    state: dict[str, float] = field(default_factory=dict)
    girl: float = 0.0


@dataclass(frozen=True)
class _Item:
    """How one item is generated: higher latent response -> higher code."""

    load: dict[str, float]
    girl: float = 0.0
    age: tuple[float, float, float] = (0.0, 0.0, 0.0)
    state: dict[str, float] = field(default_factory=dict)
    nonresponse: float = 0.02
    aside: _Aside | None = None


def _items() -> dict[str, _Item]:
    """The generation spec of every item, in questionnaire order."""
    spec: dict[str, _Item] = {
        "beenbullied": _Item({"victim": 0.75}, nonresponse=0.015),
        "bulliedothers": _Item({"conduct": 0.70, "victim": 0.15}, nonresponse=0.02),
        "cbeenbullied": _Item({"victim": 0.55, "online": 0.20, "disclosure": 0.15}, girl=0.15, nonresponse=0.025),
        "cbulliedothers": _Item({"conduct": 0.60, "online": 0.20}, nonresponse=0.025),
    }
    online_aside = {"online": -0.5}
    spec["emconlfreq1"] = _Item({"online": 0.70, "peers": 0.15}, girl=0.15, aside=_Aside(1, online_aside))
    spec["emconlfreq2"] = _Item({"online": 0.70, "peers": 0.10}, aside=_Aside(1, online_aside))
    spec["emconlfreq3"] = _Item(
        {"online": 0.55, "disclosure": 0.20, "conduct": 0.10}, girl=-0.10, age=(-0.15, 0.0, 0.15),
        aside=_Aside(1, {"online": -0.40, "disclosure": -0.15}),
    )
    spec["emconlfreq4"] = _Item({"online": 0.65, "family": 0.10}, aside=_Aside(1, online_aside))
    for index in (1, 2, 3):
        spec[f"emconlpref{index}"] = _Item({"disclosure": 0.80}, nonresponse=0.04)
    for index in range(1, 10):
        spec[f"emcsocmed{index}"] = _Item({"socmed": _SOCMED_LOADING}, nonresponse=0.05)
    spec["hadsex"] = _Item({"sexual": -0.80}, nonresponse=0.06)
    spec["agesex"] = _Item({"sexual": -0.45, "conduct": -0.15}, girl=0.20, nonresponse=0.08)
    spec["contraceptcondom"] = _Item(
        {"family": -0.20, "conduct": 0.20, "sexual": 0.10}, girl=0.20, nonresponse=0.05,
        state=_by_state(0.15, 0.00, 0.15, 0.10, 0.35, -0.30, -0.05, -0.10, -0.10, -0.30, 0.00),
        aside=_Aside(3, {"sexual": -0.30}),
    )
    spec["contraceptpill"] = _Item(
        {"family": -0.10, "conduct": 0.10}, girl=-0.10, nonresponse=0.06,
        state=_by_state(-0.40, -0.20, -0.20, -0.30, -0.30, 0.00, 0.20, 0.30, -0.35, 0.40, 0.40),
        aside=_Aside(3, {"sexual": -0.30}),
    )
    spec["talkfather"] = _Item(
        {"family": -0.65}, girl=0.45, age=(-0.35, 0.0, 0.35), aside=_Aside(5, {"absent": 0.90})
    )
    spec["talkstepfa"] = _Item({"family": -0.50}, girl=0.30, aside=_Aside(5, {"absent": -0.50}))
    spec["talkmother"] = _Item({"family": -0.70}, girl=0.05, age=(-0.35, 0.0, 0.30), aside=_Aside(5, {"family": -0.20}))
    spec["talkstepmo"] = _Item({"family": -0.50}, girl=0.20, aside=_Aside(5, {"absent": -0.20}))
    for name in ("famhelp", "famsup", "famtalk", "famdec"):
        spec[name] = _Item({"family": 0.80}, nonresponse=0.03)
    for name in ("friendhelp", "friendcounton", "friendshare", "friendtalk"):
        spec[name] = _Item({"peers": 0.80}, nonresponse=0.03)
    for name in ("teacheraccept", "teachercare", "teachertrust"):
        spec[name] = _Item({"teachers": -0.75}, nonresponse=0.03)
    for name in ("att_images_ok", "att_pressure_blame", "att_gifts_ok"):
        spec[name] = _Item({"attitude": 0.70}, nonresponse=0.04)
    for name in ("att_share_wrong", "att_right_no"):
        spec[name] = _Item({"attitude": -0.60}, girl=0.20, nonresponse=0.04)
    risk = 0.04
    spec["img_received"] = _Item(
        {"attitude": 0.35, "online": 0.35, "disclosure": 0.15, "sexual": 0.15, "family": -0.15},
        girl=0.15, age=(0.0, -0.35, 0.35), nonresponse=risk,
        state=_by_state(0.25, 0.20, 0.20, 0.35, 0.25, -0.15, -0.10, -0.20, 0.25, -0.05, 0.00),
    )
    spec["img_sent"] = _Item(
        {"attitude": 0.50, "disclosure": 0.25, "conduct": 0.20, "sexual": 0.20, "family": -0.25},
        age=(0.0, -0.30, 0.30), nonresponse=risk,
    )
    spec["img_asked"] = _Item(
        {"attitude": 0.25, "online": 0.35, "disclosure": 0.25, "family": -0.20, "victim": 0.15},
        girl=0.45, age=(0.0, -0.30, 0.30), nonresponse=risk,
    )
    spec["met_offline"] = _Item(
        {"online": 0.40, "disclosure": 0.30, "conduct": 0.25, "family": -0.20, "attitude": 0.15},
        age=(0.0, -0.25, 0.25), nonresponse=risk,
        state=_by_state(0.00, 0.00, 0.00, 0.15, 0.00, -0.10, 0.00, -0.10, 0.00, 0.10, 0.00),
    )
    spec["bothered_online"] = _Item({"victim": 0.35, "online": 0.25, "socmed": 0.20}, girl=0.20, nonresponse=risk)
    spec["told_someone"] = _Item({"family": -0.50, "teachers": -0.20, "conduct": 0.10}, girl=-0.10, age=(0.0, -0.20, 0.20), nonresponse=risk)
    spec["knows_help"] = _Item({"teachers": -0.30, "family": -0.25, "peers": -0.10}, nonresponse=risk)
    return spec


def generate(
    seed: int = SEED,
    n: int | None = None,
    states: list[str] | None = None,
    include_online_risk: bool = True,
) -> pd.DataFrame:
    """Generate the synthetic survey as stored codes.

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives an identical frame.
    n : int, optional
        Total respondents over the eleven states; default the HBSC 2017/18 total (47,421).
        The states keep the HBSC proportions (largest-remainder rounding). At least 1,100.
    states : list of str, optional
        ISO2 codes of the states to keep. The full eleven-state file is generated first and
        then filtered, so a state's rows do not depend on which other states are kept.
    include_online_risk : bool
        Keep the CBSS online-risk module's columns (13- and 15-year-olds).

    Returns
    -------
    pandas.DataFrame
        One row per synthetic respondent, columns in codebook order: design columns as
        int64 (``weight`` and ``age`` float64), items as float64 codes with the codebook's
        skip codes (e.g. 99) where not asked and NaN for item non-response.
        ``attrs["synthetic"]`` is True and ``attrs["seed"]`` the seed.

    Raises
    ------
    DataError
        If ``n`` is too small or a state code is unknown.
    """
    total = sum(HBSC2018_SAMPLE_SIZES.values()) if n is None else int(n)
    if total < 1100:
        raise DataError(f"synthetic.generate: n={total} is too small; ask for at least 1100 respondents (100 per state)")
    keep = [check_state(code) for code in states] if states is not None else None
    codebook = load_codebook(CODEBOOK)
    rng = np.random.default_rng(seed)
    frame, state, class_index = _sample(rng, total)
    traits = _traits(rng, frame, state, class_index)
    for name, item in _items().items():
        frame[name] = _answer(rng, name, item, frame, state, traits, codebook)
    columns = [name for name, variable in codebook.variables.items() if include_online_risk or variable.module != MODULE_ONLINE_RISK]
    frame = frame[columns]
    if keep is not None:
        countrynos = [_countryno()[code] for code in keep]
        frame = frame[frame["countryno"].isin(countrynos)].reset_index(drop=True)
    frame.attrs["synthetic"] = True
    frame.attrs["seed"] = int(seed)
    return frame


def _countryno() -> dict[str, int]:
    return {iso2: countryno for countryno, iso2 in iso2_from_countryno().items()}


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``total`` in proportion to ``shares`` (Hamilton's method)."""
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def _sample(rng: np.random.Generator, total: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Respondents with their design (state, region, age group, class, sex, age, grade, weight).

    Returns the frame, each row's state index (in :data:`HBSC2018_SAMPLE_SIZES` order) and
    its class index over the whole sample.
    """
    codes = list(HBSC2018_SAMPLE_SIZES)
    per_state = _largest_remainder(total, np.array([HBSC2018_SAMPLE_SIZES[c] for c in codes], dtype=float))
    countryno = _countryno()
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("state", "region", "agecat", "cluster", "base")}
    class_counter = 0
    for state_index, (code, n_state) in enumerate(zip(codes, per_state, strict=True)):
        n_regions = max(1, min(_REGIONS[code], int(n_state) // _MIN_PER_REGION))
        population_share = rng.dirichlet(np.full(n_regions, 3.0))
        sample_share = np.sqrt(population_share)
        region_counts = _largest_remainder(int(n_state), sample_share)
        base_weight = population_share / (sample_share / sample_share.sum())
        for region in range(n_regions):
            age_counts = _largest_remainder(int(region_counts[region]), rng.dirichlet(np.full(3, 40.0)))
            for agecat, n_cell in enumerate(age_counts, start=1):
                if n_cell == 0:
                    continue
                n_classes = max(1, round(int(n_cell) / _CLASS_SIZE))
                sizes = 1 + _largest_remainder(int(n_cell) - n_classes, rng.dirichlet(np.full(n_classes, 25.0)))
                class_ids = np.repeat(np.arange(class_counter, class_counter + n_classes), sizes)
                class_counter += n_classes
                columns["state"].append(np.full(n_cell, state_index))
                columns["region"].append(np.full(n_cell, countryno[code] + region + 1))
                columns["agecat"].append(np.full(n_cell, agecat))
                columns["cluster"].append(class_ids)
                columns["base"].append(np.full(n_cell, base_weight[region]))
    state = np.concatenate(columns["state"])
    agecat = np.concatenate(columns["agecat"])
    class_index = np.concatenate(columns["cluster"])
    n_rows = state.size
    state_codes = np.array(codes)[state]
    countrynos = np.array([countryno[c] for c in codes])[state]
    state_first_class = pd.Series(class_index).groupby(state).transform("min").to_numpy()
    girl = rng.random(n_rows) < _GIRL_SHARE
    age_offset = rng.uniform(-0.15, 0.25, size=len(codes))[state]
    age = 9.5 + 2 * agecat + age_offset + np.clip(rng.normal(0.0, 0.3, n_rows), -0.8, 0.8)
    grades = np.array([_GRADES.get(c, _DEFAULT_GRADES) for c in codes])
    frame = pd.DataFrame(
        {
            "seqno_int": np.arange(1, n_rows + 1, dtype=np.int64),
            "cluster": countrynos * 1000 + (class_index - state_first_class + 1),
            "countryno": countrynos,
            "region": np.concatenate(columns["region"]),
            "weight": _weights(np.concatenate(columns["base"]), state_codes, state, girl, agecat, len(codes)),
            "sex": np.where(girl, 2, 1).astype(np.int64),
            "agecat": agecat.astype(np.int64),
            "age": np.round(age, 2),
            "grade": grades[state, agecat - 1].astype(np.int64),
        }
    )
    return frame, state, class_index


def _weights(
    base: np.ndarray, state_codes: np.ndarray, state: np.ndarray, girl: np.ndarray, agecat: np.ndarray, n_states: int
) -> np.ndarray:
    """Design weight x post-stratification to each state's sex x age-group population, mean 1 per state.

    A cohort of one year of age is the state's under-18 population / 18, split by
    :data:`BOY_SHARE_OF_COHORT`; each age group (11, 13, 15) is one such cohort.
    """
    cohort = np.array([UNDER18_POPULATION_THOUSANDS[c] * 1000.0 / 18.0 for c in state_codes])
    population = cohort * np.where(girl, 1.0 - BOY_SHARE_OF_COHORT, BOY_SHARE_OF_COHORT)
    cell = (state * 2 + girl) * 3 + (agecat - 1)
    cell_base = np.bincount(cell, weights=base, minlength=n_states * 6)
    weight = base * population / cell_base[cell]
    state_sum = np.bincount(state, weights=weight, minlength=n_states)
    state_n = np.bincount(state, minlength=n_states)
    return np.round(weight * state_n[state] / state_sum[state], 6)


def _correlation() -> np.ndarray:
    index = {name: i for i, name in enumerate(TRAITS)}
    matrix = np.eye(len(TRAITS))
    for (a, b), value in _CORRELATIONS.items():
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = value
    return matrix


def _traits(rng: np.random.Generator, frame: pd.DataFrame, state: np.ndarray, class_index: np.ndarray) -> dict[str, np.ndarray]:
    """Latent person-level traits: state + sex x age + region + class + correlated individual parts."""
    _, region_index = np.unique(frame["region"].to_numpy(), return_inverse=True)
    girl = frame["sex"].to_numpy() == 2
    age_index = frame["agecat"].to_numpy() - 1
    n_rows = len(frame)
    individual = rng.standard_normal((n_rows, len(TRAITS))) @ np.linalg.cholesky(_correlation()).T
    class_effect = rng.standard_normal((int(class_index.max()) + 1, len(TRAITS)))
    region_effect = rng.standard_normal((int(region_index.max()) + 1, len(TRAITS))) * _REGION_SD
    traits = {}
    for k, name in enumerate(TRAITS):
        state_effect = np.array([_STATE_EFFECTS[name][c] for c in HBSC2018_SAMPLE_SIZES])
        traits[name] = (
            state_effect[state]
            + girl * _TRAIT_GIRL[name]
            + np.asarray(_TRAIT_AGE[name])[age_index]
            + region_effect[region_index, k]
            + class_effect[class_index, k] * _CLASS_SD[name]
            + individual[:, k]
        )
    return traits


def _latent(rng: np.random.Generator, load: dict[str, float], traits: dict[str, np.ndarray], n_rows: int) -> np.ndarray:
    explained = sum(value * value for value in load.values())
    noise = np.sqrt(max(0.3, 1.0 - explained))
    return sum(value * traits[name] for name, value in load.items()) + noise * rng.standard_normal(n_rows)


def _cut(latent: np.ndarray, mask: np.ndarray, shares: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Codes at the empirical quantiles of ``latent`` among ``mask`` that reproduce ``shares``."""
    out = np.full(latent.size, np.nan)
    if not mask.any():
        return out
    cumulative = np.cumsum(shares / shares.sum())[:-1]
    thresholds = np.quantile(latent[mask], cumulative)
    out[mask] = codes[np.searchsorted(thresholds, latent[mask], side="right")]
    return out


def _asked(name: str, frame: pd.DataFrame, codebook: Codebook) -> tuple[np.ndarray, np.ndarray]:
    """Rows asked the item, and rows whose skip status is unknown (a filter question unanswered)."""
    asked = np.ones(len(frame), dtype=bool)
    unknown = np.zeros(len(frame), dtype=bool)
    for variable, allowed in codebook.variable(name).asked_of.items():
        values = frame[variable].to_numpy(dtype=np.float64)
        unknown |= np.isnan(values)
        asked &= np.isin(values, allowed)
    return asked, unknown & ~asked


def _answer(
    rng: np.random.Generator,
    name: str,
    item: _Item,
    frame: pd.DataFrame,
    state: np.ndarray,
    traits: dict[str, np.ndarray],
    codebook: Codebook,
) -> np.ndarray:
    """One item's stored codes: cut latent response, skip codes, item non-response."""
    n_rows = len(frame)
    shares = np.asarray(HBSC2018_POOLED_PCT.get(name) or ASSUMED_PCT[name], dtype=np.float64)
    codes = np.arange(1, shares.size + 1, dtype=np.float64)
    state_codes = list(HBSC2018_SAMPLE_SIZES)
    girl = frame["sex"].to_numpy() == 2
    age_index = frame["agecat"].to_numpy() - 1
    asked, unknown = _asked(name, frame, codebook)
    latent = (
        _latent(rng, item.load, traits, n_rows)
        + girl * item.girl
        + np.asarray(item.age)[age_index]
        + np.array([item.state.get(c, 0.0) for c in state_codes])[state]
    )
    if item.aside is None:
        answer = _cut(latent, asked, shares, codes)
    else:
        aside = item.aside
        aside_latent = (
            _latent(rng, aside.load, traits, n_rows)
            + girl * aside.girl
            + np.array([aside.state.get(c, 0.0) for c in state_codes])[state]
        )
        aside_share = shares[aside.code - 1] / shares.sum()
        is_aside = _cut(aside_latent, asked, np.array([1.0 - aside_share, aside_share]), np.array([0.0, 1.0])) == 1.0
        in_order = codes != aside.code
        answer = _cut(latent, asked & ~is_aside, shares[in_order], codes[in_order])
        answer[is_aside] = aside.code
    conduct = traits["conduct"]
    propensity = np.exp(0.35 * conduct)
    skipped_item = rng.random(n_rows) < item.nonresponse * propensity / propensity.mean()
    answer[skipped_item & asked] = np.nan
    missing = codebook.variable(name).missing
    answer[~asked] = float(missing[0]) if missing else np.nan
    answer[unknown] = np.nan
    return answer


def file_label(seed: int) -> str:
    """The .sav file label: says SYNTHETIC and names the seed (at most 64 characters)."""
    return f"SYNTHETIC DATA, not real respondents: cbss-analysis seed {seed}"


def write_sav(frame: pd.DataFrame, path: str | Path, codebook: Codebook | None = None) -> Path:
    """Write a generated frame as an SPSS file with the codebook's labels, byte-reproducibly.

    Variable labels, value labels (plus "Not asked (skip pattern)" on missing codes), SPSS
    user-missing values and measurement levels come from the codebook; the file is
    zlib-compressed (SPSS "zsav" format, read by SPSS 21+ and pyreadstat). The header's
    creation date and time are overwritten with a fixed stamp after writing so that the
    same frame always gives the same bytes. The file is written beside ``path`` under a
    temporary name and moved into place only when complete, so an existing file is never
    left half-overwritten.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`generate` (``attrs["seed"]`` names the seed in the file label).
    path : str or Path
        Destination ``.sav`` file.
    codebook : Codebook, optional
        Default: the ``cbss_synthetic`` codebook.

    Returns
    -------
    Path
        The path written.
    """
    import pyreadstat

    codebook = codebook or load_codebook(CODEBOOK)
    path = Path(path)
    labels, value_labels, missing, measure, formats = {}, {}, {}, {}, {}
    for column in frame.columns:
        variable = codebook.variable(column)
        labels[column] = variable.label
        if variable.values or variable.missing:
            value_labels[column] = {**dict(variable.values), **{code: _NOT_ASKED_LABEL for code in variable.missing}}
        if variable.missing:
            missing[column] = list(variable.missing)
        measure[column] = {"ordinal": "ordinal", "numeric": "scale", "weight": "scale"}.get(variable.type, "nominal")
        formats[column] = _spss_format(frame[column])
    partial = path.with_name(f".{path.name}.partial")
    try:
        pyreadstat.write_sav(
            frame,
            str(partial),
            file_label=file_label(frame.attrs.get("seed", SEED)),
            column_labels=labels,
            compress=True,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_measure=measure,
            variable_format=formats,
        )
        _fix_sav_timestamp(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _spss_format(column: pd.Series) -> str:
    """SPSS print format: whole numbers without decimals, others with as many as they carry (age 2, weight 6)."""
    values = column.to_numpy(dtype=np.float64)
    values = values[~np.isnan(values)]
    width = max(8, len(str(int(np.abs(values).max()))) + 2) if values.size else 8
    for decimals in (0, 2):
        if np.allclose(values, np.round(values, decimals), rtol=0.0, atol=1e-9):
            return f"F{width + decimals}.{decimals}"
    return f"F{width + 6}.6"


def _fix_sav_timestamp(path: Path) -> None:
    """Overwrite the creation date/time of a .sav header with a fixed stamp.

    ReadStat writes the wall-clock time into the file header, so two writes of the same data
    differ; the committed file must be byte-reproducible from its seed.
    """
    with path.open("r+b") as handle:
        magic = handle.read(4)
        if magic not in (b"$FL2", b"$FL3"):
            raise DataError(f"{path}: not an SPSS .sav file (header {magic!r}); cannot fix its timestamp")
        handle.seek(_SAV_DATE_OFFSET)
        handle.write(_SAV_FIXED_STAMP)


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_embedded(seed: int = SEED, path: str | Path | None = None) -> Path:
    """Generate the full file from ``seed``, write it and its ``.sha256`` beside it.

    Default path: :func:`cbss_analysis.paths.embedded_survey`. The checksum file has the
    ``sha256sum`` format (``<hex>  <file name>``).
    """
    path = Path(path) if path is not None else paths.embedded_survey()
    write_sav(generate(seed=seed), path)
    path.with_suffix(".sha256").write_text(f"{sha256_of(path)}  {path.name}\n", encoding="utf-8")
    return path
