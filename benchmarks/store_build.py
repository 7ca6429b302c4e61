"""Time the build of an engine's store (``io.store.build``) and the peak memory of its process tree.

The build runs in a process of its own, as ``timeline serve --engine duckdb`` runs it; each line
of its progress is printed with the seconds since it started, then the CPU time of the whole tree
(less disturbed by other jobs than the time taken), the peak RSS (summed over the tree) and PSS
(shared pages split between the processes sharing them) and the load average.

    python benchmarks/store_build.py /tmp/timeline-bench-1000000.parquet
    python benchmarks/store_build.py /tmp/timeline-bench-10000000.parquet --rows 500000 --workers 2
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scale import Watch

CHILD = """
import sys, time
from pathlib import Path
from dashboard.io import store
t0 = time.perf_counter()
say = lambda msg, step=None: print(f"{time.perf_counter() - t0:7.2f} s  {msg}", flush=True)
kw = {k: int(v) for k, v in (a.split("=") for a in sys.argv[3:])}
store.build([Path(sys.argv[1])], Path(sys.argv[1]).name, Path(sys.argv[2]), progress=say, **kw)
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--rows", type=int, help="rows per chunk (default: the store's)")
    ap.add_argument("--workers", type=int, help="processes validating chunks (default: the store's)")
    ap.add_argument("--no-tables", action="store_true", help="the events alone, without the tables of quick clicks")
    args = ap.parse_args(argv)
    extra = [f"{k}={v}" for k, v in (("rows", args.rows), ("workers", args.workers)) if v is not None]
    if args.no_tables:
        extra.append("tables=0")
    with tempfile.TemporaryDirectory(prefix="store-build-", dir="/tmp") as tmp:
        target = Path(tmp) / "x.store"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(args.file), str(target), *extra], env=env)
        watch = Watch(proc.pid)
        code = proc.wait()
        seconds = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        rss, pss = watch.stop()
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) if target.exists() else 0
        shutil.rmtree(target, ignore_errors=True)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"whole build {seconds:.2f} s ({cpu:.1f} s of CPU), peak RSS {rss / 2**20:,.0f} MB, "
        f"peak PSS {pss / 2**20:,.0f} MB, store {size / 1e6:,.0f} MB, load average {load}"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
