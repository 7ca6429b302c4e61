"""What a browser sends, checked before anything uses it.

Every callback argument arrives from the network and may have been crafted: each is
checked for type, range and size here, and anything else is refused with
:class:`BadInput`, which the server answers with a 400 and a one-line plain message.
"""

from __future__ import annotations

import math
from typing import Any

from werkzeug.exceptions import BadRequest

from ..core import dates
from ..core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from ..core.query import MAX_SEARCH_CHARS, MAX_STORY_STEP, SCALES, View, applied_dates

MAX_TEXT = MAX_SEARCH_CHARS
"""Longest text field (search, dates, a dataset key) a callback accepts."""
MAX_ITEMS = 1_000
"""Longest list (themes ticked, sort columns, clicked points) a callback accepts."""
MAX_CLICKS = 2**53
"""Largest click counter or integer a callback accepts (JavaScript's safe integers)."""


class BadInput(BadRequest):
    """A callback argument that no page of this app could have sent."""

    def __init__(self, what: str) -> None:
        super().__init__(f"Bad request: {what}.")


def text(value: Any, name: str, limit: int = MAX_TEXT) -> str:
    """A string (None is empty) of at most ``limit`` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"{name} must be text")
    if len(value) > limit:
        raise BadInput(f"{name} is longer than {limit:,} characters")
    return value


def integer(
    value: Any, name: str, low: int = -MAX_CLICKS, high: int = MAX_CLICKS, default: int | None = None
) -> int | None:
    """A whole number in [low, high] (a float with no fraction is accepted; None gives ``default``)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"{name} must be a whole number")
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise BadInput(f"{name} must be a whole number")
    if not low <= value <= high:
        raise BadInput(f"{name} must be between {low:,} and {high:,}")
    return int(value)


def mapping(value: Any, name: str) -> dict[str, Any]:
    """A JSON object (None is empty)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{name} must be an object")
    if len(value) > MAX_ITEMS:
        raise BadInput(f"{name} has too many keys")
    return value


def items(value: Any, name: str, limit: int = MAX_ITEMS) -> list[Any]:
    """A JSON array (None is empty) of at most ``limit`` items."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput(f"{name} must be a list")
    if len(value) > limit:
        raise BadInput(f"{name} has more than {limit:,} items")
    return value


def texts(value: Any, name: str) -> list[str]:
    """A list of strings."""
    out = items(value, name)
    for v in out:
        text(v, f"each of {name}")
    return out


def dataset_key(value: Any) -> str | None:
    """The page's dataset key: None for the served file, else a short string (looked up later)."""
    if value is None or value == "":
        return None
    return text(value, "dataset", 200)


def zoom(value: Any) -> tuple[float, float] | None:
    """A stored x range: None, or a pair the axis can show (anything else is refused)."""
    if value is None:
        return None
    pair = items(value, "x_range", 2)
    checked = dates.checked_range(*pair) if len(pair) == 2 else None
    if checked is None:
        raise BadInput("x_range must be two finite numbers, the first below the second")
    return checked


def language(value: Any) -> str:
    """The page's language: one of LANGUAGES (None is English)."""
    if value is None:
        return DEFAULT_LANGUAGE
    if not isinstance(value, str) or value not in LANGUAGES:
        raise BadInput(f"lang must be one of {', '.join(LANGUAGES)}")
    return value


def scale(value: Any) -> str:
    """The x axis scale: one of SCALES (None is the default, "time")."""
    if value is None:
        return "time"
    if not isinstance(value, str) or value not in SCALES:
        raise BadInput(f"scale must be one of {', '.join(SCALES)}")
    return value


def view(value: Any, all_themes: list[str]) -> View:
    """The view a page holds in its store; unknown themes are dropped, as from a link."""
    data = mapping(value, "view")
    themes = data.get("themes")
    shown = None
    if themes is not None:
        wanted = set(texts(themes, "themes"))
        shown = tuple(t for t in all_themes if t in wanted)
    return View(
        themes=shown,
        start=text(data.get("start"), "from", 200),
        end=text(data.get("end"), "to", 200),
        text=text(data.get("text"), "search"),
        x_range=zoom(data.get("x_range")),
        scale=scale(data.get("scale")),
        story=integer(data.get("story"), "story step", 1, MAX_STORY_STEP),
    )


def applied_view(value: Any, all_themes: list[str]) -> View:
    """:func:`view`, its dates left out where they cannot be applied (``query.applied_dates``): the
    view the chart shows (and says why), which the table, the story and the downloads follow."""
    return applied_dates(view(value, all_themes))[0]
