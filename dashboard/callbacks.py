"""Callbacks: translate what the user did into calls of the core, and the results back.

One callback owns the view (URL <-> controls <-> zoom) so that a link and the
controls can never disagree; the others only read it. Which data a page shows is
a key in the page (``dataset``), resolved by :class:`~dashboard.datasets.Datasets`,
so any server process can answer any request.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from typing import Any

import numpy as np
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from . import dates, inputs, richtext
from .data import Timeline, ValidationError
from .datasets import Datasets
from .export import export_view
from .figure import FigureOptions, build_figure, build_overview, theme_label, when_labels
from .filters import SORT_COLUMNS, View, facet_counts, filter_events, sorted_rows
from .layout import TABLE_PAGE_SIZE, theme_options

MIN_LAYOUT_WIDTH, MAX_LAYOUT_WIDTH = 500, 4000
SHOWN_PROBLEMS = 50
DOWNLOADS = {"download-png": "png", "download-svg": "svg", "download-pdf": "pdf", "download-csv": "csv",
             "download-html": "html"}
GONE = "That uploaded file is no longer on the server: open it again."


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


def description(timeline: Timeline, text: str) -> list:
    """Imported HTML (TimelineJS) as safe formatted text; our own CSV's text exactly as written."""
    if timeline.rich_text and richtext.looks_like_html(text):
        return richtext.to_components(text)
    return [html.P(text)]


def details_panel(timeline: Timeline, row: int) -> list:
    """The selected event as text (never raw HTML), with its source as a link."""
    ev = timeline.events.iloc[row]
    when = when_labels(timeline, np.array([row]))[0]
    themes = timeline.theme_names(int(ev["theme_mask"]))
    children: list = [
        html.H2(ev["title"]),
        html.P(when, className="when"),
        html.Ul([html.Li(theme_label(t), className="chip") for t in themes], className="chips"),
    ]
    if ev["description"]:
        children.append(html.Div(description(timeline, ev["description"]), className="description"))
    facts = []
    if ev["actors"]:
        facts += [html.Dt("Actors"), html.Dd(", ".join(a.strip() for a in ev["actors"].split(";") if a.strip()))]
    if ev["location"]:
        facts += [html.Dt("Location"), html.Dd(ev["location"])]
    if ev["source"]:
        facts += [html.Dt("Source"), html.Dd(html.A(ev["source"], href=ev["source"], target="_blank",
                                                    rel="noopener noreferrer nofollow"))]
    if facts:
        children.append(html.Dl(facts, className="facts"))
    return children


def problem_list(exc: ValidationError) -> list:
    """An upload's problems, as the CLI prints them (the first SHOWN_PROBLEMS of them)."""
    items = [html.Li(p.describe()) for p in exc.problems[:SHOWN_PROBLEMS]]
    if len(exc.problems) > SHOWN_PROBLEMS:
        items.append(html.Li(f"... and {len(exc.problems) - SHOWN_PROBLEMS:,} more"))
    n = len(exc.problems)
    return [html.P(f"{exc.source} was not opened: {n} problem{'s' if n != 1 else ''}. "
                   "The timeline on screen is unchanged.", className="error"),
            html.Ul(items, className="upload-errors")]


def register_callbacks(app: Dash, datasets: Datasets, title: str) -> None:
    def timeline_of(key: Any) -> Timeline:
        return datasets.get(inputs.dataset_key(key))

    def title_of(timeline: Timeline) -> str:
        return title if timeline is datasets.served else (timeline.title or f"Timeline of {timeline.source_name}")

    @app.callback(
        Output("themes", "value"), Output("date-from", "value"), Output("date-to", "value"),
        Output("search", "value"), Output("url", "search"), Output("view", "data"),
        Input("url", "search"), Input("themes", "value"), Input("date-from", "value"),
        Input("date-to", "value"), Input("search", "value"), Input("themes-all", "n_clicks"),
        Input("themes-none", "n_clicks"), Input("timeline", "relayoutData"), Input("overview", "relayoutData"),
        Input("reset-zoom", "n_clicks"), Input("dataset", "data"),
        State("view", "data"),
    )
    def sync_view(search_qs, themes, date_from, date_to, text, _all, _none, relayout, overview_relayout,
                  _reset, key, stored):
        trigger = ctx.triggered_id
        fired = set(ctx.triggered_prop_ids.values())
        search_qs = inputs.text(search_qs, "url search")
        date_from, date_to = inputs.text(date_from, "from", 200), inputs.text(date_to, "to", 200)
        text = inputs.text(text, "search")
        themes = inputs.texts(themes, "themes")
        stored = None if stored is None else inputs.mapping(stored, "view")
        try:
            all_themes = list(timeline_of(key).themes)
        except KeyError:
            return (no_update,) * 6
        if stored is not None and "dataset" in fired and stored.get("dataset") != key:
            # Another file was opened: its own themes, no filters.
            return all_themes, "", "", "", "", {**asdict(View()), "dataset": key}
        if stored is None or "url" in fired:
            view = View.from_query(search_qs or "", all_themes)
            shown = list(all_themes if view.themes is None else view.themes)
            return shown, view.start, view.end, view.text, no_update, {**asdict(view), "dataset": key}
        current = inputs.view(stored, all_themes)
        if trigger in ("timeline", "overview", "reset-zoom"):
            if trigger == "reset-zoom":
                x_range = None
            else:
                x_range = zoom_from_relayout(relayout if trigger == "timeline" else overview_relayout,
                                             current.x_range)
            if x_range == current.x_range and trigger != "reset-zoom":
                return (no_update,) * 6
            view = View(themes=current.themes, start=current.start, end=current.end, text=current.text,
                        x_range=x_range)
            return (no_update, no_update, no_update, no_update, view.to_query(all_themes),
                    {**asdict(view), "dataset": key})
        if trigger == "themes-all":
            themes = all_themes
        elif trigger == "themes-none":
            themes = []
        selected = tuple(t for t in all_themes if t in set(themes))
        view = View(themes=None if len(selected) == len(all_themes) else selected,
                    start=date_from or "", end=date_to or "", text=text or "")
        themes_out = list(selected) if trigger in ("themes-all", "themes-none") else no_update
        return (themes_out, no_update, no_update, no_update, view.to_query(all_themes),
                {**asdict(view), "dataset": key})

    @app.callback(
        Output("timeline", "figure"), Output("overview", "figure"), Output("match-count", "children"),
        Output("themes", "options"), Output("filter-error", "children"), Output("page-title", "children"),
        Input("view", "data"), Input("layout-width", "data"), State("dataset", "data"),
    )
    def update_figure(stored, width, key):
        try:
            timeline = timeline_of(key)
        except KeyError:
            return no_update, no_update, no_update, no_update, GONE, no_update
        view = inputs.view(stored, timeline.themes)
        width = inputs.integer(width, "layout width", default=1200)
        try:
            rows = filter_events(timeline, view)
            facets = facet_counts(timeline, view)
        except ValueError as exc:
            return no_update, no_update, no_update, no_update, str(exc), no_update
        layout_width = min(max(width or 1200, MIN_LAYOUT_WIDTH), MAX_LAYOUT_WIDTH)
        name = title_of(timeline)
        fig = build_figure(timeline, view, FigureOptions(title=name, layout_width=layout_width), rows=rows)
        total = len(timeline.events)
        count = (f"{len(rows):,} of {total:,} events match" if len(rows)
                 else f"No events match these filters (0 of {total:,}).")
        return fig, build_overview(timeline, view, rows), count, theme_options(timeline, facets), "", name

    app.clientside_callback(
        """function(_) {
            var g = document.getElementById('timeline');
            return g && g.offsetWidth ? g.offsetWidth : Math.max(window.innerWidth - 320, 600);
        }""",
        Output("layout-width", "data"), Input("url", "pathname"),
    )

    # The size limit is checked in the browser first, so an oversize file is refused with a clear
    # message before it is sent at all; the server checks again.
    app.clientside_callback(
        """function(contents, filename) {
            const nu = window.dash_clientside.no_update;
            if (!contents) { return [nu, nu]; }
            const bytes = Math.floor((contents.length - contents.indexOf(',') - 1) * 3 / 4);
            if (bytes > %d) {
                return [null, (filename || 'The file') + ' is ' + (bytes / 1048576).toFixed(1) +
                        ' MB: files up to %d MB can be opened (start the server with --max-upload-mb ' +
                        'to allow more). The timeline on screen is unchanged.'];
            }
            return [{contents: contents, filename: filename}, 'Checking ' + (filename || 'the file') + '...'];
        }""" % (datasets.max_upload_bytes, datasets.max_upload_bytes >> 20),
        Output("upload-ok", "data"), Output("upload-status", "children"),
        Input("upload", "contents"), State("upload", "filename"), prevent_initial_call=True,
    )

    @app.callback(Output("dataset", "data"), Output("upload-status", "children", allow_duplicate=True),
                  Input("upload-ok", "data"), prevent_initial_call=True)
    def upload(sent):
        sent = inputs.mapping(sent, "upload")
        contents = inputs.text(sent.get("contents"), "upload contents", limit=datasets.max_upload_bytes * 4 // 3 + 200)
        if not contents:
            return no_update, no_update
        filename = inputs.text(sent.get("filename"), "file name", 1000) or "upload"
        try:
            data = base64.b64decode(contents.split(",", 1)[1], validate=True)
        except (IndexError, ValueError, binascii.Error):
            return no_update, html.P("The file could not be read from the browser: try again.", className="error")
        try:
            key, timeline = datasets.add(data, filename)
        except ValidationError as exc:
            return no_update, problem_list(exc)
        return key, html.P(f"Opened {timeline.source_name}: {len(timeline.events):,} events, "
                           f"{len(timeline.themes)} themes.", className="upload-ok")

    @app.callback(Output("selected", "data"),
                  Input("timeline", "clickData"), Input("table", "active_cell"), Input("dataset", "data"),
                  prevent_initial_call=True)
    def select(click, cell, _key):
        trigger = ctx.triggered_id
        if trigger == "timeline":
            points = inputs.items(inputs.mapping(click, "clickData").get("points"), "clicked points")
            point = inputs.mapping(points[0], "clicked point") if points else {}
            custom = inputs.items(point.get("customdata"), "customdata", limit=8)
            # A click on a density strip or an era has no event row: nothing is selected by it.
            return inputs.integer(custom[0], "event row", 0) if custom else no_update
        if trigger == "table":
            return inputs.integer(inputs.mapping(cell, "active cell").get("row_id"), "table row", 0)
        return None

    @app.callback(Output("details", "children"), Input("selected", "data"), State("dataset", "data"),
                  prevent_initial_call=True)
    def show_details(row, key):
        row = inputs.integer(row, "selected row")
        try:
            timeline = timeline_of(key)
        except KeyError:
            return html.P(GONE, className="error")
        if row is None or not 0 <= row < len(timeline.events):
            return html.P("Click an event, a period or a table row to see its details.", className="hint")
        return details_panel(timeline, row)

    @app.callback(
        Output("table", "data"), Output("table", "page_count"), Output("table", "page_current"),
        Output("table", "style_data_conditional"),
        Input("view", "data"), Input("table", "page_current"), Input("table", "sort_by"),
        Input("selected", "data"), State("dataset", "data"),
    )
    def update_table(stored, page, sort_by, selected, key):
        page = inputs.integer(page, "table page", default=0)
        selected = inputs.integer(selected, "selected row")
        sort = inputs.mapping((inputs.items(sort_by, "sort_by", limit=8) or [None])[0], "sort column")
        column = inputs.text(sort.get("column_id"), "sort column", 40) or "when"
        if column not in SORT_COLUMNS:
            raise inputs.BadInput(f"the table cannot be sorted by {column[:40]!r}")
        descending = inputs.text(sort.get("direction"), "sort direction", 4) == "desc"
        try:
            timeline = timeline_of(key)
            view = inputs.view(stored, timeline.themes)
            rows = filter_events(timeline, view)
        except (KeyError, ValueError):
            return no_update, no_update, no_update, no_update
        order = sorted_rows(timeline, view, rows, column, descending)
        pages = max(1, -(-len(order) // TABLE_PAGE_SIZE))
        page = page or 0
        if ctx.triggered_id == "view":
            page = 0
        if ctx.triggered_id == "selected" and selected is not None:
            where = np.flatnonzero(order == selected)
            if len(where):
                page = int(where[0]) // TABLE_PAGE_SIZE
        page = min(max(page, 0), pages - 1)
        shown = order[page * TABLE_PAGE_SIZE:(page + 1) * TABLE_PAGE_SIZE]
        ev = timeline.events.iloc[shown]
        data = [{"id": int(r), "when": w, "title": t,
                 "themes": ", ".join(theme_label(x) for x in timeline.theme_names(int(m))), "location": loc}
                for r, w, t, m, loc in zip(shown.tolist(), when_labels(timeline, shown), ev["title"].tolist(),
                                           ev["theme_mask"].tolist(), ev["location"].tolist())]
        style = [] if selected is None else [
            {"if": {"filter_query": f"{{id}} = {selected}"}, "backgroundColor": "#fde8d7", "fontWeight": "600"}]
        return data, pages, page, style

    @app.callback(
        Output("download", "data"), Output("download-status", "children"),
        *(Input(b, "n_clicks") for b in DOWNLOADS), State("view", "data"), State("dataset", "data"),
        prevent_initial_call=True,
    )
    def download(*args):
        stored, key = args[-2], args[-1]
        fmt = DOWNLOADS.get(ctx.triggered_id)
        if fmt is None:
            return no_update, no_update
        try:
            timeline = timeline_of(key)
        except KeyError:
            return no_update, GONE
        view = inputs.view(stored, timeline.themes)
        name = title_of(timeline)
        try:
            data = export_view(timeline, view, fmt, title=name)
        except ValueError as exc:
            return no_update, f"Cannot export: {exc}"
        return dcc.send_bytes(data, f"timeline.{fmt}"), f"Exported {fmt.upper()} ({len(data) / 1024:,.0f} KB)."
