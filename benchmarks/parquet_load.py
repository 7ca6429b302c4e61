"""Parquet against CSV on one file, in one run: ``timeline convert`` (time, output size), then a cold
load of each (validated afresh, no cache), each in a process of its own so that neither warms the other.

    python benchmarks/parquet_load.py                       # /tmp/timeline-bench-1000000.csv, made if missing
    python benchmarks/parquet_load.py --csv big.csv --runs 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = Path(tempfile.gettempdir()) / "timeline-bench-1000000.csv"

LOAD = """
import json, resource, sys, time
t0 = time.perf_counter()
from dashboard.io.formats import load_timeline
t1 = time.perf_counter()
timeline = load_timeline(sys.argv[1])
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"events": len(timeline.events), "load_s": t2 - t1, "peak_bytes": peak}))
"""


def run_json(script: str, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> dict[str, float]:
    """``script`` run in a fresh interpreter (importing the package of ``cwd``): the JSON of its last line."""
    out = subprocess.run(
        [sys.executable, "-c", script, *args], check=True, capture_output=True, text=True, cwd=cwd, env=env
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def load_once(path: Path) -> dict[str, float]:
    """One cold load in a fresh interpreter: seconds to read and validate (imports excluded), peak RSS."""
    return run_json(LOAD, str(path))


def ensure_csv(path: Path, events: int) -> None:
    """The benchmark CSV of ``events`` events at ``path``, generated when missing."""
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", str(events), "-o", str(path)],
            check=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV, help=f"the CSV to compare (default {DEFAULT_CSV})")
    ap.add_argument("--events", type=int, default=1_000_000, help="events to generate when the CSV is missing")
    ap.add_argument("--runs", type=int, default=1, help="cold loads of each (the best is shown)")
    args = ap.parse_args(argv)
    ensure_csv(args.csv, args.events)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / (args.csv.stem + ".parquet")
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dashboard", "convert", str(args.csv), "-o", str(out)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        convert_s = time.perf_counter() - t0
        csv_runs = [load_once(args.csv) for _ in range(args.runs)]
        pq_runs = [load_once(out) for _ in range(args.runs)]
        size = out.stat().st_size
    csv_best = min(csv_runs, key=lambda r: r["load_s"])
    pq_best = min(pq_runs, key=lambda r: r["load_s"])
    mb = 1e6
    print(f"file: {args.csv} ({args.csv.stat().st_size / mb:,.1f} MB, {int(csv_best['events']):,} events)")
    print(f"timeline convert: {convert_s:.1f} s (whole command), Parquet {size / mb:,.1f} MB")
    print("| input | cold load (read + validate) | peak RSS |")
    print("|---|---|---|")
    for label, best in (("CSV", csv_best), ("Parquet", pq_best)):
        print(f"| {label} | {best['load_s']:.2f} s | {best['peak_bytes'] / 1e9:.2f} GB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
