"""The view a page shows (themes, dates, search, zoom), kept in one store and in the URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Final, TypeAlias
from urllib.parse import parse_qs, parse_qsl, urlencode

from dash import Dash, Input, Output, State, ctx, no_update

from ...core import dates, sql
from ...core.query import View, applied_dates, filter_events, same_time
from ...core.story import step_of, story_step
from ...render.figure import axis_to_ms
from .. import inputs
from .services import Services, Update

ViewOutputs: TypeAlias = tuple[
    Update[list[str]],  # the themes ticked
    Update[str],  # from
    Update[str],  # to
    Update[str],  # search
    Update[str],  # the x axis scale
    Update[str],  # the URL's query
    Update[dict[str, Any]],  # the stored view (View's fields and the dataset key)
]
VIEW_OUTPUTS: Final = 7


def zoom_from_relayout(
    relayout: Any,
    current: tuple[float, float] | None,
    to_ms: Callable[[tuple[float, float]], tuple[float, float]] | None = None,
) -> tuple[float, float] | None:
    """The x range after a zoom or pan, None after a reset; ``current`` if the event was no x change.
    ``to_ms``: how the axis's numbers become epoch ms (the sequence and log scales)."""
    relayout = inputs.mapping(relayout, "relayoutData")
    if not relayout:
        return current
    if relayout.get("xaxis.autorange"):
        return None
    pair = relayout.get("xaxis.range") or [relayout.get("xaxis.range[0]"), relayout.get("xaxis.range[1]")]
    if not isinstance(pair, list) or len(pair) != 2 or pair[0] is None or pair[1] is None:
        return current
    if to_ms is not None:
        plain = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
        numbers = dates.checked_range(min(pair), max(pair)) if plain else None  # a log axis runs backwards
        if numbers is None:
            return current
        pair = list(to_ms(numbers))
    return dates.checked_range(pair[0], pair[1]) or current


KEPT_PARAMS = ("lang", "columns", "embed")
"""Parameters of a link that are the page's, not the view's: its language, the column choices for
an upload, and embed mode. A link keeps them whatever the view becomes."""


def with_kept(query: str, previous: str) -> str:
    """The view's ``query`` with the page's own parameters of the link it replaces (``previous``)."""
    old = parse_qs(previous.lstrip("?"))
    kept = [(k, old[k][-1]) for k in KEPT_PARAMS if k in old]
    if not kept:
        return query
    return "?" + urlencode(parse_qsl(query.lstrip("?")) + kept, safe=",")


@dataclass(frozen=True)
class Controls:
    """What the page's controls show (None: a control not yet given a value)."""

    themes: list[str] | None
    start: str | None
    end: str | None
    text: str | None
    scale: str | None


def caught_up(view: View, controls: Controls, all_themes: list[str]) -> View:
    """The stored ``view`` with the controls' values where they differ from it.

    Dash drops a call of a callback still running when the same callback is asked again (the chart
    reporting a relayout just after a scale was ticked or a word typed, say), and tells the new call
    only of its own trigger: the change whose call was dropped is then seen only in the controls.
    A filter changed this way tells a story from its first step, as a filter changed directly does."""
    if controls.scale is not None:
        view = replace(view, scale=controls.scale)
    shown: dict[str, Any] = {"start": controls.start, "end": controls.end, "text": controls.text}
    filters = {k: v for k, v in shown.items() if v is not None}
    if controls.themes is not None and set(controls.themes) <= set(all_themes):  # not another file's
        ticked = tuple(t for t in all_themes if t in set(controls.themes))
        filters["themes"] = None if len(ticked) == len(all_themes) else ticked  # None: every theme
    changed = {k: v for k, v in filters.items() if getattr(view, k) != v}
    if not changed:
        return view
    return replace(view, **changed, story=None if view.story is None else 1)


def sync_view(
    services: Services,
    trigger: str | None,
    fired: set[str],
    search_qs: Any,
    themes: Any,
    date_from: Any,
    date_to: Any,
    text: Any,
    relayout: Any,
    overview_relayout: Any,
    key: Any,
    stored: Any,
    scale: Any = "time",
    selected: Any = None,
    presses: tuple[Any, Any] | None = None,
) -> ViewOutputs:
    """(themes ticked, from, to, search, scale, URL query, stored view) after what the user did (``trigger``).

    ``selected`` is the selected event's row: "Show this period" (``show-period``) sets From and To
    to the period of the events at the same time as it. ``presses``: how many times the story's
    Previous and Next buttons have been pressed (:func:`story_moves`)."""
    controls = Controls(
        themes=None if themes is None else inputs.texts(themes, "themes"),
        start=None if date_from is None else inputs.text(date_from, "from", 200),
        end=None if date_to is None else inputs.text(date_to, "to", 200),
        text=None if text is None else inputs.text(text, "search"),
        scale=None if scale is None else inputs.scale(scale),
    )
    search_qs = inputs.text(search_qs, "url search")
    themes, date_from, date_to, text = (
        controls.themes or [],
        controls.start or "",
        controls.end or "",
        controls.text or "",
    )
    scale = controls.scale or "time"
    stored = None if stored is None else inputs.mapping(stored, "view")
    pressed = pressed_counts(presses)

    def kept_view(view: View) -> dict[str, Any]:
        """The view as the page stores it: its fields, the dataset and the story's presses so far."""
        return {**asdict(view), "dataset": key, "presses": pressed}

    try:
        all_themes = list(services.timeline_of(key).themes)
    except KeyError:
        return (no_update,) * VIEW_OUTPUTS
    if stored is not None and stored.get("dataset") != key:  # also when the call the change fired was dropped
        # Another file was opened: its own themes, no filters.
        return all_themes, "", "", "", no_update, "", kept_view(View(scale=scale))
    if stored is None or "url" in fired:
        view = View.from_query(search_qs or "", all_themes)
        if view.story is not None:
            try:
                step = story_step(services.timeline_of(key), applied_dates(view)[0], view.story)
            except ValueError:  # the link's dates are not valid: the filter error says so
                step = None
            view = replace(view, story=step.number if step else None)
        shown = list(all_themes if view.themes is None else view.themes)
        return shown, view.start, view.end, view.text, view.scale, no_update, kept_view(view)
    held = inputs.view(stored, all_themes)
    current = caught_up(held, controls, all_themes)
    if trigger not in STORY_TRIGGERS and current.story is not None:  # presses whose call was dropped
        missed = story_moves("story-next", pressed, stored, fallback=0)
        current = (_step(services, key, current, "story-next", missed) if missed else None) or current

    def kept(view: View | None) -> ViewOutputs:
        """The view stored and put in the link; None (nothing asked changes it) stores the view caught
        up with the controls if it differs from the one held."""
        if view is None and current == held and pressed == (stored or {}).get("presses", pressed):
            return (no_update,) * VIEW_OUTPUTS
        view = current if view is None else view
        return (no_update,) * 5 + (with_kept(view.to_query(all_themes), search_qs), kept_view(view))

    if trigger == "show-period":
        row = inputs.integer(selected, "selected row", 0)
        timeline = services.timeline_of(key)
        if row is None or row >= timeline.size:
            return kept(None)
        if timeline.engine is not None:
            one = sql.event(timeline, row)
            if one is None:
                return kept(None)
            found = sql.same_time(timeline, one, 0)[1]
        else:
            found = same_time(timeline, row, limit=0)
        view = View(themes=current.themes, start=found.start, end=found.end, text=current.text, scale=current.scale)
        return (
            no_update,
            view.start,
            view.end,
            no_update,
            no_update,
            with_kept(view.to_query(all_themes), search_qs),
            kept_view(view),
        )
    if trigger in ("timeline", "overview", "reset-zoom"):
        if trigger == "reset-zoom":
            x_range = None
        elif trigger == "timeline" and held.scale != "time":
            # The sequence and log axes are not in epoch ms: their numbers are mapped back to dates.
            timeline = services.timeline_of(key)
            try:
                rows = filter_events(timeline, held)
            except ValueError:
                return kept(None)
            x_range = zoom_from_relayout(relayout, current.x_range, lambda pair: axis_to_ms(timeline, held, rows, pair))
        else:
            x_range = zoom_from_relayout(relayout if trigger == "timeline" else overview_relayout, current.x_range)
        if x_range == current.x_range and trigger != "reset-zoom":
            return kept(None)
        return kept(replace(current, x_range=x_range))
    if trigger in STORY_TRIGGERS:
        return kept(_step(services, key, current, trigger, story_moves(trigger, pressed, stored)))
    if trigger == "selected":
        return kept(_step_to(services, key, current, selected))
    if trigger == "scale":
        return kept(replace(current, scale=scale))
    if trigger == "themes-all":
        themes = all_themes
    elif trigger == "themes-none":
        themes = []
    selected = tuple(t for t in all_themes if t in set(themes))
    view = View(
        themes=None if len(selected) == len(all_themes) else selected,
        start=date_from or "",
        end=date_to or "",
        text=text or "",
        scale=current.scale,
        story=None if current.story is None else 1,  # a story goes on, over the events now matched
    )
    themes_out = list(selected) if trigger in ("themes-all", "themes-none") else no_update
    return (
        themes_out,
        no_update,
        no_update,
        no_update,
        no_update,
        with_kept(view.to_query(all_themes), search_qs),
        kept_view(view),
    )


STORY_TRIGGERS = ("story-start", "story-prev", "story-next", "story-close")
"""The story bar's buttons (the arrow keys press Previous and Next: assets/story.js)."""


def pressed_counts(presses: tuple[Any, Any] | None) -> list[int] | None:
    """The (Previous, Next) buttons' click counts the page sends, checked; None if not given."""
    if presses is None:
        return None
    return [inputs.integer(n, "story presses", 0, default=0) or 0 for n in presses]


def story_moves(trigger: str, pressed: list[int] | None, stored: dict[str, Any], fallback: int | None = None) -> int:
    """How many steps the story moves (back when negative): the presses of Previous and Next since
    the view was last stored.

    Dash drops a call of this callback still running when it is asked again and tells the next
    call only of its own trigger, so each call counts every press the stored view has not seen (an
    arrow key held down presses Next many times a second); Next then Previous before an answer move
    nothing. Where the counts are unknown or went backwards, Previous and Next move one step
    (``fallback``, if given, instead)."""
    one = {"story-prev": -1, "story-next": 1}.get(trigger, 0)
    default = one if fallback is None else fallback
    before = stored.get("presses")
    if pressed is None or not isinstance(before, list) or len(before) != 2:
        return default
    try:
        seen = [int(n) for n in before]
    except (TypeError, ValueError):
        return default
    back, on = pressed[0] - seen[0], pressed[1] - seen[1]
    if back < 0 or on < 0:  # counts that went backwards say nothing
        return default
    return on - back


def _step(services: Services, key: Any, current: View, trigger: str, moves: int = 1) -> View | None:
    """The view after a story button: the first, previous or next step (``moves`` steps on, or back
    when negative; shown in its own window: a zoom made during the story is dropped), or no story.
    None if it changes nothing."""
    if trigger == "story-close":
        return replace(current, story=None)
    at = current.story or 0
    wanted = 1 if trigger == "story-start" else at + moves
    try:
        step = story_step(services.timeline_of(key), applied_dates(current)[0], max(wanted, 1))
    except ValueError:  # the view's dates are not valid: the filter error says so
        return None
    if step is None or (step.number == current.story and current.x_range is None):
        return None
    return replace(current, story=step.number, x_range=None)


def _step_to(services: Services, key: Any, current: View, selected: Any) -> View | None:
    """During a story, a click on one of its events (chart or table) goes to that event's step;
    None if it changes nothing."""
    row = inputs.integer(selected, "selected row", 0)
    if current.story is None or row is None:
        return None
    timeline = services.timeline_of(key)
    try:
        number = step_of(timeline, applied_dates(current)[0], row)
    except ValueError:
        return None
    if number is None or number == current.story:
        return None
    return replace(current, story=number, x_range=None)


ZOOMS = {"timeline-zoom": "timeline", "overview-zoom": "overview"}
"""The stores a chart's zooms go through (its relayouts that change the x axis), and the chart."""

ZOOM_ONLY = """function(relayout) {
    // A relayout that changes no x range (plotly's autosize after a resize or a new figure) is not
    // passed on: it would start a call of the view's callback, and Dash drops a call still running
    // when another is asked for, so a zoom just made could be lost.
    if (!relayout || !Object.keys(relayout).some(k => k.startsWith('xaxis.range') || k === 'xaxis.autorange')) {
        return window.dash_clientside.no_update;
    }
    return relayout;
}"""


def register(app: Dash, services: Services) -> None:
    for store, chart in ZOOMS.items():
        app.clientside_callback(  # type: ignore[no-untyped-call]  # dash leaves this method unannotated
            ZOOM_ONLY, Output(store, "data"), Input(chart, "relayoutData"), prevent_initial_call=True
        )

    @app.callback(
        Output("themes", "value"),
        Output("date-from", "value"),
        Output("date-to", "value"),
        Output("search", "value"),
        Output("scale", "value"),
        Output("url", "search"),
        Output("view", "data"),
        Input("url", "search"),
        Input("themes", "value"),
        Input("date-from", "value"),
        Input("date-to", "value"),
        Input("search", "value"),
        Input("themes-all", "n_clicks"),
        Input("themes-none", "n_clicks"),
        Input("timeline-zoom", "data"),
        Input("overview-zoom", "data"),
        Input("reset-zoom", "n_clicks"),
        Input("dataset", "data"),
        Input("scale", "value"),
        Input("show-period", "n_clicks"),
        *(Input(button, "n_clicks") for button in STORY_TRIGGERS),
        Input("selected", "data"),
        State("view", "data"),
    )
    def on_view(
        search_qs: Any,
        themes: Any,
        date_from: Any,
        date_to: Any,
        text: Any,
        _all: Any,
        _none: Any,
        relayout: Any,
        overview_relayout: Any,
        _reset: Any,
        key: Any,
        scale: Any,
        _show_period: Any,
        _start: Any,
        _prev: Any,
        _next: Any,
        _close: Any,
        selected: Any,
        stored: Any,
    ) -> ViewOutputs:
        return sync_view(
            services,
            ZOOMS.get(ctx.triggered_id, ctx.triggered_id),
            set(ctx.triggered_prop_ids.values()),
            search_qs,
            themes,
            date_from,
            date_to,
            text,
            relayout,
            overview_relayout,
            key,
            stored,
            scale,
            selected,
            (_prev, _next),
        )
