"""Figures of a timeline beyond memory: its engine counts, and sends only the events drawn.

The figure and the overview strip are drawn by the same functions as for a timeline in memory
(``render.figure``): here they get an engine's counts (how many match, the span they cover, their
density per lane and period) and the few events they draw (every one in view up to
``MAX_POINTS``, else the label candidates), so that the page, the downloads and the command line
draw the same figure whatever holds the events.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import sql, tiles
from ..core.aggregate import TARGET_BUCKETS, Density
from ..core.model import Timeline
from ..core.query import View
from .figure import (
    MAX_POINTS,
    OVERVIEW_BUCKETS,
    Counted,
    Figure,
    FigureOptions,
    build_figure,
    build_overview,
    full_extent,
    visible_lanes,
    x_extent,
)

Span = tuple[float, float]
"""The earliest and the latest ms some matching events may cover."""

LABEL_CANDIDATES = 400
"""Events fetched for labels past MAX_POINTS in view: the most important (``figure.most_important``)."""


def _run(timeline: Timeline) -> sql.Run:
    if timeline.engine is None:
        raise ValueError("this timeline is in memory: no engine to ask")
    return timeline.engine


def queried_view(view: View) -> View:
    """What of a view a timeline beyond memory draws: its filters and zoom on the time scale (the
    sequence and log scales, and stories, need every event in memory)."""
    return View(themes=view.themes, start=view.start, end=view.end, text=view.text, x_range=view.x_range)


def has(timeline: Timeline, *tables: str) -> bool:
    """Whether the timeline's engine reads these tables of ``core.tiles`` (they come one at a time
    while a store is served: ``io.engines.Tabled``)."""
    has_table = getattr(timeline.engine, "has", None)
    return has_table is not None and all(has_table(name) for name in tables)


def summary(timeline: Timeline, view: View) -> sql.Summary:
    """How many events match ``view``, the span they may cover and the counts per theme: from the
    tiles where they answer it (``core.tiles``), else from the events (ValueError for bad dates)."""
    run = _run(timeline)
    if has(timeline, tiles.TILES) and tiles.answerable(view):
        return tiles.summary(run, timeline.themes, view)
    return sql.summary(run, timeline.themes, view, getattr(timeline.engine, "searched", None))


def counted(timeline: Timeline, view: View) -> tuple[int, tuple[float, float] | None]:
    """How many events match ``view`` and the span they may cover (ValueError for bad dates)."""
    found = summary(timeline, view)
    return found.matched, found.span


def _in_chrono_order(timeline: Timeline, view: View, column: str) -> bool:
    """Whether the table's order and the view let the chronological table answer (``core.tiles``)."""
    chrono = sql.SORTS.get(column, "start") == "start"
    return chrono and has(timeline, tiles.TILES, tiles.CHRONO) and tiles.answerable(view)


def page(
    timeline: Timeline, view: View, column: str, descending: bool, offset: int, limit: int, columns: Sequence[str]
) -> tuple[pd.DataFrame, int]:
    """One table page of ``view``'s matches in the table's order (``core.sql.page``; ``columns`` among
    ``core.sql.table_columns``), and how many match in all: in time order from the tiles where they
    answer the view, else sorted by the engine."""
    run = _run(timeline)
    matched, _ = counted(timeline, view)
    if _in_chrono_order(timeline, view, column):
        return tiles.page(run, timeline.themes, view, matched, descending, offset, limit, columns), matched
    return sql.page(run, sql.where_of(timeline, view), column, descending, offset, limit, columns), matched


def position(timeline: Timeline, view: View, column: str, descending: bool, row: int) -> int | None:
    """Where the event at ``row`` stands in the table of ``view``'s matches (``core.sql.position``)."""
    run = _run(timeline)
    if _in_chrono_order(timeline, view, column):
        matched, _ = counted(timeline, view)
        return tiles.position(run, timeline.themes, view, matched, descending, row)
    return sql.position(run, sql.where_of(timeline, view), column, descending, row)


def density(
    timeline: Timeline, view: View, lanes: list[str], x0: float, x1: float, target: int = TARGET_BUCKETS
) -> Density:
    """The density of ``view``'s matches in [x0, x1]: from the tiles where they answer it, else
    counted by the engine over the events."""
    run = _run(timeline)
    if has(timeline, tiles.TILES) and tiles.answerable(view) and tiles.in_reach(x0, x1):
        return tiles.density(run, timeline.themes, view, lanes, x0, x1, target)
    return sql.density(run, timeline.themes, sql.where_of(timeline, view), lanes, x0, x1, target)


def label_candidates(timeline: Timeline, view: View, window: sql.Where, columns: list[str]) -> pd.DataFrame:
    """The :data:`LABEL_CANDIDATES` most important events matching ``window`` (``figure.most_important``):
    read from the ranked table where the view has no search (``core.tiles.top_events``)."""
    run = _run(timeline)
    if has(timeline, tiles.RANKED) and not view.text.strip():
        return tiles.top_events(run, window, LABEL_CANDIDATES, columns)
    return sql.fetch(run, window, columns, "importance", LABEL_CANDIDATES)


def queried_figure(
    timeline: Timeline,
    view: View,
    options: FigureOptions | None = None,
    matches: tuple[int, tuple[float, float] | None] | None = None,
) -> Figure:
    """``build_figure`` for a timeline whose engine holds the events (time scale); ``matches`` is
    :func:`counted` when the caller has it already."""
    run = _run(timeline)
    where = sql.where_of(timeline, view)
    matched, span = matches if matches is not None else counted(timeline, view)
    columns = sql.drawn_columns(timeline)
    shown = queried_view(view)
    counts: Density | None = None
    if not matched:
        frame = sql.fetch(run, where, columns, limit=0)
    elif matched <= MAX_POINTS:  # few: all of them, so that panning needs no new figure
        frame = sql.fetch(run, where, columns, limit=MAX_POINTS)
    else:
        x0, x1 = x_extent(timeline, shown, np.empty(0, dtype=np.int64), span)
        lanes = visible_lanes(timeline, view)
        counts = density(timeline, view, lanes, x0, x1) if lanes else None
        in_view = int(counts.total.sum()) if counts is not None else 0
        window = where & sql.in_window(x0, x1)
        if in_view <= MAX_POINTS:
            frame, counts = sql.fetch(run, window, columns, limit=MAX_POINTS), None
        else:
            frame = label_candidates(timeline, view, window, columns)
    drawn = sql.fetched(timeline, frame)
    rows = np.arange(len(drawn.events))
    return build_figure(drawn, shown, options or FigureOptions(), rows=rows, counted=Counted(matched, span, counts))


def queried_overview(
    timeline: Timeline,
    view: View,
    matches: tuple[int, tuple[float, float] | None] | None = None,
    options: FigureOptions | None = None,
) -> Figure:
    """``build_overview`` for a timeline whose engine holds the events."""
    matched, span = matches if matches is not None else counted(timeline, view)
    none = np.empty(0, dtype=np.int64)
    counts = None
    if matched:
        x0, x1 = full_extent(timeline, view, none, span)
        counts = density(timeline, view, [], x0, x1, target=OVERVIEW_BUCKETS)
    return build_overview(timeline, view, none, Counted(matched, span, counts), options or FigureOptions())


def figure_of(timeline: Timeline, view: View, options: FigureOptions) -> Figure:
    """The figure of ``view`` wherever the events are: what every image and page export draws."""
    if timeline.engine is not None:
        return queried_figure(timeline, view, options)
    return build_figure(timeline, view, options)


EXPORT_ROWS = 1_000_000
"""Most events one CSV export of a timeline beyond memory holds (the filters narrow it)."""


def matching_events(timeline: Timeline, view: View) -> Timeline:
    """The events ``view`` matches, fetched from the engine (ValueError past :data:`EXPORT_ROWS`)."""
    run = _run(timeline)
    where = sql.where_of(timeline, view)
    matched, _ = sql.stats(run, where)
    if matched > EXPORT_ROWS:
        raise ValueError(f"{matched:,} events match; narrow the filters to at most {EXPORT_ROWS:,} to export them")
    return sql.fetched(timeline, sql.fetch(run, where, sql.every_column(timeline), limit=EXPORT_ROWS))
