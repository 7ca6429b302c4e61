"""A story as one HTML file that needs no server: plotly.js, the events and a small script inlined.

Any static host (or a double click, from ``file://``) serves it to any number of readers, with no
network at all. The data is computed here, once, with the same functions as the app (lanes and
colours, dates as shown, story order and each step's window, media kinds), so the page's script
only draws, filters and steps. Nothing in the data is ever read as markup by the page: the script
sets ``textContent`` and attributes only, descriptions imported as HTML are reduced to plain text
here, and only addresses checked here (https media, http(s) sources) become links or frames.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html import escape
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from plotly.offline import get_plotlyjs

from ..core import markup
from ..core.i18n import DEFAULT_LANGUAGE, translator
from ..core.japanese import japanese_year
from ..core.markup import short_text
from ..core.media import classify
from ..core.model import Timeline, in_language
from ..core.query import View, filter_events
from ..core.story import step_windows, story_rows
from ..core.topics import topic_name
from .figure import FONT, FONT_CJK, figure_title, lane_style, theme_label, time_axis, when_labels

STORY_PAGE_LIMIT = 5000
"""Most events a story page holds: past this, the view's filtered events (then its story's first)."""

PAGE_FILES = "page"
"""The folder beside this module holding the page's frame (story.html) and script (story.js)."""
_SLOT = re.compile(r"\{\{([A-Z_]+)\}\}")

_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
_UNSAFE_IN_ADDRESS = re.compile(r"[\s\x00-\x1f\x7f]")


def story_html(timeline: Timeline, view: View, title: str | None = None, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The view's story as one self-contained HTML page in ``lang`` (ValueError for a bad date filter)."""
    data = page_data(timeline, view, title, lang)
    t = translator(lang)
    folder = files(__package__).joinpath(PAGE_FILES)
    template = folder.joinpath("story.html").read_text(encoding="utf-8")
    script = folder.joinpath("story.js").read_text(encoding="utf-8")
    parts = {
        "LANG": lang if lang.isalnum() else DEFAULT_LANGUAGE,
        "TITLE": escape(data["title"]),
        "FONT": FONT_CJK if lang == "ja" else FONT,
        "NOTE": escape(data["note"]),
        "NOTE_HIDDEN": "" if data["note"] else " hidden",
        "THEMES": escape(t("Themes")),
        "SEARCH": escape(t("Search events")),
        "PREVIOUS": escape(t("Previous")),
        "NEXT": escape(t("Next")),
        "CHART": escape(t("Timeline chart")),
        "STORY": escape(t("Story")),
        "DATA": inline_json(data),
        "PLOTLY": get_plotlyjs(),
        "SCRIPT": script,
    }
    page = _SLOT.sub(lambda slot: parts[slot[1]], template)  # one pass: what is filled in is never read again
    return page.encode("utf-8")


def inline_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` (so no
    text can close the element or open a comment), no line separators that older parsers reject."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for character, escaped in _JSON_ESCAPES:  # str.replace is many times faster than str.translate here
        text = text.replace(character, escaped)
    return text


def page_rows(timeline: Timeline, view: View) -> tuple[np.ndarray, int]:
    """(the event rows the page holds, how many of them the story tells): the story's rows first, in
    its order, then the others in row order. Every event when there are at most STORY_PAGE_LIMIT
    (within the view's dates: the page's own checkboxes and search filter them); else the view's
    filtered events, and of those, if still too many, the first STORY_PAGE_LIMIT in story order."""
    if len(timeline.events) <= STORY_PAGE_LIMIT:
        # the page's checkboxes and search filter these; it has no date fields, so dates filter here
        view = replace(view, themes=None, text="")
    told = np.asarray(story_rows(timeline, view))
    if len(told) >= STORY_PAGE_LIMIT:
        return told[:STORY_PAGE_LIMIT].astype(np.int64), STORY_PAGE_LIMIT
    rest = np.setdiff1d(filter_events(timeline, view), told, assume_unique=True)  # rows no story number picks
    return np.concatenate([told, rest[: STORY_PAGE_LIMIT - len(told)]]).astype(np.int64), len(told)


def page_data(timeline: Timeline, view: View, title: str | None = None, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Everything the page's script needs, as arrays per column (compact for thousands of events)."""
    t = translator(lang)
    rows, told = page_rows(timeline, view)
    total = len(timeline.events)
    shown_title = figure_title(timeline, title, lang)
    events = _event_columns(timeline, rows, lang)
    masks = timeline.column("theme_mask")[rows]
    lanes = []
    for i, theme in enumerate(timeline.themes):
        color, symbol = lane_style(i)
        members = np.flatnonzero((masks >> np.uint64(i)) & np.uint64(1))
        lanes.append(
            {
                "name": theme,
                "label": theme_label(theme, lang),
                "topic": theme_label(topic_name(timeline, theme) or "", lang),
                "color": color,
                "symbol": symbol,
                "rows": members.tolist(),
            }
        )
    start, last = timeline.column("start")[rows], timeline.column("last")[rows]
    if len(rows):
        lo, hi = np.nanmin(start), np.nanmax(last)
        pad = max((hi - lo) * 0.03, 86_400_000.0)
        extent = [float(lo - pad), float(hi + pad)]
    else:
        extent = [0.0, 86_400_000.0 * 365]
    axis = time_axis(extent[0], extent[1], lang)
    ticks = "years" if axis.get("tickmode") == "array" else "plotly"
    note = ""
    if total > STORY_PAGE_LIMIT:
        matched = len(filter_events(timeline, view))
        if matched > STORY_PAGE_LIMIT:
            note = t(
                "Showing {shown:,} of {total:,} events: the view's filters and the first {shown:,} of its story "
                "(a story page holds at most {limit:,}).",
                shown=len(rows),
                total=total,
                limit=STORY_PAGE_LIMIT,
            )
        else:
            note = t(
                "Showing {shown:,} of {total:,} events: the view's filters (a story page holds at most {limit:,}).",
                shown=len(rows),
                total=total,
                limit=STORY_PAGE_LIMIT,
            )
    eras = timeline.eras
    return {
        "lang": lang,
        "title": shown_title,
        "note": note,
        "events": events,
        "told": told,
        "lanes": lanes,
        "checked": [theme for theme in timeline.themes if view.themes is None or theme in view.themes],
        "search": view.text,
        "step": view.story or 1,
        "cover": _cover(timeline) if timeline.cover else None,
        "eras": {
            "title": [short_text(v, timeline.rich_text) for v in in_language(eras, "title", lang)],
            "start": _ms(eras["start"].to_numpy()),
            "last": _ms(eras["last"].to_numpy()),
        },
        "extent": extent,
        "axis": {"type": axis["type"], "ticks": ticks, "tickformatstops": axis.get("tickformatstops", [])},
        "years": {"bce": japanese_year(-1).replace("1", "{y}"), "ce": japanese_year(1).replace("1", "{y}")}
        if lang == "ja"
        else {"bce": "{y} BCE", "ce": "{y}"},
        "strings": {
            "empty": t("No events match these filters"),
            "source": t("Source:"),
            "video": t("Video: {title}", title="{title}"),
        },
    }


def _event_columns(timeline: Timeline, rows: np.ndarray, lang: str) -> dict[str, list[Any]]:
    """The held events' columns: what the chart draws, what search reads, what a card shows."""
    ev = timeline.events
    start = timeline.column("start")[rows]
    last = np.where(np.isnan(timeline.column("last")[rows]), start, timeline.column("last")[rows])
    rich = timeline.rich_text
    titles = [short_text(v, rich) for v in timeline.text("title", rows, lang)]
    described = [markup.to_plain(v) if rich else str(v) for v in timeline.text("description", rows, lang)]
    lo, hi = step_windows(timeline, rows) if len(rows) else (start, last)
    out: dict[str, list[Any]] = {
        "title": titles,
        "when": [str(w) for w in when_labels(timeline, rows, lang)],
        "start": _ms(start),
        "last": _ms(last),
        "range": (~np.isnan(timeline.column("end")[rows])).astype(np.int8).tolist(),
        "size": (5 + 2 * timeline.column("importance")[rows].astype(np.int64)).tolist(),
        "lo": _ms(lo),
        "hi": _ms(hi),
        "description": described,
    }
    for column in ("actors", "location"):
        if column in ev:
            out[column] = [str(v) for v in timeline.text(column, rows, lang)]
    out["source"] = [_web_address(str(v)) for v in ev["source"].to_numpy(dtype=object)[rows]]
    if "media" in ev:
        media = [classify(str(v)) for v in ev["media"].to_numpy(dtype=object)[rows]]
        out["media"] = [m.kind if m else "" for m in media]
        out["media_src"] = [m.src if m else "" for m in media]
        out["media_href"] = [m.href if m else "" for m in media]
        for column in ("media_caption", "media_credit"):
            if column in ev:
                out[column] = [short_text(v, rich) for v in timeline.text(column, rows, lang)]
    return {name: values for name, values in out.items() if any(v != "" for v in values) or name in REQUIRED}


REQUIRED = frozenset({"title", "when", "start", "last", "range", "size", "lo", "hi", "description"})
"""Columns the page always holds; the others only when some event has a value in them."""


def _cover(timeline: Timeline) -> dict[str, str]:
    """The cover card: its title and description as text, its media as the page shows it."""
    cover = timeline.cover
    rich = timeline.rich_text
    out = {
        "title": short_text(cover.get("title", ""), rich),
        "description": markup.to_plain(cover.get("description", "")) if rich else cover.get("description", ""),
        "media_caption": short_text(cover.get("media_caption", ""), rich),
        "media_credit": short_text(cover.get("media_credit", ""), rich),
    }
    media = classify(cover.get("media", ""))
    if media is not None:
        out |= {"media": media.kind, "media_src": media.src, "media_href": media.href}
    return out


def _ms(values: np.ndarray) -> list[float]:
    """Epoch ms as JSON numbers: whole numbers written without a fraction."""
    values = np.asarray(values, dtype=np.float64)
    rounded = np.round(values)
    return [int(r) if r == v else float(v) for r, v in zip(rounded.tolist(), values.tolist())]


def _web_address(value: str) -> str:
    """An http(s) address with a host, as a source link may be; "" for anything else."""
    value = value.strip()
    if not value or _UNSAFE_IN_ADDRESS.search(value):
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme.lower() in ("http", "https") and parts.hostname else ""
