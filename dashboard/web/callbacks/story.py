"""The story told in the page: its bar (where it is, Previous and Next) and its card.

Which step is shown is part of the view (``View.story``, ``?story=N`` in the link), set by the
view callback; this one only shows it.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, html, no_update
from dash.development.base_component import Component

from ...core.i18n import translator
from ...core.model import Timeline
from ...core.story import Step, story_step
from .. import inputs
from ..components import cover_panel, details_panel
from .services import GONE, Services

StoryOutputs = tuple[str, Any, bool, bool, bool, Any]


def show_step(services: Services, stored: Any, key: Any, lang: Any = None) -> StoryOutputs:
    """(the bar's class, the progress, Previous disabled, Next disabled, the card hidden, the card)."""
    lang = inputs.language(lang)
    t = translator(lang)
    try:
        timeline = services.timeline_of(key)
    except KeyError:
        return "story-bar", "", True, True, False, [html.P(t(GONE), className="error")]
    view = inputs.applied_view(stored, timeline.themes)
    if view.story is None:
        return "story-bar", "", True, True, True, no_update
    try:
        step = story_step(timeline, view, view.story)
    except ValueError:
        step = None
    if step is None:
        return "story-bar telling", t("No events to tell"), True, True, True, no_update
    progress = html.Span(
        f"{step.number:,} / {step.count:,}",
        title=t("Step {n:,} of {count:,}", n=step.number, count=step.count),
    )
    return (
        "story-bar telling",
        progress,
        step.number <= 1,
        step.number >= step.count,
        False,
        step_card(timeline, step, lang),
    )


def step_card(timeline: Timeline, step: Step, lang: str) -> list[Component]:
    """The card of a step: the cover, or the event's details (title, date as written, text, media, source)."""
    if step.row is None:
        return cover_panel(timeline, lang)
    return details_panel(timeline, step.row, lang)


OUTPUTS = [
    ("story-bar", "className"),
    ("story-progress", "children"),
    ("story-prev", "disabled"),
    ("story-next", "disabled"),
    ("story-card", "hidden"),
    ("story-content", "children"),
]
"""What :func:`show_step` returns, in order."""


def register(app: Dash, services: Services) -> None:
    app.callback(
        *(Output(component, prop) for component, prop in OUTPUTS),
        Input("view", "data"),
        State("dataset", "data"),
        State("lang", "data"),
    )(lambda stored, key, lang: show_step(services, stored, key, lang))
