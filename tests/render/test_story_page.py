"""The story page's data: which events it holds and in what order, what it says past its limit, and
that nothing in a file can run in it or become a frame or link it should not."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow.csv as pacsv
import pytest

from dashboard.core.media import classify
from dashboard.core.query import View, filter_events
from dashboard.core.story import step_window, step_windows, story_rows
from dashboard.io.formats import load_timeline
from dashboard.render import story_page
from dashboard.render.exports import export_filename, export_format, export_view
from dashboard.render.story_page import STORY_PAGE_LIMIT, inline_json, page_data, story_html
from tests.synthetic import generate

HOSTILE_TITLE = "</script><script>alert(1)</script>"

STORY_CSV = """id,date,end_date,title,themes,description,source,importance
a,1850,,First,war,Plain text,https://example.org/a,3
b,1860,1865,Second,trade;war,"Two lines
here",https://example.org/b,4
c,1870,,Third,trade,,http://example.org/c,2
d,1880,,Fourth,war,,,5
"""


def data_of(page: bytes) -> dict:
    """The JSON the page inlines, read back as the page's script reads it."""
    found = re.search(rb'<script type="application/json" id="story-data">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found[1])


@pytest.fixture
def story_timeline(write_csv):
    """Four events, with the media and story columns (as TimelineJS files will have them) added by hand."""
    tl = load_timeline(write_csv(STORY_CSV))
    ev = tl.events
    ev["story"] = [2.0, np.nan, 1.0, 3.0]  # the story tells c, a, d: b has no number
    ev["media"] = [
        "https://upload.wikimedia.org/a.jpg",
        "javascript:alert(1)",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "data:text/html,<script>alert(2)</script>",
    ]
    ev["media_caption"] = ["A picture", "", "", ""]
    ev["media_credit"] = ["Someone", "", "", ""]
    ev["media_thumbnail"] = ["", "", "", ""]
    ev.loc[ev.index[1], "source"] = "javascript:alert(1)"  # refused by validation; the page checks again
    tl.memo.clear()
    return tl


def test_the_story_comes_first_in_its_order_then_the_other_events(story_timeline):
    data = page_data(story_timeline, View())
    assert data["told"] == 3
    assert data["events"]["title"] == ["Third", "First", "Fourth", "Second"]
    assert data["events"]["when"][:3] == ["1870", "1850", "1880"]
    assert data["events"]["range"] == [0, 0, 0, 1]
    rows = np.array([2, 0, 3, 1])
    lo, hi = step_windows(story_timeline, rows)
    assert data["events"]["lo"] == lo.tolist() and data["events"]["hi"] == hi.tolist()
    assert [step_window(story_timeline, int(r)) for r in rows] == list(zip(lo.tolist(), hi.tolist()))
    lanes = {lane["name"]: lane["rows"] for lane in data["lanes"]}
    assert lanes == {"war": [1, 2, 3], "trade": [0, 3]}  # indices into the page's events


def test_without_story_numbers_every_event_is_told_in_date_order(small_csv):
    tl = load_timeline(small_csv)
    data = page_data(tl, View(themes=("war",), text="treaty", story=2))
    assert data["told"] == len(tl.events)  # a small file: the page holds all, its checkboxes filter
    expected = [tl.events["title"].iat[r] for r in story_rows(tl, View())]
    assert data["events"]["title"] == expected
    assert data["checked"] == ["war"] and data["search"] == "treaty" and data["step"] == 2
    assert data["note"] == ""


def test_eras_are_in_the_page_with_their_names_as_text(small_csv):
    tl = load_timeline(small_csv)
    eras = page_data(tl, View())["eras"]
    assert eras["title"] == ["Cold War"]
    assert eras["start"] == [int(tl.eras["start"].iat[0])] and eras["last"] == [int(tl.eras["last"].iat[0])]


def test_a_timeline_of_several_files_names_each_lanes_topic():
    from dashboard.core.topics import combine
    from tests.core.test_topics import TOPICS

    tl = combine([(p.stem, load_timeline(p)) for p in sorted(TOPICS.glob("*.csv"))])
    lanes = page_data(tl, View())["lanes"]
    assert [lane["name"] for lane in lanes] == tl.themes
    assert {lane["topic"] for lane in lanes} == {"Monarchs", "Wars", "Writers"}
    assert all("›" not in lane["label"] for lane in lanes)


def test_a_date_filter_applies_before_the_page_as_it_has_no_date_fields(small_csv):
    tl = load_timeline(small_csv)
    data = page_data(tl, View(start="1900"))
    assert data["told"] == len(data["events"]["title"]) == len(filter_events(tl, View(start="1900")))
    assert "Perry arrives" not in data["events"]["title"]


def test_hostile_media_and_sources_are_never_in_the_page(story_timeline):
    page = story_html(story_timeline, View())
    data = data_of(page)
    ev = data["events"]
    assert ev["media"] == ["youtube", "image", "", ""]
    assert ev["media_src"][0] == classify("https://www.youtube.com/watch?v=dQw4w9WgXcQ").src
    assert ev["media_src"][0].startswith("https://www.youtube-nocookie.com/embed/")
    assert ev["media_caption"][1] == "A picture" and ev["media_credit"][1] == "Someone"
    assert ev["source"] == ["http://example.org/c", "https://example.org/a", "", ""]  # javascript: dropped
    assert b"alert(1)" not in page and b"alert(2)" not in page and b"data:text/html" not in page


def test_a_title_cannot_close_the_script_it_is_inlined_in(small_csv):
    tl = load_timeline(small_csv)
    tl.events.loc[tl.events.index[0], "title"] = HOSTILE_TITLE + " &"
    tl.events.loc[tl.events.index[0], "description"] = "one\u2028two\u2029"
    tl.memo.clear()
    page = story_html(tl, View(), title=HOSTILE_TITLE)
    assert HOSTILE_TITLE.encode() not in page
    assert page.count(b"<script") == 3  # the data, plotly.js and ours: nothing opened by the data
    assert HOSTILE_TITLE + " &" in data_of(page)["events"]["title"]  # yet the text is intact
    assert "one\u2028two\u2029" in data_of(page)["events"]["description"]
    assert data_of(page)["title"] == HOSTILE_TITLE
    assert b"<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "\u2028".encode() not in page.split(b'id="story-data">')[1].split(b"</script>")[0]


@pytest.mark.parametrize(
    "value, written",
    [
        ("</script>", "\\u003c/script\\u003e"),
        ("<!--", "\\u003c!--"),
        ("a & b", "a \\u0026 b"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("日本", "日本"),
    ],
)
def test_inline_json_escapes_what_a_script_element_would_read(value, written):
    assert inline_json([value]) == f'["{written}"]'
    assert json.loads(inline_json([value])) == [value]


def test_a_slot_in_the_data_is_not_filled(small_csv):
    tl = load_timeline(small_csv)
    tl.events.loc[tl.events.index[0], "title"] = "{{PLOTLY}} {{SCRIPT}}"
    tl.memo.clear()
    page = story_html(tl, View(), title="{{DATA}}")
    assert "{{PLOTLY}} {{SCRIPT}}" in data_of(page)["events"]["title"]
    assert b"<title>{{DATA}}</title>" in page and data_of(page)["title"] == "{{DATA}}"
    assert page.count(story_page.get_plotlyjs()[:300].encode()) == 1  # plotly.js inlined once, where it belongs


def test_rich_text_descriptions_are_plain_text_in_the_page(small_csv):
    tl = load_timeline(small_csv)
    tl.events.loc[tl.events.index[0], "description"] = '<p>One <b>bold</b></p><p>Two<img src=x onerror="alert(3)"></p>'
    tl.rich_text = True
    tl.memo.clear()
    page = story_html(tl, View())
    assert "One bold\nTwo" in data_of(page)["events"]["description"]
    assert "onerror" not in inline_json(data_of(page)) and b"alert(3)" not in page


def test_the_cover_is_the_first_step(story_timeline):
    story_timeline.cover = {"title": "<b>Cover</b>", "description": "Opening", "media": "javascript:x()"}
    assert page_data(story_timeline, View())["cover"] == {
        "title": "<b>Cover</b>",
        "description": "Opening",
        "media_caption": "",
        "media_credit": "",
    }
    story_timeline.rich_text = True
    story_timeline.cover["media"] = "https://example.org/c.png"
    cover = page_data(story_timeline, View())["cover"]
    assert cover["title"] == "Cover" and cover["media"] == "image" and cover["media_src"] == "https://example.org/c.png"


@pytest.fixture(scope="module")
def big_timeline(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.csv"
    pacsv.write_csv(generate(STORY_PAGE_LIMIT * 3, n_themes=6), path)
    return load_timeline(path)


def test_past_the_limit_the_page_holds_the_views_filtered_events(big_timeline):
    theme = big_timeline.themes[-1]
    view = View(themes=(theme,))
    matched = filter_events(big_timeline, view)
    assert 0 < len(matched) <= STORY_PAGE_LIMIT
    data = page_data(big_timeline, view)
    assert data["told"] == len(data["events"]["title"]) == len(matched)
    total = len(big_timeline.events)
    assert data["note"] == (
        f"Showing {len(matched):,} of {total:,} events: the view's filters (a story page holds at most 5,000)."
    )
    assert b'<p class="note" id="note">Showing' in story_html(big_timeline, view)


def test_and_when_still_too_many_the_first_of_its_story(big_timeline):
    data = page_data(big_timeline, View())
    assert data["told"] == len(data["events"]["title"]) == STORY_PAGE_LIMIT
    first = story_rows(big_timeline, View())[:STORY_PAGE_LIMIT]
    assert data["events"]["title"] == big_timeline.events["title"].to_numpy(dtype=object)[first].tolist()
    assert data["note"].startswith(f"Showing 5,000 of {len(big_timeline.events):,} events: the view's filters and")
    japanese = page_data(big_timeline, View(), lang="ja")["note"]
    assert japanese.startswith(f"{len(big_timeline.events):,}件中5,000件を表示")


def test_the_page_is_self_contained_and_speaks_its_language(small_csv):
    tl = load_timeline(small_csv)
    page = story_html(tl, View(), lang="ja").decode()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page
    assert ">前へ</button>" in page and ">次へ</button>" in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)
    assert data_of(page.encode())["years"] == {"bce": "紀元前{y}年", "ce": "{y}年"}
    assert data_of(page.encode())["axis"]["ticks"] == "years"  # 490 BCE: historians' year labels
    assert story_page.get_plotlyjs() in page  # plotly.js from the installed package, inlined


def test_the_story_export_is_html_only_and_named_for_what_it_is(small_csv):
    assert export_format("story.html", story=True) == "story"
    assert export_format("story.HTML", story=True) == "story"
    with pytest.raises(ValueError, match=r"a story page is HTML, so the name must end in \.html"):
        export_format("story.png", story=True)
    assert export_filename("story") == "timeline-story.html" and export_filename("png") == "timeline.png"
    tl = load_timeline(small_csv)
    assert export_view(tl, View(), "story", title="T") == story_html(tl, View(), title="T")
