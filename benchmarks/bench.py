"""Benchmark: this project against the naive approach, at the same time, on the same file.

The naive baseline is what a timeline built straight on plotly does: read the CSV
with pandas, and on every filter change filter the frame and send every matching
event as a plotly point with its hover text. Zooming is where the two differ in
kind: a naive Dash app makes no callback on zoom (plotly redraws the points it
already has, in the browser), while this project asks the server for the new
window (a level-of-detail figure). So filter states and zoom states are reported
apart: the naive side's zoom has no server time, and with ``--browser`` both
sides' zoom is timed as the user sees it, from zoom to redrawn in Chromium.

Each side runs in its own process (so peak RSS is its own) and serves its real
Dash callback through Flask's test client. Both sides must agree on the number of
matching events for every state (the naive filter is inclusive like ours: 'to
2000' is through 31 Dec 2000, and -490 is 490 BCE, there being no year 0); the
benchmark stops at the first disagreement.

    python benchmarks/bench.py --events 1000000            # generates the file if needed
    python benchmarks/bench.py --events 200000 --browser   # also time untick / zoom -> redraw in Chromium
    python benchmarks/bench.py --events 10000000 --engines # DuckDB against the in-memory core (scale.py)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.answers import match_count
from dashboard.core import dates
from dashboard.core.query import View
from dashboard.io.cache import cache_paths
from dashboard.web.callbacks.figure import OUTPUTS as FIGURE_OUTPUTS
from dashboard.web.wire import callback_body, page_state
from tests.synthetic import THEMES as SYNTHETIC_THEMES

THEMES = SYNTHETIC_THEMES[:12]


def ms(text: str, end: bool = False) -> float:
    start, _, last = dates.parse_date(text)
    return last if end else start


def zoom(base: View, lo: float, hi: float) -> View:
    return View(themes=base.themes, start=base.start, end=base.end, text=base.text, x_range=(lo, hi))


ALL = View()
SUMMIT = View(text="summit")
MEMORY = View(themes=("memory",))
KOREA_TRADE = View(themes=("korea", "trade"), start="1950", end="1953")

STATES: list[View] = [
    # In the order a user might go: a filter, then zooms with that filter (the zoom's own filter
    # is always the state just before it, so a zoom is never also a filter change).
    ALL,
    zoom(ALL, ms("1945"), ms("1950", True)),
    zoom(ALL, ms("2000"), ms("2001", True)),
    zoom(ALL, ms("-1000"), ms("0001")),
    zoom(ALL, ms("1990-01"), ms("1990-02", True)),
    zoom(ALL, ms("1800"), ms("2025", True)),
    zoom(ALL, ms("2020-03-01"), ms("2020-03-20")),
    View(themes=("trade", "war")),
    View(themes=("diplomacy",)),
    View(start="1900", end="2000"),
    View(start="1945-08", end="1945-08-15"),
    View(text="harris"),
    View(text="treaty kyoto"),
    View(themes=("security", "china"), start="1800", end="1950"),
    View(start="1600", end="1700", text="summit"),
    View(themes=tuple(t for t in THEMES if t != "diplomacy")),
    View(start="-3000", end="-1000"),
    View(start="-490", end="-490"),
    View(themes=("war",), text="battle"),
    SUMMIT,
    zoom(SUMMIT, ms("1950"), ms("1960", True)),
    MEMORY,
    zoom(MEMORY, ms("2010"), ms("2012", True)),
    KOREA_TRADE,
    zoom(KOREA_TRADE, ms("1950"), ms("1953", True)),
]
EXPORT_STATES = [STATES[7], STATES[9], STATES[1]]
BROWSER_ZOOMS = [
    ("1945-01-01", "1950-12-31 23:59:59.999"),
    ("1990-01-01", "1990-02-28 23:59:59.999"),
    ("1800-01-01", "2025-12-31 23:59:59.999"),
]
"""Zooms timed in Chromium, one after the other (as a user drags across the chart)."""


def is_zoom(view: View) -> bool:
    return view.x_range is not None


def filter_of(view: View) -> View:
    return View(themes=view.themes, start=view.start, end=view.end, text=view.text)


def describe(view: View) -> str:
    parts = []
    if view.themes is not None:
        parts.append("themes " + ",".join(view.themes) if len(view.themes) < 5 else f"{len(view.themes)} themes")
    if view.start or view.end:
        parts.append(f"{view.start or '...'} to {view.end or '...'}")
    if view.text:
        parts.append(f"'{view.text}'")
    if view.x_range:
        a, b = dates.format_dates([view.x_range[0], view.x_range[1]], [dates.DAY, dates.DAY])
        parts.append(f"zoom {a} - {b}")
    return ", ".join(parts) or "everything"


def view_store(view: View) -> dict:
    from dataclasses import asdict

    return asdict(view)


def view_from_dict(data: dict | None) -> View:
    """The naive app's own reading of its view store."""
    data = data or {}
    themes, x_range = data.get("themes"), data.get("x_range")
    return View(
        themes=None if themes is None else tuple(themes),
        start=data.get("start") or "",
        end=data.get("end") or "",
        text=data.get("text") or "",
        x_range=None if not x_range else (float(x_range[0]), float(x_range[1])),
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the naive baseline ---------------------------------------------------------

NAIVE_DATE = r"^\s*(-?)(\d+)(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$"


def naive_dates(text):
    """(start, next) of historian date strings as pandas datetimes; ``next`` is the first instant after
    the year, month or day written, so 'to 2000' means before 2001-01-01. -490 is 490 BCE: pandas
    counts years astronomically (1 BCE is year 0), so a BCE year moves up by one."""
    import pandas as pd

    parts = text.str.extract(NAIVE_DATE)
    year = pd.to_numeric(parts[1], errors="coerce")
    astro = year.where(parts[0] != "-", 1 - year)
    ok = astro.notna()
    sign = astro.lt(0).map({True: "-", False: ""})
    iso = (
        sign
        + astro.abs().fillna(0).astype("int64").astype(str).str.zfill(4)
        + "-"
        + parts[2].fillna("1").str.zfill(2)
        + "-"
        + parts[3].fillna("1").str.zfill(2)
    )
    start = pd.to_datetime(iso.where(ok), format="ISO8601", errors="coerce")
    nxt = (start + pd.DateOffset(years=1)).where(parts[2].isna(), start + pd.DateOffset(months=1))
    nxt = nxt.where(parts[3].isna(), start + pd.Timedelta(days=1))
    return start, nxt


def naive_bound(text: str):
    import pandas as pd

    start, nxt = naive_dates(pd.Series([text]))
    if pd.isna(start[0]):
        raise ValueError(f"not a date: {text!r}")
    return start[0], nxt[0]


def naive_load(path: Path):
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "kind" in df:
        df = df[df["kind"].str.strip().str.lower() != "era"]
    if "location" not in df:
        df["location"] = ""
    df["start"], first_after = naive_dates(df["date"])
    _, end_after = naive_dates(df["end_date"]) if "end_date" in df else (None, first_after)
    df["after"] = end_after.where(end_after.notna(), first_after)  # first instant after the event
    return df


def theme_pattern(themes) -> str:
    return r"(?:^|;)\s*(?:" + "|".join(re.escape(t) for t in themes) + r")\s*(?:;|$)" if themes else "^$"


def naive_select(df, view: View):
    sel = df
    if view.themes is not None:
        sel = sel[sel["themes"].str.contains(theme_pattern(view.themes), case=False)]
    if view.start:
        sel = sel[sel["after"] > naive_bound(view.start)[0]]
    if view.end:
        sel = sel[sel["start"] < naive_bound(view.end)[1]]
    for word in view.text.split():
        hit = sel["title"].str.contains(word, case=False, regex=False)
        for col in ("description", "actors", "location"):
            hit |= sel[col].str.contains(word, case=False, regex=False)
        sel = sel[hit]
    return sel


def naive_figure(df, view: View):
    import plotly.graph_objects as go

    sel = naive_select(df, view)
    fig = go.Figure()
    for theme in view.themes if view.themes is not None else THEMES:
        lane = sel[sel["themes"].str.contains(theme_pattern([theme]), case=False)]
        hover = lane["title"] + "<br>" + lane["date"] + "<br>" + lane["themes"]
        fig.add_trace(
            go.Scattergl(
                x=lane["start"],
                y=[theme] * len(lane),
                mode="markers",
                name=theme,
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    if view.x_range:  # an export of a zoomed view: the same figure, with the axis range set
        import pandas as pd

        fig.update_xaxes(range=[pd.Timestamp(view.x_range[0], unit="ms"), pd.Timestamp(view.x_range[1], unit="ms")])
    return fig, len(sel)


def naive_app(df):
    """Filters call back; zooming does not (dcc.Graph zooms in the browser, as any plotly chart does)."""
    from dash import Dash, Input, Output, dcc, html

    app = Dash(__name__)
    app.layout = html.Div(
        [
            dcc.Store(id="view"),
            dcc.Store(id="layout-width"),
            html.P(id="match-count"),
            dcc.Checklist(id="themes", options=THEMES, value=THEMES),
            dcc.Graph(id="timeline"),
        ]
    )

    @app.callback(Output("view", "data"), Input("themes", "value"))
    def themes_to_view(themes):
        return view_store(View(themes=tuple(themes)))

    @app.callback(
        Output("timeline", "figure"),
        Output("match-count", "children"),
        Input("view", "data"),
        Input("layout-width", "data"),
    )
    def update(stored, _width):
        fig, n = naive_figure(df, view_from_dict(stored))
        return fig, f"{n:,} events match"

    return app


# -- one side, in its own process -------------------------------------------------


class CountMismatch(RuntimeError):
    pass


def run_side(side: str, path: Path, expect: list[int] | None = None) -> dict:
    out: dict = {"side": side}
    t0 = time.perf_counter()
    if side == "ours":
        from dashboard.io import cache
        from dashboard.web.app import create_app

        # As `timeline serve` does: the cache is written in the background while the app starts.
        timeline, writer = cache.load_in_background(path)
        out["load_s"] = time.perf_counter() - t0
        if writer is not None:
            writer.join()
        t0 = time.perf_counter()
        timeline = cache.load(path)
        out["cached_load_s"] = time.perf_counter() - t0
        app = create_app(timeline)
        outputs = FIGURE_OUTPUTS
    else:
        df = naive_load(path)
        out["load_s"] = time.perf_counter() - t0
        out["cached_load_s"] = None
        app = naive_app(df)
        outputs = [("timeline", "figure"), ("match-count", "children")]
    client = app.server.test_client()
    times, sizes, counts = [], [], []
    for i, view in enumerate(STATES):
        if side == "naive" and is_zoom(view):
            # No callback: the browser zooms the figure it has. Its count is its filter's.
            times.append(None)
            sizes.append(None)
            counts.append(counts[STATES.index(filter_of(view))])
            continue
        payload = callback_body(
            outputs,
            [("view", "data", view_store(view)), ("layout-width", "data", 1200)],
            state=page_state() if side == "ours" else [],
            changed=["view.data"],
        )
        t0 = time.perf_counter()
        resp = client.post("/_dash-update-component", json=payload)
        body = resp.get_data()
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{side}: {view} -> HTTP {resp.status_code}: {body[:300]!r}")
        sizes.append(len(body))
        answer = json.loads(body)["response"]
        error = answer.get("filter-error", {}).get("children")
        if error:
            raise RuntimeError(f"{side}: state {i + 1} ({describe(view)}) refused: {error}")
        counts.append(match_count(answer["match-count"]["children"]))
        if expect is not None and counts[-1] != expect[i]:
            raise CountMismatch(
                f"state {i + 1} ({describe(view)}): ours matches {expect[i]:,} events, naive {counts[-1]:,}"
            )
    out["callback_ms"] = times
    out["bytes"] = sizes
    out["counts"] = counts

    export_times = []
    if side == "ours":
        from dashboard.render.images import render_view, start_export_server, stop_export_server

        start_export_server()
    else:
        import kaleido
        import plotly.io as pio

        kaleido.start_sync_server(silence_warnings=True)
    for i, view in enumerate([EXPORT_STATES[0], *EXPORT_STATES]):  # the first one warms the browser up
        t0 = time.perf_counter()
        if side == "ours":
            render_view(timeline, view, "png")
        else:
            fig, _ = naive_figure(df, view)
            pio.to_image(fig, format="png", width=1600, height=800, scale=2)
        if i:
            export_times.append(time.perf_counter() - t0)
    if side == "ours":
        stop_export_server()
    else:
        kaleido.stop_sync_server(silence_warnings=True)
    out["export_s"] = statistics.median(export_times)
    out["rss_mb"] = peak_rss_mb()
    return out


# -- the browser: untick a theme, zoom; wait for the redraw ----------------------------

WATCH_JS = """() => {
    const gd = document.querySelector('#timeline .js-plotly-plot');
    window.__plots = window.__plots || 0;
    gd.on('plotly_afterplot', () => { window.__plots += 1; });
    if (!window.__fetchWatched) {
        // A new figure from the server: remember how many redraws there had been when it arrived.
        window.__fetchWatched = true; window.__figures = 0; window.__plotsAtFigure = 0;
        const fetch0 = window.fetch;
        window.fetch = function (input, init) {
            const body = init && typeof init.body === 'string' ? init.body : '';
            const p = fetch0.apply(this, arguments);
            if (body.includes('timeline.figure')) {
                p.then(() => { window.__figures += 1; window.__plotsAtFigure = window.__plots; }, () => {});
            }
            return p;
        };
    }
}"""
IDLE_JS = "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"


def browser_times(url: str, side: str, timeout_s: float = 180) -> dict:
    """Median seconds from unticking a theme to the graph redrawn (three changes), then from a zoom
    (Plotly.relayout, as a drag does) to the graph redrawn: for ours, redrawn with the server's new
    figure for that window; for the naive app, redrawn by plotly alone (no callback)."""
    from playwright.sync_api import sync_playwright

    out: dict = {"untick": None, "zoom": None}
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            page = b.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(timeout_s * 1000)
            page.goto(url)
            page.wait_for_selector("#timeline .js-plotly-plot .main-svg", state="attached")
            page.wait_for_function(IDLE_JS)
            time.sleep(1)
            page.evaluate(WATCH_JS)
            try:
                samples = []
                for theme in ("trade", "war", "trade"):
                    before = page.evaluate("() => window.__plots")
                    t0 = page.evaluate("() => performance.now()")
                    page.locator(f"#themes input[value='{theme}']").click()
                    page.wait_for_function("n => window.__plots > n", arg=before)
                    # Dash may redraw in two steps (new figure, then layout): wait until it settles.
                    page.wait_for_function(IDLE_JS)
                    samples.append((page.evaluate("() => performance.now()") - t0) / 1000)
                    page.evaluate(WATCH_JS)
                out["untick"] = statistics.median(samples)
            except Exception as exc:  # the naive side may not redraw within the time limit
                print(f"bench: {side} untick in the browser failed: {type(exc).__name__}", file=sys.stderr)
                return out
            time.sleep(1)
            samples = []
            for lo, hi in BROWSER_ZOOMS:
                state = page.evaluate("() => [window.__plots, window.__figures]")
                page.evaluate(
                    """([lo, hi]) => {
                    const gd = document.querySelector('#timeline .js-plotly-plot');
                    window.__t0 = performance.now();
                    window.Plotly.relayout(gd, {'xaxis.range': [lo, hi]});
                }""",
                    [lo, hi],
                )
                if side == "ours":  # the server's figure for the new window, drawn
                    page.wait_for_function(
                        "([p, f]) => window.__figures > f && window.__plots > window.__plotsAtFigure", arg=state
                    )
                    page.wait_for_function(IDLE_JS)
                else:
                    page.wait_for_function("([p, f]) => window.__plots > p", arg=state)
                samples.append((page.evaluate("() => performance.now() - window.__t0")) / 1000)
                if side == "naive":
                    figures = page.evaluate("() => window.__figures")
                    if figures != state[1]:
                        raise RuntimeError("the naive app called back on a zoom")
                time.sleep(0.5)
            out["zoom"] = statistics.median(samples)
        except Exception as exc:
            print(f"bench: {side} zoom in the browser failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            b.close()
    return out


def serve(side: str, path: Path, port: int) -> subprocess.Popen:
    cmd = (
        [sys.executable, "-m", "dashboard", "serve", str(path), "--port", str(port), "--engine", "memory"]
        if side == "ours"
        else [sys.executable, str(Path(__file__)), "--serve-naive", str(path), "--port", str(port)]
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    import urllib.request

    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"{side} server did not start")


# -- the table ---------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def of_kind(times: list, zoom_states: bool) -> list[float]:
    return [t for t, v in zip(times, STATES) if is_zoom(v) == zoom_states and t is not None]


def table(n: int, ours: dict, naive: dict, browser: dict | None) -> str:
    of, nf = of_kind(ours["callback_ms"], False), of_kind(naive["callback_ms"], False)
    oz = of_kind(ours["callback_ms"], True)
    ob, nb = [b for b in ours["bytes"] if b], [b for b in naive["bytes"] if b]
    no_callback = "none (zoomed in the browser)"
    rows = [
        ("load (cold)", f"{ours['load_s']:.2f} s", f"{naive['load_s']:.2f} s", naive["load_s"] / ours["load_s"]),
        ("load (cached)", f"{ours['cached_load_s']:.2f} s", "n/a", None),
        ("filter callback p50", f"{pct(of, 50):.0f} ms", f"{pct(nf, 50):.0f} ms", pct(nf, 50) / pct(of, 50)),
        ("filter callback p95", f"{pct(of, 95):.0f} ms", f"{pct(nf, 95):.0f} ms", pct(nf, 95) / pct(of, 95)),
        ("zoom callback p50", f"{pct(oz, 50):.0f} ms", no_callback, None),
        ("zoom callback p95", f"{pct(oz, 95):.0f} ms", no_callback, None),
        ("response max", f"{max(ob) / 1e6:.2f} MB", f"{max(nb) / 1e6:.2f} MB", max(nb) / max(ob)),
        (
            "response median",
            f"{statistics.median(ob) / 1e6:.2f} MB",
            f"{statistics.median(nb) / 1e6:.2f} MB",
            statistics.median(nb) / statistics.median(ob),
        ),
        ("peak RSS", f"{ours['rss_mb']:.0f} MB", f"{naive['rss_mb']:.0f} MB", naive["rss_mb"] / ours["rss_mb"]),
        (
            "PNG export (warm)",
            f"{ours['export_s']:.2f} s",
            f"{naive['export_s']:.2f} s",
            naive["export_s"] / ours["export_s"],
        ),
    ]
    if browser:
        for key, label in (("untick", "untick -> redrawn (Chromium)"), ("zoom", "zoom -> redrawn (Chromium)")):
            o, v = browser["ours"].get(key), browser["naive"].get(key)
            rows.append(
                (
                    label,
                    "failed" if o is None else f"{o:.2f} s",
                    "timeout" if v is None else f"{v:.2f} s",
                    None if o is None or v is None else v / o,
                )
            )
    head = f"| {n:,} events | ours | naive baseline | naive / ours |\n| --- | --- | --- | --- |"
    body = "\n".join(f"| {name} | {a} | {b} | {'' if r is None else f'{r:,.1f}x'} |" for name, a, b, r in rows)
    return head + "\n" + body


def per_state(ours: dict, naive: dict) -> str:
    lines = ["| # | state | kind | matching events | ours | naive |", "| --- | --- | --- | --- | --- | --- |"]
    for i, view in enumerate(STATES):
        nt = naive["callback_ms"][i]
        lines.append(
            f"| {i + 1} | {describe(view)} | {'zoom' if is_zoom(view) else 'filter'} | "
            f"{ours['counts'][i]:,} | {ours['callback_ms'][i]:.0f} ms | "
            f"{'no callback' if nt is None else f'{nt:.0f} ms'} |"
        )
    return "\n".join(lines)


def check_counts(ours: dict, naive: dict) -> str | None:
    """Why the two sides disagree on a state's matching events (None if they agree on all)."""
    for i, view in enumerate(STATES):
        if ours["counts"][i] != naive["counts"][i]:
            return (
                f"state {i + 1} ({describe(view)}): ours matches {ours['counts'][i]:,} events, "
                f"naive {naive['counts'][i]:,}"
            )
        if is_zoom(view) and ours["counts"][i] != ours["counts"][STATES.index(filter_of(view))]:
            return f"state {i + 1} ({describe(view)}): ours' match count changed with the zoom alone"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--file", type=Path, help="events CSV (default: generated in /tmp)")
    ap.add_argument("--browser", action="store_true", help="also time untick and zoom -> redraw in headless Chromium")
    ap.add_argument(
        "--engines",
        action="store_true",
        help="instead: DuckDB against the in-memory core on real servers (benchmarks/scale.py)",
    )
    ap.add_argument("--side", choices=["ours", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--expect", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--serve-naive", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=8071, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.engines:
        from benchmarks import scale

        return scale.main(["--events", str(args.events), *(["--browser"] if args.browser else [])])
    if args.serve_naive:
        naive_app(naive_load(args.serve_naive)).run(host="127.0.0.1", port=args.port, debug=False)
        return 0
    path = args.file or Path(f"/tmp/timeline-bench-{args.events}.csv")
    if args.side:
        expect = json.loads(args.expect.read_text()) if args.expect else None
        try:
            print(json.dumps(run_side(args.side, path, expect)))
        except CountMismatch as exc:
            print(f"bench: the two sides disagree on the matching events: {exc}", file=sys.stderr)
            return 3
        return 0
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", str(args.events), "-o", str(path)],
            check=True,
        )
    n_events = args.events if args.file is None else None
    for stale in cache_paths(path):
        stale.unlink(missing_ok=True)  # measure a cold load first
    results = {}
    with tempfile.TemporaryDirectory(prefix="timeline-bench-") as tmp:
        expect_file = Path(tmp) / "counts.json"
        for side in ("ours", "naive"):
            print(f"bench: running {side} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            cmd = [sys.executable, __file__, "--side", side, "--file", str(path)]
            if side == "naive":
                cmd += ["--expect", str(expect_file)]
            proc = subprocess.run(
                cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"}
            )
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                if proc.returncode == 3:
                    print("bench: ABORTED: both sides must match the same events for every state", file=sys.stderr)
                return 1
            results[side] = json.loads(proc.stdout.strip().splitlines()[-1])
            if side == "ours":
                expect_file.write_text(json.dumps(results["ours"]["counts"]))
            print(f"bench: {side} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    problem = check_counts(results["ours"], results["naive"])
    if problem:
        print(f"bench: ABORTED: the two sides disagree on the matching events: {problem}", file=sys.stderr)
        return 1
    n_events = n_events or results["ours"]["counts"][0]
    browser = None
    if args.browser:
        browser = {}
        for side, port in (("ours", args.port), ("naive", args.port + 1)):
            print(f"bench: browser, {side} ...", file=sys.stderr, flush=True)
            proc = serve(side, path, port)
            try:
                browser[side] = browser_times(f"http://127.0.0.1:{port}/", side)
            finally:
                proc.terminate()
                proc.wait(30)
    n_filter = sum(not is_zoom(v) for v in STATES)
    print(
        f"bench: {n_events:,} events, {n_filter} filter states and {len(STATES) - n_filter} zoom states; "
        f"both sides match the same events in all {len(STATES)}\n"
    )
    print(table(n_events, results["ours"], results["naive"], browser))
    print()
    print(per_state(results["ours"], results["naive"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
