"""Japanese dates and era names (core/japanese.py)."""

import pytest

from dashboard.core.dates import DAY, MONTH, YEAR
from dashboard.core.japanese import era_year, era_years, japanese_date


@pytest.mark.parametrize(
    ("date", "precision", "approximate", "expected"),
    [
        ((2015, 4, 29), DAY, False, "2015年4月29日（平成27年）"),
        ((1951, 1, 1), YEAR, False, "1951年（昭和26年）"),
        ((1951, 9, 1), MONTH, False, "1951年9月（昭和26年）"),
        ((1951, 9, 8), DAY, False, "1951年9月8日（昭和26年）"),
        ((-490, 1, 1), YEAR, False, "紀元前490年"),
        ((-490, 9, 12), DAY, False, "紀元前490年9月12日"),
        ((1600, 1, 1), YEAR, True, "1600年頃"),
        ((1854, 3, 31), DAY, False, "1854年3月31日"),  # before the Gregorian calendar in Japan: no era
        ((1872, 12, 31), DAY, False, "1872年12月31日"),
        ((1873, 1, 1), DAY, False, "1873年1月1日（明治6年）"),
        ((1873, 1, 1), YEAR, False, "1873年（明治6年）"),
        ((1872, 1, 1), YEAR, False, "1872年"),
        ((1989, 1, 1), YEAR, False, "1989年（昭和64年／平成元年）"),
        ((1989, 1, 1), MONTH, False, "1989年1月（昭和64年／平成元年）"),
        ((1989, 2, 1), MONTH, False, "1989年2月（平成元年）"),
        ((1989, 1, 7), DAY, False, "1989年1月7日（昭和64年）"),
        ((1989, 1, 8), DAY, False, "1989年1月8日（平成元年）"),
        ((2019, 4, 30), DAY, False, "2019年4月30日（平成31年）"),
        ((2019, 5, 1), DAY, False, "2019年5月1日（令和元年）"),
        ((2019, 1, 1), YEAR, False, "2019年（平成31年／令和元年）"),
        ((2019, 5, 1), MONTH, False, "2019年5月（令和元年）"),
        ((1912, 7, 1), MONTH, False, "1912年7月（明治45年／大正元年）"),
        ((1912, 7, 29), DAY, False, "1912年7月29日（明治45年）"),
        ((1912, 7, 30), DAY, False, "1912年7月30日（大正元年）"),
        ((1926, 12, 25), DAY, False, "1926年12月25日（昭和元年）"),
        ((1926, 1, 1), YEAR, False, "1926年（大正15年／昭和元年）"),
        ((2026, 1, 2), DAY, False, "2026年1月2日（令和8年）"),
        ((1950, 1, 1), YEAR, True, "1950年頃（昭和25年）"),
    ],
)
def test_japanese_dates(date, precision, approximate, expected):
    assert japanese_date(*date, precision, approximate) == expected


def test_era_year_counts_from_the_first_day_of_each_era():
    assert era_year(1868, 10, 23) == ""  # Meiji, but before Japan counted Gregorian days
    assert era_year(1912, 7, 30) == "大正元年" and era_year(1913, 1, 1) == "大正2年"
    assert era_years(1850, 1, 1, YEAR) == ""
