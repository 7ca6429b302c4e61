"""Media and story columns from every kind of file: their problems with the file's own lines, the
TimelineJS title slide as the cover, and both kept through the cache, the CSV export and topics."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.core.media import EXPECTED, MEDIA_COLUMNS
from dashboard.core.model import STORY_COLUMN, ValidationError
from dashboard.core.query import View
from dashboard.core.story import has_story_order, story_rows
from dashboard.core.topics import combine
from dashboard.core.validation import STORY_EXPECTED
from dashboard.io import cache
from dashboard.io.formats import load_timeline, parse_events
from dashboard.render.exports import events_csv
from tests.core.test_media import HOSTILE

FIXTURES = Path(__file__).parent.parent / "fixtures" / "timelinejs"
STORY = FIXTURES / "story.json"
PICTURE = "https://upload.wikimedia.org/wikipedia/commons/8/86/First_flight2.jpg"


def problems(data: bytes | Path, name: str = "in.csv") -> list[tuple[int | None, str | None, str | None, str]]:
    with pytest.raises(ValidationError) as err:
        parse_events(data.read_bytes() if isinstance(data, Path) else data, name)
    return [(p.line, p.column, p.value, p.expected) for p in err.value.problems]


def test_csv_media_problems_have_their_line_column_and_value():
    text = (
        "date,title,themes,media,media_thumbnail,story\n"
        f"1900,fine,a,{PICTURE},,1\n"
        '1901,"two\nlines",a,javascript:alert(1),,\n'
        '1902,c,a,http://example.org/a.jpg,"data:image/png;base64,AAAA",\n'
        f"1903,d,a,{PICTURE},HTTP://EXAMPLE.ORG/S.PNG,-4\n"
        "1904,e,a,javascript:alert(1),,2147483648\n"
    )
    assert problems(text.encode()) == [
        (3, "media", "javascript:alert(1)", EXPECTED),
        (5, "media", "http://example.org/a.jpg", EXPECTED),
        (5, "media_thumbnail", "data:image/png;base64,AAAA", EXPECTED),
        (6, "media_thumbnail", "HTTP://EXAMPLE.ORG/S.PNG", EXPECTED),
        (7, "media", "javascript:alert(1)", EXPECTED),
        (7, "story", "2147483648", STORY_EXPECTED),
    ]


@pytest.mark.parametrize(
    "cell, number",
    [
        ("1", 1.0),
        (" 12 ", 12.0),
        ("+3", 3.0),
        ("-7", -7.0),
        ("0", 0.0),
        ("2147483647", 2**31 - 1),
        ("-2147483647", -(2**31) + 1),
        ("", None),
    ],
)
def test_story_numbers(cell, number):
    tl = parse_events(f'date,title,themes,story\n1900,a,x,"{cell}"\n'.encode(), "s.csv")
    got = tl.events[STORY_COLUMN].iat[0]
    assert tl.events[STORY_COLUMN].dtype == np.float64
    assert np.isnan(got) if number is None else got == number


@pytest.mark.parametrize("cell", ["1.5", "x", "1e3", "--1", "2147483648", "-2147483648", "99999999999", "1 2", "½"])
def test_a_story_cell_that_is_not_a_whole_number_in_range_is_a_problem(cell):
    text = f'date,title,themes,story\n1900,a,x,1\n1901,b,x,"{cell}"\n'.encode()
    assert problems(text) == [(3, "story", cell, STORY_EXPECTED)]


def test_media_and_story_columns_are_kept_only_for_files_that_have_them():
    plain = parse_events(b"date,title,themes\n1900,a,x\n", "p.csv")
    assert not set(MEDIA_COLUMNS) & set(plain.events) and STORY_COLUMN not in plain.events
    some = parse_events(b"date,title,themes,media_caption\n1900,a,x,Cap\n", "m.csv")
    assert some.events.loc[0, list(MEDIA_COLUMNS)].tolist() == ["", "Cap", "", ""]
    assert STORY_COLUMN not in some.events and not len(some.extras.columns)


@pytest.mark.parametrize(
    "header, ours",
    [
        ("Media", "media"),
        ("Image", "media"),
        ("Picture", "media"),
        ("Media Caption", "media_caption"),
        ("Caption", "media_caption"),
        ("Media Credit", "media_credit"),
        ("Credit", "media_credit"),
        ("Media Thumbnail", "media_thumbnail"),
        ("Thumbnail", "media_thumbnail"),
        ("Story", "story"),
        ("Story order", "story"),
    ],
)
def test_media_and_story_headers_people_write(header, ours):
    value = "2" if ours == "story" else PICTURE
    tl = parse_events(f"Date,Title,Theme,{header}\n1900,a,x,{value}\n".encode(), "h.csv")
    assert str(tl.events[ours].iat[0]) in (value, "2.0") and not len(tl.extras.columns)


def test_two_columns_that_could_both_be_the_media_is_a_header_problem():
    [(line, column, _, expected)] = problems(b"date,title,themes,Image,Picture\n1900,a,x,,\n")
    assert line == 1 and column == "Picture" and "'Image' and 'Picture' could both be it" in expected


def test_caption_and_credit_have_language_variants_and_read_formulas_back():
    text = "date,title,themes,media,media_caption,media_caption_ja,media_credit\n"
    text += f"1900,a,x,{PICTURE},'=caption,写真,'@credit\n"
    tl = parse_events(text.encode(), "l.csv")
    assert tl.text("media_caption", np.array([0]), "ja")[0] == "写真"
    assert tl.events.loc[0, ["media_caption", "media_credit"]].tolist() == ["=caption", "@credit"]
    with pytest.raises(ValidationError) as err:
        parse_events(b"date,title,themes,media_ja\n1900,a,x,y\n", "v.csv")
    assert err.value.problems[0].column == "media_ja"


def test_timelinejs_csv_media_problems_at_their_lines_under_the_files_names():
    got = problems(FIXTURES / "hostile_media.csv", "hostile_media.csv")
    assert [(line, column) for line, column, _, _ in got] == [
        (2, "Media"),
        (3, "Media"),
        (4, "Media"),
        (5, "Media"),
        (7, "Media Thumbnail"),
    ]
    assert got[0][2] == "http://example.org/cover.jpg" and got[2][2].startswith("data:text/html;base64,")
    assert {expected for *_, expected in got} == {EXPECTED}


def test_timelinejs_json_media_problems_at_the_line_of_their_event():
    got = problems(FIXTURES / "hostile_media.json", "hostile_media.json")
    assert [(line, column, value) for line, column, value, _ in got] == [
        (2, "title.media.url", "javascript:alert('cover')"),
        (7, "media.url", "javascript:alert(document.cookie)"),
        (12, "media.url", "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"),
        (17, "media.url", "http://example.org/picture.jpg"),
        (17, "media.thumbnail", "http://example.org/small.jpg"),
        (27, "media.url", "https://user:secret@example.org/a.png"),
    ]


def test_timelinejs_json_media_and_the_title_slide_as_the_cover():
    tl = load_timeline(STORY)
    assert tl.title == "Firsts in flight"
    assert tl.cover == {
        "title": "Firsts in flight",
        "description": "<p>From a paper-and-silk balloon over Paris to two men on the Moon in <em>186 years</em>: "
        "the flights that were the first of their kind.</p>",
        "media": "https://commons.wikimedia.org/wiki/File:First_flight2.jpg",
        "media_caption": "The Wright Flyer leaves the ground at Kill Devil Hills, 17 December 1903.",
        "media_credit": "John T. Daniels / Library of Congress",
    }
    ev = tl.events.set_index("title")
    assert ev.loc["The Wright Flyer's first powered flight", "media"] == PICTURE
    assert ev.loc["Apollo 11 lands on the Moon", list(MEDIA_COLUMNS)].tolist() == [
        "https://www.youtube.com/watch?v=S9HdPi9Ikhk",
        "NASA footage of the landing",
        "NASA",
        "https://upload.wikimedia.org/wikipedia/commons/9/98/Aldrin_Apollo_11_original.jpg",
    ]
    assert ev.loc["First crewed balloon flight", list(MEDIA_COLUMNS)].tolist() == ["", "", "", ""]
    assert tl.eras["media"].tolist() == ["https://en.wikipedia.org/wiki/Space_Race"]  # eras keep theirs


def test_timelinejs_csv_title_row_as_the_cover():
    header = "Year,Month,Day,Headline,Text,Media,Media Credit,Media Caption,Media Thumbnail,Type,Group\n"
    text = header + f",,,A <b>title</b>,<p>Intro</p>,{PICTURE},Me,Cap,,title,\n1900,,,Event,,,,,,,g\n"
    tl = parse_events(text.encode(), "t.csv")
    assert tl.cover == {
        "title": "A title",
        "description": "<p>Intro</p>",
        "media": PICTURE,
        "media_credit": "Me",
        "media_caption": "Cap",
    }
    bare = parse_events((header + "1900,,,Event,,,,,,,g\n").encode(), "b.csv")
    assert bare.cover == {} and parse_events(b"date,title,themes\n1900,a,x\n", "c.csv").cover == {}


def test_a_title_slide_that_is_not_understood_is_a_problem_not_ignored():
    text = (
        b'{"title": {"text": "just a string"}, "events": [{"start_date": {"year": 1900}, "text": {"headline": "a"}}]}'
    )
    [(line, column, value, expected)] = problems(text, "t.json")
    assert (line, column, value) == (1, "title.text", "just a string") and expected.startswith("a text object")


def test_cache_round_trip_keeps_cover_media_and_story(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    for source, name in ((STORY, "story.json"), (None, "numbered.csv")):
        path = tmp_path / name
        if source is None:
            path.write_text(f"date,title,themes,media,story\n1900,a,x,{PICTURE},2\n1901,b,x,,\n1902,c,x,,-1\n")
        else:
            path.write_bytes(source.read_bytes())
        first = cache.load(path)
        monkeypatch.setattr(cache, "parse_events", lambda *a: pytest.fail("read again"))
        second = cache.load(path)
        monkeypatch.undo()
        monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
        pd.testing.assert_frame_equal(second.events, first.events)
        pd.testing.assert_frame_equal(second.eras, first.eras)
        assert second.cover == first.cover and second.rich_text == first.rich_text
    assert second.events[STORY_COLUMN].tolist()[::2] == [2.0, -1.0]
    assert load_timeline(STORY).cover and cache.CACHE_VERSION >= 6


def export_and_load(tl):
    return parse_events(events_csv(tl, np.arange(len(tl.events))), "again.csv")


def test_csv_export_writes_media_and_story_back():
    text = "date,title,themes,media,media_caption,media_credit,media_thumbnail,story,media_caption_ja\n"
    text += f"1900,a,x,{PICTURE},=HYPERLINK(1),+credit,{PICTURE},-3,写真\n1901,b,x,,,,,,\n1902,c,x,,@x,,,12,\n"
    tl = parse_events(text.encode(), "m.csv")
    data = events_csv(tl, np.arange(3)).decode()
    assert ",'=HYPERLINK(1),'+credit," in data and ",-3," in data and "'-3" not in data
    again = export_and_load(tl)
    columns = [*MEDIA_COLUMNS, STORY_COLUMN, "media_caption_ja", "title"]
    pd.testing.assert_frame_equal(again.events[columns], tl.events[columns])


def test_csv_export_of_a_timelinejs_story_loads_with_the_same_media():
    tl = load_timeline(STORY)
    again = export_and_load(tl)
    pd.testing.assert_frame_equal(again.events[list(MEDIA_COLUMNS)], tl.events[list(MEDIA_COLUMNS)])
    assert again.eras["media"].tolist() == tl.eras["media"].tolist()


def test_topics_keep_the_first_files_cover_and_empty_media_for_files_without():
    story = load_timeline(STORY)
    plain = parse_events(b"date,title,themes,story\n1900,a,x,1\n1950,b,x,\n", "plain.csv")
    both = combine([("flight", story), ("plain", plain)])
    assert both.cover == story.cover
    assert combine([("plain", plain), ("flight", story)]).cover == {}
    n = len(story.events)
    assert both.events["media"].tolist()[n:] == ["", ""] and both.events["media"].dtype == story.events["media"].dtype
    assert both.events[STORY_COLUMN].tolist()[n] == 1.0 and np.isnan(both.events[STORY_COLUMN].to_numpy()[:n]).all()
    assert np.isnan(both.events[STORY_COLUMN].iat[n + 1])
    assert has_story_order(both) and story_rows(both, View()).tolist() == [n]
    again = export_and_load(both)
    assert again.events["media"].tolist() == both.events["media"].tolist()


def test_every_refused_form_is_a_problem_through_a_whole_column():
    """The column-wide check (a pattern first, then each other distinct value) refuses what
    media_problem refuses, each at its own line."""
    forms = [v for v in HOSTILE if "\x00" not in v and not v.endswith("\n")]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["date", "title", "themes", "media"])
    writer.writerow(["1900", "fine", "x", PICTURE])
    for i, value in enumerate(forms):
        writer.writerow([str(1901 + i), f"t{i}", "x", value])
    got = problems(buf.getvalue().encode())
    assert [(line, column, value) for line, column, value, _ in got] == [
        (3 + i, "media", value.strip() if value.strip() != value else value) for i, value in enumerate(forms)
    ]
