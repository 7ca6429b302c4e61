"""Lives in our own CSV format (life_start, life_end), in the model, the figure, the details and the cache."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.query import View
from dashboard.io import cache
from dashboard.io.formats import parse_events
from dashboard.render.figure import BAR_WIDTH, build_figure
from tests.render.test_figure import values

CSV = b"""id,date,end_date,title,themes,life_start,life_end
eliz,1558-11-17,1603-03-24,Elizabeth I,monarchs,1533-09-07,1603-03-24
will,,,Shakespeare,writers,1564,1616
cecil,1590,,Cecil made Secretary,monarchs,,
"""


@pytest.fixture
def tl():
    return parse_events(CSV, "lives.csv")


def ms(text):
    return dates.parse_date(text)[0]


def last_ms(text):
    return dates.parse_dates([text]).end_ms[0]


def test_lives_are_a_table_beside_the_events(tl):
    assert tl.lives["row"].tolist() == [0, 1]
    assert tl.lives["only"].tolist() == [False, True]
    assert tl.lives["start"].tolist() == [ms("1533-09-07"), ms("1564")]
    assert tl.lives["last"].tolist() == [last_ms("1603-03-24"), last_ms("1616")]


def test_a_file_without_lives_has_an_empty_lives_table():
    tl = parse_events(b"date,title,themes\n1600,A,x\n", "plain.csv")
    assert len(tl.lives) == 0 and "life_start" not in tl.extras


def life_traces(fig):
    return [t for t in fig["data"] if t.get("meta") in ("life", "life alone")]


def test_the_life_line_is_drawn_behind_the_bar_with_the_lifes_x(tl):
    fig = build_figure(tl, View())
    traces = fig["data"]
    life = next(i for i, t in enumerate(traces) if t.get("meta") == "life")
    bar = next(
        i for i, t in enumerate(traces) if t["type"] == "bar" and t.get("meta") is None and t["name"] == "Monarchs"
    )
    assert life < bar  # drawn first: behind
    x = values(traces[life]["x"])
    assert x[0] == ms("1533-09-07") and x[1] == last_ms("1603-03-24") and np.isnan(x[2])
    assert set(values(traces[life]["y"])[:2]) == {0}  # the Monarchs lane
    assert traces[life]["line"]["width"] < BAR_WIDTH * 80  # thinner than the bar
    assert "life: 7 Sep 1533 – 24 Mar 1603" in traces[life]["customdata"][0][2]


def test_a_life_alone_is_a_line_without_bar_or_marker(tl):
    fig = build_figure(tl, View())
    alone = next(t for t in fig["data"] if t.get("meta") == "life alone")
    assert values(alone["x"])[0] == ms("1564") and alone["customdata"][0][:2] == [1, "Shakespeare"]
    assert alone["customdata"][0][2] == "life: 1564 – 1616"
    writers = [t for t in fig["data"] if t["name"] == "Writers" and t.get("meta") is None]
    assert all(len(values(t["x"])) == 0 for t in writers)  # no marker and no bar


def test_the_axis_shows_the_whole_life(tl):
    fig = build_figure(tl, View(themes=("monarchs",)))
    x0, x1 = fig["layout"]["xaxis"]["range"]
    assert x0 < ms("1533-09-07") and x1 > ms("1603")


def test_filtered_out_events_draw_no_life(tl):
    fig = build_figure(tl, View(text="Cecil"))
    assert life_traces(fig) == []


def test_details_show_the_life(tl):
    from dashboard.web.components import details_panel

    text = str(details_panel(tl, 0))
    assert "Life" in text and "7 Sep 1533 – 24 Mar 1603" in text


def test_the_cache_keeps_lives(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    path = tmp_path / "lives.csv"
    path.write_bytes(CSV)
    first = cache.load(path)
    again = cache.load(path)
    assert any(p.exists() for p in cache.cache_paths(path))
    assert again.lives.equals(first.lives)
