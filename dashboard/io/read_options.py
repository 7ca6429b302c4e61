"""How to read a file, beyond its bytes: which of its columns are ours, which sheet of a workbook,
and the order of day and month in dates such as 03/04/1901. One value, so every loader and the
cache (a file read another way is another timeline) take the same thing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from ..core.columns import parse_mapping

DATE_ORDERS = ("dmy", "mdy")


@dataclass(frozen=True)
class ReadOptions:
    """``columns``: (ours, the file's header) pairs mapped by hand; ``sheet``: a workbook's sheet by
    name (default: the first); ``date_order``: 'dmy' or 'mdy' (default: unambiguous forms only)."""

    columns: tuple[tuple[str, str], ...] = ()
    sheet: str | None = None
    date_order: str | None = None

    def __post_init__(self) -> None:
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            raise ValueError(f"date order '{self.date_order}': expected one of {', '.join(DATE_ORDERS)}")

    @classmethod
    def of(
        cls, columns: str | Mapping[str, str] | None = None, sheet: str | None = None, date_order: str | None = None
    ) -> ReadOptions:
        """From a ``date=Start,title=Event`` text or a mapping (ValueError if it is not one)."""
        mapping = parse_mapping(columns) if isinstance(columns, str) else dict(columns or {})
        return cls(tuple(mapping.items()), sheet or None, date_order or None)

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self.columns)

    def key(self) -> str:
        """A stable text for the options ('' for the defaults): part of a cache's key."""
        if self == ReadOptions():
            return ""
        return json.dumps([sorted(self.columns), self.sheet, self.date_order])

    @classmethod
    def from_key(cls, key: str) -> ReadOptions:
        """The options :meth:`key` wrote (ValueError if it is not such a text)."""
        if not key:
            return cls()
        columns, sheet, date_order = json.loads(key)
        pairs = tuple((str(ours), str(theirs)) for ours, theirs in columns)
        return cls(pairs, None if sheet is None else str(sheet), None if date_order is None else str(date_order))


DEFAULT_OPTIONS = ReadOptions()
