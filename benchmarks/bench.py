"""Benchmark: this project against the naive approach, at the same time, on the same file.

The naive baseline is what a timeline built straight on plotly does: read the CSV
with pandas, and on every callback filter the frame and send every matching event
as a plotly point with its hover text. Each side runs in its own process (so peak
RSS is its own), serving its real Dash callback through Flask's test client for
20 varied filter and zoom states.

    python benchmarks/bench.py --events 1000000            # generates the file if needed
    python benchmarks/bench.py --events 200000 --browser   # also time untick -> redraw in Chromium
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.filters import View

from benchmarks.dashreq import callback_body
from dashboard import dates

THEMES = [
    "diplomacy",
    "security",
    "trade",
    "war",
    "china",
    "korea",
    "memory",
    "politics",
    "culture",
    "migration",
    "religion",
    "science",
]


def ms(text: str, end: bool = False) -> float:
    start, _, last = dates.parse_date(text)
    return last if end else start


STATES = [
    View(),
    View(themes=("trade", "war")),
    View(themes=("diplomacy",)),
    View(start="1900", end="2000"),
    View(text="harris"),
    View(text="treaty kyoto"),
    View(x_range=(ms("1945"), ms("1950", True))),
    View(x_range=(ms("2000"), ms("2001", True))),
    View(x_range=(ms("-1000"), ms("0001"))),
    View(themes=("security", "china"), start="1800", end="1950"),
    View(start="1600", end="1700", text="summit"),
    View(x_range=(ms("1990-01"), ms("1990-02", True))),
    View(themes=tuple(t for t in THEMES if t != "diplomacy")),
    View(x_range=(ms("1800"), ms("2025", True))),
    View(text="summit", x_range=(ms("1950"), ms("1960", True))),
    View(themes=("memory",), x_range=(ms("2010"), ms("2012", True))),
    View(start="-3000", end="-1000"),
    View(themes=("war",), text="battle"),
    View(x_range=(ms("2020-03-01"), ms("2020-03-20"))),
    View(themes=("korea", "trade"), start="1950", end="1953", x_range=(ms("1950"), ms("1953", True))),
]
EXPORT_STATES = [STATES[1], STATES[3], STATES[6]]


def view_store(view: View) -> dict:
    from dataclasses import asdict

    return asdict(view)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the naive baseline ---------------------------------------------------------


def naive_load(path: Path):
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["start"] = pd.to_datetime(df["date"], format="ISO8601", errors="coerce")
    df["end_dt"] = pd.to_datetime(df["end_date"], format="ISO8601", errors="coerce")
    return df


def naive_figure(df, view: View):
    import plotly.graph_objects as go

    sel = df
    if view.themes is not None:
        pattern = "|".join(view.themes) or "^$"
        sel = sel[sel["themes"].str.contains(pattern)]
    if view.start:
        sel = sel[sel["start"] >= naive_date(view.start)]
    if view.end:
        sel = sel[sel["start"] <= naive_date(view.end)]
    for word in view.text.split():
        sel = sel[
            sel["title"].str.contains(word, case=False)
            | sel["description"].str.contains(word, case=False)
            | sel["actors"].str.contains(word, case=False)
        ]
    fig = go.Figure()
    for theme in view.themes if view.themes is not None else THEMES:
        lane = sel[sel["themes"].str.contains(theme)]
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
    if view.x_range:
        import pandas as pd

        fig.update_xaxes(range=[pd.Timestamp(view.x_range[0], unit="ms"), pd.Timestamp(view.x_range[1], unit="ms")])
    return fig, len(sel)


def naive_date(text: str):
    import pandas as pd

    return pd.to_datetime(text, format="ISO8601")


def naive_app(df):
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
        from dashboard.callbacks import view_from_store

        fig, n = naive_figure(df, view_from_store(stored))
        return fig, f"{n:,} events match"

    return app


# -- one side, in its own process -------------------------------------------------


def run_side(side: str, path: Path) -> dict:
    out: dict = {"side": side}
    t0 = time.perf_counter()
    if side == "ours":
        from dashboard.app import create_app

        from dashboard import cache

        # As `timeline serve` does: the cache is written in the background while the app starts.
        timeline = cache.load(path, background=True)
        out["load_s"] = time.perf_counter() - t0
        for thread in threading.enumerate():
            if thread.name == "timeline-cache":
                thread.join()
        t0 = time.perf_counter()
        timeline = cache.load(path)
        out["cached_load_s"] = time.perf_counter() - t0
        app = create_app(timeline)
        outputs = [
            ("timeline", "figure"),
            ("overview", "figure"),
            ("match-count", "children"),
            ("themes", "options"),
            ("filter-error", "children"),
            ("page-title", "children"),
        ]
    else:
        df = naive_load(path)
        out["load_s"] = time.perf_counter() - t0
        out["cached_load_s"] = None
        app = naive_app(df)
        outputs = [("timeline", "figure"), ("match-count", "children")]
    client = app.server.test_client()
    times, sizes = [], []
    for view in STATES:
        payload = callback_body(
            outputs,
            [("view", "data", view_store(view)), ("layout-width", "data", 1200)],
            state=[("dataset", "data", None)] if side == "ours" else [],
            changed=["view.data"],
        )
        t0 = time.perf_counter()
        resp = client.post("/_dash-update-component", json=payload)
        body = resp.get_data()
        times.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            raise RuntimeError(f"{side}: {view} -> HTTP {resp.status_code}: {body[:300]!r}")
        sizes.append(len(body))
    out["callback_ms"] = [t * 1000 for t in times]
    out["bytes"] = sizes

    import kaleido
    import plotly.io as pio

    kaleido.start_sync_server(silence_warnings=True)
    export_times = []
    for i, view in enumerate([EXPORT_STATES[0], *EXPORT_STATES]):  # the first one warms the browser up
        t0 = time.perf_counter()
        if side == "ours":
            from dashboard.export import render_view

            render_view(timeline, view, "png")
        else:
            fig, _ = naive_figure(df, view)
            pio.to_image(fig, format="png", width=1600, height=800, scale=2)
        if i:
            export_times.append(time.perf_counter() - t0)
    kaleido.stop_sync_server(silence_warnings=True)
    out["export_s"] = statistics.median(export_times)
    out["rss_mb"] = peak_rss_mb()
    return out


# -- the browser: untick a theme, wait for the redraw --------------------------------


def browser_redraw(url: str, timeout_s: float = 120) -> float:
    """Median seconds from unticking a theme to the graph redrawn, over three changes."""
    from playwright.sync_api import sync_playwright

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
        page = b.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(timeout_s * 1000)
        page.goto(url)
        page.wait_for_selector("#timeline .js-plotly-plot .main-svg", state="attached")
        page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
        time.sleep(1)
        page.evaluate("""() => { const gd = document.querySelector('#timeline .js-plotly-plot');
            window.__plots = 0; gd.on('plotly_afterplot', () => { window.__plots += 1; }); }""")
        samples = []
        for theme in ("trade", "war", "trade"):
            before = page.evaluate("() => window.__plots")
            t0 = page.evaluate("() => performance.now()")
            page.locator(f"#themes input[value='{theme}']").click()
            page.wait_for_function("n => window.__plots > n", arg=before)
            # Dash may redraw in two steps (new figure, then layout): wait until it settles.
            page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
            samples.append((page.evaluate("() => performance.now()") - t0) / 1000)
            page.evaluate(
                "() => { const gd = document.querySelector('#timeline .js-plotly-plot');"
                " gd.on('plotly_afterplot', () => { window.__plots += 1; }); }"
            )
        b.close()
    return statistics.median(samples)


def serve(side: str, path: Path, port: int) -> subprocess.Popen:
    cmd = (
        [sys.executable, "-m", "dashboard", "serve", str(path), "--port", str(port)]
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
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"{side} server did not start")


# -- the table ---------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def table(n: int, ours: dict, naive: dict, browser: dict | None) -> str:
    rows = [
        ("load (cold)", f"{ours['load_s']:.2f} s", f"{naive['load_s']:.2f} s", naive["load_s"] / ours["load_s"]),
        ("load (cached)", f"{ours['cached_load_s']:.2f} s", "n/a", None),
        (
            "callback p50",
            f"{pct(ours['callback_ms'], 50):.0f} ms",
            f"{pct(naive['callback_ms'], 50):.0f} ms",
            pct(naive["callback_ms"], 50) / pct(ours["callback_ms"], 50),
        ),
        (
            "callback p95",
            f"{pct(ours['callback_ms'], 95):.0f} ms",
            f"{pct(naive['callback_ms'], 95):.0f} ms",
            pct(naive["callback_ms"], 95) / pct(ours["callback_ms"], 95),
        ),
        (
            "response max",
            f"{max(ours['bytes']) / 1e6:.2f} MB",
            f"{max(naive['bytes']) / 1e6:.2f} MB",
            max(naive["bytes"]) / max(ours["bytes"]),
        ),
        (
            "response median",
            f"{statistics.median(ours['bytes']) / 1e6:.2f} MB",
            f"{statistics.median(naive['bytes']) / 1e6:.2f} MB",
            statistics.median(naive["bytes"]) / statistics.median(ours["bytes"]),
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
        rows.append(
            (
                "untick -> redrawn (Chromium)",
                f"{browser['ours']:.2f} s",
                "timeout" if browser["naive"] is None else f"{browser['naive']:.2f} s",
                None if browser["naive"] is None else browser["naive"] / browser["ours"],
            )
        )
    head = f"| {n:,} events | ours | naive baseline | naive / ours |\n| --- | --- | --- | --- |"
    body = "\n".join(f"| {name} | {a} | {b} | {'' if r is None else f'{r:,.1f}x'} |" for name, a, b, r in rows)
    return head + "\n" + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--file", type=Path, help="events CSV (default: generated in /tmp)")
    ap.add_argument("--browser", action="store_true", help="also time untick -> redraw in headless Chromium")
    ap.add_argument("--side", choices=["ours", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--serve-naive", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=8071, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.serve_naive:
        naive_app(naive_load(args.serve_naive)).run(host="127.0.0.1", port=args.port, debug=False)
        return 0
    path = args.file or Path(f"/tmp/timeline-bench-{args.events}.csv")
    if args.side:
        print(json.dumps(run_side(args.side, path)))
        return 0
    if not path.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", str(args.events), "-o", str(path)],
            check=True,
        )
    for stale in (path.with_name(f".{path.name}.timeline-cache"),):
        stale.unlink(missing_ok=True)  # measure a cold load first
    results = {}
    for side in ("ours", "naive"):
        print(f"bench: running {side} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--side", side, "--file", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        results[side] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"bench: {side} done in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    browser = None
    if args.browser:
        browser = {}
        for side, port in (("ours", args.port), ("naive", args.port + 1)):
            print(f"bench: browser, {side} ...", file=sys.stderr, flush=True)
            proc = serve(side, path, port)
            try:
                browser[side] = browser_redraw(f"http://127.0.0.1:{port}/")
            except Exception as exc:  # the naive side may not redraw within the time limit
                print(f"bench: {side} browser run failed: {type(exc).__name__}", file=sys.stderr)
                browser[side] = None
            finally:
                proc.terminate()
                proc.wait(30)
    print(table(args.events, results["ours"], results["naive"], browser))
    print(
        f"\ncallback states: {len(STATES)}; ours per state (ms): "
        + ", ".join(f"{t:.0f}" for t in results["ours"]["callback_ms"])
    )
    print("naive per state (ms): " + ", ".join(f"{t:.0f}" for t in results["naive"]["callback_ms"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
