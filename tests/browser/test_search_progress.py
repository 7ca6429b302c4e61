"""A first search of a timeline beyond memory shows how far it has got while the page waits: the
server's two worker processes, a store searched a slice of rows at a time (small slices here, so
that a search of 20,000 events takes a second or two as one of millions does)."""

from __future__ import annotations

import re

import pyarrow.csv as pacsv
import pytest

from dashboard.core.query import View, filter_events
from dashboard.io.engines import SLICE_ROWS_VARIABLE
from dashboard.io.formats import load_timeline
from tests.browser.conftest import Server
from tests.synthetic import generate

pytestmark = pytest.mark.browser

EVENTS = 20_000
SLICE_ROWS = 50
"""400 slices, each a query of its own: a second or two, more on a busy machine."""
ANSWERED_S = 90


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress")
    path = folder / "events.csv"
    pacsv.write_csv(generate(EVENTS, n_themes=8, seed=5), path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(folder / "cache"))
        mp.setenv(SLICE_ROWS_VARIABLE, str(SLICE_ROWS))
        srv = Server(path, "--engine", "duckdb", "--workers", "2", timeout=180)
    yield srv
    srv.stop()


WATCH = """() => {
    // what the page showed and said while it waited: every text of the progress, and of the status
    window.seen = {shown: [], said: []};
    const shown = document.querySelector('#working .working-progress');
    const said = document.getElementById('search-progress');
    new MutationObserver(() => { if (shown.textContent) window.seen.shown.push(shown.textContent); })
        .observe(shown, {childList: true, characterData: true, subtree: true});
    new MutationObserver(() => { if (said.textContent) window.seen.said.push(said.textContent); })
        .observe(said, {childList: true, characterData: true, subtree: true});
}"""


def answered(page, count: str) -> None:
    """Wait for the figure and a match count saying ``count``, nothing left loading: as
    ``wait_for_graph``, with the time a busy machine may take (two server processes each open their
    engine on the first page, and a slow search is what is tested)."""
    page.wait_for_function(
        "t => document.querySelector('#timeline .js-plotly-plot .main-svg')"
        " && document.querySelector('#match-count').textContent.includes(t)"
        " && !document.querySelector('[data-dash-is-loading=\"true\"]')",
        arg=count,
        timeout=ANSWERED_S * 1000,
    )


def search_and_watch(page, url: str, words: str, before: str, after: str) -> tuple[list[str], list[str]]:
    """Search for ``words`` (the match count saying ``before``, then ``after``) and wait for the
    answer: what the page showed meanwhile, and what it said to screen readers."""
    page.goto(url)
    answered(page, before)
    page.evaluate(WATCH)
    page.fill("#search", words)
    page.press("#search", "Enter")
    page.wait_for_selector("#match-count[data-dash-is-loading='true']")
    page.wait_for_selector("#working .working-progress:not([hidden])", timeout=20000)
    assert page.locator("#working").is_visible()
    answered(page, after)
    assert page.locator("#working").is_hidden()
    assert page.locator("#working .working-progress").text_content() == ""
    assert page.locator("#search-progress").text_content() == ""
    seen = page.evaluate("() => window.seen")
    return seen["shown"], seen["said"]


def percents(texts: list[str], pattern: str) -> list[int]:
    found = [re.fullmatch(pattern, t) for t in texts]
    assert all(found), texts
    return [int(m.group(1)) for m in found if m]


def test_a_slow_search_shows_how_far_it_has_got(slow_server, page):
    shown, said = search_and_watch(
        page, slow_server.url, "summit", f"{EVENTS:,} of {EVENTS:,}", f" of {EVENTS:,} events match"
    )
    shown_pc = percents(shown, rf"Searching… (\d+)% of {EVENTS:,} events")
    # it moved, and never back (two processes may search the same words at once: the furthest is shown)
    assert shown_pc == sorted(shown_pc) and len(set(shown_pc)) >= 2, shown_pc
    assert any(p < 100 for p in shown_pc)
    # screen readers hear it at the first answer and then once per tenth of the way, no more often
    said_pc = percents(said, rf"Searching… (\d+)% of {EVENTS:,} events")
    tenths = [p // 10 for p in said_pc]
    assert tenths == sorted(set(tenths)) and 1 <= len(said) <= 11 and set(said) <= set(shown)
    # once answered, #working holds its words again for the next wait
    assert page.locator("#working .working-idle").text_content() == "Searching and counting…"
    assert page.errors == []


def test_progress_in_japanese(slow_server, page):
    shown, _ = search_and_watch(
        page, slow_server.url + "?lang=ja", "treaty", f"{EVENTS:,}件中{EVENTS:,}件", f"{EVENTS:,}件中"
    )
    percents(shown, rf"検索しています… {EVENTS:,}件のうち(\d+)%")
    assert page.errors == []


def test_a_title_search_answers_from_titles_alone_and_shows_its_progress(slow_server, page, tmp_path):
    path = tmp_path / "events.csv"
    pacsv.write_csv(generate(EVENTS, n_themes=8, seed=5), path)  # the server's own events
    timeline = load_timeline(path.read_bytes(), path.name)
    in_titles = len(filter_events(timeline, View(text="title:kyoto")))
    anywhere = len(filter_events(timeline, View(text="kyoto")))
    assert 0 < in_titles < anywhere

    shown, _ = search_and_watch(
        page, slow_server.url, "title:Kyoto", f"{EVENTS:,} of {EVENTS:,}", f"{in_titles:,} of {EVENTS:,} events match"
    )

    percents(shown, rf"Searching… (\d+)% of {EVENTS:,} events")
    assert page.input_value("#search") == "title:Kyoto"
    assert page.locator("#search-hint").text_content().startswith("title:word looks in titles alone")
    assert page.errors == []
