"""Files whose dates are written as people write them (25 Dec 1066, 55 BC, between 47 and 50,
ongoing...): they load with their spans and readings, export as written, and a bad one names its
line, column, value and what was expected."""

from datetime import date

import pyarrow as pa
import pytest

from dashboard.core import dates
from dashboard.core.model import ValidationError
from dashboard.core.query import View, filter_events
from dashboard.core.validation import validate_table
from dashboard.io import cache
from dashboard.io.formats import load_timeline, parse_events
from dashboard.render.exports import events_csv

SRC = (
    "id,date,end_date,title,themes,calendar,kind\n"
    "hastings,14 October 1066,,Battle of Hastings,war,julian,\n"  # line 2
    "coronation,25th Dec 1066,,William crowned,politics,julian,\n"
    "caesar,55 BC,54 BC,Caesar in Britain,war,,\n"
    "claudius,AD 43,,Claudian invasion,war,,\n"
    'lindisfarne,"June 8, 793",,Lindisfarne raided,war,,\n'
    "athelstan,after 17 Jul 924,,Athelstan king,politics,,\n"
    "wall,between 122 and 128,,Hadrian's Wall built,war,,\n"
    "boudica,c. 60 CE,,Boudica's revolt,war,,\n"
    "printing,circa2y 1476,,Caxton's press,trade,,\n"
    "survey,Dec 1085,Aug 1086,Domesday survey,politics,,\n"
    "crown,1953-06-02,ongoing,Coronation oath kept,politics,,era\n"
)


@pytest.fixture
def timeline(write_csv):
    return load_timeline(write_csv(SRC))


def row(tl, ident):
    frame = tl.events if ident in set(tl.events["id"]) else tl.eras
    return frame[frame["id"] == ident].iloc[0]


def test_written_forms_load_with_their_spans_and_readings(timeline):
    hastings = row(timeline, "hastings")
    assert hastings["display_date"] == "14 Oct 1066 (Julian)" and hastings["date_text"] == "14 October 1066"
    assert hastings["start"] == dates.parse_date("1066-10-20")[0]  # Julian 14 Oct is Gregorian 20 Oct
    assert row(timeline, "coronation")["display_date"] == "25 Dec 1066 (Julian)"
    caesar = row(timeline, "caesar")
    assert (caesar["display_date"], caesar["end_display_date"]) == ("55 BCE", "54 BCE")
    assert caesar["start"] == dates.parse_date("-55")[0] and caesar["last"] == dates.parse_date("-54")[2]
    assert row(timeline, "claudius")["display_date"] == "43 CE"
    assert row(timeline, "lindisfarne")["display_date"] == "8 Jun 793"
    athelstan = row(timeline, "athelstan")
    assert athelstan["display_date"] == "after 17 Jul 924"
    assert athelstan["earliest"] == dates.parse_date("0924-07-17")[0]
    assert athelstan["latest"] == dates.parse_date("0934-07-17")[2]
    wall = row(timeline, "wall")
    assert wall["display_date"] == "between 122 and 128" and wall["earliest"] == dates.parse_date("0122")[0]
    assert row(timeline, "boudica")["display_date"] == "c. 60 CE"
    assert row(timeline, "printing")["display_date"] == "c. 1476 (±2 years)"
    survey = row(timeline, "survey")
    assert (survey["display_date"], survey["end_display_date"]) == ("Dec 1085", "Aug 1086")
    crown = row(timeline, "crown")
    today = date.today()
    assert crown["end_display_date"] == "ongoing" and crown["end_date_text"] == "ongoing"
    assert crown["last"] == dates.parse_date(today.isoformat())[2]


def test_filter_and_export_keep_the_written_forms(timeline):
    shown = set(timeline.events["id"].iloc[filter_events(timeline, View(start="930", end="931"))])
    assert shown == {"athelstan"}  # after 17 Jul 924 may reach 934
    out = events_csv(timeline, filter_events(timeline, View())).decode()
    assert ",14 October 1066," in out and ",55 BC,54 BC," in out and ",after 17 Jul 924," in out
    back = parse_events(out.encode(), "back.csv")
    assert back.events.equals(timeline.events)


def test_every_bad_written_date_has_its_line_column_and_value(write_csv):
    path = write_csv(
        "date,end_date,title,themes\n"
        "03/04/1066,,A,x\n"  # 2: 3 April or 4 March
        "25/12/1066,,A2,x\n"  # 3: one order alone reads it: fine
        "31 Feb 1066,,B,x\n"  # 4
        "Decembr 1066,,C,x\n"  # 5
        "between 50 and 47,,D,x\n"  # 6
        "ongoing,,E,x\n"  # 7
        "AD -5,,F,x\n"  # 8
        "13 BC AD,,G,x\n"  # 9
        "1066,13/45/1066,H,x\n"  # 10: no month in either order
        "25 Dec 1066,55 BC,I,x\n"  # 11: ends before it starts
        "25 Dec 1066,ongoing,J,x\n"  # 12: fine
    )
    with pytest.raises(ValidationError) as info:
        load_timeline(path)
    found = {(p.line, p.column): (p.value, p.expected) for p in info.value.problems}
    assert set(found) == {
        (2, "date"),
        (4, "date"),
        (5, "date"),
        (6, "date"),
        (7, "date"),
        (8, "date"),
        (9, "date"),
        (10, "end_date"),
        (11, "end_date"),
    }
    assert found[(2, "date")] == (
        "03/04/1066",
        "a date order for 03/04/1066 (1066-03-04 or 1066-04-03): write it as YYYY-MM-DD, or say which order the file uses",
    )
    assert found[(4, "date")] == ("31 Feb 1066", "a real calendar date: Feb 1066 has 28 days")
    assert found[(5, "date")][0] == "Decembr 1066" and "not 'Decembr'" in found[(5, "date")][1]
    assert "X before Y" in found[(6, "date")][1]
    assert "only for an end date" in found[(7, "date")][1]
    assert "without a sign" in found[(8, "date")][1] and "one era marker" in found[(9, "date")][1]
    assert found[(10, "end_date")][0] == "13/45/1066" and "in either order" in found[(10, "end_date")][1]
    assert "on or after the start date 25 Dec 1066" in found[(11, "end_date")][1]


def test_date_order_reads_both_date_columns():
    table = pa.table(
        {"date": ["25/12/1066", "1/2/1066"], "end_date": ["", "3/2/1066"], "title": ["A", "B"], "themes": ["x", "x"]}
    )
    lines = [2, 3]
    tl = validate_table(table, [], "in", lambda: lines, date_order="dmy")
    assert tl.events["start"].tolist() == [dates.parse_date("1066-12-25")[0], dates.parse_date("1066-02-01")[0]]
    assert tl.events["last"].iloc[1] == dates.parse_date("1066-02-03")[2]
    mdy = validate_table(table.slice(1), [], "in", lambda: lines[1:], date_order="mdy")
    assert mdy.events["start"].iloc[0] == dates.parse_date("1066-01-02")[0]
    assert mdy.events["last"].iloc[0] == dates.parse_date("1066-03-02")[2]
    with pytest.raises(ValidationError) as info:
        validate_table(table, [], "in", lambda: lines, date_order="mdy")
    [problem] = info.value.problems
    assert (problem.line, problem.column, problem.value) == (2, "date", "25/12/1066")
    assert "the date order is mdy" in problem.expected


def test_a_file_with_an_ongoing_date_is_not_cached(write_csv, monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    path = write_csv(SRC)
    cache.load(path)
    assert not any(p.exists() for p in cache.cache_paths(path))  # tomorrow, ongoing means tomorrow
    plain = write_csv(SRC.replace("ongoing", "2000"), "plain.csv")
    cache.load(plain)
    assert any(p.exists() for p in cache.cache_paths(plain))
