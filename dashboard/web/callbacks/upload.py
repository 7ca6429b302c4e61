"""Opening a file in the page: size checked in the browser first, then validated on the server; a bad
file shows its problems and leaves the view as it was. When its header is not understood, the page
offers the file's columns for ours, and opens it again with the columns chosen."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component

from ...core.columns import MAPPED, plan_columns
from ...core.i18n import LANGUAGES, translator
from ...core.model import ValidationError
from ...core.query import View
from ...core.written_dates import ORDER_ASKED
from ...io.read_options import DEFAULT_OPTIONS, ReadOptions
from .. import inputs
from ..components import problem_list
from ..layout import ORDER_QUESTION, theme_checklist
from .services import GONE, Services, Update

Received = tuple[Update[str], Update[Component | list[Component] | ValidationError], Update[Component]]

OUTPUTS = [
    ("dataset", "data"),
    ("upload-status", "children"),
    ("themes-box", "children"),
    ("column-map", "hidden"),
    *[(f"map-{ours}", "options") for ours in MAPPED],
    *[(f"map-{ours}", "value") for ours in MAPPED],
    ("date-order-choice", "hidden"),
    ("date-order-question", "children"),
]
"""What both upload callbacks set, in order (see :data:`Outcome`)."""

Outcome: TypeAlias = tuple[Any, ...]
"""(the new dataset key, the status shown under the upload box, the new theme filter, whether the
column choices are hidden, then the columns offered and the one chosen for each of MAPPED, whether
the choice of a date order is hidden, and its question, which quotes one of the file's dates)."""


def receive(
    services: Services,
    sent: Any,
    mode: Any = "open",
    current: Any = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    lang: Any = None,
) -> Outcome:
    """Open an upload (read with ``options``); when its header is not understood, offer its columns.
    What is said, in the page's language ``lang``."""
    lang = inputs.language(lang)
    key, status, themes = _open(services, sent, mode, current, options, lang)
    unchanged = [no_update] * (2 * len(MAPPED))
    if not isinstance(status, ValidationError):
        return (key, status, themes, True, *unchanged, True, no_update)
    asked = next((p.value for p in status.problems if p.expected.startswith(ORDER_ASKED)), None)
    order = (True, no_update) if asked is None else (False, translator(lang)(ORDER_QUESTION, date=asked))
    if status.header is None:
        return (key, problem_list(status, lang), themes, True, *unchanged, *order)
    header = status.header
    offered = list(dict.fromkeys(h for h in header if h))
    recognised = {ours: header[i] for i, ours in enumerate(plan_columns(header).names) if ours in MAPPED}
    return (
        key,
        [*problem_list(status, lang), first_rows(status.header, status.preview, lang)],
        themes,
        False,
        *[offered] * len(MAPPED),
        *[recognised.get(o) for o in MAPPED],
        *order,
    )


def first_rows(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], lang: str) -> html.Div:
    """The file's header and first rows as a small table (text only), to choose its columns by."""
    t = translator(lang)
    return html.Div(
        className="first-rows",
        children=[
            html.P(t("The file's first rows:"), className="hint"),
            html.Table(
                [
                    html.Thead(html.Tr([html.Th(h or "—") for h in header])),
                    html.Tbody([html.Tr([html.Td(cell[:80]) for cell in row]) for row in rows]),
                ]
            ),
        ],
    )


def _open(services: Services, sent: Any, mode: Any, current: Any, options: ReadOptions, lang: str) -> Received:
    """(the new dataset key, the status shown under the upload box or the upload's problems, the new
    theme filter). ``mode`` 'add' joins the file, as a new topic, to what the page shows (``current``,
    its dataset key) instead of replacing it."""
    t = translator(lang)
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
            key, timeline = services.datasets.add_to(inputs.dataset_key(current), data, filename, options)
        else:
            key, timeline = services.datasets.add(data, filename, options)
    except ValidationError as exc:
        return no_update, exc, no_update
    except KeyError:
        return no_update, html.P(t(GONE), className="error"), no_update
    if adding:
        said = t(
            "Added {name}: {events} in {topics}.",
            name=Path(filename).name,
            events=t.plural("{n:,} event", "{n:,} events", len(timeline.events)),
            topics=t.plural("{n:,} topic", "{n:,} topics", len(timeline.topics)),
        )
    else:
        said = t(
            "Opened {name}: {events}, {themes}.",
            name=timeline.source_name,
            events=t.plural("{n:,} event", "{n:,} events", len(timeline.events)),
            themes=t.plural("{n:,} theme", "{n:,} themes", len(timeline.themes)),
        )
    return key, html.P(said, className="upload-ok"), theme_checklist(timeline, lang)


def link_options(search: Any) -> ReadOptions:
    """The column choices a link carries (``?columns=date=When,title=What``), for the uploads of a page
    opened from it; none if it carries none, or none that can be read."""
    query = inputs.text(search, "url search")
    chosen = parse_qs(query.lstrip("?")).get("columns", [""])[-1]
    try:
        return ReadOptions.of(chosen) if chosen else DEFAULT_OPTIONS
    except ValueError:
        return DEFAULT_OPTIONS


def reopen(
    services: Services, clicks: Any, sent: Any, mode: Any, current: Any, *values: Any, lang: Any = None
) -> Outcome:
    """The upload again, with the file's columns its user chose for ours (``values``, in MAPPED's order)."""
    if not inputs.integer(clicks, "clicks", 0, default=0) or len(values) != len(MAPPED):
        return (no_update,) * len(OUTPUTS)
    mapping = {
        ours: theirs for ours, v in zip(MAPPED, values) if (theirs := inputs.text(v, f"column for {ours}", 1000))
    }
    return receive(services, sent, mode, current, ReadOptions.of(mapping), lang)


def reorder(
    services: Services, pressed: Any, sent: Any, mode: Any, current: Any, search: Any, lang: Any = None
) -> Outcome:
    """The upload again, its dates read in the order its user chose (``pressed``: the button,
    ``order-dmy`` or ``order-mdy``), with the column choices of the page's link."""
    order = {"order-dmy": "dmy", "order-mdy": "mdy"}.get(inputs.text(pressed, "button", 20))
    if order is None:
        return (no_update,) * len(OUTPUTS)
    return receive(services, sent, mode, current, replace(link_options(search), date_order=order), lang)


def forget_gone(
    services: Services, key: Any, lang: Any, view: Any = None, search: Any = ""
) -> tuple[Update[None], Update[html.P], Update[Component]]:
    """(the page's dataset key, the status under the upload box, the theme filter) once the key is
    known: a key the server no longer has (a tab reloaded after its upload was removed, or served by
    another server that does not share the upload folder), or one that is not a key, is forgotten,
    and the served file shown, with why. A page just loaded (no ``view`` stored yet: a reload) with
    an upload's key gets that upload's theme filter, ticked as its link (``search``) says, the page
    being built with the served file's."""
    lang = inputs.language(lang)
    try:
        timeline = services.timeline_of(key)
    except (KeyError, inputs.BadInput):
        return None, html.P(translator(lang)(GONE), className="error"), no_update
    if view is not None or timeline is services.datasets.served:
        return no_update, no_update, no_update
    ticked = View.from_query(inputs.text(search, "url search"), list(timeline.themes)).themes
    return no_update, no_update, theme_checklist(timeline, lang, ticked)


def register(app: Dash, services: Services) -> None:
    app.callback(
        Output("dataset", "data", allow_duplicate=True),
        Output("upload-status", "children", allow_duplicate=True),
        Output("themes-box", "children", allow_duplicate=True),
        Input("dataset", "data"),
        State("lang", "data"),
        State("view", "data"),
        State("url", "search"),
        prevent_initial_call="initial_duplicate",
    )(lambda key, lang, view, search: forget_gone(services, key, lang, view, search))
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

    words = upload_words()
    # The size limit is checked in the browser first, so an oversize file is refused with a clear
    # message before it is sent at all; the server checks again.
    app.clientside_callback(  # type: ignore[no-untyped-call]  # dash leaves this method unannotated
        """function(contents, filename, lang) {
            const nu = window.dash_clientside.no_update;
            if (!contents) { return [nu, nu, nu]; }
            const said = (%s)[lang] || (%s).en;
            const name = filename || said.file;
            const bytes = Math.floor((contents.length - contents.indexOf(',') - 1) * 3 / 4);
            if (bytes > %d) {
                return [null, said.large.replace('{name}', name).replace('{mb}', (bytes / 1048576).toFixed(1)), null];
            }
            // 'at' and the emptied box: the same file opened again is sent again (after "that upload
            // is gone: open it again"), where an unchanged value would start nothing.
            const box = document.querySelector('#upload input[type=file]');
            if (box) { box.value = ''; }
            return [{contents: contents, filename: filename, at: Date.now()},
                    said.checking.replace('{name}', name), null];
        }"""
        % (json.dumps(words, ensure_ascii=False), json.dumps(words["en"]), limit),
        Output("upload-ok", "data"),
        Output("upload-status", "children"),
        Output("upload", "contents"),
        Input("upload", "contents"),
        State("upload", "filename"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    choices = [Output(i, p, allow_duplicate=True) for i, p in OUTPUTS[4:]]
    app.callback(
        Output("dataset", "data"),
        Output("upload-status", "children", allow_duplicate=True),
        Output("themes-box", "children"),
        Output("column-map", "hidden"),
        *choices,
        Input("upload-ok", "data"),
        State("upload-mode", "value"),
        State("url", "search"),
        State("dataset", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )(lambda sent, mode, search, current, lang: receive(services, sent, mode, current, link_options(search), lang))
    # The columns chosen for an upload go into the page's link, so that the link (and a reload) reads
    # the same file the same way when it is opened again.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        """function(clicks, search, ...chosen) {
            if (!clicks) { return window.dash_clientside.no_update; }
            const params = new URLSearchParams(search || '');
            const pairs = %s.map((ours, i) => chosen[i] ? ours + '=' + chosen[i] : null).filter(p => p);
            if (pairs.length) { params.set('columns', pairs.join(',')); } else { params.delete('columns'); }
            const query = params.toString();
            return query ? '?' + query : '';
        }"""
        % json.dumps(list(MAPPED)),
        Output("url", "search", allow_duplicate=True),
        Input("map-open", "n_clicks"),
        State("url", "search"),
        *[State(f"map-{ours}", "value") for ours in MAPPED],
        prevent_initial_call=True,
    )
    app.callback(
        *[Output(i, p, allow_duplicate=True) for i, p in OUTPUTS],
        Input("order-mdy", "n_clicks"),
        Input("order-dmy", "n_clicks"),
        State("upload-ok", "data"),
        State("upload-mode", "value"),
        State("dataset", "data"),
        State("url", "search"),
        State("lang", "data"),
        prevent_initial_call=True,
    )(
        lambda _mdy, _dmy, sent, mode, current, search, lang: reorder(
            services, ctx.triggered_id, sent, mode, current, search, lang
        )
    )
    app.callback(
        *[Output(i, p, allow_duplicate=True) for i, p in OUTPUTS],
        Input("map-open", "n_clicks"),
        State("upload-ok", "data"),
        State("upload-mode", "value"),
        State("dataset", "data"),
        *[State(f"map-{ours}", "value") for ours in MAPPED],
        State("lang", "data"),
        prevent_initial_call=True,
    )(
        lambda clicks, sent, mode, current, *rest: reopen(
            services, clicks, sent, mode, current, *rest[:-1], lang=rest[-1]
        )
    )
