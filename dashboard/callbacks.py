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

import numpy as np
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from . import dates, richtext
from .data import Timeline, ValidationError
from .datasets import Datasets
from .export import events_csv, render_view, standalone_html, start_export_server
from .figure import FigureOptions, build_figure, build_overview, theme_label, when_labels
from .filters import View, facet_counts, filter_events, sorted_rows
from .layout import TABLE_PAGE_SIZE, theme_options

MIN_LAYOUT_WIDTH, MAX_LAYOUT_WIDTH = 500, 4000
SHOWN_PROBLEMS = 50
DOWNLOADS = {"download-png": "png", "download-svg": "svg", "download-pdf": "pdf", "download-csv": "csv",
             "download-html": "html"}
GONE = "That uploaded file is no longer on the server: open it again."


def view_from_store(data: dict | None) -> View:
    if not data:
        return View()
    themes = data.get("themes")
    x_range = data.get("x_range")
    return View(themes=None if themes is None else tuple(themes), start=data.get("start") or "",
                end=data.get("end") or "", text=data.get("text") or "",
                x_range=None if not x_range else (float(x_range[0]), float(x_range[1])))


def zoom_from_relayout(relayout: dict | None, current: tuple[float, float] | None):
    """The x range after a zoom or pan, None after a reset; ``current`` if the event was no x change."""
    if not relayout:
        return current
    if relayout.get("xaxis.autorange"):
        return None
    pair = relayout.get("xaxis.range") or [relayout.get("xaxis.range[0]"), relayout.get("xaxis.range[1]")]
    if pair[0] is None or pair[1] is None:
        return current
    try:
        lo, hi = dates.parse_axis_value(pair[0]), dates.parse_axis_value(pair[1])
    except ValueError:
        return current
    return (lo, hi) if lo < hi else current


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
    def timeline_of(key: str | None) -> Timeline:
        return datasets.get(key)

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
        current = view_from_store(stored)
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
        selected = tuple(t for t in all_themes if t in (themes or []))
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
        view = view_from_store(stored)
        try:
            rows = filter_events(timeline, view)
            facets = facet_counts(timeline, view)
        except ValueError as exc:
            return no_update, no_update, no_update, no_update, str(exc), no_update
        layout_width = int(min(max(width or 1200, MIN_LAYOUT_WIDTH), MAX_LAYOUT_WIDTH))
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
        if not sent or not sent.get("contents"):
            return no_update, no_update
        filename = str(sent.get("filename") or "upload")
        try:
            data = base64.b64decode(str(sent["contents"]).split(",", 1)[1], validate=True)
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
        try:
            if trigger == "timeline":
                return int(click["points"][0]["customdata"][0])
            if trigger == "table":
                return int(cell["row_id"])
        except (TypeError, KeyError, IndexError, ValueError):
            return no_update
        return None

    @app.callback(Output("details", "children"), Input("selected", "data"), State("dataset", "data"),
                  prevent_initial_call=True)
    def show_details(row, key):
        try:
            timeline = timeline_of(key)
        except KeyError:
            return html.P(GONE, className="error")
        if row is None or not 0 <= int(row) < len(timeline.events):
            return html.P("Click an event, a period or a table row to see its details.", className="hint")
        return details_panel(timeline, int(row))

    @app.callback(
        Output("table", "data"), Output("table", "page_count"), Output("table", "page_current"),
        Output("table", "style_data_conditional"),
        Input("view", "data"), Input("table", "page_current"), Input("table", "sort_by"),
        Input("selected", "data"), State("dataset", "data"),
    )
    def update_table(stored, page, sort_by, selected, key):
        try:
            timeline = timeline_of(key)
            view = view_from_store(stored)
            rows = filter_events(timeline, view)
        except (KeyError, ValueError):
            return no_update, no_update, no_update, no_update
        column = (sort_by or [{}])[0].get("column_id", "when")
        descending = (sort_by or [{}])[0].get("direction") == "desc"
        order = sorted_rows(timeline, view, rows, column, descending)
        pages = max(1, -(-len(order) // TABLE_PAGE_SIZE))
        page = int(page or 0)
        if ctx.triggered_id == "view":
            page = 0
        if ctx.triggered_id == "selected" and selected is not None:
            where = np.flatnonzero(order == int(selected))
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
            {"if": {"filter_query": f"{{id}} = {int(selected)}"}, "backgroundColor": "#fde8d7", "fontWeight": "600"}]
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
        view = view_from_store(stored)
        name = title_of(timeline)
        try:
            if fmt == "csv":
                data = events_csv(timeline, filter_events(timeline, view))
            elif fmt == "html":
                data = standalone_html(timeline, view, title=name)
            else:
                start_export_server()
                data = render_view(timeline, view, fmt, title=name)
        except ValueError as exc:
            return no_update, f"Cannot export: {exc}"
        return dcc.send_bytes(data, f"timeline.{fmt}"), f"Exported {fmt.upper()} ({len(data) / 1024:,.0f} KB)."
