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


def _plain_errors(app: Dash) -> None:
    """Anything a user can cause gets a short plain message, never a stack trace."""
    server = app.server

    @server.errorhandler(413)
    def too_large(_exc):
        return ("That request is larger than this server accepts (start it with a higher --max-upload-mb).",
                413, {"Content-Type": "text/plain; charset=utf-8"})

    @server.errorhandler(404)
    def not_found(_exc):
        return "Not found.", 404, {"Content-Type": "text/plain; charset=utf-8"}

    @server.errorhandler(500)
    def failed(_exc):
        return ("Something went wrong on the server; the error was logged.", 500,
                {"Content-Type": "text/plain; charset=utf-8"})


def create_app(timeline: Timeline, title: str | None = None, upload_dir: Path | None = None,
               max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB) -> Dash:
    title = title or timeline.title or f"Timeline of {timeline.source_name}"
    app = Dash(__name__, title=title, update_title=None, serve_locally=True, compress=True)
    _plain_errors(app)
    # Uploads arrive base64-encoded (4/3 of their size); refuse far larger requests outright.
    app.server.config["MAX_CONTENT_LENGTH"] = (max_upload_mb << 20) * 3 // 2 + (1 << 20)
    app.layout = build_layout(timeline, title, max_upload_mb)
    datasets = Datasets(timeline, upload_dir=upload_dir, max_upload_bytes=max_upload_mb << 20)
    register_callbacks(app, datasets, title)
    return app


def warm_up(timeline: Timeline, background: bool) -> None:
    """Build the search column now rather than at the first search: in a thread for a single
    process; at once before server workers fork (so they share it, and no lock is copied held)."""
    if len(timeline.events) < SEARCH_WARMUP_EVENTS:
        return
    if background:
        threading.Thread(target=haystack, args=(timeline,), daemon=True, name="timeline-haystack").start()
    else:
        haystack(timeline)
