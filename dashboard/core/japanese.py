"""Dates as Japanese readers write them: 2015年4月29日（平成27年）, 紀元前490年, 1600年頃.

The era name (元号) is added from 1 January 1873, when Japan adopted the Gregorian calendar; before,
Japanese eras count lunisolar years that do not line up with the Gregorian ones. Since Meiji an
era changes only when a new emperor accedes, so five eras cover every date this applies to. A
year-only or month-only date that holds a change of era names both eras, as Japanese references do
(1989年（昭和64年／平成元年）); the first year of an era is 元年.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .dates import DAY, MONTH, YEAR, label_each

GREGORIAN_IN_JAPAN = (1873, 1, 1)
"""From this day on a Gregorian date has a Japanese era year (明治6年1月1日)."""

ERAS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("明治", (1868, 1, 25)),
    ("大正", (1912, 7, 30)),
    ("昭和", (1926, 12, 25)),
    ("平成", (1989, 1, 8)),
    ("令和", (2019, 5, 1)),
)
"""Each era and its first day in the Gregorian calendar (Meiji counted from the Gregorian date of its
first lunisolar new year, so that 1873 is Meiji 6)."""


def era_year(year: int, month: int, day: int) -> str:
    """The era year of one day on or after 1873-01-01 ('平成27年', '令和元年'); '' before."""
    if (year, month, day) < GREGORIAN_IN_JAPAN:
        return ""
    name, first = next((name, first) for name, first in reversed(ERAS) if (year, month, day) >= first)
    n = year - first[0] + 1
    return f"{name}{'元' if n == 1 else n}年"


def era_years(year: int, month: int, day: int, precision: int) -> str:
    """The era year(s) of a date at its precision: one, or both where the year or month it names holds
    a change of era ('昭和64年／平成元年'); '' for a date that ends before 1873."""
    if precision == DAY:
        return era_year(year, month, day)
    if precision == MONTH:
        first, last = (year, month, 1), (year, month, 31)
    else:
        first, last = (year, 1, 1), (year, 12, 31)
    if last < GREGORIAN_IN_JAPAN:
        return ""
    start = max(first, GREGORIAN_IN_JAPAN)
    names = [era_year(*start)]
    for _, begins in ERAS:
        if start < begins <= last:
            names.append(era_year(*begins))
    return "／".join(dict.fromkeys(names))


def japanese_date(year: int, month: int, day: int, precision: int, approximate: bool = False, era: bool = True) -> str:
    """A historian year (negative: BCE), month and day at their precision in Japanese, the era year
    after it where there is one (and ``era``: an axis's ticks leave it out): '2015年4月29日（平成27年）',
    '1951年（昭和26年）', '紀元前490年', '1600年頃' (``approximate``)."""
    shown = japanese_year(year)
    if precision >= MONTH:
        shown += f"{month}月"
    if precision == DAY:
        shown += f"{day}日"
    if approximate:
        shown += "頃"
    named = era and year > 0 and precision in (YEAR, MONTH, DAY)
    years = era_years(year, month, day, precision) if named else ""
    return f"{shown}（{years}）" if years else shown


def japanese_dates(
    ms: np.ndarray, precision: np.ndarray, approximate: np.ndarray | None = None, era: bool = True
) -> np.ndarray:
    """:func:`japanese_date` of each epoch ms at its precision ('' where ms is NaN)."""
    approx = np.zeros(len(np.asarray(ms)), dtype=bool) if approximate is None else approximate
    label = japanese_date if era else partial(japanese_date, era=False)
    return label_each(ms, precision, label, approx)


def japanese_year(year: int) -> str:
    """A historian year as an axis label: '1853年', '紀元前490年'."""
    return f"紀元前{-year}年" if year < 0 else f"{year}年"
