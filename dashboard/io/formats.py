"""Any input file to a validated :class:`Timeline`: the format is recognised by its content, read by
its reader into a table of strings, and checked by the one validator every format shares."""

from __future__ import annotations

from pathlib import Path

from ..core.columns import name_table
from ..core.model import Problem, Timeline, ValidationError
from ..core.validation import validate_table
from . import csv_reader, hdtimelines, parquet, spreadsheet, timelinejs
from .decode import CSV_FILE, utf8_bytes
from .read_options import DEFAULT_OPTIONS, ReadOptions

__all__ = ["ReadOptions", "load_dataset", "load_timeline", "parse_events", "read_file"]


def read_file(path: Path, name: str | None = None) -> bytes:
    """A file's bytes; ValidationError (named ``name``, else the file's) if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            name or path.name, [Problem(None, None, str(path), f"a readable file ({exc.strerror or exc})")]
        ) from None


def load_timeline(
    source: str | Path | bytes, name: str | None = None, options: ReadOptions = DEFAULT_OPTIONS
) -> Timeline:
    """Read a file (path or bytes) into a :class:`Timeline`, or raise ValidationError."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        data = read_file(path, name)
    else:
        data = bytes(source)
        name = name or "upload"
    return parse_events(data, name, options)


def parse_events(data: bytes, name: str, options: ReadOptions = DEFAULT_OPTIONS) -> Timeline:
    """Validate a file's bytes: the project's CSV, a Parquet file, a workbook (.xlsx, .ods), a TimelineJS
    spreadsheet (CSV) or JSON, or an hdtimelines (historicaldate) CSV."""
    if parquet.detect(data, name):
        return _parse_parquet([parquet.read_bytes(data, name)], name, options)
    book = spreadsheet.detect(data, name)
    if book is not None:
        return _parse_sheet(data, book, name, options)
    if options.sheet is not None:
        raise ValidationError(
            name, [Problem(None, None, options.sheet, "a workbook (.xlsx or .ods) to take a sheet of")]
        )
    kind = timelinejs.detect(data)
    if kind is not None:
        found = timelinejs.read_timelinejs(data, kind, name)
        timeline = validate_table(
            found.table, found.problems, name, lambda: found.lines, options.date_order, found.shown
        )
        timeline.title, timeline.cover, timeline.rich_text = found.title, found.cover, True
        return timeline
    if hdtimelines.detect(data):
        table, line_numbers, problems, ours = hdtimelines.read_hdtimelines(data, name)
        with hdtimelines.own_columns(name, ours):
            return validate_table(table, problems, name, line_numbers, options.date_order)
    data, offset = utf8_bytes(data, name, CSV_FILE)
    raw, header, known, problems = csv_reader.read_table(data, offset, name)
    table, plan = name_table(raw, header, name, options.mapping, problems)
    return validate_table(
        table,
        problems,
        name,
        lambda: known if known is not None else csv_reader.line_numbers(data, offset),
        options.date_order,
        plan.shown,
    )


def _parse_sheet(data: bytes, book: str, name: str, options: ReadOptions) -> Timeline:
    """One sheet of a workbook, validated like a CSV; problems name their cells (Sheet1!C7)."""
    sheet = spreadsheet.read_sheet(data, book, name, options)
    with sheet.locating():
        table, plan = name_table(sheet.table, sheet.header, name, options.mapping, [])
        return validate_table(table, [], name, lambda: sheet.rows, options.date_order, plan.shown)


def load_dataset(source: str | Path, options: ReadOptions = DEFAULT_OPTIONS) -> Timeline:
    """A folder or glob of Parquet files, one dataset in parts (see :mod:`.parquet`), as one timeline."""
    return _parse_parquet(parquet.read_dataset(source), parquet.dataset_name(source), options)


def _parse_parquet(parts: list[parquet.Part], name: str, options: ReadOptions) -> Timeline:
    """Parquet parts validated like a CSV; problems name their row (``row 7``, ``part-1.parquet, row 7``)."""
    found = parquet.text_table(parts, options.mapping)
    with found.locating():
        table, plan = name_table(found.table, found.header, name, options.mapping, found.problems)
        timeline = validate_table(table, found.problems, name, found.line_numbers, options.date_order, plan.shown)
    return parquet.apply_meta(timeline, found.meta)
