"""The seeded generator of the synthetic survey: sample, latent traits, items, skip patterns, weights.

How the rows are made is described in :mod:`cbss_analysis.synthetic`; what they are made to look
like (every number) lives in :mod:`cbss_analysis.synthetic.assumptions`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbss_analysis.errors import DataError
from cbss_analysis.states import check_state, iso2_from_countryno
from cbss_analysis.survey.codebook import Codebook, load_codebook
from cbss_analysis.synthetic.assumptions import (
    ASSUMED_PCT,
    BOY_SHARE_OF_COHORT,
    CLASS_SD,
    CLASS_SIZE,
    CLUSTER_STATE_BLOCK,
    CODEBOOK,
    CORRELATIONS,
    GIRL_SHARE,
    HBSC2018_AGE_MAX,
    HBSC2018_POOLED_PCT,
    HBSC2018_REGION_CODES,
    HBSC2018_SAMPLE_SIZES,
    ID1_NO_INFORMATION,
    ID1_NO_INFORMATION_STATES,
    MIN_PER_REGION,
    MODULE_ONLINE_RISK,
    REGION_SD,
    REGIONS,
    SEED,
    STATE_EFFECTS,
    TRAIT_AGE,
    TRAIT_GIRL,
    TRAITS,
    UNDER18_POPULATION_THOUSANDS,
    Item,
    item_specs,
)


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
        int64 (``region`` text, ``weight`` and ``age`` float64), items as float64 codes with the codebook's
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
    frame, state, class_index, region_index = _sample(rng, total)
    traits = _traits(rng, frame, state, class_index, region_index)
    for name, item in item_specs().items():
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


def _sample(rng: np.random.Generator, total: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Respondents with their design (state, region stratum, age group, school, class, sex, age, grade, weight).

    The columns have the schema of the HBSC 2017/18 file (HBSC2018OAed1.1): ``region`` is the state's
    character HBSC region code, constant within the state; ``id1`` the region stratum within the state
    (codes 1.. restarting in every state; 999 "No information about stratification" for the schools of
    :func:`_no_stratum_information`); ``id2`` the school and ``id3`` the class within the state;
    ``cluster`` the class, unique over the file; ``grade`` 1-3 (the age group's country-specific grade).

    Returns the frame, each row's state index (in :data:`HBSC2018_SAMPLE_SIZES` order), its class
    index over the whole sample and its region index over the whole sample (the true region, also for
    rows whose ``id1`` is 999).
    """
    codes = list(HBSC2018_SAMPLE_SIZES)
    per_state = _largest_remainder(total, np.array([HBSC2018_SAMPLE_SIZES[c] for c in codes], dtype=float))
    countryno = _countryno()
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("state", "region", "id1", "school", "agecat", "cluster", "base")}
    class_counter = 0
    for state_index, (code, n_state) in enumerate(zip(codes, per_state, strict=True)):
        n_regions = max(1, min(REGIONS[code], int(n_state) // MIN_PER_REGION))
        population_share = rng.dirichlet(np.full(n_regions, 3.0))
        sample_share = np.sqrt(population_share)
        region_counts = _largest_remainder(int(n_state), sample_share)
        base_weight = population_share / (sample_share / sample_share.sum())
        schools_before = 0
        for region in range(n_regions):
            age_counts = _largest_remainder(int(region_counts[region]), rng.dirichlet(np.full(3, 40.0)))
            schools = 0
            for agecat, n_cell in enumerate(age_counts, start=1):
                if n_cell == 0:
                    continue
                n_classes = max(1, round(int(n_cell) / CLASS_SIZE))
                sizes = 1 + _largest_remainder(int(n_cell) - n_classes, rng.dirichlet(np.full(n_classes, 25.0)))
                class_ids = np.repeat(np.arange(class_counter, class_counter + n_classes), sizes)
                class_counter += n_classes
                # One class per grade per school (HBSC2018OAed1.1 lines 113-114): the k-th class of each age
                # group of a region is in the region's k-th school.
                columns["school"].append(np.repeat(schools_before + 1 + np.arange(n_classes), sizes))
                schools = max(schools, n_classes)
                columns["state"].append(np.full(n_cell, state_index))
                columns["region"].append(np.full(n_cell, countryno[code] + region + 1))
                columns["id1"].append(np.full(n_cell, region + 1))
                columns["agecat"].append(np.full(n_cell, agecat))
                columns["cluster"].append(class_ids)
                columns["base"].append(np.full(n_cell, base_weight[region]))
            schools_before += schools
    state = np.concatenate(columns["state"])
    agecat = np.concatenate(columns["agecat"])
    class_index = np.concatenate(columns["cluster"])
    _, region_index = np.unique(np.concatenate(columns["region"]), return_inverse=True)
    school = np.concatenate(columns["school"])
    id1 = np.concatenate(columns["id1"])
    id1 = np.where(_no_stratum_information(np.array(codes)[state], id1, school, class_index), ID1_NO_INFORMATION, id1)
    n_rows = state.size
    state_codes = np.array(codes)[state]
    countrynos = np.array([countryno[c] for c in codes])[state]
    class_in_state = class_index - pd.Series(class_index).groupby(state).transform("min").to_numpy() + 1
    girl = rng.random(n_rows) < GIRL_SHARE
    age_offset = rng.uniform(-0.15, 0.25, size=len(codes))[state]
    age = 9.5 + 2 * agecat + age_offset + np.clip(rng.normal(0.0, 0.3, n_rows), -0.8, 0.8)
    frame = pd.DataFrame(
        {
            "seqno_int": np.arange(1, n_rows + 1, dtype=np.int64),
            "cluster": (state + 1) * CLUSTER_STATE_BLOCK + class_in_state,
            "countryno": countrynos,
            "region": np.array([HBSC2018_REGION_CODES[c] for c in codes], dtype=object)[state],
            "id1": id1.astype(np.int64),
            "id2": school.astype(np.int64),
            "id3": class_in_state.astype(np.int64),
            "weight": _weights(np.concatenate(columns["base"]), state_codes, state, girl, agecat, len(codes)),
            "sex": np.where(girl, 2, 1).astype(np.int64),
            "agecat": agecat.astype(np.int64),
            "age": np.minimum(np.round(age, 2), HBSC2018_AGE_MAX),
            "grade": agecat.astype(np.int64),
        }
    )
    return frame, state, class_index, region_index


def _no_stratum_information(state_codes: np.ndarray, id1: np.ndarray, school: np.ndarray, class_index: np.ndarray) -> np.ndarray:
    """Rows whose ``id1`` is 999: the first school of the first two regions of each state in
    :data:`ID1_NO_INFORMATION_STATES` (illustrative).

    A region gives its first school only when it keeps at least two classes, and a state's 999 stratum is
    kept only when it has at least two classes, so that every stratum of the design has two PSUs or more.
    """
    unknown = np.zeros(state_codes.size, dtype=bool)
    for code in ID1_NO_INFORMATION_STATES:
        in_state = state_codes == code
        chosen = np.zeros_like(unknown)
        for region in (1, 2):
            in_region = in_state & (id1 == region)
            if not in_region.any():
                continue
            first = in_region & (school == school[in_region].min())
            if np.unique(class_index[in_region & ~first]).size >= 2:
                chosen |= first
        if np.unique(class_index[chosen]).size >= 2:
            unknown |= chosen
    return unknown


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
    for (a, b), value in CORRELATIONS.items():
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = value
    return matrix


def _traits(
    rng: np.random.Generator, frame: pd.DataFrame, state: np.ndarray, class_index: np.ndarray, region_index: np.ndarray
) -> dict[str, np.ndarray]:
    """Latent person-level traits: state + sex x age + region + class + correlated individual parts."""
    girl = frame["sex"].to_numpy() == 2
    age_index = frame["agecat"].to_numpy() - 1
    n_rows = len(frame)
    individual = rng.standard_normal((n_rows, len(TRAITS))) @ np.linalg.cholesky(_correlation()).T
    class_effect = rng.standard_normal((int(class_index.max()) + 1, len(TRAITS)))
    region_effect = rng.standard_normal((int(region_index.max()) + 1, len(TRAITS))) * REGION_SD
    traits = {}
    for k, name in enumerate(TRAITS):
        state_effect = np.array([STATE_EFFECTS[name][c] for c in HBSC2018_SAMPLE_SIZES])
        traits[name] = (
            state_effect[state]
            + girl * TRAIT_GIRL[name]
            + np.asarray(TRAIT_AGE[name])[age_index]
            + region_effect[region_index, k]
            + class_effect[class_index, k] * CLASS_SD[name]
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
    item: Item,
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
