"""The view a page shows (themes, dates, search, zoom), kept in one store and in the URL."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final, TypeAlias

from dash import Dash, Input, Output, State, ctx, no_update

from ...core import dates
from ...core.query import View, same_time
from .. import inputs
from .services import Services, Update

ViewOutputs: TypeAlias = tuple[
    Update[list[str]],  # the themes ticked
    Update[str],  # from
    Update[str],  # to
    Update[str],  # search
    Update[str],  # the URL's query
    Update[dict[str, Any]],  # the stored view (View's fields and the dataset key)
]
VIEW_OUTPUTS: Final = 6


def zoom_from_relayout(relayout: Any, current: tuple[float, float] | None) -> tuple[float, float] | None:
    """The x range after a zoom or pan, None after a reset; ``current`` if the event was no x change."""
    relayout = inputs.mapping(relayout, "relayoutData")
    if not relayout:
        return current
    if relayout.get("xaxis.autorange"):
        return None
    pair = relayout.get("xaxis.range") or [relayout.get("xaxis.range[0]"), relayout.get("xaxis.range[1]")]
    if not isinstance(pair, list) or len(pair) != 2 or pair[0] is None or pair[1] is None:
        return current
    return dates.checked_range(pair[0], pair[1]) or current


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
    selected: Any = None,
) -> ViewOutputs:
    """(themes ticked, from, to, search, URL query, stored view) after what the user did (``trigger``).

    ``selected`` is the selected event's row: "Show this period" (``show-period``) sets From and To
    to the period of the events at the same time as it."""
    search_qs = inputs.text(search_qs, "url search")
    date_from, date_to = inputs.text(date_from, "from", 200), inputs.text(date_to, "to", 200)
    text = inputs.text(text, "search")
    themes = inputs.texts(themes, "themes")
    stored = None if stored is None else inputs.mapping(stored, "view")
    try:
        all_themes = list(services.timeline_of(key).themes)
    except KeyError:
        return (no_update,) * VIEW_OUTPUTS
    if stored is not None and "dataset" in fired and stored.get("dataset") != key:
        # Another file was opened: its own themes, no filters.
        return all_themes, "", "", "", "", {**asdict(View()), "dataset": key}
    if stored is None or "url" in fired:
        view = View.from_query(search_qs or "", all_themes)
        shown = list(all_themes if view.themes is None else view.themes)
        return shown, view.start, view.end, view.text, no_update, {**asdict(view), "dataset": key}
    current = inputs.view(stored, all_themes)
    if trigger == "show-period":
        row = inputs.integer(selected, "selected row", 0)
        timeline = services.timeline_of(key)
        if row is None or row >= len(timeline.events):
            return (no_update,) * VIEW_OUTPUTS
        found = same_time(timeline, row, limit=0)
        view = View(themes=current.themes, start=found.start, end=found.end, text=current.text)
        return (no_update, view.start, view.end, no_update, view.to_query(all_themes), {**asdict(view), "dataset": key})
    if trigger in ("timeline", "overview", "reset-zoom"):
        if trigger == "reset-zoom":
            x_range = None
        else:
            x_range = zoom_from_relayout(relayout if trigger == "timeline" else overview_relayout, current.x_range)
        if x_range == current.x_range and trigger != "reset-zoom":
            return (no_update,) * VIEW_OUTPUTS
        view = View(themes=current.themes, start=current.start, end=current.end, text=current.text, x_range=x_range)
        return (no_update, no_update, no_update, no_update, view.to_query(all_themes), {**asdict(view), "dataset": key})
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
    )
    themes_out = list(selected) if trigger in ("themes-all", "themes-none") else no_update
    return (themes_out, no_update, no_update, no_update, view.to_query(all_themes), {**asdict(view), "dataset": key})


def register(app: Dash, services: Services) -> None:
    @app.callback(
        Output("themes", "value"),
        Output("date-from", "value"),
        Output("date-to", "value"),
        Output("search", "value"),
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
        Input("show-period", "n_clicks"),
        State("view", "data"),
        State("selected", "data"),
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
        _show_period: Any,
        stored: Any,
        selected: Any,
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
            selected,
        )
