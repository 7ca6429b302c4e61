import numpy as np
import pytest

from dashboard.core.model import THEME_VOCABULARY, ValidationError
from dashboard.io.formats import ReadOptions, load_timeline
from tests.conftest import SMALL_CSV

HEADER = "id,date,end_date,title,themes,source\n"


def problems(path):
    with pytest.raises(ValidationError) as info:
        load_timeline(path)
    return info.value.problems


def test_loads_events_eras_and_extras(small_csv):
    tl = load_timeline(small_csv)
    ev = tl.events
    assert len(ev) == 7 and len(tl.eras) == 1
    assert tl.eras.iloc[0]["title"] == "Cold War"
    assert tl.themes == ["diplomacy", "security", "trade", "war"]  # vocabulary order
    perry = ev[ev["id"] == "perry"].iloc[0]
    assert perry["description"] == 'Black ships, "kurofune", arrive\nat Uraga'
    assert tl.theme_names(int(perry["theme_mask"])) == ["diplomacy", "security"]
    assert perry["importance"] == 5
    assert ev[ev["id"] == "trade-talks"].iloc[0]["title"] == "日米貿易協議"
    assert list(tl.extras.columns) == ["notes"]
    assert tl.extras["notes"][perry.name] == "first"  # extra columns stay aligned with their events
    # a point event covers its whole period; a range ends at the last ms of its end date
    t51 = ev[ev["id"] == "treaty51"].iloc[0]
    assert np.isnan(t51["end"]) and t51["last"] - t51["start"] == 365 * 86_400_000 - 1


@pytest.mark.parametrize(
    "transform",
    [
        lambda b: b"\xef\xbb\xbf" + b,  # UTF-8 with BOM (Excel's "CSV UTF-8")
        lambda b: b.replace(b"\n", b"\r\n"),  # Windows line ends
        lambda b: b.decode().encode("utf-16"),  # UTF-16 with BOM
    ],
)
def test_accepts_common_encodings_and_line_ends(write_csv, transform):
    tl = load_timeline(write_csv(transform(SMALL_CSV.encode("utf-8"))))
    assert len(tl.events) == 7
    perry = tl.events[tl.events["id"] == "perry"].iloc[0]
    assert perry["description"].replace("\r\n", "\n") == 'Black ships, "kurofune", arrive\nat Uraga'


def test_header_names_are_forgiving(write_csv):
    tl = load_timeline(write_csv("Date, Title ,THEMES,End Date\n1951,X,Security,1952\n"))
    assert tl.themes == ["security"] and not np.isnan(tl.events["end"][0])


def test_missing_required_column_is_named(write_csv):
    [p] = problems(write_csv("date,themes\n1951,x\n"))
    assert (p.line, p.column) == (1, "title") and "found: date, themes" in p.expected
    assert "--columns title=NAME" in p.expected


def test_every_bad_row_is_listed_with_its_line(write_csv):
    path = write_csv(
        HEADER + "a,2015-02-30,,Bad day,security,\n"  # line 2
        'b,1990,,"multi\nline title",trade,\n'  # lines 3-4
        "c,1990,1980,Backwards,trade,\n"  # line 5
        "d,1991,, ,war,\n"  # line 6
        "a,51,,Two-digit,war,javascript:alert(1)\n"  # line 7
        "e,1992,,No themes,,\n"
    )  # line 8
    found = {(p.line, p.column): p for p in problems(path)}
    assert set(found) == {
        (2, "date"),
        (5, "end_date"),
        (6, "title"),
        (7, "date"),
        (7, "id"),
        (7, "source"),
        (8, "themes"),
    }
    assert found[(2, "date")].value == "2015-02-30" and "Feb 2015 has 28 days" in found[(2, "date")].expected
    assert "on or after the start date 1990" in found[(5, "end_date")].expected
    assert "already used on line 2" in found[(7, "id")].expected
    assert "two-digit" in found[(7, "date")].expected
    assert "http" in found[(7, "source")].expected


def test_report_names_file_line_column_value_and_expectation(write_csv):
    path = write_csv(HEADER + "a,2015-02-30,,T,security,\n", name="mine.csv")
    with pytest.raises(ValidationError) as info:
        load_timeline(path)
    report = info.value.report()
    assert report.splitlines()[0] == "mine.csv: 1 problem found"
    assert "line 2, column 'date': '2015-02-30': expected a real calendar date" in report


def test_ragged_rows_are_reported_with_lines_and_other_rows_still_checked(write_csv):
    path = write_csv(HEADER + 'a,1990,,"x\ny",war,\n' + "b,1990,,too,many,fields,here\n" + "c,1990-13,,T,war,\n")
    found = {(p.line, p.column) for p in problems(path)}
    assert found == {(4, None), (5, "date")}


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_file_separated_by_semicolons_or_tabs_opens_as_one_separated_by_commas(write_csv, sep):
    """Spreadsheets saved as CSV where the comma is the decimal mark separate by semicolons; a copy
    from a sheet by tabs. The header says which: it is one field by commas and several by the other."""
    rows = [
        ["\ufeffDate", "Title", "Themes", "Notes"],
        ["1853-07-08", "Perry arrives", "diplomacy", "Black ships, kurofune"],
        ["1854-03-31", "Kanagawa", "diplomacy;trade" if sep != ";" else "trade", f'"Treaty{sep} signed"'],
    ]
    timeline = load_timeline(write_csv("\r\n".join(sep.join(r) for r in rows) + "\r\n"))
    assert list(timeline.events["title"]) == ["Perry arrives", "Kanagawa"]
    assert timeline.events["description"].iat[1] == f"Treaty{sep} signed"  # "Notes" is a description
    assert timeline.events["description"].iat[0] == "Black ships, kurofune"
    bad = write_csv(
        sep.join(["date", "title"]) + "\n" + sep.join(["1853", "Perry"]) + "\n" + sep.join(["18x3", "Bad"]) + "\n"
    )
    [problem] = problems(bad)
    assert (problem.line, problem.column, problem.value) == (3, "date", "18x3")
    ragged = write_csv(sep.join(["date", "title"]) + "\n" + sep.join(["1853", "Perry", "extra"]) + "\n")
    [problem] = problems(ragged)
    assert problem.line == 2 and "2 fields as in the header, found 3" in problem.expected
    assert problem.value == sep.join(["1853", "Perry", "extra"])


def test_the_separator_is_the_one_that_splits_the_header_most(write_csv):
    semi = write_csv("\n\nDatum;Titel;Ort, Land\n1853-07-08;Perry;Uraga, Japan\n")  # blank lines first
    with pytest.raises(ValidationError) as err:  # read by semicolons: its German names are not ours
        load_timeline(semi)
    assert "found: Datum, Titel, Ort, Land" in str(err.value)
    assert list(load_timeline(write_csv("date,title\n1853,Perry; the black ships\n")).events["title"]) == [
        "Perry; the black ships"
    ]


@pytest.mark.parametrize("header", ["date,title,themes", "date,title"])
def test_a_quote_never_closed_is_named_where_it_opens(write_csv, header):
    """Read by the rules, a quote never closed makes the rest of the file one value: with two columns
    that row would even fit the header, and the rows after it would be lost without a word."""
    rows = (
        '1850,A,war\n1860,"unterminated,trade\n1870,C,war\n1880,D,war\n'
        if "themes" in header
        else ('1850,A\n1860,"unterminated\n1870,C\n')
    )
    [problem] = problems(write_csv(header + "\n" + rows))
    assert problem.line == 3 and "a closing double quote" in problem.expected
    assert problem.value.startswith("1860,") and "1870" not in problem.value  # the line it opens on


def test_a_lone_quote_inside_a_value_is_no_quote_left_open(write_csv):
    timeline = load_timeline(write_csv('date,title,themes\n1850,12" gun salute,war\n1860,"Quoted, closed",war\n'))
    assert list(timeline.events["title"]) == ['12" gun salute', "Quoted, closed"]


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        # more semicolons than commas in a header, but the rows say commas
        ("date,title,notes (one of: a;b;c;d)\n1850,Perry,a\n1860,Harris,b\n", ["Perry", "Harris"]),
        # commas inside quoted names, semicolons between them
        ('"date";"title";"notes, sources, more"\n1850;Perry;x\n', ["Perry"]),
        # a lone quote in a value is no reason to refuse a separator
        ('date;title;notes\n1850;12" gun salute;x\n', ['12" gun salute']),
    ],
)
def test_the_separator_is_the_one_the_first_rows_agree_on(write_csv, text, titles):
    assert list(load_timeline(write_csv(text)).events["title"]) == titles


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_row_of_only_separators_is_a_blank_line(write_csv, sep):
    """A spreadsheet saved as CSV after rows were cleared writes them as separators alone (,,,,):
    no value is in them, so they are passed over as blank lines are (and empty sheet rows), and
    the lines of the rows after them stay as in the file."""
    empty = sep * 5
    rows = ["id,date,end_date,title,themes,source".replace(",", sep), f"a{sep}1850{sep}{sep}A{sep}war{sep}"]
    rows += [empty, f"b{sep}1860{sep}{sep}B{sep}war{sep}", empty, empty, ""]
    timeline = load_timeline(write_csv("\n".join(rows) + "\n"))
    assert list(timeline.events["id"]) == ["a", "b"]
    bad = rows[:4] + [f"c{sep}18x0{sep}{sep}C{sep}war{sep}", empty, f'd{sep}1870{sep}{sep}"two\nlines"{sep}war{sep}']
    bad += [empty, f"e{sep}{sep}{sep}E{sep}war{sep}", empty, f" {sep}\t{sep}{sep}{sep}  {sep}"]
    found = [(p.line, p.column, p.value) for p in problems(write_csv("\n".join(bad) + "\n"))]
    assert found == [(5, "date", "18x0"), (10, "date", "")]


def test_a_row_of_only_separators_keeps_a_large_file_on_the_quick_reader(write_csv):
    """Such a row used to send the whole file to Python's csv module (four times as slow)."""
    from dashboard.io import csv_reader

    rows = "".join(f"r{i},{1800 + i % 200},,Title {i},war,\n" for i in range(2000))
    data = (HEADER + rows + ",,,,,\n" + rows.replace("r", "s")).encode()
    table, _, lines, found = csv_reader.read_table(data, 0, "big.csv")
    assert lines is None and found == [] and table.num_rows == 4000  # None: the quick reader read it
    assert list(csv_reader.line_numbers(data, 0)[1999:2001]) == [2001, 2003]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"PK\x03\x04rest-of-zip", "a zip archive, but not an .xlsx or .ods workbook"),
        (HEADER.encode() + "a,1990,,Caf\xe9,war,\n".encode("latin-1"), "byte 0xE9 is not UTF-8"),
        (HEADER.encode(), "at least one event row"),
    ],
)
def test_unreadable_files_get_one_clear_problem(write_csv, content, expected):
    [p] = problems(write_csv(content))
    assert expected in p.expected


def test_non_utf8_byte_is_located(write_csv):
    [p] = problems(write_csv(HEADER.encode() + b"a,1990,,ok,war,\nb,1991,,Caf\xe9,war,\n"))
    assert p.line == 3


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_ragged_row_that_is_not_utf8_is_refused_with_its_line_not_skipped(write_csv):
    """pyarrow cannot show such a row to the reader's handler of ragged rows (it decodes it first), and
    printed its own error instead, a traceback on the user's terminal: such a file goes to the
    careful path at once, which names the row rather than losing it."""
    data = HEADER.encode() + b"a,1990,,ok,war,\nb,1991,,Caf\xe9\xff,war,,too,many\nc,1992,,ok,war,\n"
    [p] = problems(write_csv(data))
    assert p.line == 3 and "not UTF-8" in p.expected


def test_duplicate_column_names(write_csv):
    [p] = problems(write_csv("date,title,themes,Title\n1990,a,war,b\n"))
    assert p.line == 1 and "unique column names" in p.expected


def test_missing_file_is_a_problem_not_a_traceback(tmp_path):
    [p] = problems(tmp_path / "nope.csv")
    assert "readable file" in p.expected


def test_importance_and_kind_are_checked(write_csv):
    found = {
        (p.line, p.column)
        for p in problems(
            write_csv(
                "date,end_date,title,themes,importance,kind\n1990,,a,war,9,\n1990,,b,war,,period\n1990,,c,,,era\n"
            )
        )
    }
    assert found == {(2, "importance"), (3, "kind"), (4, "end_date")}


def test_shipped_vocabulary_is_small_and_documented():
    assert {"security", "trade", "diplomacy"} <= set(THEME_VOCABULARY)
    assert len(THEME_VOCABULARY) <= 10


def test_a_file_of_eras_only_says_it_needs_an_event(write_csv):
    path = write_csv("date,end_date,title,themes,kind\n1951,1952,Occupation,,era\n")
    with pytest.raises(ValidationError, match="at least one event row"):
        load_timeline(path)


def test_a_file_with_its_own_column_names(write_csv):
    path = write_csv("Start,Event,Category,Notes,Link,Where\n1066,Hastings,war,A battle,https://x.org,Sussex\n")
    tl = load_timeline(path)
    ev = tl.events.iloc[0]
    assert (ev["title"], ev["description"], ev["source"]) == ("Hastings", "A battle", "https://x.org")
    assert tl.themes == ["war"] and tl.extras["where"].tolist() == ["Sussex"]


def test_a_file_without_themes_is_one_lane_named_after_it(write_csv):
    tl = load_timeline(write_csv("Year,Name\n1066,Hastings\n1215,Magna Carta\n", name="monarchs.csv"))
    assert tl.themes == ["monarchs"]
    assert [tl.theme_names(int(m)) for m in tl.events["theme_mask"]] == [["monarchs"], ["monarchs"]]


def test_problems_name_the_files_own_header(write_csv):
    path = write_csv("Start,Event,Until,Link\n12x5,Hastings,1060,ftp://x\n1300,,,\n", name="m.csv")
    found = {(p.line, p.column) for p in problems(path)}
    assert found == {(2, "Start"), (2, "Link"), (3, "Event")}


def test_mapping_by_hand(write_csv):
    path = write_csv("When,What,Kind\n1066,Hastings,war\n1215,Magna Carta,politics\n")
    tl = load_timeline(path, options=ReadOptions.of("date=When,title=What,themes=Kind"))
    assert tl.themes == ["war", "politics"] and tl.events["title"].tolist() == ["Hastings", "Magna Carta"]
    with pytest.raises(ValidationError) as info:
        load_timeline(path, options=ReadOptions.of("date=Begin,title=What"))
    [p] = info.value.problems
    assert "found: When, What, Kind" in p.expected and p.value == "Begin"


def test_problems_on_a_line_keep_our_column_order_under_the_files_names(write_csv):
    path = write_csv("Link,Event,Start,Kind\nftp://x,,12x5,sometimes\n")
    assert [p.column for p in problems(path)] == ["Start", "Event", "Link", "Kind"]


@pytest.mark.parametrize(
    "data, offset, utf8",
    [
        (b"", 0, True),
        (b"date,title\n1854,Perry\n", 0, True),
        (b"\xef\xbb\xbfdate,title\n", 3, True),
        ("日米和親条約\n".encode() * 3, 0, True),
        ("日米和親条約\n".encode() * 3, 1, False),  # the middle of a character
        (("x" * 5 + "é").encode("utf-8"), 0, True),
        (b"Caf\xe9\n", 0, False),
        ("日米".encode()[:-1], 0, False),  # cut short at the end
    ],
)
def test_is_utf8(data, offset, utf8):
    from dashboard.io.decode import is_utf8

    assert is_utf8(data, offset) is utf8


def test_themes_keep_their_capitals_and_any_case_is_one_theme(write_csv, tmp_path):
    """'WWII', 'USA', 'iPhone era' were lower-cased (and drawn 'Wwii', 'Usa', 'Iphone era')."""
    from dashboard.core.query import View
    from dashboard.render.exports import events_frame
    from dashboard.render.figure import theme_label

    text = "date,title,themes\n1941,Pearl Harbor,WWII;USA\n1945,Surrender,wwii\n2007,Phone,iPhone era;NATO;Diplomacy\n"
    timeline = load_timeline(write_csv(text))
    assert timeline.themes == ["diplomacy", "iPhone era", "NATO", "USA", "WWII"]
    assert [theme_label(t) for t in timeline.themes] == ["Diplomacy", "iPhone era", "NATO", "USA", "WWII"]
    assert timeline.theme_names(int(timeline.events["theme_mask"].iat[1])) == ["WWII"]
    assert View.from_query("?themes=usa,wwii", timeline.themes).themes == ("USA", "WWII")
    again = events_frame(timeline, np.arange(3))
    assert list(again["themes"]) == ["USA;WWII", "WWII", "diplomacy;iPhone era;NATO"]
    path = tmp_path / "again.csv"
    again.to_csv(path, index=False)
    assert load_timeline(path).themes == timeline.themes


def test_numbered_themes_are_lanes_in_their_numbers_order(write_csv):
    """'Phase 10' came before 'Phase 2', '19th century' before '9th century': numbers in a theme's name
    are ordered as numbers (the rest of the name in any case, as before)."""
    rows = ["Phase 10", "phase 2", "Phase 1", "19th century", "9th century", "20th century", "Act II", "Act I"]
    text = "date,title,themes\n" + "".join(f"{1900 + i},Event {i},{theme}\n" for i, theme in enumerate(rows))
    timeline = load_timeline(write_csv(text))
    assert timeline.themes == [
        "9th century",
        "19th century",
        "20th century",
        "Act I",
        "Act II",
        "Phase 1",
        "phase 2",
        "Phase 10",
    ]
