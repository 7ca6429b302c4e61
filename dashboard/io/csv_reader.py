"""Our own CSV format read into a table of strings, with line numbers when they are needed.

pyarrow's CSV reader reads a million rows in well under a second; it cannot say on which
line a record starts (quoted fields may span lines), so when something is wrong the file
is read again with Python's csv module, which follows quoted fields across lines exactly
as the file is written and so gives every record's line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..core.model import Problem, ValidationError, normalise_column
from .decode import CSV_FILE, is_utf8, utf8_text

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
"""What may separate a CSV file's fields, and its name in a problem. Where the comma is the decimal
mark, spreadsheets save CSV separated by semicolons; a copy of cells is separated by tabs."""


UNCLOSED = (
    "a closing double quote: a quote opened on this line is never closed, so the rest of the file "
    'would be one value (a quote inside a value is written twice: "")'
)


SNIFF_RECORDS = 6
"""Records (the header and the first rows) whose shape tells a file's separator."""


def separator(data: bytes, offset: int = 0) -> str:
    """The file's separator (:func:`text_separator` of its start)."""
    return text_separator(data[offset : offset + (1 << 16)].decode("utf-8", "replace"))


def text_separator(text: str) -> str:
    """The separator of a file's text (or its start): of :data:`SEPARATORS`, the one that reads its
    first records (the header and up to five rows) each with as many fields as the header (and more
    than one), and of those the one giving the header the most fields, the comma where they tie. A header may
    hold the others (``notes (a;b;c)``, ``"Text, notes"``); its rows say which separates."""
    head = text[: 1 << 16]

    def shape(sep: str) -> tuple[bool, int]:
        """(whether the first records agree, the header's fields)."""
        counts: list[int] = []
        try:
            for fields in csv.reader(io.StringIO(head, newline=""), delimiter=sep, strict=True):
                if any(f.strip() for f in fields):
                    counts.append(len(fields))
                    if len(counts) == SNIFF_RECORDS:
                        break
        except csv.Error as exc:
            # a value quoted for another separator ("a";"b" read by commas) is no record of this one;
            # a quoted value cut where the sniffed text ends is
            if not counts or "unexpected end of data" not in str(exc):
                return False, len(counts) and counts[0]
        width = counts[0] if counts else 0
        return width > 1 and all(n == width for n in counts), width

    return max(SEPARATORS, key=shape)  # the first of the most: the comma where they tie


def header_names(text: str) -> set[str]:
    """The column names of a file's header (its first line that is not blank) as
    :func:`~dashboard.core.model.normalise_column` makes them, split by its :func:`text_separator`:
    for the formats recognised by their header."""
    sep = text_separator(text)
    for fields in records(text[: 1 << 16], sep):
        return set() if isinstance(fields[1], csv.Error) else {normalise_column(f) for f in fields[1]}
    return set()


def records(text: str, sep: str = ",") -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line, fields) for every record holding a value, as Python's csv module reads it: a blank
    line, or one of separators and spaces alone (,,,, as a spreadsheet writes rows it had emptied),
    holds none."""
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
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
        if any(f.strip() for f in fields):
            yield start, fields
        start = reader.line_num + 1


def read_table(data: bytes, offset: int, name: str) -> tuple[pa.Table, list[str], np.ndarray | None, list[Problem]]:
    """(columns of strings in the file's order, the header as written, line numbers when they were
    needed to read it, problems found); naming the columns is :func:`~dashboard.core.columns.name_table`'s."""
    sep = separator(data, offset)
    if not is_utf8(data, offset) or data.count(b'"', offset) % 2:
        # A quote never closed (an odd number of quotes) would make the rest of the file one value,
        # which pyarrow would read as such where it fits the header: the careful path says where.
        # pyarrow decodes a row it would hand our handler below as UTF-8 first: one that is not, it
        # cannot hand, and prints its own error on the terminal instead ("Exception ignored", a
        # traceback). Such a file is refused anyway: the careful path says at which line.
        return _read_table_slowly(utf8_text(data, offset, name, CSV_FILE), name, sep)
    ragged: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        ragged.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(offset)),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                column_types=_all_strings(data, offset, sep),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException, ValueError):
        table = None
    if table is not None and not ragged and table.num_rows >= 1:
        table = _without_empty_rows(table)
    if table is not None and not ragged and table.num_rows >= 1:
        header = [str(v) for v in table.slice(0, 1).to_pylist()[0].values()]
        return table.slice(1), header, None, []
    return _read_table_slowly(utf8_text(data, offset, name, CSV_FILE), name, sep)


def _without_empty_rows(table: pa.Table) -> pa.Table:
    """The rows holding a value: those of separators and spaces alone are passed over, as
    :func:`records` passes them (whose line numbers then agree)."""
    empty: pa.ChunkedArray | None = None
    for column in table.columns:
        here = pc.equal(pc.utf8_trim_whitespace(column), "")
        empty = here if empty is None else pc.and_(empty, here)
        if not pc.any(empty).as_py():
            return table
    return table.filter(pc.invert(empty))


def _all_strings(data: bytes, offset: int, sep: str) -> dict[str, pa.DataType]:
    """Every column as text (autogenerated names f0, f1, ...): we validate, not pyarrow."""
    eol = data.find(b"\n", offset)
    first = data[offset : eol if eol >= 0 else len(data)]
    try:
        width = max(len(next(csv.reader([first.decode("utf-8", "replace")], delimiter=sep), [])), 1) + 64
    except csv.Error:  # not CSV-shaped: let the reader (and then the slow path) say so
        width = 64
    return {f"f{i}": pa.string() for i in range(width)}


def _read_table_slowly(text: str, name: str, sep: str) -> tuple[pa.Table, list[str], np.ndarray, list[Problem]]:
    """Python's csv module: slower, but it knows each record's line and reads any shape."""
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    last = 0  # the line the last record starts on
    for line, fields in records(text, sep):
        last = line
        if isinstance(fields, csv.Error):
            problems.append(Problem(line, None, None, f"well-formed CSV ({fields})"))
            continue
        if header is None:
            header = fields
            continue
        if len(fields) != len(header):
            problems.append(
                Problem(
                    line,
                    None,
                    sep.join(fields),
                    f"{len(header)} fields as in the header, found {len(fields)} "
                    f"(a {SEPARATORS[sep]} inside a value needs the value in double quotes)",
                )
            )
            continue
        rows.append(fields)
        lines.append(line)
    if text.count('"') % 2 and last and _never_closed(text, last, sep):
        # The last record's quote is never closed: it took the rest of the file.
        if lines and lines[-1] == last:
            rows.pop()
            lines.pop()
        problems = [p for p in problems if p.line != last]
        opened = text.splitlines()[last - 1]
        problems.append(Problem(last, None, opened, UNCLOSED))
        if last == 1:
            header = None
    if header is None:
        raise ValidationError(name, problems or [Problem(None, None, None, "a header line")])
    columns = list(zip(*rows)) if rows else [() for _ in header]
    table = pa.table({f"f{i}": pa.array(list(col), type=pa.string()) for i, col in enumerate(columns)})
    return table, header, np.asarray(lines, dtype=np.int64), problems


def _never_closed(text: str, line: int, sep: str) -> bool:
    """Whether the record starting on ``line`` ends inside a quoted value: the file ends before the
    quote is closed (a lone quote inside a value not quoted, as in 12" gun, is no such thing)."""
    rest = "".join(text.splitlines(keepends=True)[line - 1 :])
    try:
        next(csv.reader(io.StringIO(rest, newline=""), delimiter=sep, strict=True), None)
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def line_numbers(data: bytes, offset: int) -> np.ndarray:
    """Line number of each data row's first line, as in the file (header = line 1)."""
    rows = records(data[offset:].decode("utf-8"), separator(data, offset))
    return np.asarray([line for line, _ in list(rows)[1:]], dtype=np.int64)
