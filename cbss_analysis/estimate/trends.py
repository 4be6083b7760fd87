"""Trends across survey cycles: :func:`trend`, changes between cycles and linear trends.

It takes an estimate table of a stacked survey (``load_survey([...])``, :mod:`cbss_analysis.survey.stacking`)
with ``cycle`` among its by columns (as does :func:`~cbss_analysis.estimate.averages.regional_average`), e.g. ``estimate.proportion(survey, "been_bullied", by=["cycle", "state"])``.

**Design.** The table carries what the changes need: its linearisation (the per-PSU influence totals of every
row, :class:`~cbss_analysis.estimate.linearization.Linearization`). The cycles are independent samples with strata
nested in cycle, so a change between two cycles, a contrast of two rows (:func:`~cbss_analysis.estimate.contrast`),
has the variance ``se_a^2 + se_b^2`` (R: the difference of two independent ``svyby`` estimates); within a cycle the
cycle's own design gives the covariances (a regional average's change). The linear trend is a survey-weighted
regression and needs the respondents: the table points to the survey it was computed on (``attrs["survey"]``, a
:class:`~cbss_analysis.estimate.linearization.SurveyRef`, kept in memory only); a table that was pickled or rebuilt
needs ``survey=``. The survey also gives each cycle's codebook, which says where a series has a break
(:func:`cbss_analysis.survey.cycles.comparability`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from cbss_analysis._engine import intervals
from cbss_analysis.common import checks
from cbss_analysis.common.text import snippet
from cbss_analysis.errors import EstimationError
from cbss_analysis.estimate import contrasts
from cbss_analysis.estimate.averages import AVERAGES, average_weights
from cbss_analysis.estimate.linearization import ESTIMATE_INDEX, SURVEY_ATTR, TABLE_COLUMNS_BEFORE_BY, SurveyRef
from cbss_analysis.survey import Survey
from cbss_analysis.survey.cycles import comparability, cycle_year
from cbss_analysis.survey.stacking import CYCLE_YEAR_COLUMN

BREAK_RULES = ("mark", "omit", "raise")
TREND_COLUMNS = ("average", "comparison", "from", "to", "years", "estimate_from", "estimate_to", "change", "se",
                 "ci_low", "ci_high", "p_value", "p_holm", "df", "suppressed", "comparable", "break")


def trend(
    table: pd.DataFrame,
    over: str = "cycle",
    survey: Survey | None = None,
    by: str = "state",
    level: float | None = None,
    breaks: str = "mark",
    population: Mapping[str, float] | None = None,
    linear: bool = True,
) -> pd.DataFrame:
    """Changes between cycles, and linear trends, of every domain of an estimate table; regional averages' changes.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`~cbss_analysis.estimate.mean` or :func:`~cbss_analysis.estimate.proportion` on a stacked
        survey, with ``over`` among its by columns (rows may be filtered).
    over : str
        The cycle column (default ``"cycle"``).
    survey : Survey, optional
        The stacked survey the table was computed on; default the one the table points to.
    by : str
        The column whose domains are averaged into regional averages (default ``"state"``; no averages when the
        table has no such column).
    level : float, optional
        Confidence level; default the table's.
    breaks : {"mark", "omit", "raise"}
        A comparison across a break in the indicator's series (the cycles' codebooks: ``comparable_with``,
        ``break``): computed and marked (``comparable`` False, ``break`` the codebook's reason), left out, or an error.
    population : mapping, optional
        Population per ``by`` value for the population-weighted average; default the published under-18 populations.
    linear : bool
        Add the test of linear trend of each domain.

    Returns
    -------
    pandas.DataFrame
        One row per comparison: the table's ``variable``, ``level`` and by columns other than ``over``; ``average``
        (NA for a domain's own row; ``"unweighted"`` or ``"population"`` for a regional average, whose ``by`` is NA);
        ``comparison``: ``"consecutive"`` (each cycle and the domain's previous one with an estimate), ``"first_last"``
        (the domain's first and last, with three cycles or more) or ``"linear"``; ``from``, ``to`` (cycles) and
        ``years`` between them; ``estimate_from``, ``estimate_to``, ``change`` (``to`` minus ``from``; for
        ``"linear"`` the slope per year of the survey-weighted regression of the indicator on ``cycle_year``, R
        ``svyglm(y ~ cycle_year, subset(design, domain))``, family gaussian), ``se``, ``ci_low``, ``ci_high``,
        ``p_value`` (two-sided t), ``p_holm`` (Holm over the domains of ``by`` for each variable and comparison,
        :func:`cbss_analysis.estimate.holm`), ``df``, ``suppressed``, ``comparable`` and ``break``.

        Changes use the df of the table's contrasts (PSUs minus strata among the respondents with a value in the
        stacked design); the regional averages are over the domains available in both cycles of a change, so that
        its composition is the same at both ends. A change involving a suppressed estimate is suppressed, and
        so is a linear trend fitted on fewer than the table's ``min_n`` respondents.
        ``attrs``: ``kind="trend"``, ``over``, ``by``, ``level``, ``min_n``, ``synthetic``, ``breaks``, ``absent``
        (variable -> {cycle: why it has no such indicator}).

    Raises
    ------
    EstimationError
        Not an estimate table of a stacked survey, ``over`` not one of its by columns, an unknown ``breaks``, or a
        comparison across a break with ``breaks="raise"``.
    """
    if breaks not in BREAK_RULES:
        raise EstimationError(f"trend: breaks={snippet(breaks)} is not one of {', '.join(BREAK_RULES)}")
    linearization = contrasts.table_linearization(table, "trend")
    level = checks.level(table.attrs.get("level", checks.DEFAULT_LEVEL) if level is None else level, "trend")
    survey = _survey(table, survey)
    rows = contrasts.matched_rows(table, linearization, "trend")
    label_columns = [c for c in TABLE_COLUMNS_BEFORE_BY if c in linearization.keys.columns]
    by_columns = [c for c in linearization.keys.columns if c not in (*label_columns, ESTIMATE_INDEX)]
    if over not in by_columns:
        raise EstimationError(f"trend: over={snippet(over)} is not a by column of the table (by columns: {by_columns})")
    cycles = _cycle_order(rows[over], survey)
    others = [c for c in by_columns if c != over]
    rows["_cycle"] = rows[over].astype(str).map({c: i for i, c in enumerate(cycles)}).to_numpy()
    if rows["_cycle"].isna().any():
        raise EstimationError(f"trend: the table has a {over} the survey does not ({snippet(rows.loc[rows['_cycle'].isna(), over].iloc[0])})")
    books = {cycle.label: cycle.codebook for cycle in survey.cycles}
    rows["_defined"] = _defined(rows, survey, over)
    specs = _change_specs(rows, label_columns, others, by, population)
    table_out = _changes(table, specs, rows, label_columns, others, cycles, level)
    if linear:
        table_out = pd.concat([table_out, _linear_trends(table, survey, rows, label_columns, others, over, cycles, level)],
                              ignore_index=True)
    table_out = _mark_breaks(table_out, books, cycles, breaks)
    family = [*label_columns, *[c for c in others if c != by], "average", "comparison", "from", "to"]
    table_out = table_out.reset_index(drop=True)
    families = table_out[family].astype(object).fillna("\x00").groupby(family, sort=False).ngroup().to_numpy()
    p_value = table_out["p_value"].to_numpy(dtype=np.float64)
    p_holm = np.full(len(table_out), np.nan)
    for code in np.unique(families):
        members = families == code
        p_holm[members] = intervals.holm(p_value[members])
    table_out["p_holm"] = p_holm
    table_out["average"] = table_out["average"].astype(object).where(table_out["average"].notna(), None)
    table_out = table_out[[*label_columns, *others, *TREND_COLUMNS]]
    table_out = _ordered(table_out, rows, label_columns, others, cycles)
    table_out.attrs.update({
        "synthetic": bool(table.attrs.get("synthetic", False)), "kind": "trend", "estimate_kind": table.attrs.get("kind"),
        "over": over, "by": by, "level": float(level), "min_n": table.attrs.get("min_n"), "breaks": breaks,
        "absent": _absent(rows["variable"].unique(), books),
    })
    return table_out


def _ordered(out: pd.DataFrame, rows: pd.DataFrame, label_columns: list[str], others: list[str], cycles: list[str]) -> pd.DataFrame:
    """Rows in the table's order of variables and domains: each domain's changes and linear trend, then the averages."""
    variables = {v: i for i, v in enumerate(dict.fromkeys(rows["variable"]))}
    def domain_keys(frame: pd.DataFrame) -> list[tuple]:
        return list(zip(*(frame[c].astype(object).where(frame[c].notna(), None).astype(str) for c in [*label_columns, *others]),
                        strict=True))

    domains = {key: i for i, key in enumerate(dict.fromkeys(domain_keys(rows)))}
    keys = pd.DataFrame({
        "variable": out["variable"].map(variables).to_numpy(),
        "average": out["average"].map({a: i + 1 for i, a in enumerate(AVERAGES)}).fillna(0).to_numpy(),
        "domain": [domains.get(key, -1) for key in domain_keys(out)],
        "comparison": out["comparison"].map({"consecutive": 0, "first_last": 1, "linear": 2}).to_numpy(),
        "from": out["from"].map({c: i for i, c in enumerate(cycles)}).to_numpy(),
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()
    out = out.iloc[order].reset_index(drop=True)
    for column in others:
        if isinstance(rows[column].dtype, pd.CategoricalDtype):
            out[column] = pd.Categorical(out[column].astype(object).where(out[column].notna(), None),
                                         dtype=rows[column].dtype)
    return out


def _survey(table: pd.DataFrame, survey: Survey | None) -> Survey:
    if survey is None:
        ref = table.attrs.get(SURVEY_ATTR)
        if not isinstance(ref, SurveyRef):
            raise EstimationError("trend: the table no longer points to its survey (it was saved or rebuilt); pass survey=")
        survey = ref.survey
    if not isinstance(survey, Survey) or not survey.cycles:
        raise EstimationError("trend: the survey is not a stacked survey of several cycles; load the cycles with "
                              "load_survey([path, ...]) or load_survey({cycle: (path, codebook)})")
    return survey


def _cycle_order(values: pd.Series, survey: Survey) -> list[str]:
    known = [cycle.label for cycle in survey.cycles]
    present = set(values.astype(str))
    return [c for c in known if c in present] + sorted(present - set(known))


def _defined(rows: pd.DataFrame, survey: Survey, over: str) -> np.ndarray:
    """Rows of a cycle in which the variable was measured (some respondent of the cycle has a value), whether or not
    the domain's estimate is suppressed: a cycle without the item (``absent`` in its codebook) has no changes."""
    defined = np.zeros(len(rows), dtype=bool)
    for variable in rows["variable"].unique():
        mine = (rows["variable"] == variable).to_numpy()
        if variable in survey.data.columns:
            measured = survey.data[variable].notna().groupby(survey.data[over].astype(str)).any()
            defined[mine] = rows.loc[mine, over].astype(str).map(measured).fillna(False).to_numpy(dtype=bool)
        else:
            defined[mine] = (rows.loc[mine, "n"].fillna(0).to_numpy() > 0) | rows.loc[mine, "_suppressed"].to_numpy()
    return defined


def _change_specs(
    rows: pd.DataFrame, label_columns: list[str], others: list[str], by: str, population: Mapping[str, float] | None,
) -> list[dict]:
    """Every change to compute: a domain's (+1 at ``to``, -1 at ``from``) or a regional average's."""
    specs: list[dict] = []
    domain_columns = [*label_columns, *others]
    usable = rows.loc[rows["_defined"].to_numpy()]
    for _, members in usable.groupby(domain_columns, dropna=False, sort=False, observed=True).groups.items():
        series = usable.loc[members].sort_values("_cycle")
        specs.extend(_pairs(series.index.to_numpy(), series["_cycle"].to_numpy(), average=None))
    if by not in others:
        return specs
    if population is None:
        population = contrasts.published_child_population()
    group_columns = [*label_columns, *[c for c in others if c != by]]
    labels = usable.index.to_numpy()
    cycle_of = usable["_cycle"].to_numpy()
    domain_of = usable[by].astype(str).to_numpy()
    available = usable["_available"].to_numpy(dtype=bool)
    raw_weights = {kind: average_weights(usable, available, kind, by, population) for kind in AVERAGES}
    grouped = usable.groupby(group_columns, dropna=False, sort=False, observed=True).indices
    for members in grouped.values():
        key = usable.iloc[members[0]].copy()
        key[by] = None
        present = sorted(set(cycle_of[members]))
        for spec in _pairs(np.array(present), np.array(present), average=None):
            a, b = spec["from_cycle"], spec["to_cycle"]
            start, end = members[cycle_of[members] == a], members[cycle_of[members] == b]
            both = set(domain_of[start][available[start]]) & set(domain_of[end][available[end]])
            chosen = [part[np.isin(domain_of[part], list(both))] for part in (start, end)]
            for kind in AVERAGES:
                values = []
                for part, sign in zip(chosen, (-1.0, 1.0), strict=True):
                    raw = raw_weights[kind][part]
                    total = raw.sum()
                    values.append(sign * raw / total if total > 0 else raw)
                specs.append({"comparison": spec["comparison"], "from_cycle": a, "to_cycle": b, "average": kind,
                              "positions": labels[np.concatenate(chosen)], "values": np.concatenate(values), "key": key,
                              "empty": not both})
    return specs


def _pairs(positions: np.ndarray, cycles: np.ndarray, average: str | None) -> list[dict]:
    """Consecutive pairs of a series, and its first and last when it has three cycles or more."""
    out = []
    chosen = [(i, i + 1, "consecutive") for i in range(len(cycles) - 1)]
    if len(cycles) >= 3:
        chosen.append((0, len(cycles) - 1, "first_last"))
    for i, j, comparison in chosen:
        out.append({"comparison": comparison, "from_cycle": int(cycles[i]), "to_cycle": int(cycles[j]), "average": average,
                    "positions": np.array([positions[i], positions[j]]), "values": np.array([-1.0, 1.0]), "empty": False})
    return out


def _changes(
    table: pd.DataFrame, specs: list[dict], rows: pd.DataFrame, label_columns: list[str], others: list[str],
    cycles: list[str], level: float,
) -> pd.DataFrame:
    columns = [*label_columns, *others, *TREND_COLUMNS]
    if not specs:
        return pd.DataFrame(columns=columns)
    matrix = sparse.csr_matrix((np.concatenate([s["values"] for s in specs]),
                                (np.repeat(np.arange(len(specs)), [len(s["positions"]) for s in specs]),
                                 np.concatenate([s["positions"] for s in specs]).astype(np.int64))),
                               shape=(len(specs), len(rows)))
    result = contrasts.contrast(table, matrix, level=level)
    estimates = np.where(rows["_available"].to_numpy(), table["estimate"].to_numpy(dtype=np.float64), np.nan)
    records = []
    for spec in specs:
        key = spec["key"] if "key" in spec else rows.loc[spec["positions"][0]]
        record = {c: key[c] for c in [*label_columns, *others]}
        record.update({"average": spec["average"], "comparison": spec["comparison"], "from": cycles[spec["from_cycle"]],
                       "to": cycles[spec["to_cycle"]]})
        if spec["average"] is None:
            record["estimate_from"], record["estimate_to"] = (estimates[p] for p in spec["positions"])
        else:
            values, positions = spec["values"], spec["positions"]
            record["estimate_from"] = float((-values[values < 0] * estimates[positions[values < 0]]).sum()) if not spec["empty"] else np.nan
            record["estimate_to"] = float((values[values > 0] * estimates[positions[values > 0]]).sum()) if not spec["empty"] else np.nan
        records.append(record)
    out = pd.DataFrame(records)
    for column, source in (("change", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                           ("p_value", "p_value"), ("df", "df"), ("suppressed", "suppressed")):
        out[column] = result[source].to_numpy()
    empty = np.array([s["empty"] for s in specs])
    for column in ("change", "se", "ci_low", "ci_high", "p_value"):
        out.loc[empty, column] = np.nan
    out.loc[empty, "suppressed"] = True
    return out


def _linear_trends(
    table: pd.DataFrame, survey: Survey, rows: pd.DataFrame, label_columns: list[str], others: list[str], over: str,
    cycles: list[str], level: float,
) -> pd.DataFrame:
    """The slope per year of each variable on the cycle year, per domain of the other by columns (R ``svyglm``)."""
    from cbss_analysis.models import linear

    frames = []
    min_n = int(table.attrs.get("min_n") or 0)
    levels = rows["level"] if "level" in rows else pd.Series(np.nan, index=rows.index)
    for variable in rows.loc[levels.isna().to_numpy(), "variable"].unique():
        mine = rows[(rows["variable"] == variable).to_numpy() & levels.isna().to_numpy()]
        used = [cycles[i] for i in sorted(mine.loc[mine["_defined"], "_cycle"].unique())]
        if len(used) < 2:
            continue
        subset = survey.subset(survey.data[over].astype(str).isin(used))
        fits = linear(subset, f"{variable} ~ {CYCLE_YEAR_COLUMN}", by=others or None, level=level, min_n=min_n)
        slope = fits[fits["term"] == CYCLE_YEAR_COLUMN].reset_index(drop=True)
        if others:  # only the table's domains (it may have been filtered to some states)
            wanted = set(mine[others].astype(str).itertuples(index=False, name=None))
            keys = slope[others].astype(str).itertuples(index=False, name=None)
            slope = slope[[key in wanted for key in keys]].reset_index(drop=True)
        out = slope[others].copy() if others else pd.DataFrame(index=slope.index)
        out.insert(0, "variable", variable)
        if "level" in label_columns:
            out.insert(1, "level", np.nan)
        out["average"], out["comparison"] = None, "linear"
        out["from"], out["to"] = _domain_span(mine, out, others, cycles)
        for column, source in (("change", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                               ("p_value", "p_value"), ("df", "df"), ("suppressed", "suppressed")):
            out[column] = slope[source].to_numpy()
        out["estimate_from"] = out["estimate_to"] = np.nan
        frames.append(out)
    if not frames:
        return pd.DataFrame(columns=[*label_columns, *others, *TREND_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def _domain_span(mine: pd.DataFrame, out: pd.DataFrame, others: list[str], cycles: list[str]) -> tuple[list[str], list[str]]:
    """The first and last cycle with an estimate of each domain of ``out`` (a state without cases in a cycle
    starts later: Iceland has no 2001/02 cases)."""
    defined = mine[mine["_defined"].to_numpy(dtype=bool)]
    if not others:
        span = (cycles[int(defined["_cycle"].min())], cycles[int(defined["_cycle"].max())])
        return [span[0]] * len(out), [span[1]] * len(out)
    keys = defined[others].astype(str).itertuples(index=False, name=None)
    spans: dict[tuple, list[int]] = {}
    for key, cycle in zip(keys, defined["_cycle"].to_numpy(), strict=True):
        spans.setdefault(key, []).append(int(cycle))
    everywhere = sorted({int(c) for c in defined["_cycle"]})
    wanted = [spans.get(k, everywhere) for k in out[others].astype(str).itertuples(index=False, name=None)]
    return [cycles[min(span)] for span in wanted], [cycles[max(span)] for span in wanted]


def _mark_breaks(out: pd.DataFrame, books: dict, cycles: list[str], breaks: str) -> pd.DataFrame:
    """``comparable`` and ``break`` of each row from the cycles' codebooks; rows across a break marked, left out or refused."""
    out["years"] = [cycle_year(end) - cycle_year(start) for start, end in zip(out["from"], out["to"], strict=True)]
    comparable, reasons = [], []
    for variable, start, end in zip(out["variable"], out["from"], out["to"], strict=True):
        span = cycles[cycles.index(start): cycles.index(end) + 1]
        span_books = [books[c] for c in span if c in books]
        if len(span_books) != len(span) or not all(variable in b.indicators or variable in b.absent for b in span_books):
            comparable.append(True)
            reasons.append("")
            continue
        found = comparability(span_books, variable).breaks
        comparable.append(not found)
        reasons.append("; ".join(f"{_cycle_of(b.before, books)} to {_cycle_of(b.after, books)}: {b.reason}" for b in found))
    out["comparable"] = comparable
    out["break"] = reasons
    crossing = ~out["comparable"].to_numpy(dtype=bool)
    if breaks == "raise" and crossing.any():
        row = out.loc[crossing].iloc[0]
        raise EstimationError(f"trend: {row['variable']} from {row['from']} to {row['to']} crosses a break ({snippet(row['break'], 120)}); "
                              "pass breaks='mark' or 'omit'")
    if breaks == "omit":
        out = out.loc[~crossing].reset_index(drop=True)
    return out


def _cycle_of(codebook_name: str, books: dict) -> str:
    return next((label for label, book in books.items() if book.name == codebook_name), codebook_name)


def _absent(variables, books: dict) -> dict[str, dict[str, str]]:
    return {str(v): {label: book.absent[v] for label, book in books.items() if v in book.absent} for v in variables
            if any(v in book.absent for book in books.values())}
