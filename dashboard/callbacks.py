"""Callbacks: translate what the user did into calls of the core, and the results back.

One callback owns the view (URL <-> controls <-> zoom) so that a link and the
controls can never disagree; the others only read the view.
"""

from __future__ import annotations

from dataclasses import asdict

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from . import dates
from .data import Timeline
from .export import render_view, start_export_server
from .figure import FigureOptions, build_figure, theme_label
from .filters import View, facet_counts, filter_events
from .layout import theme_options

CONTROL_IDS = ("themes", "date-from", "date-to", "search")
MIN_LAYOUT_WIDTH, MAX_LAYOUT_WIDTH = 500, 4000


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


def details_panel(timeline: Timeline, row: int) -> list:
    """The clicked event as text (never HTML), with its source as a link."""
    ev = timeline.events.iloc[row]
    when = dates.format_span(ev["start"], int(ev["start_prec"]),
                             None if ev["end_prec"] < 0 else ev["end"], int(ev["end_prec"]))
    themes = timeline.theme_names(int(ev["theme_mask"]))
    children: list = [
        html.H2(ev["title"]),
        html.P(when, className="when"),
        html.Ul([html.Li(theme_label(t), className="chip") for t in themes], className="chips"),
    ]
    if ev["description"]:
        children.append(html.P(ev["description"], className="description"))
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


def register_callbacks(app: Dash, timeline: Timeline, title: str) -> None:
    all_themes = list(timeline.themes)

    @app.callback(
        Output("themes", "value"), Output("date-from", "value"), Output("date-to", "value"),
        Output("search", "value"), Output("url", "search"), Output("view", "data"),
        Input("url", "search"), Input("themes", "value"), Input("date-from", "value"),
        Input("date-to", "value"), Input("search", "value"), Input("themes-all", "n_clicks"),
        Input("themes-none", "n_clicks"), Input("timeline", "relayoutData"), Input("reset-zoom", "n_clicks"),
        State("view", "data"),
    )
    def sync_view(search_qs, themes, date_from, date_to, text, _all, _none, relayout, _reset, stored):
        trigger = ctx.triggered_id
        if trigger in (None, "url"):
            view = View.from_query(search_qs or "", all_themes)
            shown = list(all_themes if view.themes is None else view.themes)
            return shown, view.start, view.end, view.text, no_update, asdict(view)
        current = view_from_store(stored)
        if trigger == "timeline":
            x_range = zoom_from_relayout(relayout, current.x_range)
            if x_range == current.x_range:
                return (no_update,) * 6
            view = View(themes=current.themes, start=current.start, end=current.end, text=current.text,
                        x_range=x_range)
            return no_update, no_update, no_update, no_update, view.to_query(all_themes), asdict(view)
        if trigger == "reset-zoom":
            view = View(themes=current.themes, start=current.start, end=current.end, text=current.text)
            return no_update, no_update, no_update, no_update, view.to_query(all_themes), asdict(view)
        if trigger == "themes-all":
            themes = all_themes
        elif trigger == "themes-none":
            themes = []
        selected = tuple(t for t in all_themes if t in (themes or []))
        view = View(themes=None if len(selected) == len(all_themes) else selected,
                    start=date_from or "", end=date_to or "", text=text or "")
        themes_out = list(selected) if trigger in ("themes-all", "themes-none") else no_update
        return themes_out, no_update, no_update, no_update, view.to_query(all_themes), asdict(view)

    @app.callback(
        Output("timeline", "figure"), Output("match-count", "children"), Output("themes", "options"),
        Output("filter-error", "children"),
        Input("view", "data"), Input("layout-width", "data"),
    )
    def update_figure(stored, width):
        view = view_from_store(stored)
        try:
            rows = filter_events(timeline, view)
            facets = facet_counts(timeline, view)
        except ValueError as exc:
            return no_update, no_update, no_update, str(exc)
        layout_width = int(min(max(width or 1200, MIN_LAYOUT_WIDTH), MAX_LAYOUT_WIDTH))
        fig = build_figure(timeline, view, FigureOptions(title=title, layout_width=layout_width), rows=rows)
        total = len(timeline.events)
        count = (f"{len(rows):,} of {total:,} events match" if len(rows)
                 else f"No events match these filters (0 of {total:,}).")
        return fig, count, theme_options(timeline, facets), ""

    app.clientside_callback(
        """function(_) {
            var g = document.getElementById('timeline');
            return g && g.offsetWidth ? g.offsetWidth : Math.max(window.innerWidth - 320, 600);
        }""",
        Output("layout-width", "data"), Input("url", "pathname"),
    )

    @app.callback(Output("details", "children"), Input("timeline", "clickData"), prevent_initial_call=True)
    def show_details(click):
        try:
            row = int(click["points"][0]["customdata"][0])
        except (TypeError, KeyError, IndexError, ValueError):
            return no_update
        if not 0 <= row < len(timeline.events):
            return no_update
        return details_panel(timeline, row)

    @app.callback(
        Output("download", "data"), Output("download-status", "children"),
        Input("download-png", "n_clicks"), Input("download-svg", "n_clicks"), Input("download-pdf", "n_clicks"),
        State("view", "data"), prevent_initial_call=True,
    )
    def download(_png, _svg, _pdf, stored):
        fmt = {"download-png": "png", "download-svg": "svg", "download-pdf": "pdf"}.get(ctx.triggered_id)
        if fmt is None:
            return no_update, no_update
        view = view_from_store(stored)
        try:
            start_export_server()
            data = render_view(timeline, view, fmt, title=title)
        except ValueError as exc:
            return no_update, f"Cannot export: {exc}"
        return dcc.send_bytes(data, f"timeline.{fmt}"), f"Exported {fmt.upper()} ({len(data) // 1024:,} KB)."
