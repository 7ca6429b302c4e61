"""The cache beside a large file, measured: the cold load that writes it, the cache's size, and warm
loads from it (seconds and peak RSS, then the time to read every text cell once: a memory-mapped
cache defers reading to that first use), each load in a process of its own so that none warms another.

The file is linked into a private folder, so its cache is written there (and removed afterwards),
never beside a file others use; the user cache folder is redirected there too.

    python benchmarks/cache_load.py                        # /tmp/timeline-bench-1000000.csv, made if missing
    python benchmarks/cache_load.py --runs 5
    python benchmarks/cache_load.py --root /work/main      # the cache of another checkout (before and after)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.parquet_load import DEFAULT_CSV, ensure_csv, run_json

LOAD = """
import json, resource, sys, time
from dashboard.io import cache
t0, c0 = time.perf_counter(), time.process_time()
timeline = cache.load(sys.argv[1])
t1, c1 = time.perf_counter(), time.process_time()
load_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
text = [c for c in timeline.events.columns if timeline.events[c].dtype == "str"]
chars = sum(int(timeline.events[c].str.len().sum()) for c in text)  # every text cell read once
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"events": len(timeline.events), "load_s": t1 - t0, "cpu_s": c1 - c0, "peak_bytes": load_peak,
                  "read_s": t2 - t1, "read_peak_bytes": peak, "chars": chars}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV, help=f"the file to load (default {DEFAULT_CSV})")
    ap.add_argument("--events", type=int, default=1_000_000, help="events to generate when the CSV is missing")
    ap.add_argument("--runs", type=int, default=3, help="warm loads (the best and the median are shown)")
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code loads (default this one)")
    args = ap.parse_args(argv)
    ensure_csv(args.csv, args.events)
    with tempfile.TemporaryDirectory(prefix="timeline-cache-bench-") as tmp:
        link = Path(tmp) / args.csv.name
        link.symlink_to(args.csv.resolve())
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "user-cache")}
        cold = run_json(LOAD, str(link), cwd=args.root, env=env)
        written = sorted(p for p in Path(tmp).rglob("*") if p.is_file() and p != link)
        warm = [run_json(LOAD, str(link), cwd=args.root, env=env) for _ in range(max(1, args.runs))]
        sizes = [(p.name, p.stat().st_size) for p in written]
    times = sorted(r["load_s"] for r in warm)
    reads = sorted(r["read_s"] for r in warm)
    cpu = sorted(r["cpu_s"] for r in warm)
    mb = 1e6
    print(
        f"file: {args.csv} ({args.csv.stat().st_size / mb:,.1f} MB, {int(cold['events']):,} events), code: {args.root}"
    )
    for name, size in sizes:
        print(f"cache: {name}, {size / mb:,.1f} MB")
    print(f"cold load (validate, write the cache): {cold['load_s']:.2f} s, peak RSS {cold['peak_bytes'] / 1e9:.2f} GB")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"warm load from the cache: best {times[0]:.2f} s, median {times[len(times) // 2]:.2f} s of {len(times)} "
        f"(CPU time, both cores: best {cpu[0]:.2f} s, median {cpu[len(cpu) // 2]:.2f} s), "
        f"peak RSS {min(r['peak_bytes'] for r in warm) / 1e9:.2f} GB"
    )
    print(
        f"then every text cell read once ({int(warm[0]['chars']):,} characters): best {reads[0]:.2f} s, "
        f"median {reads[len(reads) // 2]:.2f} s, peak RSS {min(r['read_peak_bytes'] for r in warm) / 1e9:.2f} GB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
