"""A 200,000-event file in the browser: density first, individual events after zooming in; the table
pages through all of them on the server. The same with the events in memory and with DuckDB."""

from __future__ import annotations

import pyarrow.csv as pacsv
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import Server, wait_for_graph
from tests.synthetic import generate

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """The 200,000 events, written once for both servers."""
    path = tmp_path_factory.mktemp("scale") / "big.csv"
    pacsv.write_csv(generate(200_000, n_themes=12, seed=11), path)
    return path


@pytest.fixture(scope="module", params=["memory", "duckdb"])
def big_server(request, big_csv, tmp_path_factory):
    """The app holding the events in memory, and the app asking DuckDB for them: a user sees the same."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        srv = Server(big_csv, "--engine", request.param, timeout=180)
    srv.side = request.param
    yield srv
    srv.stop()


def trace_types(page) -> set[str]:
    return set(page.evaluate("() => document.querySelector('#timeline .js-plotly-plot')._fullData.map(t => t.type)"))


def drag_zoom(page, a: float, b: float) -> None:
    """Drag across the plot from fraction a to fraction b of its width, as a user zooms."""
    box = page.locator("#timeline .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] * 0.5
    page.mouse.move(box["x"] + box["width"] * a, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (a + b) / 2, y, steps=4)
    page.mouse.move(box["x"] + box["width"] * b, y, steps=4)
    page.mouse.up()


def click_point(page, x: float, y: float, tries: int = 3) -> None:
    """Hover the point at (x, y), then click it, until plotly reports the click: a busy machine
    sometimes redraws the chart between the hover and the click, and plotly then drops the click
    (a user clicks again). A click plotly reported that shows no details still fails the test."""
    page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        window.__clicks = 0;
        gd.on('plotly_click', () => { window.__clicks += 1; });
    }""")
    for _ in range(tries):
        page.mouse.move(x, y)
        page.wait_for_selector("#timeline .hoverlayer .hovertext")
        page.mouse.click(x, y)
        try:
            page.wait_for_function("() => window.__clicks > 0 || document.querySelector('#details h2')", timeout=5000)
            return
        except PlaywrightTimeout:
            page.mouse.move(x - 200, y)  # away, so that the next hover is a new one
    raise AssertionError(f"plotly took none of {tries} clicks on the point at ({x:.0f}, {y:.0f})")


def test_zoom_in_until_events_then_click_one(big_server, page):
    page.goto(big_server.url)
    wait_for_graph(page, "200,000 of 200,000 events match")
    assert "heatmap" in trace_types(page)
    # an engine draws the time scale only and tells no story: neither is offered then
    assert page.locator("#story-start").is_visible() == (big_server.side == "memory")
    assert page.locator("#scale").is_visible() == (big_server.side == "memory")
    # hovering a density cell tells how many events it holds
    for _ in range(8):
        before = page.evaluate("() => document.querySelector('#timeline .js-plotly-plot').layout.xaxis.range.join()")
        drag_zoom(page, 0.45, 0.55)
        page.wait_for_function(
            "b => document.querySelector('#timeline .js-plotly-plot').layout.xaxis.range.join() !== b", arg=before
        )
        # the server's figure for the new range has arrived (its range is the one in the shared URL)
        page.wait_for_function("""() => {
            const r = document.querySelector('#timeline .js-plotly-plot').layout.xaxis.range;
            const q = new URLSearchParams(location.search);
            return q.has('x0') && typeof r[0] === 'number' && Math.abs(r[0] - Number(q.get('x0'))) < 2;
        }""")
        wait_for_graph(page, "200,000 of 200,000 events match")  # the match count holds at every zoom
        if "heatmap" not in trace_types(page):
            break
    assert "heatmap" not in trace_types(page), "zooming in never reached individual events"
    assert "x0=" in page.url  # the zoom is part of the shareable view
    point = page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        const fl = gd._fullLayout, box = gd.getBoundingClientRect();
        for (const t of gd._fullData) {
            if (t.type !== 'scatter' || !t._length) continue;
            for (let i = 0; i < t._length; i++) {
                const px = fl.xaxis.d2p(t.x[i]);
                if (px > 20 && px < fl._size.w - 20)
                    return {x: box.left + fl._size.l + px, y: box.top + fl._size.t + fl.yaxis.d2p(t.y[i]),
                            title: t.customdata[i][1]};
            }
        }
        return null;
    }""")
    assert point is not None
    click_point(page, point["x"], point["y"])
    page.wait_for_selector("#details h2")
    assert page.locator("#details h2").text_content()
    assert "Delegates led by" in page.locator("#details .description").text_content()
    assert page.locator("#details a").get_attribute("href").startswith("https://example.org/archive/ev-")
    # the table, paged on the server, moves to the page holding the clicked event and marks its row
    marked = page.locator("#table .ag-row.table-selected .ag-cell[col-id=title]")
    marked.wait_for(timeout=20000)
    assert marked.text_content() == page.locator("#details h2").text_content()
    pager = page.locator("#table .ag-paging-panel").text_content()
    assert "of 200,000" in pager and "Page 1 of" not in pager
    assert page.locator("#table .ag-row .ag-cell[col-id=title]").count() == 12
