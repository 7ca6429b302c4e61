import json

import numpy as np
import pytest

from dashboard.core.query import (
    View,
    applied_dates,
    filter_events,
    match_without_themes,
    search_terms,
    theme_counts,
)
from dashboard.io.formats import load_timeline


@pytest.fixture
def tl(small_csv):
    return load_timeline(small_csv)


def ids(tl, rows):
    return set(tl.events["id"].iloc[rows])


def test_all_by_default(tl):
    assert len(filter_events(tl, View())) == 7


def test_themes_select_any_ticked_theme(tl):
    assert ids(tl, filter_events(tl, View(themes=("trade",)))) == {"kanagawa", "trade-talks"}
    assert ids(tl, filter_events(tl, View(themes=("war", "trade")))) == {"kanagawa", "trade-talks", "marathon"}
    assert len(filter_events(tl, View(themes=()))) == 0


def test_date_range_overlaps_periods_and_includes_the_end_year(tl):
    # the occupation (1945-1952) overlaps 1950; the treaty dated "1951" is inside "to 1951"
    assert ids(tl, filter_events(tl, View(start="1950", end="1951"))) == {"occupation", "treaty51"}
    assert ids(tl, filter_events(tl, View(end="-400"))) == {"marathon"}
    assert ids(tl, filter_events(tl, View(start="2015-04-29"))) == {"abe", "trade-talks"}


def test_bad_dates_in_the_filter_raise_a_clear_error(tl):
    with pytest.raises(ValueError, match="From: '19x5' is not a valid date"):
        filter_events(tl, View(start="19x5"))
    with pytest.raises(ValueError, match="is after To"):
        filter_events(tl, View(start="2000", end="1990"))
    # a date typed in a box is not told of a file's date order
    with pytest.raises(ValueError) as said:
        filter_events(tl, View(end="03/04/1950"))
    assert str(said.value) == (
        "To: '03/04/1950' is not a valid date: expected a date order for 03/04/1950 (1950-03-04 or 1950-04-03): "
        "write it as YYYY-MM-DD"
    )
    assert "--date-order" not in str(said.value) and "upload" not in str(said.value)
    assert filter_events(tl, View(end="31/03/1950")).tolist() == filter_events(tl, View(end="1950-03-31")).tolist()


def test_dates_that_cannot_be_applied_are_left_out_and_said(tl):
    for start, end, said in (
        ("19x5", "1990", "From: '19x5'"),
        ("1900", "19x5", "To: '19x5'"),
        ("2000", "1990", "after To"),
    ):
        view, problem = applied_dates(View(start=start, end=end, text="treaty", themes=("trade",)))
        assert said in problem
        assert view == View(text="treaty", themes=("trade",))  # the other filters kept
    fine = View(start="1950", end="1951")
    assert applied_dates(fine) == (fine, "")
    assert ids(tl, filter_events(tl, applied_dates(View(start="2000", end="1990"))[0])) == set(tl.events["id"])


def test_text_search_is_case_insensitive_over_title_description_actors(tl):
    assert ids(tl, filter_events(tl, View(text="KUROFUNE"))) == {"perry"}  # description
    assert ids(tl, filter_events(tl, View(text="shinzo"))) == {"abe"}  # actors
    assert ids(tl, filter_events(tl, View(text="貿易"))) == {"trade-talks"}  # Japanese title
    assert ids(tl, filter_events(tl, View(text="treaty ports"))) == {"kanagawa"}  # every word must match
    assert len(filter_events(tl, View(text="zzzz"))) == 0


def test_filters_combine(tl):
    assert ids(tl, filter_events(tl, View(themes=("diplomacy",), start="1900", text="congress"))) == {"abe"}


def test_theme_counts_follow_the_other_filters(tl):
    counts = theme_counts(tl, match_without_themes(tl, View(themes=("war",), start="1900")))
    assert counts == {"diplomacy": 1, "security": 2, "trade": 1, "war": 0}


@pytest.mark.parametrize(
    "view",
    [
        View(),
        View(themes=("security", "trade"), start="1945", end="2000", text="abe x"),
        View(themes=(), x_range=(-1.5e13, 1.2e12)),
        View(text="日米 & more", start="-490"),
    ],
)
def test_view_round_trips_through_the_url(tl, view):
    assert View.from_query(view.to_query(tl.themes), tl.themes) == view


def test_url_with_unknown_theme_or_junk_zoom_is_tolerated(tl):
    v = View.from_query("?themes=security,bogus&x0=abc&x1=2", tl.themes)
    assert v.themes == ("security",) and v.x_range is None


def test_search_reads_every_language_and_any_apostrophe(write_csv):
    """In the Japanese page, 黒船 found nothing: the title_ja column was not searched. 'Perry’s' (the
    apostrophe a phone's keyboard types) found nothing where the file wrote Perry's, nor the other way."""
    tl = load_timeline(
        write_csv(
            "date,title,themes,title_ja,description_ja\n"
            "1853,Perry's Black Ships,diplomacy,ペリーの黒船,浦賀に来航\n"
            "1854,Perry’s treaty,diplomacy,日米和親条約,\n"
            "1860,Embassy,diplomacy,,\n"
        )
    )
    for text, titles in (
        ("黒船", ["Perry's Black Ships"]),
        ("浦賀", ["Perry's Black Ships"]),
        ("title:条約", ["Perry’s treaty"]),
        ("title:浦賀", []),  # a description is not a title
        ("perry's", ["Perry's Black Ships", "Perry’s treaty"]),
        ("Perry’s", ["Perry's Black Ships", "Perry’s treaty"]),
        ("title:perry‘s", ["Perry's Black Ships", "Perry’s treaty"]),
    ):
        found = tl.events["title"].iloc[filter_events(tl, View(text=text))].tolist()
        assert found == titles, text


def test_search_ignores_the_markup_of_imported_html():
    from dashboard.io.formats import load_timeline

    doc = {
        "title": {"text": {"headline": "T"}},
        "events": [
            {
                "start_date": {"year": 1854},
                "text": {
                    "headline": "Kanagawa",
                    "text": '<p>Signed at <a href="https://example.org/yokohama">Yokohama</a></p>',
                },
            },
            {"start_date": {"year": 1858}, "text": {"headline": "Harris", "text": "<b>Commerce</b> treaty"}},
        ],
    }
    tl = load_timeline(json.dumps(doc).encode(), "t.json")
    assert tl.rich_text
    assert filter_events(tl, View(text="title:kanagawa")).tolist() == [0]
    assert filter_events(tl, View(text="title:treaty")).tolist() == []
    for word, found in [
        ("href", []),
        ("example", []),
        ("<p>", []),
        ("strong", []),
        ("yokohama", ["Kanagawa"]),
        ("commerce treaty", ["Harris"]),
        ("signed at yokohama", ["Kanagawa"]),
    ]:
        rows = filter_events(tl, View(text=word))
        assert sorted(tl.events["title"].iloc[rows]) == found, word


def test_repeated_and_contained_words_are_searched_once():
    assert search_terms("e E e treaty treat  TREATY abc") == ("treaty", "abc")
    assert search_terms("  ") == ()
    assert search_terms("title:" + "y" * 100) == ("title:" + "y" * 100,)


@pytest.mark.parametrize(
    "text, message",
    [
        ("x" * 10_001, "at most 10,000 characters"),
        ("y" * 101, "words of at most 100 characters"),
        (" ".join(f"w{i:02d}" for i in range(13)), "at most 12 different words"),
    ],
)
def test_search_limits_are_clear(text, message):
    with pytest.raises(ValueError, match=message):
        search_terms(text)


def test_a_title_word_is_kept_apart_from_a_word_of_any_column():
    assert search_terms("title:Summit summit") == ("title:summit",)  # a title holding it holds it
    assert search_terms("summit title:sum") == ("summit", "title:sum")  # 'summit' may be elsewhere
    assert search_terms("title:summit title:sum sum") == ("title:summit",)
    assert search_terms("title: TITLE:x") == ("title:x",)


def test_title_words_match_titles_only():
    csv = (
        "date,title,themes,description\n"
        "1854,Treaty of Kanagawa,trade,Signed at Yokohama\n"
        "1859,Yokohama opened,trade,A treaty port\n"
        "1856,Harris arrives,trade,He seeks a treaty\n"
    )
    tl = load_timeline(csv.encode(), "t.csv")
    assert filter_events(tl, View(text="treaty")).tolist() == [0, 1, 2]
    assert filter_events(tl, View(text="title:treaty")).tolist() == [0]
    assert filter_events(tl, View(text="title:YOKOHAMA treaty")).tolist() == [1]
    assert filter_events(tl, View(text="title:yokohama title:treaty")).tolist() == []
    assert filter_events(tl, View(text="yokohama title:kanagawa")).tolist() == [0]


@pytest.mark.parametrize("text", ["title:" + "y" * 101, "title:" + "y" * 101 + " z"])
def test_a_title_words_length_is_its_own(text):
    with pytest.raises(ValueError, match=r"words of at most 100 characters \(one has 101\)"):
        search_terms(text)


def test_a_query_of_two_thousand_words_costs_what_one_does(small_csv):
    tl = load_timeline(small_csv)
    assert list(filter_events(tl, View(text=" ".join(["e"] * 2000)))) == list(filter_events(tl, View(text="e")))
    assert list(filter_events(tl, View(text=" ".join(["zzz"] + ["e"] * 2000)))) == []


def test_the_scale_round_trips_through_the_url_and_bad_ones_are_dropped():
    from dashboard.core.query import SCALES

    for scale in SCALES:
        view = View(start="1600", scale=scale)
        assert View.from_query(view.to_query(), []) == view
    assert View(scale="time").to_query() == ""  # the default is not written
    assert View(scale="log").to_query() == "?scale=log"
    assert View.from_query("?scale=cubic", []).scale == "time"
    assert View.from_query("?scale=LOG", []).scale == "log"


def test_a_deep_time_zoom_survives_a_link_and_stays_bounded():
    from dashboard.core import dates

    deep = (-66e6 * dates.MS_PER_YEAR, -65e6 * dates.MS_PER_YEAR)
    assert View.from_query(View(x_range=deep).to_query(), []).x_range == pytest.approx(deep)
    assert View.from_query("?x0=-1e300&x1=1e300", []).x_range == (dates.ZOOM_MIN_MS, dates.ZOOM_MAX_MS)
    assert View.from_query("?x0=nan&x1=1", []).x_range is None


def test_the_table_sorts_text_in_any_case_ties_in_row_order(write_csv):
    """Sorted by code point, 'US–Japan Trade' came before 'US–Japan tariff'."""
    from dashboard.core import sql
    from dashboard.core.query import sorted_rows
    from dashboard.io.engines import DuckDB

    titles = ["US–Japan Trade Agreement", "US–Japan tariff deal", "abe", "Abe", "Zen", "apple"]
    text = "date,title,themes\n" + "".join(f"{1900 + i},{t},war\n" for i, t in enumerate(titles))
    tl = load_timeline(write_csv(text))
    rows = np.arange(len(titles))
    up = [titles[i] for i in sorted_rows(tl, View(), rows, "title", False)]
    assert up == ["abe", "Abe", "apple", "US–Japan tariff deal", "US–Japan Trade Agreement", "Zen"]
    assert [titles[i] for i in sorted_rows(tl, View(), rows, "title", True)] == up[::-1]
    engine = DuckDB.of_timeline(tl)
    where = sql.where_of(tl, View())
    for descending in (False, True):
        page = sql.page(engine.run, where, "title", descending, 0, 10, ["title"])
        assert page["title"].tolist() == (up[::-1] if descending else up)


@pytest.mark.parametrize(
    "texts",
    [
        ["Perry’s ships", "plain", "ʼOkinawa", "‘quoted’ twice’"],
        ["黒船来航", "ペリー’s", None, ""],
        ["nothing to change", "ASCII only, it's plain"],
        ["東京", "京都"],  # not ASCII, no apostrophe: the bytes E2 80 of neither
        ["–", "…", "‚", "‛"],  # E2 80 93, E2 80 A6, E2 80 9A, E2 80 9B: near misses
    ],
)
def test_apostrophes_are_made_plain_as_the_regular_expression_did(texts):
    """The searchable text's apostrophes were replaced by a regular expression over every row: most of
    the time its search index took to build (2 s of 2.5 at 500,000 events), though most files hold none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from dashboard.core.query import APOSTROPHES, plain_apostrophes

    for text in (pa.array(texts, pa.large_string()), pa.array(["’x", *texts], pa.large_string()).slice(1)):
        expected = pc.replace_substring_regex(text, f"[{APOSTROPHES}]", "'")
        assert plain_apostrophes(text).to_pylist() == expected.to_pylist()
