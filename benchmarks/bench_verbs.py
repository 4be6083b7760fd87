"""Benchmark: a 5 x 2 table per state (crosstab with SEs, and its design-based chi-square test).

The data are those of ``bench_estimate.py`` (11 states x 4 regional strata, school-class clusters
of ~25, unequal weights; 66 state x sex x agecat domains) plus a 5-category item ``freq``
(Never ... Always, 5% missing) that depends on the cluster, and on sex in every other state. The task, for each of the
11 states, is the ``freq`` x ``sex`` table: weighted counts, cell proportions and row
proportions with design-based SEs, and the Rao-Scott F test of independence. Side by side, each
tool in its own subprocess (so peak memory is its own):

- ``cbss``: ``estimate.crosstab(survey, "freq", "sex", by="state")`` and
  ``estimate.chisq(survey, "freq", "sex", by="state")`` (all states in one pass each);
- ``pandas``: weighted counts of the cells per state by ``groupby`` (no SE, no test: the floor);
- ``svy``: ``Sample.categorical.tabulate("freq", "sex", where=state == s)`` per state, three times
  (``units="count"``, ``units="proportion"``, ``share_of="row"``; each also gives the Rao-Scott
  F), as svy has no ``by`` for tables;
- ``R``: ``svyby(~interaction(freq, sex), ~state, design, svytotal / svymean)``,
  ``svyby(~sex, ~state + freq, design, svymean)`` and ``svychisq(~freq + sex, subset(design,
  state == s))`` for each state, timed inside R (``benchmarks/bench_verbs.R``).

Wall time is the task only (design set-up is reported separately); memory is the peak RSS of the
tool's process and, for this package, the tracemalloc peak of the task against the frame's size.
The SEs and F statistics of every tool are compared with this package's.

    .venv/bin/python benchmarks/bench_verbs.py                       # 1e4, 1e5, 1e6
    .venv/bin/python benchmarks/bench_verbs.py --sizes 1e6 --skip svy --cap 300
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_estimate import generate as generate_estimate_data  # noqa: E402
from bench_estimate import machine  # noqa: E402
from harness import run_tool, worker  # noqa: E402

TOOLS = ("cbss", "pandas", "svy", "R")
ROW, COL, BY = "freq", "sex", "state"
LEVELS = ["Never", "Rarely", "Sometimes", "Often", "Always"]
KEYS = [BY, ROW, COL]


def generate(n: int, seed: int = 2018) -> pd.DataFrame:
    """bench_estimate's survey plus ``freq``: 5 ordered categories, by cluster, and by sex in every other state; 5% missing.

    Half of the states have no association (so their tests give moderate p-values to compare).
    """
    frame = generate_estimate_data(n, seed)
    rng = np.random.default_rng(seed + 1)
    cluster = frame["cluster"].to_numpy()
    effect = rng.normal(0.0, 0.4, cluster.max() + 1)[cluster]
    sex_effect = np.where(frame[BY].cat.codes.to_numpy() % 2 == 0, 0.35, 0.0)
    latent = sex_effect * frame[COL].cat.codes.to_numpy() + effect + rng.logistic(0.0, 1.0, n)
    codes = np.searchsorted([-0.5, 0.6, 1.6, 2.6], latent).astype(np.int8)
    codes[rng.random(n) < 0.05] = -1
    frame[ROW] = pd.Categorical.from_codes(codes, categories=LEVELS)
    return frame


# --------------------------------------------------------------------------- workers (run in a subprocess)


def run_cbss(frame: pd.DataFrame) -> dict:
    from cbss_analysis import estimate
    from cbss_analysis.survey import Survey
    from cbss_analysis.survey.design import Design

    start = time.perf_counter()
    survey = Survey(frame, Design(weight="weight", strata="stratum", psu="cluster"))
    setup = time.perf_counter() - start

    def task() -> tuple[pd.DataFrame, pd.DataFrame]:
        return estimate.crosstab(survey, ROW, COL, by=BY), estimate.chisq(survey, ROW, COL, by=BY)

    task()  # warm-up (imports, scipy)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        table, test = task()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    task()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out = table[[*KEYS, "count_se", "proportion_se", "row_proportion_se"]]
    out.to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    test[[BY, "value", "p_value"]].to_csv(os.environ["BENCH_TESTS"], index=False)
    suppressed = int(table["suppressed"].sum())
    return {"setup_s": setup, "estimate_s": min(times), "tracemalloc_peak_bytes": peak, "rows": len(table),
            "suppressed_cells": suppressed}


def run_pandas(frame: pd.DataFrame) -> dict:
    def task() -> pd.Series:
        return frame.groupby(KEYS, observed=True)["weight"].sum()

    task()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return {"setup_s": 0.0, "estimate_s": min(times)}


def run_svy(frame: pd.DataFrame) -> dict:
    import polars as pl
    import svy

    data = pl.from_pandas(frame.astype(dict.fromkeys([BY, COL, "agecat"], str)).assign(**{ROW: frame[ROW].astype(str)}))
    data = data.with_columns(pl.when(pl.col(ROW) == "nan").then(None).otherwise(pl.col(ROW)).alias(ROW))
    start = time.perf_counter()
    sample = svy.Sample(data=data, design=svy.Design(stratum="stratum", psu="cluster", wgt="weight"))
    setup = time.perf_counter() - start
    states = sorted(frame[BY].astype(str).unique())
    rows, tests = [], []
    start = time.perf_counter()
    for state in states:
        where = svy.col(BY) == state
        tables = {
            "count_se": sample.categorical.tabulate(ROW, COL, units="count", where=where, drop_nulls=True),
            "proportion_se": sample.categorical.tabulate(ROW, COL, units="proportion", where=where, drop_nulls=True),
            "row_proportion_se": sample.categorical.tabulate(ROW, COL, share_of="row", where=where, drop_nulls=True),
        }
        rows.append((state, tables))
    elapsed = time.perf_counter() - start
    parts = []
    for state, tables in rows:
        merged = None
        for name, table in tables.items():
            cells = table.to_polars().to_pandas()[[ROW, COL, "se"]].rename(columns={"se": name})
            merged = cells if merged is None else merged.merge(cells, on=[ROW, COL])
        parts.append(merged.assign(**{BY: state}))
        f = tables["count_se"].stats.f
        tests.append({BY: state, "value": f.value, "p_value": f.p_value})
    pd.concat(parts)[[*KEYS, "count_se", "proportion_se", "row_proportion_se"]].to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    pd.DataFrame(tests).to_csv(os.environ["BENCH_TESTS"], index=False)
    return {"setup_s": setup, "estimate_s": elapsed, "version": svy.__version__}


WORKERS = {"cbss": run_cbss, "pandas": run_pandas, "svy": run_svy}


# --------------------------------------------------------------------------- parent


def agreement(ours: dict, theirs: dict) -> dict:
    """Largest relative differences of the SEs (cells present in both) and of the F statistics and p-values."""
    read = {"dtype": dict.fromkeys(KEYS, str)}
    a, b = pd.read_csv(ours["estimates"], **read), pd.read_csv(theirs["estimates"], **read)
    merged = a.merge(b, on=KEYS, suffixes=("", "_other"))
    se = 0.0
    for column in ("count_se", "proportion_se", "row_proportion_se"):
        pair = merged[[column, f"{column}_other"]].dropna()
        pair = pair[pair[column] > 0]
        se = max(se, float((pair[column] / pair[f"{column}_other"] - 1.0).abs().max()))
    ta, tb = pd.read_csv(ours["tests"], dtype={BY: str}), pd.read_csv(theirs["tests"], dtype={BY: str})
    tests = ta.merge(tb, on=BY, suffixes=("", "_other"))
    # p-values relative where both are >= 1e-8 (svy computes 1 - cdf, which is 0 below ~1e-16), absolute everywhere
    large = (tests["p_value"] >= 1e-8) & (tests["p_value_other"] >= 1e-8)
    relative = (tests.loc[large, "p_value"] / tests.loc[large, "p_value_other"] - 1.0).abs()
    return {
        "max_rel_se_diff": se,
        "max_rel_f_diff": float((tests["value"] / tests["value_other"] - 1.0).abs().max()),
        "max_rel_p_diff": float(relative.max()) if len(relative) else float("nan"),
        "max_abs_p_diff": float((tests["p_value"] - tests["p_value_other"]).abs().max()),
        "cells_compared": len(merged),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6", help="comma-separated numbers of respondents")
    parser.add_argument("--skip", default="", help="comma-separated tools to leave out: " + ", ".join(TOOLS))
    parser.add_argument("--cap", type=float, default=400.0, help="seconds after which a tool is stopped")
    parser.add_argument("--json", type=Path, help="also write all results to this JSON file")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(WORKERS, args.worker, args.data, args.result)
        return
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    tools = [t for t in TOOLS if t not in skip and (t != "R" or shutil.which("Rscript"))]
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.2f}")
    print(f"# command: {' '.join([Path(sys.executable).name, 'benchmarks/bench_verbs.py', *sys.argv[1:]])}")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for n in sizes:
            frame = generate(n)
            data, csv = workdir / "data.parquet", workdir / "data.csv"
            frame.to_parquet(data)
            if "R" in tools:
                frame.to_csv(csv, index=False)
            frame_bytes = int(frame.memory_usage(deep=True).sum())
            clusters = frame["cluster"].nunique()
            print(f"\n## n = {n:,}: {clusters:,} clusters, {frame['stratum'].nunique()} strata, frame {frame_bytes / 2**20:.1f} MiB",
                  flush=True)
            results = {tool: run_tool(tool, Path(__file__).resolve(), HERE / "bench_verbs.R", data, csv, workdir, args.cap, outputs=("estimates", "tests")) for tool in tools}
            ours = results.get("cbss", {})
            for tool, res in results.items():
                line = f"{tool:7s} {res['status']}"
                if res["status"] == "ok":
                    line += f"  task {res['estimate_s']:.3f} s  setup {res['setup_s']:.3f} s  peak RSS {res['peak_rss_bytes'] / 2**20:.0f} MiB"
                    if ours.get("status") == "ok" and tool != "cbss":
                        line += f"  ratio {res['estimate_s'] / ours['estimate_s']:.1f}x"
                    if tool == "cbss":
                        line += f"  tracemalloc peak {res['tracemalloc_peak_bytes'] / frame_bytes:.2f}x frame"
                    if tool not in ("cbss", "pandas") and ours.get("estimates") and res.get("estimates"):
                        res["agreement_vs_cbss"] = agreement(ours, res)
                        a = res["agreement_vs_cbss"]
                        line += (f"  vs cbss: SE {a['max_rel_se_diff']:.1e}, F {a['max_rel_f_diff']:.1e}, "
                                 f"p {a['max_rel_p_diff']:.1e} rel (p >= 1e-8), {a['max_abs_p_diff']:.1e} abs "
                                 f"({a['cells_compared']} cells)")
                print(line, flush=True)
            records.append({"n": n, "clusters": int(clusters), "frame_bytes": frame_bytes, "results": results})
    if args.json:
        for record in records:
            for res in record["results"].values():
                res.pop("estimates", None)
                res.pop("tests", None)
        args.json.write_text(json.dumps({"machine": machine(), "records": records}, indent=2))


if __name__ == "__main__":
    main()
