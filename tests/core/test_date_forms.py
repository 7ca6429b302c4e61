"""The date grammar beyond YYYY-MM-DD: approximate and uncertain dates, unspecified digits, decades,
ranges, deep time and the Julian calendar. Each form: its most likely span (start..last), the span
it may cover (earliest..latest), its precision and how it reads."""

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.dates import DAY, MONTH, YEAR

DAY_MS = dates.MS_PER_DAY


def day_ms(text: str) -> float:
    """Epoch ms of a historian Gregorian day written Y-M-D (Y may be negative: BCE)."""
    sign = -1 if text.startswith("-") else 1
    y, m, d = (int(p) for p in text.lstrip("-").split("-"))
    astro = dates.historian_to_astronomical(np.array([sign * y]))
    return float(dates.days_from_civil(astro, np.array([m]), np.array([d]))[0] * DAY_MS)


def last_ms(text: str) -> float:
    """The last millisecond of the day."""
    return day_ms(text) + DAY_MS - 1


FORMS = [
    # written, precision, earliest day, start day, last day, latest day, shown as
    ("c. 1600", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "c. 1600"),
    ("ca. 1600", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "c. 1600"),
    ("circa 1600", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "c. 1600"),
    ("c.1600", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "c. 1600"),
    ("1600~", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "c. 1600"),
    ("1600?", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "1600?"),
    ("1600%", YEAR, "1580-1-1", "1600-1-1", "1600-12-31", "1620-12-31", "c. 1600?"),
    ("c. 1600?", YEAR, "1580-1-1", "1600-1-1", "1600-12-31", "1620-12-31", "c. 1600?"),
    ("c. -490", YEAR, "-500-1-1", "-490-1-1", "-490-12-31", "-480-12-31", "c. 490 BCE"),
    ("-490?", YEAR, "-500-1-1", "-490-1-1", "-490-12-31", "-480-12-31", "490 BCE?"),
    ("c. -5", YEAR, "-15-1-1", "-5-1-1", "-5-12-31", "6-12-31", "c. 5 BCE"),  # across the missing year 0
    ("c. 1600-05", MONTH, "1600-3-1", "1600-5-1", "1600-5-31", "1600-7-31", "c. May 1600"),
    ("1600-12~", MONTH, "1600-10-1", "1600-12-1", "1600-12-31", "1601-2-28", "c. Dec 1600"),
    ("c. 1600-05-03", DAY, "1600-4-26", "1600-5-3", "1600-5-3", "1600-5-10", "c. 3 May 1600"),
    ("1600-05-03%", DAY, "1600-4-19", "1600-5-3", "1600-5-3", "1600-5-17", "c. 3 May 1600?"),
    ("c. -490-09-12", DAY, "-490-9-5", "-490-9-12", "-490-9-12", "-490-9-19", "c. 12 Sep 490 BCE"),
    ("156X", YEAR, "1560-1-1", "1565-1-1", "1565-12-31", "1569-12-31", "1560s"),
    ("15XX", YEAR, "1500-1-1", "1550-1-1", "1550-12-31", "1599-12-31", "1500s"),
    ("1XXX", YEAR, "1000-1-1", "1500-1-1", "1500-12-31", "1999-12-31", "1000s"),
    ("1590s", YEAR, "1590-1-1", "1595-1-1", "1595-12-31", "1599-12-31", "1590s"),
    ("1500s", YEAR, "1500-1-1", "1550-1-1", "1550-12-31", "1599-12-31", "1500s"),
    ("c. 1590s", YEAR, "1580-1-1", "1595-1-1", "1595-12-31", "1609-12-31", "c. 1590s"),
    ("-490s", YEAR, "-499-1-1", "-494-1-1", "-494-12-31", "-490-12-31", "490s BCE"),
    ("-49X", YEAR, "-499-1-1", "-494-1-1", "-494-12-31", "-490-12-31", "490s BCE"),
    ("[1590..1610]", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "between 1590 and 1610"),
    ("[ 1590 .. 1610 ]", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "between 1590 and 1610"),
    ("[1590-03..1590-09]", MONTH, "1590-3-1", "1590-6-1", "1590-6-30", "1590-9-30", "between Mar 1590 and Sep 1590"),
    (
        "[1605-11-01..1605-11-05]",
        DAY,
        "1605-11-1",
        "1605-11-3",
        "1605-11-3",
        "1605-11-5",
        "between 1 Nov 1605 and 5 Nov 1605",
    ),
    ("[-500..-490]", YEAR, "-500-1-1", "-495-1-1", "-495-12-31", "-490-12-31", "between 500 BCE and 490 BCE"),
    ("12000", YEAR, "12000-1-1", "12000-1-1", "12000-12-31", "12000-12-31", "12,000"),
    ("-12000", YEAR, "-12000-1-1", "-12000-1-1", "-12000-12-31", "-12000-12-31", "12,000 BCE"),
]


@pytest.mark.parametrize("text, prec, earliest, start, last, latest, shown", FORMS)
def test_each_form_gives_its_spans_precision_and_reading(text, prec, earliest, start, last, latest, shown):
    p = dates.parse_dates([text, "1951"])  # beside a plain date: the slow path and the fast path together
    assert p.error[0] is None, p.error[0]
    assert (p.precision[0], p.display[0]) == (prec, shown)
    assert p.earliest[0] == day_ms(earliest) and p.ms[0] == day_ms(start)
    assert p.end_ms[0] == last_ms(last) and p.latest[0] == last_ms(latest)
    assert p.display[1] is None and p.earliest[1] == p.ms[1] and p.latest[1] == p.end_ms[1]


def test_approximate_reach_is_one_table():
    assert dates.APPROXIMATE == {YEAR: ("years", 10), MONTH: ("months", 2), DAY: ("days", 7)}


def year_ms(astronomical_year: int) -> float:
    return float(dates.days_from_civil(np.array([astronomical_year]), np.array([1]), np.array([1]))[0]) * DAY_MS


@pytest.mark.parametrize(
    "text, year, reach, shown",
    [
        ("66 Ma", 1950 - 66_000_000, 500_000, "66 Ma"),
        ("66Ma", 1950 - 66_000_000, 500_000, "66 Ma"),
        ("4.54 Ga", 1950 - 4_540_000_000, 5_000_000, "4.54 Ga"),
        ("13.8 Ga", 1950 - 13_800_000_000, 50_000_000, "13.8 Ga"),
        ("300 ka", 1950 - 300_000, 500, "300 ka"),
        ("11.7 ka", 1950 - 11_700, 50, "11.7 ka"),
        ("538.8 Ma", 1950 - 538_800_000, 50_000, "538.8 Ma"),
    ],
)
def test_deep_time_is_years_before_1950_as_precise_as_its_digits(text, year, reach, shown):
    p = dates.parse_dates([text])
    assert p.error[0] is None and p.precision[0] == YEAR and p.display[0] == shown
    assert p.ms[0] == year_ms(year)  # the year (astronomical) that many years before 1950
    assert p.end_ms[0] < year_ms(year + 1) and p.end_ms[0] > year_ms(year)
    assert p.earliest[0] == year_ms(year - reach)
    assert year_ms(year + reach) < p.latest[0] < year_ms(year + reach + 1)


def test_years_of_any_size():
    p = dates.parse_dates(["-66000000", "-66000000?"])
    assert p.error.tolist() == [None, None]
    assert p.ms[0] == year_ms(-65_999_999) and p.display[0] == "66,000,000 BCE"
    assert p.earliest[0] == p.ms[0] and p.latest[0] == p.end_ms[0]
    assert p.earliest[1] == year_ms(-66_000_009)
    # deep time orders as it should
    order = dates.parse_dates(["13.8 Ga", "4.54 Ga", "66 Ma", "300 ka", "-490", "2016"]).ms
    assert np.all(np.diff(order) > 0)


MALFORMED = [
    ("c.", "YYYY-MM-DD"),
    ("circa", "YYYY-MM-DD"),
    ("c. ", "YYYY-MM-DD"),
    ("15XXX", "unspecified digits"),
    ("156XX", "unspecified digits"),
    ("X560", "unspecified digits"),
    ("156X-05", "unspecified digits"),
    ("1595s", "decade"),
    ("[1610..1590]", "first date is not after the second"),
    ("[1590..]", "a range"),
    ("[c. 1590..1610]", "a range"),
    ("[1590..1610", "YYYY-MM-DD"),
    ("12 Xa", "66 Ma"),
    ("12 ma", "66 Ma"),
    ("0 Ma", "time before present"),
    ("200 Ga", "time before present"),
    ("c. 66 Ma", "66 Ma"),
    ("c. 51", "two-digit"),
    ("51?", "two-digit"),
    ("c. 0000", "no year 0"),
    ("c. 1600-13", "month from 01 to 12"),
    ("c. 1600-02-30", "Feb 1600 has 29 days"),
    ("1600??", "YYYY-MM-DD"),
    ("-12000-05", "no month or day"),
    ("-200000000000", "Big Bang"),
    ("about 1600", "YYYY-MM-DD"),
]


@pytest.mark.parametrize("text, why", MALFORMED)
def test_malformed_forms_say_what_is_expected(text, why):
    p = dates.parse_dates([text, "1951"])
    assert p.error[0] is not None and why in p.error[0]
    assert np.isnan(p.ms[0]) and np.isnan(p.earliest[0]) and p.precision[0] == -1 and p.display[0] is None
    assert p.error[1] is None
    with pytest.raises(ValueError, match="not a valid date"):
        dates.parse_date(text)


def test_the_expected_forms_name_every_form():
    for form in ("c. 1600", "1600?", "1600%", "156X", "1590s", "[1590..1610]", "66 Ma", "-490"):
        assert form in dates.DATE_FORMS


def test_each_distinct_string_is_parsed_once(monkeypatch):
    seen = []
    real = dates._parse_one

    def counting(text, julian):
        seen.append(text)
        return real(text, julian)

    monkeypatch.setattr(dates, "_parse_one", counting)
    p = dates.parse_dates(["c. 1600"] * 500 + ["1951"] * 500 + ["156X"] * 10 + ["[1590..1610]"] * 10)
    assert sorted(seen) == ["156X", "[1590..1610]"]  # c. 1600, the commonest, is parsed column-wise
    assert p.display[0] == "c. 1600" and p.display[1009] == "1560s" and p.display[600] is None
    assert p.display[-1] == "between 1590 and 1610"


def test_mostly_blank_column_places_new_forms_on_their_rows():
    p = dates.parse_dates(["", "", "c. 1600", "", "", "1951"])
    assert p.present.tolist() == [False, False, True, False, False, True]
    assert p.display[2] == "c. 1600" and p.earliest[2] == day_ms("1590-1-1")
    assert np.isnan(p.earliest[0]) and p.earliest[5] == p.ms[5]


def test_date_filter_boxes_accept_the_new_forms():
    assert dates.parse_date("c. 1600")[0] == day_ms("1600-1-1")
    assert dates.parse_date_span("c. 1600") == (day_ms("1590-1-1"), last_ms("1610-12-31"))
    assert dates.parse_date_span("1951") == (day_ms("1951-1-1"), last_ms("1951-12-31"))
    with pytest.raises(ValueError, match="not a valid date"):
        dates.parse_date_span("c.")


# The Julian calendar


def julian(texts):
    return dates.parse_dates(texts, julian=np.ones(len(texts), dtype=bool))


def test_julian_1582_10_04_is_the_day_before_gregorian_1582_10_15():
    j = julian(["1582-10-04"])
    g = dates.parse_dates(["1582-10-15"])
    assert g.ms[0] - j.ms[0] == DAY_MS
    assert j.end_ms[0] + 1 == g.ms[0]


@pytest.mark.parametrize(
    "julian_text, gregorian_text",
    [
        ("1917-10-25", "1917-11-07"),  # the October Revolution
        ("1605-11-05", "1605-11-15"),  # the Gunpowder Plot (England kept the Julian calendar)
        ("1752-09-02", "1752-09-13"),  # Britain's switch
        ("0200-03-01", "0200-03-01"),  # the calendars agree in the third century
        ("-0045-01-01", "-0046-12-30"),  # Julius Caesar's first year (45 BCE; -44 astronomical)
        ("1500-02-29", "1500-03-10"),
    ],
)
def test_julian_dates_convert_to_the_gregorian_axis(julian_text, gregorian_text):
    assert julian([julian_text]).ms[0] == dates.parse_dates([gregorian_text]).ms[0]


def test_julian_day_number_zero():
    # JDN 0 is 1 Jan 4713 BCE in the Julian calendar (astronomical year -4712); 1970-01-01 is JDN 2440588.
    assert dates.days_from_julian(np.array([-4712]), np.array([1]), np.array([1]))[0] == -2440588


def test_julian_round_trip_over_many_centuries():
    days = np.arange(-3_000_000, 1_000_000, 7919)
    back = [dates._julian_from_days(int(d)) for d in days]
    y, m, d = (np.array(v) for v in zip(*back))
    assert np.array_equal(dates.days_from_julian(y, m, d), days)


def test_julian_leap_rule_and_display():
    j = julian(["1500-02-29", "1900-02-29", "1917-10-25", "1917-10", "c. 1500-02-29", "1582-02-29"])
    assert j.error[:5].tolist() == [None] * 5
    assert "Feb 1582 has 28 days in the Julian calendar" in j.error[5]
    assert j.display.tolist()[:5] == [
        "29 Feb 1500 (Julian)",
        "29 Feb 1900 (Julian)",
        "25 Oct 1917 (Julian)",
        "Oct 1917 (Julian)",
        "c. 29 Feb 1500 (Julian)",
    ]
    g = dates.parse_dates(["1500-02-29"])
    assert "Feb 1500 has 28 days" in g.error[0]


def test_julian_only_where_marked():
    p = dates.parse_dates(
        ["1917-10-25", "1917-10-25", "c. 1600", "c. 1600"], julian=np.array([True, False, True, False])
    )
    assert p.ms[0] - p.ms[1] == 13 * DAY_MS
    assert p.display.tolist() == ["25 Oct 1917 (Julian)", None, "c. 1600 (Julian)", "c. 1600"]
    assert p.ms[2] - p.ms[3] == 10 * DAY_MS  # 1 Jan 1600 Julian is 11 Jan 1600 Gregorian


def test_deep_time_dates_read_back_as_their_years():
    p = dates.parse_dates(["13.8 Ga", "66 Ma", "-66000000", "1951-03-04"])
    first = dates.format_dates(p.ms, p.precision).tolist()
    last = dates.format_dates(p.end_ms, p.precision).tolist()
    assert first == ["13,799,998,051 BCE", "65,998,051 BCE", "66,000,000 BCE", "4 Mar 1951"]
    assert last == first
    assert dates.day_of(np.array([DAY_MS * 3 - 1, DAY_MS * 3, DAY_MS * 3.5])).tolist() == [2, 3, 3]


def test_one_date_arithmetic_matches_the_column_arithmetic():
    days = np.arange(-3_000_000, 1_000_000, 7919)
    y, m, d = dates.civil_from_days(days)
    assert [dates._civil_from_day(int(x)) for x in days] == list(zip(y.tolist(), m.tolist(), d.tolist()))
    for julian in (False, True):
        expect = dates.days_from_calendar(y, m, d, np.full(len(y), julian))
        assert [dates._days(a, b, c, julian) for a, b, c in zip(y.tolist(), m.tolist(), d.tolist())] == expect.tolist()
