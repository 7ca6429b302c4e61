"""The page's questions answered by the core in memory, by DuckDB and by a local Spark: the latency of
each (median of ``--runs`` after one warm-up, which is shown too), each engine's start and load, and
the same at ten times the size from Parquet (the file's events ten times over, row numbers continued:
every count ten times the 1M one, which the script checks).

    python benchmarks/engines.py                            # /tmp/timeline-bench-1000000.csv
    python benchmarks/engines.py --times 10 --engines duckdb,spark
    python benchmarks/engines.py --times 0                  # 1M only

Every engine's answers are checked against the core's before they are timed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dashboard.core import sql
from dashboard.core.aggregate import density, in_window
from dashboard.core.model import Timeline
from dashboard.core.query import View, facet_counts, filter_events, sorted_rows
from dashboard.io.engines import DuckDB, Engine, Spark, events_table, spark_session
from dashboard.io.formats import load_timeline
from dashboard.render.figure import most_important, x_extent

DEFAULT_CSV = Path(tempfile.gettempdir()) / "timeline-bench-1000000.csv"
VIEW = View(themes=("diplomacy", "trade", "war", "science"), start="1500", end="1950")
"""What the reader looks at: four lanes and four and a half centuries."""
SEARCH = View(text="summit")
LABELS = 400
PAGE = 100
QUESTIONS = ("count", "facets", "density", "labels", "page 1", "search one word")

Question = Callable[[], Any]


def core_questions(timeline: Timeline, x0: float, x1: float) -> dict[str, Question]:
    """The core's answers, its filter memo emptied first (what a new view costs; the search column
    and the spans it keeps per timeline stay, as an engine keeps its table)."""

    def fresh(f: Callable[[], Any]) -> Question:
        def run() -> Any:
            timeline.memo.pop("filters", None)
            return f()

        return run

    lanes = list(VIEW.themes or ())

    def visible() -> np.ndarray:
        return in_window(timeline, filter_events(timeline, VIEW), x0, x1)

    return {
        "count": fresh(lambda: len(filter_events(timeline, VIEW))),
        "facets": fresh(lambda: facet_counts(timeline, VIEW)),
        "density": fresh(lambda: density(timeline, visible(), lanes, x0, x1).per_lane),
        "labels": fresh(lambda: most_important(timeline, visible(), LABELS)),
        "page 1": fresh(lambda: sorted_rows(timeline, VIEW, filter_events(timeline, VIEW), "when", False)[:PAGE]),
        "search one word": fresh(lambda: len(filter_events(timeline, SEARCH))),
    }


def sql_questions(run: sql.Run, themes: list[str], x0: float, x1: float) -> dict[str, Question]:
    where = sql.match_filter(themes, VIEW)
    lanes = list(VIEW.themes or ())
    shown = where & sql.in_window(x0, x1)
    return {
        "count": lambda: sql.count(run, where),
        "facets": lambda: sql.facet_counts(run, themes, VIEW),
        "density": lambda: sql.density(run, themes, where, lanes, x0, x1).per_lane,
        "labels": lambda: sql.fetch(run, shown, ["title"], "importance", LABELS)["row"].to_numpy(),
        "page 1": lambda: sql.page(run, where, "when", False, 0, PAGE)["row"].to_numpy(),
        "search one word": lambda: sql.count(run, sql.match_filter(themes, SEARCH)),
    }


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return bool(a == b)


def timed(questions: dict[str, Question], runs: int, expect: dict[str, Any] | None) -> dict[str, tuple[float, float]]:
    """Per question: (first run, median of ``runs`` more), in seconds; answers checked against ``expect``."""
    out = {}
    for name, ask in questions.items():
        t0 = time.perf_counter()
        answer = ask()
        first = time.perf_counter() - t0
        if expect is not None and name in expect and not same(answer, expect[name]):
            raise SystemExit(f"engines: {name!r} differs from the core's answer")
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            ask()
            times.append(time.perf_counter() - t0)
        out[name] = (first, statistics.median(times))
    return out


def times_over(timeline: Timeline, times: int, folder: Path) -> list[Path]:
    """The timeline's events table written ``times`` over as Parquet parts (row numbers continued)."""
    table = events_table(timeline)
    parts = []
    for i in range(times):
        path = folder / f"part-{i:03d}.parquet"
        if not path.exists():
            shifted = table.set_column(
                table.schema.get_field_index("row"), "row", pc.add(table["row"], pa.scalar(i * len(table), pa.int64()))
            )
            pq.write_table(shifted, path, compression="zstd", row_group_size=1 << 20)
        parts.append(path)
    return parts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=DEFAULT_CSV, help=f"the timeline (default {DEFAULT_CSV})")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per question after the warm-up (default 5)")
    ap.add_argument("--engines", default="core,duckdb,spark", help="which to measure (default core,duckdb,spark)")
    ap.add_argument("--times", type=int, default=10, help="the larger table: the file this many times over (0: none)")
    ap.add_argument("--parts", type=Path, default=Path(tempfile.gettempdir()) / "timeline-engines-parts")
    ap.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE", help="more Spark settings")
    args = ap.parse_args(argv)
    wanted = set(args.engines.split(","))
    conf = dict(kv.split("=", 1) for kv in args.spark_conf)

    t0 = time.perf_counter()
    timeline = load_timeline(args.file)
    n = len(timeline.events)
    print(f"{args.file}: {n:,} events, loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    x0, x1 = x_extent(timeline, VIEW, filter_events(timeline, VIEW))
    core = core_questions(timeline, x0, x1)
    expect = {name: ask() for name, ask in core.items()}
    columns: dict[str, dict[str, tuple[float, float]]] = {}
    setup: dict[str, str] = {}
    if "core" in wanted:
        columns[f"core {n / 1e6:g}M"] = timed(core, args.runs, None)

    engines: list[tuple[str, Callable[[], Engine]]] = []
    if "duckdb" in wanted:
        engines.append(("DuckDB", lambda: DuckDB.of_timeline(timeline)))
    if "spark" in wanted:
        t0 = time.perf_counter()
        spark_session(conf=conf)
        setup["Spark: session start (JVM)"] = f"{time.perf_counter() - t0:.1f} s"
        engines.append(("Spark", lambda: Spark.of_timeline(timeline)))
    for name, make in engines:
        t0 = time.perf_counter()
        engine = make()
        setup[f"{name}: load {n / 1e6:g}M from memory"] = f"{time.perf_counter() - t0:.1f} s"
        print(f"{name} loaded", flush=True)
        columns[f"{name} {n / 1e6:g}M"] = timed(sql_questions(engine.run, timeline.themes, x0, x1), args.runs, expect)
        engine.close()

    if args.times > 0 and engines:
        args.parts.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        parts = times_over(timeline, args.times, args.parts)
        size = sum(p.stat().st_size for p in parts)
        setup[f"Parquet x{args.times}"] = f"{size / 1e6:,.0f} MB, {time.perf_counter() - t0:.1f} s to write (or find)"
        big = args.times * n
        scaled = {k: args.times * expect[k] for k in ("count", "search one word")}
        scaled["facets"] = {t: args.times * c for t, c in expect["facets"].items()}
        scaled["density"] = args.times * expect["density"]
        for name, _ in engines:
            t0 = time.perf_counter()
            engine = DuckDB.of_parquet(parts) if name == "DuckDB" else Spark.of_parquet(parts)
            setup[f"{name}: open {big / 1e6:g}M Parquet"] = f"{time.perf_counter() - t0:.1f} s"
            print(f"{name} opened {big:,}", flush=True)
            columns[f"{name} {big / 1e6:g}M"] = timed(
                sql_questions(engine.run, timeline.themes, x0, x1), args.runs, scaled
            )
            engine.close()

    print(f"\nmedian of {args.runs} after one warm-up (the warm-up in brackets), ms\n")
    print("| question | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for q in QUESTIONS:
        cells = [f"{columns[c][q][1] * 1e3:,.0f} ({columns[c][q][0] * 1e3:,.0f})" for c in columns]
        print(f"| {q} | " + " | ".join(cells) + " |")
    print()
    for label, value in setup.items():
        print(f"{label}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
