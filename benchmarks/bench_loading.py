"""Loading a full-size HBSC 2017/18 file: time and peak memory of ``load_survey`` against plain pyreadstat.

The real open-access file has 244,097 rows (47 countries and regions, HBSC2018OAed1.1 lines 427-484); this script writes a synthetic file of
that size (the embedded generator, all rows CBSS states) and times, each in its own process:

- ``import cbss_analysis`` (the package must stay light: heavy modules load lazily);
- ``pyreadstat.read_sav`` of the file (the floor: reading only, no decoding or design checks);
- ``cbss_analysis.load_survey`` of the same file (reading, decoding through the codebook,
  state codes, design validation).

Run: ``.venv/bin/python benchmarks/bench_loading.py``; paste the table into benchmarks/README.md.
Targets (issue #2): load under 10 s and under 2 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cbss_analysis import synthetic

ROWS = 244_097
WORK = Path(__file__).resolve().parent / "_work"

# Peak memory from /proc/self/status VmHWM: unlike getrusage's ru_maxrss it is not inherited
# from the parent across fork and exec.
_CHILD = """
import json, re, sys, time
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
peak_kib = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({{"seconds": elapsed, "peak_rss_mib": peak_kib / 1024}}))
"""

TASKS = {
    "import cbss_analysis": "import cbss_analysis",
    "pyreadstat.read_sav (floor)": "import pyreadstat; frame, meta = pyreadstat.read_sav(sys.argv[1])",
    "cbss_analysis.load_survey": "import cbss_analysis; survey = cbss_analysis.load_survey(sys.argv[1])",
}


def measure(body: str, path: Path, repeats: int = 3) -> dict[str, float]:
    """Best time and largest peak RSS over ``repeats`` fresh processes."""
    runs = [
        json.loads(subprocess.run([sys.executable, "-c", _CHILD.format(body=body), str(path)], capture_output=True,
                                  text=True, check=True).stdout)
        for _ in range(repeats)
    ]
    return {"seconds": min(r["seconds"] for r in runs), "peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}


def main() -> None:
    WORK.mkdir(exist_ok=True)
    path = WORK / "hbsc_size.sav"
    if not path.exists():
        synthetic.write_sav(synthetic.generate(seed=1, n=ROWS), path)
    print(f"file: {path.name}, {ROWS:,} rows, {path.stat().st_size / 2**20:.1f} MiB\n")
    print("| task | best of 3 (s) | peak RSS (MiB) |")
    print("|---|---:|---:|")
    for name, body in TASKS.items():
        result = measure(body, path)
        print(f"| {name} | {result['seconds']:.2f} | {result['peak_rss_mib']:.0f} |")


if __name__ == "__main__":
    main()
