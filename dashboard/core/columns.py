"""Which column of a file feeds each of ours, whatever the file calls it.

People keep events under headers like ``Start``, ``Event``, ``Category``, ``Notes``: the common
names are recognised without asking (:data:`ALIASES`), and anything else can be mapped by hand
(``--columns date=Start,title=Event``). Every reader (CSV, spreadsheets) names its columns here,
so they all accept the same headers and report the same header problems; problems about cells
then name the file's own header, not ours (:attr:`ColumnPlan.shown`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

import pyarrow as pa

from .model import KNOWN_COLUMNS, REQUIRED_COLUMNS, Problem, ValidationError, normalise_column

ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("start", "year", "from", "begin", "start_date"),
    "end_date": ("end", "to", "until"),
    "title": ("label", "name", "event", "headline"),
    "themes": ("theme", "category", "type", "group", "tags"),
    "description": ("text", "details", "notes"),
    "source": ("url", "link"),
    "media": ("image", "picture", "photo", "image_url", "media_url"),
    "media_caption": ("caption", "image_caption"),
    "media_credit": ("credit", "image_credit", "photo_credit"),
    "media_thumbnail": ("thumbnail", "thumb"),
    "story": ("story_order", "story_step"),
}
"""Other names (as :func:`~dashboard.core.model.normalise_column` gives them) for our columns.
A column named exactly as ours wins over these; two of these for one of ours is a problem."""

MAPPING_HINT = "--columns"
"""How a user maps a column by hand, as the command line spells it (the page offers a choice of
the file's columns under these problems)."""
MAPPED = ("date", "title", "themes", "end_date", "description")
"""The columns of ours a page offers to choose a file's column for."""


@dataclass(frozen=True)
class ColumnPlan:
    """How a file's columns become ours."""

    names: tuple[str, ...]
    """The name each file column takes in the table, in the file's order: ours where it feeds one
    of ours, else its own (normalised; ``col_N`` for a blank header)."""
    shown: dict[str, str] = field(default_factory=dict)
    """Our column -> the file's header as written, where it is written otherwise ('Start', 'Date'):
    what problems name."""
    problems: list[Problem] = field(default_factory=list)
    """What is wrong with the header (empty when the plan can be used)."""


def parse_mapping(text: str) -> dict[str, str]:
    """``'date=Start, title=Event'`` -> {'date': 'Start', 'title': 'Event'}; ValueError saying what is
    wrong (a pair without '=', a name that is not one of ours, one of ours given twice)."""
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        key = normalise_column(ours)
        if not sep or not key or not theirs.strip():
            raise ValueError(f"'{part.strip()}' is not OURS=FILE_COLUMN (e.g. date=Start)")
        if key not in KNOWN_COLUMNS:
            raise ValueError(f"'{ours.strip()}' is not a column of ours; they are: {', '.join(KNOWN_COLUMNS)}")
        if key in mapping:
            raise ValueError(f"'{key}' is mapped twice")
        mapping[key] = theirs.strip()
    return mapping


def plan_columns(header: Sequence[str], mapping: Mapping[str, str] | None = None) -> ColumnPlan:
    """Which file column feeds each of ours: mapped by hand first, then named exactly as ours, then by
    a common other name (:data:`ALIASES`). Header problems (line 1) are in ``problems``."""
    written = [h.strip().lstrip("\ufeff").strip() for h in header]
    norm = [normalise_column(h) for h in header]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, n in enumerate(norm):
        if n and n in seen:
            problems.append(
                Problem(1, written[i], written[i], f"unique column names: '{n}' is column {seen[n] + 1} too")
            )
        seen.setdefault(n, i)
    found = ", ".join(h for h in written if h) or "nothing"

    feeds: dict[str, int] = {}  # ours -> file column
    for ours, theirs in (mapping or {}).items():
        hits = [i for i, h in enumerate(written) if h == theirs.strip()] or [
            i for i, n in enumerate(norm) if n and n == normalise_column(theirs)
        ]
        if not hits:
            problems.append(
                Problem(
                    1, None, theirs, f"a column named '{theirs}' for {MAPPING_HINT} {ours}={theirs} (found: {found})"
                )
            )
        elif hits[0] in feeds.values():
            other = next(o for o, i in feeds.items() if i == hits[0])
            problems.append(
                Problem(1, written[hits[0]], theirs, f"one of ours per column: it is mapped to {other} too")
            )
        else:
            feeds[ours] = hits[0]
    for ours in KNOWN_COLUMNS:
        if ours in feeds or (mapping and ours in mapping):
            continue
        if ours in seen and seen[ours] not in feeds.values():
            feeds[ours] = seen[ours]
            continue
        candidates = [i for i, n in enumerate(norm) if n in ALIASES.get(ours, ()) and i not in feeds.values()]
        if len(candidates) == 1:
            feeds[ours] = candidates[0]
        elif len(candidates) > 1:
            named = " and ".join(f"'{written[i]}'" for i in candidates)
            problems.append(
                Problem(
                    1,
                    written[candidates[1]],
                    None,
                    f"one column for {ours}: {named} could both be it; rename one, or choose with "
                    f"{MAPPING_HINT} {ours}={written[candidates[0]]}",
                )
            )
            feeds[ours] = candidates[0]  # reported; no 'missing' problem on top
    for ours in REQUIRED_COLUMNS:
        if ours not in feeds and not (mapping and ours in mapping):
            others = ", ".join(a.replace("_", " ").title() for a in ALIASES[ours])
            problems.append(
                Problem(
                    1,
                    ours,
                    None,
                    f"a column named '{ours}' in the header (found: {found}), or one named {others}; "
                    f"or say which column it is ({MAPPING_HINT} {ours}=NAME, or the choices under an upload)",
                )
            )

    fed_by = {i: ours for ours, i in feeds.items()}
    names: list[str] = []
    for i, n in enumerate(norm):
        name = fed_by.get(i) or n or f"col_{i + 1}"
        while i not in fed_by and (name in feeds or name in names):
            name = f"{name}_{i + 1}"  # a column of ours by name, displaced by a mapping: kept as an extra
        names.append(name)
    shown = {ours: written[i] for ours, i in feeds.items() if written[i] != ours}
    return ColumnPlan(tuple(names), shown, problems)


def lane_name(source: str) -> str:
    """The one theme of a file without a theme column: the file's name without its extension."""
    stem = PurePath(source).stem.replace(";", ",").strip()
    return stem or "events"


PREVIEW_ROWS = 3
"""Rows of a file whose header is not understood shown beside the choice of its columns."""


def name_table(
    table: pa.Table, header: Sequence[str], source: str, mapping: Mapping[str, str] | None, known: list[Problem]
) -> tuple[pa.Table, ColumnPlan]:
    """A reader's table (file columns in order, any names) under the names of :func:`plan_columns`,
    with a theme column of one lane when the file has none; ValidationError for a bad header
    (with the problems the reader already found, ``known``)."""
    plan = plan_columns(header, mapping)
    if plan.problems:
        first = table.slice(0, PREVIEW_ROWS).columns[: len(header)]
        preview = [["" if v is None else str(v) for v in row] for row in zip(*(c.to_pylist() for c in first))]
        raise ValidationError(source, plan.problems + known, header=[h.strip() for h in header], preview=preview)
    named = pa.table(dict(zip(plan.names, table.columns[: len(plan.names)])))
    if "themes" not in plan.names:
        named = named.append_column("themes", pa.repeat(pa.scalar(lane_name(source)), named.num_rows))
    return named, plan
