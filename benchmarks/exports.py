"""Export latency under concurrency: PNG downloads from a real `timeline serve`, alone and 10 at once.

Each request is a real download callback (the same the page's button sends); every answer is
checked against the bytes the same view gave alone, so a fast wrong answer cannot count.

    python benchmarks/exports.py                       # data/events.csv, 1 worker, 10 at once, 3 rounds
    python benchmarks/exports.py --workers 2 --concurrent 10 --rounds 5
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import free_port
from dashboard.core.query import View
from dashboard.web.callbacks.downloads import DOWNLOADS
from dashboard.web.wire import callback_body, page_state

BUTTONS = list(DOWNLOADS)
VIEWS = [
    View(),
    View(themes=("security",)),
    View(themes=("trade",), start="1950"),
    View(text="treaty"),
    View(start="1900", end="1960"),
    View(themes=("diplomacy", "memory")),
]


def png_request(url: str, view: View) -> tuple[float, bytes]:
    body = callback_body(
        [("download", "data"), ("download-status", "children")],
        [(b, "n_clicks", 1 if b == "download-png" else 0) for b in BUTTONS],
        [("view", "data", asdict(view)), *page_state()],
        changed=["download-png.n_clicks"],
    )
    req = urllib.request.Request(
        url + "/_dash-update-component", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    answer = json.loads(urllib.request.urlopen(req, timeout=300).read())
    took = time.perf_counter() - started
    return took, base64.b64decode(answer["response"]["download"]["data"]["content"])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(checkout: Path, file: Path, workers: int, concurrent: int, rounds: int) -> dict:
    """Start the server of ``checkout`` on ``file`` and time PNG exports alone and ``concurrent`` at once."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(Path("/tmp") / f"timeline-exports-{port}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "serve", str(file), "--port", str(port), "--workers", str(workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=checkout,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(workers * 2):  # every worker's browser started
            png_request(url, VIEWS[0])
        alone: list[float] = []
        expected: dict[int, bytes] = {}
        for i, view in enumerate(VIEWS):
            for _ in range(2):
                took, data = png_request(url, view)
                alone.append(took)
                expected[i] = data
        jobs = [i % len(VIEWS) for i in range(concurrent)]
        busy: list[float] = []
        wrong = 0
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrent) as pool:
            for _ in range(rounds):
                for i, (took, data) in zip(jobs, pool.map(lambda i: png_request(url, VIEWS[i]), jobs)):
                    busy.append(took)
                    wrong += data != expected[i]
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    return {"alone": alone, "busy": busy, "wrong": wrong, "throughput": len(busy) / wall}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=ROOT / "data" / "events.csv")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--concurrent", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="another checkout of this project (e.g. a git worktree of an older commit) to measure too",
    )
    args = ap.parse_args()
    runs = [("this checkout", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    results = [
        (name, measure(path, args.file.resolve(), args.workers, args.concurrent, args.rounds)) for name, path in runs
    ]
    print(
        f"exports: {args.file.name}, {args.workers} worker(s), PNG 3200 px wide, "
        f"{args.rounds} rounds of {args.concurrent} at once"
    )
    print()
    print("| server | PNG export | requests | wrong | p50 | p95 | max | PNG/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results:
        for label, times, wrong, rate in (
            ("one at a time", r["alone"], "", ""),
            (f"{args.concurrent} at once", r["busy"], r["wrong"], f"{r['throughput']:.1f}"),
        ):
            print(
                f"| {name} | {label} | {len(times)} | {wrong} | {statistics.median(times):.2f} s | "
                f"{percentile(times, 0.95):.2f} s | {max(times):.2f} s | {rate} |"
            )
    return 1 if results[0][1]["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
