"""Create the Dash app for one served timeline (the factory the CLI and the tests use)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dash import Dash
from flask import Flask, Response, has_request_context, request
from werkzeug.exceptions import HTTPException

from ..core.i18n import DEFAULT_LANGUAGE, choose_language
from ..core.model import Timeline
from ..core.query import haystack
from ..render.figure import figure_title
from .callbacks import register
from .datasets import DEFAULT_MAX_UPLOAD_MB, Datasets
from .framing import DEFAULT_FRAME_ANCESTORS, check_frame_ancestors, content_security_policy
from .inputs import BadInput
from .layout import build_layout
from .wire import check_callback_request

SEARCH_WARMUP_EVENTS = 100_000


PLAIN = {"Content-Type": "text/plain; charset=utf-8"}
Reply = tuple[str, int, dict[str, str]]
"""An answer as Flask takes it: (body, status, headers)."""


def _plain_errors(app: Dash) -> None:
    """Anything a user can cause gets a short plain message, never a stack trace."""
    server: Flask = app.server

    @server.errorhandler(413)
    def too_large(_exc: Exception) -> Reply:
        return ("That request is larger than this server accepts (start it with a higher --max-upload-mb).", 413, PLAIN)

    @server.errorhandler(404)
    def not_found(_exc: Exception) -> Reply:
        return "Not found.", 404, PLAIN

    @server.errorhandler(HTTPException)
    def refused(exc: HTTPException) -> Reply:
        # Werkzeug's own pages are HTML and may echo the request: say it in one plain line instead.
        message = exc.description if isinstance(exc, BadInput) else (exc.name or "Bad request") + "."
        return message, exc.code or 400, PLAIN

    @server.errorhandler(500)
    def failed(_exc: Exception) -> Reply:
        return "Something went wrong on the server; the error was logged.", 500, PLAIN


def _check_callback_requests(app: Dash) -> None:
    """Refuse a callback request that names no callback of this app, or sends the wrong arguments,
    before Dash unpacks it (Dash would fail on it with a 500)."""
    server: Flask = app.server

    @server.before_request
    def check() -> None:
        if request.method == "POST" and request.path.endswith("/_dash-update-component"):
            check_callback_request(request.get_json(silent=True), app.callback_map)


def page_param(name: str) -> str | None:
    """A parameter of the page's address: of the page itself, or of the page that asks for its layout
    (Dash fetches the layout from a script, so the page's address is the request's referrer)."""
    if not has_request_context():
        return None
    asked = request.args.get(name)
    if asked is None and request.referrer:
        asked = parse_qs(urlsplit(request.referrer[:4000]).query).get(name, [None])[-1]
    return asked


def page_language() -> str:
    """The language of the page being served: ``?lang=`` in its address, else the browser's
    preferred one, else English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return choose_language(page_param("lang"), request.headers.get("Accept-Language"))


EMBED_ON = ("1", "true", "yes")


def page_embedded() -> bool:
    """Whether the page is asked for in embed mode (``?embed=1``): the chart alone, for an iframe."""
    return (page_param("embed") or "").strip().lower() in EMBED_ON


def _frame_policy(app: Dash, ancestors: str) -> None:
    """Every response says which sites may frame it (``--frame-ancestors``)."""
    server: Flask = app.server
    policy = content_security_policy(ancestors)

    @server.after_request
    def framing(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        return response


class TimelineApp(Dash):
    """Dash, with the page's language on its ``<html>`` element (screen readers and fonts follow it)."""

    def interpolate_index(  # type: ignore[override]  # dash's hook takes its parts by keyword
        self, **kwargs: Any
    ) -> Any:
        page: str = super().interpolate_index(**kwargs)  # type: ignore[no-untyped-call]
        return page.replace("<html>", f'<html lang="{page_language()}">', 1)


def create_app(
    timeline: Timeline,
    title: str | None = None,
    upload_dir: Path | None = None,
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB,
    frame_ancestors: str = DEFAULT_FRAME_ANCESTORS,
) -> Dash:
    """The app serving ``timeline``; ``frame_ancestors``: the sites allowed to show it in a frame
    (checked: ValueError saying what is wrong)."""
    ancestors = check_frame_ancestors(frame_ancestors)
    shown = figure_title(timeline, title)
    # None keeps the page's title while a callback runs: Dash documents it but annotates str.
    app = TimelineApp(__name__, title=shown, update_title=None, serve_locally=True, compress=True)  # type: ignore[arg-type]
    _plain_errors(app)
    _check_callback_requests(app)
    _frame_policy(app, ancestors)
    # Uploads arrive base64-encoded (4/3 of their size); refuse far larger requests outright.
    app.server.config["MAX_CONTENT_LENGTH"] = (max_upload_mb << 20) * 3 // 2 + (1 << 20)
    app.layout = lambda: build_layout(timeline, title, max_upload_mb, page_language(), page_embedded())
    datasets = Datasets(timeline, upload_dir=upload_dir, max_upload_bytes=max_upload_mb << 20)
    register(app, datasets, title)
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
