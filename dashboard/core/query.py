"""What the user is looking at (:class:`View`) and which events it selects.

A view is plain data: themes ticked, a date range as the user typed it, a
search text and the zoomed x range. It round-trips through a URL query string,
so a link restores it, and the app, the CLI and the exporter all filter with the
same function.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TypeVar
from urllib.parse import parse_qs, urlencode

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import dates, markup
from .memo import memo_of
from .model import Timeline, language_variant
from .written_dates import ORDER_OF_FILE

SEARCH_COLUMNS = ("title", "description", "actors", "location")
APOSTROPHES = "\u2018\u2019\u02bc"
"""Apostrophes as typed (a phone's keyboard types ’): searched for as the plain ' (both in the text and
in the words looked for)."""
_PLAIN_APOSTROPHES = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))
SCALES = ("time", "sequence", "log")
"""How the x axis reads: dates ("time", the default), events evenly spaced in date order
("sequence"), or years before present on a logarithmic axis ("log")."""

T = TypeVar("T")


MAX_STORY_STEP = 10_000_000
"""Largest story step a link or a page may ask for (more than any timeline's events)."""


@dataclass(frozen=True)
class View:
    """Filters, zoom and scale. ``themes=None`` means every theme; an empty tuple means none.
    ``x_range`` is in epoch ms whatever the scale."""

    themes: tuple[str, ...] | None = None
    start: str = ""
    end: str = ""
    text: str = ""
    x_range: tuple[float, float] | None = None
    scale: str = "time"
    story: int | None = None
    """The story's step shown (from 1; ``core.story``), None when no story is being told."""

    def to_query(self, all_themes: list[str] | None = None) -> str:
        """'?themes=security,trade&from=1945&to=2000&q=abe' (empty parts left out)."""
        params: dict[str, str] = {}
        if self.themes is not None and (all_themes is None or list(self.themes) != list(all_themes)):
            params["themes"] = ",".join(self.themes)
        if self.start.strip():
            params["from"] = self.start.strip()
        if self.end.strip():
            params["to"] = self.end.strip()
        if self.text.strip():
            params["q"] = self.text.strip()
        if self.x_range is not None:
            params["x0"] = f"{self.x_range[0]:.0f}"
            params["x1"] = f"{self.x_range[1]:.0f}"
        if self.scale != "time":
            params["scale"] = self.scale
        if self.story is not None:
            params["story"] = str(self.story)
        return "?" + urlencode(params, safe=",") if params else ""

    @classmethod
    def from_query(cls, query: str, all_themes: list[str]) -> View:
        """Parse a query string; unknown themes, scales and malformed zoom values are dropped."""
        q = parse_qs(query.lstrip("?"), keep_blank_values=True)

        def one(key: str) -> str:
            return q.get(key, [""])[-1]

        themes: tuple[str, ...] | None = None
        if "themes" in q:
            wanted = {t.strip().lower() for t in one("themes").split(",") if t.strip()}
            themes = tuple(t for t in all_themes if t.lower() in wanted)
        x_range = dates.checked_range(one("x0"), one("x1")) if "x0" in q and "x1" in q else None
        scale = one("scale").strip().lower()
        step = one("story").strip()
        digits = step.lstrip("0")  # leading zeros neither hide a number past the limit nor make int() raise
        return cls(
            themes=themes,
            start=one("from"),
            end=one("to"),
            text=one("q"),
            x_range=x_range,
            scale=scale if scale in SCALES else "time",
            story=int(digits)
            if step.isascii() and step.isdigit() and 0 < len(digits) <= 9 and int(digits) <= MAX_STORY_STEP
            else None,
        )

    def with_themes(self, themes: list[str] | tuple[str, ...] | None) -> View:
        return replace(self, themes=None if themes is None else tuple(themes))


def possible_span(timeline: Timeline) -> tuple[np.ndarray, np.ndarray]:
    """Each event's earliest and latest possible ms, never narrower than its start and last (which
    they are where a table has no such columns): the date filter keeps an event whose possible span
    overlaps the range. Computed once per timeline."""
    if "possible_span" not in timeline.memo:  # a race computes the same arrays twice, harmlessly
        ev = timeline.events
        start, last = ev["start"].to_numpy(), ev["last"].to_numpy()
        lo = np.fmin(ev["earliest"].to_numpy(), start) if "earliest" in ev else start
        hi = np.fmax(ev["latest"].to_numpy(), last) if "latest" in ev else last
        timeline.memo["possible_span"] = lo, hi
    span: tuple[np.ndarray, np.ndarray] = timeline.memo["possible_span"]
    return span


def date_bounds(view: View) -> tuple[float, float]:
    """(first ms, last ms) of the date filter, as widely as its dates may mean ("c. 1600" in From
    starts the range in 1590); ValueError names a bad bound."""

    def bound(text: str, box: str, end: int) -> float:
        try:
            return float(dates.parse_date_span(text)[end])
        except ValueError as exc:  # a date typed in a box has no file to say its order of
            raise ValueError(f"{box}: {str(exc).replace(ORDER_OF_FILE, '')}") from None

    lo = bound(view.start, "From", 0) if view.start.strip() else -np.inf
    hi = bound(view.end, "To", 1) if view.end.strip() else np.inf
    if lo > hi:
        raise ValueError(f"From ({view.start.strip()}) is after To ({view.end.strip()})")
    return lo, hi


def applied_dates(view: View) -> tuple[View, str]:
    """The view with its dates when they can be applied, else without them, and what is wrong with
    them ("" when nothing is): a page opened on a link with a bad date, or a date half typed, still
    shows the events the other filters match, the problem said beside them, rather than nothing or
    the events of the dates typed before."""
    try:
        date_bounds(view)
    except ValueError as exc:
        return replace(view, start="", end=""), str(exc)
    return view, ""


def theme_bits(timeline: Timeline, themes: tuple[str, ...] | None) -> np.uint64:
    if themes is None:
        themes = tuple(timeline.themes)
    bits = 0
    for i, t in enumerate(timeline.themes):
        if t in themes:
            bits |= 1 << i
    return np.uint64(bits)


def match_without_themes(timeline: Timeline, view: View) -> np.ndarray:
    """Row indices matching the date range and the text, whatever their themes."""
    ev = timeline.events
    lo, hi = date_bounds(view)
    if np.isfinite(lo) or np.isfinite(hi):
        earliest, latest = possible_span(timeline)
        keep = (latest >= lo) & (earliest <= hi)
        rows = np.flatnonzero(keep)
    else:
        rows = np.arange(len(ev))
    return _text_match(timeline, rows, view.text)


FILTER_MEMO_SIZE = 16
"""Filter and sort results kept per timeline (zooming and panning reuse them)."""


def _memoised(timeline: Timeline, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per key and timeline, however many requests ask at once."""
    return memo_of(timeline.memo, "filters", FILTER_MEMO_SIZE).get(key, compute)


def filter_key(view: View) -> tuple[str, str, tuple[str, ...]]:
    """What of a view decides its matches besides its themes (dates and search words): results
    derived from the matches are remembered under it."""
    return view.start.strip(), view.end.strip(), search_terms(view.text)


MAX_SEARCH_CHARS = 10_000
"""Longest search text read at all (a typed query is far shorter)."""
MAX_SEARCH_WORDS = 12
"""Most distinct words a search may need (after repeated and contained words are dropped)."""
MAX_WORD_CHARS = 100
"""Longest word searched for."""
TITLE_SCOPE = "title:"
"""Written before a search word (``title:summit``): the word is looked for in titles alone (a pass
over far less text than every column's: at 100M events, the one search that can be quick)."""


def search_terms(text: str) -> tuple[str, ...]:
    """The words an event must contain, the fewest that say the same: lower case, no repeats, and no
    word that is part of another (an event containing 'treaty' contains 'treat'). A word written
    ``title:word`` must be in the title (kept so: see :func:`term_scope`); one in any column is part
    of a word of the title. Longest first, as it is likely the most selective. ValueError past the
    documented limits."""
    if len(text) > MAX_SEARCH_CHARS:
        raise ValueError(f"Search: at most {MAX_SEARCH_CHARS:,} characters (this one has {len(text):,})")
    words: set[tuple[bool, str]] = set()  # (in the title only, the word)
    for token in text.split():
        word = "".join(ch for ch in token if ch.isprintable()).lower().translate(_PLAIN_APOSTROPHES)
        if word.removeprefix(TITLE_SCOPE):
            words.add(term_scope(word))
    long = [w for _, w in words if len(w) > MAX_WORD_CHARS]
    if long:
        raise ValueError(f"Search: words of at most {MAX_WORD_CHARS} characters (one has {len(long[0]):,})")
    # an event matching a term matches every word part of it, and a title word's anywhere too
    ordered = sorted(words, key=lambda t: (-len(t[1]), not t[0], t[1]))
    kept = [
        (TITLE_SCOPE if title else "") + word
        for i, (title, word) in enumerate(ordered)
        if not any(word in longer and (in_title or not title) for in_title, longer in ordered[:i])
    ]
    if len(kept) > MAX_SEARCH_WORDS:
        raise ValueError(f"Search: at most {MAX_SEARCH_WORDS} different words (this one has {len(kept)})")
    return tuple(kept)


def term_scope(term: str) -> tuple[bool, str]:
    """A term of :func:`search_terms` as (in the title only, the word)."""
    return (True, term[len(TITLE_SCOPE) :]) if term.startswith(TITLE_SCOPE) else (False, term)


def filter_events(timeline: Timeline, view: View) -> np.ndarray:
    """Row indices of the events the view shows: any ticked theme, in the date range, matching the text.

    The cheap numeric filters run first so that text is searched only in what they leave. Results
    are remembered per timeline, so zooming and panning with the same filters costs nothing here.
    """

    def compute() -> np.ndarray:
        rows = _filter(timeline, view)
        rows.setflags(write=False)
        return rows

    return _memoised(timeline, ("rows", view.themes, *filter_key(view)), compute)


def facet_counts(timeline: Timeline, view: View) -> dict[str, int]:
    """Per theme, how many events match the view's dates and text (whatever themes are ticked)."""
    return _memoised(
        timeline, ("facets", *filter_key(view)), lambda: theme_counts(timeline, match_without_themes(timeline, view))
    )


def _filter(timeline: Timeline, view: View) -> np.ndarray:
    ev = timeline.events
    bits = theme_bits(timeline, view.themes)
    lo, hi = date_bounds(view)
    keep = (ev["theme_mask"].to_numpy() & bits) != 0
    if np.isfinite(lo) or np.isfinite(hi):
        earliest, latest = possible_span(timeline)
        keep &= (latest >= lo) & (earliest <= hi)
    return _text_match(timeline, np.flatnonzero(keep), view.text)


SEARCH_THREADS = 2
_pools: dict[int, ThreadPoolExecutor] = {}


def _search_pool() -> ThreadPoolExecutor:
    """This process's search threads (a forked server worker must not use its parent's)."""
    pid = os.getpid()
    if pid not in _pools:
        _pools[pid] = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="timeline-search")
    return _pools[pid]


def haystack(timeline: Timeline) -> pa.Array:
    """Title, description, actors and location of each event in one string (built at the first search).

    One pass over one column is much faster than four, and arrow releases the GIL, so halves
    of it are searched on both cores at once.
    """

    def build() -> pa.Array:
        return _joined(timeline, SEARCH_COLUMNS)

    return memo_of(timeline.memo, "haystack", 1).get("haystack", build)


def title_haystack(timeline: Timeline) -> pa.Array:
    """The titles as :func:`haystack` holds them, alone (``title:`` words are looked for in them)."""

    def build() -> pa.Array:
        return _joined(timeline, ("title",))

    return memo_of(timeline.memo, "title haystack", 1).get("title haystack", build)


def _joined(timeline: Timeline, columns: Sequence[str]) -> pa.Array:
    """``columns`` and their variants in other languages (``title_ja``) in one string per event, their
    apostrophes plain."""
    ev = timeline.events
    names = [c for c in columns if c in ev]
    names += [c for c in ev.columns if (v := language_variant(c)) is not None and v[0] in columns]
    cols = [
        pa.chunked_array(pa.array(_searchable(timeline, c))).cast(pa.large_string()).combine_chunks() for c in names
    ]
    sep = pa.scalar("\x1f", pa.large_string())
    joined = pc.binary_join_element_wise(*cols, sep) if len(cols) > 1 else cols[0]
    return plain_apostrophes(joined)


def plain_apostrophes(text: pa.Array) -> pa.Array:
    """``text`` with each of :data:`APOSTROPHES` as the plain ', rewritten only for those its bytes hold:
    most files hold none, and a replacement reads every row (a regular expression of the three took
    most of the time a search index of every column takes to build)."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return pc.replace_substring_regex(text, f"[{APOSTROPHES}]", "'")  # bytes laid out otherwise
    data = text.buffers()[2]
    if data is None:
        return text
    raw = np.frombuffer(data, dtype=np.uint8)
    leads: dict[int, np.ndarray] = {}  # where each first byte is (’ and ‘ share theirs): one pass each
    for apostrophe in APOSTROPHES:
        pattern = apostrophe.encode()
        if pattern[0] not in leads:
            leads[pattern[0]] = np.flatnonzero(raw[: len(raw) - len(pattern) + 1] == pattern[0])
        if _holds(raw, leads[pattern[0]], pattern):
            text = pc.replace_substring(text, apostrophe, "'")
    return text


def _holds(raw: np.ndarray, at: np.ndarray, pattern: bytes) -> bool:
    """Whether the bytes ``raw`` hold ``pattern`` at any of ``at`` (where its first byte is)."""
    for i, byte in enumerate(pattern[1:], 1):
        at = at[raw[at + i] == byte]
    return len(at) > 0


def _searchable(timeline: Timeline, column: str) -> Sequence[str]:
    """A column's text as readers see it: imported HTML (TimelineJS) without its tags and attributes."""
    values: Sequence[str] = timeline.events[column].array
    if not timeline.rich_text:
        return values
    return [markup.to_plain(v) if markup.looks_like_html(v) else v for v in values]


def _contains(hay: pa.Array, term: str) -> np.ndarray:
    def part(a: pa.Array) -> np.ndarray:
        found: np.ndarray = pc.match_substring(a, term, ignore_case=True).to_numpy(zero_copy_only=False)
        return found

    n = len(hay)
    if n < 100_000:
        return part(hay)
    cut = n // SEARCH_THREADS
    pieces = [hay.slice(i * cut, cut if i < SEARCH_THREADS - 1 else n - i * cut) for i in range(SEARCH_THREADS)]
    return np.concatenate(list(_search_pool().map(part, pieces)))


def _text_match(timeline: Timeline, rows: np.ndarray, text: str) -> np.ndarray:
    """The rows where every word of ``text`` occurs, in any case, in the searchable columns.

    Each word narrows the rows the next one searches, and the search stops as soon as none is left."""
    terms = search_terms(text)
    if not terms or len(rows) == 0:
        return rows
    n = len(timeline.events)
    if len(rows) * 4 >= n:  # most rows: the first word over the whole column, no gather
        in_title, word = term_scope(terms[0])
        ok = np.zeros(n, dtype=bool)
        ok[rows] = True
        ok &= _contains(title_haystack(timeline) if in_title else haystack(timeline), word)
        rows, terms = np.flatnonzero(ok), terms[1:]
        if not terms or len(rows) == 0:
            return rows
    parts: dict[bool, pa.Array] = {}
    for term in terms:
        in_title, word = term_scope(term)
        if in_title not in parts:
            parts[in_title] = (title_haystack(timeline) if in_title else haystack(timeline)).take(pa.array(rows))
        keep = _contains(parts[in_title], word)
        rows = rows[keep]
        if len(rows) == 0:
            break
        parts = {scope: part.filter(pa.array(keep)) for scope, part in parts.items()}
    return rows


SORT_COLUMNS = {"when": "start", "title": "title", "location": "location", "themes": "theme_mask"}


def sorted_rows(timeline: Timeline, view: View, rows: np.ndarray, column: str, descending: bool) -> np.ndarray:
    """``rows`` ordered for the table (by date unless told otherwise); remembered like the filters."""
    field = SORT_COLUMNS.get(column, "start")

    def compute() -> np.ndarray:
        values = timeline.events[field].iloc[rows] if len(rows) else timeline.events[field].iloc[:0]
        if field in ("start", "theme_mask"):
            order = np.argsort(values.to_numpy(), kind="stable")
        else:  # text in any case ("US–Japan tariff" before "US–Japan Trade"), ties in row order
            order = pc.sort_indices(pc.utf8_lower(pa.array(values.array))).to_numpy()
        out = rows[order[::-1] if descending else order]
        out.setflags(write=False)
        return out

    return _memoised(timeline, ("sorted", view.themes, *filter_key(view), field, descending), compute)


def theme_counts(timeline: Timeline, rows: np.ndarray) -> dict[str, int]:
    """How many of ``rows`` carry each theme."""
    masks = timeline.events["theme_mask"].to_numpy()[rows]
    return {t: int(np.count_nonzero((masks >> np.uint64(i)) & np.uint64(1))) for i, t in enumerate(timeline.themes)}


SAME_TIME_SHOWN = 10
"""Most events listed "at the same time" as a selected one (the rest are counted)."""


@dataclass(frozen=True)
class SameTime:
    """The events at the same time as a selected one, and the period they share."""

    rows: np.ndarray
    """The first of them by date (at most the limit asked for)."""
    total: int
    """How many there are in all."""
    start: str
    """The period, as the From and To boxes take it: the event's possible span, a point event's whole year."""
    end: str


def same_time(timeline: Timeline, row: int, limit: int = SAME_TIME_SHOWN) -> SameTime:
    """The other events whose possible span overlaps the event at ``row``'s, ordered by date.

    A period (an event with an end date) is its possible span; a point event is its whole year (and
    more, if its possible span is wider), so that "7 Dec 1941" finds the rest of 1941.
    """
    a, b, start, end = same_time_period(timeline, row)
    lo, hi = possible_span(timeline)
    keep = (lo <= b) & (hi >= a)
    keep[row] = False
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(timeline.events["start"].to_numpy()[rows], kind="stable")]
    return SameTime(rows=rows[:limit], total=len(rows), start=start, end=end)


def same_time_period(timeline: Timeline, row: int) -> tuple[float, float, str, str]:
    """(first ms, last ms, From, To) of the period :func:`same_time` looks in for the event at ``row``."""
    lo, hi = possible_span(timeline)
    ev = timeline.events
    a, b = float(lo[row]), float(hi[row])
    first_prec = last_prec = dates.YEAR
    if np.isnan(ev["end"].iloc[row]):
        year = dates.civil_from_days(np.array([int(float(ev["start"].iloc[row]) // dates.MS_PER_DAY)]))[0]
        one = np.ones(1, dtype=np.int64)
        a = min(a, float(dates.days_from_civil(year, one, one)[0] * dates.MS_PER_DAY))
        b = max(b, float(dates.days_from_civil(year + 1, one, one)[0] * dates.MS_PER_DAY - 1))
    else:
        if a == float(ev["start"].iloc[row]):
            first_prec = int(ev["start_prec"].iloc[row])
        if b == float(ev["last"].iloc[row]):
            last_prec = int(ev["end_prec"].iloc[row])
    start, end = dates.to_iso([a, b], [first_prec, last_prec])
    return a, b, str(start), str(end)
