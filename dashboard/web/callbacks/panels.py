"""Panels that open and close in the browser alone: the filters on a narrow screen, and the card of
the selected event's details. No request reaches the server for them."""

from __future__ import annotations

from dash import Dash, Input, Output

from .services import Services


def register(app: Dash, services: Services) -> None:
    app.clientside_callback(  # type: ignore[no-untyped-call]  # dash leaves this method unannotated
        """function(clicks) {
            const open = (clicks || 0) % 2 === 1;
            return [open ? 'controls open' : 'controls', open ? 'true' : 'false'];
        }""",
        Output("controls", "className"),
        Output("filters-toggle", "aria-expanded"),
        Input("filters-toggle", "n_clicks"),
    )
    # The details close when the reader moves on in a story (its card is under them).
    app.clientside_callback(  # type: ignore[no-untyped-call]
        """function(selected, closed, view) {
            const ctx = window.dash_clientside.callback_context;
            const step = view ? view.story : null;
            const moved = step !== window.timelineStoryStep;
            window.timelineStoryStep = step;
            if (moved && step !== null && step !== undefined) {
                return true;  // also when a click on a told event moved the story (both fire at once)
            }
            if (ctx.triggered.every(t => t.prop_id === 'view.data')) {
                return window.dash_clientside.no_update;
            }
            const closing = ctx.triggered.some(t => t.prop_id === 'details-close.n_clicks');
            return closing || selected === null || selected === undefined;
        }""",
        Output("details-card", "hidden"),
        Input("selected", "data"),
        Input("details-close", "n_clicks"),
        Input("view", "data"),
    )
