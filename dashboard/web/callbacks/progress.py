"""How far a slow search has got, for the page to say while it waits for the figure's answer; and
whether the tables of quick clicks of a store served before them are in place yet.

A first search of a timeline beyond memory reads every event's text (seconds at ten million events);
its engine records how far it has got under a key (``io.engines.PerProcess.searched``). A callback
gives the page that key as soon as the view changes, and a small JSON endpoint says what was last
recorded under it, from whichever server process the request reaches: the page's script
(``assets/progress.js``) asks it a few times a second while the match count is on its way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, State, no_update
from flask import Response, request

from ...core.i18n import translator
from ...core.model import Timeline
from ...core.query import search_terms
from ...io.progress import check_key
from .. import inputs
from ..layout import tables_note as layout_note
from ..layout import tables_ready
from .services import Services

PROGRESS_PATH = "_timeline/progress"
"""The endpoint's address, under the app's own prefix (``?key=`` and the key, nothing else)."""
MAX_QUERY_BYTES = 100
"""Longest query string the endpoint reads (a key and its name take 36)."""


def search_key(services: Services, stored: Any, key: Any) -> str:
    """The key under which the page's search records its progress: empty when there is none to
    follow (no search words, a timeline in memory, words the figure will refuse)."""
    try:
        timeline = services.timeline_of(key)
    except KeyError:
        return ""
    progress_key = getattr(timeline.engine, "progress_key", None)
    if progress_key is None:
        return ""
    view = inputs.view(stored, timeline.themes)
    try:
        terms = search_terms(view.text)
    except ValueError:  # the figure says why
        return ""
    return str(progress_key(terms)) if terms else ""


def progress_of(timeline: Timeline, query: bytes, args: Mapping[str, list[str]]) -> dict[str, int]:
    """What the timeline's engine last recorded of the search a progress request names (``args``,
    its query string parsed: one ``key``), as {"done", "total"}; {} when no such search is under way.
    BadInput for any other request."""
    if len(query) > MAX_QUERY_BYTES:
        raise inputs.BadInput(f"a progress request's query is at most {MAX_QUERY_BYTES} bytes")
    if set(args) != {"key"} or len(args["key"]) != 1:
        raise inputs.BadInput("a progress request names one key (?key=...) and nothing else")
    try:
        key = check_key(args["key"][0])
    except ValueError as exc:
        raise inputs.BadInput(str(exc)) from None
    folder = getattr(timeline.engine, "progress", None)
    found = folder.read(key) if folder is not None else None
    return found.as_dict() if found is not None else {}


def tables_note(services: Services, ticks: Any, lang: Any = None) -> tuple[bool, bool, str]:
    """(the note hidden, the page's polling stopped, its text): hidden and stopped once the served
    timeline's tables of quick clicks are in place (``io.engines.PerProcess.precomputed``); stopped,
    saying so, once they will not be (``layout.tables_note``)."""
    inputs.integer(ticks, "ticks", default=0)
    note, looking = layout_note(services.datasets.served, translator(inputs.language(lang)))
    return note is None, not looking, note or ""


def whole_served(services: Services, ticks: Any) -> Any:
    """True once the server serves a whole dataset where the page showed a preview of its first rows
    (the server restarted meanwhile), for the page to reload; else nothing."""
    inputs.integer(ticks, "ticks", default=0)
    return no_update if services.datasets.served.preview_of else True


RELOAD = """function(whole) {
    if (whole) { window.location.reload(); return true; }
    return window.dash_clientside.no_update;
}"""
"""The page reloaded (its view is in its address), its polling stopped."""


def register(app: Dash, services: Services) -> None:
    app.callback(
        Output("whole-served", "data"),
        Input("preview-poll", "n_intervals"),
        prevent_initial_call=True,
    )(lambda ticks: whole_served(services, ticks))
    app.clientside_callback(  # type: ignore[no-untyped-call]  # dash leaves this method unannotated
        RELOAD, Output("preview-poll", "disabled"), Input("whole-served", "data"), prevent_initial_call=True
    )
    if not tables_ready(services.datasets.served):  # else the page never asks
        app.callback(
            Output("tables-note", "hidden"),
            Output("tables-poll", "disabled"),
            Output("tables-note", "children"),
            Input("tables-poll", "n_intervals"),
            State("lang", "data"),
        )(lambda ticks, lang: tables_note(services, ticks, lang))
    if getattr(services.datasets.served.engine, "progress_key", None) is not None:  # else no request per view
        app.callback(
            Output("search-key", "children"),
            Input("view", "data"),
            State("dataset", "data"),
        )(lambda stored, key: search_key(services, stored, key))

    def progress() -> Response:
        # only the served timeline can have an engine: an upload is held in memory
        found = progress_of(services.datasets.served, request.query_string, request.args.to_dict(flat=False))
        return Response(json.dumps(found), mimetype="application/json", headers={"Cache-Control": "no-store"})

    app.server.add_url_rule(
        app.config.routes_pathname_prefix + PROGRESS_PATH, "timeline_progress", progress, methods=["GET"]
    )
