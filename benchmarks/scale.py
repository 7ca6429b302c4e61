"""Benchmark beyond memory: DuckDB against today's in-memory core, on real servers, at 1M, 10M, 100M.

Each side is `timeline serve FILE.parquet` (the in-memory core) or `timeline serve FILE.parquet
--engine duckdb` (or, with ``--sides spark``, ``--engine spark``: a local Spark), started as a user
starts it, with a cache folder of its own:

- cold ready: from starting the server, with nothing cached (no store, no cache: neither in the
  server's cache folder nor the in-memory core's cache beside the file, which a run before left), to the first
  figure answered; tables in place: to the tables of quick clicks made (``core.tiles``: the server
  answers from the events alone until then); warm ready: the same with the store or cache left by
  the cold start (the clicks below are timed on it);
- untick -> answered, zoom -> answered: the figure callback of three unticks and three zooms, as a
  page sends it (with ``--browser``: also timed in Chromium, from the click to the chart redrawn);
- search: a word over every title, description, actor and place; then the same word in titles alone
  (``title:summit``);
- every row served: until the figure of every row is answered, once the server says it serves them
  all (asked as a page showing the preview asks, by a light callback);
- peak memory of the server's process tree (sampled from start to stop: RSS summed every 50 ms, and
  PSS, which counts a page shared by a forked worker and its parent once, every 200 ms), largest response.

Both sides must agree on every count; the run stops at the first disagreement.

    python benchmarks/scale.py --events 1000000 10000000
    python benchmarks/bench.py --events 1000000 --engines     # the same, from bench.py
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil
import pyarrow.parquet as pq

from benchmarks.answers import match_count
from dashboard.core.query import View
from dashboard.io import store
from dashboard.io.cache import CACHE_SUFFIX
from dashboard.web.callbacks.figure import OUTPUTS as FIGURE_OUTPUTS
from dashboard.web.wire import callback_body, page_state
from tests.servers import reserve_port
from tests.synthetic import THEMES

SIDES = ("memory", "duckdb", "spark")
"""``spark``: a local Spark in the server's worker, on the same store (run only when asked)."""
ALL = View()
UNTICKS = [View(themes=tuple(t for t in THEMES[:12] if t != gone)) for gone in ("trade", "war", "memory")]
ZOOMS = [
    View(x_range=(-788_918_400_000.0, -598_924_800_001.0)),  # 1945-1950
    View(x_range=(631_152_000_000.0, 636_249_599_999.0)),  # Jan-Feb 1990
    View(x_range=(-5_364_662_400_000.0, 1_767_225_599_999.0)),  # 1800-2025
]
SEARCH = View(text="summit")
TITLE_SEARCH = View(text="title:summit")
ANSWER_WITHIN_S = 4 * 3600
"""How long an answer is waited for: a cold start at 100M builds its store first (many minutes here)."""


class Watch:
    """The peak memory of a process and its children, sampled until stopped: RSS summed over the tree
    (pages a forked worker shares with its parent counted twice), every 50 ms, and PSS (each shared
    page split between the processes sharing it: the tree's real footprint), every 200 ms: reading a
    process's PSS walks its every page, which every 50 ms took a fifth of a core from the server
    measured (6 CPU-s over a 10M cold start)."""

    EVERY_S = 0.05
    PSS_EVERY = 4
    """PSS is read at every fourth sample."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)
        self.rss = self.pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        samples = 0
        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                if samples % self.PSS_EVERY == 0:
                    info = [p.memory_full_info() for p in procs]
                    self.pss = max(self.pss, sum(i.pss for i in info))
                else:
                    info = [p.memory_info() for p in procs]
                self.rss = max(self.rss, sum(i.rss for i in info))
            except psutil.Error:
                pass
            samples += 1
            time.sleep(self.EVERY_S)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self._thread.join()
        return self.rss, self.pss


def post(url: str, body: dict) -> bytes:
    """The answer to a callback request ``body`` (no bytes: nothing to update)."""
    req = urllib.request.Request(
        url + "_dash-update-component", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=ANSWER_WITHIN_S) as answer:
        return answer.read()


def ask(url: str, view: View) -> tuple[float, int, dict]:
    """(seconds, bytes, outputs) of the figure callback for ``view``, as a page sends it."""
    body = callback_body(
        FIGURE_OUTPUTS,
        [("view", "data", asdict(view)), ("layout-width", "data", 1200)],
        page_state(),
        changed=["view.data"],
    )
    t0 = time.perf_counter()
    data = post(url, body)
    seconds = time.perf_counter() - t0
    answer = json.loads(data)["response"]
    error = answer.get("filter-error", {}).get("children")
    if error:
        raise RuntimeError(f"{view} refused: {error}")
    return seconds, len(data), answer


def start(side: str, path: Path, cache: Path, log: Path) -> tuple[subprocess.Popen, str, Watch, float]:
    """The server, its address, its memory watch and when it was started."""
    with reserve_port() as held:  # a free port, let go for the server (which holds it from its start)
        port = held.getsockname()[1]
    cmd = [sys.executable, "-m", "dashboard", "serve", str(path), "--port", str(port), "--engine", side]
    t0 = time.perf_counter()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    watch = Watch(proc.pid)
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return proc, url, watch, t0
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{side} server exited: see {log}") from None
            time.sleep(0.2)


def whole_ready(url: str, rows: int, t0: float) -> float:
    """Seconds from ``t0`` until every one of the ``rows`` rows is served: asked as a page showing the
    preview asks (the light callback of ``whole-served``, here every half second, where a page asks
    every three), then the figure of every row once it says so. Asking for the figure itself all along
    would take CPU from the builder (a preview's figure is 0.3 s of work at 10M), making the wait it
    measures longer. A server that served a preview restarts meanwhile: its port answers "not
    yet" for a moment."""
    ticks = 0
    while time.perf_counter() - t0 < ANSWER_WITHIN_S:
        ticks += 1
        try:
            if whole_served(url, ticks) and match_count(ask(url, ALL)[2]["match-count"]["children"]) == rows:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("every row was never served")


def whole_served(url: str, ticks: int) -> bool:
    """Whether the server says it serves the whole dataset, asked as a page showing its preview asks."""
    data = post(url, callback_body([("whole-served", "data")], [("preview-poll", "n_intervals", ticks)]))
    return bool(data) and json.loads(data)["response"].get("whole-served", {}).get("data") is True


def tables_ready(cache: Path, t0: float) -> float:
    """Seconds from ``t0`` until the store's tables of quick clicks are in place (made by a process of
    the server's own once it serves: clicks are answered from the events alone until then)."""
    while not any(store.ready_tables(folder) is not None for folder in (cache / "timeline").glob("*.store")):
        if time.perf_counter() - t0 > ANSWER_WITHIN_S:
            raise RuntimeError("the tables of quick clicks were never made")
        time.sleep(0.1)
    return time.perf_counter() - t0


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()


def forget_caches(path: Path) -> list[Path]:
    """Remove the caches the in-memory core leaves beside ``path`` (``.NAME[.OPTS].timeline-cache.parquet``),
    so that a cold start is cold; the paths removed."""
    found = sorted(path.parent.glob(f".{glob.escape(path.name)}*{CACHE_SUFFIX}"))
    for cached in found:
        cached.unlink()
    return found


def combined(runs: list[dict]) -> dict:
    """Runs of one side as one: the median of each time, the largest of each size, the rest of the first."""
    out = dict(runs[0])
    for key in out:
        values = [r[key] for r in runs if isinstance(r.get(key), float)]
        if len(values) == len(runs) and key != "preview_rows":
            out[key] = max(values) if key.endswith("_mb") else statistics.median(values)
    return out


def run_side(side: str, path: Path, browser: bool) -> dict:
    out: dict = {"side": side}
    forget_caches(path)
    rows = pq.ParquetFile(path).metadata.num_rows
    with tempfile.TemporaryDirectory(prefix=f"scale-{side}-", dir="/tmp") as tmp:
        cache, log = Path(tmp) / "cache", Path(tmp) / "server.log"
        peaks, sizes = [], []
        for phase in ("cold", "warm"):
            proc, url, watch, t0 = start(side, path, cache, log)
            try:
                seconds, size, answer = ask(url, ALL)
                out[f"{phase}_ready_s"] = time.perf_counter() - t0
                if phase == "cold":  # the first answer may be a preview of the first rows
                    shown = match_count(answer["match-count"]["children"])
                    out["preview_rows"] = shown if shown < rows else None
                    out["whole_ready_s"] = whole_ready(url, rows, t0) if shown < rows else out["cold_ready_s"]
                if phase == "cold" and side != "memory":
                    out["tables_ready_s"] = tables_ready(cache, t0)
                sizes.append(size)
                out["total"] = match_count(answer["match-count"]["children"])
                if phase == "warm":
                    counts = []
                    for key, views in (
                        ("untick", UNTICKS),
                        ("zoom", ZOOMS),
                        ("search", [SEARCH]),
                        ("title_search", [TITLE_SEARCH]),
                    ):
                        times = []
                        for view in views:
                            seconds, size, answer = ask(url, view)
                            times.append(seconds)
                            sizes.append(size)
                            counts.append(match_count(answer["match-count"]["children"]))
                        out[f"{key}_s"] = statistics.median(times)
                    out["counts"] = counts
                    if browser:
                        from benchmarks.bench import browser_times

                        out["browser"] = browser_times(url, "ours")
            finally:
                stop(proc)
                peaks.append(watch.stop())
        out["peak_rss_mb"] = max(p[0] for p in peaks) / 2**20
        out["peak_pss_mb"] = max(p[1] for p in peaks) / 2**20
        out["serving_pss_mb"] = peaks[1][1] / 2**20
        out["largest_response_mb"] = max(sizes) / 1e6
        out["log"] = log.read_text(errors="replace")[-2000:]
    return out


def fmt(value: float | None, unit: str, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if not unit else f"{value:.{digits}f} {unit}"


ROWS = [
    ("cold ready (the first figure)", "cold_ready_s", "s"),
    ("rows in that figure, a preview", "preview_rows", ""),
    ("every row served", "whole_ready_s", "s"),
    ("tables of quick clicks in place", "tables_ready_s", "s"),
    ("warm ready", "warm_ready_s", "s"),
    ("untick -> answered", "untick_s", "s"),
    ("zoom -> answered", "zoom_s", "s"),
    ("search 'summit'", "search_s", "s"),
    ("search 'title:summit'", "title_search_s", "s"),
    ("peak RSS, summed over the process tree", "peak_rss_mb", "MB"),
    ("peak PSS of the process tree", "peak_pss_mb", "MB"),
    ("peak PSS, warm start (serving only)", "serving_pss_mb", "MB"),
    ("largest response", "largest_response_mb", "MB"),
]


def table(n: int, results: dict[str, dict]) -> str:
    sides = [s for s in SIDES if s in results]
    lines = [f"| {n:,} events | " + " | ".join(sides) + " |", "| --- |" + " --- |" * len(sides)]
    for label, key, unit in ROWS:
        cells = [
            fmt(results[s].get(key), unit, 0 if unit == "MB" and key != "largest_response_mb" else 2) for s in sides
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if any("browser" in r for r in results.values()):
        for key in ("untick", "zoom"):
            cells = [fmt((results[s].get("browser") or {}).get(key), "s") for s in sides]
            lines.append(f"| {key} -> redrawn (Chromium) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ensure_file(n: int) -> Path:
    path = Path(f"/tmp/timeline-bench-{n}.parquet")
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "generate.py"),
                "--events",
                str(n),
                "--format",
                "parquet",
                "-o",
                str(path),
            ],
            check=True,
        )
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--sides", nargs="+", choices=SIDES, default=["memory", "duckdb"])
    ap.add_argument("--browser", action="store_true", help="also time untick and zoom in Chromium")
    ap.add_argument("--memory-up-to", type=int, default=10_000_000, help="largest N the in-memory side is run at")
    ap.add_argument("--runs", type=int, default=1, help="runs of each side, alternating: times are their median")
    args = ap.parse_args(argv)
    print(f"python benchmarks/scale.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB")
    for n in args.events:
        path = ensure_file(n)
        runs: dict[str, list[dict]] = {}
        for run in range(args.runs):  # sides alternate: a slower spell of the machine hits both
            for side in args.sides:
                if side == "memory" and n > args.memory_up_to:
                    continue
                print(f"{n:,} events: {side}, run {run + 1} of {args.runs} ...", file=sys.stderr, flush=True)
                runs.setdefault(side, []).append(run_side(side, path, args.browser))
        results = {side: combined(done) for side, done in runs.items()}
        counts = {f"{s}, run {i + 1}": r["counts"] for s, done in runs.items() for i, r in enumerate(done)}
        if len({json.dumps(c) for c in counts.values()}) > 1:
            print(f"the sides disagree on the counts: {counts}", file=sys.stderr)
            return 1
        print()
        print(table(n, results))
        if args.runs > 1:
            print(f"\n(times: the median of {args.runs} runs of each side; sizes: the largest)")
        print(f"\n(file {path}, {path.stat().st_size / 1e6:,.0f} MB; counts agree: {next(iter(counts.values()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
