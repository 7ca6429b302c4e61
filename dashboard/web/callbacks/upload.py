"""Opening a file in the page: size checked in the browser first, then validated on the server; a bad
file shows its problems and leaves the view as it was."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, html, no_update
from dash.development.base_component import Component

from ...core.i18n import LANGUAGES, translator
from ...core.model import ValidationError
from .. import inputs
from ..components import problem_list
from ..layout import theme_checklist
from .services import GONE, Services, Update

Received = tuple[Update[str], Update[Component | list[Component]], Update[Component]]


def receive(services: Services, sent: Any, mode: Any = "open", current: Any = None, lang: Any = None) -> Received:
    """(the new dataset key, the status shown under the upload box, the new theme filter). ``mode``
    'add' joins the file, as a new topic, to what the page shows (``current``, its dataset key)
    instead of replacing it."""
    t = translator(inputs.language(lang))
    sent = inputs.mapping(sent, "upload")
    limit = services.datasets.max_upload_bytes * 4 // 3 + 200
    contents = inputs.text(sent.get("contents"), "upload contents", limit=limit)
    if not contents:
        return no_update, no_update, no_update
    filename = inputs.text(sent.get("filename"), "file name", 1000) or "upload"
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError, binascii.Error):
        return (
            no_update,
            html.P(t("The file could not be read from the browser: try again."), className="error"),
            no_update,
        )
    adding = inputs.text(mode, "upload mode", 10) == "add"
    try:
        if adding:
            key, timeline = services.datasets.add_to(inputs.dataset_key(current), data, filename)
        else:
            key, timeline = services.datasets.add(data, filename)
    except ValidationError as exc:
        return no_update, problem_list(exc, t.lang), no_update
    except KeyError:
        return no_update, html.P(t(GONE), className="error"), no_update
    if adding:
        said = t(
            "Added {name}: {n:,} events in {topics} topics.",
            name=Path(filename).name,
            n=len(timeline.events),
            topics=len(timeline.topics),
        )
    else:
        said = t(
            "Opened {name}: {n:,} events, {themes} themes.",
            name=timeline.source_name,
            n=len(timeline.events),
            themes=len(timeline.themes),
        )
    return key, html.P(said, className="upload-ok"), theme_checklist(timeline, t.lang)


def register(app: Dash, services: Services) -> None:
    limit = services.datasets.max_upload_bytes

    def upload_words() -> dict[str, dict[str, str]]:
        """What the browser says of a file before sending it, in every language (it picks the page's)."""
        words = {}
        for lang in LANGUAGES:
            t = translator(lang)
            words[lang] = {
                "file": t("The file"),
                "checking": t("Checking {name}...", name="{name}"),
                "large": t(
                    "{name} is {mb} MB: files up to {limit:,} MB can be opened (start the server with "
                    "--max-upload-mb to allow more). The timeline on screen is unchanged.",
                    limit=limit >> 20,
                    name="{name}",  # filled in by the browser
                    mb="{mb}",
                ),
            }
        return words

    # The size limit is checked in the browser first, so an oversize file is refused with a clear
    # message before it is sent at all; the server checks again.
    app.clientside_callback(  # type: ignore[no-untyped-call]  # dash leaves this method unannotated
        """function(contents, filename, lang) {
            const nu = window.dash_clientside.no_update;
            if (!contents) { return [nu, nu]; }
            const said = (%s)[lang] || (%s).en;
            const name = filename || said.file;
            const bytes = Math.floor((contents.length - contents.indexOf(',') - 1) * 3 / 4);
            if (bytes > %d) {
                return [null, said.large.replace('{name}', name).replace('{mb}', (bytes / 1048576).toFixed(1))];
            }
            return [{contents: contents, filename: filename}, said.checking.replace('{name}', name)];
        }"""
        % (json.dumps(upload_words(), ensure_ascii=False), json.dumps(upload_words()["en"]), limit),
        Output("upload-ok", "data"),
        Output("upload-status", "children"),
        Input("upload", "contents"),
        State("upload", "filename"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    app.callback(
        Output("dataset", "data"),
        Output("upload-status", "children", allow_duplicate=True),
        Output("themes-box", "children"),
        Input("upload-ok", "data"),
        State("upload-mode", "value"),
        State("dataset", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )(lambda sent, mode, current, lang: receive(services, sent, mode, current, lang))
