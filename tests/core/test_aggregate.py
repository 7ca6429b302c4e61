"""Level of detail: density counts are exact, and zooming in reaches individual events."""

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.aggregate import calendar_buckets, density, in_window
from dashboard.core.query import View, filter_events
from dashboard.io.formats import parse_events
from dashboard.render.figure import MAX_POINTS, FigureOptions, build_figure
from tests.synthetic import generate


@pytest.fixture(scope="module")
def big():
    import io

    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    pacsv.write_csv(generate(30_000, n_themes=10, seed=3), buf)
    return parse_events(buf.getvalue(), "gen.csv")


VIEWS = [
    View(),
    View(themes=("trade", "war")),
    View(start="1500", end="1950"),
    View(text="harris"),
    View(themes=("diplomacy",), start="-2000", end="0500", text="treaty"),
]


@pytest.mark.parametrize("view", VIEWS)
def test_buckets_add_up_to_the_events_in_view(big, view):
    rows = filter_events(big, view)
    lanes = [t for t in big.themes if view.themes is None or t in view.themes]
    lo = float(big.column("start")[rows].min())
    hi = float(big.column("last")[rows].max())
    for x0, x1 in [(lo, hi), (lo + (hi - lo) * 0.7, hi), (dates.parse_date("1900")[0], dates.parse_date("1910")[2])]:
        vis = in_window(big, rows, x0, x1)
        d = density(big, vis, lanes, x0, x1)
        assert d.total.sum() == len(vis)
        masks = big.column("theme_mask")[vis]
        for i, t in enumerate(lanes):
            bit = np.uint64(1) << np.uint64(big.themes.index(t))
            assert d.per_lane[i].sum() == np.count_nonzero(masks & bit)
        # each bucket's total is the number of distinct events starting in it (periods begun earlier: first bucket)
        start = np.maximum(big.column("start")[vis], d.buckets.edges[0])
        expected = np.histogram(start, bins=d.buckets.edges)[0]
        expected[-1] += np.count_nonzero(start >= d.buckets.edges[-1])
        assert np.array_equal(d.total, expected)


def test_calendar_buckets_are_aligned_and_cover_the_window():
    for a, b, unit in [("-3000", "2025", "year"), ("1945", "1946", "day"), ("1900", "1915", "month")]:
        x0, x1 = dates.parse_date(a)[0], dates.parse_date(b)[2]
        bk = calendar_buckets(x0, x1)
        assert bk.unit == unit and bk.edges[0] <= x0 and bk.edges[-1] >= x1
        assert np.all(np.diff(bk.edges) > 0) and len(bk.edges) - 1 <= 200
    assert (
        calendar_buckets(dates.parse_date("-3000")[0], dates.parse_date("2025")[0]).labels()[0] == "3000 BCE – 2951 BCE"
    )


def kinds(fig):
    return {t["type"] for t in fig["data"]}


def test_many_events_show_density_and_zooming_in_reaches_events(big):
    view = View()
    fig = build_figure(big, view)
    assert "heatmap" in kinds(fig)
    matched = len(filter_events(big, view))
    x0, x1 = fig["layout"]["xaxis"]["range"]
    # zoom in step by step, as a user would, until events are drawn one by one
    for _ in range(40):
        mid, half = (x0 + x1) / 2 + (x1 - x0) * 0.3, (x1 - x0) / 6
        x0, x1 = mid - half, mid + half
        zoomed = View(x_range=(x0, x1))
        fig = build_figure(big, zoomed)
        shown = len(in_window(big, filter_events(big, zoomed), x0, x1))  # the subtitle counts what a zoom shows
        assert fig["layout"]["title"]["subtitle"]["text"] == f"{shown:,} of {matched:,} events in view"
        if "heatmap" not in kinds(fig):
            break
    assert "heatmap" not in kinds(fig)
    vis = in_window(big, filter_events(big, zoomed), x0, x1)
    assert 0 < len(vis) <= MAX_POINTS
    drawn = {c[0] for t in fig["data"] for c in t.get("customdata", [])}
    assert drawn == set(vis.tolist())  # every event in view, clickable with its row


def test_density_view_still_labels_key_events(big):
    fig = build_figure(big, View())
    labels = [a for a in fig["layout"]["annotations"] if a.get("showarrow")]
    assert 5 <= len(labels) <= FigureOptions().max_labels
    # labelled events are drawn as markers so they can be hovered and clicked
    marked = {c[0] for t in fig["data"] if t["type"] in ("scatter", "bar") for c in t["customdata"]}
    assert len(marked) == len(labels)
    assert all(big.events["importance"][r] == 5 for r in marked)


def test_density_response_is_small(big):
    import plotly.io as pio

    js = pio.to_json(build_figure(big, View()), validate=False)
    assert len(js) < 400_000
