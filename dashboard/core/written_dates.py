"""Dates as people write them: ``25 Dec 1066``, ``December 25, 1066``, ``55 BC``, ``AD 43``,
``between 47 and 50``, ``after 17 Jul 924``, ``circa5d 25 Dec 1066``, ``c. 1483 earliest 1483``,
``ongoing``, and day/month orders such as ``25/12/1066`` when the file says which order it uses.

This module only reads the words and numbers (what is the year, the month, the day, the era, which
qualifier): :mod:`dashboard.core.dates` turns the result into days, checks that the day exists
(Julian or Gregorian) and says how the date reads. It runs once per distinct string, and only on
cells that today's forms (``YYYY-MM-DD``, ``c. 1600``, ``156X``...) refuse, so files in those forms
parse as fast as before. The qualifiers follow the historicaldate package's conventions
(``circa5d``, ``earliest`` / ``latest``, ``between ... and``, ``before``, ``after``, ``ongoing``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATE_ORDERS = ("dmy", "mdy")
"""Orders a file may declare for numeric day/month dates (``25/12/1066`` or ``12/25/1066``)."""

MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {name: i for i, full in enumerate(MONTH_NAMES, 1) for name in (full, full[:3])} | {"sept": 9}

CIRCA_UNITS = {"d": "days", "m": "months", "y": "years"}
"""``circa5d``, ``circa3m``, ``circa2y``: how far "approximately" reaches, written in the cell."""

TWO_DIGITS = "a full year: two-digit years are ambiguous (write 1066, 0043, or add the era: 43 CE, 55 BC)"
ORDER_OF_FILE = ", or say which order the file uses"
"""What a file's problem adds: a date typed in a filter box has no file to say its order of. Where the
file's order is said is the reader's own: the command line's ``--date-order``, the page's choice under
an upload; each adds it beside the problems."""
ORDER_NEEDED = "a date order for {text} ({one} or {other}): write it as YYYY-MM-DD" + ORDER_OF_FILE
ORDER_ASKED = ORDER_NEEDED.split("{", 1)[0]
"""How a problem that a date order would solve begins (the page offers the choice under it)."""
NO_ORDER_READS = "a day from 1 to 31 and a month from 1 to 12, in either order (day/month/year or month/day/year)"

_ERA = r"(?:B\.?\s?C\.?(?:\s?E\.?)?|A\.?\s?D\.?|C\.?\s?E\.?)"
_ERA_RE = re.compile(rf"(?<![A-Za-z]){_ERA}(?![A-Za-z])", re.IGNORECASE)
_POINT_RE = re.compile(
    rf"^(?:(?P<pre>A\.?\s?D\.?)(?![A-Za-z])\s*)?(?P<core>.*?)(?:\s*(?<![A-Za-z])(?P<post>{_ERA}))?$", re.IGNORECASE
)
_ISO_RE = re.compile(r"^(?P<sign>[-+]?)(?P<y>\d+)(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?$")
_ORD = r"(?:st|nd|rd|th)?"
_DMY_RE = re.compile(rf"^(?P<d>\d{{1,2}}){_ORD}\s+(?P<mon>[A-Za-z]+)\.?,?\s+(?P<y>[-+]?\d+)$")
_MDY_RE = re.compile(rf"^(?P<mon>[A-Za-z]+)\.?\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>[-+]?\d+)$")
_MY_RE = re.compile(r"^(?P<mon>[A-Za-z]+)\.?,?\s+(?P<y>[-+]?\d+)$")
_NUMERIC_RE = re.compile(r"^(?P<a>\d{1,4})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})$")
_CIRCA_RE = re.compile(
    r"^(?:circa|ca|c)(?:\.|(?P<n>\d+)(?P<unit>[dmy])\b|\b)\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_KEYWORDS_RE = re.compile(r"(?<![A-Za-z])(between|and|earliest|after|latest|before)(?![A-Za-z])", re.IGNORECASE)


@dataclass(frozen=True)
class Point:
    """One date as written: historian year (negative is BCE), month and day where given."""

    year: int
    month: int | None = None
    day: int | None = None
    era: str = ""  # "BCE" or "CE" where the writer marked it


@dataclass(frozen=True)
class Written:
    """A cell in one of the written forms.

    ``date`` is the most likely date (None for ``between``/``before``/``after`` alone); ``earliest``
    and ``latest`` bound it (``after``/``earliest`` and ``before``/``latest``, or ``between``);
    ``circa`` marks it approximate, ``reach`` the written circa reach (5, "days"); ``words`` are the
    qualifiers as written, lower case ("between", "after"...)."""

    date: Point | None = None
    earliest: Point | None = None
    latest: Point | None = None
    circa: bool = False
    reach: tuple[int, str] | None = None
    words: tuple[str, str] = ("", "")
    ongoing: bool = False


def read_written(text: str, date_order: str | None = None) -> Written | str | None:
    """``text`` in a written form (:class:`Written`), why it is not a valid one (a reason, str), or
    None when it uses none of the written forms' words or orders (the caller's own reason stands)."""
    if text.strip().lower() == "ongoing":
        return Written(ongoing=True)
    rest, circa, reach = text.strip(), False, None
    m = _CIRCA_RE.match(rest)
    if m:
        rest, circa = m["rest"], True
        if m["n"]:
            if int(m["n"]) == 0:
                return "a circa reach of at least 1 (circa5d, circa3m, circa2y)"
            reach = (int(m["n"]), CIRCA_UNITS[m["unit"].lower()])
    parts = _KEYWORDS_RE.split(rest)
    head = parts[0].strip()
    pairs = [(parts[i].lower(), parts[i + 1].strip()) for i in range(1, len(parts), 2)]
    if not pairs:
        if not head:
            return None
        date = _point(head, date_order, keyworded=reach is not None)
        if date is None or isinstance(date, str):
            return date
        return Written(date=date, circa=circa, reach=reach)
    if [w for w, _ in pairs] == ["between", "and"] and not head:
        if circa:
            return "a 'between' without circa (between 1590 and 1610)"
        bounds = [_bound(word, seg, date_order) for word, seg in pairs]
        for b in bounds:
            if isinstance(b, str):
                return b
        lo, hi = bounds
        assert isinstance(lo, Point) and isinstance(hi, Point)
        return Written(earliest=lo, latest=hi, words=("between", "and"))
    return _qualified(head, pairs, circa, reach, date_order)


def _qualified(
    head: str, pairs: list[tuple[str, str]], circa: bool, reach: tuple[int, str] | None, date_order: str | None
) -> Written | str:
    """``[circa] [date] [earliest|after X] [latest|before Y]``, in that order, each once."""
    grammar = "a date with 'earliest'/'after' then 'latest'/'before' (c. 1483 earliest 1483, after 1600)"
    slots: dict[int, tuple[str, Point]] = {}
    last_slot = -1
    for word, seg in pairs:
        slot = 0 if word in ("earliest", "after") else 1 if word in ("latest", "before") else -1
        if slot <= last_slot:
            return "'between X and Y' alone (between 1590 and 1610)" if slot < 0 else grammar
        p = _bound(word, seg, date_order)
        if isinstance(p, str):
            return p
        slots[slot] = (word, p)
        last_slot = slot
    date = None
    if head:
        got = _point(head, date_order, keyworded=True)
        if got is None:
            return grammar
        if isinstance(got, str):
            return got
        date = got
    elif circa and reach is None:
        return "a date after circa (c. 1600, circa 1483 earliest 1483)"
    low, high = slots.get(0), slots.get(1)
    return Written(
        date=date,
        earliest=low[1] if low else None,
        latest=high[1] if high else None,
        circa=circa,
        reach=reach,
        words=(low[0] if low else "", high[0] if high else ""),
    )


def _bound(word: str, seg: str, date_order: str | None) -> Point | str:
    """The date after a qualifier (between 47, and 50, after 17 Jul 924), or why it is not one."""
    p = _point(seg, date_order, keyworded=True)
    return f"a date after '{word}' ({word} 1600, {word} 17 Jul 924, {word} 55 BC)" if p is None else p


def _point(seg: str, date_order: str | None, keyworded: bool) -> Point | str | None:
    """One date. ``keyworded``: in a form that makes a short number a year (between 47 and 50).
    None when ``seg`` uses no written form (no month name, era or day/month order)."""
    m = _POINT_RE.match(seg)
    if not m or not m["core"]:
        return "a year beside the era (55 BC, AD 43)" if m and (m["pre"] or m["post"]) else None
    core = m["core"].strip()
    era_words = [w for w in (m["pre"], m["post"]) if w] + _ERA_RE.findall(core)
    if len(era_words) > 1:
        return "one era marker (BC, BCE, AD or CE) per date"
    era = ""
    if era_words:
        era = "BCE" if era_words[0].upper().replace(".", "").replace(" ", "").startswith("B") else "CE"
    iso = _ISO_RE.match(core)
    if iso:
        if not era and not keyworded:
            return None  # today's form: its own reason stands
        if era and iso["sign"]:
            return "a year without a sign beside an era marker (5 BC, AD 5)"
        year = int(iso["y"]) * (-1 if iso["sign"] == "-" else 1)
        month = int(iso["m"]) if iso["m"] else None
        day = int(iso["d"]) if iso["d"] else None
        return _with_era(year, month, day, era)
    numeric = _NUMERIC_RE.match(core)
    if numeric:
        return _numeric(numeric, seg.strip(), date_order, era)
    for pattern in (_DMY_RE, _MDY_RE, _MY_RE):
        named = pattern.match(core)
        if named:
            month = _MONTHS.get(named["mon"].lower())
            if month is None:
                if named["mon"][:3].lower() in _MONTHS:
                    return f"a month name (Jan to Dec, or in full), not {named['mon']!r}"
                return None
            ytext = named["y"]
            if era and ytext[0] in "+-":
                return "a year without a sign beside an era marker (5 BC, AD 5)"
            if not era and len(ytext.lstrip("+-")) <= 2 and ytext[0] != "-":
                return TWO_DIGITS
            day = int(named["d"]) if "d" in named.groupdict() and named["d"] else None
            return _with_era(int(ytext), month, day, era)
    return "a date such as 1066, Dec 1066, 25 Dec 1066, December 25, 1066" if era else None


def _numeric(m: re.Match[str], written: str, date_order: str | None, era: str) -> Point | str:
    """25/12/1066, 12/25/1066, 25.12.1066 (in the file's date order), 1066/12/25 (year first);
    ``written``: the date as written, its era marker included (what a problem quotes)."""
    a, b, c = m["a"], m["b"], m["c"]
    if len(a) >= 3:
        return _with_era(int(a), int(b), int(c), era)
    if len(c) < 3 and not era:
        return "a year of 3 or 4 digits last in a day/month date (25/12/1066)"
    if date_order is None:
        # an order is needed only where both read a date (03/04/1854); 25/12/1066 and 3/31/1854 have one
        # reading, 05/05/1854 one day either way
        first, second = int(a), int(b)
        readings = {(m, d) for d, m in ((first, second), (second, first)) if 1 <= m <= 12 and 1 <= d <= 31}
        if not readings:
            return NO_ORDER_READS
        if len(readings) == 2:
            point = _with_era(int(c), 1, 1, era)
            if isinstance(point, str):  # 03/04/0 BC: no order reads a year 0
                return point
            sign = "-" if point.year < 0 else ""  # a BCE year as the file writes it in YYYY-MM-DD (-0055)
            one, other = (f"{sign}{abs(point.year):04d}-{m:02d}-{d:02d}" for m, d in sorted(readings))
            return ORDER_NEEDED.format(text=written, one=one, other=other)
        [(month_read, day_read)] = readings
        return _with_era(int(c), month_read, day_read, era)
    day, month = (a, b) if date_order == "dmy" else (b, a)
    if not 1 <= int(month) <= 12:
        order = "day/month/year" if date_order == "dmy" else "month/day/year"
        return f"a month from 1 to 12 (the date order is {date_order}: {order})"
    return _with_era(int(c), int(month), int(day), era)


def _with_era(year: int, month: int | None, day: int | None, era: str) -> Point | str:
    if era and year == 0:
        return "a real year: there is no year 0 (1 BC is followed by AD 1)"
    return Point(-year if era == "BCE" else year, month, day, era)
