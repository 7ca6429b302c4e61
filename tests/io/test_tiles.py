"""The tiles (``core.tiles``) give exactly what the events give: for a table of views and windows,
including windows whose edges fall anywhere in a day, the same matches, counts per theme, density
per lane and bucket and label candidates as the core in memory and as the engine's scan."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from dashboard.core import dates, sql, tiles
from dashboard.core.aggregate import density, in_window
from dashboard.core.model import Timeline
from dashboard.core.query import View, facet_counts, filter_events, sorted_rows
from dashboard.io.engines import DuckDB, Spark
from dashboard.io.formats import parse_events
from dashboard.render.figure import most_important, x_extent
from tests.timelines import date_ms, deep_timeline, synthetic_timeline, uncertain_timeline

DAY = dates.MS_PER_DAY


ms = date_ms


@pytest.fixture(scope="module")
def synthetic() -> Timeline:
    return synthetic_timeline()


@pytest.fixture(scope="module")
def tiled(synthetic) -> Iterator[DuckDB]:
    engine = DuckDB.of_timeline(synthetic)
    assert engine.precomputed
    yield engine
    engine.close()


VIEWS = [View(), View(themes=("trade", "war")), View(themes=("diplomacy",)), View(themes=())]


def windows(timeline: Timeline | None = None) -> list[tuple[float, float]]:
    """Windows of every width, their edges on a day's first or last ms, just past them, mid-day; with
    ``timeline``, also edges right at its events' ends and starts, where a day wrong shows."""
    found = []
    rng = np.random.default_rng(5)
    if timeline is not None:
        start, last = timeline.column("start"), timeline.column("last")
        for _ in range(40):
            i, j = rng.integers(0, len(start), 2)
            x0 = float(last[i]) + float(rng.choice([0, -0.5, 0.5, 1, -1]))
            x1 = float(start[j]) + float(rng.choice([0, -0.5, -1, 1]))
            found.append((x0, x1) if x1 >= x0 else (x0, x0 + DAY * float(rng.choice([1, 30, 3000]))))
    named = [
        ("1945", "1950"),
        ("1990-01", "1990-02"),
        ("-1000", "0001"),
        ("2020-03-01", "2020-03-20"),
        ("1800", "2025"),
    ]
    found += [(ms(a), ms(b, True)) for a, b in named]
    for _ in range(40):
        day = int(rng.integers(-700_000, 20_000))
        width = int(rng.choice([1, 3, 20, 200, 2_000, 40_000, 400_000]))
        x0 = day * DAY + float(rng.choice([0, -1, 1, DAY / 2, DAY - 1, DAY - 0.5]))
        x1 = (day + width) * DAY + float(rng.choice([0, -1, 1, DAY / 2, DAY - 1, -0.5]))
        found.append((x0, x1))
    return found


def lanes_of(timeline: Timeline, view: View) -> list[str]:
    return [t for t in timeline.themes if view.themes is None or t in view.themes]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.to_query() or "all")
def test_summary_from_the_tiles(synthetic, tiled, view):
    rows = filter_events(synthetic, view)
    found = tiles.summary(tiled.run, synthetic.themes, view)
    assert found.matched == len(rows)
    assert found.facets == facet_counts(synthetic, view)
    assert found == sql.summary(tiled.run, synthetic.themes, view)


@pytest.mark.parametrize("view", VIEWS[:3], ids=lambda v: v.to_query() or "all")
def test_density_and_labels_from_the_tiles(synthetic, tiled, view):
    rows = filter_events(synthetic, view)
    lanes = lanes_of(synthetic, view)
    where = sql.match_filter(synthetic.themes, view)
    for x0, x1 in [x_extent(synthetic, view, rows), *windows(synthetic)]:
        assert tiles.in_reach(x0, x1)
        visible = in_window(synthetic, rows, x0, x1)
        ours = tiles.density(tiled.run, synthetic.themes, view, lanes, x0, x1)
        theirs = density(synthetic, visible, lanes, x0, x1)
        np.testing.assert_array_equal(ours.buckets.edges, theirs.buckets.edges)
        np.testing.assert_array_equal(ours.total, theirs.total, err_msg=f"{x0!r}..{x1!r}")
        np.testing.assert_array_equal(ours.per_lane, theirs.per_lane, err_msg=f"{x0!r}..{x1!r}")
        labels = tiles.top_events(tiled.run, where & sql.in_window(x0, x1), 400, ["title", "theme_mask"])
        np.testing.assert_array_equal(labels["row"], most_important(synthetic, visible, 400))
        np.testing.assert_array_equal(labels["title"], synthetic.events["title"].to_numpy()[labels["row"]])


def test_day_ranges_cover_every_day_once():
    def days_of(unit: int, first: int, last: int) -> set[int]:
        if unit == tiles.DAY:
            return set(range(first, last + 1))
        out: set[int] = set()
        for key in range(first, last + 1):
            if unit == tiles.MONTH:
                a = tiles._first_of(key // 12, key % 12 + 1)
                b = tiles._first_of((key + 1) // 12, (key + 1) % 12 + 1)
            elif key == 0:  # no year 0 between 1 BCE and 1 CE
                continue
            else:
                astro = int(dates.historian_to_astronomical(np.array([key]))[0])
                a, b = tiles._first_of(astro), tiles._first_of(astro + 1)
            out |= set(range(a, b))
        return out

    rng = np.random.default_rng(8)
    for _ in range(300):
        first = int(rng.integers(-800_000, 30_000))
        last = first + int(rng.choice([0, 1, 30, 31, 365, 366, 800, 5_000]))
        for finest in (tiles.DAY, tiles.MONTH, tiles.YEAR):
            covered: list[int] = []
            for unit, a, b in tiles.day_range(first, last, finest):
                assert a is not None and unit <= finest
                covered += sorted(days_of(unit, a, b))
            assert sorted(covered) == list(range(first, last + 1)), (first, last, finest)


def test_what_the_tiles_do_not_answer(synthetic):
    assert not tiles.answerable(View(text="summit"))
    assert not tiles.answerable(View(start="1900"))
    assert not tiles.answerable(View(end="c. 1600"))
    assert tiles.answerable(View(themes=("trade",), x_range=(0.0, 1.0)))
    assert not tiles.in_reach(-1e20, 0.0)


@pytest.mark.parametrize("make", [uncertain_timeline, deep_timeline], ids=["uncertain", "deep"])
def test_uncertain_and_deep_time_from_the_tiles(make, tmp_path):
    timeline = make(tmp_path)
    engine = DuckDB.of_timeline(timeline)
    try:
        view = View()
        rows = filter_events(timeline, view)
        assert tiles.summary(engine.run, timeline.themes, view) == sql.summary(engine.run, timeline.themes, view)
        x0, x1 = x_extent(timeline, view, rows)
        lanes = lanes_of(timeline, view)
        if tiles.in_reach(x0, x1):
            ours = tiles.density(engine.run, timeline.themes, view, lanes, x0, x1)
            theirs = density(timeline, in_window(timeline, rows, x0, x1), lanes, x0, x1)
            np.testing.assert_array_equal(ours.per_lane, theirs.per_lane)
        named = [(ms(a), ms(b, True)) for a, b in [("1590", "1610"), ("1852", "1855"), ("1944", "2020")]]
        where = sql.match_filter(timeline.themes, view)
        for x0, x1 in [*named, *(w for w in windows(timeline) if tiles.in_reach(*w))]:
            visible = in_window(timeline, rows, x0, x1)
            ours = tiles.density(engine.run, timeline.themes, view, lanes, x0, x1)
            theirs = density(timeline, visible, lanes, x0, x1)
            np.testing.assert_array_equal(ours.per_lane, theirs.per_lane, err_msg=f"{x0!r}..{x1!r}")
            np.testing.assert_array_equal(ours.total, theirs.total, err_msg=f"{x0!r}..{x1!r}")
            labels = tiles.top_events(engine.run, where & sql.in_window(x0, x1), 5, ["title"])
            np.testing.assert_array_equal(labels["row"], most_important(timeline, visible, 5))
        for descending in (False, True):  # the table in time order, its pages and each event's place
            order = sorted_rows(timeline, view, rows, "when", descending)
            for offset in range(0, len(order), 3):
                got = tiles.page(engine.run, timeline.themes, view, len(order), descending, offset, 4, ["title"])
                assert got["row"].tolist() == order[offset : offset + 4].tolist()
            for place, row in enumerate(order.tolist()):
                assert tiles.position(engine.run, timeline.themes, view, len(order), descending, row) == place
    finally:
        engine.close()


@pytest.mark.spark
def test_spark_reads_the_same_tiles(synthetic, tiled, spark):
    engine = Spark.of_timeline(synthetic, precompute=True)
    try:
        view = View(themes=("trade", "war"))
        assert tiles.summary(engine.run, synthetic.themes, view) == tiles.summary(tiled.run, synthetic.themes, view)
        lanes = lanes_of(synthetic, view)
        where = sql.match_filter(synthetic.themes, view)
        for x0, x1 in windows()[:3]:
            ours = tiles.density(engine.run, synthetic.themes, view, lanes, x0, x1)
            theirs = tiles.density(tiled.run, synthetic.themes, view, lanes, x0, x1)
            np.testing.assert_array_equal(ours.per_lane, theirs.per_lane)
            np.testing.assert_array_equal(ours.total, theirs.total)
            window = where & sql.in_window(x0, x1)
            ours_top = tiles.top_events(engine.run, window, 50, sql.drawn_columns(synthetic))
            assert len(ours_top) == min(50, int(ours.total.sum()))
            assert ours_top.equals(tiles.top_events(tiled.run, window, 50, sql.drawn_columns(synthetic)))
        matched = tiles.summary(tiled.run, synthetic.themes, view).matched
        for descending, offset in ((False, 0), (True, 1000)):
            shown = sql.table_columns(synthetic)
            theirs_page = tiles.page(tiled.run, synthetic.themes, view, matched, descending, offset, 25, shown)
            ours_page = tiles.page(engine.run, synthetic.themes, view, matched, descending, offset, 25, shown)
            assert ours_page.equals(theirs_page)
            third = int(theirs_page["row"][3])
            assert tiles.position(engine.run, synthetic.themes, view, matched, descending, third) == offset + 3
    finally:
        engine.close()


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.to_query() or "all")
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_table_pages_in_time_order_from_the_tiles(synthetic, tiled, view, descending):
    rows = filter_events(synthetic, view)
    order = sorted_rows(synthetic, view, rows, "when", descending)
    matched = len(order)
    for offset in (0, 25, 50, matched // 3, matched - 60, matched - 10, matched):
        if offset < 0:
            continue
        got = tiles.page(tiled.run, synthetic.themes, view, matched, descending, offset, 50, ["title"])
        assert got["row"].tolist() == order[offset : offset + 50].tolist(), offset
        assert got["title"].tolist() == synthetic.events["title"].to_numpy()[got["row"]].tolist()
    for row in [*order[:: max(matched // 9, 1)].tolist(), *order[-2:].tolist()]:
        assert tiles.position(tiled.run, synthetic.themes, view, matched, descending, row) == order.tolist().index(row)
    others = np.setdiff1d(np.arange(len(synthetic.events)), rows)
    if len(others):
        assert tiles.position(tiled.run, synthetic.themes, view, matched, descending, int(others[0])) is None


def test_pages_of_crowded_days(tmp_path):
    """Thousands of events on a few days (a day's events in row order), in and across month and year ends."""
    rng = np.random.default_rng(2)
    days = ["1999-12-31", "2000-01-01", "2000-01-31", "2000-02-01", "2000-02-29", "-0001-12-31", "0001-01-01"]
    lines = ["date,title,themes"] + [
        f"{rng.choice(days)},Event {i},{'a;b' if i % 3 else 'b'}{';c' if i % 7 == 0 else ''}" for i in range(3000)
    ]
    timeline = parse_events("\n".join(lines).encode(), "crowded.csv")
    engine = DuckDB.of_timeline(timeline)
    try:
        for view in (View(), View(themes=("c",)), View(themes=("a", "c"))):
            rows = filter_events(timeline, view)
            for descending in (False, True):
                order = sorted_rows(timeline, view, rows, "when", descending)
                for offset in range(0, len(order), 97):
                    got = tiles.page(engine.run, timeline.themes, view, len(order), descending, offset, 100)
                    assert got["row"].tolist() == order[offset : offset + 100].tolist()
                for row in order[::37].tolist():
                    place = tiles.position(engine.run, timeline.themes, view, len(order), descending, row)
                    assert place == order.tolist().index(row)
    finally:
        engine.close()
