"""Where the CPU seconds of one ``report`` command go: the command, its run server, the workers, the kernels.

    python benchmarks/profile_reports.py --out /tmp/p --only 02_data_overview/default --jobs 1 --force
    python benchmarks/profile_reports.py --out /tmp/p --jobs 2          # the cold plan when /tmp/p is empty
    python benchmarks/profile_reports.py --package benchmarks/_work/baseline --plan benchmarks/_work/baseline/notebooks/reports.yaml --out /tmp/b

Runs ``cbss_analysis.cli.main(['report', ...])`` (of this checkout, or of ``--package DIR`` given first) in a fresh ``python`` and reads ``/proc`` every 20 ms for its
process tree (Linux only): a process's depth below the command names its role (1 the run server, 2 a worker,
3 its kernel). Prints each role's CPU seconds (user + system, its own, not its children's), how many processes
and when the first kernel started; CPU seconds depend far less on the machine's other work than wall time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLES = {0: "command", 1: "run server", 2: "workers", 3: "kernels"}
TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """Parent pid and CPU seconds of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def profile(arguments: list[str], package: Path = ROOT) -> dict[str, object]:
    """Run the command of the package at ``package``, sample its process tree; return wall time and CPU seconds."""
    runner = "import sys; from cbss_analysis.cli import main; sys.exit(main(['report', *sys.argv[1:]]))"
    env = {**os.environ, "PYTHONPATH": str(package) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    load = os.getloadavg()[0]
    start = time.monotonic()
    command = subprocess.Popen([sys.executable, "-c", runner, *arguments], cwd=package, env=env)  # -c: cwd first
    seen: dict[int, dict[str, float]] = {}
    while command.poll() is None:
        now = time.monotonic() - start
        table = {pid: s for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()) if (s := _stat(pid))}
        depth = {command.pid: 0}
        grew = True
        while grew:
            grew = False
            for pid, (parent, _) in table.items():
                if parent in depth and pid not in depth:
                    depth[pid] = depth[parent] + 1
                    grew = True
        for pid, level in depth.items():
            if pid in table:
                entry = seen.setdefault(pid, {"depth": level, "first": now})
                entry["cpu"] = table[pid][1]
        time.sleep(0.02)
    wall = time.monotonic() - start
    roles: dict[str, dict[str, float]] = {}
    for entry in seen.values():
        role = roles.setdefault(ROLES.get(int(entry["depth"]), "other"), {"processes": 0, "cpu_s": 0.0})
        role["processes"] += 1
        role["cpu_s"] = round(role["cpu_s"] + entry.get("cpu", 0.0), 2)
    kernels = [e["first"] for e in seen.values() if e["depth"] == 3]
    return {"exit": command.returncode, "wall_s": round(wall, 2), "roles": roles,
            "first_kernel_s": round(min(kernels), 2) if kernels else None,
            "cpu_s": round(sum(r["cpu_s"] for r in roles.values()), 2), "load_before": load}


def main() -> None:
    arguments = sys.argv[1:]
    package = ROOT
    if arguments[:1] == ["--package"]:
        package, arguments = Path(arguments[1]).resolve(), arguments[2:]
    result = profile(arguments, package)
    print(f"wall {result['wall_s']} s, CPU {result['cpu_s']} s, first kernel at {result['first_kernel_s']} s, "
          f"load before {result['load_before']:.2f}, exit {result['exit']}")
    for name, role in result["roles"].items():
        print(f"  {name:10s} {role['processes']:3d} processes {role['cpu_s']:7.2f} CPU s")


if __name__ == "__main__":
    main()
