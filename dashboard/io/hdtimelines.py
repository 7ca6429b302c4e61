"""Open the CSVs of the historicaldate / hdtimelines packages (and the historicaldate-data sets of
monarchs, prime ministers, scientists): ``label`` and ``hdate`` (``hdate_end`` for a period), or a
person's ``hdate_birth`` and ``hdate_death``, with ``url``, ``description`` and columns of their own.

The file becomes the project's table of strings: label -> title, hdate / hdate_end -> date /
end_date, hdate_birth / hdate_death -> life_start / life_end (see :mod:`dashboard.core.lives`),
url -> source. Columns that are ours already (themes, importance, id, ...) are used as they are;
every other column (colour, rank, htext_end, ...) is kept as an extra. A row without a theme goes in
one lane named after the file, and rows are of importance 4 (labelled) unless the file says.
Problems name the file's own columns (``hdate``, not ``date``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.columns import lane_name
from ..core.lives import LIFE_END, LIFE_START
from ..core.model import Problem, ValidationError, normalise_column
from . import csv_reader
from .decode import CSV_FILE, sniff_text, utf8_bytes

RENAMED = {
    "label": "title",
    "hdate": "date",
    "hdate_end": "end_date",
    "hdate_birth": LIFE_START,
    "hdate_death": LIFE_END,
    "url": "source",
}
"""hdtimelines' columns -> ours."""
SNIFF_BYTES = 64 * 1024
IMPORTANCE = 4
"""The importance of every row of a file that gives none: labelled, as hdtimelines labels every row."""


def detect(data: bytes) -> bool:
    """Whether the file's header is hdtimelines': a ``label`` and an ``hdate`` or ``hdate_birth``."""
    names = csv_reader.header_names(sniff_text(bytes(data[:SNIFF_BYTES])))
    return "label" in names and bool({"hdate", "hdate_birth"} & names)


def read_hdtimelines(
    data: bytes, name: str
) -> tuple[pa.Table, Callable[[], np.ndarray], list[Problem], dict[str, str]]:
    """(table of strings in our columns, each row's line (worked out when asked), problems, our column
    -> the file's column). Read as any CSV is (:func:`csv_reader.read_table`), then renamed."""
    data, offset = utf8_bytes(data, name, CSV_FILE)
    raw, header, known, problems = csv_reader.read_table(data, offset, name)
    n = raw.num_rows
    ours: dict[str, str] = {}
    columns: dict[str, pa.Array] = {}
    for i, written in enumerate(header):
        col = normalise_column(written)
        col = RENAMED.get(col, col) or f"col_{i + 1}"
        if col in columns:
            raise ValidationError(name, [Problem(1, written, written, f"unique column names: '{col}' is used twice")])
        ours[col] = written
        columns[col] = raw.column(i).combine_chunks()
    if "importance" not in columns:  # lists of people and reigns: every row named on the timeline
        columns["importance"] = pa.array([str(IMPORTANCE)] * n, type=pa.string())
    themes = columns.get("themes")
    lane = pa.scalar(lane_name(name))
    if themes is None:
        columns["themes"] = pa.array([lane.as_py()] * n, type=pa.string())
    else:
        columns["themes"] = pc.if_else(pc.equal(pc.utf8_trim_whitespace(themes), ""), lane, themes)

    def lines() -> np.ndarray:
        return known if known is not None else csv_reader.line_numbers(data, offset)

    return pa.table(columns), lines, problems, ours


@contextmanager
def own_columns(name: str, ours: dict[str, str]) -> Iterator[None]:
    """Problems found in the mapped table, re-raised under the file's own column names."""
    try:
        yield
    except ValidationError as exc:
        renamed = [
            Problem(p.line, ours.get(p.column, p.column) if p.column else None, p.value, _reworded(p.expected, ours))
            for p in exc.problems
        ]
        raise ValidationError(name, renamed) from None


def _reworded(expected: str, ours: dict[str, str]) -> str:
    """What was expected, naming the life columns as the file does."""
    for col in (LIFE_START, LIFE_END):
        if col in ours:
            expected = expected.replace(col, ours[col])
    return expected
