"""Callbacks: translate what the user did into calls of the core, and the results back.

Each module holds plain functions for one concern (the view and its URL, the figure, the table,
the details, uploads, downloads, a slow search's progress) that tests call directly, and a
``register`` that wires them to the page. One callback owns the view (URL <-> controls <-> zoom),
so that a link and the controls can never disagree; the others only read it. Which data a page
shows is a key in the page (``dataset``), resolved by :class:`~dashboard.web.datasets.Datasets`,
so any server process can answer any request.
"""

from __future__ import annotations

from dash import Dash

from ..datasets import Datasets
from . import details, downloads, figure, panels, progress, story, table, upload, view
from .services import Services


def register(app: Dash, datasets: Datasets, title: str | None) -> None:
    """Wire every callback of the page to ``app``."""
    services = Services(datasets, title)
    for concern in (view, figure, progress, upload, details, table, downloads, panels, story):
        concern.register(app, services)
