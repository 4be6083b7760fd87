"""Benchmark of the report pipeline, side by side: this version, the version before issue #15, and plain papermill.

    python benchmarks/bench_reports.py                      # the real plan (16 runs) + the large plan (110 runs)
    python benchmarks/bench_reports.py --repeat 2 --skip-large
    python benchmarks/bench_reports.py --fixtures           # 12 runs of the test fixture notebooks
    python benchmarks/bench_reports.py --only-large --large-runs 110

Each measurement is a fresh ``python`` process, as a user would run it, and the variants being compared run one
after the other in each round (interleaved), so that they share the machine's load; the load average before each
measurement is recorded. Variants:

- ``new``: this checkout (warm kernels, survey cache in ``<out>/.survey-cache``, HTML by the command);
- ``before``: the package at ``--baseline`` (default 6d8f558, the commit before issue #15), extracted with
  ``git archive`` into ``benchmarks/_work/baseline`` and run from there;
- ``papermill``: the plain ``papermill`` CLI on the same notebook with the same parameters.

Measurements: one run of ``--one`` (default ``02_data_overview``; ``--force``, with the survey cache from a
previous run, as every run after the first has it) for the three; the cold plan (empty output folder: no
survey cache either) with ``--jobs 2`` for ``new`` and ``before`` and with ``--jobs 1`` for ``new``; the warm
rebuild (nothing changed); and the large plan: the state profile for 11 states x 10 values of ``min_n`` through
the local pool (``--jobs 2``) and through a Dask LocalCluster (``--executor dask --scheduler local``, 2 workers),
with throughput (runs per minute) and scheduling overhead per run: slots x wall time minus the runs' execution
time (from their manifests), divided by the number of runs.

Prints Markdown tables for benchmarks/README.md and writes ``benchmarks/_work/reports.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work" / "reports"
FIXTURES = ROOT / "tests" / "report_fixtures"
STATES = ["DK", "FI", "IS", "NO", "SE", "EE", "LV", "LT", "DE", "PL", "RU"]
MIN_N = [10, 15, 20, 25, 30, 40, 50, 60, 80, 100]
RUNNER = "import sys; from cbss_analysis.cli import main; sys.exit(main(['report', *sys.argv[1:]]))"


def load() -> float:
    """The one-minute load average."""
    return round(os.getloadavg()[0], 2)


def baseline(revision: str) -> Path:
    """The package, data and notebooks at ``revision``, extracted into benchmarks/_work/baseline."""
    folder = WORK.parent / "baseline"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision, "cbss_analysis", "data", "notebooks"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def fixture_plan() -> Path:
    """A copy of the test fixtures with a profile for each of the eleven states (12 runs)."""
    folder = WORK / "fixture_plan"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(FIXTURES, folder)
    rows = "".join(f"{state},{i + 0.5}\n" for i, state in enumerate(STATES))
    (folder / "profile.csv").write_text("state,value\n" + rows, encoding="utf-8")
    plan = (folder / "plan.yaml").read_text(encoding="utf-8")
    (folder / "plan.yaml").write_text(plan.replace('state: [DK, "NO"]', f"state: {json.dumps(STATES)}"), encoding="utf-8")
    return folder / "plan.yaml"


def large_plan(runs: int) -> Path:
    """The state profile for states x min_n values (110 runs by default), in a folder of its own."""
    folder = WORK / "large_plan"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "06_state_profile.ipynb", folder)
    values = MIN_N[: max(1, -(-runs // len(STATES)))]
    (folder / "plan.yaml").write_text(
        "reports:\n  - notebook: 06_state_profile\n    grid:\n"
        f"      state: {json.dumps(STATES)}\n      min_n: {json.dumps(values)}\n    run: \"{{state}}-{{min_n}}\"\n",
        encoding="utf-8")
    return folder / "plan.yaml"


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str] | None = None, name: str = "", cwd: Path = ROOT) -> tuple[float, str, float]:
    """Wall time, standard output and load average before a command (fails loudly if the command fails).

    The CPU seconds of the command and every process it waited for (workers, kernels) go to ``CPU[name]``:
    unlike wall time, they hardly depend on what else the machine is doing.
    """
    before = load()
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if name:
        CPU.setdefault(name, []).append(_children_cpu() - cpu)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-3000:]}")
    return elapsed, result.stdout.strip(), before


def environment(package_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(package_root) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def report(package_root: Path, plan: Path, out: Path, *extra: str, name: str = "") -> tuple[float, str, float]:
    """Time one ``report`` command of the package at ``package_root``.

    It runs in that folder: ``python -c`` puts its working folder first on ``sys.path``, so a command started in
    this checkout would import this checkout's package whatever ``PYTHONPATH`` says (the measurements before
    commit 0e35d6d's did: their "before" variant ran this version on the old notebooks).
    """
    return timed([sys.executable, "-c", RUNNER, "--plan", str(plan), "--out", str(out), *extra], environment(package_root),
                 name, cwd=package_root)


def papermill_command(plan: Path, run_id: str) -> list[str]:
    """The plain papermill command that executes the same run."""
    sys.path.insert(0, str(ROOT))
    from cbss_analysis.reports.plan import load_plan

    run = next(r for r in load_plan(plan).runs if r.id == run_id)
    out = WORK / "papermill" / f"{run.notebook}-{run.run}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    return [str(Path(sys.executable).with_name("papermill")), str(run.path), str(out), "-k", "python3", "--cwd",
            str(run.path.parent), "--no-progress-bar", "-y", json.dumps(run.parameters)]


def durations(out: Path) -> list[float]:
    """Execution time of every run in an output folder (from the manifests)."""
    return [json.loads(p.read_text())["duration_s"] for p in out.glob("*/*/manifest.json")]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", action="store_true", help="the fixture notebooks (12 runs) instead of the real plan")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the plan measurements (medians reported)")
    parser.add_argument("--one", default="02_data_overview/default", help="the run timed alone")
    parser.add_argument("--baseline", default="6d8f558", help="git revision of the 'before' variant")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--only-large", action="store_true")
    parser.add_argument("--large-runs", type=int, default=110)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {"cpus": os.cpu_count(), "python": platform.python_version(), "repeat": args.repeat,
                                  "baseline": args.baseline, "started_load": load()}
    if not args.only_large:
        summary.update(plan_measurements(args))
    if not args.skip_large:
        summary["large"] = large_measurements(args.large_runs)
    summary["finished_load"] = load()
    (WORK.parent / "reports.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print_tables(summary)


def plan_measurements(args: argparse.Namespace) -> dict[str, object]:
    plan = fixture_plan() if args.fixtures else ROOT / "notebooks" / "reports.yaml"
    old = baseline(args.baseline)
    old_plan = old / plan.relative_to(ROOT) if not args.fixtures else plan
    one = args.one if not args.fixtures else "01_summary/default"
    seconds: dict[str, list[float]] = {}
    loads: dict[str, list[float]] = {}

    def keep(name: str, measured: tuple[float, str, float]) -> str:
        seconds.setdefault(name, []).append(measured[0])
        loads.setdefault(name, []).append(measured[2])
        return measured[1]

    papermill = papermill_command(plan, one)
    report(ROOT, plan, WORK / "out_one", "--only", one, "--jobs", "1", "--force")  # the survey cache, as after a first run
    for _ in range(args.repeat):
        keep("one_new", report(ROOT, plan, WORK / "out_one", "--only", one, "--jobs", "1", "--force", name="one_new"))
        keep("one_papermill", timed(papermill, name="one_papermill"))
        keep("one_before", report(old, old_plan, WORK / "out_one_before", "--only", one, "--jobs", "1", "--force",
                                  name="one_before"))
    warm_line = ""
    for _ in range(args.repeat):
        for name, root, this_plan, jobs in (("cold_new_jobs2", ROOT, plan, 2), ("cold_before_jobs2", old, old_plan, 2),
                                            ("cold_new_jobs1", ROOT, plan, 1)):
            out = WORK / name
            shutil.rmtree(out, ignore_errors=True)
            keep(name, report(root, this_plan, out, "--jobs", str(jobs), name=name))
        report(ROOT, plan, WORK / "cold_new_jobs2", "--jobs", "2")
        warm_line = keep("warm_new", report(ROOT, plan, WORK / "cold_new_jobs2", "--jobs", "2", name="warm_new"))
    executed = durations(WORK / "cold_new_jobs2")
    return {
        "plan": str(plan.relative_to(ROOT)), "one": one, "runs": len(executed),
        "seconds": {k: median(v) for k, v in seconds.items()}, "all_seconds": seconds, "loads": loads,
        "cpu_seconds": {k: median(v) for k, v in CPU.items()}, "all_cpu_seconds": dict(CPU),
        "warm_summary": warm_line, "mean_run_execution_s": round(sum(executed) / max(1, len(executed)), 3),
    }


def large_measurements(runs: int) -> dict[str, object]:
    plan = large_plan(runs)
    results = {}
    for name, extra in (("local pool", ("--jobs", "2")),
                        ("Dask LocalCluster", ("--jobs", "2", "--executor", "dask", "--scheduler", "local"))):
        out = WORK / f"large_{name.split()[0].lower()}"
        shutil.rmtree(out, ignore_errors=True)
        seconds, line, before = report(ROOT, plan, out, *extra, name=f"large {name}")
        executed = durations(out)
        slots = 2
        results[name] = {
            "runs": len(executed), "seconds": round(seconds, 1), "load_before": before, "summary": line,
            "runs_per_minute": round(60 * len(executed) / seconds, 1),
            "mean_execution_s": round(sum(executed) / len(executed), 3),
            "overhead_per_run_s": round((slots * seconds - sum(executed)) / len(executed), 3),
            "cpu_seconds": round(CPU[f"large {name}"][-1], 1),
        }
    local, dask = WORK / "large_local", WORK / "large_dask"
    same = all((dask / p.relative_to(local)).read_bytes() == p.read_bytes() for p in local.glob("*/*/*.ipynb"))
    results["notebooks_identical"] = same
    return results


def print_tables(summary: dict[str, object]) -> None:
    if "seconds" in summary:
        s = summary["seconds"]
        loads = summary["loads"]

        cpu = summary["cpu_seconds"]

        def row(label: str, key: str, note: str = "") -> None:
            print(f"| {label} | {s[key]:.2f} | {cpu[key]:.1f} | {min(loads[key]):.1f}-{max(loads[key]):.1f} | {note} |")

        print(f"\n| measurement ({summary['runs']} runs of {summary['plan']}, {summary['cpus']} CPUs) | wall s (median) "
              "| CPU s | load before | ratio (wall; CPU) |")
        print("|---|---:|---:|---|---|")
        row(f"one run ({summary['one']}), new", "one_new",
            f"{s['one_new'] / s['one_papermill']:.2f}x; {cpu['one_new'] / cpu['one_papermill']:.2f}x papermill (target <= 0.5x)")
        row("one run, plain papermill CLI", "one_papermill")
        row("one run, before", "one_before", f"{s['one_before'] / s['one_papermill']:.2f}x papermill")
        row("cold plan, --jobs 2, new", "cold_new_jobs2",
            f"{s['cold_new_jobs2'] / s['cold_before_jobs2']:.2f}x; {cpu['cold_new_jobs2'] / cpu['cold_before_jobs2']:.2f}x "
            "before (target <= 0.5x)")
        row("cold plan, --jobs 2, before", "cold_before_jobs2")
        row("cold plan, --jobs 1, new", "cold_new_jobs1",
            f"--jobs 2 is {s['cold_new_jobs1'] / s['cold_new_jobs2']:.2f}x faster (target >= 1.8x)")
        row(f"warm rebuild (`{summary['warm_summary'].split(' -> ')[0]}`)", "warm_new", "target < 2 s")
    if "large" in summary:
        large = summary["large"]
        print("\n| large plan | runs | seconds | runs/min | mean execution s | overhead s/run | CPU s | load before |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in large.items():
            if isinstance(r, dict):
                print(f"| {name} | {r['runs']} | {r['seconds']} | {r['runs_per_minute']} | {r['mean_execution_s']} | "
                      f"{r['overhead_per_run_s']} | {r['cpu_seconds']} | {r['load_before']} |")
        print(f"\nnotebooks identical between the two executors: {large['notebooks_identical']}")


if __name__ == "__main__":
    main()
