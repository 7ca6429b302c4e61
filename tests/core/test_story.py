"""A story's steps: their order (dates, or the file's story numbers), the cover first, filters, windows."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.query import View, filter_events
from dashboard.core.story import has_cover, shown_view, step_window, story_rows, story_step
from dashboard.io.formats import load_timeline

CSV = """id,date,end_date,title,themes
c,1905-09-05,,Portsmouth,diplomacy;war
a,1853-07-08,,Perry,diplomacy
b,1854-03-31,,Kanagawa,trade
e,1941-12-07,1945-09-02,Pacific War,war
d,1941-12-07,,Pearl Harbor,war
f,2016-05-27,,Hiroshima visit,memory
"""


@pytest.fixture
def timeline(write_csv):
    return load_timeline(write_csv(CSV))


def ids(timeline, rows) -> list[str]:
    return timeline.events["id"].to_numpy()[rows].tolist()


def test_steps_follow_dates_then_length_whatever_the_file_order(timeline):
    assert ids(timeline, story_rows(timeline, View())) == ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?themes=war", ["c", "d", "e"]),
        ("?from=1900&to=1950", ["c", "d", "e"]),
        ("?q=perry", ["a"]),
        ("?themes=memory&from=1800&to=1900", []),
    ],
)
def test_a_story_tells_the_events_the_filters_leave(timeline, query, expected):
    view = View.from_query(query, timeline.themes)
    assert ids(timeline, story_rows(timeline, view)) == expected
    assert set(story_rows(timeline, view).tolist()) == set(filter_events(timeline, view).tolist())


def test_a_story_column_picks_and_orders_the_steps(timeline):
    numbered = replace(timeline, memo={})
    numbered.events = timeline.events.assign(story=timeline.events["id"].map({"c": 1.0, "b": 2.0, "d": 3.0}))
    assert ids(numbered, story_rows(numbered, View())) == ["c", "b", "d"]
    assert ids(numbered, story_rows(numbered, View.from_query("?themes=war", numbered.themes))) == ["c", "d"]


def test_an_empty_story_column_means_date_order(timeline):
    unnumbered = replace(timeline, memo={})
    unnumbered.events = timeline.events.assign(story=np.nan)
    assert ids(unnumbered, story_rows(unnumbered, View())) == ["a", "b", "c", "d", "e", "f"]


@pytest.mark.parametrize(("asked", "number", "row_id"), [(1, 1, "a"), (3, 3, "c"), (0, 1, "a"), (99, 6, "f")])
def test_steps_are_counted_from_one_and_kept_within_the_story(timeline, asked, number, row_id):
    step = story_step(timeline, View(), asked)
    assert (step.number, step.count) == (number, 6)
    assert ids(timeline, [step.row]) == [row_id]


def test_a_cover_opens_the_story(timeline):
    covered = replace(timeline, cover={"title": "Two nations", "description": "An introduction"}, memo={})
    assert has_cover(covered) and not has_cover(timeline)
    first = story_step(covered, View(), 1)
    assert (first.number, first.count, first.row) == (1, 7, None)
    assert ids(covered, [story_step(covered, View(), 2).row]) == ["a"]
    # no event matches: the cover is still there to tell
    assert story_step(covered, View.from_query("?q=nothing-matches", covered.themes), 5).count == 1
    assert story_step(timeline, View.from_query("?q=nothing-matches", timeline.themes), 1) is None


def test_a_step_window_shows_the_event_with_time_around_it(timeline):
    whole = dates.MS_PER_YEAR * (2016 - 1853)
    for row in range(len(timeline.events)):
        lo, hi = step_window(timeline, row)
        start, last = timeline.column("start")[row], timeline.column("last")[row]
        assert lo < start and hi > last
        assert min(start - lo, hi - last) >= 0.02 * whole  # its neighbours' years are in sight
        assert hi - lo <= (last - start) * 2.6 + 0.06 * whole  # but it is not lost in the whole span


def test_the_view_drawn_during_a_story_is_the_steps_window_until_the_reader_zooms(timeline):
    assert shown_view(timeline, View()) == (View(), None)
    shown, step = shown_view(timeline, View(story=2))
    assert shown.x_range == step_window(timeline, step.row)
    zoomed = View(story=2, x_range=(0.0, 1e12))
    assert shown_view(timeline, zoomed)[0] == zoomed


@pytest.mark.parametrize(
    ("query", "story"),
    [
        ("?story=3", 3),
        ("?story=0", None),
        ("?story=-2", None),
        ("?story=x", None),
        ("?story=99999999999", None),
        ("?story=", None),
        ("?story=١", None),
        ("", None),
    ],
)
def test_a_link_names_its_step(timeline, query, story):
    view = View.from_query(query, timeline.themes)
    assert view.story == story
    if story is not None:
        assert View.from_query(view.to_query(timeline.themes), timeline.themes) == view


@pytest.mark.parametrize(
    "query, story",
    [
        ("?story=0003", 3),
        ("?story=00000001000000000000", None),  # past MAX_STORY_STEP, written with leading zeros
        ("?story=000000001" + "0" * 5000, None),  # more digits than Python converts: no ValueError
    ],
)
def test_leading_zeros_neither_bypass_the_steps_limit_nor_raise(timeline, query, story):
    """Review #12: the limit was checked on the first 9 digits only, so zeros in front let a step of
    10**13 through, and thousands of digits raised ValueError in the view callback (a server error)."""
    assert View.from_query(query, timeline.themes).story == story
