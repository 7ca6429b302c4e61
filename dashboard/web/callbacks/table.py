"""The table of the filtered events: each page is asked for by the grid, sorted and cut here, and the
grid follows the selection.

The grid (AG Grid's infinite row model, paged) sends ``getRowsRequest`` with the rows it wants and
its sort; the server answers ``getRowsResponse`` with those rows and how many match, so the pager
knows the total and only a page of a million events ever travels. A change of view empties the
grid's cache and goes back to page 1 in the browser, which asks again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from dash import Dash, Input, NoUpdate, Output, State, no_update

from ...core import sql
from ...core.model import Timeline
from ...core.query import SORT_COLUMNS, filter_events, sorted_rows
from ...render import queried
from ...render.figure import theme_label, when_labels
from .. import inputs
from ..layout import SELECTED_ROW_CLASS, TABLE_PAGE_SIZE
from .services import Services

MAX_TABLE_ROWS = 10 * TABLE_PAGE_SIZE
"""Most rows one request may ask for (the grid asks for a page at a time)."""


def sort_of(sort_model: Any) -> tuple[str, bool]:
    """(column, descending) from the grid's sort model; by date, oldest first, when it has none."""
    model = inputs.items(sort_model, "sortModel", limit=len(SORT_COLUMNS))
    if not model:
        return "when", False
    first = inputs.mapping(model[0], "sort column")
    column = inputs.text(first.get("colId"), "sort column", 40)
    if column not in SORT_COLUMNS:
        raise inputs.BadInput(f"the table cannot be sorted by {column[:40]!r}")
    direction = first.get("sort")
    if direction not in ("asc", "desc"):
        raise inputs.BadInput("the sort direction must be 'asc' or 'desc'")
    return column, direction == "desc"


def rows_wanted(request: Any) -> tuple[int, int, str, bool]:
    """(first row, row after the last, sort column, descending) of a getRowsRequest."""
    req = inputs.mapping(request, "getRowsRequest")
    start = inputs.integer(req.get("startRow"), "startRow", 0) or 0
    end = inputs.integer(req.get("endRow"), "endRow", start, start + MAX_TABLE_ROWS)
    if end is None:
        end = start + TABLE_PAGE_SIZE
    column, descending = sort_of(req.get("sortModel"))
    return start, end, column, descending


def _ordered(services: Services, stored: Any, key: Any, column: str, descending: bool) -> tuple[Timeline, np.ndarray]:
    """The timeline and the rows of the view, in table order (KeyError, ValueError as the core raises)."""
    timeline = services.timeline_of(key)
    view = inputs.applied_view(stored, timeline.themes)
    rows = filter_events(timeline, view)
    return timeline, sorted_rows(timeline, view, rows, column, descending)


def table_rows(services: Services, request: Any, stored: Any, key: Any, lang: Any = None) -> dict[str, Any]:
    """The getRowsResponse to a getRowsRequest: the rows asked for, and how many match in all."""
    start, end, column, descending = rows_wanted(request)
    lang = inputs.language(lang)
    try:
        timeline = services.timeline_of(key)
        if timeline.engine is not None:  # beyond memory: the engine sends the page
            view = inputs.applied_view(stored, timeline.themes)
            columns = sql.table_columns(timeline)
            page, matched = queried.page(timeline, view, column, descending, start, end - start, columns)
            timeline = sql.fetched(timeline, page)
            shown = np.arange(len(page))
        else:
            timeline, order = _ordered(services, stored, key, column, descending)
            shown, matched = order[start:end], len(order)
    except (KeyError, ValueError):  # an upload that is gone, a date that does not parse: said elsewhere
        return {"rowData": [], "rowCount": 0}
    ev = timeline.events.iloc[shown]
    data = [
        {
            "id": int(r),
            "when": w,
            "title": t,
            "themes": ", ".join(theme_label(x, lang) for x in timeline.theme_names(int(m))),
            "location": loc,
        }
        for r, w, t, m, loc in zip(
            timeline.row_numbers(shown).tolist(),
            when_labels(timeline, shown, lang),
            timeline.text("title", shown, lang).tolist(),
            ev["theme_mask"].tolist(),
            ev["location"].tolist(),
        )
    ]
    return {"rowData": data, "rowCount": matched}


def selected_row_rules(selected: int | None) -> dict[str, str]:
    """The grid's rowClassRules marking the selected event's row (the rule stays, so a row loses it)."""
    rule = "false" if selected is None else f"params.data != null && params.data.id === {selected:d}"
    return {SELECTED_ROW_CLASS: rule}


def follow_selection(
    services: Services, selected: Any, request: Any, stored: Any, key: Any
) -> tuple[int | NoUpdate, dict[str, str]]:
    """(page of the grid holding the selected event, rowClassRules marking its row)."""
    selected = inputs.integer(selected, "selected row")
    _, _, column, descending = rows_wanted(request)
    rules = selected_row_rules(selected)
    if selected is None:
        return no_update, rules
    try:
        timeline = services.timeline_of(key)
        if timeline.engine is not None:
            view = inputs.applied_view(stored, timeline.themes)
            at = queried.position(timeline, view, column, descending, selected)
            return (no_update if at is None else at // TABLE_PAGE_SIZE), rules
        _, order = _ordered(services, stored, key, column, descending)
    except (KeyError, ValueError):
        return no_update, rules
    where = np.flatnonzero(order == selected)
    return (int(where[0]) // TABLE_PAGE_SIZE if len(where) else no_update), rules


# A new view (filters, zoom, another file) empties the grid's cache and shows page 1, which the grid
# then asks for; before the grid is ready there is nothing to reset (it asks when it is), and
# AG Grid's getApi then throws rather than answering nothing.
RESET_ON_VIEW = """function(_view) {
    var api = null;
    try {
        api = window.dash_ag_grid && window.dash_ag_grid.getApi('table');
    } catch (notYet) {
        return window.dash_clientside.no_update;
    }
    if (api && !api.isDestroyed()) {
        api.paginationGoToFirstPage();
        api.purgeInfiniteCache();
    }
    return window.dash_clientside.no_update;
}"""


def register(app: Dash, services: Services) -> None:
    app.callback(
        Output("table", "getRowsResponse"),
        Input("table", "getRowsRequest"),
        State("view", "data"),
        State("dataset", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )(lambda request, stored, key, lang: table_rows(services, request, stored, key, lang))
    app.callback(
        Output("table", "paginationGoTo"),
        Output("table", "rowClassRules"),
        Input("selected", "data"),
        State("table", "getRowsRequest"),
        State("view", "data"),
        State("dataset", "data"),
        prevent_initial_call=True,
    )(lambda selected, request, stored, key: follow_selection(services, selected, request, stored, key))
    app.clientside_callback(  # type: ignore[no-untyped-call]  # dash leaves this method unannotated
        RESET_ON_VIEW,
        Output("table", "paginationGoTo", allow_duplicate=True),
        Input("view", "data"),
        prevent_initial_call=True,
    )
