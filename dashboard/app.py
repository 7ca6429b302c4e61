"""Create the Dash app for one timeline (the factory the CLI and the tests use)."""

from __future__ import annotations

import threading

from dash import Dash

from .callbacks import register_callbacks
from .data import Timeline
from .filters import haystack
from .layout import build_layout


SEARCH_WARMUP_EVENTS = 100_000


def create_app(timeline: Timeline, title: str | None = None) -> Dash:
    title = title or timeline.title or f"Timeline of {timeline.source_name}"
    app = Dash(__name__, title=title, update_title=None, serve_locally=True)
    app.layout = build_layout(timeline, title)
    register_callbacks(app, timeline, title)
    if len(timeline.events) >= SEARCH_WARMUP_EVENTS:
        # Build the search index now, in the background, rather than on the first search.
        threading.Thread(target=haystack, args=(timeline,), daemon=True, name="timeline-haystack").start()
    return app
