"""The core's questions as SQL, written once for every engine (DuckDB here, Spark beyond one machine).

Beyond memory the events are not a pandas frame but a table an engine queries: this module
writes each question the page asks (how many match, how many per theme, how many per lane and
period, which are worth a label, which rows fill a table page) as SQL text with ``?``
parameters, in the subset DuckDB and Spark SQL read alike, and turns the few rows each returns
into the same answers :mod:`.query` and :mod:`.aggregate` give for a timeline in memory. An
engine is any function running such a query (:data:`Run`).

The table queried is called ``events``: one row per event, with the timeline's columns
(``core.model.Timeline``) and ``row``, the event's row number in the timeline, so that answers
name the same rows whichever engine gave them; ``theme_mask`` is a signed 64-bit integer there
(bit 63 is the sign bit: Spark has no unsigned type). Values only ever travel as parameters,
never inside the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import dates
from .aggregate import TARGET_BUCKETS, Buckets, Density, calendar_buckets
from .lives import empty_lives
from .model import Timeline
from .query import SEARCH_COLUMNS, View, date_bounds, search_terms

Run = Callable[[str, Sequence[object]], list[tuple[object, ...]]]
"""Runs one query (text with ``?`` parameters, and their values) and returns its rows."""

EVENTS = "events"

EARLIEST = "(CASE WHEN earliest < start THEN earliest ELSE start END)"
LATEST = "(CASE WHEN latest > last AND NOT isnan(latest) THEN latest ELSE last END)"
"""An event's possible span (``query.possible_span``): never narrower than start..last."""

HAYSTACK = "lower(concat_ws(chr(31), " + ", ".join(f"coalesce({c}, '')" for c in SEARCH_COLUMNS) + "))"
"""The searchable text of an event in one lower-case string, its columns kept apart (a word never
spans two of them), as ``query.haystack`` holds it."""


@dataclass(frozen=True)
class Where:
    """A WHERE clause and its parameters."""

    text: str
    args: tuple[object, ...]

    def __and__(self, other: Where) -> Where:
        return Where(f"({self.text}) AND ({other.text})", self.args + other.args)


EVERYTHING = Where("TRUE", ())


def signed(mask: int) -> int:
    """A theme bitmask as the signed 64-bit integer the table holds."""
    mask &= (1 << 64) - 1
    return mask - (1 << 64) if mask >= 1 << 63 else mask


def unsigned(mask: object) -> int:
    return int(str(mask)) & ((1 << 64) - 1)


def theme_filter(themes: list[str], wanted: tuple[str, ...] | None) -> Where:
    """Events carrying any of ``wanted`` (None: every theme)."""
    bits = 0
    for i, t in enumerate(themes):
        if wanted is None or t in wanted:
            bits |= 1 << i
    return Where("(theme_mask & ?) <> 0", (signed(bits),))


def match_filter(themes: list[str], view: View, with_themes: bool = True) -> Where:
    """What ``query.filter_events`` selects (``match_without_themes`` without the themes): the date
    range over each event's possible span, and every search word in its text, in any case.
    ValueError as ``query.date_bounds`` and ``query.search_terms`` raise it."""
    where = theme_filter(themes, view.themes) if with_themes else EVERYTHING
    lo, hi = date_bounds(view)
    if np.isfinite(lo):
        where &= Where(f"{LATEST} >= ?", (float(lo),))
    if np.isfinite(hi):
        where &= Where(f"{EARLIEST} <= ?", (float(hi),))
    for term in search_terms(view.text):
        where &= Where(f"instr({HAYSTACK}, ?) > 0", (term,))
    return where


def in_window(x0: float, x1: float) -> Where:
    """Events whose time span overlaps [x0, x1] (``aggregate.in_window``)."""
    return Where("last >= ? AND start <= ?", (float(x0), float(x1)))


def count(run: Run, where: Where) -> int:
    ((n,),) = run(f"SELECT count(*) FROM {EVENTS} WHERE {where.text}", where.args)
    return int(str(n))


def per_combination(run: Run, where: Where) -> dict[int, int]:
    """Matching events per theme combination (bitmask)."""
    rows = run(f"SELECT theme_mask, count(*) FROM {EVENTS} WHERE {where.text} GROUP BY theme_mask", where.args)
    return {unsigned(mask): int(str(n)) for mask, n in rows}


def theme_counts(themes: list[str], combos: dict[int, int]) -> dict[str, int]:
    """Per theme, the events carrying it (``query.theme_counts``) from the counts per combination."""
    return {t: sum(n for mask, n in combos.items() if mask >> i & 1) for i, t in enumerate(themes)}


def facet_counts(run: Run, themes: list[str], view: View) -> dict[str, int]:
    """Per theme, how many events match the view's dates and text (``query.facet_counts``)."""
    return theme_counts(themes, per_combination(run, match_filter(themes, view, with_themes=False)))


def stats(run: Run, where: Where) -> tuple[int, tuple[float, float] | None]:
    """How many events match, and the earliest and latest ms they may cover (None when none match)."""
    ((n, lo, hi),) = run(
        f"SELECT count(*), min({EARLIEST}), max({LATEST}) FROM {EVENTS} WHERE {where.text}", where.args
    )
    return int(str(n)), None if lo is None else (float(str(lo)), float(str(hi)))


SORTS = {"when": "start", "title": "title", "location": "location", "themes": "theme_mask"}
"""The table's sortable columns (``query.SORT_COLUMNS``)."""


def page(run: Run, where: Where, column: str, descending: bool, offset: int, limit: int) -> np.ndarray:
    """One page of the matching rows in the table's order (``query.sorted_rows``: ties in row order,
    a descending sort the exact reverse)."""
    field = SORTS.get(column, "start")
    way = "DESC" if descending else "ASC"
    if field == "theme_mask":  # ordered as the unsigned mask it is: the sign bit (theme 64) last
        field = f"(CASE WHEN theme_mask < 0 THEN 1 ELSE 0 END) {way}, theme_mask"
    found = run(
        f"SELECT row FROM {EVENTS} WHERE {where.text} ORDER BY {field} {way}, row {way} "
        f"LIMIT {int(limit)} OFFSET {int(offset)}",
        where.args,
    )
    return np.array([int(str(r)) for (r,) in found], dtype=np.int64)


def _days(column: str) -> str:
    return f"floor({column} / {float(dates.MS_PER_DAY)})"


def _civil(days: str) -> tuple[str, str]:
    """SQL for the astronomical year and the month (1-12) of a day number: ``dates.civil_from_days``
    with floor divisions on doubles (exact far beyond any date a timeline holds)."""
    z = f"({days} + 719468)"
    era = f"floor({z} / 146097)"
    doe = f"({z} - {era} * 146097)"
    yoe = f"floor(({doe} - floor({doe} / 1460) + floor({doe} / 36524) - floor({doe} / 146096)) / 365)"
    doy = f"({doe} - (365 * {yoe} + floor({yoe} / 4) - floor({yoe} / 100)))"
    mp = f"floor((5 * {doy} + 2) / 153)"
    month = f"(CASE WHEN {mp} < 10 THEN {mp} + 3 ELSE {mp} - 9 END)"
    year = f"({yoe} + {era} * 400 + CASE WHEN {mp} >= 10 THEN 1 ELSE 0 END)"
    return year, month


def bucket_key(buckets: Buckets, column: str = "start") -> str:
    """SQL for the calendar step an event's ``column`` falls in: its day, month or historian year
    divided by the step (floor). Every bucket edge starts such a step, so the keys order the events
    exactly as the edges do."""
    days = _days(column)
    if buckets.unit == "day":
        return f"floor({days} / {buckets.step})"
    year, month = _civil(days)
    if buckets.unit == "month":
        return f"floor(({year} * 12 + {month} - 1) / {buckets.step})"
    historian = f"(CASE WHEN {year} <= 0 THEN {year} - 1 ELSE {year} END)"
    return f"floor({historian} / {buckets.step})"


def edge_keys(buckets: Buckets) -> np.ndarray:
    """The key (:func:`bucket_key`) of each bucket's first day."""
    days = np.floor(buckets.edges[:-1] / dates.MS_PER_DAY).astype(np.int64)
    if buckets.unit == "day":
        counted = days
    else:
        year, month, _ = dates.civil_from_days(days)
        counted = year * 12 + month - 1 if buckets.unit == "month" else dates.astronomical_to_historian(year)
    keys: np.ndarray = np.floor_divide(counted, buckets.step)
    return keys


def density(
    run: Run,
    themes: list[str],
    where: Where,
    lanes: list[str],
    x0: float,
    x1: float,
    target: int = TARGET_BUCKETS,
) -> Density:
    """``aggregate.density`` of the matching events in the window [x0, x1], counted by the engine per
    calendar step and theme combination; only those counts travel."""
    buckets = calendar_buckets(x0, x1, target)
    nb = len(buckets.edges) - 1
    key = bucket_key(buckets)
    window = where & in_window(x0, x1)
    found = run(
        f"SELECT {key} AS k, theme_mask, count(*) FROM {EVENTS} WHERE {window.text} GROUP BY {key}, theme_mask",
        window.args,
    )
    per_lane = np.zeros((len(lanes), nb), dtype=np.int64)
    total = np.zeros(nb, dtype=np.int64)
    if found:
        keys = np.array([float(str(k)) for k, _, _ in found])
        b = np.clip(np.searchsorted(edge_keys(buckets), keys, side="right") - 1, 0, nb - 1)
        n = np.array([int(str(c)) for _, _, c in found], dtype=np.int64)
        masks = [unsigned(m) for _, m, _ in found]
        np.add.at(total, b, n)
        for j, lane in enumerate(lanes):
            bit = themes.index(lane)
            has = np.array([m >> bit & 1 for m in masks], dtype=bool)
            np.add.at(per_lane[j], b[has], n[has])
    return Density(buckets, lanes, per_lane, total)


FETCH_ORDERS = {"row": "row", "importance": "importance DESC, row"}


def fetch(run: Run, where: Where, columns: Sequence[str], order: str = "row", limit: int = 1) -> pd.DataFrame:
    """At most ``limit`` matching events, every column asked for and ``row``, chosen in ``order`` (row
    order, or the most important first: :data:`FETCH_ORDERS`) and given in row order."""
    names = [c for c in columns if c != "row"] + ["row"]
    # Named through the table: a column such as "end" is a keyword, which each engine quotes its own way.
    found = run(
        f"SELECT {', '.join(f'{EVENTS}.{c}' for c in names)} FROM {EVENTS} WHERE {where.text} "
        f"ORDER BY {FETCH_ORDERS[order]} LIMIT {int(limit)}",
        where.args,
    )
    frame = pd.DataFrame.from_records(found, columns=names).sort_values("row", kind="stable")
    if "theme_mask" in frame:
        frame["theme_mask"] = frame["theme_mask"].to_numpy(dtype=np.int64).view(np.uint64)
    return frame


def fetched(timeline: Timeline, frame: pd.DataFrame) -> Timeline:
    """A timeline of the events ``frame`` holds (fetched from ``timeline``'s engine), with the same
    themes, eras and titles: what the figure and the panels are drawn from."""
    events = frame.copy()
    for column, kind in timeline.events.dtypes.items():
        if column in events and column != "theme_mask":
            events[column] = events[column].astype(kind)
    return replace(timeline, events=events.reset_index(drop=True), lives=empty_lives(), memo={})


def row_where(row: int) -> Where:
    return Where("row = ?", (int(row),))
