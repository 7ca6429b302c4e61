"""The view's callback catches up with its controls when Dash dropped the call that should have.

Dash drops a call still running when the same callback is asked again and tells the new call only of
its own trigger (tests/browser/test_historians_time.py reproduces it in a browser)."""

from __future__ import annotations

from urllib.parse import parse_qs

from dash import no_update

from dashboard.core.query import View
from dashboard.web.callbacks.view import VIEW_OUTPUTS, sync_view
from tests.web.conftest import stored


def call(services, trigger, held: View, *, themes=None, start="", end="", text="", scale="time", relayout=None):
    """The outputs of the view's callback fired by ``trigger`` with the controls as given."""
    every = list(services.timeline_of(None).themes)
    prop = {"timeline": "timeline.relayoutData", "scale": "scale.value"}.get(trigger, f"{trigger}.n_clicks")
    return sync_view(
        services,
        trigger,
        {prop},
        held.to_query(every),
        every if themes is None else themes,
        start,
        end,
        text,
        relayout,
        None,
        None,
        stored(held),
        scale,
        None,
    )


def test_a_scale_whose_call_was_dropped_is_taken_up_by_a_relayout(services):
    out = call(services, "timeline", View(), scale="sequence", relayout={"autosize": True})
    assert out[:5] == (no_update,) * 5
    assert parse_qs(out[5].lstrip("?")) == {"scale": ["sequence"]}
    assert out[6]["scale"] == "sequence"


def test_a_word_typed_just_before_a_zoom_is_kept_with_the_zoom(services):
    zoom = {"xaxis.range[0]": "1850-01-01", "xaxis.range[1]": "1860-01-01"}
    out = call(services, "timeline", View(), text="perry", relayout=zoom)
    assert out[6]["text"] == "perry" and out[6]["x_range"] is not None
    query = parse_qs(out[5].lstrip("?"))
    assert query["q"] == ["perry"] and "x0" in query and "x1" in query


def test_themes_and_dates_left_behind_are_caught_up_and_a_story_starts_again(services):
    out = call(services, "reset-zoom", View(story=3), themes=["diplomacy", "trade"], start="1850", end="1900")
    view = out[6]
    assert view["themes"] == ("diplomacy", "trade") and (view["start"], view["end"]) == ("1850", "1900")
    assert view["story"] == 1
    assert parse_qs(out[5].lstrip("?"))["themes"] == ["diplomacy,trade"]


def test_controls_that_show_the_view_held_change_nothing(services):
    held = View(themes=("war",), start="1800", text="perry", scale="log", x_range=(0.0, 1e12))
    out = call(
        services, "timeline", held, themes=["war"], start="1800", text="perry", scale="log", relayout={"autosize": True}
    )
    assert out == (no_update,) * VIEW_OUTPUTS


def test_themes_of_another_file_left_in_the_checklist_are_not_taken_for_this_ones(services):
    out = call(services, "timeline", View(), themes=["not-a-theme-here"], relayout={"autosize": True})
    assert out == (no_update,) * VIEW_OUTPUTS


def test_all_themes_ticked_in_a_dropped_call_are_caught_up(services):
    some = tuple(services.timeline_of(None).themes[:2])
    out = call(services, "timeline", View(themes=some), relayout={"autosize": True})  # the checklist: every theme
    assert out[6]["themes"] is None and "themes" not in parse_qs(out[5].lstrip("?"))


def test_another_files_view_is_dropped_even_when_the_call_the_change_fired_was(services):
    held = {**stored(View(text="perry", start="1850")), "dataset": "0" * 64}  # the view of a file opened before
    every = list(services.timeline_of(None).themes)
    out = sync_view(
        services, "search", {"search.value"}, "?q=perry", every, "1850", "", "perry", None, None, None, held
    )
    assert out[0] == every and out[1:4] == ("", "", "") and out[6]["dataset"] is None and out[6]["text"] == ""
