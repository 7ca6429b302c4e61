"""Load test: many simulated users against ``timeline serve --workers N``, on this machine only.

Each user opens the page, then repeats a realistic sequence of callbacks (filter by
theme, search, change dates, zoom, click an event, turn a table page, and now and
then export a PNG), pausing about a second between actions as a reader does, until
the time is up. It is bounded in users, requests and time,
and talks only to 127.0.0.1.

    python benchmarks/load.py                          # 50 users, 60 s, data/events.csv, 2 workers
    python benchmarks/load.py --file big.csv --users 50 --seconds 60
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.filters import View

from benchmarks.dashreq import callback_body
from dashboard import dates

MAX_REQUESTS = 200_000
EXPORT_SHARE = 0.03
"""Share of action sequences that end with a PNG export (50 users: ~20 exports a minute)."""
FIGURE_OUTPUTS = [
    ("timeline", "figure"),
    ("overview", "figure"),
    ("match-count", "children"),
    ("themes", "options"),
    ("filter-error", "children"),
    ("page-title", "children"),
]
TABLE_OUTPUTS = [
    ("table", "data"),
    ("table", "page_count"),
    ("table", "page_current"),
    ("table", "style_data_conditional"),
]
SEARCH_WORDS = ["treaty", "summit", "war", "trade", "abe", "korea", "visit", "harris", "kyoto", "security"]


class User:
    def __init__(self, port: int, themes: list[str], span: tuple[float, float], seed: int):
        self.port = port
        self.themes = themes
        self.span = span
        self.rng = random.Random(seed)
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        for attempt in (0, 1):  # one reconnect if the kept-alive connection was closed
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                data = None if body is None else json.dumps(body).encode()
                headers = {"Accept-Encoding": "gzip"}
                if data is not None:
                    headers["Content-Type"] = "application/json"
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def random_view(self) -> View:
        r = self.rng.random()
        themes = tuple(sorted(self.rng.sample(self.themes, self.rng.randint(1, len(self.themes)))))
        if r < 0.3:
            return View(themes=themes)
        if r < 0.5:
            return View(text=self.rng.choice(SEARCH_WORDS))
        lo, hi = self.span
        a = self.rng.uniform(lo, hi)
        b = min(hi, a + (hi - lo) * self.rng.uniform(0.01, 0.3))
        if r < 0.7:
            return View(start=str(dates.format_dates([a], [0])[0]).replace(" BCE", ""), themes=themes)
        return View(x_range=(a, b))

    def steps(self):
        """One user's sequence: (kind, method, path, body)."""
        view = self.random_view()
        store = {**asdict(view), "dataset": None}
        yield (
            "figure",
            "POST",
            "/_dash-update-component",
            callback_body(
                FIGURE_OUTPUTS, [("view", "data", store), ("layout-width", "data", 1200)], [("dataset", "data", None)]
            ),
        )
        yield (
            "table",
            "POST",
            "/_dash-update-component",
            callback_body(
                TABLE_OUTPUTS,
                [
                    ("view", "data", store),
                    ("table", "page_current", self.rng.randint(0, 3)),
                    ("table", "sort_by", []),
                    ("selected", "data", None),
                ],
                [("dataset", "data", None)],
            ),
        )
        yield (
            "details",
            "POST",
            "/_dash-update-component",
            callback_body(
                [("details", "children")], [("selected", "data", self.rng.randint(0, 30))], [("dataset", "data", None)]
            ),
        )
        if self.rng.random() < EXPORT_SHARE:
            buttons = ["download-png", "download-svg", "download-pdf", "download-csv", "download-html"]
            yield (
                "export",
                "POST",
                "/_dash-update-component",
                callback_body(
                    [("download", "data"), ("download-status", "children")],
                    [(b, "n_clicks", 1 if b == "download-png" else 0) for b in buttons],
                    [("view", "data", store), ("dataset", "data", None)],
                    changed=["download-png.n_clicks"],
                ),
            )


def run_users(
    port: int, users: int, seconds: float, themes: list[str], span: tuple[float, float], think: float
) -> dict:
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    samples: list[str] = []
    count = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user_loop(i: int) -> None:
        user = User(port, themes, span, seed=i)
        for path in ("/", "/_dash-layout", "/_dash-dependencies"):
            _timed(user, "page", "GET", path, None)
        while time.monotonic() < deadline:
            for kind, method, path, body in user.steps():
                # a person reads the screen between two actions
                time.sleep(user.rng.uniform(0.5, 1.5) * think)
                if time.monotonic() >= deadline:
                    break
                _timed(user, kind, method, path, body)

    def _timed(user: User, kind: str, method: str, path: str, body: dict | None) -> None:
        with lock:
            if count[0] >= MAX_REQUESTS:
                return
            count[0] += 1
        t0 = time.perf_counter()
        try:
            status, data = user.request(method, path, body)
            ok = status == 200
            why = f"HTTP {status}: {data[:120]!r}"
        except Exception as exc:  # a refused or dropped connection counts as an error
            ok, why = False, f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - t0
        with lock:
            results[kind].append(elapsed)
            if not ok:
                errors[kind] += 1
                if len(samples) < 5:
                    samples.append(f"{kind}: {why}")

    threads = [threading.Thread(target=user_loop, args=(i,), daemon=True) for i in range(users)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 180)
    return {"results": results, "errors": errors, "samples": samples, "wall": time.monotonic() - t0, "think": think}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(run: dict, users: int, workers: int, name: str) -> str:
    res, err = run["results"], run["errors"]
    total = sum(len(v) for v in res.values())
    lines = [
        f"load: {users} users, {workers} workers, {name}, {run['wall']:.0f} s, think {run['think']:.1f} s, "
        f"{total:,} requests, {total / run['wall']:.1f} requests/s, {sum(err.values())} errors",
        "",
        "| requests | count | errors | p50 | p95 | max |",
        "| --- | --- | --- | --- | --- | --- |",
    ]

    def row(label: str, values: list[float], errors: int) -> str:
        q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
        return (
            f"| {label} | {len(values):,} | {errors} | {q[49] * 1000:.0f} ms | {q[94] * 1000:.0f} ms | "
            f"{max(values) * 1000:.0f} ms |"
        )

    for kind in ("page", "figure", "table", "details", "export"):
        if res.get(kind):
            lines.append(row(kind, res[kind], err.get(kind, 0)))
    interactive = [v for k in ("figure", "table", "details") for v in res.get(k, [])]
    if interactive:
        lines.append(
            row("all but export and page", interactive, sum(err.get(k, 0) for k in ("figure", "table", "details")))
        )
    if run["samples"]:
        lines += ["", "first errors:"] + [f"  {s}" for s in run["samples"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=ROOT / "data" / "events.csv")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a user waits between two actions (default 1; 0 = hammer)"
    )
    args = ap.parse_args(argv)
    users = max(1, min(args.users, 200))
    seconds = max(1.0, min(args.seconds, 600.0))

    from dashboard import cache

    timeline = cache.load(args.file)
    themes = list(timeline.themes)
    span = (float(timeline.events["start"].min()), float(timeline.events["last"].max()))
    del timeline

    port = free_port()
    log = open(f"/tmp/timeline-load-{port}.log", "wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dashboard",
            "serve",
            str(args.file),
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        deadline = time.time() + 300
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    print(Path(log.name).read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.3)
        User(port, themes, span, 0).request("GET", "/")  # warm up the workers' first request
        run = run_users(port, users, seconds, themes, span, max(0.0, args.think))
        alive = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    print(report(run, users, args.workers, args.file.name))
    print(f"server still up at the end: {'yes' if alive else 'NO'}")
    return 0 if alive and not sum(run["errors"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
