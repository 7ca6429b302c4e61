"""Where a click's time goes beyond memory: what the server computes for each click, timed in this
process on a built store, answered from the precomputed tables (``core.tiles``) and, as the
baseline in the same run, from the events alone (the same store, its tables left out).

A click is what the figure callback computes (summary, figure and overview strip, as
``web.callbacks.figure`` does), or what the table asks (a page in time order, a selected event's
place in it). Each is timed once per side (a page's questions are asked once; the engine's answers
are remembered after that); both sides must agree on every answer.

    python benchmarks/clicks.py /tmp/timeline-bench-10000000.parquet

The store is the one ``timeline serve FILE --engine duckdb`` uses (in the user's cache folder),
built first if there is none.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scale import UNTICKS, ZOOMS
from dashboard.core import sql
from dashboard.core.model import Timeline
from dashboard.core.query import View
from dashboard.io import store
from dashboard.io.engines import PerProcess, open_engine, queried
from dashboard.io.read_options import DEFAULT_OPTIONS
from dashboard.render import queried as asked
from dashboard.render.figure import FigureOptions
from tests.synthetic import THEMES

PAGE = 50
"""Rows of a table page (as the page shows them)."""


def sides(folder: Path) -> dict[str, Timeline]:
    """The store's timeline with its tables, and the same without them (the baseline)."""
    tiled = store.open_store(folder)
    events = store.event_files(folder)
    alone = PerProcess(lambda: open_engine("duckdb", events), name=str(folder) + " alone")
    return {"tiles": tiled, "events alone": queried(tiled, alone)}


def click(timeline: Timeline, view: View) -> tuple[Any, ...]:
    """What the figure callback computes for ``view``: (matches, points drawn, overview bars)."""
    found = asked.summary(timeline, view)
    options = FigureOptions(layout_width=1200)
    fig = asked.queried_figure(timeline, view, options, (found.matched, found.span))
    overview = asked.queried_overview(timeline, view, (found.matched, found.span), options)
    drawn = sum(len(t.get("customdata") or []) for t in fig["data"])
    return found.matched, drawn, len(overview["data"])


def timed(what: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    answer = what()
    return time.perf_counter() - t0, answer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path, help="a Parquet file of events (benchmarks/generate.py --format parquet)")
    args = ap.parse_args(argv)
    print(f"python benchmarks/clicks.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    folder = store.store_path([args.file], DEFAULT_OPTIONS)
    if not store.is_store(folder):
        print(f"building the store at {folder} ...", file=sys.stderr, flush=True)
        store.build_apart([args.file], args.file.name, folder)
    timelines = sides(folder)
    for timeline in timelines.values():
        asked.summary(timeline, View(themes=("trade",)))  # the engine opened, the files' footers read
    total = next(iter(timelines.values())).size
    row = total // 3
    questions: list[tuple[str, Callable[[Timeline], Any]]] = [
        (f"untick {view_gone(view)}", lambda tl, v=view: click(tl, v)) for view in UNTICKS
    ]
    questions += [(f"zoom {i + 1}", lambda tl, v=view: click(tl, v)) for i, view in enumerate(ZOOMS)]
    questions += [
        ("table page 1 by date", lambda tl: table_page(tl, 0)),
        (f"table page at row {total // 2:,} by date", lambda tl: table_page(tl, total // 2)),
        (f"place of row {row:,} by date", lambda tl: asked.position(tl, View(), "when", False, row)),
    ]
    print(f"\n{total:,} events, store {folder}\n")
    print("| click | tiles | events alone |")
    print("| --- | --- | --- |")
    for label, question in questions:
        times, answers = [], []
        for timeline in timelines.values():
            seconds, answer = timed(lambda q=question, tl=timeline: q(tl))
            times.append(seconds)
            answers.append(answer)
        if answers[0] != answers[1]:
            print(f"the sides disagree on {label}: {answers}", file=sys.stderr)
            return 1
        print(f"| {label} | {times[0]:.3f} s | {times[1]:.3f} s |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


def view_gone(view: View) -> str:
    return next(t for t in THEMES[:12] if view.themes is not None and t not in view.themes)


def table_page(timeline: Timeline, offset: int) -> tuple[int, list[int]]:
    """A page as the table callback asks it (the columns it shows): how many match, the page's rows."""
    frame, matched = asked.page(timeline, View(), "when", False, offset, PAGE, sql.table_columns(timeline))
    return matched, frame["row"].tolist()


if __name__ == "__main__":
    sys.exit(main())
