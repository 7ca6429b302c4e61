"""The view a page shows (themes, dates, search, zoom), kept in one store and in the URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any, Final, TypeAlias
from urllib.parse import parse_qs, parse_qsl, urlencode

from dash import Dash, Input, Output, State, ctx, no_update

from ...core import dates, sql
from ...core.query import View, filter_events, same_time
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
) -> ViewOutputs:
    """(themes ticked, from, to, search, scale, URL query, stored view) after what the user did (``trigger``).

    ``selected`` is the selected event's row: "Show this period" (``show-period``) sets From and To
    to the period of the events at the same time as it."""
    search_qs = inputs.text(search_qs, "url search")
    date_from, date_to = inputs.text(date_from, "from", 200), inputs.text(date_to, "to", 200)
    text = inputs.text(text, "search")
    themes = inputs.texts(themes, "themes")
    scale = inputs.scale(scale)
    stored = None if stored is None else inputs.mapping(stored, "view")
    try:
        all_themes = list(services.timeline_of(key).themes)
    except KeyError:
        return (no_update,) * VIEW_OUTPUTS
    if stored is not None and "dataset" in fired and stored.get("dataset") != key:
        # Another file was opened: its own themes, no filters.
        return all_themes, "", "", "", no_update, "", {**asdict(View(scale=scale)), "dataset": key}
    if stored is None or "url" in fired:
        view = View.from_query(search_qs or "", all_themes)
        if view.story is not None:
            try:
                step = story_step(services.timeline_of(key), view, view.story)
            except ValueError:  # the link's dates are not valid: the filter error says so
                step = None
            view = replace(view, story=step.number if step else None)
        shown = list(all_themes if view.themes is None else view.themes)
        return shown, view.start, view.end, view.text, view.scale, no_update, {**asdict(view), "dataset": key}
    current = inputs.view(stored, all_themes)
    if trigger == "show-period":
        row = inputs.integer(selected, "selected row", 0)
        timeline = services.timeline_of(key)
        if row is None or row >= timeline.size:
            return (no_update,) * VIEW_OUTPUTS
        if timeline.engine is not None:
            one = sql.event(timeline, row)
            if one is None:
                return (no_update,) * VIEW_OUTPUTS
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
            {**asdict(view), "dataset": key},
        )
    if trigger in ("timeline", "overview", "reset-zoom"):
        if trigger == "reset-zoom":
            x_range = None
        elif trigger == "timeline" and current.scale != "time":
            # The sequence and log axes are not in epoch ms: their numbers are mapped back to dates.
            timeline = services.timeline_of(key)
            try:
                rows = filter_events(timeline, current)
            except ValueError:
                return (no_update,) * VIEW_OUTPUTS
            x_range = zoom_from_relayout(
                relayout, current.x_range, lambda pair: axis_to_ms(timeline, current, rows, pair)
            )
        else:
            x_range = zoom_from_relayout(relayout if trigger == "timeline" else overview_relayout, current.x_range)
        if x_range == current.x_range and trigger != "reset-zoom":
            return (no_update,) * VIEW_OUTPUTS
        view = replace(current, x_range=x_range)
        return (no_update,) * 5 + (with_kept(view.to_query(all_themes), search_qs), {**asdict(view), "dataset": key})
    if trigger in STORY_TRIGGERS:
        return _step(services, key, current, trigger, all_themes, search_qs)
    if trigger == "selected":
        return _step_to(services, key, current, selected, all_themes, search_qs)
    if trigger == "scale":
        view = replace(current, scale=scale)
        return (no_update,) * 5 + (with_kept(view.to_query(all_themes), search_qs), {**asdict(view), "dataset": key})
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
        {**asdict(view), "dataset": key},
    )


STORY_TRIGGERS = ("story-start", "story-prev", "story-next", "story-close")
"""The story bar's buttons (the arrow keys press Previous and Next: assets/story.js)."""


def _step(
    services: Services, key: Any, current: View, trigger: str, all_themes: list[str], previous: str
) -> ViewOutputs:
    """The view after a story button: the first, previous or next step (shown in its own window: a
    zoom made during the story is dropped), or no story."""
    if trigger == "story-close":
        view = replace(current, story=None)
    else:
        at = current.story or 0
        wanted = {"story-start": 1, "story-prev": at - 1, "story-next": at + 1}[trigger]
        try:
            step = story_step(services.timeline_of(key), current, max(wanted, 1))
        except ValueError:  # the view's dates are not valid: the filter error says so
            return (no_update,) * VIEW_OUTPUTS
        if step is None or (step.number == current.story and current.x_range is None):
            return (no_update,) * VIEW_OUTPUTS
        view = replace(current, story=step.number, x_range=None)
    return (no_update,) * 5 + (with_kept(view.to_query(all_themes), previous), {**asdict(view), "dataset": key})


def _step_to(
    services: Services, key: Any, current: View, selected: Any, all_themes: list[str], previous: str
) -> ViewOutputs:
    """During a story, a click on one of its events (chart or table) goes to that event's step."""
    row = inputs.integer(selected, "selected row", 0)
    if current.story is None or row is None:
        return (no_update,) * VIEW_OUTPUTS
    timeline = services.timeline_of(key)
    try:
        number = step_of(timeline, current, row)
    except ValueError:
        return (no_update,) * VIEW_OUTPUTS
    if number is None or number == current.story:
        return (no_update,) * VIEW_OUTPUTS
    view = replace(current, story=number, x_range=None)
    return (no_update,) * 5 + (with_kept(view.to_query(all_themes), previous), {**asdict(view), "dataset": key})


def register(app: Dash, services: Services) -> None:
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
        Input("timeline", "relayoutData"),
        Input("overview", "relayoutData"),
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
            ctx.triggered_id,
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
        )
