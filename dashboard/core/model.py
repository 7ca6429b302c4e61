"""The timeline model: validated events and eras (:class:`Timeline`), and what can be wrong with an
input (:class:`Problem`, :class:`ValidationError`). Plain data: no files, no Dash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .lives import LIFE_END, LIFE_START, empty_lives
from .media import MEDIA_COLUMNS

STORY_COLUMN = "story"
"""The optional column of whole numbers that picks and orders a story's events (``core.story``)."""

EXTRA_PREFIX = "extra:"
"""How the file's other columns are named beside the events' own where they share one table (a
cache, a store's pieces): ``extra:colour``. No column of ours has a colon, so the names never meet."""

REQUIRED_COLUMNS = ("date", "title")
"""What every file has (under these names or others, see ``core.columns``); without a theme column
all events share one lane, named after the file."""
OPTIONAL_COLUMNS = (
    "themes",
    "id",
    "end_date",
    "description",
    "actors",
    "location",
    "source",
    "importance",
    "kind",
    "display_date",
    "end_display_date",
    "calendar",
    LIFE_START,
    LIFE_END,
    *MEDIA_COLUMNS,
    STORY_COLUMN,
)
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TEXT_COLUMNS = ("title", "description", "actors", "location", "source", "display_date", "end_display_date")
"""Free text kept per event. display_date / end_display_date, when given, are shown instead of the
computed date (TimelineJS's "Display Date")."""
MEDIA_TEXT_COLUMNS = ("media_caption", "media_credit")
"""The media columns that are free text (with language variants, ``media_caption_ja``); they and the
media addresses are kept only for a file that has any media column, so a file without stays as small."""
LANGUAGE_VARIANT = re.compile(r"^(?P<base>[a-z_]+?)_(?P<lang>[a-z]{2})$")
"""``title_ja``, ``description_ja``: a text column in another language (an ISO 639-1 code), shown when
the reader's language is that one and the cell is not empty; the plain column otherwise."""


def has_variants(base: str) -> bool:
    """Whether a column may have language variants (``title_ja``): the free text columns."""
    return base in TEXT_COLUMNS or base in MEDIA_TEXT_COLUMNS


def language_variant(column: str) -> tuple[str, str] | None:
    """(text column, language) when ``column`` is a language variant of a known column, else None."""
    found = LANGUAGE_VARIANT.match(column)
    if found is None or found["base"] not in KNOWN_COLUMNS:
        return None
    return found["base"], found["lang"]


def in_language(frame: pd.DataFrame, column: str, lang: str) -> np.ndarray:
    """A text column of ``frame`` (an era table, say) in ``lang`` where it gives one (``title_ja``),
    else as written in the plain column."""
    plain: np.ndarray = frame[column].to_numpy(dtype=object)
    if f"{column}_{lang}" not in frame:
        return plain
    local = frame[f"{column}_{lang}"].to_numpy(dtype=object)
    out: np.ndarray = np.where(local != "", local, plain)
    return out


FORMULA_START = "=+-@\t\r"
"""A cell starting with one of these runs as a formula in a spreadsheet: exports write it as
``'=...``, and the loader reads ``'=...`` back as ``=...``, so a round trip loses nothing."""
NOT_TEXT = ("date", "end_date", "importance", "kind", "calendar", LIFE_START, LIFE_END, STORY_COLUMN)
"""Columns read as values (dates, numbers, codes), not text: never read or written as ``'=...``."""
CALENDARS = ("gregorian", "julian")
"""Calendars a date may be written in (the ``calendar`` column, any case; empty is gregorian)."""
DATE_TEXT_COLUMNS = ("date_text", "end_date_text")
"""The date and end date as written, kept where they use a form beyond YYYY-MM-DD or the Julian
calendar (empty otherwise): exports write them back as written."""

THEME_VOCABULARY = {
    "diplomacy": "treaties, summits, state visits, speeches",
    "security": "alliances, bases, defence policy",
    "trade": "commerce, economic agreements and disputes",
    "war": "armed conflict",
    "china": "events involving China",
    "korea": "the Korean peninsula, North Korea included",
    "memory": "remembrance, reconciliation, apology",
    "politics": "domestic politics and changes of leader",
}
"""The shipped dataset's themes, in lane order. Other files may use any themes."""

MAX_THEMES = 64
DEFAULT_IMPORTANCE = 3
KINDS = ("event", "era")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    line: int | None
    column: str | None
    value: str | None
    expected: str
    cell: str | None = None
    """Where a spreadsheet shows it (``Sheet1!C7``), said instead of the line."""

    def describe(self, source: str = "") -> str:
        where = [source] if source else []
        if self.cell is not None:
            where.append(self.cell)
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        head = ", ".join(where)
        value = ""
        if self.value is not None:
            shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
            value = f"{shown!r}: " if shown else "(empty): "
        return f"{head}: {value}expected {self.expected}" if head else f"{value}expected {self.expected}"


class ValidationError(Exception):
    """The input cannot be loaded; ``problems`` says why, all of it."""

    def __init__(
        self,
        source: str,
        problems: list[Problem],
        columns: Sequence[str] = KNOWN_COLUMNS,
        header: Sequence[str] | None = None,
        preview: Sequence[Sequence[str]] = (),
    ) -> None:
        """``columns``: the order of columns within a line (ours, or as the file names them);
        ``header``: the file's header as written, when the header is what is wrong (so that a page
        can offer to say which column is which)."""
        self.source = source
        self.columns = tuple(columns)
        self.header = tuple(header) if header is not None else None
        self.preview = tuple(tuple(row) for row in preview)
        """The file's first rows, under ``header``: what a page shows beside its choice of columns."""
        rank = {c: i for i, c in enumerate(self.columns)}
        self.problems = sorted(problems, key=lambda p: (p.line or 0, rank.get(p.column or "", len(rank))))
        super().__init__(self.report(limit=20))

    @classmethod
    def of_file(cls, source: str, expected: str) -> ValidationError:
        """The one problem of a file as a whole (no line, column or value): what it should have been."""
        return cls(source, [Problem(None, None, None, expected)])

    def report(self, limit: int | None = None) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        n = len(self.problems)
        lines = [f"{self.source}: {n} problem{'s' if n != 1 else ''} found"]
        lines += ["  " + p.describe() for p in shown]
        if len(shown) < n:
            lines.append(f"  ... and {n - len(shown)} more")
        return "\n".join(lines)


@contextmanager
def locating(where: Callable[[Problem], Problem]) -> Iterator[None]:
    """Problems raised inside are said where the file's own reader shows them (``where`` rewrites
    each: a workbook's ``Sheet1!C7``, a Parquet file's ``row 7``), everything else kept."""
    try:
        yield
    except ValidationError as exc:
        located = [where(p) for p in exc.problems]
        raise ValidationError(exc.source, located, exc.columns, exc.header, exc.preview) from None


@dataclass
class Timeline:
    """A validated set of events and eras.

    ``events`` columns: id, start, last (float64 epoch ms: the first and the last
    millisecond the event most likely covers), end (epoch ms of the end date's start, NaN for
    point events), start_prec, end_prec (int8 precision codes), earliest, latest (float64
    epoch ms: the first and last millisecond the event MAY cover, wider than start..last for
    "c. 1600", "156X", "[1590..1610]"), julian (bool: written in the Julian calendar),
    theme_mask (uint64, bit i = ``themes[i]``), importance (int8), title, description, actors,
    location, source, display_date, end_display_date, date_text, end_date_text (strings); and when the
    file has them, the media columns (``core.media.MEDIA_COLUMNS``, strings, all four when it has any)
    and ``story`` (float64, NaN where empty).
    ``eras`` has the same columns but theme_mask. ``lives``: the birth and death beside some events
    (see :mod:`dashboard.core.lives`). A timeline of several files has ``topics`` (one per file, in
    order), ``theme_topics`` (each theme's topic) and a ``topic`` column (int16) in events and eras.
    """

    events: pd.DataFrame
    themes: list[str]
    eras: pd.DataFrame
    source_name: str
    title: str | None = None
    extras: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The file's other columns, one row per event (text), written back by the CSV export."""
    era_extras: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The same for each era, with ``themes`` as written (an era's themes make no lane, but they are
    the file's): what the CSV export writes on the eras' rows."""
    lives: pd.DataFrame = field(default_factory=empty_lives)
    topics: list[str] = field(default_factory=list)
    """The files a timeline of several files was made of, as their names are shown; empty for one file."""
    theme_topics: list[int] = field(default_factory=list)
    """Each theme's topic (an index into ``topics``); empty for one file."""
    cover: dict[str, str] = field(default_factory=dict)
    """The timeline's cover (a TimelineJS title slide), which opens its story: ``title``,
    ``description``, and the media columns (``core.media.MEDIA_COLUMNS``); empty when it has none."""
    rich_text: bool = False
    """Descriptions are HTML (imported from TimelineJS), to be shown sanitised; else plain text."""
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Results derived from this (immutable) table, kept with it: filter results, theme combinations."""
    engine: Callable[[str, Sequence[object]], list[tuple[object, ...]]] | None = field(
        default=None, repr=False, compare=False
    )
    """Beyond memory: the engine holding the events (``core.sql.Run``), which answers the page's
    questions; ``events`` is then empty, or holds the few events fetched for one answer (their row
    numbers in the ``row`` column)."""
    total: int | None = None
    """How many events the engine holds (None: those in ``events``, all in memory)."""
    preview_of: int = 0
    """A preview: the first ``total`` rows of a dataset of this many, served while the rest are still
    being validated (0: the whole dataset)."""

    @property
    def size(self) -> int:
        """How many events the timeline has, wherever they are."""
        return len(self.events) if self.total is None else self.total

    def row_numbers(self, rows: np.ndarray) -> np.ndarray:
        """The timeline's own row numbers of ``rows`` of ``events`` (they differ for fetched events)."""
        return self.column("row")[rows] if "row" in self.events else rows

    def text(self, column: str, rows: Any, lang: str | None = None) -> np.ndarray:
        """A text column's cells for ``rows`` (an array of row numbers) in ``lang`` where the file gives
        them (``title_ja``), else as written in the plain column."""
        plain: np.ndarray = self.events[column].iloc[rows].to_numpy(dtype=object)
        variant = f"{column}_{lang}"
        if lang and variant in self.events:
            local = self.events[variant].iloc[rows].to_numpy(dtype=object)
            return np.where(local != "", local, plain)
        return plain

    def theme_names(self, mask: int) -> list[str]:
        return [t for i, t in enumerate(self.themes) if mask >> i & 1]

    def column(self, name: str) -> np.ndarray:
        """A numeric events column as a numpy array (no copy)."""
        values: np.ndarray = self.events[name].to_numpy()
        return values

    def theme_combinations(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct theme masks, each event's index into them): counting per combination and then
        per lane is how a million events are aggregated in milliseconds."""
        if "combos" not in self.memo:
            self.memo["combos"] = np.unique(self.column("theme_mask"), return_inverse=True)
        combos: tuple[np.ndarray, np.ndarray] = self.memo["combos"]
        return combos


def with_extras(frame: pd.DataFrame, extras: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns of ``extras`` (the same rows) beside its own, as ``extra:NAME``."""
    return frame.assign(**{EXTRA_PREFIX + str(c): extras[c].to_numpy(dtype=object) for c in extras.columns})


def without_extras(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``frame`` without its ``extra:NAME`` columns, those columns named NAME, as text): the split
    :func:`with_extras` undoes."""
    named = [c for c in frame.columns if str(c).startswith(EXTRA_PREFIX)]
    extras = pd.DataFrame({c[len(EXTRA_PREFIX) :]: frame[c].fillna("").astype("str") for c in named}, index=frame.index)
    return frame.drop(columns=named), extras


def normalise_column(name: str) -> str:
    """'End Date ' -> 'end_date': headers as people type them."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())
