"""Benchmark: the median of a numeric score by state and by the 66 state x sex x agecat domains.

The data are those of ``bench_estimate.py`` (11 states x 4 regional strata, school-class clusters
of ~25, unequal weights; 66 state x sex x agecat domains) plus a numeric ``score`` (one decimal,
so with ties; 5% missing) that depends on sex, age, the state and the cluster. The task is the
median of ``score`` by state (11 rows) and by the 66 domains, with Woodruff intervals and SEs,
R ``svyquantile`` semantics (qrule "math"). Side by side, each tool in its own subprocess (so
peak memory is its own):

- ``cbss``: ``estimate.quantile(survey, "score", 0.5, by="state")`` and the same with
  ``by=["state", "sex", "agecat"]``;
- ``svy``: ``Sample.estimation.quantile("score", p=0.5, by=..., q_method="higher")`` (svy's
  name for qrule "math"), the same two calls;
- ``R``: ``svyby(~score, ~state, design, svyquantile, quantiles = 0.5, ci = TRUE)`` and the same
  with ``~state + sex + agecat``, timed inside R (``benchmarks/bench_quantile.R``).

Wall time is the task only (design set-up is reported separately); memory is the peak RSS of the
tool's process and, for this package, the tracemalloc peak of the task against the frame's size.
The medians, SEs and interval ends of every tool are compared with this package's.

    .venv/bin/python benchmarks/bench_quantile.py                      # 1e5, 1e6
    .venv/bin/python benchmarks/bench_quantile.py --sizes 1e6 --skip svy --cap 300
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

TOOLS = ("cbss", "svy", "R")
DOMAIN = ["state", "sex", "agecat"]
KEYS = ["level", *DOMAIN]
VALUES = ["estimate", "se", "ci_low", "ci_high"]
LEVELS = {"state": ["state"], "domain": DOMAIN}


def generate(n: int, seed: int = 2018) -> pd.DataFrame:
    """bench_estimate's survey plus ``score``: normal around 50, by sex, age, state and cluster, one decimal; 5% missing."""
    frame = generate_estimate_data(n, seed)
    rng = np.random.default_rng(seed + 2)
    cluster = frame["cluster"].to_numpy()
    effect = rng.normal(0.0, 4.0, cluster.max() + 1)[cluster]
    state_effect = rng.normal(0.0, 3.0, len(frame["state"].cat.categories))[frame["state"].cat.codes.to_numpy()]
    mean = 50.0 + 2.0 * frame["sex"].cat.codes.to_numpy() + 1.5 * frame["agecat"].cat.codes.to_numpy() + state_effect + effect
    score = np.round(mean + rng.normal(0.0, 10.0, n), 1)
    score[rng.random(n) < 0.05] = np.nan
    frame["score"] = score
    return frame


def tidy(parts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame of both levels: ``level``, state, sex, agecat ("" at the state level), the values."""
    out = []
    for level, part in parts.items():
        part = part.copy()
        for column in DOMAIN:
            part[column] = part[column].astype(str) if column in part else ""
        out.append(part.assign(level=level)[[*KEYS, *VALUES]])
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- workers (run in a subprocess)


def run_cbss(frame: pd.DataFrame) -> dict:
    from cbss_analysis import estimate
    from cbss_analysis.survey import Survey
    from cbss_analysis.survey.design import Design

    start = time.perf_counter()
    survey = Survey(frame, Design(weight="weight", strata="stratum", psu="cluster"))
    setup = time.perf_counter() - start

    def task() -> dict[str, pd.DataFrame]:
        return {level: estimate.quantile(survey, "score", 0.5, by=by) for level, by in LEVELS.items()}

    task()  # warm-up (imports, scipy)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        tables = task()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    task()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tidy(tables).to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    suppressed = sum(int(t["suppressed"].sum()) for t in tables.values())
    return {"setup_s": setup, "estimate_s": min(times), "tracemalloc_peak_bytes": peak,
            "rows": sum(len(t) for t in tables.values()), "suppressed_rows": suppressed}


def run_svy(frame: pd.DataFrame) -> dict:
    import polars as pl
    import svy

    data = pl.from_pandas(frame.astype(dict.fromkeys(DOMAIN, str)))
    start = time.perf_counter()
    sample = svy.Sample(data=data, design=svy.Design(stratum="stratum", psu="cluster", wgt="weight"))
    setup = time.perf_counter() - start
    start = time.perf_counter()
    results = {level: sample.estimation.quantile("score", p=0.5, by=by, q_method="higher", drop_nulls=True)
               for level, by in LEVELS.items()}
    elapsed = time.perf_counter() - start
    parts = {level: result.to_polars().to_pandas().rename(columns={"est": "estimate", "lci": "ci_low", "uci": "ci_high"})
             for level, result in results.items()}
    tidy(parts).to_csv(os.environ["BENCH_ESTIMATES"], index=False)
    return {"setup_s": setup, "estimate_s": elapsed, "version": svy.__version__}


WORKERS = {"cbss": run_cbss, "svy": run_svy}


# --------------------------------------------------------------------------- parent


def agreement(ours: dict, theirs: dict) -> dict:
    """Largest relative differences of the medians, SEs and interval ends (rows present in both, finite in both)."""
    read = {"dtype": dict.fromkeys(KEYS, str), "keep_default_na": False, "na_values": ["", "NA", "NaN", "nan"]}
    a, b = pd.read_csv(ours["estimates"], **read), pd.read_csv(theirs["estimates"], **read)
    merged = a.merge(b, on=KEYS, suffixes=("", "_other"))
    out = {"rows_compared": len(merged)}
    for column in VALUES:
        x, y = merged[column].to_numpy(float), merged[f"{column}_other"].to_numpy(float)
        both = np.isfinite(x) & np.isfinite(y) & (y != 0)
        out[f"max_rel_{column}_diff"] = float(np.max(np.abs(x[both] / y[both] - 1.0))) if both.any() else float("nan")
        out[f"{column}_nan_mismatch"] = int((np.isnan(x) != np.isnan(y)).sum())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,1e6", help="comma-separated numbers of respondents")
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
    print(f"# command: {' '.join([Path(sys.executable).name, 'benchmarks/bench_quantile.py', *sys.argv[1:]])}")
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
            print(f"\n## n = {n:,}: {clusters:,} clusters, {frame['stratum'].nunique()} strata, frame {frame_bytes / 2**20:.1f} MiB, "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)
            results = {}
            for tool in tools:
                results[tool] = res = run_tool(tool, Path(__file__).resolve(), HERE / "bench_quantile.R", data, csv, workdir, args.cap)
                ours = results.get("cbss", {})
                line = f"{tool:5s} {res['status']}"
                if res["status"] == "ok":
                    line += f"  task {res['estimate_s']:.3f} s  setup {res['setup_s']:.3f} s  peak RSS {res['peak_rss_bytes'] / 2**20:.0f} MiB"
                    if ours.get("status") == "ok" and tool != "cbss":
                        line += f"  ratio {res['estimate_s'] / ours['estimate_s']:.1f}x"
                    if tool == "cbss":
                        line += (f"  tracemalloc peak {res['tracemalloc_peak_bytes'] / frame_bytes:.2f}x frame"
                                 f"  ({res['rows']} rows, {res['suppressed_rows']} suppressed)")
                    if tool != "cbss" and ours.get("estimates") and res.get("estimates"):
                        res["agreement_vs_cbss"] = a = agreement(ours, res)
                        line += "  vs cbss (max rel): " + ", ".join(
                            f"{c} {a[f'max_rel_{c}_diff']:.1e}" + (f" ({a[f'{c}_nan_mismatch']} NaN mismatches)"
                                                                   if a[f"{c}_nan_mismatch"] else "")
                            for c in VALUES) + f" ({a['rows_compared']} rows)"
                print(line, flush=True)
            records.append({"n": n, "clusters": int(clusters), "frame_bytes": frame_bytes, "results": results})
    if args.json:
        for record in records:
            for res in record["results"].values():
                res.pop("estimates", None)
        args.json.write_text(json.dumps({"machine": machine(), "records": records}, indent=2))


if __name__ == "__main__":
    main()
