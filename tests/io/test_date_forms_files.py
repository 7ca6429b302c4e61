"""Files with historians' dates: the new forms and the calendar column, validated with their lines,
kept through the cache, filtered by their possible span and exported as written."""

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.model import ValidationError
from dashboard.core.query import View, filter_events
from dashboard.io import cache
from dashboard.io.formats import load_timeline, parse_events
from dashboard.render.exports import events_csv

SRC = (
    "id,date,end_date,title,themes,display_date,calendar,kind,notes\n"
    "shakespeare,c. 1564-04,,Shakespeare born,literature,,,,a\n"  # line 2
    "plot,1605-11-05,,Gunpowder Plot,politics,,Julian,,b\n"
    "armada,1588,,Armada,war,,gregorian,,\n"
    "decade,1590s,,Sonnets,literature,,,,\n"
    "range,[1590..1610],c. 1620,Some work,literature,Written some time,,,\n"
    "kt,66 Ma,,Dinosaurs die out,deep,,,,\n"
    "rev,1917-10-25,,October Revolution,politics,,JULIAN,,\n"
    "marathon,c. -490,,Marathon,war,,,,\n"
    "tudor,1485,1603,Tudors,,,,era,\n"
)


@pytest.fixture
def timeline(write_csv):
    return load_timeline(write_csv(SRC))


def row(tl, ident):
    return tl.events[tl.events["id"] == ident].iloc[0]


def test_new_forms_load_with_their_possible_span_and_reading(timeline):
    ev = timeline.events
    assert ev["earliest"].dtype == np.float64 and ev["latest"].dtype == np.float64
    s = row(timeline, "shakespeare")
    assert s["display_date"] == "c. Apr 1564" and s["date_text"] == "c. 1564-04"
    assert s["earliest"] < s["start"] and s["latest"] > s["last"]
    armada = row(timeline, "armada")  # an exact date: the spans agree, shown as computed
    assert armada["earliest"] == armada["start"] and armada["latest"] == armada["last"]
    assert armada["display_date"] == "" and armada["date_text"] == "" and not armada["julian"]
    assert row(timeline, "decade")["display_date"] == "1590s"
    assert row(timeline, "kt")["display_date"] == "66 Ma"
    assert row(timeline, "marathon")["display_date"] == "c. 490 BCE"
    rng = row(timeline, "range")  # the file's own display date wins; the end's form is shown
    assert rng["display_date"] == "Written some time" and rng["end_display_date"] == "c. 1620"
    assert rng["earliest"] == dates.parse_date("1590")[0]
    assert rng["latest"] == dates.parse_date_span("c. 1620")[1] and rng["last"] == dates.parse_date("1620")[2]
    tudor = timeline.eras.iloc[0]
    assert tudor["earliest"] == tudor["start"] and tudor["latest"] == tudor["last"]


def test_julian_rows_convert_and_name_their_calendar(timeline):
    plot, rev = row(timeline, "plot"), row(timeline, "rev")
    assert plot["julian"] and rev["julian"]
    assert plot["start"] == dates.parse_date("1605-11-15")[0]
    assert rev["start"] == dates.parse_date("1917-11-07")[0]
    assert rev["display_date"] == "25 Oct 1917 (Julian)" and rev["date_text"] == "1917-10-25"


def test_date_filter_keeps_events_that_may_fall_in_the_range(timeline):
    # c. 1564-04 may be as late as Jun 1564; 1590s reaches 1599; the era is not an event
    shown = set(timeline.events["id"].iloc[filter_events(timeline, View(start="1564-06", end="1564-06"))])
    assert shown == {"shakespeare"}
    shown = set(timeline.events["id"].iloc[filter_events(timeline, View(start="1598", end="1599"))])
    assert shown == {"decade", "range"}  # most likely 1595 and 1600, but each may fall in 1598-1599
    shown = set(timeline.events["id"].iloc[filter_events(timeline, View(start="67 Ma", end="65 Ma"))])
    assert shown == {"kt"}
    # a From box in a new form starts as early as it may mean
    shown = set(timeline.events["id"].iloc[filter_events(timeline, View(start="1610", end="1611"))])
    assert shown == {"range"}
    shown = set(timeline.events["id"].iloc[filter_events(timeline, View(start="c. 1610", end="1611"))])
    assert shown == {"range", "plot"}  # from 1600: the plot of 1605 is in


def test_filter_falls_back_to_start_and_last_without_the_columns(timeline):
    old = type(timeline)(
        events=timeline.events.drop(columns=["earliest", "latest"]),
        themes=timeline.themes,
        eras=timeline.eras,
        source_name="old",
    )
    shown = set(old.events["id"].iloc[filter_events(old, View(start="1598", end="1599"))])
    assert shown == set()


def test_every_bad_date_and_calendar_has_its_line(write_csv):
    path = write_csv(
        "date,end_date,title,themes,calendar\n"
        "c.,,A,x,\n"  # 2
        "15XXX,,B,x,\n"  # 3
        "[1610..1590],,C,x,\n"  # 4
        "12 Xa,,D,x,\n"  # 5
        "1500-02-29,,E,x,julian\n"  # 6: fine in the Julian calendar
        "1500-02-29,,F,x,\n"  # 7
        "1600,,G,x,hebrew\n"  # 8
        "1600,c. 1500,H,x,\n"  # 9: ends before it starts
    )
    with pytest.raises(ValidationError) as info:
        load_timeline(path)
    found = {(p.line, p.column): p for p in info.value.problems}
    assert set(found) == {
        (2, "date"),
        (3, "date"),
        (4, "date"),
        (5, "date"),
        (7, "date"),
        (8, "calendar"),
        (9, "end_date"),
    }
    assert found[(2, "date")].value == "c." and "c. 1600" in found[(2, "date")].expected
    assert "156X" in found[(3, "date")].expected and found[(3, "date")].value == "15XXX"
    assert "not after the second" in found[(4, "date")].expected
    assert "66 Ma" in found[(5, "date")].expected
    assert "Feb 1500 has 28 days" in found[(7, "date")].expected
    assert found[(8, "calendar")].value == "hebrew" and "'julian'" in found[(8, "calendar")].expected


def test_cache_keeps_the_new_columns(write_csv, monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    path = write_csv(SRC)
    first = cache.load(path)
    monkeypatch.setattr(cache, "parse_events", lambda *a: pytest.fail("CSV parsed again"))
    second = cache.load(path)
    assert second.events.equals(first.events) and second.eras.equals(first.eras)
    assert {"earliest", "latest", "julian", "date_text", "end_date_text"} <= set(second.events.columns)
    assert row(second, "rev")["julian"] and row(second, "kt")["date_text"] == "66 Ma"


def test_csv_export_writes_dates_as_written_and_reloads_the_same(timeline):
    out = events_csv(timeline, filter_events(timeline, View()))
    text = out.decode()
    assert ",c. 1564-04," in text and ",[1590..1610],c. 1620," in text and ",66 Ma," in text
    assert ",1605-11-05," in text and ",julian" in text  # Julian dates stay Julian
    back = parse_events(out, "back.csv")
    assert back.events.equals(timeline.events) and back.eras.equals(timeline.eras)
    assert back.extras.equals(timeline.extras)


def test_the_shipped_examples_load():
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "data"
    deep = load_timeline(data / "deep-time.csv")
    assert row(deep, "kpg")["display_date"] == "66 Ma" and row(deep, "big-bang")["display_date"] == "13.8 Ga"
    assert list(deep.events.sort_values("start")["id"])[:2] == ["big-bang", "earth"]
    early = load_timeline(data / "early-modern.csv")
    newton = row(early, "newton")
    assert newton["display_date"] == "25 Dec 1642 (Julian)"
    assert newton["start"] == dates.parse_date("1643-01-04")[0]
    hamlet = row(early, "hamlet")
    assert hamlet["display_date"] == "between 1599 and 1601" and hamlet["earliest"] < hamlet["start"]
    assert all(early.events["source"].str.startswith("https://")) and all(
        deep.events["source"].str.startswith("https://")
    )
