"""The story in the page, as its callbacks see it: buttons and links move the step, the URL follows,
the card shows the step and the figure marks it."""

from __future__ import annotations

import pytest
from dash import no_update

from dashboard.core.query import View
from dashboard.core.story import step_window, story_step
from dashboard.web.callbacks.figure import update_figure
from dashboard.web.callbacks.story import show_step
from dashboard.web.callbacks.view import sync_view
from dashboard.web.inputs import BadInput
from tests.web.conftest import stored


def press(services, button: str, view: View, url: str = ""):
    """(URL query, stored view) after a story button."""
    out = sync_view(
        services, button, {f"{button}.n_clicks"}, url, None, None, None, None, None, None, None, stored(view)
    )
    return out[5], out[6]


def titles(services) -> list[str]:
    timeline = services.timeline_of(None)
    return [str(timeline.events["title"].iat[r]) for r in range(len(timeline.events))]


def test_start_next_previous_and_end(services):
    url, view = press(services, "story-start", View())
    assert url == "?story=1" and view["story"] == 1 and view["x_range"] is None
    url, view = press(services, "story-next", View(story=1))
    assert url == "?story=2" and view["story"] == 2
    url, view = press(services, "story-prev", View(story=2))
    assert url == "?story=1"
    url, view = press(services, "story-close", View(story=2, themes=("war",)))
    assert url == "?themes=war" and view["story"] is None


def test_every_press_counts_even_those_whose_call_was_dropped(services):
    """A call of the view's callback still running is dropped when it is asked again (tests/browser/
    test_story.py holds one): the presses are counted from those the stored view has seen."""

    def after(trigger, view, seen, presses, relayout=None):
        held = {**stored(view), "presses": list(seen)} if seen is not None else stored(view)
        prop = "timeline.relayoutData" if trigger == "timeline" else f"{trigger}.n_clicks"
        out = sync_view(
            services, trigger, {prop}, "", None, None, None, None, relayout, None, None, held, "time", None, presses
        )
        return out[6]["story"] if out[6] is not no_update else None

    assert after("story-next", View(story=2), (0, 1), (0, 4)) == 5  # three presses, two calls dropped
    assert after("story-prev", View(story=6), (1, 4), (3, 4)) == 4
    assert after("story-next", View(story=2), None, (0, 4)) == 3  # counts unknown: one step
    assert after("story-next", View(story=2), (0, 9), (0, 4)) == 3  # counts that say nothing: one step
    # the press whose call was dropped for a relayout's is not lost
    assert after("timeline", View(story=2), (0, 1), (0, 2), {"autosize": True}) == 3
    assert after("timeline", View(story=2), (0, 2), (0, 2), {"autosize": True}) is None  # nothing missed
    with pytest.raises(BadInput):
        after("story-next", View(story=2), (0, 1), ("x", 2))


def test_presses_both_ways_before_an_answer_add_up(services):
    def after(trigger, seen, presses):
        held = {**stored(View(story=3)), "presses": list(seen)}
        out = sync_view(
            services,
            trigger,
            {f"{trigger}.n_clicks"},
            "",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            held,
            "time",
            None,
            presses,
        )
        return out[6]["story"] if out[6] is not no_update else 3

    assert after("story-prev", (0, 0), (1, 1)) == 3  # Next then Previous: where it was
    assert after("story-prev", (0, 0), (1, 2)) == 4  # Next, Next, Previous: one on
    assert after("story-next", (2, 0), (2, 1)) == 4


def test_stepping_drops_a_zoom_made_during_the_story_and_keeps_the_filters(services):
    url, view = press(services, "story-next", View(story=1, x_range=(0.0, 1e12), themes=("diplomacy",)))
    assert view["x_range"] is None and list(view["themes"]) == ["diplomacy"] and "story=2" in url


def test_no_step_beyond_the_ends(services):
    n = len(services.timeline_of(None).events)
    assert press(services, "story-prev", View(story=1))[0] is no_update
    assert press(services, "story-next", View(story=n))[0] is no_update


def test_the_link_keeps_its_language_as_the_story_moves(services):
    url, _ = press(services, "story-next", View(story=1), url="?story=1&lang=ja")
    assert url == "?story=2&lang=ja"


def test_a_link_opens_its_step_brought_within_the_story(services):
    n = len(services.timeline_of(None).events)
    for query, step in (
        ("?story=3", 3),
        (f"?story={n + 40}", n),
        ("?story=2&from=bad", 2),
    ):  # a bad date is not applied
        out = sync_view(services, "url", {"url.search"}, query, None, None, None, None, None, None, None, None)
        assert out[6]["story"] == step, query


def test_changing_a_filter_during_a_story_tells_the_new_story_from_its_start(services):
    themes = ["diplomacy", "trade"]
    out = sync_view(
        services, "themes", {"themes.value"}, "?story=4", themes, "", "", "", None, None, None, stored(View(story=4))
    )
    assert out[6]["story"] == 1 and "story=1" in out[5]


def test_the_card_shows_the_step_and_the_bar_where_it_is(services):
    timeline = services.timeline_of(None)
    bar, progress, prev_off, next_off, hidden, card = show_step(services, stored(View(story=2)), None)
    assert bar == "story-bar telling" and hidden is False and not prev_off and not next_off
    assert progress.children == f"2 / {len(timeline.events)}"
    shown = str(card)  # step 1 is the Battle of Marathon (490 BCE), then Perry
    assert "Perry arrives" in shown and "https://example.org/perry" in shown and "8 Jul 1853" in shown
    assert show_step(services, stored(View()), None)[:5] == ("story-bar", "", True, True, True)
    last = show_step(services, stored(View(story=len(timeline.events))), None)
    assert last[2] is False and last[3] is True


def test_the_card_speaks_the_pages_language(services):
    progress = show_step(services, stored(View(story=1)), None, "ja")[1]
    assert progress.children.startswith("1 / ") and "件中" in progress.title
    assert "件中" not in show_step(services, stored(View(story=1)), None)[1].title


@pytest.mark.parametrize("story", ["2", -1, 0, 1.5, 10**9, [1]])
def test_a_step_the_browser_sends_is_checked(services, story):
    with pytest.raises(BadInput):
        show_step(services, {**stored(View()), "story": story}, None)


def test_the_figure_is_the_steps_window_with_the_event_marked(services):
    timeline = services.timeline_of(None)
    fig = update_figure(services, stored(View(story=2)), 1200, None)[0]
    row = story_step(timeline, View(), 2).row
    assert timeline.events["title"].iat[row] == "Perry arrives"
    assert fig["layout"]["xaxis"]["range"] == list(step_window(timeline, row))
    marked = [t for t in fig["data"] if t.get("meta") == "highlight"]
    assert len(marked) == 1 and marked[0]["x"][0] == timeline.column("start")[row]
    assert len(marked[0]["y"]) == 2  # diplomacy and security: a ring in each of its lanes
    plain = update_figure(services, stored(View()), 1200, None)[0]
    assert not [t for t in plain["data"] if t.get("meta") == "highlight"]


def click(services, view: View, row: int):
    """(URL query, stored view) after a click on the event at ``row`` (chart or table)."""
    out = sync_view(services, "selected", {"selected.data"}, "", *([None] * 7), stored(view), selected=row)
    return out[5], out[6]


def test_a_click_on_a_told_event_goes_to_its_step(services):
    timeline = services.timeline_of(None)
    fourth = story_step(timeline, View(), 4).row
    url, view = click(services, View(story=1, x_range=(0.0, 1e12)), fourth)
    assert url == "?story=4" and view["story"] == 4 and view["x_range"] is None
    # outside a story, or on an event the story does not tell, a click only selects
    assert click(services, View(), fourth)[0] is no_update
    masks = timeline.column("theme_mask")
    untold = next(r for r in range(len(timeline.events)) if "trade" not in timeline.theme_names(int(masks[r])))
    assert click(services, View(story=1, themes=("trade",)), untold)[0] is no_update
