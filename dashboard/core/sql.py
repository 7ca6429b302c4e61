"""The core's questions as SQL, written once for every engine (DuckDB here, Spark beyond one machine).

Beyond memory the events are not a pandas frame but a table an engine queries: this module
writes each question the page asks (how many match, how many per theme, how many per lane and
period, which are worth a label, which rows fill a table page) as SQL text with ``?``
parameters, in the subset DuckDB and Spark SQL read alike, and turns the few rows each returns
into the same answers :mod:`.query` and :mod:`.aggregate` give for a timeline in memory. An
engine is any function running such a query (:data:`Run`).

The table queried is called ``events``: one row per event, with the timeline's columns
(``core.model.Timeline``), ``row``, the event's row number in the timeline, so that answers
name the same rows whichever engine gave them, and the columns of :data:`DERIVED`; ``theme_mask``
is a signed 64-bit integer there (bit 63 is the sign bit: Spark has no unsigned type). Values
only ever travel as parameters, never inside the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dates
from .aggregate import TARGET_BUCKETS, Buckets, Density, calendar_buckets
from .lives import empty_lives
from .model import Timeline
from .query import (
    SameTime,
    View,
    date_bounds,
    haystack,
    possible_span,
    same_time_period,
    search_terms,
    term_scope,
    title_haystack,
)

Run = Callable[[str, Sequence[object]], list[tuple[object, ...]]]
"""Runs one query (text with ``?`` parameters, and their values) and returns its rows."""

EVENTS = "events"

EARLIEST = "lo"
LATEST = "hi"
"""An event's possible span (``query.possible_span``): never narrower than start..last."""

HAYSTACK = "hay"
"""The searchable text of an event in one lower-case string, its columns kept apart (a word never
spans two of them), as ``query.haystack`` holds it."""

TITLE_HAYSTACK = "title_hay"
"""The title of an event in lower case, as ``query.title_haystack`` holds it (``title:`` words)."""

DERIVED = ("lo", "hi", "day", "month", "year", "last_day", "last_month", "last_year", "hay", "title_hay")
"""Columns the table holds besides the timeline's, computed once when it is written
(:func:`derived_columns`), so that no query computes them per event."""


def derived_columns(timeline: Timeline) -> dict[str, np.ndarray | pa.Array]:
    """Per event: its possible span (``lo``, ``hi``), the day, month and historian year it starts in
    (``day`` since 1970-01-01, ``month`` = year * 12 + month - 1, ``year`` with no year 0: what
    density buckets group by), the same of the day its last ms falls in (``last_day``...: what
    ``core.tiles`` counts) and its searchable text in lower case (``hay``; its title alone: ``title_hay``)."""
    lo, hi = possible_span(timeline)
    columns: dict[str, np.ndarray | pa.Array] = {"lo": lo, "hi": hi}
    for prefix, ms in (("", timeline.column("start")), ("last_", timeline.column("last"))):
        day = np.floor(ms / dates.MS_PER_DAY).astype(np.int64)
        year, month, _ = dates.civil_from_days(day)
        columns[prefix + "day"] = day
        columns[prefix + "month"] = year * 12 + month - 1
        columns[prefix + "year"] = dates.astronomical_to_historian(year)
    columns[HAYSTACK] = lower_case(haystack(timeline))
    columns[TITLE_HAYSTACK] = lower_case(title_haystack(timeline))
    return columns


def lower_case(text: pa.Array) -> pa.Array:
    """Text in lower case (Unicode's rules); text all in ASCII, as much is, by the ASCII kernel: the
    same result, several times faster."""
    data = text.buffers()[2] if pa.types.is_string(text.type) or pa.types.is_large_string(text.type) else None
    if data is not None and np.frombuffer(data, dtype=np.uint8).max(initial=0) < 0x80:
        return pc.ascii_lower(text)
    return pc.utf8_lower(text)


SEARCH_COLUMNS = ("row", "start", "last", "lo", "hi", "theme_mask", "importance", "day", "month", "year")
"""The columns a search keeps of its matches (``Searched``): those every question but a table sorted
by title or place filters, counts or orders on. Its questions then read those few rows, not every
event's (which a search at 100M events would otherwise read once per question)."""
SEARCH_SELECT = ", ".join(SEARCH_COLUMNS)
"""What a query keeping a search's matches selects."""


@dataclass(frozen=True)
class Where:
    """A WHERE clause, its parameters and the table whose rows it selects: the events, or the rows a
    search kept (:data:`SEARCH_COLUMNS` of them)."""

    text: str
    args: tuple[object, ...]
    table: str = EVENTS

    def __and__(self, other: Where) -> Where:
        if EVENTS not in (self.table, other.table) and self.table != other.table:
            raise ValueError(f"rows of {self.table} and of {other.table} cannot be selected at once")
        table = other.table if self.table == EVENTS else self.table
        return Where(f"({self.text}) AND ({other.text})", self.args + other.args, table)

    def source(self, needs: Sequence[str] = ()) -> str:
        """FROM and WHERE of a query of these rows that reads the columns ``needs`` besides
        :data:`SEARCH_COLUMNS`: from a search's rows if it kept them all, else from the events."""
        if self.table == EVENTS or all(c in SEARCH_COLUMNS for c in needs):
            return f"FROM {self.table} WHERE {self.text}"
        return f"FROM {EVENTS} WHERE ({self.text}) AND row IN (SELECT row FROM {self.table})"


EVERYTHING = Where("TRUE", ())


def signed(mask: int) -> int:
    """A theme bitmask as the signed 64-bit integer the table holds."""
    mask &= (1 << 64) - 1
    return mask - (1 << 64) if mask >= 1 << 63 else mask


def unsigned(mask: object) -> int:
    return int(str(mask)) & ((1 << 64) - 1)


def wanted_mask(themes: list[str], wanted: tuple[str, ...] | None) -> int:
    """The bits of ``wanted`` among ``themes`` (None: every theme)."""
    bits = 0
    for i, t in enumerate(themes):
        if wanted is None or t in wanted:
            bits |= 1 << i
    return bits


def theme_filter(themes: list[str], wanted: tuple[str, ...] | None) -> Where:
    """Events carrying any of ``wanted`` (None: every theme)."""
    return Where("(theme_mask & ?) <> 0", (signed(wanted_mask(themes, wanted)),))


Searched = Callable[[tuple[str, ...]], str]
"""Names a table holding the :data:`SEARCH_COLUMNS` of every event containing all the words given,
which an engine made once for them: a search then reads the events once, however many questions
the page asks of its matches."""


def match_filter(themes: list[str], view: View, with_themes: bool = True, searched: Searched | None = None) -> Where:
    """What ``query.filter_events`` selects (``match_without_themes`` without the themes): the date
    range over each event's possible span, and every search word in its text, in any case (in the
    table ``searched`` names, when the engine keeps searches). ValueError as
    ``query.date_bounds`` and ``query.search_terms`` raise it."""
    where = theme_filter(themes, view.themes) if with_themes else EVERYTHING
    lo, hi = date_bounds(view)
    if np.isfinite(lo):
        where &= Where(f"{LATEST} >= ?", (float(lo),))
    if np.isfinite(hi):
        where &= Where(f"{EARLIEST} <= ?", (float(hi),))
    terms = search_terms(view.text)
    if terms and searched is not None:
        return where & Where("TRUE", (), searched(terms))
    return where & text_filter(terms) if terms else where


def text_filter(terms: tuple[str, ...]) -> Where:
    """Events whose text holds every one of ``terms`` (lower case), in any case."""
    where = EVERYTHING
    for term in terms:
        in_title, word = term_scope(term)
        where &= Where(f"instr({TITLE_HAYSTACK if in_title else HAYSTACK}, ?) > 0", (word,))
    return where


def where_of(timeline: Timeline, view: View, with_themes: bool = True) -> Where:
    """:func:`match_filter` for a timeline beyond memory, through its engine's kept searches if it
    keeps them."""
    return match_filter(timeline.themes, view, with_themes, getattr(timeline.engine, "searched", None))


def in_window(x0: float, x1: float) -> Where:
    """Events whose time span overlaps [x0, x1] (``aggregate.in_window``)."""
    return Where("last >= ? AND start <= ?", (float(x0), float(x1)))


def count(run: Run, where: Where) -> int:
    ((n,),) = run(f"SELECT count(*) {where.source()}", where.args)
    return int(str(n))


def per_combination(run: Run, where: Where) -> dict[int, int]:
    """Matching events per theme combination (bitmask)."""
    rows = run(f"SELECT theme_mask, count(*) {where.source()} GROUP BY theme_mask", where.args)
    return {unsigned(mask): int(str(n)) for mask, n in rows}


def theme_counts(themes: list[str], combos: dict[int, int]) -> dict[str, int]:
    """Per theme, the events carrying it (``query.theme_counts``) from the counts per combination."""
    return {t: sum(n for mask, n in combos.items() if mask >> i & 1) for i, t in enumerate(themes)}


@dataclass(frozen=True)
class Summary:
    """What one pass over the events tells of a view: its matches and the span they may cover, and
    per theme how many match its dates and text (whatever themes are ticked)."""

    matched: int
    span: tuple[float, float] | None
    facets: dict[str, int]


def summary(run: Run, themes: list[str], view: View, searched: Searched | None = None) -> Summary:
    """The view's :class:`Summary`, from the events counted per theme combination (one query)."""
    where = match_filter(themes, view, with_themes=False, searched=searched)
    rows = run(
        f"SELECT theme_mask, count(*), min({EARLIEST}), max({LATEST}) {where.source()} GROUP BY theme_mask",
        where.args,
    )
    return summary_of(rows, themes, view)


def summary_of(rows: list[tuple[object, ...]], themes: list[str], view: View) -> Summary:
    """The view's :class:`Summary` from (theme_mask, events, earliest, latest) per theme combination
    of the events matching all but its themes."""
    combos = {unsigned(mask): int(str(n)) for mask, n, _, _ in rows}
    wanted = wanted_mask(themes, view.themes)
    kept = [(int(str(n)), float(str(lo)), float(str(hi))) for mask, n, lo, hi in rows if unsigned(mask) & wanted]
    matched = sum(n for n, _, _ in kept)
    span = (min(lo for _, lo, _ in kept), max(hi for _, _, hi in kept)) if kept else None
    return Summary(matched, span, theme_counts(themes, combos))


def facet_counts(run: Run, themes: list[str], view: View) -> dict[str, int]:
    """Per theme, how many events match the view's dates and text (``query.facet_counts``)."""
    return theme_counts(themes, per_combination(run, match_filter(themes, view, with_themes=False)))


def stats(run: Run, where: Where) -> tuple[int, tuple[float, float] | None]:
    """How many events match, and the earliest and latest ms they may cover (None when none match)."""
    ((n, lo, hi),) = run(f"SELECT count(*), min({EARLIEST}), max({LATEST}) {where.source()}", where.args)
    return int(str(n)), None if lo is None else (float(str(lo)), float(str(hi)))


SORTS = {"when": "start", "title": "title", "location": "location", "themes": "theme_mask"}
"""The table's sortable columns (``query.SORT_COLUMNS``)."""


def table_order(column: str, descending: bool) -> str:
    """ORDER BY of the table (``query.sorted_rows``: text in any case, ties in row order, a descending
    sort the exact reverse; the theme mask ordered as the unsigned number it is, the sign bit (theme
    64) last)."""
    field = SORTS.get(column, "start")
    way = "DESC" if descending else "ASC"
    if field == "theme_mask":
        field = f"(CASE WHEN theme_mask < 0 THEN 1 ELSE 0 END) {way}, theme_mask"
    elif field in ("title", "location"):
        field = f"lower({field})"  # in any case, as in memory
    return f"{field} {way}, row {way}"


def page(
    run: Run, where: Where, column: str, descending: bool, offset: int, limit: int, columns: Sequence[str] = ()
) -> pd.DataFrame:
    """One page of the matching events in the table's order (:func:`table_order`): ``row`` and the
    ``columns`` asked for."""
    return _select(run, where, columns, table_order(column, descending), limit, offset, (SORTS.get(column, "start"),))


def position(run: Run, where: Where, column: str, descending: bool, row: int) -> int | None:
    """Where the event at ``row`` stands among the matching events in the table's order (None if it
    does not match)."""
    found = run(
        f"SELECT place FROM (SELECT row, row_number() OVER (ORDER BY {table_order(column, descending)}) AS place "
        f"{where.source((SORTS.get(column, 'start'),))}) AS ranked WHERE row = ?",
        (*where.args, int(row)),
    )
    return int(str(found[0][0])) - 1 if found else None


def _select(
    run: Run, where: Where, columns: Sequence[str], order: str, limit: int, offset: int = 0, needs: Sequence[str] = ()
) -> pd.DataFrame:
    """The matching events' ``columns`` and ``row``, in ``order`` (of the columns ``needs``, besides
    :data:`SEARCH_COLUMNS`), at most ``limit`` from ``offset``."""
    # The rows first (a sort over two narrow columns), then their columns: reading every column of
    # every matching event to keep a few would cost far more.
    picked = [
        int(str(r))
        for (r,) in run(
            f"SELECT row {where.source(needs)} ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}",
            where.args,
        )
    ]
    return fetch_rows(run, picked, columns)


def fetch_rows(run: Run, picked: Sequence[int], columns: Sequence[str]) -> pd.DataFrame:
    """The events at the rows ``picked``, in that order: ``columns`` and ``row``."""
    names = [c for c in columns if c != "row"] + ["row"]
    if names == ["row"]:  # the rows alone: the first query gave them
        return pd.DataFrame({"row": np.array(picked, dtype=np.int64)})
    found: list[tuple[object, ...]] = []
    for i in range(0, len(picked), FETCH_BATCH):
        batch = picked[i : i + FETCH_BATCH]
        # Named through the table: a column such as "end" is a keyword, which each engine quotes its own way.
        found += run(
            f"SELECT {', '.join(f'{EVENTS}.{c}' for c in names)} FROM {EVENTS} "
            f"WHERE row IN ({', '.join('?' * len(batch))})",
            batch,
        )
    place = {r: i for i, r in enumerate(picked)}
    found.sort(key=lambda values: place[int(str(values[-1]))])
    return frame_of(found, names)


def frame_of(found: list[tuple[object, ...]], names: list[str]) -> pd.DataFrame:
    """Rows an engine gave (their columns ``names``, ``row`` among them) as the frame
    :func:`fetched` takes: row numbers as int64, theme masks as the unsigned bits they are."""
    frame = pd.DataFrame.from_records(found, columns=names)
    frame["row"] = frame["row"].astype(np.int64)
    if "theme_mask" in frame:
        frame["theme_mask"] = frame["theme_mask"].to_numpy(dtype=np.int64).view(np.uint64)
    return frame


def bucket_key(buckets: Buckets) -> str:
    """SQL for the calendar step an event starts in: its day, month or historian year divided by the
    step (floor). Every bucket edge starts such a step, so the keys order the events exactly as the
    edges do."""
    return f"floor({buckets.unit} / {buckets.step})"


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
        f"SELECT {key} AS k, theme_mask, count(*) {window.source()} GROUP BY {key}, theme_mask",
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


FETCH_BATCH = 1000
"""Rows fetched by one query (their numbers are its parameters)."""

FETCH_ORDERS = {"row": "row", "importance": "importance DESC, row"}


def fetch(run: Run, where: Where, columns: Sequence[str], order: str = "row", limit: int = 1) -> pd.DataFrame:
    """At most ``limit`` matching events, every column asked for and ``row``, chosen in ``order`` (row
    order, or the most important first: :data:`FETCH_ORDERS`) and given in row order."""
    return _select(run, where, columns, FETCH_ORDERS[order], limit).sort_values("row", kind="stable")


_EMPTY: dict[str, object] = {"f": np.nan, "i": 0, "u": 0, "b": False}
"""What stands for a column not fetched, per kind of its values (text: empty)."""


def fetched(timeline: Timeline, frame: pd.DataFrame) -> Timeline:
    """A timeline of the events ``frame`` holds (fetched from ``timeline``'s engine), with the same
    themes, eras and titles: what the figure and the panels are drawn from; the file's other columns
    where they were fetched (:func:`extra_columns`, as an export fetches them), else empty."""
    events = frame.copy()
    extras = pd.DataFrame(
        {c: events.pop(k) if k in events else "" for c, k in zip(timeline.extras.columns, extra_columns(timeline))},
        index=events.index,
    )
    for column, kind in timeline.events.dtypes.items():
        if column not in events:  # not fetched (a figure shows no descriptions): empty, of its kind
            empty = _EMPTY.get(kind.kind, "") if isinstance(kind, np.dtype) else ""
            events[column] = pd.Series([empty] * len(events), dtype=kind)
        elif column != "theme_mask":
            events[column] = events[column].astype(kind)
    events = events[[*timeline.events.columns, *(c for c in events.columns if c not in timeline.events.columns)]]
    extras = extras.astype("str").reset_index(drop=True)
    return replace(timeline, events=events.reset_index(drop=True), extras=extras, lives=empty_lives(), memo={})


UNDRAWN = ("description", "actors", "location", "source")
"""Text a figure never shows (its hover says title, date and themes): not fetched for it, nor their
language variants; the panels and exports fetch everything."""


EXTRA_COLUMN = "extra_{}"
"""An engine's name for the file's other columns (the first, the second, ...: ``Timeline.extras`` in
order): any engine names it unquoted, whatever the file called it."""


def extra_columns(timeline: Timeline) -> list[str]:
    """The engine's names of the file's other columns (:data:`EXTRA_COLUMN`)."""
    return [EXTRA_COLUMN.format(i) for i in range(len(timeline.extras.columns))]


def every_column(timeline: Timeline) -> list[str]:
    """The events' columns and the file's other columns: what an export fetches."""
    return [*timeline.events.columns, *extra_columns(timeline)]


def drawn_columns(timeline: Timeline) -> list[str]:
    """The events' columns a figure draws from."""
    return [
        c
        for c in timeline.events.columns
        if c not in UNDRAWN and not any(c.startswith(u + "_") for u in UNDRAWN) and not c.startswith("media")
    ]


TABLE_SHOWN = (
    "start",
    "end",
    "start_prec",
    "end_prec",
    "display_date",
    "end_display_date",
    "title",
    "theme_mask",
    "location",
)
"""What the table shows of an event (its date as written or at its precision, title, themes, place)."""


def table_columns(timeline: Timeline) -> list[str]:
    """The events' columns a table page is drawn from, language variants included."""
    return [c for c in timeline.events.columns if c in TABLE_SHOWN or c.rsplit("_", 1)[0] in TABLE_SHOWN]


def row_where(row: int) -> Where:
    return Where("row = ?", (int(row),))


def event(timeline: Timeline, row: int) -> Timeline | None:
    """The event at ``row`` of a timeline beyond memory, fetched alone (None if there is none)."""
    if timeline.engine is None:
        raise ValueError("this timeline is in memory")
    frame = fetch(timeline.engine, row_where(row), timeline.events.columns)
    return fetched(timeline, frame) if len(frame) else None


def same_time(timeline: Timeline, one: Timeline, limit: int) -> tuple[Timeline, SameTime]:
    """``query.same_time`` for the event ``one`` holds (fetched by :func:`event`): the events listed,
    fetched, and which they are (rows of those fetched)."""
    if timeline.engine is None:
        raise ValueError("this timeline is in memory")
    a, b, start, end = same_time_period(one, 0)  # no search: the period, whatever matches
    row = int(one.column("row")[0])
    where = Where(f"{EARLIEST} <= ? AND {LATEST} >= ? AND row <> ?", (float(b), float(a), row))
    total, _ = stats(timeline.engine, where)
    listed = _select(timeline.engine, where, timeline.events.columns, "start, row", limit)
    return fetched(timeline, listed), SameTime(np.arange(len(listed)), total, start, end)
