"""The SYNTHETIC earlier cycles 2001/02, 2005/06, 2009/10 and 2013/14, each in its own file schema (issue #13).

With the embedded 2017/18 file they make a five-cycle survey: ``load_survey(synthetic.cycles.embedded_cycle_paths())``.
No row is a real respondent. What is real (:mod:`~cbss_analysis.synthetic.cycle_targets`, from each cycle's study
documentation): the states each cycle has and their relative sample sizes (:data:`~cbss_analysis.synthetic.
cycle_assumptions.SAMPLE_FRACTION` of the documented cases: Iceland has none in 2001/02, Lithuania none in
2013/14), and every item's pooled distribution, to which it is cut over the eleven states together; the
variable names, codes and missing codes are the cycle codebook's. What is invented
(:mod:`~cbss_analysis.synthetic.cycle_assumptions`): the design, the traits behind the items, the states' levels
and trends.

How the rows are made (``numpy.random.default_rng(seed)``, one seed per cycle):

1. Sample: per state, the age groups in their pooled shares; classes of about 20 pupils, one per age group per
   school; schools spread over three regional strata (design weights 0.8, 1.0, 1.3 with some noise, normalised
   to a mean of 1 within the state); sex in its pooled share; age within the age group.
2. Traits: correlated person-level traits, each the sum of a state level and a state trend (per year since
   2002), a sex and an age effect, a class effect and a correlated individual part.
3. Items: sign x trait + noise, cut at the quantiles that give the documented pooled shares among those asked
   (the codebook's ``asked_of``); a code "I have never had sexual intercourse" goes to those who answered hadsex No;
   "does not have or see this person" comes from a trait of its own; 3% item non-response (system missing);
   those not asked get the item's documented missing code (e.g. 0 INAP), else system missing.
4. Design values missing as the documentation shows for some rows (2001/02 classes without ``classno``,
   2005/06 a school without ``subregion``, 2013/14 rows without ``M137``, ``id1`` or ``ClassID``), so that the
   codebooks' design fallbacks are exercised.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cbss_analysis import paths
from cbss_analysis.common.files import atomic_write, sha256_of
from cbss_analysis.common.notices import SPSS_LABEL_CHARS, SYNTHETIC_BADGE
from cbss_analysis.errors import DataError
from cbss_analysis.states import iso2_from_countryno
from cbss_analysis.survey.codebook import Codebook, load_codebook
from cbss_analysis.synthetic import cycle_assumptions as assume
from cbss_analysis.synthetic.cycle_targets import POOLED_CASES, REGION_CODES_2014, SAMPLE_SIZES
from cbss_analysis.synthetic.spss import write_sav

SCHEMA_ROLES: dict[str, dict[str, str]] = {
    "2001/02": {"countryno": "state", "subregion": "region", "schoolno": "school", "classno": "class_code",
                "uniqueid": "row", "sampleweights": "weight", "age": "age", "agecat": "agecat", "grade": "agecat"},
    "2005/06": {"countryno": "state", "subregion": "region", "schoolno": "school", "classno": "class_in_state",
                "uniqueid": "row", "sampleweights": "weight", "cluster": "class_id", "age": "age", "agecat": "agecat"},
    "2009/10": {"countryno": "state", "subregion": "region", "schoolno": "school", "classno": "class_in_state",
                "uniqueid": "row", "sampleweights": "weight", "age": "age", "agecat": "agecat", "grade": "agecat"},
    "2013/14": {"SEQNO": "row", "COUNTRYno": "state", "REG_NO": "region_code", "ClassID": "class_id", "UniqueID": "row",
                "id1": "region", "id2": "school", "id3": "class_in_state", "M137": "weight", "AGE": "age",
                "AGECAT": "agecat", "grade": "agecat"},
}
"""Cycle -> design or background variable of its file -> the generated column it holds (items are the rest)."""


def generate_cycle(cycle: str, seed: int | None = None, fraction: float = assume.SAMPLE_FRACTION) -> pd.DataFrame:
    """One earlier cycle's synthetic file as stored codes, in the cycle codebook's variable order.

    Parameters
    ----------
    cycle : {"2001/02", "2005/06", "2009/10", "2013/14"}
        The cycle, written in its codebook's schema (``CYCLE_CODEBOOKS``).
    seed : int, optional
        Default the cycle's (``CYCLE_SEEDS``); the same seed gives an identical frame.
    fraction : float
        Share of each state's documented cases generated.

    Raises
    ------
    DataError
        An unknown cycle, or a fraction outside (0, 1].
    """
    if cycle not in assume.CYCLE_CODEBOOKS:
        raise DataError(f"synthetic cycle {cycle!r} is not one of {', '.join(assume.CYCLE_CODEBOOKS)}")
    if not 0 < fraction <= 1:
        raise DataError(f"synthetic cycle {cycle}: fraction={fraction!r} must be in (0, 1]")
    seed = assume.CYCLE_SEEDS[cycle] if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    book = load_codebook(assume.CYCLE_CODEBOOKS[cycle])
    sample = _sample(rng, cycle, fraction)
    traits = _traits(rng, sample, cycle)
    out = {}
    for name in book.variables:
        role = SCHEMA_ROLES[cycle].get(name)
        if role is not None:
            out[name] = sample[role].to_numpy(dtype=np.float64)
        elif name == "sex":
            out[name] = sample["sex"].to_numpy(dtype=np.float64)
        elif name in assume.ITEMS:
            frame = pd.DataFrame(out)
            out[name] = _answer(rng, name, cycle, book, frame, traits)
        else:
            raise DataError(f"synthetic cycle {cycle}: no rule makes variable {name!r} of {book.name}")
    frame = pd.DataFrame(out)
    _missing_design_values(rng, frame, cycle, sample)
    frame.attrs.update({"synthetic": True, "seed": seed, "cycle": cycle})
    return frame


def file_label(cycle: str, seed: int) -> str:
    """The SPSS file label: SYNTHETIC, the cycle's schema and the seed, within SPSS's 64 characters."""
    label = f"{SYNTHETIC_BADGE}, HBSC {cycle} schema: cbss-analysis seed {seed}"
    return label[:SPSS_LABEL_CHARS]


def embedded_cycle_paths() -> list[Path]:
    """The five embedded synthetic cycles' files in time order: 2001/02 ... 2013/14 and the 2017/18 survey."""
    return [paths.survey_dir() / name for name in assume.FILE_NAMES.values()] + [paths.embedded_survey()]


def write_cycles(folder: str | Path | None = None) -> list[Path]:
    """Generate the four earlier cycles with their seeds and write each ``.sav`` with its ``.sha256`` beside it."""
    folder = Path(folder) if folder is not None else paths.survey_dir()
    written = []
    for cycle, name in assume.FILE_NAMES.items():
        path = folder / name
        frame = generate_cycle(cycle)
        write_sav(frame, path, load_codebook(assume.CYCLE_CODEBOOKS[cycle]), file_label=file_label(cycle, frame.attrs["seed"]))
        atomic_write(path.with_suffix(".sha256"), f"{sha256_of(path)}  {path.name}\n")
        written.append(path)
    return written


def _shares(cycle: str, name: str, codes: list[int]) -> np.ndarray:
    cases = POOLED_CASES[cycle][name]
    return np.array([cases.get(code, 0) for code in codes], dtype=np.float64)


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    raw = total * shares / shares.sum()
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def _sample(rng: np.random.Generator, cycle: str, fraction: float) -> pd.DataFrame:
    countryno = {iso2: code for code, iso2 in iso2_from_countryno().items()}
    age_name = "AGECAT" if cycle == "2013/14" else "agecat"
    age_shares = _shares(cycle, age_name, [1, 2, 3])
    sex_shares = _shares(cycle, "sex", [1, 2])
    parts, class_id = [], 0
    for state, cases in SAMPLE_SIZES[cycle].items():
        n = round(cases * fraction)
        if n == 0:
            continue
        class_in_state = 0
        for age, n_age in zip((1, 2, 3), _largest_remainder(n, age_shares), strict=True):
            n_classes = max(assume.REGIONS * 2, int(np.ceil(n_age / assume.CLASS_SIZE)))
            classes = np.sort(np.arange(n_age) % n_classes)
            school = classes + 1
            class_code = class_in_state + classes + 1
            class_in_state += n_classes
            parts.append(pd.DataFrame({
                "state_iso2": state, "state": countryno[state], "agecat": age, "school": school,
                "region": (classes % assume.REGIONS) + 1, "class_in_state": class_code, "class_id": class_id + classes + 1,
                "class_code": (countryno[state] // 1000) * 10000 + class_code,
            }))
            class_id += n_classes
    sample = pd.concat(parts, ignore_index=True)
    n = len(sample)
    sample["row"] = np.arange(1, n + 1)
    sample["region_code"] = sample["state_iso2"].map(REGION_CODES_2014)
    sample["sex"] = np.where(rng.random(n) < sex_shares[1] / sex_shares.sum(), 2, 1)
    sample["age"] = np.round(np.take(assume.AGE_MID, sample["agecat"] - 1) + rng.uniform(-0.5, 0.5, n), 2)
    weight = np.take(assume.REGION_WEIGHT, sample["region"] - 1) * np.exp(assume.WEIGHT_SD * rng.standard_normal(n))
    sample["weight"] = np.round(weight / pd.Series(weight).groupby(sample["state"]).transform("mean").to_numpy(), 6)
    return sample


def _traits(rng: np.random.Generator, sample: pd.DataFrame, cycle: str) -> dict[str, np.ndarray]:
    names = assume.TRAITS
    matrix = np.eye(len(names))
    for (a, b), r in assume.CORRELATIONS.items():
        i, j = names.index(a), names.index(b)
        matrix[i, j] = matrix[j, i] = r
    individual = rng.standard_normal((len(sample), len(names))) @ np.linalg.cholesky(matrix).T
    classes = sample["class_id"].to_numpy()
    years = int(cycle[:4]) + 1 - 2002
    girl = (sample["sex"].to_numpy() == 2).astype(np.float64)
    age = sample["agecat"].to_numpy() - 2.0
    states = sample["state_iso2"].to_numpy()
    out = {}
    for k, name in enumerate(names):
        class_effect = assume.CLASS_SD * rng.standard_normal(int(classes.max()) + 1)[classes]
        level = pd.Series(states).map(assume.STATE_LEVEL.get(name, {})).fillna(0.0).to_numpy()
        trend = pd.Series(states).map(assume.STATE_TREND.get(name, {})).fillna(0.0).to_numpy()
        out[name] = (level + trend * years + assume.TRAIT_GIRL.get(name, 0.0) * girl + assume.TRAIT_AGE.get(name, 0.0) * age
                     + class_effect + individual[:, k])
    return out


def _cut(latent: np.ndarray, mask: np.ndarray, shares: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Codes at the empirical quantiles of ``latent`` among ``mask`` that reproduce ``shares``."""
    out = np.full(latent.size, np.nan)
    if not mask.any() or shares.sum() <= 0:
        return out
    thresholds = np.quantile(latent[mask], np.cumsum(shares / shares.sum())[:-1])
    out[mask] = codes[np.searchsorted(thresholds, latent[mask], side="right")]
    return out


def _answer(rng: np.random.Generator, name: str, cycle: str, book: Codebook, frame: pd.DataFrame,
            traits: dict[str, np.ndarray]) -> np.ndarray:
    variable = book.variable(name)
    n = len(frame)
    asked = np.ones(n, dtype=bool)
    for other, allowed in variable.asked_of.items():
        asked &= np.isin(frame[other].to_numpy(dtype=np.float64), allowed)
    codes = [int(c) for c in variable.values if int(c) not in variable.missing]
    trait, sign = assume.ITEMS[name]
    latent = sign * assume.ITEM_LOADING * traits[trait] + np.sqrt(1 - assume.ITEM_LOADING**2) * rng.standard_normal(n)
    out = np.full(n, np.nan)
    answering = asked & (rng.random(n) >= assume.NONRESPONSE)
    never = [c for c in codes if str(variable.values[c]).lower().startswith(("i have never had", "never"))]
    if never and "hadsex" in frame:
        hadsex = frame["hadsex"].to_numpy(dtype=np.float64)
        out[answering & (hadsex == 2)] = never[0]
        answering &= hadsex == 1
        codes = [c for c in codes if c != never[0]]
    if name in assume.HAVE_NOT:
        own = assume.HAVE_NOT[name]
        has_none = codes[-1]
        presence = traits[own] if own.startswith("step") else -traits[own]
        shares = _shares(cycle, name, codes)
        none = _cut(presence, answering, np.array([shares[-1], shares[:-1].sum()]), np.array([1.0, 0.0])) == 1.0
        out[answering & none] = has_none
        answering &= ~none
        codes = codes[:-1]
    shares = _shares(cycle, name, codes)
    cut = _cut(latent, answering, shares, np.array(codes, dtype=np.float64))
    out[answering] = cut[answering]
    if variable.missing:
        out[~asked] = variable.missing[0]
    return out


def _missing_design_values(rng: np.random.Generator, frame: pd.DataFrame, cycle: str, sample: pd.DataFrame) -> None:
    """Blank the design values that the documentation shows as missing for some rows (illustrative shares)."""
    classes = sample["class_id"].to_numpy()
    if cycle == "2001/02":
        frame.loc[~sample["state_iso2"].isin(["DE", "PL"]).to_numpy(), "subregion"] = np.nan  # valid for 14% of cases
        blank = np.isin(classes, rng.choice(np.unique(classes), size=max(1, int(0.04 * np.unique(classes).size)), replace=False))
        frame.loc[blank, ["schoolno", "classno", "uniqueid"]] = np.nan  # 6,695 of 162,305 cases
    elif cycle == "2005/06":
        first = (sample["state_iso2"] == "DE").to_numpy() & (sample["school"] == 1).to_numpy()
        frame.loc[first, "subregion"] = np.nan  # 791 of 205,938 cases
    elif cycle == "2013/14":
        frame.loc[rng.choice(len(frame), size=5, replace=False), "M137"] = np.nan  # 55 of 214,080 cases
        frame.loc[(sample["class_id"] == classes.max()).to_numpy(), ["ClassID", "id3"]] = np.nan  # 107 cases
        frame.loc[(sample["state_iso2"] == "SE").to_numpy() & (sample["school"] == 2).to_numpy(), "id1"] = np.nan  # 146
