"""Events "at the same time" as a selected one: overlapping possible spans, a point event's year."""

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.query import SAME_TIME_SHOWN, possible_span, same_time
from dashboard.io.formats import load_timeline

CSV = """id,date,end_date,title,themes
war,1941-12-07,1945-09-02,Pacific War,war
pearl,1941-12-07,,Pearl Harbor,war
embargo,1941-08-01,,Oil embargo,trade
year41,1941,,Something in 1941,trade
jan42,1942-01-15,,January 1942,war
hiroshima,1945-08-06,,Hiroshima,war
after,1945-09-03,,The day after,war
before,1940-12-31,,New Year's Eve 1940,war
occupation,1945-09-02,1952-04-28,Occupation,security
"""


@pytest.fixture
def tl(write_csv):
    return load_timeline(write_csv(CSV))


def row(tl, key):
    return int(np.flatnonzero(tl.events["id"].to_numpy() == key)[0])


def ids(tl, found):
    return list(tl.events["id"].iloc[found.rows])


def test_a_period_lists_what_overlaps_it_by_date_and_not_itself(tl):
    found = same_time(tl, row(tl, "war"))
    # Pearl Harbor starts with it, the occupation starts on its last day; the day after does not overlap.
    assert ids(tl, found) == ["year41", "pearl", "jan42", "hiroshima", "occupation"]
    assert found.total == 5
    assert (found.start, found.end) == ("1941-12-07", "1945-09-02")


def test_a_point_event_lists_its_whole_year(tl):
    found = same_time(tl, row(tl, "pearl"))
    # the rest of 1941 (and the war that begins that day), not 31 Dec 1940 nor Jan 1942
    assert ids(tl, found) == ["year41", "embargo", "war"]
    assert (found.start, found.end) == ("1941", "1941")


def test_a_year_precision_event_is_its_year(tl):
    assert ids(tl, same_time(tl, row(tl, "year41"))) == ["embargo", "war", "pearl"]


def test_alone_in_its_time(write_csv):
    tl = load_timeline(write_csv("date,title,themes\n1900,A,war\n1950,B,war\n"))
    found = same_time(tl, 0)
    assert found.total == 0 and len(found.rows) == 0


def test_the_list_is_capped_and_counts_the_rest(write_csv):
    lines = ["date,title,themes"] + [f"2000-{m:02d}-01,Event {m},war" for m in range(1, 13)] * 2
    tl = load_timeline(write_csv("\n".join(lines) + "\n"))
    found = same_time(tl, 5)
    assert found.total == 23 and len(found.rows) == SAME_TIME_SHOWN
    starts = tl.events["start"].to_numpy()[found.rows]
    assert (np.diff(starts) >= 0).all() and 5 not in found.rows
    assert len(same_time(tl, 5, limit=3).rows) == 3


def test_possible_spans_are_used_when_the_timeline_has_them(tl):
    # Without the columns, the known span; with them (an uncertain "c. 1939" event), the wider one.
    lo, hi = possible_span(tl)
    assert (lo == tl.events["start"].to_numpy()).all() and (hi == tl.events["last"].to_numpy()).all()
    before = row(tl, "before")
    assert "before" not in ids(tl, same_time(tl, row(tl, "pearl")))
    ev = tl.events
    ev["earliest"], ev["latest"] = ev["start"].to_numpy().copy(), ev["last"].to_numpy().copy()
    ev.loc[before, "latest"] = dates.parse_date("1941-03")[2]  # may have been as late as March 1941
    tl.memo.clear()  # a timeline is immutable, and what is derived from it is remembered: forget it
    assert "before" in ids(tl, same_time(tl, row(tl, "pearl")))
    # and an uncertain selected event reaches as far as it may: its period widens to match
    ev.loc[row(tl, "after"), "earliest"] = dates.parse_date("1944-06")[0]
    tl.memo.clear()
    found = same_time(tl, row(tl, "after"))
    assert "hiroshima" in ids(tl, found) and "jan42" not in ids(tl, found)
    assert (found.start, found.end) == ("1944", "1945")
