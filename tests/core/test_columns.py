"""Which file column feeds each of ours: exact names, the common other names, mappings by hand."""

from __future__ import annotations

import pyarrow as pa
import pytest

from dashboard.core.columns import ALIASES, lane_name, name_table, parse_mapping, plan_columns
from dashboard.core.model import ValidationError


@pytest.mark.parametrize(
    "header, expected",
    [
        (["date", "title", "themes"], ("date", "title", "themes")),
        (["Start", "Event", "Category", "Notes", "Link"], ("date", "title", "themes", "description", "source")),
        (
            ["Year", "Name", "Tags", "Details", "URL", "Until"],
            ("date", "title", "themes", "description", "source", "end_date"),
        ),
        (
            ["Start Date", "End Date", "Headline", "Group", "Text"],
            ("date", "end_date", "title", "themes", "description"),
        ),
        (["from", "to", "label", "type"], ("date", "end_date", "title", "themes")),
        (["begin", "end", "title", "theme", "notes"], ("date", "end_date", "title", "themes", "description")),
        # our own names win over the other names, which stay the file's own columns
        (["Name", "Title", "date", "Year"], ("name", "title", "date", "year")),
        (["Link", "source", "date", "title"], ("link", "source", "date", "title")),
        # a blank header keeps its data under col_N
        (["date", "", "title"], ("date", "col_2", "title")),
    ],
)
def test_common_names_are_recognised(header, expected):
    plan = plan_columns(header)
    assert plan.problems == []
    assert plan.names == expected


def test_shown_names_are_the_files_own():
    plan = plan_columns([" Start ", "Event", "themes", "Date 2"])
    assert plan.shown == {"date": "Start", "title": "Event"}


def test_mapping_wins_and_displaced_columns_are_kept():
    plan = plan_columns(["Date", "When", "Event", "Kind"], {"date": "When", "themes": "Kind"})
    assert plan.problems == []
    assert plan.names == ("date_1", "date", "title", "themes")
    assert plan.shown == {"date": "When", "title": "Event", "themes": "Kind"}


def test_mapping_matches_case_and_spaces_when_not_exact():
    assert plan_columns(["Start Year", "What"], {"date": "start year", "title": "WHAT"}).names == ("date", "title")


@pytest.mark.parametrize(
    "header, mapping, column, value, words",
    [
        (["Start", "Year", "Event"], None, "Year", None, ["'Start' and 'Year'", "--columns date=Start"]),
        (["date", "Event", "Name"], None, "Name", None, ["'Event' and 'Name'", "--columns title=Event"]),
        (
            ["When", "Event"],
            None,
            "date",
            None,
            ["found: When, Event", "Start, Year, From, Begin, Start Date", "--columns date=NAME"],
        ),
        (
            ["date", "Event"],
            {"title": "Headline"},
            None,
            "Headline",
            ["--columns title=Headline", "found: date, Event"],
        ),
        (["date", "Event"], {"title": "Event", "themes": "Event"}, "Event", "Event", ["mapped to title too"]),
        (["date", "title", "Title"], None, "Title", "Title", ["unique column names"]),
    ],
)
def test_header_problems_name_the_files_columns(header, mapping, column, value, words):
    [p] = plan_columns(header, mapping).problems
    assert (p.line, p.column, p.value) == (1, column, value)
    for w in words:
        assert w in p.expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("date=Start,title=Event,themes=Kind", {"date": "Start", "title": "Event", "themes": "Kind"}),
        (" date = Start Year , End Date=Until ", {"date": "Start Year", "end_date": "Until"}),
        ("title=A=B", {"title": "A=B"}),
        ("", {}),
    ],
)
def test_parse_mapping(text, expected):
    assert parse_mapping(text) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("date", "not OURS=FILE_COLUMN"),
        ("when=Start", "not a column of ours"),
        ("date=A,date=B", "mapped twice"),
        ("date=", "not OURS"),
    ],
)
def test_parse_mapping_refuses(text, words):
    with pytest.raises(ValueError, match=words):
        parse_mapping(text)


def test_every_alias_is_one_of_ours_and_used_once():
    names = [a for aliases in ALIASES.values() for a in aliases]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    "source, lane",
    [
        ("monarchs.csv", "monarchs"),
        ("/x/Kings of England.xlsx", "Kings of England"),
        ("a;b.csv", "a,b"),
        ("", "events"),
    ],
)
def test_lane_name(source, lane):
    assert lane_name(source) == lane


def test_name_table_adds_one_lane_and_raises_header_problems():
    table = pa.table({"f0": ["1066"], "f1": ["Hastings"]})
    named, _ = name_table(table, ["Year", "Event"], "monarchs.csv", None, [])
    assert named.column_names == ["date", "title", "themes"] and named["themes"].to_pylist() == ["monarchs"]
    with pytest.raises(ValidationError) as info:
        name_table(table, ["When", "Event"], "monarchs.csv", None, [])
    assert [p.column for p in info.value.problems] == ["date"]


def test_a_problem_in_a_cell_is_described_by_the_cell():
    from dashboard.core.model import Problem

    p = Problem(7, "Start", "12x5", "a date", cell="Sheet1!C7")
    assert p.describe() == "Sheet1!C7, column 'Start': '12x5': expected a date"
    assert p.describe("kings.xlsx") == "kings.xlsx, Sheet1!C7, column 'Start': '12x5': expected a date"
    assert Problem(7, "Start", "12x5", "a date").describe() == "line 7, column 'Start': '12x5': expected a date"
