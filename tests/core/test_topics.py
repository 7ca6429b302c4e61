"""Several files as one timeline, each a topic: themes namespaced, rows keeping their origin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dashboard.core.model import MAX_THEMES, ValidationError
from dashboard.core.query import View, filter_events, theme_counts
from dashboard.core.topics import combine, lane_groups, local_theme, resolve_themes, row_topics
from dashboard.io.formats import load_timeline, parse_events
from dashboard.render.exports import events_csv
from dashboard.render.figure import build_figure
from tests.render.test_figure import values

TOPICS = Path(__file__).parent.parent / "fixtures" / "topics"


@pytest.fixture
def three():
    return combine([(p.stem, load_timeline(p)) for p in sorted(TOPICS.glob("*.csv"))])


def test_each_file_is_a_topic_and_its_themes_stay_its_own(three):
    assert three.topics == ["monarchs", "wars", "writers"]
    assert three.themes == [
        "monarchs › monarchs",
        "wars › war",
        "wars › europe",
        "writers › war",
        "writers › drama",
        "writers › novel",
    ]
    assert three.theme_topics == [0, 1, 1, 2, 2, 2]
    counts = theme_counts(three, filter_events(three, View()))
    assert counts["wars › war"] == 4 and counts["writers › war"] == 1  # two files' "war": two lanes


def test_rows_keep_their_topic_ids_and_themes(three):
    ev = three.events
    assert row_topics(three, np.arange(len(ev))).tolist() == ["monarchs"] * 3 + ["wars"] * 4 + ["writers"] * 3
    assert ev["id"].tolist()[3:] == ["1", "2", "3", "4", "1", "2", "3"]  # ids unique within a file only
    bible = int(np.flatnonzero(ev["title"] == "King James Bible")[0])
    assert three.theme_names(int(ev["theme_mask"].iloc[bible])) == ["writers › war", "writers › drama"]


def test_lives_follow_their_events(three):
    lives = three.lives
    assert three.events["title"].iloc[lives["row"].tolist()].tolist() == [
        "Elizabeth I",
        "James I",
        "Charles I",
        "Shakespeare's plays",
    ]


def test_a_combined_timeline_combines_again_keeping_its_topics(three):
    more = combine([("together", three), ("monarchs", load_timeline(TOPICS / "monarchs.csv"))])
    assert more.topics == ["monarchs", "wars", "writers", "monarchs (2)"]
    assert more.themes[-1] == "monarchs (2) › monarchs"
    assert len(more.events) == 13 and more.events["topic"].tolist()[-3:] == [3, 3, 3]


def test_too_many_lanes_together_is_a_clear_problem():
    many = parse_events(("date,title,themes\n" + "".join(f"1600,e{i},t{i}\n" for i in range(40))).encode(), "many.csv")
    with pytest.raises(ValidationError) as err:
        combine([("a", many), ("b", many)])
    assert f"at most {MAX_THEMES} lanes in all the files together, found 80" in err.value.problems[0].expected


@pytest.mark.parametrize(
    ("wanted", "lanes", "unknown"),
    [
        (["war"], ["wars › war", "writers › war"], []),
        (["wars/war"], ["wars › war"], []),
        (["Writers › Drama"], ["writers › drama"], []),
        (["monarchs", "peace"], ["monarchs › monarchs"], ["peace"]),
    ],
)
def test_themes_named_on_the_command_line(three, wanted, lanes, unknown):
    assert resolve_themes(three, wanted) == (lanes, unknown)


def test_the_figure_groups_lanes_under_their_topic(three):
    fig = build_figure(three, View())
    layout = fig["layout"]
    assert layout["yaxis"]["ticktext"] == ["<b>Monarchs</b>", "War", "Europe", "War", "Drama", "Novel"]
    heads = [(a["text"], a["y"]) for a in layout["annotations"] if a.get("meta") == "topic"]
    assert heads == [("<b>Wars</b>", 0.5), ("<b>Writers</b>", 2.5)]  # at the top of each group's first lane
    dividers = [s["y0"] for s in layout["shapes"] if s["type"] == "line" and s["line"]["width"] == 2]
    assert dividers == [0.5, 2.5]
    assert lane_groups(three, three.themes) == [("monarchs", 0, 1), ("wars", 1, 2), ("writers", 3, 3)]
    # the two "war" lanes hold their own file's events
    wars_lane = [t for t in fig["data"] if t["type"] == "bar" and t.get("meta") is None and set(values(t["y"])) == {1}]
    assert len(values(wars_lane[0]["x"])) == 3


def test_the_csv_export_writes_each_rows_topic_and_loads_again(three):
    data = events_csv(three, np.arange(len(three.events))).decode()
    header, first = data.splitlines()[:2]
    assert header.startswith("topic,id,date") and first.startswith("monarchs,row-1,1558-11-17")
    assert "wars,4,1618,1648,Thirty Years' War,war;europe" in data
    again = parse_events(data.encode(), "again.csv")
    assert again.extras["topic"].tolist() == row_topics(three, np.arange(10)).tolist()
    assert {local_theme(t) for t in three.themes} == set(again.themes)


def test_in_a_file_with_a_topic_column_ids_are_unique_within_each_topic():
    text = b"topic,id,date,title,themes\na,1,1600,x,w\nb,1,1601,y,w\na,1,1602,z,w\n"
    with pytest.raises(ValidationError) as err:
        parse_events(text, "export.csv")
    [problem] = err.value.problems
    assert (problem.line, problem.column, problem.value) == (4, "id", "1")
    assert "already used on line 2" in problem.expected


def test_a_topic_of_one_lane_named_as_it_in_capitals_is_its_heading():
    """A file without themes is one lane named after it, now as spelt ('Tudor and Stuart monarchs'):
    the lane named as its topic is the topic's heading, whatever the case."""
    tudors = parse_events(b"date,title\n1509,Henry VIII\n1558,Elizabeth I\n", "Tudor and Stuart monarchs.csv")
    wars = parse_events(b"date,title,themes\n1588,Armada,war\n", "wars.csv")
    both = combine([("Tudor and Stuart monarchs", tudors), ("wars", wars)])
    ticks = build_figure(both, View())["layout"]["yaxis"]["ticktext"]
    assert ticks[0].startswith("<b>Tudor and") and ticks[1] == "War", ticks
