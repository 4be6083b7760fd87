"""What the synthetic survey assumes: sample sizes, target distributions, effects, item specifications.

This is the file a reviewer audits. Every number that shapes the embedded synthetic survey is
here, each with where it comes from: real figures (sample sizes, pooled response distributions,
populations) with their source, and invented ones (state effects, loadings, correlations) marked
as assumptions. :mod:`cbss_analysis.synthetic.generator` only turns these into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
CORRELATIONS: dict[tuple[str, str], float] = {
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

CLASS_SD: dict[str, float] = {
    "victim": 0.30, "conduct": 0.30, "online": 0.25, "disclosure": 0.15, "socmed": 0.20, "family": 0.15,
    "peers": 0.20, "teachers": 0.40, "attitude": 0.20, "sexual": 0.25, "absent": 0.10,
}
"""SD of the school-class effect on each trait (the individual part has SD 1): intra-class correlations
of about 0.01-0.14 on the latent scale, attenuated further on the items."""
REGION_SD: float = 0.10
SOCMED_LOADING: float = 0.65
"""Loading of the nine Social Media Disorder items on their trait. It sets how often 6+ of 9 co-occur: 0.65
gives about 7% problematic use, the HBSC figure for 2018 (SOURCES.md 1.3, confidence M)."""

STATE_ORDER: tuple[str, ...] = ("DK", "FI", "IS", "NO", "SE", "EE", "LV", "LT", "DE", "PL", "RU")


def by_state(*values: float) -> dict[str, float]:
    return dict(zip(STATE_ORDER, values, strict=True))


#                                      DK     FI     IS     NO     SE     EE     LV     LT     DE     PL     RU
STATE_EFFECTS: dict[str, dict[str, float]] = {
    "victim": by_state(-0.25, -0.10, -0.35, -0.20, -0.35, 0.25, 0.45, 0.60, -0.05, 0.05, 0.30),
    "conduct": by_state(-0.05, -0.15, -0.20, -0.20, -0.25, 0.20, 0.35, 0.45, 0.00, 0.05, 0.30),
    "online": by_state(0.25, 0.10, 0.20, 0.25, 0.20, 0.15, 0.05, 0.00, -0.15, 0.00, -0.05),
    "disclosure": by_state(-0.10, -0.10, -0.05, -0.05, -0.10, 0.05, 0.10, 0.15, -0.05, 0.15, 0.20),
    # Ordered as HBSC 2021/22 problematic social media use at age 11 (SOURCES.md 1.2); DK and RU are not in
    # that table and sit near the mean.
    "socmed": by_state(0.00, -0.15, -0.15, -0.04, -0.19, -0.04, -0.04, 0.35, 0.07, 0.04, 0.15),
    "family": by_state(0.20, 0.05, 0.35, 0.20, 0.15, -0.10, -0.15, -0.20, 0.10, -0.10, -0.15),
    "peers": by_state(0.20, 0.00, 0.25, 0.15, 0.10, -0.10, -0.20, -0.20, 0.10, -0.10, -0.10),
    "teachers": by_state(0.10, 0.05, 0.10, 0.20, 0.00, -0.05, -0.10, -0.15, 0.00, -0.20, 0.05),
    "attitude": by_state(0.10, 0.00, 0.05, 0.05, 0.05, 0.05, 0.10, 0.10, 0.00, -0.05, 0.15),
    "sexual": by_state(0.35, 0.15, 0.35, 0.20, 0.25, 0.05, 0.05, -0.15, 0.05, -0.35, -0.05),
    "absent": by_state(0.00, -0.05, -0.10, -0.05, 0.00, 0.15, 0.20, 0.10, -0.10, -0.10, 0.20),
}

# Trait effects of being a girl and of age group (11, 13, 15), in SD units of the individual part.
TRAIT_GIRL: dict[str, float] = {
    "victim": 0.0, "conduct": -0.35, "online": 0.10, "disclosure": 0.0, "socmed": 0.25, "family": -0.05,
    "peers": 0.40, "teachers": 0.0, "attitude": -0.35, "sexual": -0.25, "absent": 0.0,
}
TRAIT_AGE: dict[str, tuple[float, float, float]] = {
    "victim": (0.15, 0.05, -0.20), "conduct": (-0.15, 0.05, 0.10), "online": (-0.45, 0.05, 0.40),
    "disclosure": (-0.10, 0.05, 0.05), "socmed": (-0.10, 0.10, 0.00), "family": (0.30, 0.00, -0.30),
    "peers": (-0.05, 0.00, 0.05), "teachers": (0.40, 0.00, -0.40), "attitude": (-0.20, -0.10, 0.15),
    "sexual": (-0.50, -0.20, 0.30), "absent": (0.00, 0.00, 0.00),
}

REGIONS: dict[str, int] = {"DK": 5, "FI": 5, "IS": 3, "NO": 5, "SE": 6, "EE": 4, "LV": 5, "LT": 5, "DE": 6, "PL": 6, "RU": 6}
"""Region strata per state (``id1`` codes 1..k): illustrative. The documentation tabulates id1 pooled over all
countries only (HBSC2018OAed1.1, variable id1, lines 543-666), so no per-state number is known."""
HBSC2018_REGION_CODES: dict[str, str] = {
    "DK": "DK", "EE": "EE", "FI": "FI", "DE": "DE", "IS": "IS", "LV": "LV",
    "LT": "LT", "NO": "NO", "PL": "PL", "RU": "RU", "SE": "SE",
}
"""The character ``region`` code of each state, constant within it: HBSC2018OAed1.1, variable region (lines
485-542; each code has exactly the cases of the state's countryno code, e.g. DK 3,181 at line 500); confidence H."""
ID1_NO_INFORMATION: int = 999
"""id1 code 999 "No information about stratification" (HBSC2018OAed1.1 line 665: 1,381 of 244,097 cases, 0.6%)."""
ID1_NO_INFORMATION_STATES: tuple[str, ...] = ("EE", "DE", "PL")
"""States with some id1 = 999 rows (the first school of their first two regions): illustrative, to exercise the
999 stratum. The documentation does not say which countries have 999 rows; it shows that they are not one or
more whole countries (no set of countries has 1,381 cases)."""
HBSC2018_AGE_MAX: float = 16.5
"""Largest age in the file (HBSC2018OAed1.1, variable age, range 10-16.5, line 1690); generated ages are capped at it."""
CLUSTER_STATE_BLOCK: int = 100_000
"""``cluster`` = state position (1-11, :data:`HBSC2018_SAMPLE_SIZES` order) x 100,000 + class number in the state:
unique over the file and inside the documented range 100001-4800817 (HBSC2018OAed1.1 line 425). How the real codes
are built is not documented; this numbering is illustrative."""
CLASS_SIZE: int = 20
GIRL_SHARE: float = 0.505
MIN_PER_REGION: int = 90
"""Fewer regions in a small state (when n is scaled down) so that each region still has classes of every age group."""
@dataclass(frozen=True)
class Aside:
    """A code outside the item's order ("Don't know", "Don't have or see"), drawn by its own latent response."""

    code: int
    load: dict[str, float]
    state: dict[str, float] = field(default_factory=dict)
    girl: float = 0.0


@dataclass(frozen=True)
class Item:
    """How one item is generated: higher latent response -> higher code."""

    load: dict[str, float]
    girl: float = 0.0
    age: tuple[float, float, float] = (0.0, 0.0, 0.0)
    state: dict[str, float] = field(default_factory=dict)
    nonresponse: float = 0.02
    aside: Aside | None = None


def item_specs() -> dict[str, Item]:
    """The generation spec of every item, in questionnaire order."""
    spec: dict[str, Item] = {
        "beenbullied": Item({"victim": 0.75}, nonresponse=0.015),
        "bulliedothers": Item({"conduct": 0.70, "victim": 0.15}, nonresponse=0.02),
        "cbeenbullied": Item({"victim": 0.55, "online": 0.20, "disclosure": 0.15}, girl=0.15, nonresponse=0.025),
        "cbulliedothers": Item({"conduct": 0.60, "online": 0.20}, nonresponse=0.025),
    }
    online_aside = {"online": -0.5}
    spec["emconlfreq1"] = Item({"online": 0.70, "peers": 0.15}, girl=0.15, aside=Aside(1, online_aside))
    spec["emconlfreq2"] = Item({"online": 0.70, "peers": 0.10}, aside=Aside(1, online_aside))
    spec["emconlfreq3"] = Item(
        {"online": 0.55, "disclosure": 0.20, "conduct": 0.10}, girl=-0.10, age=(-0.15, 0.0, 0.15),
        aside=Aside(1, {"online": -0.40, "disclosure": -0.15}),
    )
    spec["emconlfreq4"] = Item({"online": 0.65, "family": 0.10}, aside=Aside(1, online_aside))
    for index in (1, 2, 3):
        spec[f"emconlpref{index}"] = Item({"disclosure": 0.80}, nonresponse=0.04)
    for index in range(1, 10):
        spec[f"emcsocmed{index}"] = Item({"socmed": SOCMED_LOADING}, nonresponse=0.05)
    spec["hadsex"] = Item({"sexual": -0.80}, nonresponse=0.06)
    spec["agesex"] = Item({"sexual": -0.45, "conduct": -0.15}, girl=0.20, nonresponse=0.08)
    spec["contraceptcondom"] = Item(
        {"family": -0.20, "conduct": 0.20, "sexual": 0.10}, girl=0.20, nonresponse=0.05,
        state=by_state(0.15, 0.00, 0.15, 0.10, 0.35, -0.30, -0.05, -0.10, -0.10, -0.30, 0.00),
        aside=Aside(3, {"sexual": -0.30}),
    )
    spec["contraceptpill"] = Item(
        {"family": -0.10, "conduct": 0.10}, girl=-0.10, nonresponse=0.06,
        state=by_state(-0.40, -0.20, -0.20, -0.30, -0.30, 0.00, 0.20, 0.30, -0.35, 0.40, 0.40),
        aside=Aside(3, {"sexual": -0.30}),
    )
    spec["talkfather"] = Item(
        {"family": -0.65}, girl=0.45, age=(-0.35, 0.0, 0.35), aside=Aside(5, {"absent": 0.90})
    )
    spec["talkstepfa"] = Item({"family": -0.50}, girl=0.30, aside=Aside(5, {"absent": -0.50}))
    spec["talkmother"] = Item({"family": -0.70}, girl=0.05, age=(-0.35, 0.0, 0.30), aside=Aside(5, {"family": -0.20}))
    spec["talkstepmo"] = Item({"family": -0.50}, girl=0.20, aside=Aside(5, {"absent": -0.20}))
    for name in ("famhelp", "famsup", "famtalk", "famdec"):
        spec[name] = Item({"family": 0.80}, nonresponse=0.03)
    for name in ("friendhelp", "friendcounton", "friendshare", "friendtalk"):
        spec[name] = Item({"peers": 0.80}, nonresponse=0.03)
    for name in ("teacheraccept", "teachercare", "teachertrust"):
        spec[name] = Item({"teachers": -0.75}, nonresponse=0.03)
    for name in ("att_images_ok", "att_pressure_blame", "att_gifts_ok"):
        spec[name] = Item({"attitude": 0.70}, nonresponse=0.04)
    for name in ("att_share_wrong", "att_right_no"):
        spec[name] = Item({"attitude": -0.60}, girl=0.20, nonresponse=0.04)
    risk = 0.04
    spec["img_received"] = Item(
        {"attitude": 0.35, "online": 0.35, "disclosure": 0.15, "sexual": 0.15, "family": -0.15},
        girl=0.15, age=(0.0, -0.35, 0.35), nonresponse=risk,
        state=by_state(0.25, 0.20, 0.20, 0.35, 0.25, -0.15, -0.10, -0.20, 0.25, -0.05, 0.00),
    )
    spec["img_sent"] = Item(
        {"attitude": 0.50, "disclosure": 0.25, "conduct": 0.20, "sexual": 0.20, "family": -0.25},
        age=(0.0, -0.30, 0.30), nonresponse=risk,
    )
    spec["img_asked"] = Item(
        {"attitude": 0.25, "online": 0.35, "disclosure": 0.25, "family": -0.20, "victim": 0.15},
        girl=0.45, age=(0.0, -0.30, 0.30), nonresponse=risk,
    )
    spec["met_offline"] = Item(
        {"online": 0.40, "disclosure": 0.30, "conduct": 0.25, "family": -0.20, "attitude": 0.15},
        age=(0.0, -0.25, 0.25), nonresponse=risk,
        state=by_state(0.00, 0.00, 0.00, 0.15, 0.00, -0.10, 0.00, -0.10, 0.00, 0.10, 0.00),
    )
    spec["bothered_online"] = Item({"victim": 0.35, "online": 0.25, "socmed": 0.20}, girl=0.20, nonresponse=risk)
    spec["told_someone"] = Item({"family": -0.50, "teachers": -0.20, "conduct": 0.10}, girl=-0.10, age=(0.0, -0.20, 0.20), nonresponse=risk)
    spec["knows_help"] = Item({"teachers": -0.30, "family": -0.25, "peers": -0.10}, nonresponse=risk)
    return spec
