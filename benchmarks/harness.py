"""The benchmarks' runner: each tool in its own subprocess, its wall time from the worker, its peak RSS from wait4.

Used by ``bench_estimate.py``, ``bench_quantile.py``, ``bench_verbs.py`` and ``bench_replicates.py``:

- :func:`run_tool` starts the tool (``Rscript <r_script> <csv> <result> <outputs...>`` for R, else
  ``python <script> --worker <tool> --data <parquet> --result <result>``), stops it after ``cap``
  seconds, and returns the worker's JSON with ``status``, ``peak_rss_bytes`` and the paths of the
  output CSVs it wrote (each passed to a Python worker as ``BENCH_<NAME>``);
- :func:`worker` is the subprocess side: read the frame, call the tool's function, write its JSON;
- :func:`machine` describes the machine for the tables.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd


def worker(workers: dict[str, Callable[[pd.DataFrame], dict]], tool: str, data: Path, result: Path) -> None:
    """Run ``workers[tool]`` on the frame in ``data`` (Parquet) and write what it returns to ``result`` (JSON)."""
    frame = pd.read_parquet(data)
    Path(result).write_text(json.dumps(workers[tool](frame)))


def run_tool(tool: str, script: Path, r_script: Path, data: Path, csv: Path, workdir: Path, cap: float,
             outputs: Sequence[str] = ("estimates",)) -> dict:
    """Run one tool in a subprocess; wall time from the worker, peak RSS from wait4."""
    result = workdir / f"{tool}.json"
    files = {name: workdir / f"{tool}_{name}.csv" for name in outputs}
    for path in (result, *files.values()):
        path.unlink(missing_ok=True)
    if tool == "R":
        command = ["Rscript", str(r_script), str(csv), str(result), *(str(path) for path in files.values())]
    else:
        command = [sys.executable, str(script), "--worker", tool, "--data", str(data), "--result", str(result)]
    env = {**os.environ, **{f"BENCH_{name.upper()}": str(path) for name, path in files.items()}}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    start = time.monotonic()
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > cap:
            process.kill()
            os.wait4(process.pid, 0)
            return {"status": f"stopped after {cap:.0f} s (cap)"}
        time.sleep(0.05)
    stderr = process.stderr.read().decode(errors="replace").strip() if process.stderr else ""
    if status != 0 or not result.exists():
        return {"status": "failed: " + (stderr.splitlines()[-1] if stderr else f"exit {status}")}
    out = json.loads(result.read_text())
    out["status"] = "ok"
    out["peak_rss_bytes"] = usage.ru_maxrss * 1024
    if files and next(iter(files.values())).exists():
        out.update({name: str(path) for name, path in files.items()})
    return out


def machine() -> str:
    """Cores, CPU model, OS and Python version."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        model = names[0] if names else model
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, Python {platform.python_version()}"
