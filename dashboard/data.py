"""Load and validate an events CSV into a typed table.

The loader never fails with a traceback and never skips a row silently: it
either returns a :class:`Timeline` or raises :class:`ValidationError` listing
*every* problem with its line number as in the file (header = line 1), the
column, the value and what was expected.

Parsing uses pyarrow's CSV reader (a million rows in well under a second) and
validates whole columns at once. Line numbers are only needed when something is
wrong, so they are worked out then, with Python's csv module, which follows
quoted fields across lines exactly as the file is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import dates

REQUIRED_COLUMNS = ("date", "title", "themes")
OPTIONAL_COLUMNS = ("id", "end_date", "description", "actors", "location", "source", "importance", "kind",
                    "display_date", "end_display_date")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TEXT_COLUMNS = ("title", "description", "actors", "location", "source", "display_date", "end_display_date")
"""Free text kept per event. display_date / end_display_date, when given, are shown instead of the
computed date (TimelineJS's "Display Date")."""
FORMULA_START = "=+-@\t\r"
"""A cell starting with one of these runs as a formula in a spreadsheet: exports write it as
``'=...``, and the loader reads ``'=...`` back as ``=...``, so a round trip loses nothing."""
NOT_TEXT = ("date", "end_date", "importance", "kind")

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

    def describe(self, source: str = "") -> str:
        where = [source] if source else []
        if self.line is not None:
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

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line or 0, KNOWN_COLUMNS.index(p.column)
                                                         if p.column in KNOWN_COLUMNS else 99))
        super().__init__(self.report(limit=20))

    def report(self, limit: int | None = None) -> str:
        shown = self.problems if limit is None else self.problems[:limit]
        n = len(self.problems)
        lines = [f"{self.source}: {n} problem{'s' if n != 1 else ''} found"]
        lines += ["  " + p.describe() for p in shown]
        if len(shown) < n:
            lines.append(f"  ... and {n - len(shown)} more")
        return "\n".join(lines)


@dataclass
class Timeline:
    """A validated set of events and eras.

    ``events`` columns: id, start, last (float64 epoch ms: the first and the last
    millisecond the event covers), end (epoch ms of the end date's start, NaN for
    point events), start_prec, end_prec (int8 precision codes), theme_mask (uint64,
    bit i = ``themes[i]``), importance (int8), title, description, actors,
    location, source (strings). ``eras`` has the same columns but theme_mask.
    """

    events: pd.DataFrame
    themes: list[str]
    eras: pd.DataFrame
    source_name: str
    title: str | None = None
    extras: pd.DataFrame = field(default_factory=pd.DataFrame)
    rich_text: bool = False
    """Descriptions are HTML (imported from TimelineJS), to be shown sanitised; else plain text."""
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    """Results derived from this (immutable) table, kept with it: filter results, theme combinations."""

    def theme_names(self, mask: int) -> list[str]:
        return [t for i, t in enumerate(self.themes) if mask >> i & 1]

    def column(self, name: str) -> np.ndarray:
        """A numeric events column as a numpy array (no copy)."""
        return self.events[name].to_numpy()

    def theme_combinations(self) -> tuple[np.ndarray, np.ndarray]:
        """(distinct theme masks, each event's index into them): counting per combination and then
        per lane is how a million events are aggregated in milliseconds."""
        if "combos" not in self.memo:
            self.memo["combos"] = np.unique(self.column("theme_mask"), return_inverse=True)
        return self.memo["combos"]


def normalise_column(name: str) -> str:
    """'End Date ' -> 'end_date': headers as people type them."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def load_timeline(source: str | Path | bytes, name: str | None = None) -> Timeline:
    """Read a CSV file (path or bytes) into a :class:`Timeline`, or raise ValidationError."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValidationError(name, [Problem(None, None, str(path), f"a readable file ({exc.strerror or exc})")])
    else:
        data = bytes(source)
        name = name or "upload"
    return parse_events(data, name)


def parse_events(data: bytes, name: str) -> Timeline:
    """Validate a file's bytes: the project's CSV, or a TimelineJS spreadsheet (CSV) or JSON."""
    from . import timelinejs

    kind = timelinejs.detect(data)
    if kind is not None:
        table, lines, problems, title = timelinejs.read_timelinejs(data, kind, name)
        timeline = _validate(table, lines, problems, data, 0, name)
        timeline.title, timeline.rich_text = title, True
        return timeline
    data, offset = _decode(data, name)
    table, lines, problems = _read_table(data, offset, name)
    return _validate(table, lines, problems, data, offset, name)


# -- bytes to text ---------------------------------------------------------

_NON_SPACE = re.compile(rb"\S")


def _decode(data: bytes, name: str) -> tuple[bytes, int]:
    """UTF-8 bytes and where the text starts (after a BOM); ValidationError for empty or binary input.

    Large files are not copied; whether the text is valid UTF-8 is left to the CSV reader, and only
    when it refuses is the file decoded here to say where.
    """
    offset = 0
    if data.startswith(b"\xef\xbb\xbf"):
        offset = 3
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(name, [Problem(None, None, None, "UTF-16 text after the UTF-16 byte-order mark")])
    if not _NON_SPACE.search(data, offset):
        raise ValidationError(name, [Problem(None, None, None,
                                             "a CSV file with a header line naming the columns "
                                             f"({', '.join(REQUIRED_COLUMNS)}, ...): the file is empty")])
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError(name, [Problem(None, None, None,
                                             "CSV text: this is a zip archive (an Excel .xlsx workbook?); "
                                             "save the sheet as 'CSV UTF-8' and load that")])
    nul = data.find(b"\x00", offset)
    if nul >= 0:
        line = data.count(b"\n", offset, nul) + 1
        raise ValidationError(name, [Problem(line, None, None,
                                             "CSV text: the file holds binary data (a NUL byte)")])
    return data, offset


def _text_of(data: bytes, offset: int, name: str) -> str:
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        pos = offset + exc.start
        line = data.count(b"\n", offset, pos) + 1
        bad = data[pos:pos + 1].hex().upper()
        raise ValidationError(name, [Problem(line, None, None,
                                             f"UTF-8 text: byte 0x{bad} is not UTF-8 (the file may be in a "
                                             "legacy encoding such as Windows-1252); save it as 'CSV UTF-8'")])


# -- text to a table of strings ---------------------------------------------

def _records(text: str):
    """(first line, fields) for every non-blank record, as Python's csv module reads it."""
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
            start = reader.line_num + 1
            continue
        if fields:
            yield start, fields
        start = reader.line_num + 1


def _read_table(data: bytes, offset: int, name: str) -> tuple[pa.Table, np.ndarray | None, list[Problem]]:
    """Columns of strings under normalised names; line numbers when they were needed to read it."""
    ragged: list[int] = []

    def on_invalid(row) -> str:
        ragged.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(offset)),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 column_types=_all_strings(data, offset)),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        table = None
    if table is not None and not ragged and table.num_rows >= 1:
        header = [str(v) for v in table.slice(0, 1).to_pylist()[0].values()]
        body = table.slice(1)
        return _name_columns(body, header, name), None, []
    return _read_table_slowly(_text_of(data, offset, name), name)


def _all_strings(data: bytes, offset: int) -> dict[str, pa.DataType]:
    """Every column as text (autogenerated names f0, f1, ...): we validate, not pyarrow."""
    eol = data.find(b"\n", offset)
    first = data[offset:eol if eol >= 0 else len(data)]
    try:
        width = max(len(next(csv.reader([first.decode("utf-8", "replace")]), [])), 1) + 64
    except csv.Error:  # not CSV-shaped: let the reader (and then the slow path) say so
        width = 64
    return {f"f{i}": pa.string() for i in range(width)}


def _read_table_slowly(text: str, name: str) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    """Python's csv module: slower, but it knows each record's line and reads any shape."""
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    for line, fields in _records(text):
        if isinstance(fields, csv.Error):
            problems.append(Problem(line, None, None, f"well-formed CSV ({fields})"))
            continue
        if header is None:
            header = fields
            continue
        if len(fields) != len(header):
            text = ",".join(fields)
            problems.append(Problem(line, None, text,
                                    f"{len(header)} fields as in the header, found {len(fields)} "
                                    "(a comma inside a value needs the value in double quotes)"))
            continue
        rows.append(fields)
        lines.append(line)
    if header is None:
        raise ValidationError(name, problems or [Problem(None, None, None, "a header line")])
    columns = list(zip(*rows)) if rows else [() for _ in header]
    table = pa.table({f"f{i}": pa.array(list(col), type=pa.string()) for i, col in enumerate(columns)})
    return _name_columns(table, header, name, problems), np.asarray(lines, dtype=np.int64), problems


def _name_columns(table: pa.Table, header: list[str], name: str,
                  problems: list[Problem] | None = None) -> pa.Table:
    names = [normalise_column(h) for h in header]
    header_problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n and n in seen:
            header_problems.append(Problem(1, header[i], header[i],
                                           f"unique column names: '{n}' is column {seen[n] + 1} too"))
        seen.setdefault(n, i)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    for col in missing:
        found = ", ".join(h for h in header if h.strip()) or "nothing"
        header_problems.append(Problem(1, col, None, f"a column named '{col}' in the header (found: {found})"))
    if header_problems:
        raise ValidationError(name, header_problems + (problems or []))
    cols = table.columns[:len(names)]
    # Blank header cells become col_N so their data is kept.
    final = [n or f"col_{i + 1}" for i, n in enumerate(names)]
    return pa.table(dict(zip(final, cols)))


# -- validation ---------------------------------------------------------------

TRIMMED_COLUMNS = ("id", "date", "end_date", "title", "themes", "importance", "kind", "source")
"""Cells compared or parsed are trimmed; long free text is kept as written."""


def unescape_formulas(arr: pa.Array) -> pa.Array:
    """``'=SUM(A1)`` back to ``=SUM(A1)`` (see FORMULA_START); other cells untouched."""
    if not pc.any(pc.starts_with(arr, "'")).as_py():
        return arr
    pattern = "^'[" + re.escape(FORMULA_START) + "]"
    return pc.if_else(pc.match_substring_regex(arr, pattern), pc.utf8_slice_codeunits(arr, 1), arr)


class _Columns:
    """Each column once, as a single chunk of strings (trimmed where it is compared or parsed)."""

    def __init__(self, table: pa.Table):
        self.table = table
        self.n = table.num_rows
        self._cache: dict[str, pa.Array] = {}

    def __getitem__(self, col: str) -> pa.Array:
        if col not in self._cache:
            if col not in self.table.column_names:
                arr = pa.nulls(self.n, pa.string()).fill_null("")
            else:
                arr = self.table[col].combine_chunks()
                if col in TRIMMED_COLUMNS:
                    arr = pc.utf8_trim_whitespace(arr)
                if col not in NOT_TEXT:
                    arr = unescape_formulas(arr)
            self._cache[col] = arr
        return self._cache[col]


def _validate(table: pa.Table, lines: np.ndarray | None, problems: list[Problem],
              data: bytes, offset: int, name: str) -> Timeline:
    n = table.num_rows
    if n == 0 and not problems:
        raise ValidationError(name, [Problem(None, None, None, "at least one event row after the header")])
    cols = _Columns(table)
    line_memo: list[np.ndarray] = []

    def line_of_rows() -> np.ndarray:
        """Each row's line in the file: read again (slowly) only when a problem needs it, and once."""
        if not line_memo:
            line_memo.append(_lines(lines, data, offset))
        return line_memo[0]

    bad: list[tuple[np.ndarray, str, pa.Array, object]] = []  # (row mask, column, values, reason)

    def flag(mask: np.ndarray, column: str, reason) -> None:
        if mask.any():
            bad.append((mask, column, cols[column], reason))

    flag(_np(pc.equal(cols["title"], "")), "title", "a title (it may not be empty)")

    kind = pc.utf8_lower(cols["kind"])
    is_era = _np(pc.equal(kind, "era"))
    flag(~_np(pc.is_in(kind, pa.array(KINDS + ("",)))), "kind", "'event' or 'era' (or empty)")

    start = dates.parse_dates(cols["date"])
    flag(~start.present, "date", dates.DATE_FORMS + " (the date is required)")
    flag(start.error != None, "date", start.error)  # noqa: E711 (elementwise)

    end = dates.parse_dates(cols["end_date"])
    flag(end.error != None, "end_date", end.error)  # noqa: E711
    backwards = end.present & (end.end_ms < start.ms)
    if backwards.any():
        reasons = np.full(n, None, dtype=object)
        date_txt = cols["date"]
        for i in np.flatnonzero(backwards):
            reasons[i] = f"an end date on or after the start date {date_txt[int(i)].as_py()}"
        flag(backwards, "end_date", reasons)
    flag(is_era & ~end.present, "end_date", "an end date: an era is a period")

    theme_lists = pc.split_pattern(cols["themes"], ";")
    flat = pc.utf8_lower(pc.utf8_trim_whitespace(pc.list_flatten(theme_lists)))
    parents = pc.list_parent_indices(theme_lists).to_numpy()
    keep = _np(pc.not_equal(flat, ""))
    if not keep.all():
        flat = flat.filter(pa.array(keep))
        parents = parents[keep]
    has_theme = np.zeros(n, dtype=bool)
    has_theme[parents] = True
    flag(~has_theme & ~is_era, "themes", "one or more themes separated by ';' (e.g. security;trade)")

    importance_txt = cols["importance"]
    importance = pc.cast(pc.if_else(pc.match_substring_regex(importance_txt, r"^[1-5]$"), importance_txt,
                                    None), pa.int8())
    flag(_np(pc.and_(pc.not_equal(importance_txt, ""), pc.is_null(importance))), "importance",
         "a whole number from 1 to 5 (or empty for 3)")
    importance = pc.fill_null(importance, DEFAULT_IMPORTANCE).to_numpy()

    flag(~_is_url(cols["source"]) & _np(pc.not_equal(cols["source"], "")), "source", "an http:// or https:// URL")

    ids = cols["id"]
    has_id = _np(pc.not_equal(ids, ""))
    given = ids.filter(pa.array(has_id)) if not has_id.all() else ids
    if len(given) and len(pc.unique(given)) < len(given):
        id_np = np.asarray(ids.to_pylist(), dtype=object)
        dup = has_id & pd.Series(id_np).duplicated(keep="first").to_numpy()
        first_row: dict[str, int] = {}
        for i in np.flatnonzero(has_id):
            first_row.setdefault(id_np[i], int(i))
        line_of = line_of_rows()
        reasons = np.full(n, None, dtype=object)
        for i in np.flatnonzero(dup):
            reasons[i] = f"a unique id: it is already used on line {line_of[first_row[id_np[i]]]}"
        flag(dup, "id", reasons)

    # Themes: vocabulary order first, then the rest alphabetically.
    event_rows = ~is_era
    uniq = set(pc.unique(flat.filter(pa.array(event_rows[parents]))).to_pylist())
    ordered = [t for t in THEME_VOCABULARY if t in uniq] + sorted(uniq - set(THEME_VOCABULARY))
    if len(ordered) > MAX_THEMES:
        problems.append(Problem(None, "themes", None,
                                f"at most {MAX_THEMES} different themes (one lane each), found {len(ordered)}"))

    if bad or problems:
        line_of = line_of_rows()
        for mask, column, values, reason in bad:
            rows = np.flatnonzero(mask)
            vals = values.take(pa.array(rows)).to_pylist()
            for r, v in zip(rows.tolist(), vals):
                why = reason[r] if isinstance(reason, np.ndarray) else reason
                problems.append(Problem(int(line_of[r]), column, v, why))
        raise ValidationError(name, problems)

    mask = _theme_masks(n, flat, parents, ordered)
    if not has_id.all():
        generated = pc.binary_join_element_wise("row-", pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), "")
        ids = pc.if_else(pa.array(has_id), ids, generated)

    is_range = end.present
    numeric = {
        "start": start.ms,
        "last": np.where(is_range, end.end_ms, start.end_ms),
        "end": np.where(is_range, end.ms, np.nan),
        "start_prec": start.precision,
        "end_prec": np.where(is_range, end.precision, -1).astype(np.int8),
        "theme_mask": mask,
        "importance": importance.astype(np.int8),
    }
    text = {"id": ids, **{col: cols[col] for col in TEXT_COLUMNS}}
    extras_cols = [c for c in table.column_names if c not in KNOWN_COLUMNS]

    def frame(rows: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows given, in the file's order (no copy when that is every row)."""
        every = len(rows) == n
        take = None if every else pa.array(rows)
        df = pd.DataFrame({k: v if every else v[rows] for k, v in numeric.items()})
        for k, v in text.items():
            df[k] = pd.Series((v if every else v.take(take)).to_pandas(), dtype="str")
        ex = pa.table({c: cols[c] for c in extras_cols}) if extras_cols else None
        ex = (ex if every else ex.take(take)).to_pandas() if ex is not None else pd.DataFrame(index=range(len(rows)))
        return df[["id", *numeric, *TEXT_COLUMNS]], ex

    events, extras = frame(np.flatnonzero(event_rows))
    eras, _ = frame(np.flatnonzero(is_era))
    if len(events) == 0:
        raise ValidationError(name, [Problem(None, None, None, "at least one event row (kind 'event')")])
    return Timeline(events=events, themes=ordered, eras=eras.drop(columns=["theme_mask"]),
                    source_name=name, extras=extras)


def _theme_masks(n: int, flat: pa.Array, parents: np.ndarray, ordered: list[str]) -> np.ndarray:
    """One uint64 per row, bit i set when the row has theme ``ordered[i]``."""
    mask = np.zeros(n, dtype=np.uint64)
    if len(parents) == 0:
        return mask
    codes = pc.index_in(flat, pa.array(ordered)).to_numpy(zero_copy_only=False)
    codes = np.nan_to_num(codes.astype(np.float64), nan=0).astype(np.uint64)  # era-only themes: no lane
    bits = np.left_shift(np.uint64(1), codes)
    firsts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
    mask[parents[firsts]] = np.bitwise_or.reduceat(bits, firsts)
    return mask


def _is_url(values: pa.Array) -> np.ndarray:
    """http(s) links without spaces, quotes or angle brackets."""
    return _np(pc.match_substring_regex(values, r"^https?://[^\s<>\"]+$"))


def _np(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def _lines(lines: np.ndarray | None, data: bytes, offset: int) -> np.ndarray:
    """Line number of each data row's first line, as in the file."""
    if lines is not None:
        return lines
    return np.asarray([line for line, _ in list(_records(data[offset:].decode("utf-8")))[1:]], dtype=np.int64)
