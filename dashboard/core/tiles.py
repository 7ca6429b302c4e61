"""Counts made once per calendar period and theme combination (tiles, as maps have them, in time),
so that the questions asked at every click cost the same at any number of events.

An engine's ``events`` table answers any question by reading every event; past a few million that
is most of a second a question. Most clicks (a theme ticked, a zoom) ask only how many events of
some themes start or end in some periods: the ``tiles`` table holds those counts per day, month
and year, per theme combination, for the day an event starts in (side :data:`STARTS`) and the day
it ends in (side :data:`LASTS`), with the possible span each combination covers. A window's
density is then read from a few thousand tiles: its periods' counts where whole periods are in
view, finer tiles at its edges, and the events begun before it and still running found as those
begun minus those ended (both prefix sums). The answers equal what the events give
(``core.sql.density``, ``core.aggregate.density``), as the tests check, because starts fall on
midnight and ends on the last millisecond of a day: a window's edges are compared as days.

The ``ranked`` table holds the narrow columns of every event in label order (the most important
first, then by row): the label candidates of a view are its first matching rows there, and an
engine reads only the row groups of the importance levels it needs.

Views with a search or a date filter, and windows beyond :data:`EXACT_MS`, are answered by the
events table (``core.sql``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import dates
from .aggregate import TARGET_BUCKETS, Density, calendar_buckets
from .model import Timeline
from .query import View, date_bounds
from .sql import (
    EVENTS,
    Run,
    Summary,
    Where,
    drawn_columns,
    frame_of,
    signed,
    summary_of,
    table_columns,
    theme_filter,
)

TILES = "tiles"
RANKED = "ranked"

STARTS, LASTS = 0, 1
"""The two sides of the tiles: the day an event starts in, the day its last millisecond falls in."""
DAY, MONTH, YEAR = 0, 1, 2
UNITS = {"day": DAY, "month": MONTH, "year": YEAR}

KEYS = {STARTS: ("day", "month", "year"), LASTS: ("last_day", "last_month", "last_year")}
"""The events' columns (``core.sql.DERIVED``) each side's tiles are keyed by, per unit."""

EXACT_MS = float(2**52)
"""Windows whose edges lie within this many ms of 1970 (about 142,000 years) are read from the
tiles: within it a day's first and last millisecond are exact float64 numbers."""

RANKED_COLUMNS = ("row", "start", "last", "lo", "hi", "theme_mask", "importance")
LEVELS = (5, 4, 3, 2, 1)
"""Importance levels (``core.validation``: a whole number from 1 to 5), the most important first."""


def tiles_query() -> str:
    """SQL making the tiles from ``events``: one row per side, unit, period (``k``, the unit's key)
    and theme combination, with how many events and the earliest and latest ms they may cover.
    The events are read once per side (counted per day), months and years summed from the days."""
    ctes, selects = [], []
    for side, (day, month, year) in KEYS.items():
        ctes.append(
            f"days{side} AS (SELECT {day} AS d, {month} AS m, {year} AS y, theme_mask, count(*) AS n, "
            f"min(lo) AS lo, max(hi) AS hi FROM {EVENTS} GROUP BY {day}, {month}, {year}, theme_mask)"
        )
        selects.append(f"SELECT {side} AS side, {DAY} AS unit, d AS k, theme_mask, n, lo, hi FROM days{side}")
        selects += [
            f"SELECT {side} AS side, {unit} AS unit, {key} AS k, theme_mask, CAST(sum(n) AS BIGINT) AS n, "
            f"min(lo) AS lo, max(hi) AS hi FROM days{side} GROUP BY {key}, theme_mask"
            for unit, key in ((MONTH, "m"), (YEAR, "y"))
        ]
    return f"WITH {', '.join(ctes)} " + " UNION ALL ".join(selects)


def ranked_query(columns: Sequence[str]) -> str:
    """SQL giving the events' ``columns`` (those a figure draws) and those a label query filters on,
    most important first, then in row order."""
    names = list(dict.fromkeys([*columns, *RANKED_COLUMNS]))
    return f"SELECT {', '.join(f'{EVENTS}.{c}' for c in names)} FROM {EVENTS} ORDER BY importance DESC, row"


def answerable(view: View) -> bool:
    """Whether the tiles answer ``view``'s counts: no search and no date filter (which keep events
    by their text and possible span, which no tile holds). ValueError for a bad date, as
    ``query.date_bounds`` raises it."""
    lo, hi = date_bounds(view)
    return not view.text.strip() and not np.isfinite(lo) and not np.isfinite(hi)


def in_reach(x0: float, x1: float) -> bool:
    """Whether a window's edges are near enough to 1970 for the tiles (:data:`EXACT_MS`)."""
    return max(abs(x0), abs(x1)) < EXACT_MS


def summary(run: Run, themes: list[str], view: View) -> Summary:
    """``core.sql.summary`` of a view the tiles answer (:func:`answerable`), from the year tiles."""
    rows = run(
        f"SELECT theme_mask, sum(n), min(lo), max(hi) FROM {TILES} WHERE side = ? AND unit = ? GROUP BY theme_mask",
        (STARTS, YEAR),
    )
    return summary_of(rows, themes, view)


def first_day_starting(x1: float) -> int:
    """The last day whose first ms is at or before ``x1``: an event starting that day or before
    starts by ``x1``."""
    d = math.floor(x1 / dates.MS_PER_DAY)
    while (d + 1) * dates.MS_PER_DAY <= x1:
        d += 1
    while d * dates.MS_PER_DAY > x1:
        d -= 1
    return d


def first_day_lasting(x0: float) -> int:
    """The first day whose last ms is at or after ``x0``: an event ending that day or later is
    still running at ``x0``."""
    e = math.floor(x0 / dates.MS_PER_DAY)
    while e * dates.MS_PER_DAY - 1 >= x0:
        e -= 1
    while (e + 1) * dates.MS_PER_DAY - 1 < x0:
        e += 1
    return e


def _civil(day: int) -> tuple[int, int]:
    """(astronomical year, month 1-12) of a day."""
    (y,), (m,), _ = dates.civil_from_days(np.array([day], dtype=np.int64))
    return int(y), int(m)


def _first_of(year: int, month: int = 1) -> int:
    """The day a month (of an astronomical year) begins."""
    return int(dates.days_from_civil(np.array([year]), np.array([month]), np.array([1]))[0])


def _historian(year: int) -> int:
    return int(dates.astronomical_to_historian(np.array([year]))[0])


Range = tuple[int, int | None, int]
"""Tiles of one unit with keys from the first (None: from the beginning of time) to the last."""


def _keys(unit: int, first: int | None, last: int) -> list[Range]:
    return [] if first is not None and first > last else [(unit, first, last)]


def day_range(first: int | None, last: int, finest: int = YEAR) -> list[Range]:
    """Tiles covering exactly the days ``first``..``last`` (None: from the beginning of time): whole
    years where they fit (if ``finest`` allows), then whole months, then single days, so that a
    range of any length is a few hundred tiles per theme combination."""
    if first is not None and first > last:
        return []
    if finest == DAY:
        return _keys(DAY, first, last)
    if finest == MONTH:
        return _months_and_days(first, last)
    end = _civil(last + 1)[0]  # the year holding the day after the range: not whole
    if first is None:
        return _keys(YEAR, None, _historian(end - 1)) + _months_and_days(_first_of(end), last)
    year = _civil(first)[0]
    whole = year if _first_of(year) == first else year + 1
    if whole > end - 1:
        return _months_and_days(first, last)
    return (
        _keys(YEAR, _historian(whole), _historian(end - 1))
        + _months_and_days(first, _first_of(whole) - 1)
        + _months_and_days(_first_of(end), last)
    )


def _months_and_days(first: int | None, last: int) -> list[Range]:
    """Days ``first``..``last`` as whole months and the days left at either end."""
    if first is not None and first > last:
        return []
    end_y, end_m = _civil(last + 1)
    end = end_y * 12 + end_m - 1  # the month holding the day after the range: not whole
    if first is None:
        return _keys(MONTH, None, end - 1) + _keys(DAY, _first_of(end_y, end_m), last)
    y, m = _civil(first)
    whole = y * 12 + m - 1 + (0 if _first_of(y, m) == first else 1)
    if whole > end - 1:
        return _keys(DAY, first, last)
    return (
        _keys(MONTH, whole, end - 1)
        + _keys(DAY, first, _first_of(whole // 12, whole % 12 + 1) - 1)
        + _keys(DAY, _first_of(end_y, end_m), last)
    )


def _tiles_in(side: int, ranges: list[Range], themed: Where) -> tuple[str, tuple[object, ...]]:
    """A subquery of the tiles of ``side`` in ``ranges`` and of the wanted themes: one range per
    branch, so that each reads only the row groups holding its keys."""
    branches, args = [], []
    for unit, first, last in ranges:
        low = "" if first is None else " AND k >= ?"
        branches.append(f"SELECT * FROM {TILES} WHERE side = ? AND unit = ?{low} AND k <= ? AND ({themed.text})")
        args += [side, unit, *([] if first is None else [first]), last, *themed.args]
    if not branches:
        return f"SELECT * FROM {TILES} WHERE FALSE", ()
    return " UNION ALL ".join(branches), tuple(args)


def _first_days(units: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The first day of each tile."""
    days = keys.astype(np.int64).copy()
    months = units == MONTH
    if months.any():
        k = days[months]
        days[months] = dates.days_from_civil(k // 12, k % 12 + 1, np.ones_like(k))
    years = units == YEAR
    if years.any():
        astro = dates.historian_to_astronomical(days[years])
        days[years] = dates.days_from_civil(astro, np.ones_like(astro), np.ones_like(astro))
    return days


def _lane_sums(themes: list[str], lanes: list[str]) -> tuple[str, tuple[object, ...]]:
    """SELECT terms summing ``n`` in all and per lane (an event with two lanes in each)."""
    terms = ["sum(n)"] + ["sum(CASE WHEN (theme_mask & ?) <> 0 THEN n ELSE 0 END)" for _ in lanes]
    return ", ".join(terms), tuple(signed(1 << themes.index(lane)) for lane in lanes)


def density(
    run: Run,
    themes: list[str],
    view: View,
    lanes: list[str],
    x0: float,
    x1: float,
    target: int = TARGET_BUCKETS,
) -> Density:
    """``core.sql.density`` of a view the tiles answer (:func:`answerable`, :func:`in_reach`): the
    events of the view's themes running in [x0, x1], per calendar bucket of the day they start in
    (those begun before the window in its first bucket), in all and per lane."""
    buckets = calendar_buckets(x0, x1, target)
    nb = len(buckets.edges) - 1
    edge_days = np.round(buckets.edges / dates.MS_PER_DAY).astype(np.int64)
    unit = UNITS[buckets.unit]
    k0, k1 = first_day_lasting(x0), first_day_starting(x1)
    sums, lane_args = _lane_sums(themes, lanes)
    themed = theme_filter(themes, view.themes)
    total = np.zeros(nb, dtype=np.int64)
    per_lane = np.zeros((len(lanes), nb), dtype=np.int64)
    if k0 > k1 + 1:  # an empty window (x0 past x1)
        return Density(buckets, lanes, per_lane, total)
    # The first bucket: every event begun by its end (or by x1) that has not ended before x0.
    first_end = min(int(edge_days[1]) - 1, k1) if nb > 1 else k1
    begun, begun_args = _tiles_in(STARTS, day_range(None, first_end), themed)
    ended, ended_args = _tiles_in(LASTS, day_range(None, k0 - 1), themed)
    rows = run(
        f"SELECT side, {sums} FROM ({begun} UNION ALL {ended}) AS t GROUP BY side",
        lane_args + begun_args + ended_args,
    )
    found = {int(str(side)): np.array([int(str(v or 0)) for v in values], dtype=np.int64) for side, *values in rows}
    zero = np.zeros(len(lanes) + 1, dtype=np.int64)
    first = found.get(STARTS, zero) - found.get(LASTS, zero)
    total[0], per_lane[:, 0] = first[0], first[1:]
    if nb > 1 and int(edge_days[1]) <= k1:
        # The other buckets: events starting in them by x1, from tiles no coarser than a bucket.
        inside, inside_args = _tiles_in(STARTS, day_range(int(edge_days[1]), k1, finest=unit), themed)
        rows = run(f"SELECT unit, k, {sums} FROM ({inside}) AS t GROUP BY unit, k", lane_args + inside_args)
        if rows:
            values = np.array([[int(str(v or 0)) for v in r] for r in rows], dtype=np.int64)
            days = _first_days(values[:, 0], values[:, 1])
            b = np.clip(np.searchsorted(edge_days, days, side="right") - 1, 0, nb - 1)
            np.add.at(total, b, values[:, 2])
            for j in range(len(lanes)):
                np.add.at(per_lane[j], b, values[:, 3 + j])
    return Density(buckets, lanes, per_lane, total)


def top_events(run: Run, where: Where, limit: int, columns: Sequence[str]) -> pd.DataFrame:
    """The first ``limit`` events matching ``where`` in label order (importance, then row), their
    ``columns`` (among those the ranked table holds) and ``row``, in row order: read one importance
    level deeper at a time, so that a view with enough important events never reads the rest."""
    names = [c for c in columns if c != "row"] + ["row"]
    found: list[tuple[object, ...]] = []
    for level in LEVELS if limit > 0 else ():
        found = run(
            f"SELECT {', '.join(f'{RANKED}.{c}' for c in names)} FROM {RANKED} WHERE ({where.text}) "
            f"AND importance >= ? ORDER BY importance DESC, row LIMIT {int(limit)}",
            (*where.args, level),
        )
        if len(found) >= limit:
            break
    return frame_of(found, names).sort_values("row", kind="stable").reset_index(drop=True)


CHRONO = "chrono"
CHRONO_COLUMNS = ("row", "start", "day", "theme_mask")
TABLES = (TILES, RANKED, CHRONO)
"""Every table of this module, in the order a store makes them (:func:`made_of_events`): the tiles
first, which answer most of a click."""


def chrono_query(columns: Sequence[str]) -> str:
    """SQL giving the events' ``columns`` (those a table page shows) and those a page query filters
    on, in the table's time order (start, then row): a page is read from the few row groups of its
    days."""
    names = list(dict.fromkeys([*columns, *CHRONO_COLUMNS]))
    return f"SELECT {', '.join(f'{EVENTS}.{c}' for c in names)} FROM {EVENTS} ORDER BY start, row"


def made_of_events(timeline: Timeline) -> list[tuple[str, str]]:
    """Each table of this module, and the SQL making it from ``timeline``'s events (with the columns
    its figure draws and its table shows), in the order a store keeps it: the tiles by their keys."""
    return [
        (TILES, tiles_query() + " ORDER BY side, unit, k"),
        (RANKED, ranked_query(drawn_columns(timeline))),
        (CHRONO, chrono_query(table_columns(timeline))),
    ]


def _per_key(run: Run, unit: int, first: int | None, last: int | None, themed: Where) -> tuple[np.ndarray, np.ndarray]:
    """(keys, matching events) of the start tiles of ``unit`` from ``first`` to ``last``, in order."""
    bounds = "".join([" AND k >= ?" if first is not None else "", " AND k <= ?" if last is not None else ""])
    args = [STARTS, unit, *(v for v in (first, last) if v is not None), *themed.args]
    rows = run(
        f"SELECT k, sum(n) FROM {TILES} WHERE side = ? AND unit = ?{bounds} AND ({themed.text}) GROUP BY k ORDER BY k",
        args,
    )
    keys = np.array([int(str(k)) for k, _ in rows], dtype=np.int64)
    return keys, np.array([int(str(n)) for _, n in rows], dtype=np.int64)


def day_of_match(run: Run, themed: Where, index: int) -> tuple[int, int]:
    """The day holding the matching event at ``index`` (from 0) in time order, and how many matching
    events start before that day: found year, then month, then day, in the tiles."""
    before = 0
    keys, counts = _per_key(run, YEAR, None, None, themed)
    at = int(np.searchsorted(np.cumsum(counts), index, side="right"))
    before += int(counts[:at].sum())
    astro = int(dates.historian_to_astronomical(np.array([keys[at]]))[0])
    keys, counts = _per_key(run, MONTH, astro * 12, astro * 12 + 11, themed)
    at_month = int(np.searchsorted(before + np.cumsum(counts), index, side="right"))
    before += int(counts[:at_month].sum())
    month = int(keys[at_month])
    first = _first_of(month // 12, month % 12 + 1)
    keys, counts = _per_key(run, DAY, first, _first_of((month + 1) // 12, (month + 1) % 12 + 1) - 1, themed)
    at_day = int(np.searchsorted(before + np.cumsum(counts), index, side="right"))
    before += int(counts[:at_day].sum())
    return int(keys[at_day]), before


def page(
    run: Run,
    themes: list[str],
    view: View,
    matched: int,
    descending: bool,
    offset: int,
    limit: int,
    columns: Sequence[str] = (),
) -> pd.DataFrame:
    """A table page in time order (``core.sql.page`` by "when") of a view the tiles answer,
    ``matched`` events matching it: its events' ``columns`` (among those the chronological table
    holds) and ``row``. The days holding the page's first and last events are found in the tiles,
    and only those days' events are read (the descending order is the exact reverse)."""
    names = [c for c in columns if c != "row"] + ["row"]
    if descending:
        first = max(matched - offset - limit, 0)
        ascending = page(run, themes, view, matched, False, first, matched - offset - first, columns)
        return ascending.iloc[::-1].reset_index(drop=True)
    limit = min(limit, matched - offset)
    if limit <= 0 or offset < 0:
        return frame_of([], names)
    themed = theme_filter(themes, view.themes)
    first_day, before = day_of_match(run, themed, offset)
    last_day, _ = day_of_match(run, themed, offset + limit - 1)
    found = run(
        f"SELECT {', '.join(f'{CHRONO}.{c}' for c in names)} FROM {CHRONO} WHERE day >= ? AND day <= ? "
        f"AND ({themed.text}) ORDER BY start, row LIMIT {int(limit)} OFFSET {int(offset - before)}",
        (first_day, last_day, *themed.args),
    )
    return frame_of(found, names)


def position(run: Run, themes: list[str], view: View, matched: int, descending: bool, row: int) -> int | None:
    """Where the event at ``row`` stands in time order among a view's matches (``core.sql.position``
    by "when"), None if it does not match: the matches of the days before its own from the tiles,
    then those of its day before it."""
    themed = theme_filter(themes, view.themes)
    found = run(f"SELECT day FROM {EVENTS} WHERE row = ? AND ({themed.text})", (int(row), *themed.args))
    if not found:
        return None
    day = int(str(found[0][0]))
    earlier, args = _tiles_in(STARTS, day_range(None, day - 1), themed)
    ((n,),) = run(f"SELECT sum(n) FROM ({earlier}) AS t", args)
    ((same,),) = run(
        f"SELECT count(*) FROM {CHRONO} WHERE day = ? AND row < ? AND ({themed.text})", (day, int(row), *themed.args)
    )
    place = int(str(n or 0)) + int(str(same))
    return matched - 1 - place if descending else place
