"""Every reader (#13): phones and tablets, Japanese, and assistive technology, in headless Chromium."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_page, point_on_page, settle, wait_for_graph, watch_errors
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def box(page, selector: str) -> dict[str, float]:
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; }"
    )


def click_event(page, index: int = 5) -> None:
    page.locator("#timeline .scatterlayer .point").nth(index).click(force=True)
    page.wait_for_selector("#details-card:not([hidden])", timeout=10000)
    page.wait_for_timeout(400)


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )
    return list(found)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (768, 1024)])
def test_phone_and_tablet_layout(browser, shipped, width, height):
    for load in range(3):  # the chart once laid out at zero height in about half of the loads
        context, page = open_page(browser, shipped.url, width, height)
        try:
            chart = box(page, "#timeline .js-plotly-plot")
            assert chart["y"] < height and chart["h"] >= 300 and chart["w"] >= width - 40
            if load > 0:
                continue  # the rest of the layout, and what a reader does with it, once
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
            assert not page.is_visible("#controls")  # the filters wait behind their button
            for part in ("#overview", "#table"):  # the strip and the table below it as wide as the chart
                assert box(page, part)["w"] >= width - 60, part
            assert page.locator("#table .ag-row").count() > 0
            page.click("#filters-toggle")  # the panel opens in the browser alone (a clientside callback)
            page.wait_for_selector("#search", state="visible", timeout=5000)
            page.wait_for_function("document.querySelector('#filters-toggle').getAttribute('aria-expanded') === 'true'")
            page.click("#filters-toggle")
            page.wait_for_selector("#controls", state="hidden", timeout=5000)
            assert page.get_attribute("#filters-toggle", "aria-expanded") == "false"
            click_event(page)
            card = box(page, "#details-card")
            assert card["y"] >= 0 and card["y"] + card["h"] <= height + 1  # on screen, no scrolling
            assert page.inner_text("#details h2").strip()
        finally:
            context.close()


def test_a_resized_window_keeps_the_chart_whole_and_lays_it_out_again(window, shipped):
    """The chart once fell to 2 px high at the first resize (the graph is responsive, and its box was
    as high as its parent, which is as high as the graph), the strip and the table over it."""
    page = window(shipped.url, 1440, 900)
    drawn = box(page, "#timeline .js-plotly-plot")
    for width in (1200, 1600, 900):
        with page.expect_request(lambda r: "layout-width.data" in (r.post_data or ""), timeout=10000):
            page.set_viewport_size({"width": width, "height": 900})  # the figure is laid out for the new width
        wait_for_graph(page)
        page.wait_for_function(
            "() => { const g = document.querySelector('#timeline .js-plotly-plot');"
            " return Math.abs(g._fullLayout.width - g.getBoundingClientRect().width) < 2; }",
            timeout=10000,
        )
        chart, strip, table = box(page, "#timeline"), box(page, "#overview"), box(page, "#table")
        assert abs(chart["h"] - drawn["h"]) <= 2, (width, chart, drawn)
        assert strip["y"] >= chart["y"] + chart["h"] and strip["h"] >= 50, (width, chart, strip)
        assert table["y"] >= strip["y"] + strip["h"], (width, strip, table)
    assert not page.errors


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1280, 720)])
def test_details_show_without_scrolling_on_a_desktop(window, shipped, width, height):
    page = window(shipped.url, width, height)
    assert page.is_hidden("#details-card")
    click_event(page)
    card = box(page, "#details-card")
    assert card["y"] >= 0 and card["y"] + min(card["h"], 200) <= height
    page.click("#details-close")
    page.wait_for_selector("#details-card", state="hidden", timeout=5000)


def test_japanese_page_dates_and_text(window, shipped):
    page = window(shipped.url + "?lang=ja", 1440, 900)
    assert page.get_attribute("html", "lang") == "ja"
    assert page.inner_text("label[for=search]") == "検索"
    assert "件中" in page.inner_text("#match-count")
    ticks = page.eval_on_selector_all("#timeline .xtick text", "els => els.map(e => e.textContent)")
    assert ticks and all(t.endswith("年") for t in ticks), ticks
    titles = page.evaluate(
        "() => document.querySelector('#timeline .js-plotly-plot').layout.annotations.map(a => a.text)"
    )
    assert "日米安全保障条約調印" in " ".join(titles) or any("条約" in t for t in titles)
    click_event(page)
    when = page.inner_text("#details .when")
    assert "年" in when and "（" in when  # e.g. 1905年7月27日（明治38年）
    assert page.inner_text("#same-time h3") == "同じ時期の出来事"
    assert page.errors == []


def test_browser_language_is_used_without_a_parameter(browser, shipped):
    context, page = open_page(browser, shipped.url, 1440, 900, locale="ja-JP")
    try:
        assert page.get_attribute("html", "lang") == "ja" and page.inner_text("#filters-toggle") == "絞り込み"
        page.click("#lang-en")
        wait_for_graph(page)
        page.wait_for_function("document.documentElement.lang === 'en'")
        assert page.inner_text("label[for=search]") == "Search"
    finally:
        context.close()


def test_a_tapped_events_hover_box_goes_when_the_chart_changes(browser, shipped):
    """On a phone a tapped event's hover box stayed over every step of the story begun after it,
    covering the told event's label, though its event was no longer in view."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        watch_errors(page)
        page.goto(shipped.url + "?themes=war,memory")
        settle(page)
        points = page.locator("#timeline .scatterlayer .point")
        at = points.nth(points.count() - 1).bounding_box()
        page.touchscreen.tap(at["x"] + at["width"] / 2, at["y"] + at["height"] / 2)
        page.wait_for_selector("#timeline .hoverlayer .hovertext", timeout=5000)
        page.tap("#details-close")
        page.tap("#story-start")
        page.wait_for_function("() => document.getElementById('story-progress').textContent.startsWith('1 /')")
        wait_for_graph(page)
        page.wait_for_timeout(500)
        assert page.locator("#timeline .hoverlayer .hovertext").count() == 0
        assert page.errors == []
    finally:
        context.close()


def test_the_language_link_keeps_the_view(window, shipped):
    """The link to the other language was always '?lang=ja': the reader's filters were lost."""
    page = window(shipped.url + "?themes=war,memory&q=hiroshima", 1440, 900)
    wait_for_graph(page)
    page.click("#lang-ja")
    page.wait_for_function("document.documentElement.lang === 'ja'")
    wait_for_graph(page)
    query = page.evaluate("Object.fromEntries(new URLSearchParams(location.search))")
    assert query["lang"] == "ja" and query["q"] == "hiroshima" and query["themes"] == "war,memory"
    assert page.input_value("#search") == "hiroshima"
    page.click("#lang-en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "q=hiroshima" in page.evaluate("location.search")


@pytest.mark.parametrize(
    ("query", "width", "height", "states"),
    [
        ("", 1440, 900, ("page", "details")),
        ("", 390, 844, ("filters", "details")),
        ("?lang=ja", 1440, 900, ("details",)),
    ],
    ids=["desktop", "phone", "japanese"],
)
def test_no_serious_accessibility_violations(window, shipped, query, width, height, states):
    """Each state in turn on one page: as loaded, the filters panel open (then closed), an event's
    details open."""
    page = window(shipped.url + query, width, height)
    for state in states:
        if state == "filters":
            page.click("#filters-toggle")
            page.wait_for_selector("#search", state="visible", timeout=5000)
        elif state == "details":
            if page.is_visible("#search") and width < 800:  # the phone's panel closed first
                page.click("#filters-toggle")
                page.wait_for_selector("#controls", state="hidden", timeout=5000)
            click_event(page)
        assert serious_violations(page) == [], state


def test_chart_has_a_name_and_a_summary_that_follows_the_filters(window, shipped):
    page = window(shipped.url, 1440, 900)
    figure = page.locator("[role=figure]")
    assert figure.get_attribute("aria-label") == "Timeline chart"
    assert page.inner_text("#chart-summary") == "71 events from 1853 to 2026 in 8 themes"
    page.goto(shipped.url + "?themes=war&from=1900&to=1950")
    wait_for_graph(page)
    page.wait_for_function("document.querySelector('#chart-summary').textContent.includes('1 theme')")
    assert page.inner_text("#chart-summary").endswith("in 1 theme")


def test_keyboard_reaches_the_controls_in_order_with_a_visible_focus(window, shipped):
    page = window(shipped.url, 1440, 900)
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                """() => { const e = document.activeElement;
                const ring = n => { const s = getComputedStyle(n); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; };
                // the control itself, or the box drawn around it (Dash draws text inputs' ring on their container)
                return [e.id || e.getAttribute('value') || e.tagName, ring(e) || ring(e.parentElement)]; }"""
            )
        )
    ids = [r[0] for r in reached]
    assert ids.index("search") < ids.index("date-from") < ids.index("date-to")
    assert all(visible for _, visible in reached), reached


def test_every_stop_of_the_keyboard_is_on_screen_with_its_ring(window, shipped):
    """The sticky filters panel, taller than the window, held the upload box below the screen's
    edge, where the focus went unseen; the table's focused cell had a 1 px border for a ring."""
    page = window(shipped.url, 1440, 900)
    seen = []
    for _ in range(80):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => { const e = document.activeElement;
            if (!e || e === document.body) return null;
            const shown = e.getClientRects().length && getComputedStyle(e).opacity !== '0' ? e : e.parentElement;
            const r = shown.getBoundingClientRect();
            const ring = n => { const s = getComputedStyle(n); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; };
            // in the grid, inside the cell (the grid clips what is drawn outside it)
            const inside = !e.closest('.ag-root-wrapper') || parseFloat(getComputedStyle(e).outlineOffset) <= -2;
            return {id: e.id || e.className || e.tagName, top: r.top, bottom: r.bottom,
                    ring: (ring(e) && inside) || ring(e.parentElement) || ring(shown)}; }"""
        )
        if where is None:
            break
        seen.append(where)
    assert len(seen) > 30
    off = [w for w in seen if w["top"] < -1 or w["bottom"] > 901]
    assert off == [], off
    cells = [w for w in seen if "ag-header-cell" in str(w["id"]) or "ag-cell" in str(w["id"])]
    assert cells and all(w["ring"] for w in cells), cells


LONG_TITLES = (
    "date,title,themes\n1850,Short one,war\n"
    '1860-05-01,"The Japanese Embassy to the United States of 1860, sent by the Tokugawa shogunate to ratify '
    'the Treaty of Amity and Commerce",diplomacy;trade;memory;security\n'
    "1870,Another,war\n"
    '1875,"A second long title that goes on and on about the treaties and the trade of the period",trade\n'
    "1890,Tail,diplomacy\n"
)


def test_a_long_titles_hover_box_stays_on_a_phones_screen(window, write_csv_session):
    """plotly sets a hover box beside its point; one line of a long title made it wider than the
    phone, and it ran off both edges."""
    from tests.browser.conftest import Server

    srv = Server(write_csv_session(LONG_TITLES))
    try:
        page = window(srv.url, 390, 844)
        wait_for_graph(page, "5 of 5")
        for title in ("The Japanese Embassy", "A second long title"):
            x, y = point_on_page(page, "#timeline .js-plotly-plot", title)
            page.mouse.move(1, 1)
            page.mouse.move(x, y)
            page.wait_for_selector("#timeline .hoverlayer .hovertext")
            shown = box(page, "#timeline .hoverlayer .hovertext")
            assert shown["x"] >= 0 and shown["x"] + shown["w"] <= 390, (title, shown)
            lines = page.locator("#timeline .hoverlayer .hovertext tspan.line").all_text_contents()
            assert len(lines) > 4 and title in " ".join(lines)
    finally:
        srv.stop()


FOCUSED = """() => { const e = document.activeElement;
    if (!e || e === document.body) return 'body';
    if (e.closest('.ag-header-cell')) return 'grid-header';
    if (e.closest('.ag-cell')) return 'grid-cell';
    if (e.closest('#details-card')) return 'details';
    return e.id || e.getAttribute('aria-label') || e.tagName; }"""


def test_the_table_is_one_tab_stop_and_an_opened_event_takes_the_focus(window, shipped):
    """Tab stopped on every cell of the table (some 48 presses a page), and the card that Enter opened
    on a row came only after all of them. Now: one stop, the arrow keys inside, Enter moves the focus
    into the card, Escape closes it and gives the focus back to the row."""
    page = window(shipped.url, 1440, 900)
    page.focus("#search")
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1] in ("grid-header", "grid-cell"):
            break
    assert stops[-1] == "grid-header", stops
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) not in ("grid-header", "grid-cell")  # out of the rows at once
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED) in ("grid-header", "grid-cell")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED) == "grid-cell"
    row = page.evaluate("() => document.activeElement.closest('.ag-row').getAttribute('row-index')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#details-card:not([hidden])", timeout=10000)
    page.wait_for_function("() => document.activeElement.closest('#details-card') !== null", timeout=5000)
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "details"  # the card's own controls come next
    # Enter on another row while the card is open: the card shows it and takes the focus again
    shown = page.inner_text("#details h2")
    page.locator('#table .ag-row[row-index="5"] .ag-cell[col-id="title"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_function("t => document.querySelector('#details h2').textContent !== t", arg=shown, timeout=10000)
    page.wait_for_function("() => document.activeElement.closest('#details-card') !== null", timeout=5000)
    page.keyboard.press("Escape")
    page.wait_for_selector("#details-card", state="hidden", timeout=5000)
    page.wait_for_function(
        "r => { const c = document.activeElement.closest('.ag-row'); return c && c.getAttribute('row-index') === r; }",
        arg="5",
        timeout=5000,
    )
    assert row != "5"
    assert page.errors == []


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_closing_an_events_details_with_the_mouse_moves_neither_focus_nor_page(window, shipped, width, height):
    """× clicked gave the focus to the table's header, and the page scrolled down to it."""
    page = window(shipped.url, width, height)
    click_event(page)
    before = page.evaluate("window.scrollY")
    page.click("#details-close")
    page.wait_for_selector("#details-card", state="hidden", timeout=5000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") == before
    assert page.evaluate(FOCUSED) not in ("grid-header", "grid-cell")
    assert page.errors == []


def test_the_story_keeps_the_keyboards_focus(window, shipped):
    """Enter on 'Tell as a story' hid the button under the focus, which fell to the page's body; so did
    'End the story'. Now the focus goes to Next, and back to 'Tell as a story' at the end."""
    page = window(shipped.url, 1440, 900)
    page.focus("#story-start")
    page.keyboard.press("Enter")
    page.wait_for_selector("#story-next", state="visible", timeout=10000)
    page.wait_for_function("() => document.activeElement.id === 'story-next'", timeout=5000)
    page.keyboard.press("Enter")  # Next, again by the keyboard
    page.wait_for_function("() => document.getElementById('story-progress').textContent.startsWith('2 /')")
    assert page.evaluate(FOCUSED) == "story-next"
    page.focus("#story-close")
    page.keyboard.press("Enter")
    page.wait_for_selector("#story-start", state="visible", timeout=10000)
    page.wait_for_function("() => document.activeElement.id === 'story-start'", timeout=5000)
    assert page.errors == []


CLIPPED_CELLS = """() => {
    const grid = document.querySelector('#table .ag-body-viewport').getBoundingClientRect();
    const out = [];
    document.querySelectorAll('#table .ag-header-cell').forEach(h => {
        const r = h.getBoundingClientRect();
        if (r.width && r.right > grid.right + 1) out.push('header ' + h.textContent + ' runs off');
    });
    document.querySelectorAll('#table .ag-row .ag-cell .ag-cell-value').forEach(v => {
        if (v.scrollHeight > v.clientHeight + 1) out.push('cut: ' + v.textContent);
    });
    return out;
}"""


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_phones_table_shows_whole_titles_and_dates(window, shipped, lang):
    """On a phone the table cut titles and periods after two lines ('Perry's Black Ships reach…',
    '1894年7月（明治27年）–…') and ran its Themes column off the screen's edge."""
    page = window(shipped.url + f"?lang={lang}", 390, 844)
    page.wait_for_function("() => document.querySelectorAll('#table .ag-row .ag-cell-value').length >= 12")
    assert page.evaluate(CLIPPED_CELLS) == []
    page.get_by_role("button", name="次のページ" if lang == "ja" else "Next Page").click()
    page.wait_for_function("() => document.querySelector('#table .ag-paging-panel').textContent.match(/13/)")
    page.wait_for_timeout(300)
    assert page.evaluate(CLIPPED_CELLS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1440, "height": 900})  # a wide window has every column again
    page.wait_for_function("() => document.querySelectorAll('#table .ag-header-cell').length === 4", timeout=10000)
