"""Downloads of what is on screen: PNG, SVG, PDF, CSV, HTML and the story page, the same files
``timeline export`` writes."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, no_update

from ...core.i18n import translator
from ...render.exports import export_filename, export_view
from .. import inputs
from .services import GONE, Services, Update

DOWNLOADS = {
    "download-png": "png",
    "download-svg": "svg",
    "download-pdf": "pdf",
    "download-csv": "csv",
    "download-html": "html",
    "download-story": "story",
}


def download(
    services: Services, trigger: str | None, stored: Any, key: Any, lang: Any = None
) -> tuple[Update[dict[str, Any]], Update[str]]:
    """(the file for the browser to save, a status line)."""
    fmt = DOWNLOADS.get(trigger or "")
    if fmt is None:
        return no_update, no_update
    lang = inputs.language(lang)
    t = translator(lang)
    try:
        timeline = services.timeline_of(key)
    except KeyError:
        return no_update, t(GONE)
    view = inputs.applied_view(stored, timeline.themes)  # what the chart shows
    if timeline.preview_of:  # a file of some rows only would pass for the whole
        return no_update, t("Downloads wait until every row is validated: the page reloads then.")
    try:
        data = export_view(timeline, view, fmt, title=services.title_of(timeline, lang), lang=lang)
    except ValueError as exc:
        return no_update, t("Cannot export: {reason}", reason=exc)
    # dash exports send_bytes through an __all__ mypy cannot read, and leaves it unannotated
    sent: dict[str, Any] = dcc.send_bytes(data, export_filename(fmt))  # type: ignore[attr-defined,no-untyped-call]
    shown = t("story (HTML)") if fmt == "story" else fmt.upper()
    return sent, t("Exported {format} ({kb:,.0f} KB).", format=shown, kb=len(data) / 1024)


def register(app: Dash, services: Services) -> None:
    app.callback(
        Output("download", "data"),
        Output("download-status", "children"),
        *(Input(b, "n_clicks") for b in DOWNLOADS),
        State("view", "data"),
        State("dataset", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )(lambda *args: download(services, ctx.triggered_id, args[-3], args[-2], args[-1]))
