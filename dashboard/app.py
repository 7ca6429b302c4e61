"""Create the Dash app for one served timeline (the factory the CLI and the tests use)."""

from __future__ import annotations

import threading
from pathlib import Path

from dash import Dash

from .callbacks import register_callbacks
from .data import Timeline
from .datasets import DEFAULT_MAX_UPLOAD_MB, Datasets
from .filters import haystack
from .layout import build_layout

SEARCH_WARMUP_EVENTS = 100_000


def create_app(timeline: Timeline, title: str | None = None, upload_dir: Path | None = None,
               max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB) -> Dash:
    title = title or timeline.title or f"Timeline of {timeline.source_name}"
    app = Dash(__name__, title=title, update_title=None, serve_locally=True)
    # Uploads arrive base64-encoded (4/3 of their size); refuse far larger requests outright.
    app.server.config["MAX_CONTENT_LENGTH"] = (max_upload_mb << 20) * 3 // 2 + (1 << 20)
    app.layout = build_layout(timeline, title, max_upload_mb)
    datasets = Datasets(timeline, upload_dir=upload_dir, max_upload_bytes=max_upload_mb << 20)
    register_callbacks(app, datasets, title)
    if len(timeline.events) >= SEARCH_WARMUP_EVENTS:
        # Build the search index now, in the background, rather than on the first search.
        threading.Thread(target=haystack, args=(timeline,), daemon=True, name="timeline-haystack").start()
    return app
