"""Several files as topics, and lives, in a real browser: lanes grouped under their files' names, the
theme filter grouped the same way, a life drawn where its dates are, and 'Add to the timeline'."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import wait_for_graph
from tests.servers import Server

FIXTURES = Path(__file__).parent.parent / "fixtures"
TOPICS = FIXTURES / "topics"
MONARCHS = FIXTURES / "hdtimelines" / "Tudor and Stuart monarchs.csv"


@pytest.fixture(scope="module")
def topics_server():
    srv = Server(TOPICS)  # a folder: every file in it, each a topic
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def lives_server():
    srv = Server(MONARCHS)
    yield srv
    srv.stop()


def test_two_files_are_two_topics_with_their_lanes_grouped(topics_server, page):
    page.goto(topics_server.url)
    wait_for_graph(page, "10 of 10")
    ticks = page.locator("#timeline .ytick text").all_text_contents()
    assert ticks == ["Monarchs", "War", "Europe", "War", "Drama", "Novel"]
    heads = page.locator("#timeline .annotation-text").all_text_contents()
    assert "Wars" in heads and "Writers" in heads
    # each heading sits in the margin beside the first lane of its group
    boxes = page.evaluate("""() => {
        const box = el => el.getBoundingClientRect();
        const ann = [...document.querySelectorAll('#timeline .annotation')]
            .filter(a => a.textContent === 'Writers').map(box)[0];
        const tick = [...document.querySelectorAll('#timeline .ytick text')].map(box)[3];
        const plot = document.querySelector('#timeline .nsewdrag').getBoundingClientRect();
        return {ann: [ann.left, ann.right, ann.top, ann.bottom], tick: [tick.top, tick.bottom], plotLeft: plot.left};
    }""")
    assert boxes["ann"][1] <= boxes["plotLeft"]  # in the margin, not over the events
    assert boxes["ann"][3] <= boxes["tick"][0] + 1  # above the lane's own label: nothing overlaps
    # the theme filter: each topic's heading, then its lanes
    items = page.locator("#themes label").all_text_contents()
    assert [i.split(" (")[0] for i in items] == [
        "Monarchs",
        "Monarchs",
        "Wars",
        "War",
        "Europe",
        "Writers",
        "War",
        "Drama",
        "Novel",
    ]
    assert page.locator("#themes input[disabled]").count() == 3


def test_unticking_one_files_war_keeps_the_others(topics_server, page):
    page.goto(topics_server.url)
    wait_for_graph(page, "10 of 10")
    page.locator("#themes label").nth(3).click()  # the Wars file's War lane
    # the count changed (every "N of 10" contains "of 10", the count before the click too)
    page.wait_for_function("() => !document.querySelector('#match-count').textContent.startsWith('10 of 10')")
    wait_for_graph(page, "of 10 events match")
    ticks = page.locator("#timeline .ytick text").all_text_contents()
    assert ticks == ["Monarchs", "Europe", "War", "Drama", "Novel"]
    assert "themes=" in page.url and "wars+%E2%80%BA+europe" in page.url  # the lanes ticked, by topic


def test_a_life_is_drawn_from_birth_to_death(lives_server, page):
    page.goto(lives_server.url)
    wait_for_graph(page, "8 of 8")
    drawn = page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        const scatters = gd._fullData.filter(t => t.type === 'scatter');
        const k = scatters.findIndex(t => t.meta === 'life alone');
        const trace = scatters[k];
        const path = gd.querySelectorAll('.scatterlayer .trace')[k].querySelector('path.js-line');
        const box = path.getBBox();
        const xa = gd._fullLayout.xaxis;
        return {x: [box.x, box.x + box.width], expected: [xa.l2p(trace.x[0]), xa.l2p(trace.x[1])],
                width: parseFloat(getComputedStyle(path).strokeWidth), title: trace.customdata[0][1]};
    }""")
    assert drawn["title"] == "Lady Jane Grey"
    assert abs(drawn["x"][0] - drawn["expected"][0]) < 1.5 and abs(drawn["x"][1] - drawn["expected"][1]) < 1.5
    assert drawn["x"][1] - drawn["x"][0] > 20  # 1537 to 1554: a visible line
    assert drawn["width"] == 4
    # a life behind a reign: drawn before (under) the bars
    order = page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        return gd._fullData.map(t => t.meta === 'life' ? 'life' : t.type);
    }""")
    assert order.index("life") < max(i for i, t in enumerate(order) if t == "bar")


def test_add_to_the_timeline_joins_an_upload_as_a_topic(lives_server, page, tmp_path):
    page.goto(lives_server.url)
    wait_for_graph(page, "8 of 8")
    page.get_by_label("Add to the timeline").check()
    path = tmp_path / "wars.csv"
    path.write_bytes((TOPICS / "wars.csv").read_bytes())
    page.set_input_files("#upload input[type=file]", str(path))
    wait_for_graph(page, "12 of 12")
    assert "Added wars.csv: 12 events in 2 topics" in page.locator("#upload-status").text_content()
    assert page.errors == []
    heads = page.locator("#themes .topic-head").all_text_contents()
    assert heads == ["Tudor and Stuart monarchs", "Wars"]
    ticks = page.locator("#timeline .ytick text").all_text_contents()
    assert ticks == ["Tudor andStuartmonarchs", "War", "Europe"]  # a three-line heading, then the lanes
