"""Serve the app in a subprocess and drive it with Playwright in Debian's Chromium headless shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import DATASET
from tests.servers import Server

CHROMIUM = "/usr/bin/chromium-headless-shell"
"""Chromium built for headless use (Debian's package, which setup.sh installs): the browser Playwright
itself runs headless tests in, the same engine as the whole Chromium, and some 20% less CPU a page
load here (4.7 against 5.8 CPU-seconds on a first visit), which the suite is bound by."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

BROWSER_CSV = """id,date,end_date,title,themes,description,actors,location,source,importance,kind
perry,1853-07-08,,Perry arrives at Uraga,diplomacy;security,Black ships arrive.,Matthew C. Perry,"Uraga, Japan",https://history.state.gov/milestones/1830-1860/opening-to-japan,5,
kanagawa,1854-03-31,,Convention of Kanagawa,diplomacy;trade,First treaty.,Matthew C. Perry,Kanagawa,https://example.org/kanagawa,4,
portsmouth,1905-09-05,,Treaty of Portsmouth,diplomacy;war,Ends the war.,Theodore Roosevelt,"Portsmouth, NH",https://example.org/portsmouth,4,
pearl,1941-12-07,,Attack on Pearl Harbor,war;security,Surprise attack.,,Hawaii,https://example.org/pearl,5,
pacific,1941-12-07,1945-09-02,Pacific War,war,,,,https://example.org/pacific,4,
occupation,1945-09-02,1952-04-28,Allied occupation,security,,,,https://example.org/occ,3,era
treaty51,1951-09-08,,Security Treaty signed,security,First security treaty.,Shigeru Yoshida,San Francisco,https://example.org/t51,5,
plaza,1985-09-22,,Plaza Accord,trade,Currency accord.,,New York,https://example.org/plaza,4,
abe,2015-04-29,,Abe addresses Congress,diplomacy,Joint meeting speech.,Shinzo Abe,Washington,https://example.org/abe,5,
obama,2016-05-27,,Obama visits Hiroshima,memory;diplomacy,First sitting president to visit.,Barack Obama,Hiroshima,https://example.org/obama,5,
tariff,2025-07,,Tariff deal,trade,,,,https://example.org/tariff,3,
"""


@pytest.fixture(scope="session")
def browser_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "browser.csv"
    path.write_text(BROWSER_CSV, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def server(browser_csv):
    srv = Server(browser_csv, "--title", "Browser test timeline")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def shipped():
    """The app serving the shipped dataset (71 events), for every test file of this worker that reads it."""
    srv = Server(DATASET)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    """A fresh Chromium whose every ``new_context()`` is a first visit: nothing cached, nothing kept."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="session")
def returning_visitor(playwright, tmp_path_factory):
    """A Chromium with a profile on disk, for the ``page`` fixture: a returning visitor's browser.

    Chromium keeps the scripts it compiled only in a profile on disk, never in the in-memory contexts
    ``browser.new_context()`` makes, so there every page load compiles the app's scripts (plotly.js,
    AG Grid, Dash: some 8 MB) again: about half of a page load's CPU. Here they are compiled on the
    first loads and then read back. Tests that need a first visit, another window size, language or
    device make their own context from ``browser``."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path_factory.mktemp("profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1440, "height": 1000},
        accept_downloads=True,
    )
    yield context
    context.close()


@pytest.fixture
def page(returning_visitor):
    pg = returning_visitor.new_page()
    watch_errors(pg)
    yield pg
    pg.close()
    returning_visitor.clear_cookies()  # the app sets none; a test's page must not see another's if it ever does


def watch_errors(pg) -> None:
    """Keep the page's uncaught script errors in ``pg.errors`` (a test asserts there are none)."""
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))


@pytest.fixture
def window(returning_visitor):
    """``window(url, width, height, reduced_motion=None)``: ``url`` in a page of the returning visitor's
    browser (the ``page`` fixture's) at that window size (and motion preference), drawn and settled;
    the pages are closed after the test.

    For a window size alone a test needs no browser context of its own, whose every load would
    compile the app's scripts again (about half of a first visit's CPU); a first visit, another
    language or device still takes one (``open_page``)."""
    opened = []

    def open_at(url: str, width: int, height: int, reduced_motion: str | None = None):
        pg = returning_visitor.new_page()
        opened.append(pg)
        pg.set_viewport_size({"width": width, "height": height})
        if reduced_motion is not None:
            pg.emulate_media(reduced_motion=reduced_motion)
        watch_errors(pg)
        pg.goto(url)
        settle(pg)
        return pg

    yield open_at
    for pg in opened:
        pg.close()
    returning_visitor.clear_cookies()


def open_page(browser, url: str, width: int, height: int, locale: str = "en-US"):
    """``url`` on a first visit (a browser context of its own) at that window size and language, drawn
    and settled: the context (for the test to close) and the page."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    watch_errors(page)
    page.goto(url)
    settle(page)
    return context, page


def settle(page) -> None:
    """The graph drawn and the layout at rest (the phone layout's panels move after the first draw)."""
    wait_for_graph(page)
    page.wait_for_timeout(800)


def plotted(page) -> dict[str, int]:
    """Points drawn per trace name, read from the graph div plotly drew from."""
    return page.evaluate("""() => {
        const gd = document.querySelector('#timeline .js-plotly-plot');
        const out = {};
        for (const t of gd._fullData) { out[t.name] = (out[t.name] || 0) + (t._length || 0); }
        return out;
    }""")


def wait_for_graph(page, count_text: str | None = None) -> None:
    page.wait_for_selector("#timeline .js-plotly-plot .main-svg", state="attached", timeout=20000)
    if count_text is not None:
        page.wait_for_function(
            "t => document.querySelector('#match-count').textContent.includes(t)", arg=count_text, timeout=20000
        )
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=20000)


def point_on_page(page, chart: str, title: str) -> tuple[float, float]:
    """Where on the page the first point drawn in the plotly chart ``chart`` (a selector) whose hover
    title holds ``title`` is: the app's in its customdata, the story page's in its hover text, either
    wrapped in lines."""
    x, y = page.evaluate(
        """([chart, title]) => {
        const gd = document.querySelector(chart);
        const fl = gd._fullLayout, rect = gd.getBoundingClientRect();
        const plain = (h) => String(h).replace(/<[^>]*>/g, ' ').replace(/\\s+/g, ' ');
        for (const t of gd._fullData) {
            if (t.type !== 'scatter' || !t._length) continue;
            for (let i = 0; i < t._length; i++) {
                const c = t.customdata && t.customdata[i];
                const text = Array.isArray(c) ? c[1] : (t.hovertext && t.hovertext[i]) || '';
                if (plain(text).includes(title))
                    return [rect.left + fl._size.l + fl.xaxis.d2p(t.x[i]), rect.top + fl._size.t + fl.yaxis.d2p(t.y[i])];
            }
        }
    }""",
        [chart, title],
    )
    return x, y


@pytest.fixture
def write_csv_session(tmp_path):
    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def hold_first_call(page, changed: str) -> list:
    """Hold back the first callback request fired by ``changed`` ('scale.value'), as a slow server
    would: the list it returns gets the request's route once it is sent (``route.continue_()`` sends
    it on). Every other request goes through."""
    held: list = []

    def hold(route) -> None:
        if f'"changedPropIds":["{changed}"]' in (route.request.post_data or "") and not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/_dash-update-component*", hold)
    return held


def wait_held(page, held: list) -> None:
    """Wait until :func:`hold_first_call` holds its request."""
    for _ in range(50):
        if held:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the request to hold was never sent")
