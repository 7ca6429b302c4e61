"""Historical dates: parsing, epoch arithmetic and display at their true precision.

Historians write years as they are (``-490`` is 490 BCE, there is no year 0) and
date events only as precisely as the sources allow (``1951``, ``2015-04``,
``2015-04-29``). numpy's datetime types use astronomical years and a browser's
date axis silently drops unpadded or very old years, so this module keeps its
own arithmetic: every date becomes a float of milliseconds since 1970-01-01
(proleptic Gregorian calendar, what plotly's date axis reads for any year from
-9999 to 9999) plus a precision code. All functions are vectorised so that a
million dates parse in a fraction of a second.

Why our own parser: pandas and numpy count astronomical years and keep no precision, and the
field's date libraries (undate, edtf, historicaldate) parse one string at a time, far too slow
for a million rows; the grammar here is small enough to check whole columns with pyarrow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .written_dates import DATE_ORDERS, Point, read_written

YEAR, MONTH, DAY = 0, 1, 2
"""Precision codes, stored as int8 beside each date."""

MS_PER_DAY = 86_400_000
MIN_YEAR, MAX_YEAR = -9999, 9999
"""Historian years accepted (no year 0): the span a plotly date axis can draw."""

MONTH_ABBR = np.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], dtype=object
)

DATE_FORMS = (
    "a date as YYYY, YYYY-MM or YYYY-MM-DD (e.g. 1951, 2015-04, 2015-04-29; -490 for 490 BCE) "
    "or written out (25 Dec 1066, Dec 1066, December 25, 1066, 55 BC, AD 43), "
    "optionally approximate or uncertain (c. 1600, ca. 1600, circa 1600, 1600~, 1600?, 1600%, circa5d 1066-12-25), "
    "with unspecified digits (156X, 15XX), a decade or century (1590s, 1500s), "
    "a range [1590..1610] or between 47 and 50, before 1600, after 1600, c. 1483 earliest 1483, "
    "ongoing (end dates), or deep time (-66000000, 66 Ma, 4.54 Ga, 300 ka)"
)

APPROXIMATE = {YEAR: ("years", 10), MONTH: ("months", 2), DAY: ("days", 7)}
"""How far "approximately" reaches either side of a date written ``c. 1600``, ``1600~`` (and, as
historians use them alike, ``1600?``), per precision. ``1600%`` (uncertain and approximate) reaches
twice as far. The date itself stays the most likely span; the reach widens earliest/latest only."""

OPEN_REACH = (10, "years")
"""How far ``before 1600`` reaches before 1600, and ``after 1600`` after it (unless the cell gives
its own reach: ``circa5y before 1600``); both are then read as a range, like ``[1590..1600]``."""
ONGOING = "ongoing"
"""An end date meaning "still going on": the day the file is loaded."""

PRESENT_YEAR = 1950
"""'Before present' in ka/Ma/Ga dates, as radiocarbon dating and geology define it."""
DEEP_UNITS = {"ka": 1_000, "Ma": 1_000_000, "Ga": 1_000_000_000}
MAX_DEEP_YEARS = 100_000_000_000
"""Largest number of years accepted either side of year 1 (the Big Bang was 13.8 Ga)."""

_DATE_RE = r"^\s*(?P<sign>[-+]?)(?P<year>\d+)(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?\s*$"
"""Today's forms, read for every cell."""
_QUALIFIED_DATE_RE = (
    r"^(?P<pre>(?:c\.|ca\.|circa)\s*)?(?P<sign>[-+]?)(?P<year>\d+)"
    r"(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?(?P<post>[~?%]?)$"
)
"""The same with the approximate and uncertain marks (the commonest new forms), read for the
cells that are not in today's forms."""


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 for astronomical year/month/day arrays (proleptic Gregorian)."""
    y = np.asarray(year, dtype=np.int64) - (np.asarray(month) <= 2)
    m = np.asarray(month, dtype=np.int64)
    d = np.asarray(day, dtype=np.int64)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days: np.ndarray = era * 146097 + doe - 719468
    return days


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`days_from_civil`: astronomical (year, month, day) arrays."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def days_in_month(year: np.ndarray, month: np.ndarray, julian: np.ndarray | None = None) -> np.ndarray:
    """Length of each month (astronomical years; Gregorian leap rule, Julian where ``julian``)."""
    y = np.asarray(year, dtype=np.int64)
    m = np.asarray(month, dtype=np.int64)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    if julian is not None:
        leap = leap | (np.asarray(julian, dtype=bool) & (y % 4 == 0))
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    out: np.ndarray = lengths[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)
    return out


def historian_to_astronomical(year: np.ndarray) -> np.ndarray:
    """-490 (490 BCE) becomes -489; positive years are unchanged."""
    y = np.asarray(year, dtype=np.int64)
    return np.where(y < 0, y + 1, y)


def astronomical_to_historian(year: np.ndarray) -> np.ndarray:
    y = np.asarray(year, dtype=np.int64)
    return np.where(y <= 0, y - 1, y)


class ParsedDates:
    """Result of :func:`parse_dates`: values for the valid cells, reasons for the others."""

    def __init__(
        self,
        ms: np.ndarray,
        precision: np.ndarray,
        end_ms: np.ndarray,
        error: np.ndarray,
        present: np.ndarray,
        earliest: np.ndarray | None = None,
        latest: np.ndarray | None = None,
        display: np.ndarray | None = None,
    ) -> None:
        self.ms = ms  # float64 start of the most likely period, NaN where absent/invalid
        self.precision = precision  # int8 YEAR/MONTH/DAY, -1 where absent/invalid
        self.end_ms = end_ms  # float64 last millisecond of that period (e.g. 1951-12-31 23:59:59.999)
        self.error = error  # object array: None or why the cell is not a date
        self.present = present  # bool: the cell was not blank
        self.earliest = ms.copy() if earliest is None else earliest  # first ms the date may mean
        self.latest = end_ms.copy() if latest is None else latest  # last ms the date may mean
        # object array: how a date in one of the new forms (or a Julian date) reads, None for the others
        self.display = np.full(len(ms), None, dtype=object) if display is None else display

    @property
    def special(self) -> np.ndarray:
        """Cells written in one of the new forms (or in the Julian calendar): shown as written."""
        return np.asarray(self.display != None, dtype=bool)  # noqa: E711 (elementwise)

    def take(self, rows: np.ndarray, n: int) -> ParsedDates:
        """These results placed at ``rows`` of ``n`` cells (the others absent)."""
        out = ParsedDates(
            np.full(n, np.nan),
            np.full(n, -1, dtype=np.int8),
            np.full(n, np.nan),
            np.full(n, None, dtype=object),
            np.zeros(n, dtype=bool),
            np.full(n, np.nan),
            np.full(n, np.nan),
            np.full(n, None, dtype=object),
        )
        for name in ("ms", "precision", "end_ms", "error", "present", "earliest", "latest", "display"):
            getattr(out, name)[rows] = getattr(self, name)
        return out


def parse_dates(
    values: pa.Array | pa.ChunkedArray | pd.Series | list[str],
    julian: np.ndarray | None = None,
    date_order: str | None = None,
    end: bool = False,
) -> ParsedDates:
    """Parse date cells (strings) vectorised; blank cells are ``present=False``, not errors.

    ``julian`` marks the cells written in the Julian calendar (checked against it, converted to the
    proleptic Gregorian epoch ms every other date uses). Today's forms (YYYY, YYYY-MM, YYYY-MM-DD)
    are parsed by whole-column compute; the rare other forms once per distinct string.
    ``date_order`` ("dmy" or "mdy") says how to read numeric day/month dates (25/12/1066), refused
    as ambiguous without it; ``end``: these are end dates, where ``ongoing`` is allowed."""
    if date_order not in (None, *DATE_ORDERS):
        raise ValueError(f"date_order must be one of {DATE_ORDERS} or None, not {date_order!r}")
    written = (date_order, end)
    arr = pa.array(values, type=pa.string()) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    stripped = pc.utf8_trim_whitespace(pc.fill_null(arr, ""))
    present = pc.not_equal(stripped, "").to_numpy(zero_copy_only=False)
    n = len(stripped)
    filled = int(present.sum())
    jul = None if julian is None or not np.any(julian) else np.asarray(julian, dtype=bool)
    if filled < n // 2:
        # Mostly blank (an end_date column): parse only the filled cells.
        rows = np.flatnonzero(present)
        sub = _parse_present(
            stripped.take(pa.array(rows)), np.ones(filled, dtype=bool), None if jul is None else jul[rows], written
        )
        out = sub.take(rows, n)
        out.present = present
        return out
    return _parse_present(stripped, present, jul, written)


def _parse_present(
    stripped: pa.Array,
    present: np.ndarray,
    julian: np.ndarray | None,
    written: tuple[str | None, bool],
    qualified_pass: bool = False,
) -> ParsedDates:
    """Today's forms column-wise; the other cells again with the approximate and uncertain marks
    (``qualified_pass``), column-wise too; what is left once per distinct string."""
    n = len(stripped)
    parts = pc.extract_regex(stripped, pattern=_QUALIFIED_DATE_RE if qualified_pass else _DATE_RE)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)

    error = np.full(n, None, dtype=object)

    def field(name: str) -> pa.Array:
        return pc.struct_field(parts, name)

    def as_int(a: pa.Array) -> np.ndarray:
        values: np.ndarray = pc.fill_null(pc.cast(pc.if_else(pc.equal(a, ""), None, a), pa.int64()), 0).to_numpy()
        return values

    year_txt = pc.utf8_slice_codeunits(pc.fill_null(field("year"), ""), 0, 6)
    ndigits = pc.fill_null(pc.utf8_length(field("year")), 0).to_numpy()
    negative = pc.fill_null(pc.equal(field("sign"), "-"), False).to_numpy(zero_copy_only=False)
    year = as_int(year_txt)
    year = np.where(negative, -year, year)
    month_txt, day_txt = field("month"), field("day")
    has_month = pc.fill_null(pc.not_equal(month_txt, ""), False).to_numpy(zero_copy_only=False)
    has_day = pc.fill_null(pc.not_equal(day_txt, ""), False).to_numpy(zero_copy_only=False)
    month = as_int(month_txt)
    day = as_int(day_txt)

    # Not today's form, or a year beyond what it covers: the other forms, parsed one string at a time.
    slow = present & (~matched | (year < MIN_YEAR) | (year > MAX_YEAR) | (ndigits > 5))
    ok = matched & ~slow

    def fail(cond: np.ndarray, why: str) -> None:
        nonlocal ok
        hit = ok & cond
        error[hit] = why
        ok &= ~cond

    fail(~negative & (ndigits <= 2), "a full year: two-digit years are ambiguous (write 1951, or 0051 for the year 51)")
    fail(year == 0, "a real year: there is no year 0 (1 BCE is -1, 1 CE is 1)")
    fail(has_month & ((month < 1) | (month > 12)), "a month from 01 to 12")
    astro = historian_to_astronomical(year)
    m1 = np.where(has_month, month, 1)
    dim = days_in_month(astro, m1, julian)
    bad_day = has_day & ((day < 1) | (day > dim))
    if bad_day.any():
        for i in np.flatnonzero(ok & bad_day):
            error[i] = _bad_day_reason(int(year[i]), int(month[i]), int(dim[i]), julian is not None and julian[i])
        ok &= ~bad_day

    precision = np.where(has_day, DAY, np.where(has_month, MONTH, YEAR)).astype(np.int8)
    d1 = np.where(has_day, day, 1)
    start_days = days_from_calendar(astro, m1, d1, julian)
    # The day after the period: next year, next month or next day.
    end_y = np.where(precision == YEAR, astro + 1, np.where((precision == MONTH) & (m1 == 12), astro + 1, astro))
    end_m = np.where(precision == YEAR, 1, np.where(precision == MONTH, m1 % 12 + 1, m1))
    end_d = np.where(precision == DAY, d1 + 1, 1)
    # d1 + 1 may overflow the month: day counts handle day overflow linearly.
    end_days = days_from_calendar(end_y, end_m, end_d, julian)

    ms = np.where(ok, start_days * MS_PER_DAY, np.nan).astype(np.float64)
    end_ms = np.where(ok, end_days * MS_PER_DAY - 1, np.nan).astype(np.float64)
    precision = np.where(ok, precision, -1).astype(np.int8)
    out = ParsedDates(ms, precision, end_ms, error, present)

    # c. 1600, 1600~, 1600?, 1600%: the same date, reaching further either side.
    approx = uncertain = qualified = np.zeros(n, dtype=bool)
    if qualified_pass:
        pre, post = field("pre"), field("post")
        qualified = ok & (
            pc.fill_null(pc.not_equal(pre, ""), False).to_numpy(zero_copy_only=False)
            | pc.fill_null(pc.not_equal(post, ""), False).to_numpy(zero_copy_only=False)
        )
    if qualified.any():
        post_np = np.asarray(pc.fill_null(post, "").to_numpy(zero_copy_only=False), dtype=object)
        approx = qualified & (
            pc.fill_null(pc.not_equal(pre, ""), False).to_numpy(zero_copy_only=False)
            | (post_np == "~")
            | (post_np == "%")
        )
        uncertain = qualified & ((post_np == "?") | (post_np == "%"))
        reach = approx.astype(np.int64) + uncertain
        early = _reach_days(astro, m1, d1, precision, -reach, julian)
        late = _reach_days(end_y, end_m, end_d, precision, reach, julian)
        out.earliest = np.where(qualified, early.astype(np.float64) * MS_PER_DAY, ms)
        out.latest = np.where(qualified, late.astype(np.float64) * MS_PER_DAY - 1, end_ms)
    shown = qualified if julian is None else qualified | (ok & julian)
    if shown.any():
        _show(stripped, shown, julian, out, year, m1, d1, approx, uncertain)
    if slow.any():
        rows = np.flatnonzero(slow)
        if qualified_pass:
            _parse_slow(stripped, rows, julian, out, written)
        else:
            sub = _parse_present(
                stripped.take(pa.array(rows)),
                np.ones(len(rows), dtype=bool),
                None if julian is None else julian[rows],
                written,
                True,
            )
            for name in ("ms", "precision", "end_ms", "error", "earliest", "latest", "display"):
                getattr(out, name)[rows] = getattr(sub, name)
    return out


JULIAN_MARK = " (Julian)"


def _reach_days(
    y: np.ndarray, m: np.ndarray, d: np.ndarray, precision: np.ndarray, times: np.ndarray, julian: np.ndarray | None
) -> np.ndarray:
    """Day counts of (y, m, d) moved by ``times`` the approximate reach at each date's precision."""
    step = {p: size * times for p, (_, size) in APPROXIMATE.items()}
    y = np.where(precision == YEAR, y + step[YEAR], y)
    months = y * 12 + (m - 1) + np.where(precision == MONTH, step[MONTH], 0)
    d = np.where(precision == DAY, d + step[DAY], d)
    return days_from_calendar(np.floor_divide(months, 12), months % 12 + 1, d, julian)


def _show(
    stripped: pa.Array,
    rows: np.ndarray,
    julian: np.ndarray | None,
    out: ParsedDates,
    year: np.ndarray,
    month: np.ndarray,
    day: np.ndarray,
    approx: np.ndarray,
    uncertain: np.ndarray,
) -> None:
    """How the cells at ``rows`` (a mask) read ("c. May 1600?", "25 Oct 1917 (Julian)"), worked out
    once per distinct string and calendar."""
    idx = np.flatnonzero(rows)
    codes = pc.dictionary_encode(stripped.take(pa.array(idx))).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    if julian is not None:
        codes = codes * 2 + julian[idx]
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    at = idx[first]
    labels = np.array(
        [
            ("c. " if a else "") + _display(y, m, d, p) + ("?" if u else "") + (JULIAN_MARK if j else "")
            for y, m, d, p, a, u, j in zip(
                year[at].tolist(),
                month[at].tolist(),
                day[at].tolist(),
                out.precision[at].tolist(),
                approx[at].tolist(),
                uncertain[at].tolist(),
                (julian[at] if julian is not None else np.zeros(len(at), dtype=bool)).tolist(),
            )
        ],
        dtype=object,
    )
    out.display[idx] = labels[inverse.ravel()]


def _bad_day_reason(year: int, month: int, dim: int, julian: bool) -> str:
    cal = " in the Julian calendar" if julian else ""
    return f"a real calendar date: {MONTH_ABBR[month - 1]} {format_year(year)} has {dim} days{cal}"


class _Spec:
    """One distinct string in a new form, parsed: four (astronomical year, month, day) triples
    (start, the day after the most likely end, earliest, the day after the latest), precision, display."""

    __slots__ = ("days", "display", "error", "precision")

    def __init__(self, error: str | None = None) -> None:
        self.days: tuple[int, ...] = (0,) * 12
        self.precision = -1
        self.display: str | None = None
        self.error = error


_QUALIFIED_RE = re.compile(
    r"^(?:(?P<pre>c\.|ca\.|circa)\s*)?(?P<body>[-+]?[0-9X]+(?:-\d{1,2}(?:-\d{1,2})?)?s?)(?P<post>[~?%])?$"
)
_BASE_RE = re.compile(r"^(?P<sign>[-+]?)(?P<year>\d+)(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?$")
_RANGE_RE = re.compile(r"^\[\s*(?P<a>[^\[\]]*?)\s*\.\.\s*(?P<b>[^\[\]]*?)\s*\]$")
_DEEP_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ka|Ma|Ga)$")


def _parse_slow(
    stripped: pa.Array, rows: np.ndarray, julian: np.ndarray | None, out: ParsedDates, written: tuple[str | None, bool]
) -> None:
    """The cells at ``rows``: each distinct (string, calendar) parsed once, then placed vectorised:
    in the forms above first, then (only those they refuse) in the written forms."""
    texts = stripped.take(pa.array(rows))
    cal = np.zeros(len(rows), dtype=np.int64) if julian is None else julian[rows].astype(np.int64)
    if julian is not None:
        texts = pc.binary_join_element_wise(pa.array(np.where(cal == 1, "J", "G")), texts, "|")
    encoded = pc.dictionary_encode(texts)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    keys = encoded.dictionary.to_pylist()
    specs = []
    for key in keys:
        is_julian = julian is not None and key[0] == "J"
        text = key[2:] if julian is not None else key
        spec = _parse_one(text, is_julian)
        if spec.error is not None:
            spec = _parse_written(text, is_julian, *written) or spec
        if spec.display is not None and is_julian and spec.display != ONGOING:
            spec.display += JULIAN_MARK
        specs.append(spec)
    good = np.array([s.error is None for s in specs], dtype=bool)[codes]
    errors = np.array([s.error for s in specs], dtype=object)
    out.error[rows] = errors[codes]
    table = np.array([s.days for s in specs], dtype=np.int64).reshape(len(specs), 12)[codes]
    jul = cal.astype(bool) if julian is not None else None

    def ms(col: int) -> np.ndarray:
        days = days_from_calendar(table[:, col], table[:, col + 1], table[:, col + 2], jul)
        return days.astype(np.float64) * MS_PER_DAY

    nan = np.nan
    out.ms[rows] = np.where(good, ms(0), nan)
    out.end_ms[rows] = np.where(good, _last_ms(ms(3)), nan)
    out.earliest[rows] = np.where(good, ms(6), nan)
    out.latest[rows] = np.where(good, _last_ms(ms(9)), nan)
    out.precision[rows] = np.where(good, np.array([s.precision for s in specs], dtype=np.int8)[codes], -1)
    out.display[rows] = np.array([s.display for s in specs], dtype=object)[codes]


def _last_ms(after: np.ndarray) -> np.ndarray:
    """The last millisecond before ``after``; in deep time, where floats are coarser than a
    millisecond, the float just before it."""
    last: np.ndarray = np.minimum(after - 1, np.nextafter(after, -np.inf))
    return last


def _norm(y: int, m: int, d: int) -> tuple[int, int, int]:
    """Months outside 1..12 carried into the year (days overflow linearly in the day count)."""
    return y + (m - 1) // 12, (m - 1) % 12 + 1, d


def _after(y: int, m: int, d: int, prec: int) -> tuple[int, int, int]:
    """The day after the period starting at (y, m, d) with precision ``prec``."""
    if prec == YEAR:
        return y + 1, 1, 1
    if prec == MONTH:
        return _norm(y, m + 1, 1)
    return y, m, d + 1


class _Base:
    """A plain date (any size of year): historian year, month, day, precision, or why not."""

    def __init__(self, text: str, julian: bool) -> None:
        self.error: str | None = None
        self.era = ""
        m = _BASE_RE.match(text)
        if not m:
            self.error = DATE_FORMS
            return
        digits = m["year"]
        year = int(digits) * (-1 if m["sign"] == "-" else 1)
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"]) if m["day"] else None
        self._check(year, month, day, julian, m["sign"] != "-" and len(digits) <= 2)

    @classmethod
    def of(cls, point: Point, julian: bool) -> _Base:
        """A date in a written form (its words already read), checked like the others."""
        base = cls.__new__(cls)
        base.error = None
        base.era = point.era
        base._check(point.year, point.month, point.day, julian, False)
        return base

    def _check(self, year: int, month: int | None, day: int | None, julian: bool, two_digits: bool) -> None:
        self.year = year
        self.month = month or 1
        self.day = day or 1
        self.precision = DAY if day else MONTH if month else YEAR
        if two_digits:
            self.error = "a full year: two-digit years are ambiguous (write 1951, or 0051 for the year 51)"
        elif self.year == 0:
            self.error = "a real year: there is no year 0 (1 BCE is -1, 1 CE is 1)"
        elif abs(self.year) > MAX_DEEP_YEARS:
            self.error = f"a year within {MAX_DEEP_YEARS:,} years of year 1 (the Big Bang was 13.8 Ga)"
        elif self.precision != YEAR and not MIN_YEAR <= self.year <= MAX_YEAR:
            self.error = f"a year alone beyond {-MIN_YEAR} BCE or {MAX_YEAR} (no month or day there)"
        elif month is not None and not 1 <= self.month <= 12:
            self.error = "a month from 01 to 12"
        elif day is not None:
            dim = _month_length(self.year + 1 if self.year < 0 else self.year, self.month, julian)
            if not 1 <= self.day <= dim:
                self.error = _bad_day_reason(self.year, self.month, dim, julian)
        self.astro = self.year + 1 if self.year < 0 else self.year

    def start(self) -> tuple[int, int, int]:
        return self.astro, self.month, self.day

    def after(self) -> tuple[int, int, int]:
        return _after(self.astro, self.month, self.day, self.precision)

    def shown(self) -> str:
        if abs(self.year) > MAX_YEAR:
            return f"{-self.year:,} BCE" if self.year < 0 else f"{self.year:,}"
        # A year the writer marked CE (AD 43) keeps its mark; BCE years always have theirs.
        mark = " CE" if self.era == "CE" else ""
        return _display(self.year, self.month, self.day, self.precision) + mark


def _reach(y: int, m: int, d: int, prec: int, times: int) -> tuple[int, int, int]:
    """(y, m, d) moved by ``times`` the approximate reach at ``prec`` (negative: earlier)."""
    unit, size = APPROXIMATE[prec]
    return _move(y, m, d, size * times, unit)


def _move(y: int, m: int, d: int, step: int, unit: str) -> tuple[int, int, int]:
    """(y, m, d) moved by ``step`` years, months or days (days past a month's end run on)."""
    if unit == "years":
        return y + step, m, d
    if unit == "months":
        return _norm(y, m + step, d)
    return y, m, d + step


def _parse_one(text: str, julian: bool) -> _Spec:
    """One string in any accepted form (today's forms too, for years beyond ±9999)."""
    deep = _DEEP_RE.match(text)
    if deep:
        return _deep(deep["num"], deep["unit"])
    rng = _RANGE_RE.match(text)
    if rng:
        return _range(rng["a"], rng["b"], julian)
    q = _QUALIFIED_RE.match(text)
    if not q:
        return _Spec(DATE_FORMS)
    pre, body, post = q["pre"], q["body"], q["post"]
    approx = 1 if pre or post in ("~", "%") else 0
    uncertain = post in ("?", "%")
    reach = approx + uncertain
    spec = _Spec()
    if "X" in body or body.endswith("s"):
        span = _unspecified(body)
        if isinstance(span, str):
            return _Spec(span)
        first, last, shown = span  # historian years
        a0 = first + 1 if first < 0 else first
        a1 = last + 1 if last < 0 else last
        mid = (a0 + a1 + 1) // 2  # the year holding the middle of the span
        lo, hi = (a0, 1, 1), (a1 + 1, 1, 1)
        spec.days = (mid, 1, 1, mid + 1, 1, 1, *_reach(*lo, YEAR, -reach), *_reach(*hi, YEAR, reach))
        spec.precision = YEAR
    else:
        base = _Base(body, julian)
        if base.error:
            return _Spec(base.error)
        if not reach and abs(base.year) <= MAX_YEAR:
            # Today's form with a long year text (001951): shown as written only if Julian.
            spec.days = (*base.start(), *base.after()) * 2
            spec.precision = base.precision
            spec.display = base.shown() if julian else None
            return spec
        spec.days = (
            *base.start(),
            *base.after(),
            *_reach(*base.start(), base.precision, -reach),
            *_reach(*base.after(), base.precision, reach),
        )
        spec.precision = base.precision
        shown = base.shown()
    spec.display = ("c. " if approx else "") + shown + ("?" if uncertain else "")
    return spec


def _unspecified(body: str) -> tuple[int, int, str] | str:
    """156X, 15XX, 1590s, 1500s (and BCE: -49X, -490s): (first, last historian year, display) or why not."""
    negative = body.startswith("-")
    digits = body.lstrip("+-")
    why = "unspecified digits at the end of a 4-digit year (156X, 15XX), or a decade or century (1590s, 1500s)"
    if "X" in digits:
        m = re.fullmatch(r"(\d+)(X+)", digits)
        if not m or (not negative and len(digits) != 4) or len(m[2]) > 3 or len(digits) > 5:
            return why
        size = 10 ** len(m[2])
        low = int(m[1]) * size
        shown = f"{low}s"
    else:
        m = re.fullmatch(r"(\d+)0s", digits)
        if not m or (not negative and len(digits) != 5) or len(digits) > 6:
            return why
        low = int(digits[:-1])
        size = 100 if low % 100 == 0 else 10
        shown = f"{low}s"
    if low == 0 and not negative:
        low = 1  # the first decade or century CE starts in year 1 (there is no year 0)
    if negative:
        first, last = -(low + size - 1), -max(low, 1)
        shown += " BCE"
    else:
        first, last = low, low - low % size + size - 1 if low == 1 else low + size - 1
    return first, last, shown


def _range(a: str, b: str, julian: bool) -> _Spec:
    lo, hi = _Base(a, julian), _Base(b, julian)
    for bound in (lo, hi):
        if bound.error:
            why = bound.error if bound.error != DATE_FORMS else "YYYY, YYYY-MM or YYYY-MM-DD"
            return _Spec(f"a range [earliest..latest] of two plain dates ({why})")
    return _span(
        lo.start(),
        hi.after(),
        min(lo.precision, hi.precision),
        julian,
        f"between {lo.shown()} and {hi.shown()}",
        "a range [earliest..latest] whose first date is not after the second (e.g. [1590..1610])",
    )


def _span(
    first: tuple[int, int, int], after: tuple[int, int, int], prec: int, julian: bool, shown: str, backwards: str
) -> _Spec:
    """Some time from ``first`` to the day before ``after``: most likely the period (at ``prec``)
    holding its middle; ``backwards`` is the reason when it ends before it starts."""
    start = _days(*first, julian)
    end = _days(*after, julian)
    if end <= start:
        return _Spec(backwards)
    spec = _Spec()
    mid = (start + end) // 2
    y, mo, d = _julian_from_days(mid) if julian else _civil_from_day(mid)
    mo, d = (1, 1) if prec == YEAR else (mo, 1) if prec == MONTH else (mo, d)
    spec.days = (y, mo, d, *_after(y, mo, d, prec), *first, *after)
    spec.precision = prec
    spec.display = shown
    return spec


def _parse_written(text: str, julian: bool, date_order: str | None, end: bool) -> _Spec | None:
    """A string in one of the written forms (25 Dec 1066, 55 BC, between 47 and 50, after 1600,
    circa5d ..., ongoing), or None when it uses none of them."""
    written = read_written(text, date_order)
    if written is None or isinstance(written, str):
        return None if written is None else _Spec(written)
    if written.ongoing:
        return _ongoing(julian) if end else _Spec("a start date: 'ongoing' is only for an end date (still going on)")
    bases = {}
    for name in ("date", "earliest", "latest"):
        point = getattr(written, name)
        if point is not None:
            base = _Base.of(point, julian)
            if base.error:
                return _Spec(base.error)
            bases[name] = base
    main, lo, hi = bases.get("date"), bases.get("earliest"), bases.get("latest")
    low_word, high_word = written.words
    if main is None:
        # between X and Y, after X, before Y: a range, its open side reaching OPEN_REACH (or the cell's own reach).
        step, unit = written.reach or OPEN_REACH
        first = lo.start() if lo else _move(*hi.start(), -step, unit) if hi else (0, 0, 0)
        after = hi.after() if hi else _move(*lo.after(), step, unit) if lo else (0, 0, 0)
        if lo and hi:
            shown = f"{low_word} {lo.shown()} {high_word} {hi.shown()}"
            prec = min(lo.precision, hi.precision)
        else:
            one = lo or hi
            assert one is not None
            shown, prec = f"{low_word or high_word} {one.shown()}", one.precision
            if written.reach:
                shown += f" (within {_amount(step, unit)})"
        return _span(
            first, after, prec, julian, shown, f"'{low_word} X {high_word} Y' with X before Y (between 47 and 50)"
        )
    start, after = main.start(), main.after()
    if written.reach:
        step, unit = written.reach
        early, late = _move(*start, -step, unit), _move(*after, step, unit)
        shown = f"c. {main.shown()} (±{_amount(step, unit)})"
    else:
        reach = 1 if written.circa else 0
        early, late = _reach(*start, main.precision, -reach), _reach(*after, main.precision, reach)
        shown = ("c. " if written.circa else "") + main.shown()
    if lo:
        if _days(*lo.start(), julian) > _days(*start, julian):
            return _Spec(f"an '{low_word}' date on or before the date itself ({main.shown()})")
        early = lo.start()
        shown += f", {low_word} {lo.shown()}"
    if hi:
        if _days(*hi.after(), julian) < _days(*after, julian):
            return _Spec(f"a '{high_word}' date on or after the date itself ({main.shown()})")
        late = hi.after()
        shown += f", {high_word} {hi.shown()}"
    spec = _Spec()
    spec.days = (*start, *after, *early, *late)
    spec.precision = main.precision
    spec.display = shown
    return spec


def _amount(step: int, unit: str) -> str:
    """5 days, 1 month."""
    return f"{step} {unit if step != 1 else unit[:-1]}"


def _ongoing(julian: bool) -> _Spec:
    """The day the file is loaded (in the row's calendar), at day precision."""
    today = (date.today() - date(1970, 1, 1)).days
    y, m, d = _julian_from_days(today) if julian else _civil_from_day(today)
    spec = _Spec()
    spec.days = (y, m, d, y, m, d + 1) * 2
    spec.precision = DAY
    spec.display = ONGOING
    return spec


def _deep(num: str, unit: str) -> _Spec:
    """66 Ma: the year 66 million years before 1950; its digits say how precise (65.5 to 66.5 Ma)."""

    value = Decimal(num)
    scale = DEEP_UNITS[unit]
    before = int(value * scale)
    places = len(num.split(".")[1]) if "." in num else 0
    half = int(Decimal(scale) * Decimal(5) / Decimal(10) ** (places + 1))
    if before > MAX_DEEP_YEARS or before <= 0:
        return _Spec(f"a time before present from 1 ka to {MAX_DEEP_YEARS // 1_000_000_000} Ga")
    year = PRESENT_YEAR - before  # astronomical
    spec = _Spec()
    spec.days = (year, 1, 1, year + 1, 1, 1, year - half, 1, 1, year + half + 1, 1, 1)
    spec.precision = YEAR
    spec.display = f"{num} {unit}"
    return spec


def _month_length(astro: int, month: int, julian: bool) -> int:
    """:func:`days_in_month` for one date, in plain Python (the slow path runs it per string)."""
    if month != 2:
        return (31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    leap = astro % 4 == 0 and (julian or astro % 100 != 0 or astro % 400 == 0)
    return 29 if leap else 28


def _days(y: int, m: int, d: int, julian: bool) -> int:
    """:func:`days_from_calendar` for one date, in plain Python (the per-string path runs it)."""
    if julian:
        a = (14 - m) // 12
        yy, mm = y + 4800 - a, m + 12 * a - 3
        return d + (153 * mm + 2) // 5 + 365 * yy + yy // 4 - 32083 - 2440588
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _civil_from_day(days: int) -> tuple[int, int, int]:
    """:func:`civil_from_days` for one day, in plain Python."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def _julian_from_days(days: int) -> tuple[int, int, int]:
    """Astronomical (year, month, day) in the Julian calendar of a day count since 1970-01-01."""
    c = days + 2440588 + 32082
    dd = (4 * c + 3) // 1461
    e = c - (1461 * dd) // 4
    m = (5 * e + 2) // 153
    day = e - (153 * m + 2) // 5 + 1
    month = m + 3 - 12 * (m // 10)
    year = dd - 4800 + m // 10
    return year, month, day


def days_from_julian(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (proleptic Gregorian) of astronomical Julian-calendar dates (via the
    Julian day number); days past the month's end run on linearly."""
    y = np.asarray(year, dtype=np.int64)
    m = np.asarray(month, dtype=np.int64)
    d = np.asarray(day, dtype=np.int64)
    a = (14 - m) // 12
    yy = y + 4800 - a
    mm = m + 12 * a - 3
    jdn = d + (153 * mm + 2) // 5 + 365 * yy + np.floor_divide(yy, 4) - 32083
    days: np.ndarray = jdn - 2440588
    return days


def days_from_calendar(year: np.ndarray, month: np.ndarray, day: np.ndarray, julian: np.ndarray | None) -> np.ndarray:
    """:func:`days_from_civil`, or :func:`days_from_julian` where ``julian`` is set."""
    greg = days_from_civil(year, month, day)
    if julian is None or not np.any(julian):
        return greg
    out: np.ndarray = np.where(julian, days_from_julian(year, month, day), greg)
    return out


def parse_date(text: str) -> tuple[float, int, float]:
    """One date: (start ms, precision, last ms of the period). Raises ValueError with the reason."""
    p = parse_dates([text])
    if not p.present[0]:
        raise ValueError(f"empty date: expected {DATE_FORMS}")
    if p.error[0] is not None:
        raise ValueError(f"{text!r} is not a valid date: expected {p.error[0]}")
    return float(p.ms[0]), int(p.precision[0]), float(p.end_ms[0])


@lru_cache(maxsize=1024)
def parse_date_span(text: str) -> tuple[float, float]:
    """One date: (earliest, latest) ms it may mean ("c. 1600": 1590 to the end of 1610).
    Raises ValueError with the reason. Remembered: filters ask for the same few dates again and again,
    and parsing one takes a millisecond (the file's column-wise parser is built for many)."""
    p = parse_dates([text])
    parse_date(text)  # the reason, if any
    return float(p.earliest[0]), float(p.latest[0])


def format_year(year: int) -> str:
    """Historian year for display: 1951, 476, 490 BCE; beyond four digits with thousands separators, as
    a date written so is shown (66,000,000 BCE)."""
    shown = f"{abs(year):,}" if abs(year) > MAX_YEAR else str(abs(year))
    return f"{shown} BCE" if year < 0 else shown


def day_of(ms: np.ndarray) -> np.ndarray:
    """The day (since 1970-01-01) holding each epoch ms, exact in deep time too, where a float
    cannot hold every millisecond (a period's last ms is then the float just below the next day)."""
    days = np.round(np.asarray(ms, dtype=np.float64) / MS_PER_DAY)
    out: np.ndarray = (days - (ms < days * MS_PER_DAY)).astype(np.int64)
    return out


def label_each(
    ms: npt.ArrayLike, precision: npt.ArrayLike, label: Callable[..., str], *extra: npt.ArrayLike
) -> np.ndarray:
    """``label(historian year, month, day, precision, *extra)`` for each date in epoch ms (``extra``:
    more arrays of the same length, one value each); "" where ms is NaN."""
    ms = np.asarray(ms, dtype=np.float64)
    out = np.full(len(ms), "", dtype=object)
    valid = ~np.isnan(ms)
    if not valid.any():
        return out
    y, m, d = civil_from_days(day_of(ms[valid]))
    hy = astronomical_to_historian(y)
    prec = np.asarray(precision)[valid]
    more = [np.asarray(values)[valid].tolist() for values in extra]
    out[valid] = [label(*parts) for parts in zip(hy.tolist(), m.tolist(), d.tolist(), prec.tolist(), *more)]
    return out


def _display(year: int, month: int, day: int, precision: int) -> str:
    shown = format_year(year)
    if precision == DAY:
        return f"{day} {MONTH_ABBR[month - 1]} {shown}"
    if precision == MONTH:
        return f"{MONTH_ABBR[month - 1]} {shown}"
    return shown


def _iso(year: int, month: int, day: int, precision: int) -> str:
    shown = f"-{-year:04d}" if year < 0 else f"{year:04d}"
    if precision == YEAR:
        return shown
    return f"{shown}-{month:02d}" if precision == MONTH else f"{shown}-{month:02d}-{day:02d}"


def format_dates(ms: npt.ArrayLike, precision: npt.ArrayLike) -> np.ndarray:
    """Display labels ("1951", "Apr 2015", "29 Apr 2015", "490 BCE") for epoch-ms arrays."""
    return label_each(ms, precision, _display)


def to_iso(ms: npt.ArrayLike, precision: npt.ArrayLike) -> np.ndarray:
    """Dates back in the file format at their precision, years padded to 4 digits (-0490 = 490 BCE)."""
    return label_each(ms, precision, _iso)


AXIS_MIN_MS = float(days_from_civil(np.array([-9999]), np.array([1]), np.array([1]))[0] * MS_PER_DAY)
AXIS_MAX_MS = float(days_from_civil(np.array([10000]), np.array([1]), np.array([1]))[0] * MS_PER_DAY - 1)
"""The span plotly's date axis can draw (astronomical years -9999 to 9999); wider views are drawn on
a numeric axis of epoch ms with year labels (see render/figure.py)."""
MS_PER_YEAR = 365.2425 * MS_PER_DAY
"""Mean Gregorian year: converts deep-time spans, where days no longer matter."""
ZOOM_LIMIT_YEARS = 2e10
"""A zoom range is clamped to this many years either side of 1970 (older than the universe)."""
ZOOM_MIN_MS, ZOOM_MAX_MS = -ZOOM_LIMIT_YEARS * MS_PER_YEAR, ZOOM_LIMIT_YEARS * MS_PER_YEAR


def checked_range(x0: object, x1: object) -> tuple[float, float] | None:
    """A zoom range sent by a browser or a link, made safe: two finite numbers (or numeric strings,
    or date-axis strings), ordered, clamped to what an axis can show (the date axis's ±9999 years, or
    the deep-time year axis's ±ZOOM_LIMIT_YEARS). None if it is not one."""
    try:
        lo, hi = (parse_axis_value(v) if isinstance(v, str) and "-" in v.strip()[1:] else _number(v) for v in (x0, x1))
    except (TypeError, ValueError, OverflowError):
        return None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        return None
    lo, hi = max(lo, ZOOM_MIN_MS), min(hi, ZOOM_MAX_MS)
    return (lo, hi) if lo < hi else None


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, str) and len(value) > 40:
        raise ValueError("too long for a number")
    return float(value)


_AXIS_RE = re.compile(
    r"^\s*(-?\d{1,6})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2})(?::(\d{1,2})"
    r"(?::(\d{1,2}(?:\.\d*)?))?)?)?)?)?\s*$"
)


def parse_axis_value(value: str | float | int) -> float:
    """A date-axis value as plotly reports it after a zoom ('1899-03-12 04:12:33.5', '-0489-01-01',
    or epoch ms) to epoch ms. Plotly writes astronomical years. ValueError if it is neither."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = _AXIS_RE.match(str(value))
    if not m:
        raise ValueError(f"not a date-axis value: {value!r}")
    y, mo, d, h, mi, s = m.groups()
    day = days_from_civil(np.array([int(y)]), np.array([int(mo or 1)]), np.array([int(d or 1)]))[0]
    return float(day * MS_PER_DAY + (int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)) * 1000)
