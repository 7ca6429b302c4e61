"""Which event is selected (a click on the chart or a table row) and its details."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, ctx, html, no_update

from ...core import sql
from ...core.i18n import N_, translator
from ...core.query import SAME_TIME_SHOWN, same_time
from .. import inputs
from ..components import details_panel, period_text, same_time_list
from .services import GONE, Services

HINT = N_("Click an event, a period or a table row to see its details.")


def select(trigger: str | None, click: Any, cell: Any) -> Any:
    """The row selected by a click on the chart or on a table row (or Enter on one); None when another
    file is opened."""
    if trigger == "timeline":
        points = inputs.items(inputs.mapping(click, "clickData").get("points"), "clicked points")
        point = inputs.mapping(points[0], "clicked point") if points else {}
        custom = inputs.items(point.get("customdata"), "customdata", limit=8)
        # A click on a density strip or an era has no event row: nothing is selected by it.
        return inputs.integer(custom[0], "event row", 0) if custom else no_update
    if trigger == "table":
        return table_row(inputs.mapping(cell, "cellClicked").get("rowId"))
    return None


def table_row(row_id: Any) -> int | None:
    """The event row of a grid row: the grid names rows by the event's row number, as text."""
    if isinstance(row_id, str):
        digits = inputs.text(row_id, "table row", 20)
        if not (digits.isascii() and digits.isdigit()):
            raise inputs.BadInput("table row must be a whole number")
        row_id = int(digits)
    return inputs.integer(row_id, "table row", 0)


def show_details(services: Services, row: Any, key: Any, lang: Any = None) -> tuple[Any, Any, bool, Any]:
    """(details, the events at the same time, whether that section is hidden, the period button's text)."""
    row = inputs.integer(row, "selected row")
    lang = inputs.language(lang)
    t = translator(lang)
    try:
        timeline = services.timeline_of(key)
    except KeyError:
        return html.P(t(GONE), className="error"), [], True, no_update
    if row is None or not 0 <= row < timeline.size:
        return html.P(t(HINT), className="hint"), [], True, no_update
    if timeline.engine is not None:  # beyond memory: the event and those at its time, fetched
        one = sql.event(timeline, row)
        if one is None:
            return html.P(t(HINT), className="hint"), [], True, no_update
        listed, found = sql.same_time(timeline, one, SAME_TIME_SHOWN)
        shown, row = one, 0
    else:
        found = same_time(timeline, row)
        listed = shown = timeline
    return (
        details_panel(shown, row, lang),
        same_time_list(listed, found, lang),
        False,
        t("Show this period ({period})", period=period_text(found)),
    )


OUTPUTS = [
    ("details", "children"),
    ("same-time-list", "children"),
    ("same-time", "hidden"),
    ("show-period", "children"),
]
"""What :func:`show_details` returns, in order (scripts that talk to the server ask for the same)."""


def register(app: Dash, services: Services) -> None:
    app.callback(
        Output("selected", "data"),
        Input("timeline", "clickData"),
        Input("table", "cellClicked"),
        Input("dataset", "data"),
        prevent_initial_call=True,
    )(lambda click, cell, _key: select(ctx.triggered_id, click, cell))
    app.callback(
        *(Output(component, prop) for component, prop in OUTPUTS),
        Input("selected", "data"),
        State("dataset", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )(lambda row, key, lang: show_details(services, row, key, lang))
