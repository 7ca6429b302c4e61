"""The served app, driven as a user would in headless Chromium."""

from __future__ import annotations

import struct

import pytest

from dashboard.core.dates import parse_date
from dashboard.core.query import View
from dashboard.io.formats import load_timeline
from dashboard.render.images import render_view
from tests.browser.conftest import plotted, wait_for_graph

pytestmark = pytest.mark.browser


def test_page_shows_lanes_and_counts(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10 events match")
    assert plotted(page) == {"Diplomacy": 5, "Security": 3, "Trade": 3, "War": 3, "Memory": 1}
    ticks = page.locator("#timeline .ytick text").all_text_contents()
    assert ticks == ["Diplomacy", "Security", "Trade", "War", "Memory"]
    assert "Allied occupation" in page.locator("#timeline .annotation").all_text_contents()
    assert page.errors == []


def test_unticking_a_theme_removes_its_lane_and_events(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    page.get_by_label("Trade (3)").uncheck()
    wait_for_graph(page, "8 of 10 events match")
    assert "Trade" not in plotted(page)
    assert "themes=diplomacy,security,war,memory" in page.url


def test_search_narrows_the_events(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    page.fill("#search", "treaty")
    page.press("#search", "Enter")
    wait_for_graph(page, "3 of 10 events match")
    assert sum(plotted(page).values()) == 5  # Kanagawa and Portsmouth sit in two lanes each
    assert page.get_by_label("War (1)").is_visible()


def test_empty_result_is_said_plainly(server, page):
    page.goto(server.url + "?q=zzzz")
    wait_for_graph(page, "No events match")
    assert "No events match these filters" in page.locator("#timeline .annotation").first.text_content()


def point_position(page, name: str, title: str) -> tuple[float, float]:
    """Screen position of the point whose hover title is ``title`` in trace ``name``."""
    return tuple(
        page.evaluate(
            """([name, title]) => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        const fl = gd._fullLayout, box = gd.getBoundingClientRect();
        const t = gd._fullData.find(d => d.name === name && d.type === 'scatter');
        const i = t.customdata.findIndex(c => c[1] === title);
        return [box.left + fl._size.l + fl.xaxis.d2p(t.x[i]), box.top + fl._size.t + fl.yaxis.d2p(t.y[i])];
    }""",
            [name, title],
        )
    )


def test_hover_and_click_show_the_event(server, page):
    # a link zoomed to 2014-2015, where Abe's address stands alone
    x0, x1 = parse_date("2014-06")[0], parse_date("2015-12")[0]
    page.goto(server.url + f"?x0={x0:.0f}&x1={x1:.0f}")
    wait_for_graph(page, "10 of 10")
    x, y = point_position(page, "Diplomacy", "Abe addresses Congress")
    page.mouse.move(x, y)
    page.wait_for_selector("#timeline .hoverlayer .hovertext")
    hover = page.locator("#timeline .hoverlayer .hovertext").text_content()
    assert "Abe addresses Congress" in hover and "29 Apr 2015" in hover and "Diplomacy" in hover
    page.mouse.click(x, y)
    page.wait_for_selector("#details h2")
    details = page.locator("#details")
    assert details.locator("h2").text_content() == "Abe addresses Congress"
    assert "Joint meeting speech." in details.text_content() and "Shinzo Abe" in details.text_content()
    link = details.locator("a")
    assert link.get_attribute("href") == "https://example.org/abe"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"


def test_a_link_with_dates_that_cannot_be_applied_shows_the_events_and_says_why(server, page):
    for query in ("?from=1945&to=1944", "?from=garbage&q=treaty"):
        page.goto(server.url + query)
        page.wait_for_function(
            "() => ((document.querySelector('#filter-error') || {}).textContent || '').includes('not applied')"
        )
        wait_for_graph(page, "10 of 10" if "q=" not in query else "3 of 10")
        assert sum(plotted(page).values()) > 0
        assert page.locator("#table .ag-row").count() > 0
        error = page.locator("#filter-error").text_content()
        assert ("is after To" if "1944" in query else "From: 'garbage'") in error


def test_url_restores_the_view(server, page, browser):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    page.get_by_label("Trade (3)").uncheck()
    wait_for_graph(page, "8 of 10")
    page.fill("#date-from", "1900")
    page.press("#date-from", "Enter")
    wait_for_graph(page, "6 of 10")
    page.fill("#search", "treaty")
    page.press("#search", "Enter")
    wait_for_graph(page, "2 of 10")
    shared = page.url
    assert "from=1900" in shared and "q=treaty" in shared and "trade" not in shared.split("themes=")[1]
    before = plotted(page)

    other = browser.new_page(viewport={"width": 1440, "height": 1000})
    other.goto(shared)
    wait_for_graph(other, "2 of 10 events match")
    assert plotted(other) == before
    assert other.input_value("#date-from") == "1900" and other.input_value("#search") == "treaty"
    assert not other.get_by_label("Trade (0)").is_checked()
    other.reload()
    wait_for_graph(other, "2 of 10 events match")
    assert plotted(other) == before
    other.close()


def test_download_png_is_the_filtered_view(server, page, browser_csv):
    page.goto(server.url + "?themes=security,war&from=1900")
    wait_for_graph(page, "4 of 10")
    with page.expect_download(timeout=60000) as info:
        page.click("#download-png")
    data = open(info.value.path(), "rb").read()
    assert info.value.suggested_filename == "timeline.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1600 and height > 400
    tl = load_timeline(browser_csv)
    expected = render_view(tl, View(themes=("security", "war"), start="1900"), "png", title="Browser test timeline")
    assert data == expected


def test_labels_do_not_overlap(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    boxes = page.evaluate("""() => [...document.querySelectorAll('#timeline .annotation-text-g')]
        .map(g => g.getBoundingClientRect()).filter(r => r.width > 0)
        .map(r => [r.left, r.top, r.right, r.bottom])""")
    assert len(boxes) >= 6
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
            assert not overlap, (a, b)


def test_all_and_none_buttons(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    page.click("#themes-none")
    wait_for_graph(page, "No events match")
    assert "No themes selected" in page.locator("#timeline .annotation").first.text_content()
    assert page.locator("#themes input:checked").count() == 0
    page.click("#themes-all")
    wait_for_graph(page, "10 of 10 events match")
    assert page.locator("#themes input:checked").count() == 5


def test_bce_and_modern_dates_plot_on_one_axis(window, write_csv_session):
    from tests.browser.conftest import Server

    path = write_csv_session(
        "date,title,themes,importance\n-490,Battle of Marathon,war,5\n"
        "0476,End of the Western Empire,politics,5\n2015-04-29,Abe in Congress,politics,5\n"
    )
    srv = Server(path)
    try:
        page = window(srv.url, 1440, 900)
        wait_for_graph(page, "3 of 3")
        xs = page.evaluate("""() => {
            const gd = document.querySelector('#timeline .js-plotly-plot');
            const fl = gd._fullLayout;
            return gd._fullData.filter(t => t.type === 'scatter').flatMap(t => Array.from(t.x).map(
                x => [x, fl.xaxis.d2p(x), fl._size.w]));
        }""")
        assert sorted(x for x, _, _ in xs) == [
            parse_date("-490")[0],
            parse_date("0476")[0],
            parse_date("2015-04-29")[0],
        ]
        for _, px, width in xs:
            assert 0 <= px <= width  # drawn inside the plot, not dropped
        ticks = page.locator("#timeline .xtick text").all_text_contents()
        assert "500 BCE" in ticks and "2000" in ticks
    finally:
        srv.stop()


FEATURED = {
    "Perry's Black Ships reach Uraga",
    "Convention of Kanagawa",
    "Treaty of Portsmouth ends war",
    "Attack on Pearl Harbor",
    "Atomic bombing of Hiroshima",
    "Japan signs Instrument of Surrender",
    "San Francisco Peace Treaty signed",
    "First US–Japan Security Treaty signed",
    "Revised Treaty of Mutual Cooperation",
    "Okinawa reverts to Japan",
    "Plaza Accord",
    "Abe addresses joint meeting of Congress",
    "Obama visits Hiroshima",
    "Trump invites Takaichi to the United States",
}
"""The shipped dataset's importance-5 events, and the invitation of Takaichi (issue #10)."""


def test_featured_labels_of_the_dataset_are_all_shown_apart(window, shipped):
    """The shipped file's default view in a 1440x900 window: every featured event has its whole
    label, no two labels (era names included) meet, and event labels stay inside the plot."""
    page = window(shipped.url, 1440, 900)
    wait_for_graph(page, "71 of 71 events match")
    found = page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return {plot: [box.left, box.top, box.right, box.bottom], labels: [...gd.querySelectorAll('.annotation')]
            .map(a => [a.textContent, a.querySelector('.annotation-arrow-g') !== null,
                       ...(r => [r.left, r.top, r.right, r.bottom])(a.querySelector('.annotation-text-g')
                           .getBoundingClientRect())])};
    }""")
    labels = found["labels"]
    texts = {t for t, *_ in labels}
    assert texts >= FEATURED, FEATURED - texts
    events = [lab for lab in labels if lab[1]]
    assert len(events) >= 30
    left, top, right, bottom = found["plot"]
    for text, _, *a in events:
        assert left - 1 <= a[0] and a[2] <= right + 1 and top - 1 <= a[1] and a[3] <= bottom + 1, text
    for i, (ta, _, *a) in enumerate(labels):
        for tb, _, *b in labels[i + 1 :]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]) > 0 and min(a[3], b[3]) - max(a[1], b[1]) > 0
            assert not overlap, (ta, tb, a, b)


def test_at_the_same_time_lists_overlapping_events_and_filters_to_their_period(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10 events match")
    assert page.locator("#same-time").is_hidden()  # nothing selected yet
    x, y = point_position(page, "Security", "Attack on Pearl Harbor")
    page.mouse.click(x, y)
    page.wait_for_function(
        "() => (document.querySelector('#details h2') || {}).textContent === 'Attack on Pearl Harbor'"
    )
    section = page.locator("#same-time")
    section.wait_for(state="visible")
    assert section.locator("h3").text_content() == "At the same time"
    # 1941: the war that began that day (nothing else in the file overlaps the year)
    assert section.locator("li").all_text_contents() == ["7 Dec 1941 – 2 Sep 1945 Pacific War"]
    button = page.locator("#show-period")
    assert button.text_content() == "Show this period (1941)"
    button.click()
    wait_for_graph(page, "2 of 10 events match")
    assert "from=1941" in page.url and "to=1941" in page.url
    assert page.input_value("#date-from") == "1941" and page.input_value("#date-to") == "1941"
    # a period: what overlaps the Pacific War, and the button widens the view to the war's span
    page.locator("#table .ag-row .ag-cell[col-id=title]").filter(has_text="Pacific War").click()
    page.wait_for_function("() => (document.querySelector('#details h2') || {}).textContent === 'Pacific War'")
    assert section.locator("li").all_text_contents() == ["7 Dec 1941 Attack on Pearl Harbor"]
    page.wait_for_function(
        "() => document.querySelector('#show-period').textContent === 'Show this period (1941-12-07 to 1945-09-02)'"
    )
    button.click()
    page.wait_for_url("**from=1941-12-07&to=1945-09-02")
    wait_for_graph(page, "2 of 10 events match")
    assert page.input_value("#date-from") == "1941-12-07" and page.input_value("#date-to") == "1945-09-02"
    assert page.errors == []


def test_a_slow_answer_says_it_is_working(server, page):
    """While the server counts and draws (seconds for a search of millions of events), the page says
    so; a quick answer never shows it."""
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    assert page.locator("#working").is_hidden()
    held = []

    def slow(route):
        if "timeline.figure" in (route.request.post_data or ""):
            held.append(route)  # answered below, once the page has had time to say it is working
        else:
            route.continue_()

    page.route("**/*", slow)
    page.fill("#search", "treaty")
    page.press("#search", "Enter")
    page.wait_for_selector("#match-count[data-dash-is-loading='true']")
    page.wait_for_timeout(600)  # past the moment it appears
    assert page.locator("#working").is_visible()
    assert page.locator("#working").text_content() == "Searching and counting…"
    for route in held:
        route.continue_()
    page.unroute("**/*")
    wait_for_graph(page, "3 of 10 events match")
    assert page.locator("#working").is_hidden()


def test_a_new_view_before_the_table_is_drawn_raises_no_script_error(server, page):
    """A page's first view can arrive before AG Grid has drawn the table, whose ``getApi`` then throws
    (*no grid found*) rather than answering nothing: the reset of the table's pages must not (a
    console error seen now and then on page loads, and at every reload after a preview)."""
    from dashboard.web.callbacks.table import RESET_ON_VIEW

    page.goto(server.url)
    wait_for_graph(page, "10 of 10 events match")
    with pytest.raises(Exception, match="no grid found"):  # the library as it is
        page.evaluate("() => window.dash_ag_grid.getApi('no-such-grid')")
    reset = RESET_ON_VIEW.replace("'table'", "'no-such-grid'")
    assert "'no-such-grid'" in reset
    answer = page.evaluate(f"() => ({reset})(null) === window.dash_clientside.no_update")
    assert answer is True
