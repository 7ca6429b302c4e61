"""Every engine gives the same answers as the core in memory: for a table of views, the same
matches, counts per theme, density per lane and period, label candidates, table pages and figures.
DuckDB always; Spark (marked ``spark``) in local mode, one Spark for the whole test session."""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.core import sql
from dashboard.core.aggregate import density, in_window
from dashboard.core.model import Timeline
from dashboard.core.query import View, facet_counts, filter_events, sorted_rows
from dashboard.io import engines, held
from dashboard.io.engines import DuckDB, Engine, EngineError, PerProcess, Spark, events_table, open_engine, queried
from dashboard.io.formats import parse_events
from dashboard.render.figure import FigureOptions, build_figure, build_overview, most_important, x_extent
from dashboard.render.images import EXPORT_WIDTH
from dashboard.render.queried import queried_figure, queried_overview
from tests.timelines import date_ms, deep_timeline, synthetic_timeline, uncertain_timeline

ms = date_ms


@pytest.fixture(scope="module")
def synthetic() -> Timeline:
    return synthetic_timeline()


ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


def engine_of(kind: str, timeline: Timeline, request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine: Engine
    if kind == "spark":
        request.getfixturevalue("spark")  # the test session's one local Spark
        engine = Spark.of_timeline(timeline)
    else:
        engine = DuckDB.of_timeline(timeline)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def synthetic_engines(synthetic, request) -> Iterator[Callable[[str], Engine]]:
    """One engine of each kind over the synthetic events for the whole module, opened when first asked
    for: the tests below give each case its own parameters, which a module-scoped parametrized
    fixture would take for a new engine each time (a Spark session and a Parquet copy per case)."""
    opened: dict[str, Iterator[Engine]] = {}
    engines: dict[str, Engine] = {}

    def get(kind: str) -> Engine:
        if kind not in engines:
            opened[kind] = engine_of(kind, synthetic, request)
            engines[kind] = next(opened[kind])
        return engines[kind]

    yield get
    for closing in opened.values():
        next(closing, None)


@pytest.fixture(params=ENGINES)
def synthetic_engine(request, synthetic_engines) -> Engine:
    return synthetic_engines(request.param)


VIEWS = [
    View(),
    View(themes=("trade", "war")),
    View(themes=()),
    View(themes=("diplomacy",), start="-2000", end="0500"),
    View(start="1500", end="1950"),
    View(start="1945-08", end="1945-08-15"),
    View(start="c. 1600", end="1700"),
    View(text="summit"),
    View(text="TREATY kyoto"),
    View(text="no such word anywhere"),
    View(themes=("security", "china"), start="1800", end="1950", text="accord"),
    View(text="title:kyoto"),
    View(text="title:Summit kyoto"),
]
WINDOWS = [
    None,  # the whole extent of the matches
    ("1945", "1950"),
    ("1990-01", "1990-02"),
    ("-1000", "0001"),
    ("2020-03-01", "2020-03-20"),
    ("1800", "2025"),
]


def view_id(view: View) -> str:
    return view.to_query() or "all"


def lanes_of(timeline: Timeline, view: View) -> list[str]:
    return [t for t in timeline.themes if view.themes is None or t in view.themes]


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
def test_matches_and_counts_per_theme(synthetic, synthetic_engine, view):
    rows = filter_events(synthetic, view)
    where = sql.match_filter(synthetic.themes, view)
    assert sql.count(synthetic_engine.run, where) == len(rows)
    assert sql.facet_counts(synthetic_engine.run, synthetic.themes, view) == facet_counts(synthetic, view)
    found = sql.summary(synthetic_engine.run, synthetic.themes, view)
    assert found.matched == len(rows) and found.facets == facet_counts(synthetic, view)
    assert found.span == extent(synthetic, rows)  # as sql.stats gives it (test_the_extent_of_the_matches)
    everything = sql.page(synthetic_engine.run, where, "when", False, 0, len(synthetic.events))["row"]
    assert sorted(everything.tolist()) == rows.tolist()


DENSITY_VIEWS = [v for v in VIEWS[:7] if v.themes != ()]


def pairs(first: list[Any], second: list[Any], name: Callable[[Any, Any], str]) -> list[Any]:
    """Cases of (engine, a, b): on DuckDB every a with every b; on Spark, where each query is a job
    taking tens to hundreds of milliseconds, every a and every b once (a[i] with b[i]): the same SQL
    shapes in fewer queries."""
    cases = [pytest.param("duckdb", a, b, id=f"duckdb-{name(a, b)}") for a in first for b in second]
    for i in range(max(len(first), len(second))):
        a, b = first[i % len(first)], second[i % len(second)]
        cases.append(pytest.param("spark", a, b, id=f"spark-{name(a, b)}", marks=pytest.mark.spark))
    return cases


@pytest.mark.parametrize(
    ("synthetic_engine", "view", "window"),
    pairs(DENSITY_VIEWS, WINDOWS, lambda v, w: f"{view_id(v)}-{w}"),
    indirect=["synthetic_engine"],
)
def test_density_and_labels(synthetic, synthetic_engine, view, window):
    rows = filter_events(synthetic, view)
    x0, x1 = x_extent(synthetic, view, rows) if window is None else (ms(window[0]), ms(window[1], True))
    lanes = lanes_of(synthetic, view)
    visible = in_window(synthetic, rows, x0, x1)
    where = sql.match_filter(synthetic.themes, view)
    assert sql.count(synthetic_engine.run, where & sql.in_window(x0, x1)) == len(visible)
    if len(visible):
        ours = sql.density(synthetic_engine.run, synthetic.themes, where, lanes, x0, x1)
        theirs = density(synthetic, visible, lanes, x0, x1)
        assert ours.total.sum() == len(visible)
        np.testing.assert_array_equal(ours.buckets.edges, theirs.buckets.edges)
        np.testing.assert_array_equal(ours.total, theirs.total)
        np.testing.assert_array_equal(ours.per_lane, theirs.per_lane)
    candidates = sql.fetch(synthetic_engine.run, where & sql.in_window(x0, x1), ["title"], "importance", 400)
    window_rows = candidates["row"].to_numpy()
    np.testing.assert_array_equal(window_rows, most_important(synthetic, visible, 400))


PAGE_VIEWS = [View(), View(themes=("trade",), start="1900")]
ORDERS = [(column, descending) for column in ("when", "title", "location", "themes") for descending in (False, True)]


@pytest.mark.parametrize(
    ("synthetic_engine", "view", "order_by"),
    pairs(PAGE_VIEWS, ORDERS, lambda v, o: f"{view_id(v)}-{o[0]}-{'desc' if o[1] else 'asc'}"),
    indirect=["synthetic_engine"],
)
def test_table_pages_in_the_tables_order(synthetic, synthetic_engine, view, order_by):
    column, descending = order_by
    rows = filter_events(synthetic, view)
    order = sorted_rows(synthetic, view, rows, column, descending)
    where = sql.match_filter(synthetic.themes, view)
    for offset in (0, 50, len(rows) - 10):
        page = sql.page(synthetic_engine.run, where, column, descending, offset, 25)["row"]
        np.testing.assert_array_equal(page, order[offset : offset + 25])
    # On DuckDB eight rows spread over the order; on Spark, where each is a job of 0.1 to 0.3 CPU-seconds,
    # the first, middle and last: the same ranking query, its ends and its middle.
    probes = (
        order[:: max(len(order) // 7, 1)] if isinstance(synthetic_engine, DuckDB) else order[[0, len(order) // 2, -1]]
    )
    for row in probes:
        assert sql.position(synthetic_engine.run, where, column, descending, int(row)) == int(
            np.flatnonzero(order == row)[0]
        )
    assert (
        sql.position(synthetic_engine.run, sql.match_filter(synthetic.themes, View(themes=())), column, descending, 0)
        is None
    )


def extent(timeline: Timeline, rows: np.ndarray) -> tuple[float, float] | None:
    """The earliest and latest ms the events at ``rows`` may cover (None for no rows), from the core."""
    if not len(rows):
        return None
    lo = float(np.fmin(timeline.column("earliest"), timeline.column("start"))[rows].min())
    hi = float(np.fmax(timeline.column("latest"), timeline.column("last"))[rows].max())
    return lo, hi


def test_the_extent_of_the_matches(synthetic, synthetic_engine):
    for view in VIEWS:
        rows = filter_events(synthetic, view)
        n, found = sql.stats(synthetic_engine.run, sql.match_filter(synthetic.themes, view))
        assert n == len(rows)
        assert found == extent(synthetic, rows)


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("make", [uncertain_timeline, deep_timeline], ids=["uncertain", "deep"])
def test_uncertain_and_deep_time(make, kind, tmp_path, request):
    timeline = make(tmp_path)
    for engine in engine_of(kind, timeline, request):
        view = View()
        rows = filter_events(timeline, view)
        x0, x1 = x_extent(timeline, view, rows)
        lanes = lanes_of(timeline, view)
        ours = sql.density(engine.run, timeline.themes, sql.match_filter(timeline.themes, view), lanes, x0, x1)
        theirs = density(timeline, in_window(timeline, rows, x0, x1), lanes, x0, x1)
        np.testing.assert_array_equal(ours.per_lane, theirs.per_lane)
        np.testing.assert_array_equal(ours.total, theirs.total)
        for text in ("1600", "c. 1600", "1590s", "[1590..1610]"):
            narrowed = View(start=text, end=text)
            where = sql.match_filter(timeline.themes, narrowed)
            assert sql.count(engine.run, where) == len(filter_events(timeline, narrowed)), text


@pytest.mark.parametrize("kind", ENGINES)
def test_theme_64_is_a_bit_like_the_others(kind, request):
    """Bit 63 is the sign bit of the engine's integer: a 64th theme is filtered, counted and sorted as
    the first."""
    csv = "date,title,themes\n" + "".join(f"{1900 + i},Event {i},t{i};t{(i + 1) % 64}\n" for i in range(64))
    timeline = parse_events(csv.encode(), "wide.csv")
    themes = timeline.themes
    assert len(themes) == 64
    for engine in engine_of(kind, timeline, request):
        for view in (View(themes=(themes[63],)), View(themes=(themes[0], themes[63])), View()):
            where = sql.match_filter(themes, view)
            assert sql.count(engine.run, where) == len(filter_events(timeline, view))
            assert sql.facet_counts(engine.run, themes, view) == facet_counts(timeline, view)
        order = sorted_rows(timeline, View(), filter_events(timeline, View()), "themes", False)
        np.testing.assert_array_equal(
            sql.page(engine.run, sql.match_filter(themes, View()), "themes", False, 0, 64)["row"], order
        )


def test_values_travel_as_parameters(synthetic, synthetic_engine):
    """A search for SQL's own characters finds them as text and runs nothing."""
    for text in ("'; DROP TABLE events; --", "100%", "a_b", "\\", "it's"):
        view = View(text=text)
        assert sql.count(synthetic_engine.run, sql.match_filter(synthetic.themes, view)) == len(
            filter_events(synthetic, view)
        )
    assert sql.count(synthetic_engine.run, sql.EVERYTHING) == len(synthetic.events)


FIGURE_VIEWS = [
    View(),
    View(themes=("trade", "war")),
    View(start="1500", end="1950"),
    View(text="summit"),
    View(text="no such word anywhere"),
    View(themes=()),
    View(x_range=(ms("1945"), ms("1950", True))),
    View(x_range=(ms("1990-01"), ms("1990-02", True))),
    View(themes=("diplomacy",), x_range=(ms("2020-03-01"), ms("2020-03-20"))),
    View(start="1800", end="1950", x_range=(ms("1800"), ms("2025", True))),
]


def as_json(figure: object) -> object:
    return json.loads(json.dumps(figure, cls=PlotlyJSONEncoder, sort_keys=True))


@pytest.mark.parametrize(
    ("synthetic_engine", "view"),
    [pytest.param("duckdb", v, id=f"duckdb-{view_id(v)}") for v in FIGURE_VIEWS]
    # On Spark (each figure asks a dozen queries): the whole extent, a search, a zoom to days with a theme.
    + [
        pytest.param("spark", FIGURE_VIEWS[i], id=f"spark-{view_id(FIGURE_VIEWS[i])}", marks=pytest.mark.spark)
        for i in (0, 3, 8)
    ],
    indirect=["synthetic_engine"],
)
def test_the_engines_figure_is_the_core_figure(synthetic, synthetic_engine, view):
    """The figure drawn from what the engine sends (counts, density, the events drawn) is the figure
    drawn from the whole timeline in memory: same points, bars, labels, axis and subtitle."""
    away = queried(synthetic, synthetic_engine)
    assert away.events.empty and away.size == len(synthetic.events)
    # as on the page, and as an image export draws it (its print width: labels are picked for it)
    for options in (FigureOptions(title="Same", layout_width=1200), FigureOptions(title="Same", width=EXPORT_WIDTH)):
        assert as_json(queried_figure(away, view, options)) == as_json(build_figure(synthetic, view, options))
    rows = filter_events(synthetic, view)
    assert as_json(queried_overview(away, view)) == as_json(build_overview(synthetic, view, rows))


def test_answers_are_shared_between_concurrent_requests(synthetic):
    """Sixteen threads asking twelve views at once, through one remembering engine per process: each
    gets the answer the core gives, and each distinct question reaches the engine once."""
    asked: list[str] = []
    inner = DuckDB.of_timeline(synthetic)

    class Counting:
        def run(self, text, args):
            asked.append(text + repr(args))
            return inner.run(text, args)

        def close(self):
            inner.close()

    shared = PerProcess(Counting)
    views = [v for v in VIEWS if v.themes != ()] + [View(text="treaty"), View(start="1000")]
    expected = {v: len(filter_events(synthetic, v)) for v in views}

    def ask(i: int) -> tuple[View, int]:
        view = views[i % len(views)]
        return view, sql.count(shared.run, sql.match_filter(synthetic.themes, view))

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(16 * len(views))))
    assert all(n == expected[v] for v, n in answers)
    assert len(asked) == len(set(asked)) == len(views)
    shared.close()


@pytest.mark.spark
def test_spark_connect_gives_the_same_answers(synthetic, spark_connect):
    """Through a Spark Connect client (gRPC, results as Arrow batches), to the test Spark's own
    server: the same SQL text, the same answers, for a view with themes, dates and words at once."""
    engine = Spark.of_timeline(synthetic, remote=spark_connect)
    try:
        view = VIEWS[-1]
        rows = filter_events(synthetic, view)
        assert len(rows) > 0
        options = FigureOptions(title="Same", layout_width=1200)
        away = queried(synthetic, engine)
        assert as_json(queried_figure(away, view, options)) == as_json(build_figure(synthetic, view, options))
        where = sql.match_filter(synthetic.themes, view)
        assert sql.facet_counts(engine.run, synthetic.themes, view) == facet_counts(synthetic, view)
        order = sorted_rows(synthetic, view, rows, "themes", True)
        page = sql.page(engine.run, where, "themes", True, 0, 25, ["title"])
        np.testing.assert_array_equal(page["row"], order[:25])
        assert page["title"].tolist() == synthetic.events["title"].to_numpy()[order[:25]].tolist()
        assert sql.position(engine.run, where, "themes", True, int(order[3])) == 3
    finally:
        engine.close()


@pytest.fixture(scope="module")
def parquet_parts(synthetic, tmp_path_factory) -> list[Path]:
    """The synthetic events as an engine reads them, in two Parquet parts."""
    folder = tmp_path_factory.mktemp("parts")
    table = events_table(synthetic)
    half = len(table) // 2
    parts = [folder / "part-0.parquet", folder / "part-1.parquet"]
    pq.write_table(table.slice(0, half), parts[0])
    pq.write_table(table.slice(half), parts[1])
    return parts


@pytest.mark.parametrize("kind", ENGINES)
def test_parquet_parts_read_where_they_lie(kind, synthetic, parquet_parts, request):
    """What ``timeline serve --engine`` will open: Parquet parts as one table, some rows kept."""
    if kind == "spark":
        request.getfixturevalue("spark")
    engine = open_engine(kind, parquet_parts, where="importance >= 3")
    try:
        view = View(themes=("trade",), start="1900")
        rows = filter_events(synthetic, view)
        kept = rows[synthetic.column("importance")[rows] >= 3]
        assert 0 < len(kept) < len(rows)
        where = sql.match_filter(synthetic.themes, view)
        assert sql.count(engine.run, where) == len(kept)
        order = sorted_rows(synthetic, view, rows, "title", True)  # remembered per view: the kept rows in it
        np.testing.assert_array_equal(
            sql.page(engine.run, where, "title", True, 0, 30)["row"], order[np.isin(order, kept)][:30]
        )
    finally:
        engine.close()


def test_parts_are_joined_by_their_columns_names(parquet_parts, tmp_path):
    """DuckDB joins several files by column name: a part whose columns come in another order (or one
    a part lacks) still gives each value its column."""
    first = pq.read_table(parquet_parts[0])
    second = pq.read_table(parquet_parts[1])
    reordered = second.select(list(reversed(second.column_names))).drop_columns(["hay"])
    pq.write_table(reordered, tmp_path / "part-1.parquet")
    engine = DuckDB.of_parquet([parquet_parts[0], tmp_path / "part-1.parquet"])
    try:
        rows = engine.run("SELECT row, id, hay IS NULL FROM events ORDER BY row", ())
    finally:
        engine.close()
    ids = first["id"].to_pylist() + second["id"].to_pylist()
    assert [(r, i) for r, i, _ in rows] == list(zip(range(len(ids)), ids))
    assert [gone for _, _, gone in rows] == [False] * len(first) + [True] * len(second)


@pytest.mark.spark
@pytest.mark.parametrize(
    ("name", "remote", "said"),
    [
        ("spark", "sc://127.0.0.1:1", "no Spark Connect server at 127.0.0.1:1"),
        ("spark", "http://127.0.0.1:15002", "not a Spark Connect address: 'http://127.0.0.1:15002'"),
        ("duckdb", "sc://127.0.0.1:15002", "--spark-remote is for the Spark engine"),
        ("postgres", None, "no engine 'postgres': expected one of duckdb, spark"),
    ],
)
def test_an_engine_out_of_reach_is_said_in_one_line(name, remote, said, parquet_parts):
    with pytest.raises(EngineError) as caught:
        open_engine(name, parquet_parts, remote=remote)
    assert str(caught.value).startswith(said)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("kind", ENGINES)
def test_a_missing_part_is_said_in_one_line(kind, parquet_parts, tmp_path, request):
    if kind == "spark":
        request.getfixturevalue("spark")
    missing = tmp_path / "gone.parquet"
    with pytest.raises(EngineError) as caught:
        open_engine(kind, [parquet_parts[0], missing])
    said = str(caught.value)
    assert said.startswith(f"{'Spark' if kind == 'spark' else 'DuckDB'} cannot read {parquet_parts[0]}, {missing}: ")
    assert "gone.parquet" in said.split(": ", 1)[1]
    assert "\n" not in said


def test_spark_without_pyspark_or_java_is_said_in_one_line(parquet_parts, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(EngineError, match=r"^the Spark engine needs pyspark, which is not installed .*pip install"):
        open_engine("spark", parquet_parts)
    monkeypatch.undo()
    pytest.importorskip("pyspark")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(EngineError, match=r"^the Spark engine needs Java 17 or later"):
        open_engine("spark", parquet_parts)


@pytest.mark.spark
def test_a_timelines_copy_goes_with_its_spark_engine(spark, tmp_path, monkeypatch):
    """A local Spark reads a timeline from a Parquet copy in a temporary folder, removed at close."""
    timeline = uncertain_timeline(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    engine = Spark.of_timeline(timeline)
    (copy,) = scratch.iterdir()
    assert sorted(p.name for p in copy.iterdir()) == [held.LOCK, "events.parquet"]  # held while the engine is open
    assert sql.count(engine.run, sql.EVERYTHING) == len(timeline.events)
    engine.close()
    assert not copy.exists()


@pytest.mark.parametrize("kind", ENGINES)
def test_a_search_is_kept_as_the_rows_it_matches(kind, synthetic, request, monkeypatch):
    """``PerProcess.searched``: the engine keeps a search's rows (DuckDB a table, Spark a cached view)
    for the other questions to join; past the number kept, the oldest goes."""
    monkeypatch.setattr(engines, "SEARCHES_KEPT", 1)
    opened = engine_of(kind, synthetic, request)
    engine = next(opened)
    shared = PerProcess(lambda: engine)
    kept = []
    for view in (View(text="summit"), View(themes=("trade",), start="1900", text="TREATY kyoto")):
        where = sql.match_filter(synthetic.themes, view, searched=shared.searched)
        kept.append(where.table)
        assert kept[-1].startswith("searched_")
        # the questions read the search's own rows, but one needing a column it did not keep
        assert where.source().startswith(f"FROM {kept[-1]} WHERE")
        assert where.source(("title",)).startswith(f"FROM {sql.EVENTS} WHERE")
        assert sql.count(shared.run, where) == len(filter_events(synthetic, view)) > 0
        by_title = sql.page(shared.run, where, "title", False, 0, 5, ["title"])
        expected = sorted_rows(synthetic, view, filter_events(synthetic, view), "title", False)[:5]
        assert by_title["row"].tolist() == expected.tolist()
    held = engine.run(f"SELECT * FROM {kept[1]} LIMIT 1", [])
    assert len(held[0]) == len(sql.SEARCH_COLUMNS)
    assert engine.run(f"SELECT count(*) FROM {kept[1]}", []) == [
        (len(filter_events(synthetic, View(text="TREATY kyoto"))),)
    ]
    with pytest.raises(Exception, match=kept[0]):  # each engine says in its words that there is no such table
        engine.run(f"SELECT count(*) FROM {kept[0]}", [])
    next(opened, None)


ROW_SLICES = [
    # first, end, step, row groups -> slices
    (0, 10, 3, [], [(0, 3), (3, 6), (6, 9), (9, 10)]),
    (0, 9, 3, [], [(0, 3), (3, 6), (6, 9)]),
    (5, 12, 100, [], [(5, 12)]),
    (0, 0, 3, [], []),
    (0, 10, 3, [0, 5], [(0, 3), (3, 6), (6, 9), (9, 10)]),  # groups larger than a slice: cut inside them
    (0, 10, 5, [0, 4, 8], [(0, 8), (8, 10)]),  # whole groups, each slice past 5 rows
    (0, 10, 3, [0, 2, 4, 6, 8], [(0, 4), (4, 8), (8, 10)]),
    (0, 10, 4, [8, 0, 4, 4], [(0, 4), (4, 8), (8, 10)]),  # in any order, repeated
    (3, 10, 4, [0, 4, 8, 12], [(3, 8), (8, 10)]),  # groups beyond the rows searched count for nothing
    # a store of ten million events in chunks of 500,000 (four groups each, the last 106,784 rows)
    # (the slices checked below: whole groups, each past the step but the last)
    (0, 10_000_000, 1 << 20, [c * 500_000 + g * 131_072 for c in range(20) for g in range(4)], None),
]


@pytest.mark.parametrize(("first", "end", "step", "groups", "expected"), ROW_SLICES)
def test_rows_are_searched_in_slices_of_whole_row_groups(first, end, step, groups, expected):
    slices = engines.row_slices(first, end, step, groups)
    edges = [lo for lo, _ in slices] + [hi for _, hi in slices[-1:]]
    assert all(hi == lo2 for (_, hi), (lo2, _) in itertools.pairwise(slices))  # no gap, no overlap
    assert slices == [] if end <= first else (edges[0], edges[-1]) == (first, end)
    if expected is not None:
        assert slices == expected
    else:
        assert set(edges[1:-1]) <= set(groups)
        assert all(hi - lo >= step for lo, hi in slices[:-1]) and len(slices) == 9
        assert slices[0] == (0, 1_131_072) and slices[-1] == (9_000_000, 10_000_000)


SEARCHES = [("summit",), ("treaty", "kyoto"), ("a",), ("no such word anywhere",)]


def kept_rows(engine: DuckDB, name: str) -> list[int]:
    return sorted(int(str(r)) for (r,) in engine.run(f"SELECT row FROM {name}", []))


def one_query_and_slices(engine: DuckDB, terms: tuple[str, ...], monkeypatch, step: int) -> tuple[list, list, list]:
    """The rows a search keeps in one query (as before slices), in slices of ``step`` rows, and what
    the sliced search reported after each slice."""
    where = sql.text_filter(terms)
    engine.keep("whole", f"SELECT row FROM events WHERE {where.text}", where.args)
    monkeypatch.setenv(engines.SLICE_ROWS_VARIABLE, str(step))
    reported: list[tuple[int, int]] = []
    engine.keep_rows("sliced", where, lambda done, total: reported.append((done, total)))
    found = kept_rows(engine, "whole"), kept_rows(engine, "sliced"), reported
    engine.drop("whole")
    engine.drop("sliced")
    return found


SLICED = [(terms, step) for terms in SEARCHES for step in (1000, 4096, engines.SEARCH_SLICE_ROWS)]
SLICED.append((("treaty", "kyoto"), 7))  # 2,858 queries, for one search


@pytest.mark.parametrize(("terms", "step"), SLICED)
def test_a_search_in_slices_keeps_the_rows_one_query_keeps(synthetic, terms, step, monkeypatch):
    """``DuckDB.keep_rows``: however many rows a slice holds, the same rows as one query over all of
    them (and as the core in memory), and how far it has got after each slice, up to every row."""
    engine = DuckDB.of_timeline(synthetic, precompute=False)
    whole, sliced, reported = one_query_and_slices(engine, terms, monkeypatch, step)
    n = len(synthetic.events)
    assert sliced == whole == sorted(filter_events(synthetic, View(text=" ".join(terms))).tolist())
    assert reported == [(0, n)] + [(min(done, n), n) for done in range(step, n + step, step)]
    engine.close()


@pytest.mark.parametrize("terms", SEARCHES)
def test_a_search_in_slices_of_a_store_reads_its_row_groups(synthetic, terms, tmp_path, monkeypatch):
    """A store written in row groups of 1,000 events, searched in slices of half a group (cut inside
    groups), one and a half (cut where the second group after begins) and three groups: the same rows
    as one query."""
    from dashboard.io import store

    monkeypatch.setattr(store, "STORE_ROW_GROUP", 1000)
    store.write(synthetic, tmp_path / "store")
    (events,) = store.event_files(tmp_path / "store")
    assert pq.ParquetFile(events).metadata.num_row_groups == 20
    engine = store.open_store(tmp_path / "store").engine.engine()
    for step, ends in ((500, range(0, 20_001, 500)), (1500, range(0, 20_001, 2000)), (3000, range(0, 20_001, 3000))):
        whole, sliced, reported = one_query_and_slices(engine, terms, monkeypatch, step)
        assert sliced == whole
        assert reported == [(done, 20_000) for done in sorted({*ends, 20_000})]
    engine.close()


@pytest.mark.parametrize("folder", ["store", "cache[1]"])
def test_a_search_in_slices_of_a_store_in_pieces_reads_only_the_pieces_of_each_slice(
    synthetic, folder, tmp_path, monkeypatch
):
    """A store built in pieces (files) of 2,000 events: each slice of a search reads the pieces holding
    its rows alone (a query of every piece reads every piece's statistics first), and the search keeps
    the same rows as one query over all of them, in a folder named like a glob too."""
    from dashboard.io import store
    from tests.synthetic import generate

    data = tmp_path / "events.parquet"
    pq.write_table(
        generate(20_000, n_themes=12, seed=5), data, row_group_size=2000
    )  # as synthetic_timeline() parses it
    store.build([data], data.name, tmp_path / folder / "x.store", rows=2000, workers=1, tables=False)
    pieces = store.event_files(tmp_path / folder / "x.store")
    assert len(pieces) == 10
    engine = store.open_store(tmp_path / folder / "x.store").engine.engine()
    spans = engine._file_spans()
    assert [spans[p] for p in pieces] == [(i * 2000, (i + 1) * 2000) for i in range(10)]
    assert engine._row_span() == (0, 20_000)
    assert engine._rows_source(2000, 4000).count(".parquet") == 1
    assert engine._rows_source(3000, 7000).count(".parquet") == 3
    assert engine._rows_source(0, 20_000) == sql.EVENTS
    for terms in SEARCHES:
        whole, sliced, reported = one_query_and_slices(engine, terms, monkeypatch, 3000)
        assert sliced == whole == sorted(filter_events(synthetic, View(text=" ".join(terms))).tolist())
        assert reported == [(done, 20_000) for done in range(0, 20_001, 4000)]  # slices end where pieces begin
    engine.close()


def test_a_search_cut_short_keeps_nothing(synthetic, monkeypatch):
    """A search that fails half way (here, what it reports to) leaves no table of part of its rows,
    and the next asking searches anew."""
    engine = DuckDB.of_timeline(synthetic, precompute=False)
    monkeypatch.setenv(engines.SLICE_ROWS_VARIABLE, "5000")

    def fail_half_way(done: int, total: int) -> None:
        if done >= total // 2:
            raise RuntimeError("cut short")

    with pytest.raises(RuntimeError, match="cut short"):
        engine.keep_rows("found", sql.text_filter(("summit",)), fail_half_way)
    tables = [name for (name,) in engine.run("SELECT table_name FROM information_schema.tables", [])]
    assert "found" not in tables
    engine.keep_rows("found", sql.text_filter(("summit",)))
    assert kept_rows(engine, "found") == sorted(filter_events(synthetic, View(text="summit")).tolist())
    engine.close()


@pytest.mark.parametrize("given", ["0", "-3", "many", "1.5", "1e6", " 0 "])
def test_a_slice_size_that_is_no_number_of_rows_is_refused(given, monkeypatch):
    monkeypatch.setenv(engines.SLICE_ROWS_VARIABLE, given)
    with pytest.raises(EngineError, match=rf"^{engines.SLICE_ROWS_VARIABLE} is .*: expected a whole number of rows"):
        engines.search_slice_rows()


@pytest.mark.parametrize(("given", "rows"), [("", engines.SEARCH_SLICE_ROWS), ("1", 1), (" 250000 ", 250_000)])
def test_the_slice_size_is_read_from_the_environment(given, rows, monkeypatch):
    monkeypatch.setenv(engines.SLICE_ROWS_VARIABLE, given)
    assert engines.search_slice_rows() == rows


def test_a_search_says_how_far_it_has_got_while_it_runs(synthetic, monkeypatch):
    """``PerProcess.searched`` records its progress under its key after each slice (read back here by
    another process, as a server's other worker would) and clears it once done."""
    monkeypatch.setenv(engines.SLICE_ROWS_VARIABLE, "5000")
    shared = PerProcess(lambda: DuckDB.of_timeline(synthetic, precompute=False), name="synthetic")
    key = shared.progress_key(("treaty",))
    seen_apart: list[object] = []
    record = shared.progress.record

    def record_and_read_elsewhere(k: str, done: int, total: int) -> None:
        record(k, done, total)
        seen_apart.append(read_in_another_process(shared.progress.folder, k))

    monkeypatch.setattr(shared.progress, "record", record_and_read_elsewhere)
    shared.searched(("treaty",))
    assert seen_apart == [{"done": d, "total": 20_000} for d in (0, 5000, 10_000, 15_000, 20_000)]
    assert shared.progress.read(key) is None and list(shared.progress.folder.glob("*.json")) == []
    shared.close()


def read_in_another_process(folder: Path, key: str) -> object:
    import subprocess

    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from pathlib import Path; from dashboard.io.progress import ProgressFolder; "
            "p = ProgressFolder(Path(sys.argv[1])).read(sys.argv[2]); print(json.dumps(p and p.as_dict()))",
            str(folder),
            key,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return json.loads(found.stdout)


def test_progress_keys_tell_stores_and_words_apart():
    one = PerProcess(lambda: None, name="/stores/a")  # type: ignore[arg-type, return-value]
    two = PerProcess(lambda: None, name="/stores/b")  # type: ignore[arg-type, return-value]
    assert one.progress_key(("treaty",)) == one.progress_key(("treaty",))
    assert len({one.progress_key(("treaty",)), two.progress_key(("treaty",)), one.progress_key(("treat", "y"))}) == 3
    assert one.progress.folder != two.progress.folder


def test_a_query_beyond_its_memory_spills_to_a_folder_of_its_own_not_the_working_directory(tmp_path, monkeypatch):
    """DuckDB's default spill folder is ``.tmp`` in the working directory: a server started from a
    user's folder would litter it (and two servers started there would share it)."""
    monkeypatch.chdir(tmp_path)
    engine = DuckDB(memory_limit="30MB", threads=1)
    spill = Path(engine.run("SELECT current_setting('temp_directory')", ())[0][0])
    try:
        [(n,)] = engine.run(
            "SELECT count(*) FROM (SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i) ORDER BY h)", ()
        )
        assert n == 3_000_000
        assert list(tmp_path.iterdir()) == []
        assert spill.is_absolute() and spill.parent == Path(tempfile.gettempdir())
    finally:
        engine.close()
    assert not spill.exists()  # removed with the engine


def test_a_kept_search_is_not_held_up_by_another_search_under_way(synthetic, monkeypatch):
    """One new search at a time reads the events' text, but a search already kept is answered at once,
    while another request's new search is still running in the same process (with real threads)."""
    monkeypatch.setenv(engines.SLICE_ROWS_VARIABLE, "5000")
    shared = PerProcess(lambda: DuckDB.of_timeline(synthetic, precompute=False), name="synthetic")
    kept = shared.searched(("summit",))
    record = shared.progress.record
    begun, release = threading.Event(), threading.Event()

    def slow_record(key: str, done: int, total: int) -> None:
        record(key, done, total)
        if 0 < done < total:
            begun.set()
            release.wait(30)

    monkeypatch.setattr(shared.progress, "record", slow_record)
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(shared.searched, ("treaty",))
        assert begun.wait(30)
        again = pool.submit(shared.searched, ("summit",))
        try:
            assert again.result(timeout=5) == kept  # not after the other search
        finally:
            release.set()
        assert slow.result(timeout=30).startswith("searched_")
    shared.close()


def test_searches_kept_are_bounded_by_their_rows_not_only_their_number(synthetic, monkeypatch):
    """Searches for common letters hold most events each: past :data:`SEARCH_ROWS_KEPT` rows the
    oldest go, whatever their number; the latest is kept however large."""
    shared = PerProcess(lambda: DuckDB.of_timeline(synthetic, precompute=False), name="synthetic")
    common = len(filter_events(synthetic, View(text="a")))
    rare = len(filter_events(synthetic, View(text="summit")))
    monkeypatch.setattr(engines, "SEARCH_ROWS_KEPT", common + rare)
    first = shared.searched(("summit",))
    big = shared.searched(("a",))
    tables = lambda: {n for (n,) in shared.engine().run("SELECT table_name FROM information_schema.tables", ())}
    assert {first, big} <= tables()  # together within the rows allowed
    bigger = shared.searched(("e",))
    assert bigger in tables() and first not in tables() and big not in tables()
    monkeypatch.setattr(engines, "SEARCH_ROWS_KEPT", 1)
    assert shared.searched(("o",)) in tables()  # the latest, alone past the bound
    shared.close()


def test_a_new_search_is_made_after_the_searches_past_the_bound_are_dropped(synthetic, monkeypatch):
    """Searches kept holding the rows allowed, a new one first pushes the oldest out (its rows need
    the engine's memory while it is made), then is kept; one under the bound stays beside it."""
    shared = PerProcess(lambda: DuckDB.of_timeline(synthetic, precompute=False), name="synthetic")
    common = len(filter_events(synthetic, View(text="a")))
    monkeypatch.setattr(engines, "SEARCH_ROWS_KEPT", common)
    engine = shared.engine()
    tables = lambda: {n for (n,) in engine.run("SELECT table_name FROM information_schema.tables", ())}
    there_while_made: list[set[str]] = []
    keep_rows = engine.keep_rows

    def watched(name, where, report=None, titles_only=False):
        there_while_made.append(tables())
        return keep_rows(name, where, report, titles_only)

    monkeypatch.setattr(engine, "keep_rows", watched)
    big = shared.searched(("a",))  # the bound reached
    rare = shared.searched(("summit",))
    assert big not in there_while_made[-1]  # dropped before the new search was made
    assert tables() >= {rare} and big not in tables()
    other = shared.searched(("treaty",))  # under the bound together: both stay
    assert rare in there_while_made[-1] and {rare, other} <= tables()
    shared.close()


def test_a_search_dropped_while_a_query_named_it_is_made_again(synthetic, monkeypatch):
    """A request gets a search's table, then other requests' searches push it out before its query
    runs: the query is still answered, the search made anew."""
    shared = PerProcess(lambda: DuckDB.of_timeline(synthetic, precompute=False), name="synthetic")
    monkeypatch.setattr(engines, "SEARCHES_KEPT", 1)
    view = View(text="summit")
    where = sql.match_filter(synthetic.themes, view, searched=shared.searched)
    shared.searched(("treaty",))  # another request's search: the first is dropped
    name = where.table
    assert name not in {n for (n,) in shared.engine().run("SELECT table_name FROM information_schema.tables", ())}
    assert sql.count(shared.run, where) == len(filter_events(synthetic, view)) > 0
    with pytest.raises(Exception, match=r"no_such_table|does not exist"):  # other failures still fail
        shared.run("SELECT count(*) FROM no_such_table", ())
    shared.close()


@pytest.mark.spark
@pytest.mark.parametrize("odd", ["[1]", "*", "{1,zzz}"])
def test_spark_reads_a_store_in_a_folder_named_like_a_glob(odd, spark, tmp_path):
    """Spark (Hadoop's file system) also takes a path for a glob: a store under ``cache[1]`` reads its
    own events and tables, not those of ``cache1`` which the pattern matches."""
    from dashboard.io import store

    ours, other = uncertain_timeline(tmp_path), deep_timeline(tmp_path)
    store.write(ours, tmp_path / f"cache{odd}" / "x.store")
    for decoy in ("cache1", "cachezzz"):
        store.write(other, tmp_path / decoy / "x.store")
    opened = store.open_store(tmp_path / f"cache{odd}" / "x.store", engine="spark")
    engine = opened.engine.engine()
    try:
        assert sql.count(engine.run, sql.EVERYTHING) == len(ours.events)
        assert engine.run("SELECT sum(n) FROM tiles WHERE side = 0 AND unit = 2", []) == [(len(ours.events),)]
    finally:
        opened.engine.close()


def test_searches_asked_at_once_past_the_bounds_all_get_their_own_answers(synthetic, monkeypatch):
    """Eight threads at once each ask the counts of a search, many more searches than are kept (by
    number and by rows): each search's table may be dropped by another's while its query is on its
    way, and every answer is still that of its own words (real threads, one shared engine)."""
    monkeypatch.setattr(engines, "SEARCHES_KEPT", 2)
    monkeypatch.setattr(engines, "SEARCH_ROWS_KEPT", 3000)
    shared = PerProcess(lambda: DuckDB.of_timeline(synthetic, precompute=False), name="synthetic")
    words = ["summit", "treaty", "accord", "battle", "embassy", "kyoto", "charter", "census", "visit", "reform"]
    expected = {w: len(filter_events(synthetic, View(text=w))) for w in words}

    together = threading.Barrier(8)

    def count(word: str) -> tuple[str, int]:
        where = sql.match_filter(synthetic.themes, View(text=word), searched=shared.searched)
        together.wait(30)  # every thread holds its table's name before any asks: most were dropped since
        return word, sql.count(shared.run, where)

    try:
        with ThreadPoolExecutor(8) as pool:
            asked = [w for _ in range(4) for w in words]  # 40: five rounds of eight at the barrier
            found = list(pool.map(count, asked))
        assert found == [(w, expected[w]) for w in asked]
        kept = {n for (n,) in shared.engine().run("SELECT table_name FROM information_schema.tables", ())}
        assert len([n for n in kept if n.startswith("searched_")]) <= 2
    finally:
        shared.close()


def test_the_cursor_of_a_thread_that_ended_is_let_go(synthetic):
    """Flask's development server (``--debug``) answers each request in a thread of its own: the
    cursor each opens on the engine goes with its thread, however many requests come (an engine that
    kept them all, to interrupt them, grew by one connection a request). Those of threads still at
    work are interrupted."""
    import gc
    import weakref

    engine = DuckDB.of_timeline(synthetic, precompute=False)
    try:
        let_go: list[weakref.ref[Any]] = []

        def request() -> None:
            assert engine.run("SELECT count(*) FROM events", ()) == [(len(synthetic.events),)]
            let_go.append(weakref.ref(engine._cursor()))

        for _ in range(20):
            thread = threading.Thread(target=request)
            thread.start()
            thread.join()
        gc.collect()
        assert len(let_go) == 20 and [ref() for ref in let_go] == [None] * 20
        failed: list[BaseException] = []

        def endless() -> None:
            try:
                engine.run("SELECT sum(hash(range)) FROM range(1000000000000)", ())
            except BaseException as exc:
                failed.append(exc)

        working = threading.Thread(target=endless)
        working.start()
        time.sleep(0.5)
        engine.interrupt()
        working.join(10)
        assert not working.is_alive() and failed and "interrupt" in str(failed[0]).lower()
    finally:
        engine.close()
