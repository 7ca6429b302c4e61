"""Dates as people write them: month names, eras, between/before/after, circa reaches, earliest and
latest, ongoing, and day/month orders. Each form: its most likely span (start..last), the span it may
cover (earliest..latest), its precision and how it reads; each malformed one: why it is refused."""

from datetime import date

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.dates import DAY, MONTH, YEAR
from tests.core.test_date_forms import day_ms, last_ms

FORMS = [
    # written, precision, earliest day, start day, last day, latest day, shown as
    ("25 Dec 1066", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    ("25th December 1066", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    ("1st dec 1066", DAY, "1066-12-1", "1066-12-1", "1066-12-1", "1066-12-1", "1 Dec 1066"),
    ("25 Dec. 1066", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    ("December 25, 1066", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    ("DECEMBER 25 1066", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    ("Dec. 25, 1066", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    ("Dec 1066", MONTH, "1066-12-1", "1066-12-1", "1066-12-31", "1066-12-31", "Dec 1066"),
    ("december 1066", MONTH, "1066-12-1", "1066-12-1", "1066-12-31", "1066-12-31", "Dec 1066"),
    ("Sept. 1752", MONTH, "1752-9-1", "1752-9-1", "1752-9-30", "1752-9-30", "Sep 1752"),
    ("February 1600", MONTH, "1600-2-1", "1600-2-1", "1600-2-29", "1600-2-29", "Feb 1600"),
    ("25 Dec 886", DAY, "886-12-25", "886-12-25", "886-12-25", "886-12-25", "25 Dec 886"),
    ("1066/12/25", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    ("1066.12.25", DAY, "1066-12-25", "1066-12-25", "1066-12-25", "1066-12-25", "25 Dec 1066"),
    # eras
    ("AD 43", YEAR, "43-1-1", "43-1-1", "43-12-31", "43-12-31", "43 CE"),
    ("A.D. 43", YEAR, "43-1-1", "43-1-1", "43-12-31", "43-12-31", "43 CE"),
    ("43 AD", YEAR, "43-1-1", "43-1-1", "43-12-31", "43-12-31", "43 CE"),
    ("43 CE", YEAR, "43-1-1", "43-1-1", "43-12-31", "43-12-31", "43 CE"),
    ("1 ce", YEAR, "1-1-1", "1-1-1", "1-12-31", "1-12-31", "1 CE"),
    ("55 BC", YEAR, "-55-1-1", "-55-1-1", "-55-12-31", "-55-12-31", "55 BCE"),
    ("55 BCE", YEAR, "-55-1-1", "-55-1-1", "-55-12-31", "-55-12-31", "55 BCE"),
    ("55 B.C.", YEAR, "-55-1-1", "-55-1-1", "-55-12-31", "-55-12-31", "55 BCE"),
    ("55BC", YEAR, "-55-1-1", "-55-1-1", "-55-12-31", "-55-12-31", "55 BCE"),
    ("1 BC", YEAR, "-1-1-1", "-1-1-1", "-1-12-31", "-1-12-31", "1 BCE"),
    ("25 Dec 55 BC", DAY, "-55-12-25", "-55-12-25", "-55-12-25", "-55-12-25", "25 Dec 55 BCE"),
    ("March 44 BC", MONTH, "-44-3-1", "-44-3-1", "-44-3-31", "-44-3-31", "Mar 44 BCE"),
    ("c. 287 BC", YEAR, "-297-1-1", "-287-1-1", "-287-12-31", "-277-12-31", "c. 287 BCE"),
    ("circa 5 BC", YEAR, "-15-1-1", "-5-1-1", "-5-12-31", "6-12-31", "c. 5 BCE"),  # across the missing year 0
    ("c. Dec 1066", MONTH, "1066-10-1", "1066-12-1", "1066-12-31", "1067-2-28", "c. Dec 1066"),
    # between, before, after
    ("between 47 and 50", YEAR, "47-1-1", "48-1-1", "48-12-31", "50-12-31", "between 47 and 50"),
    ("Between 1590 AND 1610", YEAR, "1590-1-1", "1600-1-1", "1600-12-31", "1610-12-31", "between 1590 and 1610"),
    ("between 50 BC and AD 10", YEAR, "-50-1-1", "-21-1-1", "-21-12-31", "10-12-31", "between 50 BCE and 10 CE"),
    (
        "between Dec 1066 and Mar 1067",
        MONTH,
        "1066-12-1",
        "1067-1-1",
        "1067-1-31",
        "1067-3-31",
        "between Dec 1066 and Mar 1067",
    ),
    (
        "between 1066-12-01 and 1066-12-05",
        DAY,
        "1066-12-1",
        "1066-12-3",
        "1066-12-3",
        "1066-12-5",
        "between 1 Dec 1066 and 5 Dec 1066",
    ),
    ("before 1600", YEAR, "1590-1-1", "1595-1-1", "1595-12-31", "1600-12-31", "before 1600"),
    ("latest 1600", YEAR, "1590-1-1", "1595-1-1", "1595-12-31", "1600-12-31", "latest 1600"),
    ("after 1600", YEAR, "1600-1-1", "1605-1-1", "1605-12-31", "1610-12-31", "after 1600"),
    ("earliest 1600", YEAR, "1600-1-1", "1605-1-1", "1605-12-31", "1610-12-31", "earliest 1600"),
    ("after 17 Jul 924", DAY, "924-7-17", "929-7-17", "929-7-17", "934-7-17", "after 17 Jul 924"),
    ("before 44 BC", YEAR, "-54-1-1", "-49-1-1", "-49-12-31", "-44-12-31", "before 44 BCE"),
    ("after 1600 before 1700", YEAR, "1600-1-1", "1650-1-1", "1650-12-31", "1700-12-31", "after 1600 before 1700"),
    ("circa2y before 1600", YEAR, "1598-1-1", "1599-1-1", "1599-12-31", "1600-12-31", "before 1600 (within 2 years)"),
    # historicaldate's circa reach and earliest / latest
    ("circa5d 25 Dec 1066", DAY, "1066-12-20", "1066-12-25", "1066-12-25", "1066-12-30", "c. 25 Dec 1066 (±5 days)"),
    ("c5d 25 Dec 1066", DAY, "1066-12-20", "1066-12-25", "1066-12-25", "1066-12-30", "c. 25 Dec 1066 (±5 days)"),
    ("circa3m Dec 1066", MONTH, "1066-9-1", "1066-12-1", "1066-12-31", "1067-3-31", "c. Dec 1066 (±3 months)"),
    ("circa2y 1066", YEAR, "1064-1-1", "1066-1-1", "1066-12-31", "1068-12-31", "c. 1066 (±2 years)"),
    ("circa1y 55 BC", YEAR, "-56-1-1", "-55-1-1", "-55-12-31", "-54-12-31", "c. 55 BCE (±1 year)"),
    ("circa 1483 earliest 1483", YEAR, "1483-1-1", "1483-1-1", "1483-12-31", "1493-12-31", "c. 1483, earliest 1483"),
    ("1483 latest 1490", YEAR, "1483-1-1", "1483-1-1", "1483-12-31", "1490-12-31", "1483, latest 1490"),
    (
        "circa 1066 earliest 1060 latest 1070",
        YEAR,
        "1060-1-1",
        "1066-1-1",
        "1066-12-31",
        "1070-12-31",
        "c. 1066, earliest 1060, latest 1070",
    ),
]


@pytest.mark.parametrize("text, prec, earliest, start, last, latest, shown", FORMS)
def test_each_written_form_gives_its_spans_precision_and_reading(text, prec, earliest, start, last, latest, shown):
    p = dates.parse_dates([text, "1951"])  # beside a plain date: the slow path and the fast path together
    assert p.error[0] is None, p.error[0]
    assert (int(p.precision[0]), p.display[0]) == (prec, shown)
    assert (p.earliest[0], p.ms[0]) == (day_ms(earliest), day_ms(start))
    assert (p.end_ms[0], p.latest[0]) == (last_ms(last), last_ms(latest))
    assert p.display[1] is None and p.error[1] is None


MALFORMED = [
    (
        "01/02/1066",
        "a date order for 01/02/1066 (1066-01-02 or 1066-02-01): write it as YYYY-MM-DD, or say which order the file uses",
    ),
    ("03/04/55 BC", "a date order for 03/04/55 BC (-0055-03-04 or -0055-04-03): write it as YYYY-MM-DD"),
    ("03/04/0 BC", "there is no year 0"),
    ("13/45/1860", "a day from 1 to 31 and a month from 1 to 12, in either order (day/month/year or month/day/year)"),
    ("0/5/1860", "a day from 1 to 31 and a month from 1 to 12"),
    ("25/12/66", "a year of 3 or 4 digits"),
    ("31 Feb 1066", "Feb 1066 has 28 days"),
    ("29 Feb 1900", "Feb 1900 has 28 days"),
    ("32 Dec 1066", "Dec 1066 has 31 days"),
    ("Decembr 1066", "a month name (Jan to Dec, or in full), not 'Decembr'"),
    ("25 Janvier 1066", "not 'Janvier'"),
    ("between 50 and 47", "X before Y"),
    ("between 1600", "between"),
    ("between 1600 and", "a date after 'and'"),
    ("1600 and 1700", "between X and Y"),
    ("between 1590 and 1610 after 1500", "'between X and Y' alone"),
    ("c. between 1590 and 1610", "without circa"),
    ("after 1600 earliest 1590", "earliest'/'after' then 'latest'/'before"),
    ("before 1700 after 1600", "earliest'/'after' then 'latest'/'before"),
    ("before", "a date after 'before'"),
    ("circa 1483 earliest 1490", "on or before the date itself"),
    ("1483 latest 1480", "on or after the date itself"),
    ("circa0d 1066", "at least 1"),
    ("AD -5", "without a sign beside an era marker"),
    ("-5 BC", "without a sign"),
    ("13 BC AD", "one era marker"),
    ("AD 55 BC", "one era marker"),
    ("0 BC", "no year 0"),
    ("AD", "a year beside the era"),
    ("Dec BC", "a date such as"),
    ("43", "two-digit"),
    ("Dec 43", "two-digit"),
    ("25 Dec 43", "two-digit"),
    ("December 25", "two-digit"),
    ("c. 51", "two-digit"),
    ("25 Dec 12000", "no month or day"),
    ("ongoing", "only for an end date"),
    ("about 1600", "YYYY-MM-DD"),
]


@pytest.mark.parametrize("text, why", MALFORMED)
def test_malformed_written_forms_say_what_is_expected(text, why):
    p = dates.parse_dates([text, "1951"])
    assert p.error[0] is not None and why in p.error[0], p.error[0]
    assert np.isnan(p.ms[0]) and np.isnan(p.latest[0]) and p.precision[0] == -1 and p.display[0] is None
    assert p.error[1] is None
    with pytest.raises(ValueError, match="not a valid date"):
        dates.parse_date(text)


ORDERS = [
    # date order, written, the ISO date it means (or a piece of the reason it is refused)
    (None, "25/12/1066", "1066-12-25"),  # a date that one order alone can read needs none
    (None, "3/31/1854", "1854-3-31"),
    (None, "25.12.1066", "1066-12-25"),
    (None, "05/05/1854", "1854-5-5"),  # either order reads the same day
    ("dmy", "25/12/1066", "1066-12-25"),
    ("dmy", "25.12.1066", "1066-12-25"),
    ("dmy", "25-12-1066", "1066-12-25"),
    ("dmy", "1/2/1066", "1066-2-1"),
    ("dmy", "25/12/886", "886-12-25"),
    ("dmy", "25/12/55 BC", "-55-12-25"),
    ("dmy", "1066/12/25", "1066-12-25"),  # year first: the same in every order
    ("mdy", "12/25/1066", "1066-12-25"),
    ("mdy", "1/2/1066", "1066-1-2"),
    ("mdy", "1066/12/25", "1066-12-25"),
    ("mdy", "25 Dec 1066", "1066-12-25"),  # month names are never ambiguous
    ("dmy", "December 25, 1066", "1066-12-25"),
    ("mdy", "25/12/1066", "a month from 1 to 12 (the date order is mdy: month/day/year)"),
    ("dmy", "12/25/1066", "a month from 1 to 12 (the date order is dmy: day/month/year)"),
    ("dmy", "31/02/1066", "Feb 1066 has 28 days"),
    ("mdy", "12/25/66", "a year of 3 or 4 digits"),
]


@pytest.mark.parametrize("order, text, meaning", ORDERS)
def test_numeric_day_month_dates_follow_the_date_order(order, text, meaning):
    p = dates.parse_dates([text, "1951", "1600-05-03"], date_order=order)
    assert p.error[1] is None and p.error[2] is None and p.display[2] is None
    if meaning[0].isdigit() or meaning[0] == "-":
        assert p.error[0] is None, p.error[0]
        assert p.ms[0] == day_ms(meaning) and p.end_ms[0] == last_ms(meaning) and p.precision[0] == DAY
        assert p.earliest[0] == p.ms[0] and p.latest[0] == p.end_ms[0]
    else:
        assert meaning in p.error[0]


def test_an_ambiguous_dates_problem_names_no_command_or_page():
    """The same words reach the command line and the page: each says how to choose in its own place."""
    said = dates.parse_dates(["03/04/1854"]).error[0]
    assert said.startswith("a date order for 03/04/1854 (1854-03-04 or 1854-04-03)")
    assert "--date-order" not in said and "upload" not in said


def test_date_order_is_dmy_mdy_or_none():
    with pytest.raises(ValueError, match="date_order"):
        dates.parse_dates(["1951"], date_order="ymd")


def test_ongoing_ends_on_the_load_date_in_either_calendar():
    today = date.today()
    p = dates.parse_dates(["ongoing", " Ongoing ", "1951"], end=True)
    assert p.error.tolist() == [None, None, None]
    expected = day_ms(f"{today.year}-{today.month}-{today.day}")
    assert p.ms[0] == expected and p.end_ms[0] == expected + dates.MS_PER_DAY - 1 and p.precision[0] == DAY
    assert p.earliest[0] == p.ms[0] and p.latest[0] == p.end_ms[0]
    assert p.display[:2].tolist() == ["ongoing", "ongoing"]
    j = dates.parse_dates(["ongoing"], julian=np.array([True]), end=True)
    assert j.ms[0] == expected and j.display[0] == "ongoing"
    start = dates.parse_dates(["ongoing", "1951"])
    assert "only for an end date" in start.error[0] and start.error[1] is None


def test_written_dates_in_the_julian_calendar():
    jul = np.ones(3, dtype=bool)
    written = dates.parse_dates(["25 Dec 1066", "29 Feb 1500", "c. 287 BC"], julian=jul)
    iso = dates.parse_dates(["1066-12-25", "1500-02-29", "c. -287"], julian=jul)
    assert written.error.tolist() == [None] * 3
    assert written.ms.tolist() == iso.ms.tolist() and written.latest.tolist() == iso.latest.tolist()
    assert written.display.tolist() == ["25 Dec 1066 (Julian)", "29 Feb 1500 (Julian)", "c. 287 BCE (Julian)"]
    assert written.ms[0] == day_ms("1066-12-31")  # 25 Dec 1066 Julian is 31 Dec 1066 Gregorian


def test_written_forms_are_read_once_per_distinct_string_and_only_where_needed(monkeypatch):
    seen = []
    real = dates.read_written

    def counting(text, date_order=None):
        seen.append(text)
        return real(text, date_order)

    monkeypatch.setattr(dates, "read_written", counting)
    p = dates.parse_dates(["25 Dec 1066"] * 300 + ["1951"] * 300 + ["c. 1600"] * 300 + ["156X", "55 BC", "55 BC"])
    assert sorted(seen) == ["25 Dec 1066", "55 BC"]  # today's forms never reach the written grammar
    assert p.display[0] == "25 Dec 1066" and p.display[-1] == "55 BCE" and p.display[300] is None


def test_the_expected_forms_name_the_written_forms():
    for form in ("25 Dec 1066", "Dec 1066", "55 BC", "AD 43", "between 47 and 50", "before 1600", "ongoing"):
        assert form in dates.DATE_FORMS
