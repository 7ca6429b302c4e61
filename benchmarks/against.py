"""This build against an earlier commit, in one run: bench.py's own side (callback times, load) and the
Chromium times (untick and zoom to the chart redrawn) of each, alternating, so that both meet the
same machine.

    python benchmarks/against.py 8ac45796d135fd27438296cbd44b6a7b8dd00a5f --rounds 2

The earlier commit is checked out in a temporary worktree and run with this checkout's virtualenv;
the file is `benchmarks/generate.py`'s million events (made first if missing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CSV = Path("/tmp/timeline-bench-1000000.csv")
PORT = 8091

FORGET = """
import sys
from pathlib import Path
from dashboard.io.cache import cache_paths
for stale in cache_paths(Path(sys.argv[1])):
    stale.unlink(missing_ok=True)
"""
"""The file's cache as the build at hand names it, removed: each run starts with a cold load."""

BROWSER = """
import json, sys
from pathlib import Path
from benchmarks.bench import browser_times, serve
proc = serve("ours", Path(sys.argv[1]), int(sys.argv[2]))
try:
    print(json.dumps(browser_times(f"http://127.0.0.1:{sys.argv[2]}/", "ours")))
finally:
    proc.terminate()
    proc.wait(30)
"""


def last_json(root: Path, env: dict[str, str], *args: str) -> dict:
    """What a Python script run at ``root`` prints last, as JSON."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=root, env=env, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(root: Path, csv: Path) -> dict[str, float]:
    """One run of the build at ``root``: its callbacks (median and 95th percentile) and Chromium's times."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", FORGET, str(csv)], cwd=root, env=env, check=True)  # a cold load
    found = last_json(root, env, str(root / "benchmarks" / "bench.py"), "--side", "ours", "--file", str(csv))
    browser = last_json(root, env, "-c", BROWSER, str(csv), str(PORT))
    times = sorted(found["callback_ms"])
    return {
        "callback p50 (ms)": statistics.median(times),
        "callback p95 (ms)": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "cold load (s)": found["load_s"],
        "untick -> redrawn (s)": browser["untick"],
        "zoom -> redrawn (s)": browser["zoom"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("commit", help="the earlier commit to compare with")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"python benchmarks/against.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    if not CSV.exists():
        made = [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", "1000000", "-o", str(CSV)]
        subprocess.run(made, check=True)
    with tempfile.TemporaryDirectory(prefix="timeline-against-") as tmp:
        earlier = Path(tmp) / "earlier"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(earlier), args.commit], cwd=ROOT, check=True)
        try:
            sides = {args.commit[:7]: earlier, "this build": ROOT}
            runs: dict[str, list[dict[str, float]]] = {label: [] for label in sides}
            for _ in range(args.rounds):
                for label, root in sides.items():
                    print(f"against: {label} ...", file=sys.stderr, flush=True)
                    runs[label].append(measure(root, CSV))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(earlier)], cwd=ROOT, check=False)
    print(f"\n| 1,000,000 events, {args.rounds} runs each | " + " | ".join(runs) + " |")
    print("| --- |" + " --- |" * len(runs))
    for key in runs["this build"][0]:
        digits = 0 if "ms" in key else 2
        cells = [", ".join(f"{r[key]:.{digits}f}" for r in found) for found in runs.values()]
        print(f"| {key} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
