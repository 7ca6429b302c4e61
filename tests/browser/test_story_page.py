"""The story page in a real headless Chromium, opened from ``file://`` with every network request
refused: it plots, its checkboxes and search change what is drawn, and it steps with the buttons
and the arrow keys, the URL's hash following (so a reload comes back to the same step)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.core.query import View
from dashboard.io.formats import load_timeline
from dashboard.render.story_page import story_html
from tests.browser.conftest import (
    CHROMIUM_ARGS,  # noqa: F401  (the browser fixture launches with them)
    point_on_page,
)
from tests.browser.test_every_reader import LONG_TITLES, box, serious_violations

pytestmark = pytest.mark.browser

IMAGE = "https://upload.wikimedia.org/wikipedia/commons/a/a0/Black_ships.jpg"
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
STORY_ORDER = [
    "Perry arrives at Uraga",
    "Convention of Kanagawa",
    "Treaty of Portsmouth",
    "Attack on Pearl Harbor",
    "Pacific War",
    "Security Treaty signed",
    "Plaza Accord",
    "Abe addresses Congress",
    "Obama visits Hiroshima",
    "Tariff deal",
]


@pytest.fixture(scope="module")
def story_file(tmp_path_factory, browser_csv) -> Path:
    """The browser tests' events with media added by hand (as TimelineJS files will give them),
    one of them hostile."""
    tl = load_timeline(browser_csv)
    ids = tl.events["id"].tolist()
    media = {"perry": IMAGE, "kanagawa": VIDEO, "portsmouth": "javascript:alert(1)", "pearl": "data:text/html,x"}
    tl.events["media"] = [media.get(i, "") for i in ids]
    tl.events["media_caption"] = ["Black ships at Uraga" if i == "perry" else "" for i in ids]
    tl.events["media_credit"] = ["Unknown artist" if i == "perry" else "" for i in ids]
    tl.memo.clear()
    path = tmp_path_factory.mktemp("story") / "story.html"
    path.write_bytes(story_html(tl, View(), title="Browser story"))
    return path


def open_offline(returning_visitor, url: str, width: int = 1440, height: int = 900, reduced_motion: str | None = None):
    """A page on ``url`` (in the returning visitor's browser: the page's scripts compiled before, a
    third less CPU a load) where nothing but file:// may load; what was refused is kept. Routing a
    page also leaves the browser's HTTP cache out of its requests: each is refused, none is cached."""
    page = returning_visitor.new_page()
    page.set_viewport_size({"width": width, "height": height})
    if reduced_motion is not None:
        page.emulate_media(reduced_motion=reduced_motion)
    refused: list[str] = []

    def only_files(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_files)
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(f"error: {e}"))
    page.on("console", lambda m: page.problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.refused = refused
    page.goto(url)
    page.wait_for_selector("#chart.js-plotly-plot .main-svg", state="attached", timeout=20000)
    page.wait_for_function("document.querySelector('#progress').textContent.includes('/')", timeout=10000)
    return page


def drawn(page) -> int:
    """Events drawn (points and bars), the step's highlight not counted."""
    return page.evaluate("""() => document.querySelector('#chart')._fullData
        .filter(t => t.name !== 'highlight').reduce((n, t) => n + (t._length || 0), 0)""")


def card(page) -> tuple[str, str, str]:
    page.wait_for_timeout(50)
    return (
        page.text_content("#progress"),
        page.text_content("#step h2") or "",
        page.evaluate("location.hash"),
    )


def network_problems(page) -> list[str]:
    """Console errors other than the refused media requests (which a blocked network must refuse)."""
    return [p for p in page.problems if "ERR_FAILED" not in p and "net::" not in p]


def test_it_plots_filters_and_steps_with_the_network_blocked(returning_visitor, story_file):
    page = open_offline(returning_visitor, story_file.as_uri())
    try:
        total = len(STORY_ORDER)
        assert drawn(page) == 15  # 10 events, five of them in two lanes
        assert card(page) == (f"1 / {total}", STORY_ORDER[0], "#story=1")

        page.keyboard.press("ArrowRight")
        assert card(page) == (f"2 / {total}", STORY_ORDER[1], "#story=2")
        page.click("#next")
        assert card(page) == (f"3 / {total}", STORY_ORDER[2], "#story=3")
        page.click("#previous")
        page.keyboard.press("ArrowLeft")
        assert card(page) == (f"1 / {total}", STORY_ORDER[0], "#story=1")
        assert page.is_disabled("#previous") and not page.is_disabled("#next")

        # the step is highlighted and the x axis moved to its window
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(600)
        highlight = page.evaluate(
            "document.querySelector('#chart')._fullData.find(t => t.name === 'highlight')._length"
        )
        assert highlight == 2  # Kanagawa is in two lanes: ringed in both
        x0, x1 = page.evaluate(
            "(() => { const a = document.querySelector('#chart')._fullLayout.xaxis; return a.range.map(a.r2l); })()"
        )
        assert x1 - x0 < 30 * 365.25 * 86400000  # zoomed to the step, not the whole 170 years

        # unticking a theme: fewer events drawn, and a shorter story over what remains
        page.get_by_label("Diplomacy", exact=True).uncheck()
        page.wait_for_timeout(300)
        assert drawn(page) < 15
        unticked = page.text_content("#progress")
        assert unticked.split(" / ")[1] != str(total)
        page.get_by_label("Diplomacy", exact=True).check()

        # searching: typing arrows in the box moves the cursor, not the story
        page.fill("#search", "treaty")
        page.wait_for_timeout(400)
        assert drawn(page) == 5  # Kanagawa ("First treaty.") and Portsmouth in two lanes, the Security Treaty in one
        page.focus("#search")
        before = card(page)
        page.keyboard.press("ArrowRight")
        assert card(page) == before
        assert before[0].endswith(" / 3")
        page.fill("#search", "")
        page.wait_for_timeout(400)
        assert drawn(page) == 15

        # the step survives a reload, from the hash
        page.evaluate("document.activeElement.blur()")
        page.click("#next")
        page.click("#next")
        progress, title, hash_ = card(page)
        page.reload()
        page.wait_for_selector("#chart.js-plotly-plot .main-svg", state="attached", timeout=20000)
        page.wait_for_function("document.querySelector('#progress').textContent.includes('/')")
        assert card(page) == (progress, title, hash_)
        assert network_problems(page) == []
        assert all(url.startswith("https://") and ("wikimedia" in url or "youtube" in url) for url in page.refused)
    finally:
        page.close()


def test_media_show_as_their_kind_and_hostile_media_never_render(returning_visitor, story_file):
    page = open_offline(returning_visitor, story_file.as_uri() + "#story=1")
    try:
        img = page.locator("#step figure img")
        assert img.get_attribute("alt") == "Black ships at Uraga"
        assert img.get_attribute("referrerpolicy") == "no-referrer" and img.get_attribute("loading") == "lazy"
        assert img.get_attribute("src") == IMAGE
        assert page.text_content("#step figcaption") == "Black ships at Uraga · Unknown artist"
        page.click("#next")
        frame = page.locator("#step iframe")
        assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        assert "Convention of Kanagawa" in frame.get_attribute("title")
        for _ in range(3):  # Portsmouth's and Pearl Harbor's media are hostile: no figure at all
            page.click("#next")
            assert page.locator("#step figure").count() == 0
            found = page.evaluate("""() => [...document.querySelectorAll('[src],[href]')]
                .map(e => e.getAttribute('src') || e.getAttribute('href'))
                .filter(v => /^(javascript|data):/i.test(v.trim()))""")
            assert found == []
        link = page.locator("#step .source a")
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert network_problems(page) == []
    finally:
        page.close()


def test_the_cover_is_step_one_and_a_step_link_opens_on_its_step(returning_visitor, tmp_path, browser_csv):
    tl = load_timeline(browser_csv)
    tl.cover = {"title": "Two centuries", "description": "From the black ships\nto tariffs"}
    path = tmp_path / "cover.html"
    path.write_bytes(story_html(tl, View(themes=("war",))))
    page = open_offline(returning_visitor, path.as_uri())
    try:
        assert card(page) == ("1 / 4", "Two centuries", "#story=1")  # the cover, then the three wars
        assert page.text_content("#step .description") == "From the black ships\nto tariffs"
        names = page.evaluate("document.querySelector('#chart')._fullLayout.annotations.map(a => a.text)")
        assert names == ["Allied occupation"]  # the era, named above its band on the whole span the cover shows
        assert page.get_by_label("War", exact=True).is_checked()
        assert not page.get_by_label("Diplomacy", exact=True).is_checked()
    finally:
        page.close()
    page = open_offline(returning_visitor, path.as_uri() + "#story=3")
    try:
        assert card(page) == ("3 / 4", "Attack on Pearl Harbor", "#story=3")
    finally:
        page.close()


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_layout_and_accessibility(returning_visitor, story_file, width, height, tmp_path):
    page = open_offline(returning_visitor, story_file.as_uri() + "#story=2", width, height, reduced_motion="reduce")
    try:
        page.wait_for_timeout(300)
        page.screenshot(path=str(tmp_path / f"story-{width}.png"), full_page=True)  # kept in pytest's temp folder
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        chart = page.locator("#chart").bounding_box()
        story = page.locator(".card").bounding_box()
        if width > 820:  # beside the chart
            assert story["x"] >= chart["x"] + chart["width"] and story["y"] < chart["y"] + 50
        else:  # below it
            assert story["y"] >= chart["y"] + chart["height"] - 1 and story["width"] >= width - 40
        assert page.get_attribute("#step", "aria-live") == "polite"
        assert page.locator("#themes input[type=checkbox]").count() == page.locator("#themes label").count()
        assert serious_violations(page) == []
        assert network_problems(page) == []
    finally:
        page.close()


@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_a_step_moves_the_axis_to_its_window_with_no_transition_for_reduced_motion(
    returning_visitor, story_file, motion
):
    page = open_offline(returning_visitor, story_file.as_uri(), reduced_motion=motion)
    try:
        page.evaluate("""() => { const animate = Plotly.animate; window.animations = 0;
            Plotly.animate = (...args) => { window.animations += 1; return animate(...args); }; }""")
        page.keyboard.press("ArrowRight")
        expected = page.evaluate("""() => { const ev = JSON.parse(document.getElementById('story-data').textContent).events;
            return [ev.lo[1], ev.hi[1]]; }""")
        page.wait_for_function(
            """([lo, hi]) => { const a = document.querySelector('#chart')._fullLayout.xaxis;
                const [x0, x1] = a.range.map(a.r2l); return Math.abs(x0 - lo) < 1 && Math.abs(x1 - hi) < 1; }""",
            arg=expected,
            timeout=5000,
        )
        assert page.evaluate("window.animations") == (0 if motion == "reduce" else 1)
    finally:
        page.close()


def test_the_apps_download_is_the_story_of_its_view(server, page, returning_visitor, tmp_path):
    from tests.browser.conftest import wait_for_graph

    page.goto(server.url + "?themes=security,war&from=1900")
    wait_for_graph(page, "4 of 10")
    with page.expect_download(timeout=60000) as info:
        page.click("#download-story")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "timeline-story.html"
    story = open_offline(returning_visitor, path.as_uri())
    try:
        assert card(story) == ("1 / 4", "Treaty of Portsmouth", "#story=1")  # the view's events, its themes ticked
        assert story.get_by_label("War", exact=True).is_checked()
        assert not story.get_by_label("Trade", exact=True).is_checked()
        assert story.text_content("h1") == "Browser test timeline"
        assert network_problems(story) == []
    finally:
        story.close()


def test_years_before_the_common_era_are_written_as_historians_write_them(returning_visitor, tmp_path):
    csv = tmp_path / "ancient.csv"
    csv.write_text(
        "id,date,title,themes\nmarathon,-490,Battle of Marathon,war\nsalamis,-480,Battle of Salamis,war\n"
        "perry,1853-07-08,Perry arrives,diplomacy\n",
        encoding="utf-8",
    )
    path = tmp_path / "ancient.html"
    path.write_bytes(story_html(load_timeline(csv), View()))
    page = open_offline(returning_visitor, path.as_uri(), reduced_motion="reduce")
    ticks = "document.querySelector('#chart')._fullLayout.xaxis.ticktext || []"
    try:
        assert card(page)[:2] == ("1 / 3", "Battle of Marathon")
        labels = page.evaluate(ticks)
        assert labels and all(label.endswith(" BCE") for label in labels)
        assert "490 BCE" in labels or "500 BCE" in labels
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert card(page)[:2] == ("3 / 3", "Perry arrives")
        page.wait_for_function(f"({ticks}).some(t => /^1[89][0-9][0-9]$/.test(t))", timeout=5000)
        assert not any(label.endswith("BCE") for label in page.evaluate(ticks))  # the ticks follow the step
    finally:
        page.close()


def test_a_title_word_searches_the_titles_alone_as_the_app_does(returning_visitor, tmp_path, browser_csv):
    tl = load_timeline(browser_csv)
    path = tmp_path / "title-search.html"
    path.write_bytes(story_html(tl, View(text="title:Treaty")))
    page = open_offline(returning_visitor, path.as_uri())
    try:
        # Portsmouth (two lanes) and the Security Treaty: Kanagawa holds 'treaty' in its description alone
        assert page.input_value("#search") == "title:Treaty"
        assert drawn(page) == 3
        assert card(page)[:2] == ("1 / 2", "Treaty of Portsmouth")
        page.fill("#search", "treaty")
        page.wait_for_timeout(400)
        assert drawn(page) == 5
        page.fill("#search", "title:treaty first")  # a plain word anywhere, the title: word in the title
        page.wait_for_timeout(400)
        assert drawn(page) == 1 and card(page)[:2] == ("1 / 1", "Security Treaty signed")
        page.fill("#search", "title: TITLE:PORTSMOUTH")  # 'title:' alone asks nothing
        page.wait_for_timeout(400)
        assert drawn(page) == 2 and card(page)[:2] == ("1 / 1", "Treaty of Portsmouth")
        assert network_problems(page) == []
    finally:
        page.close()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1440, 900)])
def test_a_long_titles_hover_box_stays_on_the_screen(returning_visitor, tmp_path, width, height):
    """The story page's hover box held a title on one line, so a long title ran off a phone's screen
    (the app's chart wraps it: ``test_a_long_titles_hover_box_stays_on_a_phones_screen``)."""

    csv = tmp_path / "long.csv"
    csv.write_text(LONG_TITLES, encoding="utf-8")
    path = tmp_path / "long.html"
    path.write_bytes(story_html(load_timeline(csv), View()))
    page = open_offline(returning_visitor, path.as_uri(), width, height, reduced_motion="reduce")
    try:
        page.locator("#chart").scroll_into_view_if_needed()
        for title, presses in (("The Japanese Embassy", 1), ("A second long title", 2)):
            for _ in range(presses):  # each step's axis shows the window around its event
                page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "(title) => document.querySelector('#step h2').textContent.startsWith(title)", arg=title
            )
            page.wait_for_timeout(100)
            x, y = point_on_page(page, "#chart", title)
            page.mouse.move(1, 1)
            page.mouse.move(x, y)
            page.wait_for_selector("#chart .hoverlayer .hovertext")
            shown = box(page, "#chart .hoverlayer .hovertext")
            assert shown["x"] >= 0 and shown["x"] + shown["w"] <= width, (title, shown)
            lines = page.locator("#chart .hoverlayer .hovertext tspan.line").all_text_contents()
            assert title in " ".join(lines)
            if width < 600:
                assert len(lines) > 3, lines  # the title in several lines, then its date
        assert network_problems(page) == []
    finally:
        page.close()


def test_a_window_made_narrow_wraps_the_hover_anew_and_keeps_the_view(returning_visitor, tmp_path):
    """A phone turned or a window resized: the titles are wrapped for the new width, and the window
    on the axis (panned by the reader) stays where it was."""

    csv = tmp_path / "long.csv"
    csv.write_text(LONG_TITLES, encoding="utf-8")
    path = tmp_path / "resize.html"
    path.write_bytes(story_html(load_timeline(csv), View()))
    page = open_offline(returning_visitor, path.as_uri(), 1440, 900, reduced_motion="reduce")
    lines = """() => Math.max(...document.querySelector('#chart')._fullData
        .flatMap(t => t.hovertext ? [].concat(t.hovertext) : []).map(h => h.split('<br>').length))"""
    axis = "document.querySelector('#chart')._fullLayout.xaxis.range.map(String)"
    try:
        wide = page.evaluate(lines)
        page.evaluate(
            "Plotly.relayout(document.querySelector('#chart'), {'xaxis.range': ['1855-01-01', '1880-01-01']})"
        )
        page.set_viewport_size({"width": 390, "height": 844})
        longest = lines.removeprefix("() => ")
        page.wait_for_function(f"(wide) => {longest} > wide", arg=wide, timeout=5000)
        assert [v[:10] for v in page.evaluate(axis)] == ["1855-01-01", "1880-01-01"]
        assert network_problems(page) == []
    finally:
        page.close()
