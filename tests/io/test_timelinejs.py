"""Importing TimelineJS data: the spreadsheet template as CSV, and TimelineJS JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.core import dates
from dashboard.core.model import Problem, ValidationError
from dashboard.core.validation import validate_table
from dashboard.io.timelinejs import COLUMNS, DEFAULT_THEME, SNIFF_BYTES, detect, read_timelinejs

FIXTURES = Path(__file__).parent.parent / "fixtures" / "timelinejs"
CSV_FILE = FIXTURES / "template.csv"
JSON_FILE = FIXTURES / "timeline.json"

TEMPLATE_HEADER = (
    "Year,Month,Day,Time,End Year,End Month,End Day,End Time,Display Date,Headline,Text,"
    "Media,Media Credit,Media Caption,Media Thumbnail,Type,Group,Background\n"
)

# The fixtures' rows, in file order: (line where the record / object starts, title, date, end_date, kind).
CSV_ROWS = [
    (3, "Classical Greece", "-500", "-323", "era"),
    (4, "Edo period", "1603", "1868", "era"),
    (5, "Battle of Marathon", "-490", "", "event"),
    (6, "Fall of the Western Roman Empire", "0476", "", "event"),
    (7, "Perry arrives at Uraga", "1853-07-08", "", "event"),  # a 3-line cell: lines 7-9
    (10, "Convention of Kanagawa", "1854-03", "", "event"),
    (11, "Occupation of Japan", "1945-09-02", "1952-04-28", "event"),
    (12, "San Francisco Peace Treaty", "1951-09-08", "", "event"),
    # line 13 is a blank row
    (14, "The Soviet–Japanese Joint Declaration restores relations…", "1956-10-19", "", "event"),
    (15, "Joint Communiqué with China", "1972-09-29", "", "event"),  # 1972.0, 9.0, 29.0
]
JSON_LINES = [9, 14, 17, 23, 28, 43, 44, 51, 55, 60]
THEMES = {"war", "politics", "diplomacy", "trade", "security", "china", DEFAULT_THEME}


def read(path: Path):
    data = path.read_bytes()
    return read_timelinejs(data, detect(data), path.name)


def read_text(text: str, kind: str = "csv", name: str = "in"):
    return read_timelinejs(text.encode("utf-8"), kind, name)


def rows(table: pa.Table) -> list[dict[str, str]]:
    return table.to_pylist()


def by_title(table: pa.Table) -> dict[str, dict[str, str]]:
    return {r["title"]: r for r in rows(table)}


def validate(data: bytes, kind: str, name: str = "in"):
    found = read_timelinejs(data, kind, name)
    timeline = validate_table(found.table, found.problems, name, lambda: found.lines, shown=found.shown)
    timeline.title, timeline.cover = found.title, found.cover
    return timeline


def problems_of(text: str, kind: str = "csv") -> list[Problem]:
    table, lines, problems, _, *_ = read_text(text, kind)
    assert problems
    with pytest.raises(ValidationError) as info:  # the validator reports them, with its own
        validate_table(table, problems, "in", lambda: lines)
    assert set(problems) <= set(info.value.problems)
    return problems


def csv_row(**cells: str) -> str:
    """One template row with the cells given (by header name, spaces as underscores)."""
    names = TEMPLATE_HEADER.strip().split(",")
    out = [cells.pop(n.lower().replace(" ", "_"), "") for n in names]
    assert not cells, cells
    return ",".join(out) + "\n"


# -- detect ------------------------------------------------------------------------


def test_detect_recognises_both_formats():
    assert detect(CSV_FILE.read_bytes()) == "csv"
    assert detect(JSON_FILE.read_bytes()) == "json"


@pytest.mark.parametrize(
    "data",
    [
        b"date,title,themes\n1951,Treaty,security\n",  # the project's own CSV
        b"id,date,end_date,title,themes\n",
        b"Year,Title\n1951,x\n",  # Year but no Headline
        b'{"name": "something else", "items": [1, 2]}',  # JSON, not TimelineJS
        b'[{"start_date": {"year": 1951}}]',  # a list, not a TimelineJS object
        b"",
        b"   \n",
        b"PK\x03\x04\x14\x00\x06\x00",  # an .xlsx workbook
        b"\x00\x01\x02Year,Headline",
        b"\xff\xd8\xff\xe0 binary",
    ],
)
def test_detect_rejects_other_files(data):
    assert detect(data) is None


def test_detect_accepts_bom_case_and_any_column_order():
    assert detect(b"\xef\xbb\xbf" + CSV_FILE.read_bytes()) == "csv"
    assert detect(b"\xef\xbb\xbf" + JSON_FILE.read_bytes()) == "json"
    assert detect("headline, GROUP ,year\r\nx,y,1951\r\n".encode("utf-16")) == "csv"
    assert detect(b'\n  {"events": []}') == "json"
    assert detect(b'{"title": {"text": {}}, "events": [{"start_date": {"year": 1}}]}') == "json"


def test_detect_reads_only_the_start_of_the_file():
    big = CSV_FILE.read_bytes() + b"\xff" * (5 * SNIFF_BYTES)  # not UTF-8 after the start
    assert detect(big) == "csv"
    # a multi-byte character cut in two by the sniffing limit is fine
    head = b'{"events": [' + b" " * (SNIFF_BYTES - 13) + "é".encode() + b"]}"
    assert detect(head) == "json"
    assert detect(memoryview(JSON_FILE.read_bytes())) == "json"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_template_saved_with_semicolons_or_tabs_reads_as_with_commas(sep):
    """Where the comma is the decimal mark a spreadsheet saves CSV separated by semicolons; a copy of
    cells is separated by tabs. The template's header tells which, as for our own CSV."""
    import csv as csv_module
    import io

    rows = list(csv_module.reader(io.StringIO(CSV_FILE.read_text(encoding="utf-8"), newline="")))
    out = io.StringIO()
    csv_module.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
    data = out.getvalue().encode("utf-8")
    assert detect(data) == "csv"
    assert detect(b"\xef\xbb\xbf" + data) == "csv"
    table, lines, problems, title, *_ = read_timelinejs(data, "csv", "semi.csv")
    expected, expected_lines, *_ = read(CSV_FILE)
    assert problems == [] and title == "Japan & the World: a sampler"
    assert table.equals(expected) and list(lines) == list(expected_lines)


def test_a_template_whose_header_holds_more_semicolons_than_commas_is_still_read_by_commas():
    data = b"Year,Headline,Group (one of: war;trade;law;art)\n1850,A,war\n1860,B,trade\n"
    assert detect(data) == "csv"
    table, _, problems, *_ = read_timelinejs(data, "csv", "t.csv")
    assert problems == [] and table.column("title").to_pylist() == ["A", "B"]


def test_a_ragged_row_of_a_semicolon_template_is_shown_and_explained_with_semicolons():
    data = b"Year;Headline;Text\n1850;A;t\n1860;B;war; peace\n"
    [problem] = read_timelinejs(data, "csv", "t.csv").problems
    assert problem.line == 3 and problem.value == "1860;B;war; peace"
    assert "a semicolon inside a value" in problem.expected


# -- CSV: the spreadsheet template ---------------------------------------------------


def test_csv_table_shape_and_types():
    table, lines, problems, title, *_ = read(CSV_FILE)
    assert problems == []
    assert table.column_names == list(COLUMNS)
    assert all(t == pa.string() for t in table.schema.types)
    assert lines.dtype == np.int64 and len(lines) == table.num_rows == len(CSV_ROWS)
    assert title == "Japan & the World: a sampler"  # the title row, as plain text, and not a row


def test_csv_rows_dates_kinds_and_lines():
    table, lines, _, _, *_ = read(CSV_FILE)
    got = [(int(line), r["title"], r["date"], r["end_date"], r["kind"]) for line, r in zip(lines, rows(table))]
    assert got == CSV_ROWS


def test_csv_ids_themes_and_media():
    table, lines, _, _, *_ = read(CSV_FILE)
    rs = by_title(table)
    assert [r["id"] for r in rows(table)] == [f"tjs-{line}" for line in lines]
    assert rs["Battle of Marathon"]["themes"] == "War"  # as written; the validator lowercases
    assert rs["San Francisco Peace Treaty"]["themes"] == DEFAULT_THEME
    assert rs["Edo period"]["themes"] == DEFAULT_THEME
    perry = rs["Perry arrives at Uraga"]
    assert (perry["media"], perry["media_credit"], perry["media_caption"], perry["media_thumbnail"]) == (
        "https://example.org/perry.jpg",
        "Library of Congress",
        "Commodore Perry",
        "https://example.org/perry-thumb.jpg",
    )
    assert rs["Battle of Marathon"]["media"] == ""


def test_csv_display_date_and_text():
    rs = by_title(read(CSV_FILE)[0])
    occupation = rs["Occupation of Japan"]
    assert occupation["display_date"] == "1945 – 1952" and occupation["end_display_date"] == ""
    assert rs["Battle of Marathon"]["display_date"] == ""
    # Text is kept verbatim, HTML, quotes, line breaks and all (the app sanitises it when shown)
    assert rs["Perry arrives at Uraga"]["description"] == (
        '<p>Black ships arrive at <a href="https://example.org/uraga">Uraga</a>.</p>\n'
        '<blockquote>"Open the ports," the letter asks.</blockquote>\n'
        "<script>alert('x')</script>"
    )
    # a row without a Headline is titled with the start of its Text, as plain text
    fallback = rs["The Soviet–Japanese Joint Declaration restores relations…"]
    assert fallback["description"].startswith("<p>The Soviet&ndash;Japanese")
    assert len(fallback["title"]) <= 61


def test_csv_any_column_order_case_and_missing_columns():
    text = (
        "GROUP,headline, year ,Text,type\n"
        "War,Marathon,-490,<p>battle</p>,\n"
        ",Fall of Rome,476.0,,EVENT\n"
        ",My timeline,,,Title\n"
    )
    table, lines, problems, title, *_ = read_text(text)
    assert problems == [] and title == "My timeline"
    assert lines.tolist() == [2, 3]
    assert [(r["date"], r["themes"], r["kind"], r["description"]) for r in rows(table)] == [
        ("-490", "War", "event", "<p>battle</p>"),
        ("0476", DEFAULT_THEME, "event", ""),
    ]
    assert all(r["end_date"] == r["media"] == r["display_date"] == "" for r in rows(table))


def test_csv_alt_text_column_and_short_rows_are_fine():
    header = TEMPLATE_HEADER.rstrip("\n") + ",Alt Text\n"
    table, lines, problems, _, *_ = read_text(header + csv_row(year="1951", headline="Treaty") + "1952,,,,,,,,,Short\n")
    assert problems == [] and [r["title"] for r in rows(table)] == ["Treaty", "Short"]


@pytest.mark.parametrize(
    "year, month, day, expected",
    [
        ("1854", "3", "", "1854-03"),
        ("1854", "03", "05", "1854-03-05"),
        ("1854.0", "3.0", "31.0", "1854-03-31"),
        (" 476 ", "", "", "0476"),
        ("5", "", "", "0005"),
        ("-490", "9", "12", "-490-09-12"),
        ("-5", "", "", "-5"),
        ("+1951", "", "", "1951"),
        ("2000", "2", "29", "2000-02-29"),
    ],
)
def test_csv_dates_at_the_precision_given(year, month, day, expected):
    table, _, problems, _, *_ = read_text(
        TEMPLATE_HEADER + csv_row(year=year, month=month, day=day, headline="x", time="10:30")
    )
    assert problems == [] and table["date"].to_pylist() == [expected]
    dates.parse_date(expected)  # the project's parser takes it


def test_csv_end_dates():
    table, _, problems, _, *_ = read_text(
        TEMPLATE_HEADER
        + csv_row(year="1945", month="9", end_year="1952", end_month="4", end_day="28", end_time="9:00", headline="x")
    )
    assert problems == [] and table["end_date"].to_pylist() == ["1952-04-28"]


def test_csv_blank_rows_are_skipped():
    text = TEMPLATE_HEADER + "\n" + ",,,,,,,,,,,,,,,,,\n" + " , ,\n" + csv_row(year="1951", headline="x") + "\n"
    table, lines, problems, _, *_ = read_text(text)
    assert problems == [] and lines.tolist() == [5]


def test_csv_line_numbers_follow_quoted_multi_line_cells_and_crlf():
    text = (
        TEMPLATE_HEADER
        + csv_row(year="1951", headline='"two\nlines"', text='"three\n\nlines"')  # lines 2-5
        + csv_row(year="1952", headline="after")  # line 6
        + csv_row(year="19x5", headline="bad")
    )  # line 7
    table, lines, problems, _, *_ = read_text(text)
    assert lines.tolist() == [2, 6] and table["id"].to_pylist() == ["tjs-2", "tjs-6"]
    assert [(p.line, p.column, p.value) for p in problems] == [(7, "Year", "19x5")]
    table2, lines2, problems2, *_ = read_text(text.replace("\n", "\r\n"))
    assert lines2.tolist() == [2, 6] and problems2 == problems
    assert table2["title"].to_pylist()[0] == "two lines"


def test_csv_with_bom_and_utf16_reads_the_same():
    data = CSV_FILE.read_bytes()
    expected = read_timelinejs(data, "csv", "t")
    for variant in (b"\xef\xbb\xbf" + data, data.decode("utf-8").encode("utf-16")):
        table, lines, problems, title, *_ = read_timelinejs(variant, "csv", "t")
        assert table.equals(expected[0]) and lines.tolist() == expected[1].tolist()
        assert problems == [] and title == expected[3]


@pytest.mark.parametrize(
    "cells, column, value",
    [
        (dict(year="19x5"), "Year", "19x5"),
        (dict(year="1951.5"), "Year", "1951.5"),
        (dict(year='"1,951"'), "Year", "1,951"),
        (dict(year="490 BC"), "Year", "490 BC"),
        (dict(year="0"), "Year", "0"),
        (dict(year="12000"), "Year", "12000"),
        (dict(year=""), "Year", ""),
        (dict(month="3"), "Year", ""),
        (dict(year="1951", month="13"), "Month", "13"),
        (dict(year="1951", month="March"), "Month", "March"),
        (dict(year="1951", day="4"), "Month", ""),
        (dict(year="1951", month="2", day="29"), "Day", "29"),
        (dict(year="1951", month="4", day="x"), "Day", "x"),
        (dict(year="1951", end_year="1952?"), "End Year", "1952?"),
        (dict(year="1951", end_month="4"), "End Year", ""),
        (dict(year="1951", type="era"), "End Year", ""),
    ],
)
def test_csv_bad_dates_are_problems_on_their_line_and_column(cells, column, value):
    cells.setdefault("headline", "Something")
    text = TEMPLATE_HEADER + csv_row(year="1900", headline="fine") + csv_row(**cells)
    table, lines, problems, _, *_ = read_text(text)
    assert [(p.line, p.column, p.value) for p in problems] == [(3, column, value)]
    assert problems[0].expected
    assert lines.tolist() == [2]  # the row with a problem is left out; the others stay
    problems_of(text)


def test_csv_problem_columns_use_the_files_own_header():
    text = "headline,YEAR\nx,19x5\n"
    [p] = read_text(text)[2]
    assert (p.line, p.column, p.value) == (2, "YEAR", "19x5")


def test_csv_every_problem_is_listed():
    text = (
        TEMPLATE_HEADER
        + csv_row(year="19x5", month="13", headline="a")
        + csv_row(year="1951", headline="b", text='"multi\nline"')
        + csv_row(year="abc", headline="c")
        + csv_row(year="1951", end_year="1950", headline="d")
    )  # backwards: the validator's
    table, lines, problems, _, *_ = read_text(text)
    assert [(p.line, p.column) for p in problems] == [(2, "Year"), (2, "Month"), (5, "Year")]
    with pytest.raises(ValidationError) as info:
        validate_table(table, problems, "in", lambda: lines)
    assert [(p.line, p.column) for p in info.value.problems] == [
        (2, "Year"),
        (2, "Month"),
        (5, "Year"),
        (6, "end_date"),
    ]


def test_csv_header_problems():
    [p] = read_text("Date,Title\n1951,x\n")[2]
    assert p.line == 1 and "Year and Headline" in p.expected and "found: Date, Title" in p.expected
    table, lines, problems, title, *_ = read_text(TEMPLATE_HEADER + csv_row(headline="Only a title", type="title"))
    assert table.num_rows == 0 and title == "Only a title" and len(problems) == 1
    with pytest.raises(ValidationError):
        validate_table(table, problems, "in", lambda: lines)


def test_csv_extra_cells_and_broken_quotes_are_problems():
    text = "Year,Headline\n1951,a,b\n1952,fine\n"
    table, lines, problems, _, *_ = read_text(text)
    assert [(p.line, p.value) for p in problems] == [(2, "1951,a,b")] and lines.tolist() == [3]
    assert read_text("Year,Headline\n1951,a,\n")[2] == []  # a trailing empty cell is harmless


def test_csv_title_plain_text():
    headline = '"<b>Bold</b> &amp; <a href=""x"">linked</a><script>evil()</script>"'
    text = TEMPLATE_HEADER + csv_row(year="1951", headline=headline)
    assert read_text(text)[0]["title"].to_pylist() == ["Bold & linked"]
    text = TEMPLATE_HEADER + csv_row(year="1951", text="<p>Short text</p>")
    assert read_text(text)[0]["title"].to_pylist() == ["Short text"]
    empty = TEMPLATE_HEADER + csv_row(year="1951", group="war")
    table, lines, problems, _, *_ = read_text(empty)
    assert table["title"].to_pylist() == [""] and problems == []
    with pytest.raises(ValidationError) as info:  # the validator says the title is missing, on line 2
        validate_table(table, problems, "in", lambda: lines)
    assert [(p.line, p.column) for p in info.value.problems] == [(2, "title")]


# -- JSON ------------------------------------------------------------------------------


def test_json_table_and_lines():
    table, lines, problems, title, *_ = read(JSON_FILE)
    assert problems == [] and title == "Japan & the World: a sampler"
    assert table.column_names == list(COLUMNS) and all(t == pa.string() for t in table.schema.types)
    assert lines.tolist() == JSON_LINES
    text = JSON_FILE.read_text().splitlines()
    assert all(text[line - 1].lstrip().startswith("{") for line in JSON_LINES)
    # same events as the CSV, in file order (eras first in this file)
    got = [(r["title"], r["date"], r["end_date"], r["kind"]) for r in rows(table)]
    assert got == [row[1:] for row in CSV_ROWS]


def test_json_mapping():
    table = read(JSON_FILE)[0]
    rs = by_title(table)
    assert [r["id"] for r in rows(table)] == [
        "tjs-era-1",
        "tjs-era-2",
        "marathon",
        "tjs-2",
        "perry",
        "tjs-4",
        "tjs-5",
        "tjs-6",
        "tjs-7",
        "tjs-8",
    ]
    assert rs["Battle of Marathon"]["themes"] == "War"
    assert rs["San Francisco Peace Treaty"]["themes"] == DEFAULT_THEME
    occupation = rs["Occupation of Japan"]
    assert (occupation["display_date"], occupation["end_display_date"]) == ("1945 – 1952", "28 Apr 1952")
    assert rs["San Francisco Peace Treaty"]["display_date"] == "8 September 1951"  # from start_date
    perry = rs["Perry arrives at Uraga"]
    assert perry["description"] == by_title(read(CSV_FILE)[0])["Perry arrives at Uraga"]["description"]
    assert (perry["media"], perry["media_credit"], perry["media_caption"], perry["media_thumbnail"]) == (
        "https://example.org/perry.jpg",
        "Library of Congress",
        "Commodore Perry",
        "https://example.org/perry-thumb.jpg",
    )


def event_json(*events, **top) -> str:
    return json.dumps({"events": list(events), **top}, indent=1)


def test_json_values_as_numbers_or_strings():
    text = event_json(
        {"start_date": {"year": "-490", "month": " 9 ", "day": 12.0}, "text": {"headline": 7}},
        {"start_date": {"year": 1951, "month": None, "day": ""}, "group": "", "unique_id": 12},
        {"start_date": {"year": 476}, "end_date": {}, "text": None, "media": None},
    )
    table, _, problems, title, *_ = read_text(text, "json")
    assert problems == [] and title is None
    assert [(r["date"], r["title"], r["id"], r["end_date"]) for r in rows(table)] == [
        ("-490-09-12", "7", "tjs-1", ""),
        ("1951", "", "12", ""),
        ("0476", "", "tjs-3", ""),
    ]


@pytest.mark.parametrize(
    "event, column, value",
    [
        ({"text": {"headline": "no date"}}, "start_date", None),
        ({"start_date": "1951"}, "start_date", "1951"),
        ({"start_date": {"month": 3}}, "start_date.year", None),
        ({"start_date": {"year": "19x5"}}, "start_date.year", "19x5"),
        ({"start_date": {"year": 1951.5}}, "start_date.year", "1951.5"),
        ({"start_date": {"year": True}}, "start_date.year", "true"),
        ({"start_date": {"year": [1951]}}, "start_date.year", "[1951]"),
        ({"start_date": {"year": 1951, "month": 0}}, "start_date.month", "0"),
        ({"start_date": {"year": 1951, "month": 2, "day": 30}}, "start_date.day", "30"),
        ({"start_date": {"year": 1951}, "end_date": {"year": "later"}}, "end_date.year", "later"),
        ({"start_date": {"year": 1951}, "end_date": 1952}, "end_date", "1952"),
        ({"start_date": {"year": 1951}, "text": "headline"}, "text", "headline"),
        ({"start_date": {"year": 1951}, "text": {"headline": {"a": 1}}}, "text.headline", '{"a": 1}'),
        ({"start_date": {"year": 1951}, "media": {"url": ["x"]}}, "media.url", '["x"]'),
        ("not an object", "events", "not an object"),
    ],
)
def test_json_bad_events_are_problems_on_their_line(event, column, value):
    text = event_json({"start_date": {"year": 1900}, "text": {"headline": "fine"}}, event)
    table, lines, problems, _, *_ = read_text(text, "json")
    item_lines = [
        i + 1
        for i, ln in enumerate(text.splitlines())  # where each event starts (indent 2)
        if ln.startswith("  ") and ln[2] not in " }"
    ]
    line = item_lines[1]
    assert [(p.line, p.column, p.value) for p in problems] == [(line, column, value)]
    assert lines.tolist() == [3]
    problems_of(text, "json")


def test_json_era_needs_an_end():
    text = event_json(
        {"start_date": {"year": 1900}, "text": {"headline": "fine"}},
        eras=[{"start_date": {"year": 1900}, "text": {"headline": "open"}}],
    )
    [p] = read_text(text, "json")[2]
    assert p.column == "end_date" and text.splitlines()[p.line - 1].strip() == "{"


@pytest.mark.parametrize(
    "text, line, column_text",
    [
        ('{\n  "events": [\n    {"start_date": {"year": 1951}},\n  ]\n}', 4, "column 3"),  # trailing comma
        ('{\n  "events": [\n    {"start_date": {"year": 1951}}\n    {"start_date": {}}\n  ]\n}', 4, "column 5"),
        ('{\n  "events": []\n}\n}', 4, "column 1"),  # extra data
        ('{\n  "title": {"text": {"headline": "x}\n}', 2, None),  # broken string
        ("{'events': []}", 1, "column 2"),
        ('{"events": [1, 2', 1, "column 17"),
        ('{"events" []}', 1, "column 11"),
        ("[\n1,\n", 3, None),
        ("", None, None),
    ],
)
def test_malformed_json_is_a_problem_with_a_line(text, line, column_text):
    table, lines, problems, title, *_ = read_text(text, "json")
    assert table.num_rows == 0 and len(problems) == 1 and title is None
    assert problems[0].line == line
    if column_text:
        assert column_text in problems[0].expected
    with pytest.raises(ValidationError):
        validate_table(table, problems, "in", lambda: lines)


def test_json_matches_json_module_syntax_errors():
    for text in [
        '{"a": 1,}',
        '{"a" 1}',
        '{"a": tru}',
        '{"events": [1,, 2]}',
        '{"events": [}',
        '{"a": 1} x',
        '{"events": [\n\n  {"a": 1}\n  {"b": 2}]}',
        "{1: 2}",
    ]:
        with pytest.raises(json.JSONDecodeError) as info:
            json.loads(text)
        [p] = read_text(text, "json")[2]
        assert p.line == info.value.lineno and f"column {info.value.colno}" in p.expected, text


@pytest.mark.parametrize(
    "text, column",
    [
        ("[]", None),
        ('"just a string"', None),
        ("null", None),
        ('{"events": {"start_date": {"year": 1}}}', "events"),
        ('{"events": null}', "events"),
        ('{"title": "x", "events": []}', "title"),
        ('{"events": [], "eras": 3}', "eras"),
        ('{"eras": []}', "events"),
        ('{"events": []}', "events"),
    ],
)
def test_json_wrong_shapes_are_problems(text, column):
    table, lines, problems, _, *_ = read_text(text, "json")
    assert problems and problems[0].column == column and table.num_rows == 0
    with pytest.raises(ValidationError):
        validate_table(table, problems, "in", lambda: lines)


def test_json_repeated_key_last_wins_like_json_loads():
    text = '{"events": [{"start_date": {"year": 1}}],\n"events": [\n{"start_date": {"year": 1951}}]}'
    table, lines, problems, _, *_ = read_text(text, "json")
    assert problems == [] and table["date"].to_pylist() == ["1951"] and lines.tolist() == [3]


def test_huge_numbers_are_problems_not_crashes():
    # Python refuses to convert integers of thousands of digits (ValueError): that must not escape
    huge = "1" * 5000
    [p] = read_text(f"Year,Headline\n{huge},x\n-{huge}.0,y\n")[2][:1]
    assert (p.line, p.column) == (2, "Year") and "9999" in p.expected
    assert read_text(f"Year,Headline\n{'0' * 30}1954,x\n")[0]["date"].to_pylist() == ["1954"]
    [p] = read_text('{"events": [{"start_date": {"year": %s}}]}' % huge, "json")[2]
    assert p.expected.startswith("JSON")
    [p] = read_text('{"events": [{"start_date": {"year": 1e308}}]}', "json")[2]
    assert (p.line, p.column) == (1, "start_date.year")


def test_deeply_nested_json_is_a_problem_not_a_crash():
    text = '{"events": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    table, lines, problems, _, *_ = read_text(text, "json")
    assert problems and table.num_rows == 0


# -- bytes that are not text ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "json"])
@pytest.mark.parametrize(
    "data, line",
    [
        (b"Year,Headline\n1951,caf\xe9\n", 2),  # Windows-1252
        (b'{"events": [\n{"text": {"headline": "caf\xe9"}}]}', 2),
        (b"", None),
        (b"\n \n", None),
        (b"PK\x03\x04\x14\x00\x06\x00", None),
        (b"Year,Headline\n\x00\x00", 2),
        (b"\xff\xfe\x00\xd8", None),  # UTF-16 BOM, then a lone surrogate
    ],
)
def test_undecodable_input_is_a_problem(data, line, kind):
    table, lines, problems, title, *_ = read_timelinejs(data, kind, "in")
    assert len(problems) == 1 and problems[0].line == line and table.num_rows == 0
    with pytest.raises(ValidationError):
        validate_table(table, problems, "in", lambda: lines)


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        read_timelinejs(b"", "xlsx", "in")


# -- through the project's validator ---------------------------------------------------


@pytest.mark.parametrize("path", [CSV_FILE, JSON_FILE])
def test_fixture_passes_the_validator(path):
    timeline = validate(path.read_bytes(), detect(path.read_bytes()), path.name)
    assert timeline.title == "Japan & the World: a sampler"
    ev, eras = timeline.events, timeline.eras
    assert len(ev) == 8 and len(eras) == 2
    assert sorted(eras["title"]) == ["Classical Greece", "Edo period"]
    assert set(timeline.themes) == THEMES
    by = {row["title"]: row for _, row in ev.iterrows()}
    assert timeline.theme_names(int(by["San Francisco Peace Treaty"]["theme_mask"])) == [DEFAULT_THEME]
    assert timeline.theme_names(int(by["Battle of Marathon"]["theme_mask"])) == ["war"]
    assert by["Battle of Marathon"]["start"] == dates.parse_date("-490")[0]
    assert by["Fall of the Western Roman Empire"]["start"] == dates.parse_date("476")[0]
    kanagawa = by["Convention of Kanagawa"]
    assert (kanagawa["start"], kanagawa["start_prec"]) == dates.parse_date("1854-03")[:2]
    occupation = by["Occupation of Japan"]
    assert occupation["last"] == dates.parse_date("1952-04-28")[2]
    greece = eras[eras["title"] == "Classical Greece"].iloc[0]
    assert greece["start"] == dates.parse_date("-500")[0] and greece["last"] == dates.parse_date("-323")[2]

    # every column reaches the timeline, row for row with the events: as a column the validator
    # knows, or else as an extra
    def column(name):
        return ev[name] if name in ev else timeline.extras[name]

    perry = list(ev["title"]).index("Perry arrives at Uraga")
    assert column("media").iloc[perry] == "https://example.org/perry.jpg"
    assert column("media_thumbnail").iloc[perry] == "https://example.org/perry-thumb.jpg"
    assert column("display_date").iloc[list(ev["title"]).index("Occupation of Japan")] == "1945 – 1952"


def test_validator_messages_point_into_the_json_file():
    events = [
        {"unique_id": "a", "start_date": {"year": 1951}, "text": {"headline": "first"}},
        {"unique_id": "a", "start_date": {"year": 1952}, "text": {"headline": "second"}},
        {"start_date": {"year": 1960}, "end_date": {"year": 1950}, "text": {"headline": "backwards"}},
    ]
    text = event_json(*events)
    starts = [i + 1 for i, ln in enumerate(text.splitlines()) if ln == "  {"]
    with pytest.raises(ValidationError) as info:
        validate(text.encode(), "json")
    got = [(p.line, p.column) for p in info.value.problems]
    assert got == [(starts[1], "id"), (starts[2], "end_date")]
    assert f"line {starts[0]}" in info.value.problems[0].expected


# -- robustness: nothing but ValidationError, whatever the bytes --------------------------


def _check_never_crashes(data: bytes, kind: str) -> None:
    table, lines, problems, title, *_ = read_timelinejs(data, kind, "fuzz")
    assert table.column_names == list(COLUMNS) and len(lines) == table.num_rows
    assert all(isinstance(p, Problem) for p in problems)
    assert title is None or isinstance(title, str)
    try:
        validate_table(table, problems, "fuzz", lambda: lines)
    except ValidationError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([CSV_FILE.read_bytes(), JSON_FILE.read_bytes()]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=40),
    st.binary(max_size=8),
    st.sampled_from(["csv", "json"]),
)
def test_mangled_files_never_crash(base, at, cut, insert, kind):
    at %= len(base)
    data = base[:at] + insert + base[at + cut :]
    assert detect(data) in ("csv", "json", None)
    _check_never_crashes(data, kind)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "year",
                        "month",
                        "day",
                        "start_date",
                        "end_date",
                        "text",
                        "headline",
                        "media",
                        "url",
                        "group",
                        "unique_id",
                        "display_date",
                        "events",
                        "eras",
                        "title",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_any_json_value_never_crashes(value):
    for doc in (value, {"events": value}, {"events": [value]}, {"eras": [value], "events": [value]}):
        _check_never_crashes(json.dumps(doc).encode(), "json")
