"""What the SYNTHETIC earlier cycles (2001/02, 2005/06, 2009/10, 2013/14) assume: every number but the real ones.

Real (in :mod:`cbss_analysis.synthetic.cycle_targets`, written from the study documentation): each state's cases
in each cycle's open-access file and each item's pooled distribution. Invented here (illustrative, not findings):
the sample fraction, the design (regions, classes, weights), the correlations between traits, the state, sex and
age differences and the states' trends relative to the pooled distribution of each cycle.
"""

from __future__ import annotations

CYCLE_CODEBOOKS: dict[str, str] = {"2001/02": "hbsc2002_oa", "2005/06": "hbsc2006_oa", "2009/10": "hbsc2010_oa",
                                   "2013/14": "hbsc2014_oa"}
"""Each synthetic cycle is written in its real file's schema: the names, codes and missing codes of this codebook."""
CYCLE_SEEDS: dict[str, int] = {"2001/02": 20020, "2005/06": 20060, "2009/10": 20100, "2013/14": 20140}
FILE_NAMES: dict[str, str] = {cycle: f"cbss_synthetic_{name.removesuffix('_oa')}.sav" for cycle, name in CYCLE_CODEBOOKS.items()}
SAMPLE_FRACTION = 0.1
"""Each state's synthetic respondents: this fraction of its documented cases (rounded), so that the four files stay
small (a few hundred kB each); a state with no documented cases has none."""
REGIONS = 3
CLASS_SIZE = 20
CLASS_SD = 0.25
"""Standard deviation of the class effect on every trait (the intra-class correlation)."""
REGION_WEIGHT = (0.8, 1.0, 1.3)
"""Design weight factor of the three regional strata (disproportionate sampling), before the state's normalisation."""
WEIGHT_SD = 0.15
NONRESPONSE = 0.03
"""Share of the asked pupils with no answer to an item (system missing)."""
AGE_MID = (11.5, 13.5, 15.5)

TRAITS: tuple[str, ...] = ("victim", "bully", "cyber", "sexual", "condom", "pill", "father", "mother", "family",
                           "friend", "teacher", "father_absent", "stepfather", "mother_absent", "stepmother")
CORRELATIONS: dict[tuple[str, str], float] = {
    ("victim", "bully"): 0.45, ("victim", "cyber"): 0.6, ("bully", "cyber"): 0.3, ("sexual", "bully"): 0.2,
    ("condom", "pill"): -0.2, ("father", "mother"): 0.5, ("family", "mother"): 0.5, ("family", "father"): 0.45,
    ("friend", "family"): 0.3, ("teacher", "family"): 0.3, ("victim", "friend"): -0.25, ("father_absent", "stepfather"): 0.6,
    ("mother_absent", "stepmother"): 0.5,
}
TRAIT_GIRL: dict[str, float] = {"victim": -0.05, "bully": -0.3, "cyber": 0.1, "sexual": -0.1, "father": -0.35,
                                "mother": -0.05, "friend": 0.25, "teacher": 0.05}
"""Difference of girls from boys on a trait (in trait SDs)."""
TRAIT_AGE: dict[str, float] = {"victim": -0.15, "bully": 0.05, "cyber": 0.05, "father": -0.2, "mother": -0.15,
                               "family": -0.15, "teacher": -0.2}
"""Change per age group (11 -> 13 -> 15) on a trait."""
_STATES = ("DK", "EE", "FI", "DE", "IS", "LV", "LT", "NO", "PL", "RU", "SE")


def _by_state(*values: float) -> dict[str, float]:
    return dict(zip(_STATES, values, strict=True))


STATE_LEVEL: dict[str, dict[str, float]] = {
    # order: DK EE FI DE IS LV LT NO PL RU SE
    "victim": _by_state(-0.2, 0.35, -0.05, 0.0, -0.3, 0.35, 0.4, -0.15, 0.1, 0.25, -0.35),
    "bully": _by_state(-0.1, 0.3, -0.2, 0.1, -0.3, 0.3, 0.4, -0.2, 0.05, 0.3, -0.35),
    "cyber": _by_state(-0.1, 0.25, -0.1, 0.0, -0.2, 0.3, 0.3, -0.1, 0.05, 0.2, -0.2),
    "sexual": _by_state(0.3, 0.0, 0.1, 0.05, 0.35, 0.0, -0.05, 0.2, -0.3, 0.1, 0.25),
    "condom": _by_state(-0.1, 0.1, -0.15, 0.1, -0.2, 0.05, 0.0, -0.1, 0.15, 0.1, -0.3),
    "father": _by_state(0.15, -0.05, 0.1, 0.05, 0.2, -0.1, -0.15, 0.15, -0.05, -0.15, 0.15),
    "mother": _by_state(0.1, 0.0, 0.05, 0.05, 0.15, -0.05, -0.1, 0.1, 0.0, -0.1, 0.1),
    "family": _by_state(0.1, -0.05, 0.05, 0.05, 0.15, -0.1, -0.1, 0.1, 0.0, -0.1, 0.1),
    "teacher": _by_state(0.1, -0.1, 0.0, -0.05, 0.15, -0.1, -0.15, 0.05, -0.1, -0.05, 0.05),
}
"""A state's level on a trait relative to the pool (illustrative directions, as the 2017/18 file: bullying highest
in the Baltic states and lowest in the Nordic ones, earlier and more sexual experience in the Nordic states)."""
STATE_TREND: dict[str, dict[str, float]] = {
    "victim": _by_state(-0.02, -0.06, -0.02, -0.03, -0.02, -0.05, -0.07, -0.02, -0.03, -0.04, -0.01),
    "bully": _by_state(-0.03, -0.07, -0.03, -0.04, -0.02, -0.06, -0.08, -0.03, -0.04, -0.05, -0.02),
    "sexual": _by_state(0.0, 0.02, -0.01, 0.0, -0.02, 0.02, 0.03, -0.01, 0.03, 0.02, -0.02),
    "father": _by_state(0.03, 0.04, 0.03, 0.02, 0.02, 0.04, 0.05, 0.03, 0.03, 0.04, 0.02),
    "mother": _by_state(0.02, 0.03, 0.02, 0.02, 0.01, 0.03, 0.04, 0.02, 0.02, 0.03, 0.02),
}
"""A state's change per year (2002 to 2014) on a trait, relative to the pool, which itself follows each cycle's
documented distribution: a drift that the trend verbs can find (illustrative; the states' real trends are in the
HBSC international reports, not here)."""

ITEMS: dict[str, tuple[str, float]] = {
    "beenbullied": ("victim", 1.0), "bulliedothers": ("bully", 1.0), "cbullmess": ("cyber", 1.0),
    "cbullpict": ("cyber", 1.0), "hadsex": ("sexual", -1.0), "agesex": ("sexual", -1.0), "condomuse": ("condom", -1.0),
    "contraceptcondom": ("condom", -1.0), "contraceptpill": ("pill", -1.0), "talkfather": ("father", -1.0),
    "talkstepfa": ("father", -1.0), "talkmother": ("mother", -1.0), "talkstepmo": ("mother", -1.0),
    "famhelp": ("family", 1.0), "famsup": ("family", 1.0), "famtalk": ("family", 1.0), "famdec": ("family", 1.0),
    "friendhelp": ("friend", 1.0), "friendcounton": ("friend", 1.0), "friendshare": ("friend", 1.0),
    "friendtalk": ("friend", 1.0), "teacheraccept": ("teacher", -1.0), "teachercare": ("teacher", -1.0),
    "teachertust": ("teacher", -1.0),
}
"""Item -> (trait, sign): the item's latent response is sign x trait + its own noise, cut in code order (a high
latent gives a high code), so e.g. talking easily to father (code 1) goes with a high ``father`` trait."""
ITEM_LOADING = 0.75
HAVE_NOT: dict[str, str] = {"talkfather": "father_absent", "talkstepfa": "stepfather", "talkmother": "mother_absent",
                            "talkstepmo": "stepmother"}
"""Talk items whose last code is "does not have or see this person": that code comes from a trait of its own
(``stepfather``, ``stepmother``: a high value means having one, so their code 5 is cut from the low end)."""
