"""Story mode in a real browser: buttons and arrow keys step, the card, the marked event and the URL
follow, a link opens its step, Back and reload restore it, and motion is reduced when asked."""

from __future__ import annotations

import pytest

from tests.browser.conftest import hold_first_call, wait_for_graph, wait_held
from tests.browser.test_every_reader import serious_violations

pytestmark = pytest.mark.browser

ORDER = ["Perry arrives at Uraga", "Convention of Kanagawa", "Treaty of Portsmouth", "Attack on Pearl Harbor"]
"""The browser test file's events in date order (conftest.BROWSER_CSV): ten events, one era."""


def step_shown(page, number: int) -> tuple[str, str]:
    """Wait for step ``number`` to be shown; (its card's title, the page's query)."""
    page.wait_for_function(
        "n => (document.getElementById('story-progress') || {}).textContent === n + ' / 10'", arg=number, timeout=15000
    )
    page.wait_for_function(
        "n => new URLSearchParams(location.search).get('story') === String(n)", arg=number, timeout=15000
    )
    return page.inner_text("#story-content h2"), page.evaluate("location.search")


def marked_x(page) -> float:
    """Where the story's ring is drawn (epoch ms)."""
    return page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        const ring = gd.data.find(t => t.meta === 'highlight');
        return ring ? ring.x[0] : null;
    }""")


def x_range(page) -> list[float]:
    return page.evaluate("() => document.querySelector('#timeline .js-plotly-plot').layout.xaxis.range")


def wait_marked(page, title_year: int) -> None:
    """Wait until the ring sits in ``title_year`` (the figure comes after the card)."""
    page.wait_for_function(
        """y => { const gd = document.querySelector('#timeline .js-plotly-plot');
                  const ring = gd && gd.data && gd.data.find(t => t.meta === 'highlight');
                  return ring && new Date(ring.x[0]).getUTCFullYear() === y; }""",
        arg=title_year,
        timeout=15000,
    )


def test_buttons_and_keys_step_through_the_story(page, server):
    page.goto(server.url)
    wait_for_graph(page)
    assert page.is_hidden("#story-card") and page.is_hidden("#story-next")
    page.click("#story-start")
    assert step_shown(page, 1) == (ORDER[0], "?story=1")
    wait_marked(page, 1853)
    assert page.is_disabled("#story-prev")
    page.click("#story-next")
    assert step_shown(page, 2) == (ORDER[1], "?story=2")
    wait_marked(page, 1854)
    lo, hi = x_range(page)
    assert lo < marked_x(page) < hi and hi - lo < 40 * 365.25 * 86_400_000  # zoomed in on it
    page.locator("body").press("ArrowRight")
    assert step_shown(page, 3) == (ORDER[2], "?story=3")
    wait_marked(page, 1905)
    page.locator("body").press("ArrowLeft")
    assert step_shown(page, 2)[0] == ORDER[1]
    # on a wide screen the card takes the filters' column; ending the story brings them back
    assert page.is_hidden("#controls")
    card, chart = (page.locator(s).bounding_box() for s in ("#story-card", "#timeline"))
    assert card["x"] + card["width"] <= chart["x"] and card["y"] < 200
    assert serious_violations(page) == []
    page.click("#story-close")
    page.wait_for_function("() => !new URLSearchParams(location.search).has('story')", timeout=15000)
    page.wait_for_selector("#story-card", state="hidden", timeout=15000)
    assert page.is_visible("#story-start") and page.is_visible("#search")
    assert page.errors == []


def test_on_a_phone_the_card_is_a_sheet_and_typing_does_not_step(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.goto(server.url + "?story=2")
    wait_for_graph(page)
    assert step_shown(page, 2)[0] == ORDER[1]
    card = page.locator("#story-card").bounding_box()
    assert card["y"] + card["height"] <= 845 and card["y"] > 300 and card["width"] >= 380
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []
    page.click("#filters-toggle")
    page.click("#search")
    page.keyboard.press("ArrowRight")  # moves the caret in the search box, not the story
    page.wait_for_timeout(600)
    assert page.inner_text("#story-progress") == "2 / 10"
    page.tap("#story-next")
    assert step_shown(page, 3)[0] == ORDER[2]
    context.close()


def test_a_link_opens_its_step_and_back_and_reload_restore_it(page, server):
    page.goto(server.url + "?story=3")
    wait_for_graph(page)
    assert step_shown(page, 3)[0] == ORDER[2]
    wait_marked(page, 1905)
    page.click("#story-next")
    assert step_shown(page, 4)[0] == ORDER[3]
    page.go_back()
    assert step_shown(page, 3)[0] == ORDER[2]
    page.reload()
    wait_for_graph(page)
    assert step_shown(page, 3)[0] == ORDER[2]
    wait_marked(page, 1905)
    assert page.errors == []


def test_a_story_over_the_filtered_events(page, server):
    page.goto(server.url + "?themes=trade&story=2")
    wait_for_graph(page)
    page.wait_for_function("() => document.getElementById('story-progress').textContent === '2 / 3'", timeout=15000)
    assert page.inner_text("#story-content h2") == "Plaza Accord"


def test_the_cards_motion_follows_the_readers_preference(window, server):
    page = window(server.url + "?story=1", 1440, 900, reduced_motion="reduce")
    page.wait_for_selector("#story-content h2")
    for motion, animated in (("reduce", False), ("no-preference", True), ("reduce", False)):
        page.emulate_media(reduced_motion=motion)  # the preference changed while the page is open, too
        name = page.eval_on_selector("#story-content h2", "e => getComputedStyle(e).animationName")
        assert (name != "none") == animated, motion


def test_a_click_on_a_told_event_in_the_table_goes_to_its_step(page, server):
    page.goto(server.url + "?story=1")
    wait_for_graph(page)
    assert step_shown(page, 1)[0] == ORDER[0]
    page.locator(".table-grid .ag-cell", has_text=ORDER[3]).first.click()
    assert step_shown(page, 4)[0] == ORDER[3]
    wait_marked(page, 1941)
    page.wait_for_selector("#details-card", state="hidden", timeout=10000)  # the story's card, not both
    assert page.errors == []


def test_presses_quicker_than_the_server_each_count(page, server):
    """Dash drops a call of the view's callback still running when the callback is asked again, and
    tells the next call only of its own press: the first Next's request is held here while Next is
    pressed twice more (as a held-down arrow key does), and the story must go three steps on."""
    page.goto(server.url + "?story=2")
    assert step_shown(page, 2)[0] == ORDER[1]
    held = hold_first_call(page, "story-next.n_clicks")
    page.locator("body").press("ArrowRight")
    wait_held(page, held)
    page.locator("body").press("ArrowRight")
    page.click("#story-next")
    page.wait_for_timeout(500)
    held[0].continue_()
    assert step_shown(page, 5)[1] == "?story=5"
