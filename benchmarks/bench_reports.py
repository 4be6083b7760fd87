"""Benchmark of the report pipeline: cold with --jobs 1 and 2, warm, and overhead against plain papermill.

    python benchmarks/bench_reports.py             # the real plan (notebooks/reports.yaml) on the embedded data
    python benchmarks/bench_reports.py --fixtures  # 12 runs of the test fixture notebooks (no real notebooks needed)

Each measurement is a fresh ``python`` process, as a user would run it:

- cold, ``--jobs 1`` and ``--jobs 2``: the whole plan into an empty output folder;
- warm: the same command again with nothing changed (every run skipped; target < 3 s). It is
  preceded by an untimed run that catches up with any file edited during the cold runs, and
  its summary line is printed, so a warm figure is never a partial re-run in disguise;
- peer: every run of the plan through the plain ``papermill`` CLI, one after the other
  (kernel ``python3``, same parameters), against the cold ``--jobs 1`` pipeline, which adds
  HTML, manifest and index (target: < 20 % more per run); and the first run alone both ways.

Prints a Markdown table for benchmarks/README.md and writes ``benchmarks/_work/reports.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
RUNNER = "import sys; from cbss_analysis.cli import main; sys.exit(main(['report', *sys.argv[1:]]))"


def fixture_plan() -> Path:
    """A copy of the test fixtures with a profile for each of the eleven states (12 runs)."""
    folder = WORK / "fixture_plan"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(FIXTURES, folder)
    rows = "".join(f"{state},{i + 0.5}\n" for i, state in enumerate(STATES))
    (folder / "profile.csv").write_text("state,value\n" + rows, encoding="utf-8")
    plan = (folder / "plan.yaml").read_text(encoding="utf-8")
    (folder / "plan.yaml").write_text(plan.replace('state: [DK, "NO"]', f"state: {json.dumps(STATES)}"),
                                      encoding="utf-8")
    return folder / "plan.yaml"


def timed(command: list[str]) -> tuple[float, str]:
    """Wall time and standard output of a command (fails loudly if the command fails)."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout.strip()


def report(plan: Path, out: Path, *extra: str) -> tuple[float, str]:
    """Time one ``report`` command; also return its summary line."""
    return timed([sys.executable, "-c", RUNNER, "--plan", str(plan), "--out", str(out), *extra])


def papermill_commands(plan: Path) -> list[tuple[str, list[str]]]:
    """For every run of the plan, the plain papermill command that executes the same thing."""
    from cbss_analysis.reports.plan import load_plan

    commands = []
    for run in load_plan(plan).runs:
        out = WORK / "papermill" / run.notebook / f"{run.run}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [str(Path(sys.executable).with_name("papermill")), str(run.path), str(out), "-k", "python3",
                   "--cwd", str(run.path.parent), "--no-progress-bar", "-y", json.dumps(run.parameters)]
        commands.append((run.id, command))
    return commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", action="store_true", help="benchmark the fixture notebooks (12 runs)")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions of each measurement (median reported)")
    args = parser.parse_args()
    plan = fixture_plan() if args.fixtures else ROOT / "notebooks" / "reports.yaml"
    from cbss_analysis.reports.plan import load_plan

    n_runs = len(load_plan(plan).runs)
    results: dict[str, list[float]] = {"cold_jobs1": [], "cold_jobs2": [], "warm": [], "papermill_all": [],
                                       "papermill_one": [], "pipeline_one": []}
    commands = papermill_commands(plan)
    run_id = commands[0][0]
    for _ in range(args.repeat):
        for jobs in (1, 2):
            out = WORK / f"out_jobs{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            results[f"cold_jobs{jobs}"].append(report(plan, out, "--jobs", str(jobs))[0])
        report(plan, WORK / "out_jobs2", "--jobs", "2")
        seconds, warm_line = report(plan, WORK / "out_jobs2", "--jobs", "2")
        results["warm"].append(seconds)
        one = [timed(command)[0] for _, command in commands]
        results["papermill_all"].append(sum(one))
        results["papermill_one"].append(one[0])
        results["pipeline_one"].append(report(plan, WORK / "out_one", "--only", run_id, "--jobs", "1", "--force")[0])
    median = {key: statistics.median(values) for key, values in results.items()}
    summary = {
        "plan": str(plan.relative_to(ROOT)), "runs": n_runs, "peer_run": run_id, "repeat": args.repeat,
        "cpus": os.cpu_count(), "python": platform.python_version(), "seconds": median, "warm_summary": warm_line,
        "speedup_jobs2": median["cold_jobs1"] / median["cold_jobs2"],
        "overhead_vs_papermill": median["cold_jobs1"] / median["papermill_all"] - 1,
        "overhead_one_run": median["pipeline_one"] / median["papermill_one"] - 1,
    }
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK.parent / "reports.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"| measurement ({n_runs} runs of {summary['plan']}, {os.cpu_count()} CPUs) | seconds | target |")
    print("|---|---:|---|")
    print(f"| cold, --jobs 1 | {median['cold_jobs1']:.1f} | |")
    print(f"| cold, --jobs 2 | {median['cold_jobs2']:.1f} | speed-up {summary['speedup_jobs2']:.2f}x (>= 1.7x) |")
    print(f"| warm (nothing changed: `{warm_line.split(' -> ')[0]}`) | {median['warm']:.2f} | < 3 s |")
    print(f"| plain papermill CLI, every run one after the other | {median['papermill_all']:.1f} | "
          f"pipeline --jobs 1 overhead {100 * summary['overhead_vs_papermill']:+.0f}% (< 20%) |")
    print(f"| plain papermill CLI, {run_id} only | {median['papermill_one']:.2f} | peer |")
    print(f"| pipeline, {run_id} only (+HTML, manifest, index) | {median['pipeline_one']:.2f} | "
          f"overhead {100 * summary['overhead_one_run']:+.0f}% |")


if __name__ == "__main__":
    main()
