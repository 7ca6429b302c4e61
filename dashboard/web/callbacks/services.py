"""What every callback needs from the server: the timelines it can show, and their titles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from dash import NoUpdate

from ...core.i18n import N_
from ...core.model import Timeline
from ...render.figure import figure_title
from .. import inputs
from ..datasets import Datasets

GONE = N_("That uploaded file is no longer on the server: open it again.")
"""Said (translated) when a page names an upload the server no longer has."""

T = TypeVar("T")
Update: TypeAlias = T | NoUpdate
"""A callback output: its new value, or ``dash.no_update`` to leave it as it is."""


@dataclass(frozen=True)
class Services:
    datasets: Datasets
    title: str | None
    """The title given the served file (``--title``, or the shipped dataset's), if any."""

    def timeline_of(self, key: Any) -> Timeline:
        """The timeline a page's dataset key names (KeyError if that upload is gone)."""
        return self.datasets.get(inputs.dataset_key(key))

    def title_of(self, timeline: Timeline, lang: str) -> str:
        """The title ``timeline`` is shown under in ``lang`` (``render.figure.figure_title``)."""
        return figure_title(timeline, self.title if timeline is self.datasets.served else None, lang)
