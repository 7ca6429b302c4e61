"""Workbooks (.xlsx, .ods) open like CSV: typed cells read as the text they show, problems named by
their cell (Sheet1!C7), any sheet by name."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from dashboard.core.model import ValidationError
from dashboard.io.formats import ReadOptions, load_timeline, parse_events
from dashboard.io.spreadsheet import column_letter, detect, sheet_reference
from tests.workbooks import ods, xlsx

HEADER = ["Event", "Category", "Start", "End", "Notes", "Link"]
ROWS = [
    HEADER,
    ["Hastings", "war", "1066-10-14", None, "typed as text", "https://example.org/h"],
    ["Magna Carta", "politics", 1215, 1216.0, 3.5, None],
    [
        "Moon landing",
        "science",
        dt.datetime(1969, 7, 20, 20, 17),
        dt.date(1969, 7, 24),
        dt.datetime(1969, 7, 20, 20, 17),
        None,
    ],
    [None, None, None, None, None, None],
    ["Treaty", "war;politics", dt.date(1951, 9, 8), None, True, None],
]
WRITERS = {"xlsx": xlsx, "ods": ods}


def events(kind: str, rows=ROWS, sheet: str = "Sheet1", **options):
    data = WRITERS[kind]({sheet: rows})
    return parse_events(data, f"events.{kind}", ReadOptions.of(**options)).events


@pytest.mark.parametrize("kind", WRITERS)
def test_typed_cells_read_as_the_text_they_show(kind):
    ev = events(kind).set_index("title")
    assert list(ev.index) == ["Hastings", "Magna Carta", "Moon landing", "Treaty"]
    dates = {t: (ev.at[t, "start"], ev.at[t, "start_prec"]) for t in ev.index}
    assert dates["Magna Carta"][1] == 0  # a year typed as a number: the year 1215, not 1215.0
    # a real spreadsheet date is that day; with a time of day, the day in a date column
    same = parse_events(b"date,title\n1969-07-20,x\n1951-09-08,y\n1066-10-14,z\n1216,e\n", "t.csv").events
    assert dates["Moon landing"] == (same["start"][0], same["start_prec"][0])
    assert dates["Treaty"] == (same["start"][1], same["start_prec"][1])
    assert dates["Hastings"] == (same["start"][2], same["start_prec"][2])
    notes = ev["description"].to_dict()
    assert notes == {
        "Hastings": "typed as text",
        "Magna Carta": "3.5",
        "Moon landing": "1969-07-20 20:17:00",  # elsewhere the time of day is kept
        "Treaty": "TRUE",
    }
    assert ev.at["Hastings", "source"] == "https://example.org/h" and ev.at["Magna Carta", "source"] == ""
    assert ev.at["Magna Carta", "end"] == same["start"][3]  # 1216 typed as the number 1216.0


@pytest.mark.parametrize("kind", WRITERS)
def test_a_bad_cell_is_named_as_the_spreadsheet_shows_it(kind):
    rows = [*ROWS, ["Bad", "war", "12x5", None, None, "ftp://nope"]]  # row 7
    with pytest.raises(ValidationError) as info:
        events(kind, rows)
    p1, p2 = info.value.problems
    assert (p1.cell, p1.column, p1.value) == ("Sheet1!C7", "Start", "12x5")
    assert (p2.cell, p2.column, p2.value) == ("Sheet1!F7", "Link", "ftp://nope")
    report = info.value.report()
    assert "Sheet1!C7, column 'Start': '12x5': expected a date as YYYY" in report
    assert "Sheet1!F7, column 'Link': 'ftp://nope': expected an http:// or https:// URL" in report


def test_a_sheet_name_with_spaces_is_quoted_and_blank_rows_above_are_counted():
    rows = [[None] * 3, [None, "date", "title"], [None, "1990", "ok"], [None, "nope", "bad"]]
    with pytest.raises(ValidationError) as info:
        events("xlsx", rows, sheet="My events")
    [p] = info.value.problems
    assert p.cell == "'My events'!B4" and p.line == 4


@pytest.mark.parametrize("kind", WRITERS)
def test_header_problems_name_the_header_row(kind):
    with pytest.raises(ValidationError) as info:
        events(kind, [["Start", "Year", "Event"], ["1066", "1066", "x"]])
    [p] = info.value.problems
    assert p.cell == "Sheet1!B1" and "'Start' and 'Year'" in p.expected


@pytest.mark.parametrize("kind", WRITERS)
def test_sheets_by_name(kind):
    data = WRITERS[kind]({"Notes": [["nothing here"]], "Kings": [["Year", "Name"], [1066, "William"]]})
    tl = parse_events(data, f"kings.{kind}", ReadOptions.of(sheet="Kings"))
    assert tl.events["title"].tolist() == ["William"] and tl.themes == ["kings"]
    assert parse_events(data, f"kings.{kind}", ReadOptions.of(sheet="kings")).events["title"].tolist() == ["William"]
    with pytest.raises(ValidationError) as info:
        parse_events(data, f"kings.{kind}")  # the first sheet is not events
    assert "a column named 'date'" in info.value.problems[0].expected
    with pytest.raises(ValidationError) as info:
        parse_events(data, f"kings.{kind}", ReadOptions.of(sheet="Queens"))
    [p] = info.value.problems
    assert p.value == "Queens" and "the workbook has 'Notes', 'Kings'" in p.expected


def test_columns_mapping_applies_to_workbooks():
    data = xlsx({"Sheet1": [["When", "What", "Kind"], [1066, "Hastings", "war"]]})
    tl = parse_events(data, "w.xlsx", ReadOptions.of("date=When,title=What,themes=Kind"))
    assert tl.themes == ["war"]


@pytest.mark.parametrize(
    "data, name, words",
    [
        (b"PK\x03\x04not a zip at all", "x.xlsx", "an .xlsx workbook, as the file's name says"),
        (b"date,title\n1990,x\n", "x.ods", "an .ods workbook, as the file's name says"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "x.xls", "Excel 97-2003 (.xls)"),
        (xlsx({"Sheet1": []}), "x.xlsx", "the sheet 'Sheet1' is empty"),
        (lambda: _damaged_sheet(), "x.xlsx", "a readable sheet 'Sheet1' (XmlError"),
    ],
)
def test_unreadable_workbooks_get_one_clear_problem(data, name, words):
    if callable(data):
        data = data()
    with pytest.raises(ValidationError) as info:
        parse_events(data, name)
    [p] = info.value.problems
    assert words in p.expected


def _damaged_sheet() -> bytes:
    """A workbook whose sheet's XML is cut short."""
    good = zipfile.ZipFile(io.BytesIO(xlsx({"Sheet1": [["date", "title"], [1990, "x"]]})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member in good.namelist():
            archive.writestr(member, b"<worksheet" if member.endswith("sheet1.xml") else good.read(member))
    return out.getvalue()


def test_sheet_option_on_a_csv_is_refused():
    with pytest.raises(ValidationError) as info:
        parse_events(b"date,title\n1990,x\n", "x.csv", ReadOptions.of(sheet="Sheet1"))
    assert "a workbook (.xlsx or .ods)" in info.value.problems[0].expected


def test_workbooks_are_recognised_by_content_whatever_their_name(tmp_path):
    data = ods({"Sheet1": [["date", "title"], [1990, "x"]]})
    assert detect(data, "upload") == "ods" and detect(xlsx({"S": [["a"]]}), "upload.bin") == "xlsx"
    path = tmp_path / "named-wrong.csv"
    path.write_bytes(data)
    assert load_timeline(path).events["title"].tolist() == ["x"]


@pytest.mark.parametrize("index, letters", [(0, "A"), (2, "C"), (25, "Z"), (26, "AA"), (51, "AZ"), (702, "AAA")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters


@pytest.mark.parametrize(
    "title, shown", [("Sheet1", "Sheet1"), ("My sheet", "'My sheet'"), ("A1", "'A1'"), ("O'Brien", "'O''Brien'")]
)
def test_sheet_references(title, shown):
    assert sheet_reference(title) == shown
