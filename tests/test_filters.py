import pytest

from dashboard.data import load_timeline
from dashboard.filters import View, filter_events, match_without_themes, theme_counts


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


def test_text_search_is_case_insensitive_over_title_description_actors(tl):
    assert ids(tl, filter_events(tl, View(text="KUROFUNE"))) == {"perry"}     # description
    assert ids(tl, filter_events(tl, View(text="shinzo"))) == {"abe"}         # actors
    assert ids(tl, filter_events(tl, View(text="貿易"))) == {"trade-talks"}    # Japanese title
    assert ids(tl, filter_events(tl, View(text="treaty ports"))) == {"kanagawa"}  # every word must match
    assert len(filter_events(tl, View(text="zzzz"))) == 0


def test_filters_combine(tl):
    assert ids(tl, filter_events(tl, View(themes=("diplomacy",), start="1900", text="congress"))) == {"abe"}


def test_theme_counts_follow_the_other_filters(tl):
    counts = theme_counts(tl, match_without_themes(tl, View(themes=("war",), start="1900")))
    assert counts == {"diplomacy": 1, "security": 2, "trade": 1, "war": 0}


@pytest.mark.parametrize("view", [
    View(), View(themes=("security", "trade"), start="1945", end="2000", text="abe x"),
    View(themes=(), x_range=(-1.5e13, 1.2e12)), View(text="日米 & more", start="-490"),
])
def test_view_round_trips_through_the_url(tl, view):
    assert View.from_query(view.to_query(tl.themes), tl.themes) == view


def test_url_with_unknown_theme_or_junk_zoom_is_tolerated(tl):
    v = View.from_query("?themes=security,bogus&x0=abc&x1=2", tl.themes)
    assert v.themes == ("security",) and v.x_range is None
