"""The historicaldate / hdtimelines CSV: recognised by its header, mapped to our columns, lives kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.columns import lane_name
from dashboard.core.model import ValidationError
from dashboard.io.formats import load_timeline, parse_events
from dashboard.io.hdtimelines import detect
from dashboard.render.exports import events_csv

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hdtimelines" / "Tudor and Stuart monarchs.csv"


def ms(text: str) -> float:
    return dates.parse_date(text)[0]


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("label,hdate,hdate_end,url", True),
        ("label,hdate_birth,hdate_death", True),
        ("\ufeffLabel, HDate ,description", True),
        ("label,description", False),  # no date of any kind
        ("hdate,title,themes", False),  # no label
        ("date,title,themes", False),  # our own format
        ("Year,Month,Day,Headline", False),  # TimelineJS
    ],
)
def test_detected_by_its_header(header, found):
    assert detect((header + "\nx,1600,1601,y\n").encode("utf-8")) is found
    for sep in (";", "\t"):  # as a spreadsheet saves it where the comma is the decimal mark, or a copy
        assert detect((header.replace(",", sep) + "\nx;1600;1601;y\n").encode("utf-8")) is found
        assert detect((header.replace(",", sep) + "\nx;1600;1601;y\n").encode("utf-16")) is found


def test_a_file_separated_by_semicolons_reads_as_with_commas():
    data = FIXTURE.read_bytes().decode("utf-8")
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(csv.reader(io.StringIO(data, newline="")))
    semi, comma = parse_events(out.getvalue().encode("utf-8"), FIXTURE.name), load_timeline(FIXTURE)
    assert semi.events[["title", "start", "end"]].equals(comma.events[["title", "start", "end"]])
    assert len(semi.lives) == len(comma.lives) > 0


def test_columns_are_mapped_and_extras_kept():
    tl = load_timeline(FIXTURE)
    ev = tl.events
    assert tl.themes == ["Tudor and Stuart monarchs"]  # one lane, named after the file, as it is spelt
    assert ev["title"].iloc[4] == "Elizabeth I"
    assert ev["start"].iloc[4] == ms("1558-11-17") and ev["end"].iloc[4] == ms("1603-03-24")
    assert ev["source"].iloc[4] == "https://en.wikipedia.org/wiki/Elizabeth_I"
    assert ev["description"].iloc[1] == "Six wives, one church"
    assert list(tl.extras.columns) == ["colour", "rank"]
    assert tl.extras["colour"].tolist()[:2] == ["red", "red"] and tl.extras["rank"].iloc[7] == "3"


def test_lives_are_kept_beside_the_reigns():
    tl = load_timeline(FIXTURE)
    lives = tl.lives.set_index("row")
    assert len(lives) == 8
    assert lives.loc[4, "start"] == ms("1533-09-07")
    assert lives.loc[4, "last"] == dates.parse_dates(["1603-03-24"]).end_ms[0]
    assert (lives.loc[4, "start_label"], lives.loc[4, "end_label"]) == ("7 Sep 1533", "24 Mar 1603")
    assert not lives.loc[4, "only"]


def test_a_row_with_a_birth_and_no_hdate_is_the_life_alone():
    tl = load_timeline(FIXTURE)
    jane = tl.lives.set_index("row").loc[7]
    assert bool(jane["only"]) and jane["start_label"] == "c. 1537"
    assert jane["earliest"] < ms("1537") and jane["latest"] == dates.parse_dates(["1554-02-12"]).end_ms[0]
    # the event takes the life's dates, so the date filter and the axis find it
    assert tl.events["start"].iloc[7] == ms("1537") and tl.events["end"].iloc[7] == ms("1554-02-12")


def test_a_blank_death_is_someone_alive():
    tl = parse_events(b"label,hdate,hdate_birth,hdate_death\nCharles III,2022-09-08,1948-11-14,\n", "kings.csv")
    life = tl.lives.iloc[0]
    assert np.isnan(life["last"]) and life["end_label"] == ""


@pytest.mark.parametrize(
    ("row", "column", "value", "expected"),
    [
        ("Nobody,,,,", "hdate", "", "or for a life alone a birth date in hdate_birth"),
        ("Bad date,1600-13,,,", "hdate", "1600-13", "month"),
        ("Backwards,1600,1500,,", "hdate_end", "1500", "on or after the start date 1600"),
        ("Dies first,1600,,1700,1650", "hdate_death", "1650", "on or after the birth date 1700"),
        ("No birth,1600,,,1650", "hdate_birth", "", "a birth date: the row has a death date in hdate_death"),
        ("Bad birth,1600,,someday,", "hdate_birth", "someday", "YYYY"),
    ],
)
def test_problems_name_the_files_own_columns(row, column, value, expected):
    text = "label,hdate,hdate_end,hdate_birth,hdate_death\nFine,1600,,,\n" + row + "\n"
    with pytest.raises(ValidationError) as err:
        parse_events(text.encode(), "people.csv")
    [problem] = err.value.problems
    assert (problem.line, problem.column, problem.value) == (3, column, value)
    assert expected in problem.expected
    assert err.value.source == "people.csv"


def test_a_ragged_row_is_reported_with_its_line():
    with pytest.raises(ValidationError) as err:
        parse_events(b"label,hdate\nA,1600\nB,1601,extra\n", "x.csv")
    assert err.value.problems[0].line == 3 and "2 fields" in err.value.problems[0].expected


def test_a_themes_column_is_used_and_blank_themes_take_the_files_lane():
    tl = parse_events(b"label,hdate,themes\nA,1600,war\nB,1601,\n", "Wars of religion.csv")
    assert tl.themes == ["war", "Wars of religion"]
    assert lane_name("dir/My file.csv") == "My file"


def test_the_csv_export_loads_again_as_the_same_events_and_lives():
    tl = load_timeline(FIXTURE)
    again = parse_events(events_csv(tl, np.arange(len(tl.events))), "again.csv")
    assert again.lives.equals(tl.lives)
    for col in ("start", "last", "end", "earliest", "latest", "title", "source"):
        assert again.events[col].equals(tl.events[col]), col
    assert again.extras["colour"].tolist() == tl.extras["colour"].tolist()


def test_historicaldate_written_forms_and_ongoing_as_in_its_data_sets():
    text = (
        "label,hdate,hdate_end,hdate_birth,hdate_death,url\n"
        "Alfred the Great,c. 886,26 oct 899,849,26 oct 899,https://en.wikipedia.org/wiki/Alfred_the_Great\n"
        "Charles III,2022-09-08,ongoing,1948-11-14,,https://en.wikipedia.org/wiki/Charles_III\n"
        "Someone,1600,,1550,ongoing,\n"
    )
    tl = parse_events(text.encode(), "British Monarchs.csv")
    lives = tl.lives.set_index("row")
    assert (lives.loc[0, "start_label"], lives.loc[0, "end_label"]) == ("849", "26 Oct 899")
    assert lives.loc[2, "end_label"] == "ongoing"
    assert lives.loc[0, "start"] == ms("0849")
    assert np.isnan(lives.loc[1, "last"])  # alive
    assert lives.loc[2, "last"] > ms("2020")  # 'ongoing': to the day the file is read
    assert tl.events["end"].iloc[1] > ms("2020")


def test_a_file_with_an_ongoing_life_is_not_cached(tmp_path, monkeypatch):
    from dashboard.io import cache

    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    path = tmp_path / "people.csv"
    path.write_text("label,hdate,hdate_birth,hdate_death\nSomeone,1600,1550,ongoing\n", encoding="utf-8")
    cache.load(path)
    assert not any(p.exists() for p in cache.cache_paths(path))
