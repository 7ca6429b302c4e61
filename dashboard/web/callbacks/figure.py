"""The timeline and the overview strip for a page's view, with the match count and theme counts."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from dash import Dash, Input, Output, State, no_update

from ...core import dates
from ...core.i18n import translator
from ...core.japanese import japanese_dates
from ...core.model import Timeline
from ...core.query import View, applied_dates, facet_counts, filter_events, possible_span
from ...core.story import shown_view
from ...render import queried
from ...render.figure import Figure, FigureOptions, build_figure, build_overview, visible_lanes
from ...render.queried import Span, queried_view
from .. import inputs
from ..layout import theme_options
from .services import GONE, Services, Update

MIN_LAYOUT_WIDTH, MAX_LAYOUT_WIDTH = 300, 4000


def chart_summary(
    timeline: Timeline, view: View, rows: np.ndarray, lang: str, counted: tuple[int, Span | None] | None = None
) -> str:
    """The chart in words, as its filters leave it: '71 events from 1853 to 2026 in 8 themes'.
    ``counted``: how many match and their span, when an engine counted them (``rows`` unused)."""
    t = translator(lang)
    matched, span = counted if counted is not None else (len(rows), None)
    if not matched:
        return t("No events match these filters")
    if span is None:
        lo, hi = possible_span(timeline)
        if len(rows) < len(lo):  # else every event: no need to gather a million values
            lo, hi = lo[rows], hi[rows]
        span = float(np.nanmin(lo)), float(np.nanmax(hi))
    years = dates.YEAR * np.ones(2, dtype=np.int8)
    ends = np.array(span)
    first, last = (japanese_dates if lang == "ja" else dates.format_dates)(ends, years)
    shown = len(visible_lanes(timeline, view))
    return t(
        "{events} from {first} to {last} in {themes}",
        events=t.plural("{n:,} event", "{n:,} events", matched),
        first=first,
        last=last,
        themes=t.plural("{n:,} theme", "{n:,} themes", shown),
    )


FigureOutputs: TypeAlias = tuple[
    Update[Figure],  # the timeline
    Update[Figure],  # the overview strip
    Update[str],  # the match count
    Update[list[dict[str, Any]]],  # the theme options (with their counts)
    str,  # the filter error
    Update[str],  # the page title
    Update[str],  # the chart's summary in words
    Update[dict[str, str]],  # the chart's box: as high as the figure
]


def chart_box(fig: Figure) -> dict[str, str]:
    """The style of the chart's box. The graph is responsive (its width follows the page), so plotly
    draws it as high as its box, and the box must be as high as the figure: left to its content, it
    fell to a few pixels at the first resize of the window."""
    return {"height": f"{fig['layout']['height']}px"}


def update_figure(services: Services, stored: Any, width: Any, key: Any, lang: Any = None) -> FigureOutputs:
    """(timeline figure, overview figure, match count, theme options, filter error, page title, the
    chart's summary in words, the chart's box)."""
    lang = inputs.language(lang)
    t = translator(lang)
    try:
        timeline = services.timeline_of(key)
    except KeyError:
        return no_update, no_update, no_update, no_update, t(GONE), no_update, no_update, no_update
    view, problem = applied_dates(inputs.view(stored, timeline.themes))
    width = inputs.integer(width, "layout width", default=1200)
    layout_width = min(max(width or 1200, MIN_LAYOUT_WIDTH), MAX_LAYOUT_WIDTH)
    name = services.title_of(timeline, lang)
    try:
        if timeline.engine is not None:  # beyond memory: the engine counts, and sends what is drawn
            view = queried_view(view)
            found = queried.summary(timeline, view)
            counted, facets = (found.matched, found.span), found.facets
            options = FigureOptions(title=name, layout_width=layout_width, lang=lang)
            fig = queried.queried_figure(timeline, view, options, counted)
            overview = queried.queried_overview(timeline, view, counted, options)
            rows, matched = np.empty(0, dtype=np.int64), counted[0]
        else:
            rows = filter_events(timeline, view)
            facets = facet_counts(timeline, view)
            shown, step = shown_view(timeline, view)
            options = FigureOptions(
                title=name, layout_width=layout_width, lang=lang, highlight=step.row if step is not None else None
            )
            fig = build_figure(timeline, shown, options, rows=rows)
            overview, counted, matched = build_overview(timeline, view, rows, None, options), None, len(rows)
    except ValueError as exc:
        return no_update, no_update, no_update, no_update, str(exc), no_update, no_update, no_update
    total = timeline.size
    count = (
        t.plural("{matched:,} of {n:,} event matches", "{matched:,} of {n:,} events match", total, matched=matched)
        if matched
        else t("No events match these filters (0 of {total:,}).", total=total)
    )
    summary = chart_summary(timeline, view, rows, lang, counted)
    error = t("{problem}. Until the dates are corrected, they are not applied.", problem=problem) if problem else ""
    return fig, overview, count, theme_options(timeline, facets, lang), error, name, summary, chart_box(fig)


OUTPUTS = [
    ("timeline", "figure"),
    ("overview", "figure"),
    ("match-count", "children"),
    ("themes", "options"),
    ("filter-error", "children"),
    ("page-title", "children"),
    ("chart-summary", "children"),
    ("timeline", "style"),
]
"""What :func:`update_figure` returns, in order (scripts that talk to the server ask for the same)."""


def register(app: Dash, services: Services) -> None:
    app.callback(
        *(Output(component, prop) for component, prop in OUTPUTS),
        Input("view", "data"),
        Input("layout-width", "data"),
        State("dataset", "data"),
        State("lang", "data"),
    )(lambda stored, width, key, lang: update_figure(services, stored, width, key, lang))
    app.clientside_callback(  # type: ignore[no-untyped-call]  # dash leaves this method unannotated
        """function(_) {
            var g = document.getElementById('timeline');
            return g && g.offsetWidth ? g.offsetWidth : Math.max(window.innerWidth - 320, 600);
        }""",
        Output("layout-width", "data"),
        Input("url", "pathname"),
    )
