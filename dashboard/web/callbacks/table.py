"""The table of the filtered events: sorted and paged on the server, following the selection."""

from __future__ import annotations

from typing import Any

import numpy as np
from dash import Dash, Input, Output, State, ctx, no_update

from ...core.query import SORT_COLUMNS, filter_events, sorted_rows
from ...render.figure import theme_label, when_labels
from .. import inputs
from ..layout import TABLE_PAGE_SIZE
from .services import Services


def update_table(
    services: Services, trigger: str | None, stored: Any, page: Any, sort_by: Any, selected: Any, key: Any
) -> tuple:
    """(rows of the page, page count, page shown, style marking the selected row)."""
    page = inputs.integer(page, "table page", default=0)
    selected = inputs.integer(selected, "selected row")
    sort = inputs.mapping((inputs.items(sort_by, "sort_by", limit=8) or [None])[0], "sort column")
    column = inputs.text(sort.get("column_id"), "sort column", 40) or "when"
    if column not in SORT_COLUMNS:
        raise inputs.BadInput(f"the table cannot be sorted by {column[:40]!r}")
    descending = inputs.text(sort.get("direction"), "sort direction", 4) == "desc"
    try:
        timeline = services.timeline_of(key)
        view = inputs.view(stored, timeline.themes)
        rows = filter_events(timeline, view)
    except (KeyError, ValueError):
        return no_update, no_update, no_update, no_update
    order = sorted_rows(timeline, view, rows, column, descending)
    pages = max(1, -(-len(order) // TABLE_PAGE_SIZE))
    page = page or 0
    if trigger == "view":
        page = 0
    if trigger == "selected" and selected is not None:
        where = np.flatnonzero(order == selected)
        if len(where):
            page = int(where[0]) // TABLE_PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = order[page * TABLE_PAGE_SIZE : (page + 1) * TABLE_PAGE_SIZE]
    ev = timeline.events.iloc[shown]
    data = [
        {
            "id": int(r),
            "when": w,
            "title": t,
            "themes": ", ".join(theme_label(x) for x in timeline.theme_names(int(m))),
            "location": loc,
        }
        for r, w, t, m, loc in zip(
            shown.tolist(),
            when_labels(timeline, shown),
            ev["title"].tolist(),
            ev["theme_mask"].tolist(),
            ev["location"].tolist(),
        )
    ]
    style = (
        []
        if selected is None
        else [{"if": {"filter_query": f"{{id}} = {selected}"}, "backgroundColor": "#fde8d7", "fontWeight": "600"}]
    )
    return data, pages, page, style


def register(app: Dash, services: Services) -> None:
    app.callback(
        Output("table", "data"),
        Output("table", "page_count"),
        Output("table", "page_current"),
        Output("table", "style_data_conditional"),
        Input("view", "data"),
        Input("table", "page_current"),
        Input("table", "sort_by"),
        Input("selected", "data"),
        State("dataset", "data"),
    )(
        lambda stored, page, sort_by, selected, key: update_table(
            services, ctx.triggered_id, stored, page, sort_by, selected, key
        )
    )
