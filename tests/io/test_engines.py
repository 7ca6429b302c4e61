"""Every engine gives the same answers as the core in memory: for a table of views, the same
matches, counts per theme, density per lane and period, label candidates and table pages."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow.csv as pacsv
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.core import dates, sql
from dashboard.core.aggregate import density, in_window
from dashboard.core.model import Timeline
from dashboard.core.query import View, facet_counts, filter_events, sorted_rows
from dashboard.io.engines import DuckDB, PerProcess, queried
from dashboard.io.formats import parse_events
from dashboard.render.figure import FigureOptions, build_figure, build_overview, most_important, x_extent
from dashboard.render.queried import queried_figure, queried_overview
from tests.synthetic import generate
from tests.timelines import deep_timeline, uncertain_timeline


def ms(text: str, end: bool = False) -> float:
    first, _, last = dates.parse_date(text)
    return last if end else first


@pytest.fixture(scope="module")
def synthetic() -> Timeline:
    buf = io.BytesIO()
    pacsv.write_csv(generate(20_000, n_themes=12, seed=5), buf)
    return parse_events(buf.getvalue(), "gen.csv")


def duckdb_of(timeline: Timeline) -> Iterator[DuckDB]:
    engine = DuckDB.of_timeline(timeline)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def synthetic_engine(synthetic) -> Iterator[DuckDB]:
    yield from duckdb_of(synthetic)


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
]
WINDOWS = [
    None,  # the whole extent of the matches
    ("1945", "1950"),
    ("1990-01", "1990-02"),
    ("-1000", "0001"),
    ("2020-03-01", "2020-03-20"),
    ("1800", "2025"),
]


def lanes_of(timeline: Timeline, view: View) -> list[str]:
    return [t for t in timeline.themes if view.themes is None or t in view.themes]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.to_query() or "all")
def test_matches_and_counts_per_theme(synthetic, synthetic_engine, view):
    rows = filter_events(synthetic, view)
    where = sql.match_filter(synthetic.themes, view)
    assert sql.count(synthetic_engine.run, where) == len(rows)
    assert sql.facet_counts(synthetic_engine.run, synthetic.themes, view) == facet_counts(synthetic, view)
    found = sql.summary(synthetic_engine.run, synthetic.themes, view)
    assert found.matched == len(rows) and found.facets == facet_counts(synthetic, view)
    assert found.span == sql.stats(synthetic_engine.run, where)[1]
    everything = sql.page(synthetic_engine.run, where, "when", False, 0, len(synthetic.events))["row"]
    assert sorted(everything.tolist()) == rows.tolist()


@pytest.mark.parametrize("window", WINDOWS, ids=str)
@pytest.mark.parametrize("view", [v for v in VIEWS[:7] if v.themes != ()], ids=lambda v: v.to_query() or "all")
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


@pytest.mark.parametrize("column", ["when", "title", "location", "themes"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("view", [View(), View(themes=("trade",), start="1900")], ids=["all", "trade-1900"])
def test_table_pages_in_the_tables_order(synthetic, synthetic_engine, view, column, descending):
    rows = filter_events(synthetic, view)
    order = sorted_rows(synthetic, view, rows, column, descending)
    where = sql.match_filter(synthetic.themes, view)
    for offset in (0, 50, len(rows) - 10):
        page = sql.page(synthetic_engine.run, where, column, descending, offset, 25)["row"]
        np.testing.assert_array_equal(page, order[offset : offset + 25])
    for row in order[:: max(len(order) // 7, 1)]:
        assert sql.position(synthetic_engine.run, where, column, descending, int(row)) == int(
            np.flatnonzero(order == row)[0]
        )
    assert (
        sql.position(synthetic_engine.run, sql.match_filter(synthetic.themes, View(themes=())), column, descending, 0)
        is None
    )


def test_the_extent_of_the_matches(synthetic, synthetic_engine):
    for view in VIEWS:
        rows = filter_events(synthetic, view)
        n, found = sql.stats(synthetic_engine.run, sql.match_filter(synthetic.themes, view))
        assert n == len(rows)
        if not len(rows):
            assert found is None
            continue
        lo = float(np.fmin(synthetic.column("earliest"), synthetic.column("start"))[rows].min())
        hi = float(np.fmax(synthetic.column("latest"), synthetic.column("last"))[rows].max())
        assert found == (lo, hi)


@pytest.mark.parametrize("make", [uncertain_timeline, deep_timeline], ids=["uncertain", "deep"])
def test_uncertain_and_deep_time(make, tmp_path):
    timeline = make(tmp_path)
    for engine in duckdb_of(timeline):
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


def test_theme_64_is_a_bit_like_the_others():
    """Bit 63 is the sign bit of the engine's integer: a 64th theme is filtered, counted and sorted as
    the first."""
    csv = "date,title,themes\n" + "".join(f"{1900 + i},Event {i},t{i};t{(i + 1) % 64}\n" for i in range(64))
    timeline = parse_events(csv.encode(), "wide.csv")
    themes = timeline.themes
    assert len(themes) == 64
    for engine in duckdb_of(timeline):
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


@pytest.mark.parametrize("view", FIGURE_VIEWS, ids=lambda v: v.to_query() or "all")
def test_the_engines_figure_is_the_core_figure(synthetic, synthetic_engine, view):
    """The figure drawn from what the engine sends (counts, density, the events drawn) is the figure
    drawn from the whole timeline in memory: same points, bars, labels, axis and subtitle."""
    options = FigureOptions(title="Same", layout_width=1200)
    away = queried(synthetic, synthetic_engine)
    assert away.events.empty and away.size == len(synthetic.events)
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
