"""Benchmark: proportions of 3 indicators over 66 domains (state x sex x agecat) of a replicate-weight design.

One million respondents (the generator of :mod:`bench_estimate`) with 80 Fay-BRR replicate
weights (rho = 0.5: within each stratum one half of the clusters gets factor 1.5, the other 0.5,
the half chosen per replicate at random). Side by side, each tool in its own subprocess:

- ``cbss``: ``estimate.proportion(Survey(frame, ReplicateDesign("weight", "rw", "Fay", rho=0.5)),
  ["i1", "i2", "i3"], by=["state", "sex", "agecat"])`` (estimates, replicate SEs, logit CIs, df);
- ``svy``: ``Sample.estimation.prop(..., method="replication")`` with ``BrrWgts(fay_coef=0.5)``;
- ``R``: ``svrepdesign(type = "Fay", rho = 0.5)`` + ``svyby(~y, ~state+sex+agecat, svymean)``
  per indicator (``bench_replicates.R``), timed inside R.

Memory: the peak RSS of the tool's process against the frame's in-memory size (its replicate
columns included).

    .venv/bin/python benchmarks/bench_replicates.py --size 1e6 --cap 900
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_estimate
from harness import machine, run_tool, worker

HERE = Path(__file__).resolve().parent
INDICATORS = bench_estimate.INDICATORS
BY = bench_estimate.BY
REPLICATES = 80
RHO = 0.5


def generate(n: int, seed: int = 2018) -> pd.DataFrame:
    """The bench_estimate sample with 80 Fay replicate weights (combined: weight x factor)."""
    frame = bench_estimate.generate(n, seed)
    rng = np.random.default_rng(seed + 1)
    cluster = frame["cluster"].to_numpy()
    stratum = frame["stratum"].to_numpy()
    half = (cluster % 2).astype(bool)  # clusters alternate between the two halves of their stratum
    sign = rng.integers(0, 2, size=(int(stratum.max()) + 1, REPLICATES)).astype(bool)
    factors = np.where(sign[stratum] == half[:, None], 2.0 - RHO, RHO)
    weights = frame["weight"].to_numpy()[:, None] * factors
    replicates = pd.DataFrame(weights, columns=[f"rw{r + 1}" for r in range(REPLICATES)], index=frame.index)
    return pd.concat([frame, replicates], axis=1)


def run_cbss(frame: pd.DataFrame) -> dict:
    from cbss_analysis import estimate
    from cbss_analysis.survey import Survey
    from cbss_analysis.survey.replicates import ReplicateDesign

    start = time.perf_counter()
    survey = Survey(frame, ReplicateDesign("weight", "rw", "Fay", rho=RHO))
    setup = time.perf_counter() - start
    times = []
    for _ in range(2):
        start = time.perf_counter()
        table = estimate.proportion(survey, INDICATORS, by=BY, min_n=0)
        times.append(time.perf_counter() - start)
    table[["variable", *BY, "estimate", "se"]].to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    return {"setup_s": setup, "estimate_s": min(times), "rows": len(table)}


def run_svy(frame: pd.DataFrame) -> dict:
    import polars as pl
    import svy

    data = pl.from_pandas(frame.astype(dict.fromkeys(BY, str)))
    start = time.perf_counter()
    design = svy.Design(wgt="weight", rep_wgts=svy.BrrWgts(prefix="rw", n_reps=REPLICATES, fay_coef=RHO))
    sample = svy.Sample(data=data, design=design)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    results = sample.estimation.prop(y=INDICATORS, by=BY, method="replication", fay_coef=RHO, drop_nulls=True)
    elapsed = time.perf_counter() - start
    parts = []
    for name, result in zip(INDICATORS, results, strict=True):
        rows = result.to_polars().filter(pl.col(name) == 1.0).to_pandas()
        parts.append(rows.assign(variable=name).rename(columns={"est": "estimate"})[["variable", *BY, "estimate", "se"]])
    pd.concat(parts).to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    return {"setup_s": setup, "estimate_s": elapsed, "version": svy.__version__}


WORKERS = {"cbss_rep": run_cbss, "svy_rep": run_svy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=1e6)
    parser.add_argument("--cap", type=float, default=900.0)
    parser.add_argument("--skip", nargs="*", default=[])
    parser.add_argument("--worker")
    parser.add_argument("--data")
    parser.add_argument("--result")
    args = parser.parse_args()
    if args.worker:
        worker(WORKERS, args.worker, args.data, args.result)
        return
    frame = generate(int(args.size))
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load average {os.getloadavg()[0]:.2f}\nrespondents {len(frame):,}, {REPLICATES} Fay replicates, frame {frame_bytes / 2**20:.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "data.parquet"
        csv = work / "data.csv"
        frame.to_parquet(data)
        if "R" not in args.skip:
            frame.to_csv(csv, index=False)
        results = {}
        for tool in ("cbss_rep", "svy_rep", "R"):
            if tool in args.skip:
                continue
            results[tool] = run_tool(tool, Path(__file__).resolve(), HERE / "bench_replicates.R", data, csv, work, args.cap)
            res = results[tool]
            line = f"{tool:9s} {res['status']}"
            if res["status"] == "ok":
                line += (f"  estimate {res['estimate_s']:.2f} s  setup {res['setup_s']:.2f} s  peak RSS "
                         f"{res['peak_rss_bytes'] / 2**20:.0f} MiB ({res['peak_rss_bytes'] / frame_bytes:.2f}x frame)")
            print(line, flush=True)
        ours = results.get("cbss_rep", {})
        for tool in ("svy_rep", "R"):
            other = results.get(tool, {})
            if ours.get("status") == "ok" and other.get("status") == "ok":
                ratio = other["estimate_s"] / ours["estimate_s"]
                agree = bench_estimate.agreement(ours["estimates"], other["estimates"])
                print(f"{tool}: {ratio:.1f}x slower than cbss; max relative difference of estimates/SEs {agree:.2g}")


if __name__ == "__main__":
    main()
