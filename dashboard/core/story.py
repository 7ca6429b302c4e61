"""A story: the events told one at a time, in order, each shown with some time around it.

The steps are the events a view matches (filters still apply), in date order; or, when the file
gives any row a ``story`` number, only those rows, in that number's order. A timeline with a
cover (a TimelineJS title slide) opens its story on it: step 1 is the cover, then the events.
The app, the story page and ``?story=N`` links all count steps with these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import dates
from .memo import memo_of
from .model import STORY_COLUMN, Timeline
from .query import View, filter_events, filter_key, possible_span

CONTEXT_SHARE = 0.025
"""Time shown on each side of a step's event, as a share of the whole timeline's span."""
PRECISION_MS = {dates.YEAR: dates.MS_PER_YEAR, dates.MONTH: 31 * dates.MS_PER_DAY, dates.DAY: 7 * dates.MS_PER_DAY}
"""At least this much time on each side of an event dated to that precision."""


def has_story_order(timeline: Timeline) -> bool:
    """Whether the file numbers its story's rows (then only they are told)."""
    if STORY_COLUMN not in timeline.events:
        return False
    if "story_order" not in timeline.memo:
        timeline.memo["story_order"] = bool(np.isfinite(timeline.column(STORY_COLUMN)).any())
    told: bool = timeline.memo["story_order"]
    return told


def story_rows(timeline: Timeline, view: View) -> np.ndarray:
    """The event rows the view's story tells, in order (remembered per filter, like the rows)."""

    def compute() -> np.ndarray:
        rows = filter_events(timeline, view)
        start, last = timeline.column("start")[rows], timeline.column("last")[rows]
        if has_story_order(timeline):
            number = timeline.column(STORY_COLUMN)[rows]
            told = np.isfinite(number)
            rows, number, start, last = rows[told], number[told], start[told], last[told]
            order = np.lexsort((rows, last, start, number))
        else:
            order = np.lexsort((rows, last, start))
        out: np.ndarray = rows[order]
        out.setflags(write=False)
        return out

    key = ("story", view.themes, *filter_key(view))
    return memo_of(timeline.memo, "stories", 16).get(key, compute)


def has_cover(timeline: Timeline) -> bool:
    """Whether the story opens on the timeline's cover (its title slide)."""
    return bool(timeline.cover)


@dataclass(frozen=True)
class Step:
    """Step ``number`` (from 1) of ``count``: the event at ``row``, or the cover when ``row`` is None."""

    number: int
    count: int
    row: int | None


def story_step(timeline: Timeline, view: View, number: int) -> Step | None:
    """Step ``number`` of the view's story, brought within the story's steps; None when the story
    has none (no event matches and there is no cover)."""
    rows = story_rows(timeline, view)
    cover = 1 if has_cover(timeline) else 0
    count = len(rows) + cover
    if count == 0:
        return None
    number = min(max(number, 1), count)
    if number <= cover:
        return Step(number, count, None)
    return Step(number, count, int(rows[number - 1 - cover]))


def step_of(timeline: Timeline, view: View, row: int) -> int | None:
    """The step (from 1) that tells the event at ``row`` in the view's story; None if it tells none."""
    found = np.flatnonzero(story_rows(timeline, view) == row)
    if not len(found):
        return None
    return int(found[0]) + 1 + (1 if has_cover(timeline) else 0)


def step_window(timeline: Timeline, row: int) -> tuple[float, float] | None:
    """The x range (epoch ms) a step shows: the event's possible span with time on each side, enough
    to see what came just before and after it (None for an event with no date of its own)."""
    lo, hi = step_windows(timeline, np.array([row], dtype=np.int64))
    first, last = float(lo[0]), float(hi[0])
    if not (np.isfinite(first) and np.isfinite(last)) or first >= last:
        return None
    return first, last


def step_windows(timeline: Timeline, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`step_window` of each of ``rows`` at once (the story page holds every step's window)."""
    lo, hi = possible_span(timeline)
    first, last = lo[rows].astype(np.float64), hi[rows].astype(np.float64)
    whole = float(np.nanmax(hi)) - float(np.nanmin(lo)) if len(lo) else 0.0
    precision = timeline.column("start_prec")[rows]
    least = np.full(len(rows), dates.MS_PER_YEAR)
    for code, ms in PRECISION_MS.items():
        least[precision == code] = ms
    side = np.maximum(np.maximum(0.75 * (last - first), least), CONTEXT_SHARE * whole)
    a = np.clip(first - side, dates.ZOOM_MIN_MS, dates.ZOOM_MAX_MS)
    b = np.clip(last + side, dates.ZOOM_MIN_MS, dates.ZOOM_MAX_MS)
    good = np.isfinite(a) & np.isfinite(b) & (a < b)
    return np.where(good, a, first), np.where(good, b, last)


def shown_view(timeline: Timeline, view: View) -> tuple[View, Step | None]:
    """The view as drawn, and its story's step: during a story, the step's window unless the reader
    has zoomed since (the page, its downloads and the story page all draw this)."""
    if view.story is None:
        return view, None
    step = story_step(timeline, view, view.story)
    if step is None:
        return view, None
    if view.x_range is None and step.row is not None:
        view = replace(view, x_range=step_window(timeline, step.row))
    return view, step
