import numpy as np
import pandas as pd
import pytest

from dashboard.core import dates


def test_days_from_civil_matches_numpy_over_many_centuries():
    days = np.arange(-3_000_000, 1_000_000, 9973)
    y, m, d = dates.civil_from_days(days)
    assert np.array_equal(dates.days_from_civil(y, m, d), days)
    # numpy uses the same proleptic Gregorian calendar with astronomical years
    ref = pd.to_datetime(["-0489-01-01", "0500-03-01", "1854-03-31", "2000-02-29"], format="ISO8601")
    ours = dates.days_from_civil(np.array([-489, 500, 1854, 2000]), np.array([1, 3, 3, 2]), np.array([1, 1, 31, 29]))
    assert list(ours * dates.MS_PER_DAY) == list(ref.as_unit("ms").asi8)


@pytest.mark.parametrize(
    "text, label",
    [
        ("1951", "1951"),
        ("2015-04", "Apr 2015"),
        ("2015-04-29", "29 Apr 2015"),
        ("-490", "490 BCE"),
        ("-0490", "490 BCE"),
        ("476", "476"),
        ("0051", "51"),
        (" 1999 ", "1999"),
        ("-1", "1 BCE"),
    ],
)
def test_dates_display_at_their_precision(text, label):
    ms, prec, _ = dates.parse_date(text)
    assert dates.format_dates(np.array([ms]), np.array([prec]))[0] == label


def test_bce_year_is_astronomical_inside():
    assert (
        dates.parse_date("-490")[0]
        == dates.days_from_civil(np.array([-489]), np.array([1]), np.array([1]))[0] * dates.MS_PER_DAY
    )
    # 1 BCE is directly followed by 1 CE
    assert dates.parse_date("-1")[2] + 1 == dates.parse_date("0001")[0]


@pytest.mark.parametrize(
    "text, why",
    [
        ("2015-02-30", "Feb 2015 has 28 days"),
        ("1900-02-29", "Feb 1900 has 28 days"),
        ("51", "two-digit"),
        ("0", "two-digit"),
        ("0000", "no year 0"),
        ("2015-13", "month from 01 to 12"),
        ("abc", "YYYY-MM-DD"),
        ("4/5/2015", "YYYY-MM-DD"),  # 5 April or 4 May: 4/29/2015 has one reading
        ("-12000-05", "9999"),
        ("2015-04-00", "has 30 days"),
    ],
)
def test_invalid_dates_say_why(text, why):
    with pytest.raises(ValueError, match=why):
        dates.parse_date(text)


def test_period_end_is_the_last_millisecond():
    _, _, end = dates.parse_date("1951")
    assert end + 1 == dates.parse_date("1952")[0]
    _, _, end = dates.parse_date("2015-12")
    assert end + 1 == dates.parse_date("2016-01-01")[0]
    _, _, end = dates.parse_date("2016-02-29")
    assert end + 1 == dates.parse_date("2016-03-01")[0]


def test_iso_round_trip_keeps_precision():
    texts = ["1951", "2015-04", "2015-04-29", "-0490", "0476"]
    p = dates.parse_dates(texts)
    assert list(dates.to_iso(p.ms, p.precision)) == texts


def test_axis_values_from_plotly():
    assert dates.parse_axis_value("-0489-01-01") == dates.parse_date("-490")[0]
    assert dates.parse_axis_value("1970-01-01 00:00:01.5") == 1500.0
    assert dates.parse_axis_value(12.0) == 12.0
    with pytest.raises(ValueError):
        dates.parse_axis_value("yesterday")
