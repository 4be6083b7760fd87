"""Benchmark: proportions of 3 indicators over all state x sex x agecat domains, with SEs.

Side by side, each tool in its own subprocess (so peak memory is its own):

- ``cbss``: this package, ``estimate.proportion(survey, ["i1", "i2", "i3"], by=["state", "sex", "agecat"])``
  (estimates, linearisation SEs, logit CIs, deff, df, suppression);
- ``pandas``: a plain weighted group-by mean with no SE (the floor);
- ``svy`` and ``samplics``: their Taylor proportion estimators by domain (optional ``bench`` extra);
- ``R``: ``svyby(~y, ~state+sex+agecat, design, svymean, na.rm=TRUE)`` per indicator, timed inside R
  (``benchmarks/bench_estimate.R``), when ``Rscript`` is installed.

The data are generated (11 states, 4 regional strata each, school-class clusters of ~25,
cluster-level random effects, 5% item non-response). Wall time is the estimation call only
(design set-up is reported separately); memory is the peak RSS of the tool's process and, for
this package, the tracemalloc peak of the estimation call against the frame's size.

    .venv/bin/python benchmarks/bench_estimate.py                       # 1e4, 1e5, 1e6
    .venv/bin/python benchmarks/bench_estimate.py --sizes 1e6 --skip samplics --cap 120
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import machine, run_tool, worker

HERE = Path(__file__).resolve().parent
TOOLS = ("cbss", "pandas", "svy", "samplics", "R")
INDICATORS = ["i1", "i2", "i3"]
BY = ["state", "sex", "agecat"]
STATES = ["DK", "FI", "IS", "NO", "SE", "EE", "LV", "LT", "DE", "PL", "RU"]
REGIONS_PER_STATE = 4
CLUSTER_SIZE = 25


def generate(n: int, seed: int = 2018) -> pd.DataFrame:
    """A stratified cluster sample of ``n`` respondents with three 0/1 indicators (5% missing)."""
    rng = np.random.default_rng(seed)
    n_strata = len(STATES) * REGIONS_PER_STATE
    n_clusters = max(n // CLUSTER_SIZE, 2 * n_strata)
    cluster_stratum = np.arange(n_clusters) % n_strata
    cluster_age = rng.integers(0, 3, n_clusters)
    effect = rng.normal(0.0, 0.5, n_clusters)
    cluster = np.sort(rng.integers(0, n_clusters, n))
    stratum = cluster_stratum[cluster]
    state = stratum // REGIONS_PER_STATE
    sex = rng.integers(0, 2, n)
    agecat = cluster_age[cluster]
    frame = pd.DataFrame(
        {
            "state": pd.Categorical.from_codes(state, categories=STATES),
            "sex": pd.Categorical.from_codes(sex, categories=["Boy", "Girl"]),
            "agecat": pd.Categorical.from_codes(agecat, categories=["11", "13", "15"]),
            "stratum": stratum.astype(np.int64),
            "cluster": cluster.astype(np.int64),
            "weight": rng.uniform(0.4, 2.5, n),
        }
    )
    state_effect = rng.normal(0.0, 0.3, len(STATES))
    for i, name in enumerate(INDICATORS):
        logit = -1.5 + 0.4 * i + 0.3 * sex + 0.25 * agecat + effect[cluster] + state_effect[state]
        values = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float64)
        values[rng.random(n) < 0.05] = np.nan
        frame[name] = values
    return frame


# --------------------------------------------------------------------------- workers (run in a subprocess)


def run_cbss(frame: pd.DataFrame) -> dict:
    from cbss_analysis import estimate
    from cbss_analysis.survey import Survey
    from cbss_analysis.survey.design import Design

    start = time.perf_counter()
    survey = Survey(frame, Design(weight="weight", strata="stratum", psu="cluster"))
    setup = time.perf_counter() - start
    estimate.proportion(survey, INDICATORS, by=BY)  # warm-up (imports, scipy)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        table = estimate.proportion(survey, INDICATORS, by=BY)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    estimate.proportion(survey, INDICATORS, by=BY)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    table[["variable", *BY, "estimate", "se"]].to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    return {"setup_s": setup, "estimate_s": min(times), "tracemalloc_peak_bytes": peak, "rows": len(table)}


def run_pandas(frame: pd.DataFrame) -> dict:
    def task() -> pd.DataFrame:
        parts = {name: frame[name] for name in BY}
        for name in INDICATORS:
            valid = frame[name].notna()
            parts[f"wx_{name}"] = frame["weight"] * frame[name].fillna(0.0)
            parts[f"w_{name}"] = frame["weight"].where(valid, 0.0)
        sums = pd.DataFrame(parts).groupby(BY, observed=True).sum()
        return pd.DataFrame({name: sums[f"wx_{name}"] / sums[f"w_{name}"] for name in INDICATORS})

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

    data = pl.from_pandas(frame.astype(dict.fromkeys(BY, str)))
    start = time.perf_counter()
    sample = svy.Sample(data=data, design=svy.Design(stratum="stratum", psu="cluster", wgt="weight"))
    setup = time.perf_counter() - start
    start = time.perf_counter()
    results = sample.estimation.prop(y=INDICATORS, by=BY, drop_nulls=True)
    elapsed = time.perf_counter() - start
    parts = []
    for name, result in zip(INDICATORS, results, strict=True):
        rows = result.to_polars().filter(pl.col(name) == 1.0).to_pandas()
        parts.append(rows.assign(variable=name).rename(columns={"est": "estimate"})[["variable", *BY, "estimate", "se"]])
    pd.concat(parts).to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    return {"setup_s": setup, "estimate_s": elapsed, "version": svy.__version__}


def run_samplics(frame: pd.DataFrame) -> dict:
    import samplics
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

    domain = frame["state"].astype(str) + "_" + frame["sex"].astype(str) + "_" + frame["agecat"].astype(str)
    start = time.perf_counter()
    for name in INDICATORS:
        TaylorEstimator(PopParam.prop).estimate(
            y=frame[name], samp_weight=frame["weight"], stratum=frame["stratum"], psu=frame["cluster"],
            domain=domain, remove_nan=True,
        )
    return {"setup_s": 0.0, "estimate_s": time.perf_counter() - start, "version": samplics.__version__}


WORKERS = {"cbss": run_cbss, "pandas": run_pandas, "svy": run_svy, "samplics": run_samplics}


# --------------------------------------------------------------------------- parent


def agreement(ours: str, theirs: str) -> float:
    """Largest relative difference of the SEs between two estimate files (domains present in both)."""
    keys = ["variable", *BY]
    a = pd.read_csv(ours, dtype=dict.fromkeys(keys, str))
    b = pd.read_csv(theirs, dtype=dict.fromkeys(keys, str))
    merged = a.merge(b, on=keys, suffixes=("", "_other"))
    merged = merged.dropna(subset=["se", "se_other"])
    return float((merged["se"] / merged["se_other"] - 1.0).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6", help="comma-separated numbers of respondents")
    parser.add_argument("--skip", default="", help="comma-separated tools to leave out: " + ", ".join(TOOLS))
    parser.add_argument("--cap", type=float, default=180.0, help="seconds after which a tool is stopped")
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
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"# command: {' '.join([Path(sys.executable).name, 'benchmarks/bench_estimate.py', *sys.argv[1:]])}")
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
            print(f"\n## n = {n:,}: {clusters:,} clusters, {frame['stratum'].nunique()} strata, frame {frame_bytes / 2**20:.1f} MiB")
            results = {tool: run_tool(tool, Path(__file__).resolve(), HERE / "bench_estimate.R", data, csv, workdir, args.cap) for tool in tools}
            ours = results.get("cbss", {})
            for tool, res in results.items():
                line = f"{tool:9s} {res['status']}"
                if res["status"] == "ok":
                    line += f"  estimate {res['estimate_s']:.3f} s  setup {res['setup_s']:.3f} s  peak RSS {res['peak_rss_bytes'] / 2**20:.0f} MiB"
                    if ours.get("status") == "ok" and tool != "cbss":
                        line += f"  ratio {res['estimate_s'] / ours['estimate_s']:.1f}x"
                    if tool == "cbss":
                        line += f"  tracemalloc peak {res['tracemalloc_peak_bytes'] / frame_bytes:.2f}x frame"
                    if tool != "cbss" and ours.get("estimates") and res.get("estimates"):
                        res["max_rel_se_diff_vs_cbss"] = agreement(ours["estimates"], res["estimates"])
                        line += f"  max rel SE diff vs cbss {res['max_rel_se_diff_vs_cbss']:.1e}"
                print(line, flush=True)
            records.append({"n": n, "clusters": int(clusters), "frame_bytes": frame_bytes, "results": results})
    if args.json:
        for record in records:
            for res in record["results"].values():
                res.pop("estimates", None)
        args.json.write_text(json.dumps({"machine": machine(), "records": records}, indent=2))


if __name__ == "__main__":
    main()
