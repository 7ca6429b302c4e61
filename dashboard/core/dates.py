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

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

YEAR, MONTH, DAY = 0, 1, 2
"""Precision codes, stored as int8 beside each date."""

MS_PER_DAY = 86_400_000
MIN_YEAR, MAX_YEAR = -9999, 9999
"""Historian years accepted (no year 0): the span a plotly date axis can draw."""

MONTH_ABBR = np.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], dtype=object
)

DATE_FORMS = "a date as YYYY, YYYY-MM or YYYY-MM-DD (e.g. 1951, 2015-04, 2015-04-29; -490 for 490 BCE)"

_DATE_RE = r"^\s*(?P<sign>[-+]?)(?P<year>\d+)(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?)?\s*$"


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


def days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Length of each month (astronomical years, Gregorian leap rule)."""
    y = np.asarray(year, dtype=np.int64)
    m = np.asarray(month, dtype=np.int64)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
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
        self, ms: np.ndarray, precision: np.ndarray, end_ms: np.ndarray, error: np.ndarray, present: np.ndarray
    ) -> None:
        self.ms = ms  # float64 start of the period, NaN where absent/invalid
        self.precision = precision  # int8 YEAR/MONTH/DAY, -1 where absent/invalid
        self.end_ms = end_ms  # float64 last millisecond of the period (e.g. 1951-12-31 23:59:59.999)
        self.error = error  # object array: None or why the cell is not a date
        self.present = present  # bool: the cell was not blank


def parse_dates(values: pa.Array | pa.ChunkedArray | pd.Series | list[str]) -> ParsedDates:
    """Parse date cells (strings) vectorised; blank cells are ``present=False``, not errors."""
    arr = pa.array(values, type=pa.string()) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    stripped = pc.utf8_trim_whitespace(pc.fill_null(arr, ""))
    present = pc.not_equal(stripped, "").to_numpy(zero_copy_only=False)
    n = len(stripped)
    filled = int(present.sum())
    if filled < n // 2:
        # Mostly blank (an end_date column): parse only the filled cells.
        rows = np.flatnonzero(present)
        sub = _parse_present(stripped.take(pa.array(rows)), np.ones(filled, dtype=bool))
        ms = np.full(n, np.nan)
        end_ms = np.full(n, np.nan)
        precision = np.full(n, -1, dtype=np.int8)
        error = np.full(n, None, dtype=object)
        ms[rows], end_ms[rows], precision[rows], error[rows] = sub.ms, sub.end_ms, sub.precision, sub.error
        return ParsedDates(ms, precision, end_ms, error, present)
    return _parse_present(stripped, present)


def _parse_present(stripped: pa.Array, present: np.ndarray) -> ParsedDates:
    n = len(stripped)
    parts = pc.extract_regex(stripped, pattern=_DATE_RE)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)

    error = np.full(n, None, dtype=object)
    error[present & ~matched] = DATE_FORMS

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

    ok = matched.copy()

    def fail(cond: np.ndarray, why: str) -> None:
        nonlocal ok
        hit = ok & cond
        error[hit] = why
        ok &= ~cond

    fail(~negative & (ndigits <= 2), "a full year: two-digit years are ambiguous (write 1951, or 0051 for the year 51)")
    fail(year == 0, "a real year: there is no year 0 (1 BCE is -1, 1 CE is 1)")
    fail(
        (year < MIN_YEAR) | (year > MAX_YEAR) | (ndigits > 5),
        f"a year from {-MIN_YEAR} BCE (-{-MIN_YEAR}) to {MAX_YEAR}",
    )
    fail(has_month & ((month < 1) | (month > 12)), "a month from 01 to 12")
    astro = historian_to_astronomical(year)
    dim = days_in_month(astro, np.where(has_month, month, 1))
    bad_day = has_day & ((day < 1) | (day > dim))
    if bad_day.any():
        for i in np.flatnonzero(ok & bad_day):
            error[i] = (
                f"a real calendar date: {MONTH_ABBR[month[i] - 1]} {format_year(int(year[i]))} has {int(dim[i])} days"
            )
        ok &= ~bad_day

    precision = np.where(has_day, DAY, np.where(has_month, MONTH, YEAR)).astype(np.int8)
    m1 = np.where(has_month, month, 1)
    d1 = np.where(has_day, day, 1)
    start_days = days_from_civil(astro, m1, d1)
    # The day after the period: next year, next month or next day.
    end_y = np.where(precision == YEAR, astro + 1, np.where((precision == MONTH) & (m1 == 12), astro + 1, astro))
    end_m = np.where(precision == YEAR, 1, np.where(precision == MONTH, m1 % 12 + 1, m1))
    end_d = np.where(precision == DAY, d1 + 1, 1)
    # d1 + 1 may overflow the month: days_from_civil handles day overflow linearly.
    end_days = days_from_civil(end_y, end_m, end_d)

    ms = np.where(ok, start_days * MS_PER_DAY, np.nan).astype(np.float64)
    end_ms = np.where(ok, end_days * MS_PER_DAY - 1, np.nan).astype(np.float64)
    precision = np.where(ok, precision, -1).astype(np.int8)
    return ParsedDates(ms, precision, end_ms, error, present)


def parse_date(text: str) -> tuple[float, int, float]:
    """One date: (start ms, precision, last ms of the period). Raises ValueError with the reason."""
    p = parse_dates([text])
    if not p.present[0]:
        raise ValueError(f"empty date: expected {DATE_FORMS}")
    if p.error[0] is not None:
        raise ValueError(f"{text!r} is not a valid date: expected {p.error[0]}")
    return float(p.ms[0]), int(p.precision[0]), float(p.end_ms[0])


def format_year(year: int) -> str:
    """Historian year for display: 1951, 476, 490 BCE."""
    return f"{-year} BCE" if year < 0 else str(year)


def _label_each(ms: npt.ArrayLike, precision: npt.ArrayLike, label: Callable[[int, int, int, int], str]) -> np.ndarray:
    """``label(historian year, month, day, precision)`` for each date in epoch ms; "" where ms is NaN."""
    ms = np.asarray(ms, dtype=np.float64)
    out = np.full(len(ms), "", dtype=object)
    valid = ~np.isnan(ms)
    if not valid.any():
        return out
    y, m, d = civil_from_days(np.floor_divide(ms[valid], MS_PER_DAY).astype(np.int64))
    hy = astronomical_to_historian(y)
    prec = np.asarray(precision)[valid]
    out[valid] = [label(*parts) for parts in zip(hy.tolist(), m.tolist(), d.tolist(), prec.tolist())]
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
    return _label_each(ms, precision, _display)


def to_iso(ms: npt.ArrayLike, precision: npt.ArrayLike) -> np.ndarray:
    """Dates back in the file format at their precision, years padded to 4 digits (-0490 = 490 BCE)."""
    return _label_each(ms, precision, _iso)


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
