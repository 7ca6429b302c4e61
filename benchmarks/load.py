"""Load test: many simulated users against ``timeline serve --workers N``, on this machine only.

Each user opens the page, then repeats a realistic sequence of callbacks (filter by
theme, search, change dates, zoom, click an event, turn a table page, and now and
then export a PNG), pausing about a second between actions as a reader does, until
the time is up. It is bounded in users, requests and time, and talks only to 127.0.0.1.

Every answer is checked, not only its status: before the load starts, the views the
users will ask for are drawn (a pool of ``--views``) and their right answers worked out
with the package's core on the same file (match count, first table page, the clicked
event's title); each view a user may export is requested once, alone, and its image kept.
Under load, a figure must say the expected number of matches, a table page must list the
expected events, details must show the clicked event, and a download's bytes must equal
that single-request image. A 200 with the wrong content counts as ``wrong``, apart from
HTTP errors.

    python benchmarks/load.py                          # 50 users, 60 s, data/events.csv, 2 workers
    python benchmarks/load.py --file big.csv --users 50 --seconds 60
    python benchmarks/load.py --users 20 --seconds 30 --export-share 0.5   # many concurrent exports
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.answers import match_count
from dashboard.core import dates
from dashboard.core.query import View
from dashboard.web.callbacks.details import OUTPUTS as DETAILS_OUTPUTS
from dashboard.web.callbacks.downloads import DOWNLOADS
from dashboard.web.callbacks.figure import OUTPUTS as FIGURE_OUTPUTS
from dashboard.web.wire import callback_body, page_state
from tests.servers import free_port

MAX_REQUESTS = 200_000
EXPORT_SHARE = 0.03
"""Default share of action sequences that end with a PNG export (50 users: ~20 exports a minute)."""
TABLE_OUTPUTS = [("table", "getRowsResponse")]
TABLE_ROWS = 12
"""Rows the grid asks for at a time (a page)."""
DOWNLOAD_BUTTONS = list(DOWNLOADS)
SEARCH_WORDS = ["treaty", "summit", "war", "trade", "abe", "korea", "visit", "harris", "kyoto", "security"]
DETAIL_ROWS = 31
"""Users click one of the first DETAIL_ROWS events."""
MAX_TABLE_PAGE = 3


# -- the views users ask for, and their right answers ------------------------------------


def random_view(rng: random.Random, themes: list[str], span: tuple[float, float]) -> View:
    r = rng.random()
    chosen = tuple(sorted(rng.sample(themes, rng.randint(1, len(themes)))))
    if r < 0.3:
        return View(themes=chosen)
    if r < 0.5:
        return View(text=rng.choice(SEARCH_WORDS))
    lo, hi = span
    a = rng.uniform(lo, hi)
    b = min(hi, a + (hi - lo) * rng.uniform(0.01, 0.3))
    if r < 0.7:
        # the year as the user types it: -0490 for 490 BCE
        return View(start=str(dates.to_iso([a], [dates.YEAR])[0]), themes=chosen)
    return View(x_range=(a, b))


@dataclass
class Expected:
    """The right answers for one view, worked out with the package's core before the load."""

    view: View
    count: int | None = None  # events matching; None if the view is refused
    error: str = ""  # the filter-error text the view must show
    pages: dict[int, list[int]] = field(default_factory=dict)  # table page -> event ids on it
    page_count: int = 1
    png: bytes | None = None  # the single-request PNG export (export views only)


def expected_answers(path: Path, n_views: int, n_export: int, seed: int = 1):
    """(themes, pool of Expected, export subset, titles of the first DETAIL_ROWS events)."""
    from dashboard.core.query import filter_events, sorted_rows
    from dashboard.io import cache
    from dashboard.web.layout import TABLE_PAGE_SIZE

    timeline = cache.load(path)
    themes = list(timeline.themes)
    span = (float(timeline.events["start"].min()), float(timeline.events["last"].max()))
    rng = random.Random(seed)
    pool: list[Expected] = []
    seen = set()
    while len(pool) < n_views:
        view = random_view(rng, themes, span)
        if view in seen:
            continue
        seen.add(view)
        exp = Expected(view)
        try:
            rows = filter_events(timeline, view)
        except ValueError as exc:
            exp.error = str(exc)
        else:
            exp.count = len(rows)
            order = sorted_rows(timeline, view, rows, "when", False)
            exp.page_count = max(1, -(-len(order) // TABLE_PAGE_SIZE))
            for page in range(MAX_TABLE_PAGE + 1):  # the grid asks for a page's rows; past the end, none
                exp.pages[page] = order[page * TABLE_PAGE_SIZE : (page + 1) * TABLE_PAGE_SIZE].tolist()
        pool.append(exp)
    # Views to export: one of each kind where possible (themes, search, dates, zoom).
    kinds: dict[str, list[Expected]] = defaultdict(list)
    for exp in pool:
        if exp.count is None:
            continue
        v = exp.view
        kinds["zoom" if v.x_range else "text" if v.text else "dates" if v.start else "themes"].append(exp)
    exports: list[Expected] = []
    while len(exports) < n_export and any(kinds.values()):
        for kind in ("themes", "text", "dates", "zoom"):
            if kinds[kind] and len(exports) < n_export:
                exports.append(kinds[kind].pop(0))
    titles = timeline.events["title"].iloc[:DETAIL_ROWS].tolist()
    return themes, pool, exports, titles


# -- reading Dash answers ---------------------------------------------------------------


def prop(answer: dict, component: str, name: str):
    """One output's value in a callback answer; KeyError if it is not there (no_update)."""
    return answer["response"][component][name]


def html_text(node) -> str:
    """Text of a serialised Dash component tree."""
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, list):
        return "".join(html_text(n) for n in node)
    if isinstance(node, dict):
        return html_text(node.get("props", {}).get("children"))
    return ""


def download_bytes(answer: dict) -> bytes:
    data = prop(answer, "download", "data")
    content = data["content"]
    return base64.b64decode(content) if data.get("base64") else content.encode()


def describe(view: View) -> str:
    parts = []
    if view.themes is not None:
        parts.append(f"themes={','.join(view.themes)}")
    if view.start:
        parts.append(f"from={view.start}")
    if view.text:
        parts.append(f"q={view.text}")
    if view.x_range:
        a, b = dates.format_dates(list(view.x_range), [dates.DAY, dates.DAY])
        parts.append(f"zoom={a}..{b}")
    return " ".join(parts) or "all"


class Checker:
    """Is a 200 answer the right one? Returns None if so, else why not."""

    def __init__(self, exports: list[Expected], titles: list[str]):
        self.exports = exports
        self.titles = titles
        self.by_digest = {hashlib.sha1(e.png).hexdigest(): i for i, e in enumerate(exports) if e.png}

    def check(self, kind: str, exp: Expected | None, extra, data: bytes) -> str | None:
        if kind == "page":
            return None
        try:
            answer = json.loads(data)
            if kind == "figure":
                return self._figure(exp, answer)
            if kind == "table":
                return self._table(exp, extra, answer)
            if kind == "details":
                return self._details(extra, answer)
            if kind == "export":
                return self._export(exp, answer)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            return f"{kind}: unreadable answer ({type(exc).__name__}: {exc}): {data[:120]!r}"
        return None

    def _figure(self, exp: Expected, answer: dict) -> str | None:
        if exp.count is None:
            got = prop(answer, "filter-error", "children")
            return None if got == exp.error else f"figure [{describe(exp.view)}]: error {got!r}, expected {exp.error!r}"
        error = answer["response"].get("filter-error", {}).get("children", "")
        if error:
            return f"figure [{describe(exp.view)}]: refused ({error!r}), expected {exp.count:,} matches"
        got = match_count(prop(answer, "match-count", "children"))
        if got != exp.count:
            return f"figure [{describe(exp.view)}]: {got:,} matches, expected {exp.count:,}"
        if not isinstance(prop(answer, "timeline", "figure").get("data"), list):
            return f"figure [{describe(exp.view)}]: no figure data"
        return None

    def _table(self, exp: Expected, page: int, answer: dict) -> str | None:
        if exp.count is None:  # a refused view leaves the table as it was
            return None
        response = prop(answer, "table", "getRowsResponse")
        ids = [row["id"] for row in response["rowData"]]
        if response["rowCount"] != exp.count:
            return f"table [{describe(exp.view)}]: {response['rowCount']} rows, expected {exp.count}"
        if ids != exp.pages[page]:
            return f"table [{describe(exp.view)}] page {page}: rows {ids[:4]}..., expected {exp.pages[page][:4]}..."
        return None

    def _details(self, row: int, answer: dict) -> str | None:
        children = prop(answer, "details", "children")
        title = html_text(children[0]) if isinstance(children, list) and children else html_text(children)
        if title != self.titles[row]:
            return f"details row {row}: title {title!r}, expected {self.titles[row]!r}"
        return None

    def _export(self, exp: Expected, answer: dict) -> str | None:
        try:
            got = download_bytes(answer)
        except KeyError:
            status = answer.get("response", {}).get("download-status", {}).get("children")
            return f"export [{describe(exp.view)}]: no download ({status!r})"
        if got == exp.png:
            return None
        other = self.by_digest.get(hashlib.sha1(got).hexdigest())
        if other is not None:
            return (
                f"export [{describe(exp.view)}]: got the image of another view [{describe(self.exports[other].view)}]"
            )
        return f"export [{describe(exp.view)}]: {len(got):,} bytes differ from the single-request {len(exp.png):,}"


# -- simulated users ----------------------------------------------------------------------


def figure_body(view: View) -> dict:
    store = {**asdict(view), "dataset": None}
    return callback_body(FIGURE_OUTPUTS, [("view", "data", store), ("layout-width", "data", 1200)], page_state())


def export_body(view: View) -> dict:
    store = {**asdict(view), "dataset": None}
    return callback_body(
        [("download", "data"), ("download-status", "children")],
        [(b, "n_clicks", 1 if b == "download-png" else 0) for b in DOWNLOAD_BUTTONS],
        [("view", "data", store), *page_state()],
        changed=["download-png.n_clicks"],
    )


class User:
    def __init__(self, port: int, pool: list[Expected], exports: list[Expected], export_share: float, seed: int):
        self.port = port
        self.pool = pool
        self.exports = exports
        self.export_share = export_share
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
                payload = resp.read()
                if resp.getheader("Content-Encoding", "") == "gzip":
                    payload = gzip.decompress(payload)
                return resp.status, payload
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def steps(self):
        """One user's sequence: (kind, expected, extra, method, path, body)."""
        exporting = bool(self.exports) and self.rng.random() < self.export_share
        exp = self.rng.choice(self.exports if exporting else self.pool)
        store = {**asdict(exp.view), "dataset": None}
        yield "figure", exp, None, "POST", "/_dash-update-component", figure_body(exp.view)
        page = self.rng.randint(0, MAX_TABLE_PAGE)
        request = {"startRow": page * TABLE_ROWS, "endRow": (page + 1) * TABLE_ROWS, "sortModel": []}
        yield (
            "table",
            exp,
            page,
            "POST",
            "/_dash-update-component",
            callback_body(
                TABLE_OUTPUTS,
                [("table", "getRowsRequest", request)],
                [("view", "data", store), *page_state()],
            ),
        )
        row = self.rng.randrange(DETAIL_ROWS)
        yield (
            "details",
            None,
            row,
            "POST",
            "/_dash-update-component",
            callback_body(DETAILS_OUTPUTS, [("selected", "data", row)], page_state()),
        )
        if exporting:
            yield "export", exp, None, "POST", "/_dash-update-component", export_body(exp.view)


def run_users(
    port: int,
    users: int,
    seconds: float,
    pool: list[Expected],
    exports: list[Expected],
    checker: Checker,
    think: float,
    export_share: float,
) -> dict:
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    wrong: dict[str, int] = defaultdict(int)
    samples: list[str] = []
    wrong_samples: list[str] = []
    count = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user_loop(i: int) -> None:
        user = User(port, pool, exports, export_share, seed=i)
        for path in ("/", "/_dash-layout", "/_dash-dependencies"):
            _timed(user, "page", None, None, "GET", path, None)
        while time.monotonic() < deadline:
            for kind, exp, extra, method, path, body in user.steps():
                # a person reads the screen between two actions
                time.sleep(user.rng.uniform(0.5, 1.5) * think)
                if time.monotonic() >= deadline:
                    break
                _timed(user, kind, exp, extra, method, path, body)

    def _timed(user: User, kind: str, exp, extra, method: str, path: str, body: dict | None) -> None:
        with lock:
            if count[0] >= MAX_REQUESTS:
                return
            count[0] += 1
        t0 = time.perf_counter()
        bad = None
        try:
            status, data = user.request(method, path, body)
            ok = status == 200
            why = f"HTTP {status}: {data[:120]!r}"
        except Exception as exc:  # a refused or dropped connection counts as an error
            ok, why = False, f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - t0
        if ok:
            bad = checker.check(kind, exp, extra, data)
        with lock:
            results[kind].append(elapsed)
            if not ok:
                errors[kind] += 1
                if len(samples) < 5:
                    samples.append(f"{kind}: {why}")
            elif bad:
                wrong[kind] += 1
                if len(wrong_samples) < 8:
                    wrong_samples.append(bad)

    threads = [threading.Thread(target=user_loop, args=(i,), daemon=True) for i in range(users)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 180)
    return {
        "results": results,
        "errors": errors,
        "wrong": wrong,
        "samples": samples,
        "wrong_samples": wrong_samples,
        "wall": time.monotonic() - t0,
        "think": think,
    }


def reference_exports(port: int, exports: list[Expected]) -> None:
    """Each export view requested alone (twice, on fresh connections), before any load."""
    for exp in exports:
        images = []
        for _ in range(2):
            user = User(port, [], [], 0, 0)
            status, data = user.request("POST", "/_dash-update-component", export_body(exp.view))
            user.conn.close()
            if status != 200:
                raise RuntimeError(f"reference export [{describe(exp.view)}]: HTTP {status}: {data[:200]!r}")
            try:
                images.append(download_bytes(json.loads(data)))
            except (KeyError, ValueError) as exc:
                raise RuntimeError(f"reference export [{describe(exp.view)}]: no image: {data[:300]!r}") from exc
        if images[0] != images[1]:
            raise RuntimeError(
                f"the PNG of [{describe(exp.view)}] differs between two single requests: "
                "exports are not reproducible, so they cannot be checked"
            )
        exp.png = images[0]
    digests = {hashlib.sha1(e.png).hexdigest() for e in exports}
    if len(digests) < len(exports):
        print("load: warning: some export views give the same image (a swap between them goes unseen)", file=sys.stderr)


def report(run: dict, users: int, workers: int, name: str, export_share: float) -> str:
    res, err, wrong = run["results"], run["errors"], run["wrong"]
    total = sum(len(v) for v in res.values())
    share = "" if export_share == EXPORT_SHARE else f", export share {export_share:g}"
    lines = [
        f"load: {users} users, {workers} workers, {name}, {run['wall']:.0f} s, think {run['think']:.1f} s{share}, "
        f"{total:,} requests, {total / run['wall']:.1f} requests/s, {sum(err.values())} errors, "
        f"{sum(wrong.values())} wrong",
        "",
        "| requests | count | errors | wrong | p50 | p95 | max |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def row(label: str, values: list[float], errors: int, wrongs: int) -> str:
        q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
        return (
            f"| {label} | {len(values):,} | {errors} | {wrongs} | {q[49] * 1000:.0f} ms | {q[94] * 1000:.0f} ms | "
            f"{max(values) * 1000:.0f} ms |"
        )

    for kind in ("page", "figure", "table", "details", "export"):
        if res.get(kind):
            lines.append(row(kind, res[kind], err.get(kind, 0), wrong.get(kind, 0)))
    interactive = [v for k in ("figure", "table", "details") for v in res.get(k, [])]
    if interactive:
        lines.append(
            row(
                "all but export and page",
                interactive,
                sum(err.get(k, 0) for k in ("figure", "table", "details")),
                sum(wrong.get(k, 0) for k in ("figure", "table", "details")),
            )
        )
    if run["samples"]:
        lines += ["", "first errors:"] + [f"  {s}" for s in run["samples"]]
    if run["wrong_samples"]:
        lines += ["", "first wrong answers:"] + [f"  {s}" for s in run["wrong_samples"]]
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
    ap.add_argument(
        "--export-share",
        type=float,
        default=EXPORT_SHARE,
        help=f"share of action sequences that end with a PNG export (default {EXPORT_SHARE})",
    )
    ap.add_argument("--views", type=int, default=300, help="distinct views the users draw from (default 300)")
    ap.add_argument("--export-views", type=int, default=6, help="distinct views that get exported (default 6)")
    args = ap.parse_args(argv)
    users = max(1, min(args.users, 200))
    seconds = max(1.0, min(args.seconds, 600.0))
    export_share = max(0.0, min(args.export_share, 1.0))

    t0 = time.perf_counter()
    _themes, pool, exports, titles = expected_answers(
        args.file, max(1, min(args.views, 5000)), max(1, min(args.export_views, 20))
    )
    print(
        f"load: right answers for {len(pool)} views worked out in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
        flush=True,
    )

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
            "--engine",
            "memory",  # what the right answers are worked out by, and what the README measured
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
        User(port, [], [], 0, 0).request("GET", "/")  # warm up the workers' first request
        t0 = time.perf_counter()
        if export_share > 0:
            reference_exports(port, exports)
            print(
                f"load: {len(exports)} reference exports, each alone, in {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        checker = Checker(exports, titles)
        run = run_users(
            port, users, seconds, pool, exports if export_share > 0 else [], checker, max(0.0, args.think), export_share
        )
        alive = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    print(report(run, users, args.workers, args.file.name, export_share))
    print(f"server still up at the end: {'yes' if alive else 'NO'}")
    return 0 if alive and not sum(run["errors"].values()) and not sum(run["wrong"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
