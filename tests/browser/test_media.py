"""Media in the browser: a TimelineJS story's pictures in the details (alt text, lazy, no referrer),
on a wide screen and a phone, and a file of hostile media refused with its lines, leaving the
timeline on screen as it was. No request leaves the machine: pictures are answered locally."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import Server, plotted, wait_for_graph
from tests.browser.test_features import TITLE_CELLS, upload

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent.parent / "fixtures" / "timelinejs"
PICTURE = """<svg xmlns="http://www.w3.org/2000/svg" width="800" height="520" viewBox="0 0 800 520">
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6fa8dc"/>
<stop offset="1" stop-color="#e8f1fa"/></linearGradient></defs>
<rect width="800" height="520" fill="url(#sky)"/><rect y="400" width="800" height="120" fill="#c9b68d"/>
<path d="M250 260 h300 l-20 12 h-260 z M380 240 h40 v50 h-40 z" fill="#333"/>
<text x="400" y="470" font-family="sans-serif" font-size="28" text-anchor="middle" fill="#333">a picture, served locally</text>
</svg>"""


@pytest.fixture(scope="module")
def story_server():
    srv = Server(FIXTURES / "story.json")
    yield srv
    srv.stop()


def offline(page, asked: list[str]) -> None:
    """Answer pictures from here and refuse every other request off the machine, noting each."""

    def answer(route):
        url = route.request.url
        if url.startswith("http://127.0.0.1"):
            route.continue_()
            return
        asked.append(url)
        if route.request.resource_type == "image":
            route.fulfill(status=200, content_type="image/svg+xml", body=PICTURE)
        else:
            route.abort()

    page.route("**/*", answer)


def open_event(page, title: str) -> None:
    # On a phone the grid lies under the fold, below other boxes: the click is sent to the row itself.
    page.locator(TITLE_CELLS).filter(has_text=title).dispatch_event("click")
    page.wait_for_function("t => (document.querySelector('#details h2') || {}).textContent === t", arg=title)


@pytest.mark.parametrize("width, height", [(1440, 900), (390, 844)])
def test_a_picture_in_the_details_has_alt_text_lazy_loading_and_no_referrer(
    browser, story_server, tmp_path, width, height
):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    asked: list[str] = []
    offline(page, asked)
    try:
        page.goto(story_server.url)
        wait_for_graph(page, "11 of 11")
        open_event(page, "The Wright Flyer's first powered flight")
        img = page.locator("#details figure.media img")
        img.wait_for()
        assert img.get_attribute("alt") == "Orville at the controls, Wilbur alongside."
        assert img.get_attribute("referrerpolicy") == "no-referrer"
        assert img.get_attribute("loading") == "lazy"
        assert img.get_attribute("src") == "https://upload.wikimedia.org/wikipedia/commons/8/86/First_flight2.jpg"
        assert "John T. Daniels / Library of Congress" in page.locator("#details figcaption").text_content()
        page.wait_for_function("() => document.querySelector('#details figure.media img').naturalWidth > 0")
        box = img.bounding_box()
        assert box is not None and 0 < box["width"] <= width and box["height"] <= 0.62 * height
        # The picture was asked for without saying which page shows it.
        assert "https://upload.wikimedia.org/wikipedia/commons/8/86/First_flight2.jpg" in asked
        page.screenshot(path=str(tmp_path / f"details-picture-{width}x{height}.png"))

        open_event(page, "Apollo 11 lands on the Moon")
        frame = page.locator("#details .media-player iframe")
        frame.wait_for(state="attached")
        assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/S9HdPi9Ikhk"
        assert frame.get_attribute("sandbox") == "allow-scripts allow-same-origin allow-presentation allow-popups"
        assert frame.get_attribute("referrerpolicy") == "strict-origin-when-cross-origin"
        ratio = page.evaluate(
            "() => { const r = document.querySelector('#details .media-player').getBoundingClientRect();"
            " return r.width / r.height; }"
        )
        assert abs(ratio - 16 / 9) < 0.05
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("name", ["hostile_media.json", "hostile_media.csv"])
def test_hostile_media_is_refused_with_its_lines_and_the_timeline_stays(story_server, page, tmp_path, name):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    asked: list[str] = []
    offline(page, asked)
    page.goto(story_server.url)
    wait_for_graph(page, "11 of 11")
    before = plotted(page)
    upload(page, FIXTURES / name)
    page.wait_for_selector("#upload-status .upload-errors")
    status = page.locator("#upload-status").text_content()
    if name.endswith(".json"):
        assert f"{name} was not opened: 6 problems" in status
        assert "line 2, column 'title.media.url': \"javascript:alert('cover')\": expected an https:// address" in status
        assert "line 7, column 'media.url': 'javascript:alert(document.cookie)'" in status
        assert "line 17, column 'media.thumbnail': 'http://example.org/small.jpg'" in status
    else:
        assert f"{name} was not opened: 5 problems" in status
        assert "line 3, column 'Media': 'javascript:alert(document.cookie)'" in status
        assert "line 7, column 'Media Thumbnail': 'JaVaScRiPt:alert(1)'" in status
    assert page.locator("#match-count").text_content() == "11 of 11 events match"
    assert plotted(page) == before
    assert page.locator("#page-title").text_content() == "Firsts in flight"
    hostile = "[src^='javascript' i], [href^='javascript' i], [src^='data:' i], [src^='http:' i]"
    assert page.locator(hostile).count() == 0 and dialogs == [] and asked == []


def test_the_story_opens_on_the_cover_with_its_picture_then_shows_each_events(story_server, page, tmp_path):
    asked: list[str] = []
    offline(page, asked)
    page.goto(story_server.url + "?story=1")
    wait_for_graph(page)
    page.wait_for_function("() => (document.getElementById('story-progress') || {}).textContent === '1 / 12'")
    assert page.inner_text("#story-content h2") == "Firsts in flight"
    cover = page.locator("#story-content figure.media img")
    cover.wait_for()
    assert cover.get_attribute("alt") == "The Wright Flyer leaves the ground at Kill Devil Hills, 17 December 1903."
    assert cover.get_attribute("referrerpolicy") == "no-referrer" and cover.get_attribute("loading") == "lazy"
    page.click("#story-next")  # each step follows the one shown: a second click sent before it shows is lost
    page.wait_for_function("() => document.getElementById('story-progress').textContent === '2 / 12'")
    page.click("#story-next")
    page.wait_for_function(
        "() => (document.querySelector('#story-content h2') || {}).textContent === \"The Wright Flyer's first powered flight\""
    )
    img = page.locator("#story-content figure.media img")
    img.wait_for()
    assert img.get_attribute("alt") == "Orville at the controls, Wilbur alongside."
    page.wait_for_function("() => document.querySelector('#story-content figure.media img').naturalWidth > 0")
    page.screenshot(path=str(tmp_path / "story-card-picture-1440x1000.png"))
