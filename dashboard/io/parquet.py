"""Parquet files read like our CSV, and our CSV's columns written as Parquet.

A Parquet file holds the CSV format's columns under any name the CSV may use. Text columns hold
what the CSV would (``1854-03-31``, ``-490``, ``c. 1600``); typed columns become that text once,
a whole column at a time, and are then validated like any CSV:

- integers as their digits (an importance 3), in a date column as a year of at least four digits
  (1853, -490 -> ``-0490``, 55 -> ``0055``: a number is not a two-digit year); floats holding whole
  numbers too (``3.0`` -> ``3``), other floats as written (``2.5``, which an importance refuses);
  NaN and null are empty cells;
- ``date32``/``date64`` as ``YYYY-MM-DD``; Arrow counts years astronomically (year 0 is 1 BCE),
  so a date before year 1 is written as a historian would (``-0001-03-15`` for 0000-03-15);
- timestamps in ``date``/``end_date`` keep only their day (a timeline's finest step is the day;
  a time zone's own day when the timestamp has one); elsewhere ``YYYY-MM-DD HH:MM:SS`` when they
  have a time of day;
- ``list<string>`` in ``themes`` joined with ``;``; dictionary-encoded columns as their values;
- booleans, other lists, structs, binary that is not UTF-8 and other types are refused, a
  problem naming the column.

A folder (or a glob) of Parquet files is one dataset split in parts, as Spark and DuckDB write
them: the parts' rows in the order of their names, ``key=value`` folders (Hive partitions) giving
a column of that name. Problems name the row as ``row 7`` (the first data row is row 1), with the
part's name for a dataset of several. The timeline's title, cover and rich-text flag, which our
CSV cannot hold, are kept in the file's key-value metadata under ``timeline``.
"""

from __future__ import annotations

import contextlib
import glob
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.columns import plan_columns
from ..core.lives import LIFE_END, LIFE_START
from ..core.model import Problem, Timeline, ValidationError, locating
from .files import atomic_file

MAGIC = b"PAR1"
SUFFIX = ".parquet"
META_KEY = b"timeline"
DAY_COLUMNS = ("date", "end_date")
YEAR_COLUMNS = (*DAY_COLUMNS, LIFE_START, LIFE_END)
"""Columns where a whole number is a year."""
ROW_GROUP = 128 * 1024
"""Rows per row group written: large enough to compress well, small enough to read in parts."""
COMPRESSION = "zstd"
GLOB_SIGNS = re.compile(r"[*?\[]")
LINE_IN_TEXT = re.compile(r"\bon line (\d+)\b")
"""Where a problem's text names another row (an id already used): said as a row too."""
PANDAS_INDEX = re.compile(r"__index_level_\d+__")
"""The column pandas writes for an index that is not 0, 1, 2...: not the file's data."""


def detect(data: bytes, name: str) -> bool:
    """True for a Parquet file (it starts with ``PAR1``); ValidationError for a file named .parquet
    that is not one."""
    if data[:4] == MAGIC:
        return True
    if PurePath(name).suffix.lower() == SUFFIX:
        raise _refuse(
            name, "a Parquet file, as the file's name says: it does not start with PAR1 (damaged, or renamed?)"
        )
    return False


@dataclass
class Part:
    """One Parquet file of a dataset, as read (its columns typed as the file has them)."""

    name: str
    table: pa.Table
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class TextTable:
    """A dataset's cells as the text a CSV would hold, and where each row came from."""

    header: list[str]
    table: pa.Table
    """The columns in order (f0, f1, ...), strings, never null."""
    problems: list[Problem]
    """Columns of a type that has no text form (line None: the whole column)."""
    parts: list[str]
    starts: np.ndarray
    """Each part's first row in ``table``."""
    meta: dict[str, Any]
    named: bool = False
    """Name the part in each problem even when there is one (a chunk of a dataset of several)."""

    def line_numbers(self) -> np.ndarray:
        """Each row as a CSV's line would be numbered (the header is line 1): what the validator takes."""
        return np.arange(2, self.table.num_rows + 2, dtype=np.int64)

    def locate(self, problem: Problem) -> Problem:
        """A validator's problem said as ``row 7`` of its part (``part-1.parquet, row 7`` when there are several),
        and so is another row its text names."""
        expected = LINE_IN_TEXT.sub(lambda m: "in " + self._where(int(m.group(1))), problem.expected)
        if problem.line is None:
            return replace(problem, expected=expected)
        if problem.line < 2:  # the header: a Parquet file has none, its columns are named in its schema
            return replace(problem, line=None, expected=expected)
        # the line kept is the row in the whole dataset, so problems stay in the dataset's order
        return replace(problem, line=problem.line - 1, cell=self._where(problem.line), expected=expected)

    def _where(self, line: int) -> str:
        """A validator's line (the header is line 1) as ``row 7``, or ``part-1.parquet, row 7``."""
        index = line - 2
        part = int(np.searchsorted(self.starts, index, side="right")) - 1
        row = index - int(self.starts[part]) + 1
        return f"row {row}" if len(self.parts) == 1 and not self.named else f"{self.parts[part]}, row {row}"

    def locating(self) -> AbstractContextManager[None]:
        """Problems raised inside name their row (see :meth:`locate`)."""
        return locating(self.locate)


def read_bytes(data: bytes, name: str) -> Part:
    """A Parquet file's bytes (an upload, or a file read whole)."""
    return _read(lambda: pq.ParquetFile(pa.BufferReader(data)), name, name)


def dataset_files(source: str | Path) -> list[Path]:
    """The parts of a dataset: a folder's Parquet files (in its sub-folders too, in the order of their
    paths; names starting with ``_`` or ``.``, such as Spark's ``_SUCCESS``, are not parts), or the
    files a glob matches. ValidationError when there are none."""
    text = str(source)
    path = Path(source)
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() == SUFFIX
            and not any(s.startswith(("_", ".")) for s in p.relative_to(path).parts)
        )
        if not found:
            raise _refuse(path.name or text, "a folder holding .parquet files: it has none")
        return found
    matched = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
    if not matched:
        raise _refuse(text, "files matching this pattern: none do")
    return matched


def is_dataset(source: str | Path) -> bool:
    """A folder holding Parquet files, or a pattern (``data/*.parquet``) naming no file itself."""
    path = Path(source)
    if path.is_dir():
        return any(p.suffix.lower() == SUFFIX for p in path.rglob("*") if p.is_file())
    return bool(GLOB_SIGNS.search(str(source))) and not path.exists()


def read_dataset(source: str | Path) -> list[Part]:
    """Every part of a dataset (see :func:`dataset_files`), named relative to the folder or pattern."""
    base = Path(source) if Path(source).is_dir() else None
    name = dataset_name(source)
    parts = []
    for path in dataset_files(source):
        part = open_part(path, name, base)
        parts.append(Part(part.shown, read_rows(part), part.meta))
    return parts


@dataclass(frozen=True)
class PartFile:
    """A part of a dataset opened to be read a piece at a time (a chunk, a few columns): its columns
    as :func:`read_dataset` gives them, and how many rows each of its row groups holds."""

    path: Path
    name: str
    """The dataset's name (what a problem is filed under)."""
    shown: str
    """The part's name in problems: its path relative to the dataset's folder."""
    columns: tuple[str, ...]
    """The file's own columns (not the index pandas may have written)."""
    partitions: tuple[tuple[str, str], ...]
    """Columns given by the ``key=value`` folders it sits in (Hive partitions), with their value."""
    groups: tuple[int, ...]
    meta: dict[str, Any]

    @property
    def header(self) -> list[str]:
        return [*self.columns, *(key for key, _ in self.partitions)]

    @property
    def rows(self) -> int:
        return sum(self.groups)


def open_part(path: Path, name: str, base: Path | None = None) -> PartFile:
    """A part's columns and row groups from its footer alone; ``base``: the dataset's folder."""
    shown = str(path.relative_to(base)) if base is not None else str(path)
    try:
        reader = pq.ParquetFile(path)
        footer, schema = reader.metadata, reader.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(name, shown, exc) from None
    columns = tuple(c for c in schema.names if not PANDAS_INDEX.fullmatch(c))
    partitions = _partitions(path.relative_to(base), columns) if base is not None else ()
    groups = tuple(footer.row_group(i).num_rows for i in range(footer.num_row_groups))
    return PartFile(path, name, shown, columns, partitions, groups, read_meta(schema.metadata))


def read_rows(
    part: PartFile, columns: Sequence[str] | None = None, groups: Sequence[int] | None = None, threads: bool = True
) -> pa.Table:
    """Rows of a part: every row group, or those of ``groups``; ``columns`` of its header (every one by
    default), in the header's order. ``threads``: read columns on every core."""
    return next(_read_part(part, columns, groups, None, threads))


def read_slices(part: PartFile, group: int, size: int, threads: bool = True) -> Iterator[pa.Table]:
    """A row group too large to be read whole, ``size`` rows at a time (every column), in one pass."""
    return _read_part(part, None, [group], size, threads)


def distinct_rows(part: PartFile, columns: Sequence[str]) -> Iterator[pa.Table]:
    """For each row group of a part, the distinct combinations of the values of ``columns`` (of its
    header), its rows read with the file opened once and text as dictionaries: what a first pass
    over a large file needs (its themes) without each row's strings. A combination may repeat
    across groups."""
    wanted = [c for c in part.header if c in columns]
    own = [c for c in part.columns if c in wanted]
    try:
        schema = pq.read_schema(part.path)
        text = [
            c for c in own if pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)
        ]
        reader = pq.ParquetFile(part.path, read_dictionary=text)
        for g in range(len(part.groups)):
            table = reader.read_row_group(g, columns=own)
            with contextlib.suppress(pa.ArrowNotImplementedError, pa.ArrowTypeError):  # else every row
                table = table.group_by(own).aggregate([]) if own else table.slice(0, min(table.num_rows, 1))
            for i, column in enumerate(table.columns):  # (a table of no columns keeps its one row)
                if pa.types.is_dictionary(column.type):
                    table = table.set_column(i, table.field(i).name, column.cast(column.type.value_type))
            yield _with_partitions(table, part, wanted)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(part.name, part.shown, exc) from None


def _with_partitions(table: pa.Table, part: PartFile, wanted: Sequence[str]) -> pa.Table:
    """``table`` of a part's own columns with those of its partition folders that are ``wanted``."""
    for key, value in part.partitions:
        if key in wanted:
            table = table.append_column(key, pa.repeat(pa.scalar(value, pa.string()), table.num_rows))
    return table


def _read_part(
    part: PartFile, columns: Sequence[str] | None, groups: Sequence[int] | None, size: int | None, threads: bool
) -> Iterator[pa.Table]:
    wanted = part.header if columns is None else [c for c in part.header if c in columns]
    own = [c for c in part.columns if c in wanted]
    chosen = list(range(len(part.groups))) if groups is None else list(groups)
    try:
        reader = pq.ParquetFile(part.path)
        # Every column when all are wanted: a file may repeat a name (the header's problem, said later).
        picked = None if own == list(reader.schema_arrow.names) else own
        if size is None:
            found: Iterator[pa.Table] = iter([reader.read_row_groups(chosen, columns=picked, use_threads=threads)])
        else:
            batches = reader.iter_batches(size, chosen, columns=picked, use_threads=threads)
            found = (pa.Table.from_batches([b]) for b in batches)
        for table in found:
            yield _with_partitions(_without_index(table), part, wanted)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(part.name, part.shown, exc) from None


def dataset_name(source: str | Path) -> str:
    """What problems and the page call a dataset: the folder's name, or the pattern as given."""
    path = Path(source)
    return path.name if path.is_dir() and path.name else str(source)


def _read(open_file: Callable[[], pq.ParquetFile], name: str, shown: str) -> Part:
    try:
        table = open_file().read()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(name, shown, exc) from None
    return Part(shown, _without_index(table), read_meta(table.schema.metadata))


def _without_index(table: pa.Table) -> pa.Table:
    """A table without the index columns pandas may have written with it."""
    drop = [c for c in table.column_names if PANDAS_INDEX.fullmatch(c)]
    return table.drop_columns(drop) if drop else table


def read_meta(metadata: dict[bytes, bytes] | None) -> dict[str, Any]:
    """What ``timeline convert`` kept in a file's metadata (title, cover...): empty when none or unreadable."""
    raw = (metadata or {}).get(META_KEY)
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _partitions(relative: Path, columns: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Hive partition folders (``theme=war/part-0.parquet``): columns the file does not hold itself."""
    found: dict[str, str] = {}
    for folder in relative.parts[:-1]:
        key, sign, value = folder.partition("=")
        if sign and key and key not in columns and key not in found:
            found[key] = unquote(value)
    return tuple(found.items())


def _unreadable(name: str, shown: str, exc: BaseException) -> ValidationError:
    reason = str(exc).strip() or type(exc).__name__
    where = "" if shown == name else f" ({shown})"
    return _refuse(name, f"a readable Parquet file{where}: {reason} (damaged or cut short?)")


def text_table(parts: list[Part], mapping: dict[str, str] | None = None) -> TextTable:
    """The parts' cells as one table of text (columns joined by name where the parts differ)."""
    headers = [p.table.column_names for p in parts]
    if all(h == headers[0] for h in headers):
        header = list(headers[0])
    else:
        header = list(dict.fromkeys(name for h in headers for name in h))
    ours = plan_columns(header, mapping).names
    problems: list[Problem] = []
    refused: set[str] = set()
    chunks: list[list[pa.Array]] = [[] for _ in header]
    for part in parts:
        index = {name: i for i, name in reversed(list(enumerate(part.table.column_names)))}
        for j, name in enumerate(header):
            at = j if part.table.column_names == header else index.get(name)
            if at is None:
                chunks[j].append(pa.nulls(part.table.num_rows, pa.string()).fill_null(""))
                continue
            column = part.table.column(at)
            text, why = as_text(column.combine_chunks() if column.num_chunks != 1 else column.chunk(0), ours[j])
            if why is not None and name not in refused:
                refused.add(name)
                problems.append(Problem(None, name, None, why))
            chunks[j].append(text)
    table = pa.table({f"f{j}": pa.chunked_array(c, pa.string()) for j, c in enumerate(chunks)})
    sizes = np.asarray([p.table.num_rows for p in parts], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    meta = next((p.meta for p in parts if p.meta), {})
    return TextTable(header, table, problems, [p.name for p in parts], starts, meta)


def as_text(values: pa.Array, ours: str) -> tuple[pa.Array, str | None]:
    """A column as the CSV's text (see the module's docstring), and why it was refused (else None).
    ``ours`` is the column it feeds (``date``, ``themes``, ...) or the file's own name for it."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        return as_text(values.dictionary_decode(), ours)
    if pa.types.is_null(kind):
        return _empty(len(values)), None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return _filled(values.cast(pa.string())), None
    if pa.types.is_boolean(kind):
        return _empty(len(values)), "text, a number or a date: this column holds true/false values (booleans)"
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        text = _filled(pc.cast(values, pa.string()))
        return (_years(text) if ours in YEAR_COLUMNS else text), None
    if pa.types.is_floating(kind):
        text = _floats(values)
        return (_years(text) if ours in YEAR_COLUMNS else text), None
    if pa.types.is_date(kind):
        return _days(values.cast(pa.date32())), None
    if pa.types.is_timestamp(kind):
        return _timestamps(values, ours in DAY_COLUMNS), None
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        try:
            return _filled(values.cast(pa.string())), None
        except pa.ArrowInvalid:
            return _empty(len(values)), "text: this column holds bytes that are not UTF-8 text"
    if ours == "themes" and _is_text_list(kind):
        joined = pc.binary_join(pc.cast(values, pa.list_(pa.string())), ";")
        return _filled(joined), None
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        held = "lists of values (a list of text is read only as themes, joined with ';')"
    else:
        held = f"values of type {kind}"
    return _empty(len(values)), f"text, a number or a date: this column holds {held}"


def _is_text_list(kind: pa.DataType) -> bool:
    return bool(pa.types.is_list(kind) or pa.types.is_large_list(kind)) and is_text(kind.value_type)


def is_text(kind: pa.DataType) -> bool:
    """Whether Arrow values of ``kind`` are text (UTF-8 strings, of 32- or 64-bit offsets)."""
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _empty(n: int) -> pa.Array:
    return pa.nulls(n, pa.string()).fill_null("")


def _filled(values: pa.Array) -> pa.Array:
    return values.fill_null("") if values.null_count else values


def _years(text: pa.Array) -> pa.Array:
    """Whole numbers in a date column are years: at least four digits (55 is the year 55, ``0055``,
    which a CSV must write so because ``55`` could mean 1955), the sign kept (-490 -> ``-0490``)."""
    negative = pc.starts_with(text, "-")
    digits = pc.utf8_lpad(pc.if_else(negative, pc.utf8_slice_codeunits(text, 1), text), 4, "0")
    whole = pc.match_substring_regex(text, r"^-?[0-9]+$")
    padded = pc.if_else(negative, pc.binary_join_element_wise("-", digits, ""), digits)
    return pc.if_else(whole, padded, text)


def _floats(values: pa.Array) -> pa.Array:
    """Whole numbers as digits (Arrow writes 1853.0 as ``1853``), NaN as empty (pandas' null)."""
    values = values.cast(pa.float64())
    text = pc.cast(values, pa.string())
    return _filled(pc.if_else(pc.is_nan(values), None, text))


def _days(days: pa.Array) -> pa.Array:
    """date32 as ``YYYY-MM-DD``; days before year 1 in historians' years (see the module)."""
    text = pc.cast(days, pa.string())
    early = pc.fill_null(pc.less(days.cast(pa.int32()), YEAR_ONE_DAY), False)
    if pc.any(early).as_py():  # only those days are rewritten, one by one
        written = pa.array([_historian(t) for t in text.filter(early).to_pylist()], pa.string())
        text = pc.replace_with_mask(text, early, written)
    return _filled(text)


YEAR_ONE_DAY = -719162
"""0001-01-01 as days since 1970-01-01 (date32)."""


def _historian(astronomical: str | None) -> str | None:
    """'0000-03-15' -> '-0001-03-15', '-0768-02-04' -> '-0769-02-04': no year 0 for historians."""
    if astronomical is None:
        return None
    sign = -1 if astronomical.startswith("-") else 1
    year, rest = astronomical.lstrip("-").split("-", 1)
    return f"-{1 - sign * int(year):04d}-{rest}"


def _timestamps(values: pa.Array, day_only: bool) -> pa.Array:
    """A timestamp's day (its time zone's when it has one), with its time of day unless ``day_only``."""
    if values.type.tz is not None:
        values = pc.local_timestamp(values)
    days = values.cast(pa.date32())
    text = _days(days)
    if day_only:
        return text
    timed = pc.not_equal(days.cast(values.type), values)
    if not pc.any(timed).as_py():
        return text
    seconds = pc.floor_temporal(values, unit="second").cast(pa.timestamp("s", values.type.tz))
    clock = pc.strftime(seconds, "%H:%M:%S")
    return _filled(pc.if_else(timed, pc.binary_join_element_wise(text, clock, " "), text))


def events_table(frame: pd.DataFrame) -> pa.Table:
    """Our CSV's columns (a frame of text, as an export writes them) as a table of strings."""
    return pa.table({str(c): _filled(pa.array(frame[c].astype("str"), pa.string())) for c in frame.columns})


def timeline_meta(timeline: Timeline, title: str | None = None) -> dict[str, Any]:
    """What a timeline has that our CSV cannot hold: its title, cover and rich-text flag."""
    return {"title": title or timeline.title, "cover": timeline.cover, "rich_text": timeline.rich_text}


def write_table(
    table: pa.Table, path: str | Path, meta: dict[str, Any] | None = None, durable: bool = True, private: bool = False
) -> None:
    """Write ``table`` (see :func:`events_table`) as Parquet, atomically: zstd, row groups of
    :data:`ROW_GROUP` rows, a CRC on every page (a reader may check it), ``meta`` (:func:`timeline_meta`)
    in the file's key-value metadata. ``durable=False`` skips flushing to disk (a cache, checked when read);
    ``private`` keeps it readable by its owner alone (a cache: a copy of a file whose modes it cannot know
    to keep)."""
    if meta is not None:
        table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    with atomic_file(path, durable=durable, private=private) as fh:
        pq.write_table(
            table,
            pa.PythonFile(fh, mode="w"),
            compression=COMPRESSION,
            row_group_size=ROW_GROUP,
            write_page_checksum=True,
        )


def apply_meta(timeline: Timeline, meta: dict[str, Any]) -> Timeline:
    """The title, cover and rich-text flag a Parquet file kept (see :func:`write_table`)."""
    if isinstance(meta.get("title"), str) and meta["title"]:
        timeline.title = meta["title"]
    if isinstance(meta.get("cover"), dict):
        timeline.cover = {str(k): str(v) for k, v in meta["cover"].items()}
    timeline.rich_text = bool(meta.get("rich_text")) or timeline.rich_text
    return timeline


def _refuse(name: str, expected: str) -> ValidationError:
    return ValidationError(name, [Problem(None, None, None, expected)])
