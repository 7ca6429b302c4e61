"""Uncertain dates, deep time and the three scales in headless Chromium (issue #10).

The timelines are built in memory (tests/timelines.py) and served from a thread of this process, so
these tests do not depend on how a file spells "c. 1600" or "66 Ma"."""

from __future__ import annotations

import itertools

import pytest

from tests.browser.conftest import hold_first_call, wait_for_graph, wait_held
from tests.timelines import InProcessServer, deep_timeline, uncertain_timeline

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def uncertain_server(tmp_path_factory):
    srv = InProcessServer(uncertain_timeline(tmp_path_factory.mktemp("uncertain")), "Early modern")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def deep_server(tmp_path_factory):
    srv = InProcessServer(deep_timeline(tmp_path_factory.mktemp("deep")), "Deep time")
    yield srv
    srv.stop()


MARKERS = """() => {
    const gd = document.querySelector('#timeline .js-plotly-plot'), xa = gd._fullLayout.xaxis;
    const out = [];
    for (const t of gd._fullData) {
        if (t.type !== 'scatter') continue;
        for (let i = 0; i < t._length; i++) out.push({title: t.customdata[i][1], px: xa.d2p(t.x[i])});
    }
    return {markers: out, width: gd._fullLayout._size.w};
}"""

TICKS = """() => [...document.querySelectorAll('#timeline .xtick text')].map(e => {
    const r = e.getBoundingClientRect();
    return {text: e.textContent, left: r.left, right: r.right};
})"""


AXIS_TITLE = "document.querySelector('#timeline .js-plotly-plot')._fullLayout.xaxis.title.text || ''"


def tick_labels(page) -> list[dict]:
    ticks = page.evaluate(TICKS)
    ordered = sorted(ticks, key=lambda t: t["left"])
    for a, b in itertools.pairwise(ordered):
        assert a["right"] <= b["left"], f"tick labels {a['text']!r} and {b['text']!r} overlap"
    return ticks


def drag_across(page, start: float, end: float) -> None:
    """Drag across the chart from ``start`` to ``end`` of its width (fractions), as a reader zooms."""
    box = page.locator("#timeline .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, y, steps=5)
    page.mouse.up()


def send_after_a_relayout(page, held: list) -> None:
    """Have the chart report a relayout that changes no x range while ``held``'s request waits, then
    send that request on."""
    page.evaluate(
        "() => Plotly.relayout(document.querySelector('#timeline .js-plotly-plot'), {'yaxis.title.text': 'x'})"
    )
    page.wait_for_timeout(1000)
    held[0].continue_()


def test_an_approximate_event_has_a_tape_over_its_possible_span(uncertain_server, page):
    page.goto(uncertain_server.url)
    wait_for_graph(page, "5 of 5")
    found = page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot'), xa = gd._fullLayout.xaxis;
        const tape = gd._fullData.find(t => t.meta === 'uncertain span');
        const bars = gd.querySelectorAll('.barlayer .trace');
        const drawn = [...bars].map(b => b.querySelector('.point path').getBoundingClientRect().width);
        const globe = gd._fullData.filter(t => t.type === 'scatter')
            .flatMap(t => [...Array(t._length).keys()].map(i => ({t, i})))
            .find(({t, i}) => t.customdata[i][1] === 'Globe performance');
        return {lo: xa.d2p(tape.base[0]), hi: xa.d2p(tape.base[0] + tape.x[0]), at: xa.d2p(globe.t.x[globe.i]),
                when: globe.t.customdata[globe.i][2], drawn, tapeIndex: gd._fullData.indexOf(tape),
                markerIndex: gd._fullData.indexOf(globe.t)};
    }""")
    assert found["lo"] < found["at"] < found["hi"] and found["hi"] - found["lo"] > 20
    assert found["tapeIndex"] < found["markerIndex"]  # behind the marker
    assert max(found["drawn"]) > 20  # the tape is a drawn bar in the page
    assert found["when"] == "c. 1600"
    # hovering the marker shows the date as written
    box = page.locator("#timeline .nsewdrag").first.bounding_box()
    lane = page.evaluate(
        "() => { const gd = document.querySelector('#timeline .js-plotly-plot');"
        " return gd._fullLayout.yaxis.d2p(gd._fullData.find(t => t.meta === 'uncertain span').y[0]); }"
    )
    page.mouse.move(box["x"] + found["at"], box["y"] + lane)
    page.wait_for_selector("#timeline .hoverlayer .hovertext")
    assert "c. 1600" in page.locator("#timeline .hoverlayer .hovertext").text_content()


def test_sequence_orders_and_spaces_events_evenly(deep_server, page):
    page.goto(deep_server.url)
    wait_for_graph(page, "7 of 7")
    page.get_by_label("Sequence", exact=True).check()
    page.wait_for_function("() => location.search.includes('scale=sequence')")
    page.wait_for_function(
        "() => (document.querySelector('#timeline .js-plotly-plot')._fullLayout.xaxis.title.text || '')"
        ".includes('date order')"
    )
    wait_for_graph(page)
    got = page.evaluate(MARKERS)
    ordered = sorted(got["markers"], key=lambda m: m["px"])
    assert [m["title"] for m in ordered] == [
        "Big Bang",
        "Earth forms",
        "Dinosaurs die out",
        "Homo sapiens",
        "Battle of Marathon",
        "Perry arrives",
        "Obama visits Hiroshima",
    ]
    gaps = [b["px"] - a["px"] for a, b in itertools.pairwise(ordered)]
    assert max(gaps) - min(gaps) < 1 and min(gaps) > 50
    assert {"13.8 Ga", "66 Ma", "490 BCE"} <= {t["text"] for t in tick_labels(page)}


def test_log_shows_ga_and_ma_labels_with_every_event_visible(deep_server, page):
    page.goto(deep_server.url + "?scale=log")
    wait_for_graph(page, "7 of 7")
    assert page.get_by_label("Log", exact=True).is_checked()
    labels = [t["text"] for t in tick_labels(page)]
    assert any(t.endswith(" Ga") for t in labels) and any(t.endswith(" Ma") for t in labels), labels
    assert any(t.endswith(" years") for t in labels), labels
    got = page.evaluate(MARKERS)
    assert len(got["markers"]) == 7
    assert all(0 < m["px"] < got["width"] for m in got["markers"])
    pxs = sorted(m["px"] for m in got["markers"])
    # a drag across the recent end zooms: the link keeps it as dates, the axis stays logarithmic
    drag_across(page, 0.55, 0.99)
    page.wait_for_function("() => location.search.includes('x0=') && location.search.includes('scale=log')")
    wait_for_graph(page, "7 of 7")
    page.wait_for_function(f"() => ({AXIS_TITLE}).includes('logarithmic')")
    zoomed = {m["title"] for m in page.evaluate(MARKERS)["markers"]}
    assert "Perry arrives" in zoomed and "Big Bang" not in zoomed
    assert min(b - a for a, b in itertools.pairwise(pxs)) > 5  # 1853 and 2016 apart, not one dot at the present


def test_deep_time_axis_has_labels_a_reader_expects(deep_server, page):
    page.goto(deep_server.url)
    wait_for_graph(page, "7 of 7")
    labels = [t["text"] for t in tick_labels(page)]
    assert "4 Ga" in labels and "1950" in labels, labels
    got = page.evaluate(MARKERS)
    assert len(got["markers"]) == 7 and all(0 <= m["px"] <= got["width"] for m in got["markers"])
    # a link zoomed to recent centuries shows calendar dates again, over the range asked for
    page.goto(deep_server.url + "?x0=-3786825600000&x1=1577836800000")  # 1850 to 2020
    wait_for_graph(page, "7 of 7")
    axis = page.evaluate("() => document.querySelector('#timeline .js-plotly-plot')._fullLayout.xaxis.type")
    assert axis == "date"
    labels = [t["text"] for t in tick_labels(page)]
    assert "1900" in labels and not any("Ga" in t for t in labels), labels


def test_the_scale_is_kept_in_the_url(deep_server, page):
    page.goto(deep_server.url + "?scale=log&q=perry")
    wait_for_graph(page, "1 of 7")
    page.wait_for_function(f"() => ({AXIS_TITLE}).includes('logarithmic')")
    assert page.get_by_label("Log", exact=True).is_checked()
    page.get_by_label("Time", exact=True).check()
    page.wait_for_function(f"() => !({AXIS_TITLE}).includes('logarithmic')")
    page.wait_for_function("() => !location.search.includes('scale=')")
    assert "q=perry" in page.url
    page.get_by_label("Sequence", exact=True).check()
    page.wait_for_function("() => location.search.includes('scale=sequence')")
    page.reload()
    wait_for_graph(page, "1 of 7")
    assert page.get_by_label("Sequence", exact=True).is_checked()
    assert page.evaluate(
        "() => document.querySelector('#timeline .js-plotly-plot')._fullLayout.xaxis.title.text"
    ).startswith("events in date order")


def axis_state(page) -> dict:
    return page.evaluate("""() => {
        const xa = document.querySelector('#timeline .js-plotly-plot')._fullLayout.xaxis;
        return {type: xa.type, range: xa.range.slice()};
    }""")


def test_zooming_deep_time_reaches_calendar_dates_without_a_jump(deep_server, page):
    page.goto(deep_server.url)
    wait_for_graph(page, "7 of 7")
    assert axis_state(page)["type"] == "linear"
    # a drag on the year axis zooms it, and the zoom is part of the link
    drag_across(page, 0.05, 0.3)
    page.wait_for_function("() => location.search.includes('x0=')")
    wait_for_graph(page, "7 of 7")
    zoomed = axis_state(page)
    assert zoomed["type"] == "linear" and zoomed["range"][1] < 0
    labels = [t["text"] for t in tick_labels(page)]
    assert all(t.endswith(" Ga") for t in labels), labels
    # zoomed to recent centuries: calendar dates again, over exactly the range asked for
    lo, hi = -3786825600000, 1577836800000  # 1850 to 2020
    page.evaluate(
        "r => Plotly.relayout(document.querySelector('#timeline .js-plotly-plot'),"
        " {'xaxis.range[0]': r[0], 'xaxis.range[1]': r[1]})",
        [lo, hi],
    )
    page.wait_for_function(
        "() => document.querySelector('#timeline .js-plotly-plot')._fullLayout.xaxis.type === 'date'"
    )
    wait_for_graph(page, "7 of 7")
    assert f"x0={lo}" in page.url and f"x1={hi}" in page.url
    dated = page.evaluate("""() => {
        const xa = document.querySelector('#timeline .js-plotly-plot')._fullLayout.xaxis;
        return [xa.r2l(xa.range[0]), xa.r2l(xa.range[1])];
    }""")
    assert abs(dated[0] - lo) < 1000 and abs(dated[1] - hi) < 1000
    labels = [t["text"] for t in tick_labels(page)]
    assert "1900" in labels, labels


def test_a_scale_ticked_while_the_chart_sends_a_relayout_is_not_lost(deep_server, page):
    """Dash drops a call of the view's callback still running when the callback is asked again: the
    scale's call is held back here while the chart reports a relayout, as a slow server or a resize
    does. The view must still take the scale up, from the radio's value."""
    page.goto(deep_server.url)
    wait_for_graph(page, "7 of 7")
    held = hold_first_call(page, "scale.value")
    page.get_by_label("Sequence", exact=True).check()
    wait_held(page, held)
    send_after_a_relayout(page, held)
    page.wait_for_function("() => location.search.includes('scale=sequence')", timeout=10000)
    page.wait_for_function(f"() => ({AXIS_TITLE}).includes('date order')", timeout=10000)


def test_a_zoom_is_kept_when_the_chart_relayouts_while_it_is_sent(deep_server, page):
    """A relayout that changes no x range (plotly's autosize after a resize or a new figure) no longer
    asks the view's callback: asking it dropped the zoom's call still running."""
    page.goto(deep_server.url)
    wait_for_graph(page, "7 of 7")
    held = hold_first_call(page, "timeline-zoom.data")
    drag_across(page, 0.05, 0.3)
    wait_held(page, held)
    send_after_a_relayout(page, held)
    page.wait_for_function("() => location.search.includes('x0=')", timeout=10000)
