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
OPTIONAL_COLUMNS = ("id", "end_date", "description", "actors", "location", "source", "importance", "kind")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
TEXT_COLUMNS = ("title", "description", "actors", "location", "source")

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
_URL_RE = r"^https?://[^\s<>\"]+$"


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

    def theme_names(self, mask: int) -> list[str]:
        return [t for i, t in enumerate(self.themes) if mask >> i & 1]


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
    data = _decode(data, name)
    table, lines, problems = _read_table(data, name)
    return _validate(table, lines, problems, data, name)


# -- bytes to text ---------------------------------------------------------

def _decode(data: bytes, name: str) -> bytes:
    """UTF-8 bytes without BOM, or ValidationError for empty, binary and non-UTF-8 input."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(name, [Problem(None, None, None, "UTF-16 text after the UTF-16 byte-order mark")])
    if not data.strip():
        raise ValidationError(name, [Problem(None, None, None,
                                             "a CSV file with a header line naming the columns "
                                             f"({', '.join(REQUIRED_COLUMNS)}, ...): the file is empty")])
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError(name, [Problem(None, None, None,
                                             "CSV text: this is a zip archive (an Excel .xlsx workbook?); "
                                             "save the sheet as 'CSV UTF-8' and load that")])
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ValidationError(name, [Problem(line, None, None,
                                             "CSV text: the file holds binary data (a NUL byte)")])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.start + 1].hex().upper()
        raise ValidationError(name, [Problem(line, None, None,
                                             f"UTF-8 text: byte 0x{bad} is not UTF-8 (the file may be in a "
                                             "legacy encoding such as Windows-1252); save it as 'CSV UTF-8'")])
    return data


# -- text to a table of strings ---------------------------------------------

def _records(data: bytes):
    """(first line, fields) for every non-blank record, as Python's csv module reads it."""
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
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


def _read_table(data: bytes, name: str) -> tuple[pa.Table, np.ndarray | None, list[Problem]]:
    """Columns of strings under normalised names; line numbers when they were needed to read it."""
    ragged: list[int] = []

    def on_invalid(row) -> str:
        ragged.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 column_types=_all_strings(data)),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        table = None
    if table is not None and not ragged and table.num_rows >= 1:
        header = [str(v) for v in table.slice(0, 1).to_pylist()[0].values()]
        body = table.slice(1)
        return _name_columns(body, header, name), None, []
    return _read_table_slowly(data, name)


def _all_strings(data: bytes) -> dict[str, pa.DataType]:
    """Every column as text (autogenerated names f0, f1, ...): we validate, not pyarrow."""
    first = data.split(b"\n", 1)[0]
    width = max(len(next(csv.reader([first.decode("utf-8", "replace")]), [])), 1) + 64
    return {f"f{i}": pa.string() for i in range(width)}


def _read_table_slowly(data: bytes, name: str) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    """Python's csv module: slower, but it knows each record's line and reads any shape."""
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    for line, fields in _records(data):
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

def _text(table: pa.Table, col: str) -> pa.Array:
    n = table.num_rows
    if col not in table.column_names:
        return pa.nulls(n, pa.string()).fill_null("")
    return pc.utf8_trim_whitespace(table[col].combine_chunks())


def _validate(table: pa.Table, lines: np.ndarray | None, problems: list[Problem],
              data: bytes, name: str) -> Timeline:
    n = table.num_rows
    if n == 0 and not problems:
        raise ValidationError(name, [Problem(None, None, None, "at least one event row after the header")])
    bad: list[tuple[np.ndarray, str, pa.Array, object]] = []  # (row mask, column, values, reason)

    def flag(mask: np.ndarray, column: str, values: pa.Array, reason) -> None:
        if mask.any():
            bad.append((mask, column, values, reason))

    title = _text(table, "title")
    flag(_np(pc.equal(title, "")), "title", title, "a title (it may not be empty)")

    kind = pc.utf8_lower(_text(table, "kind"))
    kind = pc.if_else(pc.equal(kind, ""), "event", kind)
    is_era = _np(pc.equal(kind, "era"))
    flag(~_np(pc.is_in(kind, pa.array(KINDS))), "kind", _text(table, "kind"), "'event' or 'era' (or empty)")

    date_txt = _text(table, "date")
    start = dates.parse_dates(date_txt)
    flag(~start.present, "date", date_txt, dates.DATE_FORMS + " (the date is required)")
    flag(start.error != None, "date", date_txt, start.error)  # noqa: E711 (elementwise)

    end_txt = _text(table, "end_date")
    end = dates.parse_dates(end_txt)
    flag(end.error != None, "end_date", end_txt, end.error)  # noqa: E711
    backwards = end.present & (end.end_ms < start.ms)
    if backwards.any():
        flag(backwards, "end_date", end_txt,
             np.array([f"an end date on or after the start date {d}" for d in date_txt.to_pylist()], dtype=object))
    flag(is_era & ~end.present, "end_date", end_txt, "an end date: an era is a period")

    themes_txt = _text(table, "themes")
    theme_lists = pc.split_pattern(themes_txt, ";")
    flat = pc.utf8_lower(pc.utf8_trim_whitespace(pc.list_flatten(theme_lists)))
    parents = pc.list_parent_indices(theme_lists).to_numpy()
    keep = _np(pc.not_equal(flat, ""))
    flat = flat.filter(pa.array(keep))
    parents = parents[keep]
    has_theme = np.zeros(n, dtype=bool)
    has_theme[parents] = True
    flag(~has_theme & ~is_era, "themes", themes_txt, "one or more themes separated by ';' (e.g. security;trade)")

    importance_txt = _text(table, "importance")
    importance = pc.cast(pc.if_else(pc.match_substring_regex(importance_txt, r"^[1-5]$"), importance_txt,
                                    None), pa.int8())
    imp_bad = _np(pc.and_(pc.not_equal(importance_txt, ""), pc.is_null(importance)))
    flag(imp_bad, "importance", importance_txt, "a whole number from 1 to 5 (or empty for 3)")
    importance = pc.fill_null(importance, DEFAULT_IMPORTANCE).to_numpy()

    source = _text(table, "source")
    src_bad = _np(pc.and_(pc.not_equal(source, ""), pc.invert(pc.match_substring_regex(source, _URL_RE))))
    flag(src_bad, "source", source, "an http:// or https:// URL")

    ids = _text(table, "id")
    id_np = np.asarray(ids.to_pylist(), dtype=object) if n else np.array([], dtype=object)
    has_id = id_np != ""
    dup = has_id & pd.Series(id_np).duplicated(keep="first").to_numpy()
    if dup.any():
        first_row = {}
        for i in np.flatnonzero(has_id):
            first_row.setdefault(id_np[i], i)
        line_of = _lines(lines, data)
        reasons = np.full(n, None, dtype=object)
        for i in np.flatnonzero(dup):
            reasons[i] = f"a unique id: it is already used on line {line_of[first_row[id_np[i]]]}"
        flag(dup, "id", ids, reasons)

    # Themes: vocabulary order first, then the rest alphabetically.
    event_rows = ~is_era
    uniq = sorted(set(pc.unique(flat.filter(pa.array(event_rows[parents]))).to_pylist()))
    vocab = list(THEME_VOCABULARY)
    ordered = [t for t in vocab if t in uniq] + [t for t in uniq if t not in THEME_VOCABULARY]
    if len(ordered) > MAX_THEMES:
        problems.append(Problem(None, "themes", None,
                                f"at most {MAX_THEMES} different themes (one lane each), found {len(ordered)}"))

    if bad or problems:
        line_of = _lines(lines, data)
        for mask, column, values, reason in bad:
            rows = np.flatnonzero(mask)
            vals = values.take(pa.array(rows)).to_pylist()
            for r, v in zip(rows.tolist(), vals):
                why = reason[r] if isinstance(reason, np.ndarray) else reason
                problems.append(Problem(int(line_of[r]), column, v, why))
        raise ValidationError(name, problems)

    codes = pc.index_in(flat, pa.array(ordered)).to_numpy(zero_copy_only=False).astype(np.uint64)
    mask = np.zeros(n, dtype=np.uint64)
    np.bitwise_or.at(mask, parents, np.left_shift(np.uint64(1), codes))

    is_range = end.present
    frame = pd.DataFrame({
        "id": np.where(has_id, id_np, np.char.add("row-", np.arange(1, n + 1).astype(str)).astype(object))
        if n else id_np,
        "start": start.ms,
        "last": np.where(is_range, end.end_ms, start.end_ms),
        "end": np.where(is_range, end.ms, np.nan),
        "start_prec": start.precision,
        "end_prec": np.where(is_range, end.precision, -1).astype(np.int8),
        "theme_mask": mask,
        "importance": importance.astype(np.int8),
    })
    for col in TEXT_COLUMNS:
        frame[col] = pd.Series(_text(table, col).to_pandas(), dtype="str")
    extras_cols = [c for c in table.column_names if c not in KNOWN_COLUMNS]
    extras = table.select(extras_cols).to_pandas() if extras_cols else pd.DataFrame(index=range(n))

    events = frame[event_rows].reset_index(drop=True)
    eras = frame[is_era].drop(columns=["theme_mask"]).reset_index(drop=True)
    extras = extras[event_rows].reset_index(drop=True)
    if len(events) == 0:
        raise ValidationError(name, [Problem(None, None, None, "at least one event row (kind 'event')")])
    return Timeline(events=events, themes=ordered, eras=eras, source_name=name, extras=extras)


def _np(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def _lines(lines: np.ndarray | None, data: bytes) -> np.ndarray:
    """Line number of each data row's first line, as in the file."""
    if lines is not None:
        return lines
    return np.asarray([line for line, _ in list(_records(data))[1:]], dtype=np.int64)
