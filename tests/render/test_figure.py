import base64
import csv
import html
import io
import itertools
import json
import re

import numpy as np
import pytest

from dashboard.core import dates
from dashboard.core.query import View
from dashboard.io.formats import load_timeline
from dashboard.render.figure import (
    LABEL_H,
    LANE_PX,
    MARGIN,
    PALETTE,
    FigureOptions,
    build_figure,
    figure_height,
    text_width,
    when_labels,
    year_ticks,
)
from tests.conftest import DATASET


@pytest.fixture
def tl(small_csv):
    return load_timeline(small_csv)


def values(v):
    """A trace array back from plotly's typed-array spec."""
    if isinstance(v, dict) and "bdata" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return arr.reshape([int(k) for k in str(v["shape"]).split(",")]) if "shape" in v else arr
    return np.asarray(v)


def points(fig, lane_name):
    return next(t for t in fig["data"] if t["type"] == "scatter" and t["name"] == lane_name)


def test_one_lane_per_selected_theme(tl):
    fig = build_figure(tl, View(themes=("security", "war")))
    assert list(fig["layout"]["yaxis"]["ticktext"]) == ["Security", "War"]
    assert {t["name"] for t in fig["data"]} == {"Security", "War"}


def test_multi_theme_event_is_drawn_in_each_lane_with_its_colour(tl):
    fig = build_figure(tl, View())
    perry_ms = dates.parse_date("1853-07-08")[0]
    for lane, y in (("Diplomacy", 0), ("Security", 1)):
        tr = points(fig, lane)
        assert perry_ms in values(tr["x"]) and set(values(tr["y"])) == {y}
    assert points(fig, "Diplomacy")["marker"]["color"] == PALETTE[0]
    assert points(fig, "Security")["marker"]["color"] != points(fig, "Diplomacy")["marker"]["color"]


def test_dates_are_sent_as_epoch_ms_so_bce_years_plot(tl):
    fig = build_figure(tl, View(themes=("war",)))
    tr = points(fig, "War")
    assert tr["x"]["dtype"] == "f8"  # epoch ms, compact
    assert values(tr["x"])[0] == dates.parse_date("-490")[0]
    assert fig["layout"]["xaxis"]["type"] == "date"
    assert "490 BCE" in fig["layout"]["xaxis"]["ticktext"]


def test_periods_are_bars_from_start_to_end(tl):
    fig = build_figure(tl, View(themes=("security",)))
    [bar] = [t for t in fig["data"] if t["type"] == "bar"]
    assert values(bar["base"])[0] == dates.parse_date("1945-09-02")[0]
    assert values(bar["base"])[0] + values(bar["x"])[0] == dates.parse_date("1952-04-28")[2]
    assert bar["customdata"][0][2] == "2 Sep 1945 – 28 Apr 1952"


def test_hover_carries_title_precise_date_and_themes(tl):
    tr = points(build_figure(tl, View()), "Diplomacy")
    rows = {c[1]: c for c in tr["customdata"]}
    assert rows["Abe addresses Congress"][2] == "29 Apr 2015"
    assert rows["Perry arrives"][3] == "Diplomacy, Security"
    assert "%{customdata[1]}" in tr["hovertemplate"]
    sec = {c[1]: c[2] for c in points(build_figure(tl, View()), "Security")["customdata"]}
    assert sec["Security treaty"] == "1951"


LONG = (
    "The Japanese Embassy to the United States of 1860, sent by the Tokugawa shogunate to ratify the "
    "Treaty of Amity & Commerce"
)


@pytest.mark.parametrize(("width", "widest"), [(390, 155), (1440, 420)])
def test_a_long_title_is_hovered_in_lines_that_fit_beside_its_point(write_csv, width, widest):
    """plotly sets a hover box beside its point on the side with more room: a box wider than half a
    phone's screen was cut off at its edge. Titles and themes come in lines, no word lost."""
    themes = "diplomacy;trade;memory;security;politics;korea;china"
    rows = f'date,title,themes\n1860-05-01,"{LONG}",{themes}\n1867,明治維新により江戸幕府が終わり新政府が東京に移る長い題名,politics\n'
    fig = build_figure(load_timeline(write_csv(rows)), View(), FigureOptions(width=width))
    hovers = {c[0]: c for t in fig["data"] for c in t.get("customdata") or [] if isinstance(c, list)}
    long_title, japanese = hovers[0][1], hovers[1][1]
    for text in (long_title, japanese, hovers[0][3]):
        lines = text.split("<br>")
        assert len(lines) > 1 or text_width(text, 13) > 300
        assert all(text_width(html.unescape(line), 13) <= widest for line in lines), lines
    assert " ".join(long_title.split("<br>")) == html.escape(LONG[:89].rstrip(), quote=False) + "…"
    assert "".join(japanese.split("<br>")) == "明治維新により江戸幕府が終わり新政府が東京に移る長い題名"
    assert hovers[0][3].replace("<br>", " ") == "Diplomacy, Security, Trade, China, Korea, Memory, Politics"


def test_user_text_cannot_inject_markup(write_csv):
    tl = load_timeline(write_csv("date,title,themes\n1990,<b onmouseover=x>hi</b> & <script>,war\n"))
    fig = build_figure(tl, View(), FigureOptions(title="<i>T</i>"))
    assert points(fig, "War")["customdata"][0][1] == "&lt;b onmouseover=x&gt;hi&lt;/b&gt; &amp; &lt;script&gt;"
    assert "<" not in fig["layout"]["title"]["text"]


def test_key_events_are_labelled_without_overlap(tl):
    fig = build_figure(tl, View(), FigureOptions(width=1600))
    labels = [a["text"] for a in fig["layout"]["annotations"] if a["showarrow"]]
    assert {"Perry arrives", "Abe addresses Congress"} <= set(labels)  # importance 5
    assert "Battle of Marathon" in labels  # importance 2, but the most important of its lane
    assert not {"Occupation", "日米貿易協議"} & set(labels)  # 3s in lanes with 4s and 5s


def test_the_most_important_events_in_view_are_labelled_whatever_their_importance(write_csv, tl):
    """A file without an importance column (every event of importance 3) had no label at all, however
    much room: labels go to events of importance 4 and up, or to the most important in view."""
    plain = load_timeline(
        write_csv(
            "date,title,themes\n1853-07-08,Perry arrives at Uraga,Diplomacy\n1854-03-31,Treaty of Kanagawa,Diplomacy\n"
            "1858-07-29,Harris Treaty,Trade\n1860,First embassy to the US,Diplomacy\n1868-01-03,Boshin War begins,War\n"
        )
    )
    boxes, plot_w, plot_h = label_boxes(build_figure(plain, View(), FigureOptions(width=1200)), 1200)
    assert set(boxes) == set(plain.events["title"])
    assert_apart(boxes, plot_w, plot_h)
    window = (dates.parse_date("-600")[0], dates.parse_date("-400")[0])  # Marathon (importance 2) alone
    labels = [a["text"] for a in build_figure(tl, View(x_range=window))["layout"]["annotations"] if a["showarrow"]]
    assert labels == ["Battle of Marathon"]


FEATURED = "Trump invites Takaichi to the United States"
"""Importance 4, but the label the issue (#10) asks for in the crowded recent years."""


def label_boxes(fig, width):
    """Each event label's box in plot px (left, top, right, bottom), from where its annotation puts it."""
    lay = fig["layout"]
    x0, x1 = lay["xaxis"]["range"]
    n = len(lay["yaxis"]["tickvals"])
    plot_w = width - MARGIN["l"] - MARGIN["r"]
    plot_h = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    out = {}
    for a in lay["annotations"]:
        if not a.get("showarrow"):
            continue  # era names, above the plot
        cx = (a["x"] - x0) / (x1 - x0) * plot_w + a["ax"]
        cy = (a["y"] + 0.5) * plot_h / n + a["ay"]
        w = text_width(a["text"].replace("&amp;", "&"))
        out[a["text"]] = (cx - w / 2, cy - LABEL_H / 2, cx + w / 2, cy + LABEL_H / 2)
    return out, plot_w, plot_h


def assert_apart(boxes, plot_w, plot_h):
    items = list(boxes.items())
    for i, (ta, a) in enumerate(items):
        assert a[0] >= 0 and a[2] <= plot_w and a[1] >= 0 and a[3] <= plot_h, ta
        for tb, b in items[i + 1 :]:
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (ta, tb)


@pytest.mark.parametrize("width", [1600, 1126])
def test_featured_events_of_the_dataset_are_all_labelled_apart(width):
    """The PNG export (1600 px) and the page at 1440x900 (a 1126 px graph): every importance-5 event
    and the invitation of Takaichi has a whole label, and no label box meets another or leaves the plot."""
    tl = load_timeline(DATASET)
    fig = build_figure(tl, View(), FigureOptions(width=width))
    boxes, plot_w, plot_h = label_boxes(fig, width)
    featured = set(tl.events["title"][tl.events["importance"] == 5]) | {FEATURED}
    assert len(featured) == 14
    assert featured <= set(boxes), featured - set(boxes)
    assert len(boxes) >= 30  # and many importance-4 events too
    assert_apart(boxes, plot_w, plot_h)


def featured_file(write_csv, n, step):
    lines = ["date,title,themes,importance"] + [f"{1980 + step * d},Featured event number {d},war,5" for d in range(n)]
    lines += ["1900,Early,war,1", "2100,Late,trade,1"]
    return load_timeline(write_csv("\n".join(lines) + "\n"))


def test_lanes_grow_until_every_featured_label_fits(write_csv):
    tl = featured_file(write_csv, 10, 3)  # ten featured events three years apart: eight fit in 80 px lanes
    fig = build_figure(tl, View(), FigureOptions(width=1200))
    assert figure_height(2, LANE_PX) < fig["layout"]["height"] <= figure_height(2, 140)
    boxes, plot_w, plot_h = label_boxes(fig, 1200)
    assert {f"Featured event number {d}" for d in range(10)} <= set(boxes)
    assert_apart(boxes, plot_w, plot_h)
    # A figure of a given height keeps it and labels what fits, apart.
    fixed = build_figure(tl, View(), FigureOptions(width=1200, height=400))
    assert fixed["layout"]["height"] == 400
    boxes, plot_w, plot_h = label_boxes(fixed, 1200)
    assert 0 < len(boxes) < 10
    assert_apart(boxes, plot_w, plot_h)


def test_lanes_do_not_grow_when_no_height_would_label_them_all(write_csv):
    tl = featured_file(write_csv, 12, 1)  # twelve on twelve years: never all at once
    fig = build_figure(tl, View(), FigureOptions(width=1200))
    assert fig["layout"]["height"] == figure_height(2, LANE_PX)
    boxes, plot_w, plot_h = label_boxes(fig, 1200)
    assert 0 < len(boxes) < 12
    assert_apart(boxes, plot_w, plot_h)


def test_label_count_is_capped_most_important_first():
    tl = load_timeline(DATASET)
    fig = build_figure(tl, View(), FigureOptions(width=1600, max_labels=10))
    boxes, _, _ = label_boxes(fig, 1600)
    assert len(boxes) == 10
    assert set(boxes) <= set(tl.events["title"][tl.events["importance"] == 5])


def test_empty_result_says_so(tl):
    fig = build_figure(tl, View(text="nothing-like-this"))
    assert "No events match these filters" in fig["layout"]["annotations"][0]["text"]
    assert fig["layout"]["xaxis"]["visible"] is False and len(fig["data"]) == 0
    assert "No themes selected" in build_figure(tl, View(themes=()))["layout"]["annotations"][0]["text"]


def test_zoom_range_is_kept(tl):
    fig = build_figure(tl, View(x_range=(0.0, 1e12)))
    assert tuple(fig["layout"]["xaxis"]["range"]) == (0.0, 1e12)


def test_subtitle_describes_the_filters(tl):
    fig = build_figure(tl, View(themes=("security",), start="1945", text="treaty"))
    assert (
        fig["layout"]["title"]["subtitle"]["text"] == "1 of 7 events · themes: Security · 1945 to … · matching “treaty”"
    )


def test_a_zoomed_subtitle_counts_the_events_in_view(tl):
    """An export of a zoom said '3 of 71 events' over one event drawn: the matches, not what is shown."""
    window = (dates.parse_date("1850")[0], dates.parse_date("1860")[0])
    subtitle = build_figure(tl, View(x_range=window))["layout"]["title"]["subtitle"]["text"]
    assert subtitle == "2 of 7 events in view"
    subtitle = build_figure(tl, View(themes=("security",), x_range=window))["layout"]["title"]["subtitle"]["text"]
    assert subtitle == "1 of 7 events in view · 3 match the filters · themes: Security"
    for scale in ("sequence", "log"):  # a zoom is in time on every scale
        subtitle = build_figure(tl, View(scale=scale, x_range=window))["layout"]["title"]["subtitle"]["text"]
        assert subtitle == "2 of 7 events in view", scale


def test_a_long_subtitle_wraps_on_a_phone_and_the_plot_makes_room():
    """A story's step on a phone said '1 of 71 events in view · 21 match the filters · themes: War, Me',
    cut at the figure's edge."""
    tl = load_timeline(DATASET)
    window = (dates.parse_date("1900")[0], dates.parse_date("1915")[0])
    view = View(themes=("war", "memory"), x_range=window)
    phone = build_figure(tl, view, FigureOptions(layout_width=358))["layout"]
    lines = phone["title"]["subtitle"]["text"].split("<br>")
    assert len(lines) == 2 and all(text_width(line, 13) <= 358 for line in lines), lines
    assert " · ".join(line.removesuffix(" ·") for line in lines).endswith("21 match the filters · themes: War, Memory")
    one_line = build_figure(tl, View(themes=("war", "memory")), FigureOptions(layout_width=358))["layout"]
    assert "<br>" not in one_line["title"]["subtitle"]["text"]
    assert phone["margin"]["t"] == one_line["margin"]["t"] + 17
    wide = build_figure(tl, view, FigureOptions(layout_width=1100))["layout"]
    assert "<br>" not in wide["title"]["subtitle"]["text"]


def test_year_ticks_are_written_as_historians_do():
    lo, hi = dates.parse_date("-600")[0], dates.parse_date("2100")[0]
    ticks = year_ticks(lo, hi)
    assert ticks["ticktext"][:2] == ["500 BCE", "500"]
    assert ticks["tickvals"][0] == dates.parse_date("-500")[0]
    assert year_ticks(dates.parse_date("1853")[0], dates.parse_date("2026")[0]) == {}


def test_figure_is_valid_plotly(tl):
    import plotly.graph_objects as go

    go.Figure(build_figure(tl, View()))  # raises on any property plotly does not know


HOSTILE_THEME = '<a href="https://example.invalid/x">click</a>'


def user_strings(fig) -> list[str]:
    """Every string in the figure that plotly draws as text (legend, ticks, labels, hover data, titles)."""
    out = []
    lay = fig["layout"]
    out += [lay["title"]["text"], lay["title"]["subtitle"]["text"]]
    out += [a["text"] for a in lay["annotations"]]
    out += lay.get("yaxis", {}).get("ticktext", [])
    for t in fig["data"]:
        out.append(t.get("name", ""))
        for row in t.get("customdata", []) or []:
            out += [str(v) for v in row]
        for row in t.get("text", []) or []:
            out += list(row) if isinstance(row, list) else [row]
    return out


@pytest.mark.parametrize("many", [False, True])
def test_user_text_never_reaches_plotly_as_markup(write_csv, many):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "title", "themes", "importance"])
    for i in range(3000 if many else 3):
        writer.writerow([1900 + i % 100, f"<b>Bold</b> &amp; <i>x</i> {i}", "war" if i % 2 else HOSTILE_THEME, 5])
    tl = load_timeline(write_csv(out.getvalue()))
    assert HOSTILE_THEME in tl.themes
    fig = build_figure(tl, View(text="bold"), FigureOptions(title="<script>alert(1)</script>"))
    texts = user_strings(fig)
    assert any("&lt;a href=" in t for t in texts)  # shown literally, as plotly draws entities
    for t in texts:
        plain = re.sub(r"</?(b|i|br)>|<span style='font-size:13px'>|</span>", "", t)
        assert "<" not in plain, t


# Historians' time (#10): tapes over uncertain spans, the sequence and log scales, deep time.

from dashboard.core.query import SCALES  # noqa: E402
from dashboard.render.figure import age_label, deep_ticks, time_axis  # noqa: E402
from tests.timelines import deep_timeline, uncertain_timeline, year_start  # noqa: E402


def tapes(fig):
    return [t for t in fig["data"] if t.get("meta") == "uncertain span"]


@pytest.mark.parametrize("scale", SCALES)
def test_an_uncertain_date_gets_a_faded_tape_over_its_possible_span_behind_its_marker(tmp_path, scale):
    tl = uncertain_timeline(tmp_path)
    fig = build_figure(tl, View(scale=scale))
    [tape] = tapes(fig)
    assert tape["name"] == "Culture" and tape["hoverinfo"] == "skip"
    lo, width = values(tape["base"])[0], values(tape["x"])[0]
    marker = points(fig, "Culture")
    globe = [c[1] for c in marker["customdata"]].index("Globe performance")
    at = values(marker["x"])[globe]
    assert min(lo, lo + width) < at < max(lo, lo + width)  # the most likely date inside the tape
    assert fig["data"].index(tape) < fig["data"].index(marker)  # drawn behind
    assert marker["customdata"][globe][2] == "c. 1600"  # hover shows the date as written
    if scale == "time":
        assert (lo, lo + width) == (year_start(1590), year_start(1611) - 1)


def test_dates_written_in_english_words_read_in_japanese(write_csv):
    """'July 8, 1853' stayed '8 Jul 1853' in the Japanese page: its reading in the app's way, kept as
    its display date, was taken for words of the file's."""
    tl = load_timeline(
        write_csv(
            "date,end_date,title,themes,display_date\n"
            '"July 8, 1853",,Perry,d,\n25 Dec 1066,1 Jan 1067,Crowned,d,\n55 BC,,Caesar,d,\n'
            "between 47 and 50,,Claudius,d,\n1854,,Kanagawa,d,Spring 1854\n"
        )
    )
    rows = np.arange(len(tl.events))
    assert list(when_labels(tl, rows, "ja")) == [
        "1853年7月8日",
        "1066年12月25日 – 1067年1月1日",
        "紀元前55年",
        "between 47 and 50",  # words of their own: as written
        "Spring 1854",  # the file's display date
    ]
    assert list(when_labels(tl, rows, "en"))[:3] == ["8 Jul 1853", "25 Dec 1066 – 1 Jan 1067", "55 BCE"]


def test_the_sequence_log_and_deep_time_ticks_speak_japanese(tmp_path):
    tl = deep_timeline(tmp_path)
    ja = FigureOptions(lang="ja")
    log = build_figure(tl, View(scale="log"), ja)["layout"]["xaxis"]["ticktext"]
    assert log and all(t.endswith("年") for t in log) and "138億年" not in log, log  # ticks: round numbers
    assert any(t.endswith("億年") for t in log) and any(t.endswith("万年") for t in log), log
    sequence = build_figure(tl, View(scale="sequence"), ja)["layout"]["xaxis"]["ticktext"]
    assert "2016年5月27日" in sequence and "紀元前490年" in sequence and "138億年" in sequence, sequence
    assert not any("（" in t for t in sequence)  # no era year on a tick
    deep = build_figure(tl, View(), ja)["layout"]["xaxis"]["ticktext"]
    assert any(t.endswith("億年") for t in deep), deep
    english = build_figure(tl, View(scale="log"))["layout"]["xaxis"]["ticktext"]
    assert any(t.endswith(" Ga") for t in english) and not any("年" in t for t in english)
    subtitle = build_figure(tl, View(themes=("war",)), ja)["layout"]["title"]["subtitle"]["text"]
    assert "戦争" in subtitle and "war" not in subtitle, subtitle


def test_exact_dates_and_files_without_the_span_columns_get_no_tape(tl, tmp_path):
    # exact dates: earliest == start and latest == last, so no tape
    assert tapes(build_figure(tl, View())) == []
    tl = uncertain_timeline(tmp_path)
    tl.events.loc[:, "earliest"] = tl.events["start"]
    tl.events.loc[:, "latest"] = tl.events["last"]
    assert tapes(build_figure(tl, View())) == []


def test_the_time_extent_covers_every_possible_span(tmp_path):
    tl = uncertain_timeline(tmp_path)
    tl.events.loc[tl.events["id"] == "armada", "earliest"] = year_start(1500)
    tl.memo.clear()
    x0, _ = build_figure(tl, View())["layout"]["xaxis"]["range"]
    assert x0 < year_start(1500)


def test_sequence_spaces_events_evenly_in_date_order(tmp_path):
    tl = deep_timeline(tmp_path)
    fig = build_figure(tl, View(scale="sequence"))
    xs = {c[1]: x for t in fig["data"] if t["type"] == "scatter" for c, x in zip(t["customdata"], values(t["x"]))}
    order = sorted(xs, key=xs.get)
    assert order == [
        "Big Bang",
        "Earth forms",
        "Dinosaurs die out",
        "Homo sapiens",
        "Battle of Marathon",
        "Perry arrives",
        "Obama visits Hiroshima",
    ]
    assert sorted(xs.values()) == list(range(7))  # one step between neighbours, whatever the years
    axis = fig["layout"]["xaxis"]
    assert "type" not in axis and axis["ticktext"][:4] == ["13.8 Ga", "4.54 Ga", "66 Ma", "300 ka"]
    assert "490 BCE" in axis["ticktext"]
    assert axis["title"]["text"] == "events in date order, evenly spaced"


@pytest.mark.parametrize(("width", "lang"), [(390, "en"), (390, "ja"), (1440, "en")])
def test_sequence_ticks_and_markers_stay_inside_the_figure(width, lang):
    """On a phone the lanes are named inside the plot, so the plot reaches the figure's edges: a tick
    at the first event was centred on the edge and plotly hid its label, and the first and last
    markers were cut in half (a fixed margin of 0.7 events is 3 px there)."""
    fig = build_figure(load_timeline(DATASET), View(scale="sequence"), FigureOptions(width=width, lang=lang))
    layout = fig["layout"]
    (a, b), left = layout["xaxis"]["range"], layout["margin"]["l"]
    plot_w = width - left - layout["margin"]["r"]

    def px(rank: float) -> float:
        return left + (rank - a) / (b - a) * plot_w

    ticks = list(zip(layout["xaxis"]["tickvals"], layout["xaxis"]["ticktext"]))
    assert len(ticks) >= 3
    for rank, text in ticks:
        half = text_width(text, 12) / 2
        assert px(rank) - half >= 0 and px(rank) + half <= width, (rank, text, px(rank))
    drawn = [x for t in fig["data"] if t["type"] == "scatter" and t.get("customdata") for x in values(t["x"])]
    assert px(min(drawn)) - left >= 9 and left + plot_w - px(max(drawn)) >= 9


def test_a_zoomed_sequence_keeps_room_for_the_markers_at_its_ends():
    """A zoom's edges fall between events: room is kept beside the first and last events in it, not
    beside the zoom's edges, where an event just inside stood cut in half."""
    timeline = load_timeline(DATASET)
    starts = np.sort(timeline.column("start"))
    rng = np.random.default_rng(7)
    for _ in range(40):
        i, j = sorted(rng.choice(len(starts) - 1, size=2, replace=False))
        f, g = rng.random(2)
        zoom = (starts[i] + f * (starts[i + 1] - starts[i]), starts[j] + g * (starts[j + 1] - starts[j]))
        fig = build_figure(timeline, View(scale="sequence", x_range=zoom), FigureOptions(width=390))
        (a, b), plot_w = fig["layout"]["xaxis"]["range"], 390 - 16
        inside = [x for t in fig["data"] if t["type"] == "scatter" and t.get("customdata") for x in values(t["x"])]
        inside = [x for x in inside if a <= x <= b]
        assert inside and min(inside) - a >= 9 * (b - a) / plot_w and b - max(inside) >= 9 * (b - a) / plot_w


def test_hover_lines_never_break_a_letter_from_its_accent_nor_an_emoji_sequence():
    from dashboard.render.figure import wrapped

    accented = wrapped("e\u0301" * 40, 155)
    family = wrapped("\U0001f468\u200d\U0001f469\u200d\U0001f467" * 12, 155)
    for text, unit in ((accented, "e\u0301"), (family, "\U0001f468\u200d\U0001f469\u200d\U0001f467")):
        lines = text.split("<br>")
        assert len(lines) > 1 and all(line and len(line) % len(unit) == 0 for line in lines), lines
        assert "".join(lines) == unit * (len("".join(lines)) // len(unit))


KEYS = ("tickvals", "ticktext")


@pytest.mark.parametrize("scale", ["log", "sequence", "time"])
@pytest.mark.parametrize(("width", "lang"), [(390, "en"), (390, "ja"), (768, "en"), (1440, "en")])
def test_tick_labels_stand_side_by_side_without_touching(scale, width, lang, tmp_path):
    """Ticks more than fit side by side are turned on end by plotly (the log scale's eight on a phone):
    no more than fit, each label clear of its neighbours."""
    checked = 0
    for timeline in (load_timeline(DATASET), deep_timeline(tmp_path)):
        fig = build_figure(timeline, View(scale=scale), FigureOptions(width=width, lang=lang))
        layout = fig["layout"]
        if "tickvals" not in layout["xaxis"]:  # plotly's own date ticks (the time scale within 9999 BCE-9999)
            continue
        checked += 1
        (a, b), plot_w = layout["xaxis"]["range"], width - layout["margin"]["l"] - layout["margin"]["r"]
        # px from the left (the log scale's range runs from the far past: a > b)
        placed = sorted(((v - a) / (b - a) * plot_w, t) for v, t in zip(*(layout["xaxis"][k] for k in KEYS)))
        assert len(placed) >= 2, placed
        for (x, t), (x2, t2) in itertools.pairwise(placed):
            assert x2 - x >= (text_width(t, 12) + text_width(t2, 12)) / 2 + 4, placed
        left = layout["margin"]["l"]
        for x, t in placed:  # and none half past the figure's edge (a phone's plot reaches it)
            assert left + x - text_width(t, 12) / 2 >= 0 and left + x + text_width(t, 12) / 2 <= width, placed
    assert checked


def test_sequence_periods_run_to_the_events_they_cover(tl):
    fig = build_figure(tl, View(scale="sequence", themes=("security", "diplomacy")))
    [bar] = [t for t in fig["data"] if t["type"] == "bar"]
    start, length = values(bar["base"])[0], values(bar["x"])[0]
    xs = {c[1]: x for t in fig["data"] if t["type"] == "scatter" for c, x in zip(t["customdata"], values(t["x"]))}
    assert start < xs["Security treaty"] < start + length < xs["Abe addresses Congress"]


def test_log_scale_shows_ga_ma_and_years_with_every_event_inside(tmp_path):
    tl = deep_timeline(tmp_path)
    fig = build_figure(tl, View(scale="log"))
    axis = fig["layout"]["xaxis"]
    left, right = axis["range"]
    assert left > right  # the far past on the left
    labels = axis["ticktext"]
    assert any(t.endswith(" Ga") for t in labels) and any(t.endswith(" Ma") for t in labels)
    assert any(t.endswith(" years") for t in labels)
    xs = np.concatenate([values(t["x"]) for t in fig["data"] if t["type"] == "scatter"])
    assert len(xs) == 7 and ((xs < left) & (xs > right)).all()
    assert len(set(np.round(xs, 2))) == 7  # 2016, 1853 and 490 BCE apart, not squeezed at the present


def test_age_labels():
    assert [age_label(a) for a in (13.8e9, 4.54e9, 66e6, 300e3, 2e3, 100, 1)] == [
        "13.8 Ga",
        "4.54 Ga",
        "66 Ma",
        "300 ka",
        "2 ka",
        "100 years",
        "1 year",
    ]


def test_deep_time_gets_a_numeric_year_axis_and_recent_centuries_a_date_axis(tmp_path):
    tl = deep_timeline(tmp_path)
    axis = build_figure(tl, View())["layout"]["xaxis"]
    assert axis["type"] == "linear" and "4 Ga" in axis["ticktext"] and "14 Ga" not in axis["ticktext"][:1]
    xs = np.concatenate([values(t["x"]) for t in build_figure(tl, View())["data"] if t["type"] == "scatter"])
    assert xs.min() == year_start(1950 - 13_800_000_000)  # the same epoch ms as on the date axis: no jump
    # zoomed to the dinosaurs: ages in Ma; to recent centuries: the date axis again, same range
    dino = year_start(1950 - 66_000_000)
    near = time_axis(dino - 5e6 * dates.MS_PER_YEAR, dino + 5e6 * dates.MS_PER_YEAR)
    assert near["type"] == "linear" and "66 Ma" in near["ticktext"]
    recent = build_figure(tl, View(x_range=(year_start(1800), year_start(2020))))["layout"]["xaxis"]
    assert recent["type"] == "date" and recent["range"] == [year_start(1800), year_start(2020)]
    old = deep_ticks(year_start(-30_000), year_start(1900))
    assert "20,000 BCE" in old["ticktext"] or "20 ka" in old["ticktext"]


def test_figures_in_each_scale_are_valid_plotly_and_small(tmp_path):
    import plotly.graph_objects as go

    for tl in (uncertain_timeline(tmp_path), deep_timeline(tmp_path)):
        for scale in SCALES:
            fig = build_figure(tl, View(scale=scale))
            go.Figure(fig)
            assert len(json.dumps(fig)) < 2_000_000


def test_many_events_on_the_log_scale_draws_the_most_important_and_says_so(write_csv):
    rows = "\n".join(f"{1000 + i % 1000},Event {i},war,{1 + i % 5}" for i in range(3000))
    tl = load_timeline(write_csv("date,title,themes,importance\n" + rows + "\n"))
    fig = build_figure(tl, View(scale="log"))
    drawn = sum(len(values(t["x"])) for t in fig["data"] if t["type"] == "scatter")
    assert drawn == 2500
    assert "events · the 2,500 most important shown" in fig["layout"]["title"]["subtitle"]["text"]


@pytest.mark.parametrize("scale", ["sequence", "log"])
def test_a_zoom_on_the_sequence_or_log_axis_maps_back_to_the_same_events(tmp_path, scale):
    from dashboard.core.query import filter_events
    from dashboard.render.figure import axis_to_ms

    tl = deep_timeline(tmp_path)
    rows = filter_events(tl, View())
    fig = build_figure(tl, View(scale=scale))
    xs = {c[1]: x for t in fig["data"] if t["type"] == "scatter" for c, x in zip(t["customdata"], values(t["x"]))}
    # a zoom around the dinosaurs and Homo sapiens, in the axis's own numbers
    lo, hi = sorted((xs["Dinosaurs die out"], xs["Homo sapiens"]))
    pad = (xs["Homo sapiens"] - xs["Dinosaurs die out"]) * 0.1
    ms = axis_to_ms(tl, View(scale=scale), rows, (lo - abs(pad), hi + abs(pad)))
    assert ms[0] < ms[1]
    zoomed = build_figure(tl, View(scale=scale, x_range=ms))
    shown = {c[1] for t in zoomed["data"] if t["type"] == "scatter" for c in t["customdata"]}
    a, b = sorted(zoomed["layout"]["xaxis"]["range"])
    inside = {
        c[1]
        for t in zoomed["data"]
        if t["type"] == "scatter"
        for c, x in zip(t["customdata"], values(t["x"]))
        if a < x < b
    }
    assert {"Dinosaurs die out", "Homo sapiens"} <= inside
    assert "Obama visits Hiroshima" not in inside and "Big Bang" not in inside
    assert shown >= inside


@pytest.mark.parametrize("years", [(1893, 2015), (1853, 1965), (1990, 2020)])
def test_a_zoom_on_the_log_scale_shows_the_zoom_and_draws_every_event_the_axis_shows(years):
    """The log axis used to reach well past a zoom (0.15 of a power of ten at least: 1838-2019 for a
    zoom from 1893), where the events past the zoom, not drawn, left an empty axis under eras."""
    from dashboard.render.figure import log_present

    timeline = load_timeline(DATASET)
    zoom = tuple(dates.parse_date(str(y))[0] for y in years)
    fig = build_figure(timeline, View(scale="log", x_range=zoom), FigureOptions(width=1440))
    present = log_present(timeline)
    shown = [present - 10**v * dates.MS_PER_YEAR for v in fig["layout"]["xaxis"]["range"]]
    assert shown[0] >= zoom[0] - 120 * dates.MS_PER_DAY and shown[1] <= zoom[1] + 120 * dates.MS_PER_DAY
    drawn = {c[0] for t in fig["data"] for c in t.get("customdata") or [] if isinstance(c, list)}  # points, bars
    start = timeline.column("start")
    assert {i for i in range(timeline.size) if shown[0] <= start[i] <= shown[1]} <= drawn


def test_a_zoomed_sequence_names_only_the_eras_of_its_events():
    """The sequence maps any instant before its first event to that event: an era ended long before
    (Bakumatsu, 1853-1868, in a zoom on 1902-1939) was named at the left edge, with no band."""
    timeline = load_timeline(DATASET)
    zoom = (dates.parse_date("1902-07")[0], dates.parse_date("1939-11")[0])
    fig = build_figure(timeline, View(scale="sequence", x_range=zoom), FigureOptions(width=1440))
    named = {a["text"] for a in fig["layout"]["annotations"] if a.get("yref") == "paper" and a.get("y") == 1}
    assert any("Meiji" in n for n in named), named
    assert not any(word in n for n in named for word in ("Bakumatsu", "Cold War", "occupation")), named
    assert all(shape["x1"] > shape["x0"] for shape in fig["layout"]["shapes"] if shape.get("type") == "rect")


def test_density_on_the_deep_time_axis(write_csv):
    from tests.timelines import with_spans

    rows = "\n".join(f"{1000 + i % 1000},Event {i},war,{1 + i % 5}" for i in range(3000))
    tl = with_spans(load_timeline(write_csv("date,title,themes,importance\n" + rows + "\n")), {})
    big_bang = year_start(1950 - 13_800_000_000)
    tl.events.loc[0, ["start", "last", "earliest", "latest"]] = big_bang, big_bang + 1e10, big_bang, big_bang + 1e10
    tl.memo.clear()
    fig = build_figure(tl, View())
    assert fig["data"][0]["type"] == "heatmap"
    assert fig["layout"]["xaxis"]["type"] == "linear" and "10 Ga" in fig["layout"]["xaxis"]["ticktext"]
    assert len(json.dumps(fig)) < 2_000_000


@pytest.mark.parametrize("themes", [("diplomacy",), ("diplomacy", "security")])  # a legend of one row at both widths
def test_a_phones_title_sits_as_far_above_the_legend_as_a_wide_figures(themes):
    """A narrow figure's title is lowered below plotly's mode bar: its top margin grows by as much, so
    the legend (drawn just above the plot's top) never covers the subtitle, whatever its rows."""
    timeline = load_timeline(DATASET)
    view = View(themes=themes)

    def title_to_plot_px(width: int) -> float:
        layout = build_figure(timeline, view, FigureOptions(layout_width=width))["layout"]
        title_top = (1 - layout["title"]["y"]) * layout["height"]
        return layout["margin"]["t"] - title_top

    assert title_to_plot_px(390) == pytest.approx(title_to_plot_px(1400))


@pytest.mark.parametrize("scale", ["time", "sequence", "log"])
def test_a_story_period_is_framed_on_every_scale(small_csv, scale):
    """Review #12: on the log axis a period's end maps left of its start (fewer years ago), so the
    highlight's frame (drawn only when end > start) was never drawn there."""
    from dashboard.core.story import shown_view
    from dashboard.render.figure import HIGHLIGHT_COLOR

    timeline = load_timeline(small_csv)
    row = int(np.flatnonzero(timeline.events["id"].to_numpy() == "occupation")[0])
    view = View(scale=scale, story=1 + [int(r) for r in _story(timeline)].index(row))
    shown, step = shown_view(timeline, view)
    assert step.row == row
    fig = build_figure(timeline, shown, FigureOptions(highlight=row))
    frames = [s for s in fig["layout"]["shapes"] if s.get("line", {}).get("color") == HIGHLIGHT_COLOR]
    assert len(frames) == 1 and frames[0]["x0"] < frames[0]["x1"]


def _story(timeline):
    from dashboard.core.story import story_rows

    return story_rows(timeline, View())


# The overview strip on a phone and in Japanese: its year ticks fit its width, unrotated, in the reader's language.

from dashboard.render.figure import NARROW_MARGIN, build_overview  # noqa: E402


@pytest.mark.parametrize("first", ["-3000", "-490", "500"])
@pytest.mark.parametrize("width", [360, 390, 800, 1440])
def test_overview_year_ticks_fit_the_strip_side_by_side(tmp_path, first, width):
    path = tmp_path / "span.csv"
    path.write_text(f"id,date,title,themes\n1,{first},First,war\n2,2020,Last,war\n", encoding="utf-8")
    tl = load_timeline(path)
    fig = build_overview(tl, View(), np.arange(2), options=FigureOptions(layout_width=width))
    layout = fig["layout"]
    plot_w = width - layout["margin"]["l"] - layout["margin"]["r"]
    if width < 640:
        assert layout["margin"]["l"] == NARROW_MARGIN["l"]  # no lane names beside a strip: no margin for them
    text = layout["xaxis"]["ticktext"]
    assert len(text) >= 2
    widest = max(text_width(t, 11) for t in text)
    assert len(text) * (widest + 12) <= plot_w  # each label has its own room: plotly draws them level


def test_overview_ticks_speak_the_readers_language(tmp_path):
    path = tmp_path / "span.csv"
    path.write_text("id,date,title,themes\n1,-490,First,war\n2,2020,Last,war\n", encoding="utf-8")
    tl = load_timeline(path)
    fig = build_overview(tl, View(), np.arange(2), options=FigureOptions(lang="ja"))
    assert all(t.endswith("年") for t in fig["layout"]["xaxis"]["ticktext"])
    assert "紀元前500年" in fig["layout"]["xaxis"]["ticktext"]


def test_a_lane_of_periods_alone_is_in_the_legend(write_csv):
    """plotly shows no legend entry for a trace without points: a file of wars (periods only) had no
    legend at all, in the page and its images."""
    text = "date,end_date,title,themes\n1914,1918,World War I,war\n1939,1945,World War II,war;politics\n1950,,Korea,korea\n"
    fig = build_figure(load_timeline(write_csv(text)), View(), FigureOptions(lang="ja"))
    keyed = {}
    for t in fig["data"]:
        if t.get("showlegend", True) and t["type"] in ("scatter", "bar"):
            n = len(values(t["x"])) if t.get("x") is not None else 0
            keyed[t["name"]] = keyed.get(t["name"], 0) + n
    assert keyed == {"戦争": 2, "内政": 1, "朝鮮半島": 1}, keyed


def test_long_lane_names_fit_the_margin_in_two_lines(write_csv):
    """plotly right-aligns lane names against the plot: a long one ran past the figure's left edge and
    was read from its middle ('e name number 0')."""
    from dashboard.render.figure import MARGIN_NAME_PX

    long = ["International relations", "Theme with a fairly long descriptive name number 1", "War"]
    text = "date,title,themes\n" + "".join(f"{1900 + i},E{i},{t}\n" for i, t in enumerate(long))
    ticks = build_figure(load_timeline(write_csv(text)), View(), FigureOptions(width=1440))["layout"]["yaxis"][
        "ticktext"
    ]
    assert ticks[0] == "War" and ticks[1] == "International<br>relations"  # the shipped themes' lanes first
    lines = ticks[2].split("<br>")
    assert len(lines) == 2 and lines[0].startswith("Theme") and lines[1].endswith("…")
    assert all(text_width(html.unescape(line), 13) <= MARGIN_NAME_PX for t in ticks for line in t.split("<br>"))


EMPERORS = (
    "id,date,end_date,title,themes\nmeiji,1868-10-23,1912-07-30,Meiji era,emperors\n"
    "taisho,1912-07-30,1926-12-25,Taishō era,emperors\nshowa,1926-12-25,1989-01-07,Shōwa era,emperors\n"
    "heisei,1989-01-08,2019-04-30,Heisei era,emperors\nreiwa,2019-05-01,,Reiwa era begins,emperors\n"
)


@pytest.mark.parametrize("width", [1600, 1126])
def test_a_topic_added_beside_a_curated_dataset_gets_labels_of_its_own(write_csv, width):
    """A file added as a topic (no importances: every event a 3) beside the shipped dataset (4s and 5s)
    got no label at all in its lane, however much room there was: each lane labels its own most
    important events in view, taking turns with the other lanes' at the same rank."""
    from dashboard.core.topics import combine

    shipped = load_timeline(DATASET)
    added = load_timeline(write_csv(EMPERORS, name="emperors.csv"))
    both = combine([("events", shipped), ("emperors", added)])
    boxes, plot_w, plot_h = label_boxes(build_figure(both, View(), FigureOptions(width=width)), width)
    assert_apart(boxes, plot_w, plot_h)
    assert len(set(boxes) & set(added.events["title"])) >= 3, sorted(boxes)
    alone, _, _ = label_boxes(build_figure(shipped, View(), FigureOptions(width=width)), width)
    featured = set(shipped.events["title"][shipped.events["importance"] == 5])
    assert featured & set(alone) <= set(boxes)  # the shipped dataset's featured labels all kept


def test_an_event_in_a_busy_and_a_quiet_lane_is_labelled_in_the_quiet_one(write_csv):
    """A 3 drawn both in a lane of 4s and in a lane of 3s is labelled for the quiet lane only: in the
    busy lane it would stand beside labels of more important events."""
    tl = load_timeline(
        write_csv(
            "date,title,themes,importance\n1800,Busy one,trade,4\n1810,Busy two,trade,4\n2020,Busy three,trade,4\n"
            "1925,Shared,trade;war,3\n1990,Quiet,war,3\n"
        )
    )
    lay = build_figure(tl, View(), FigureOptions(width=1200))["layout"]
    lanes = dict(zip(lay["yaxis"]["ticktext"], lay["yaxis"]["tickvals"], strict=True))
    at = {a["text"]: a["y"] for a in lay["annotations"] if a.get("showarrow")}
    assert {"Busy one", "Busy two", "Busy three", "Shared", "Quiet"} <= set(at)
    assert at["Shared"] == at["Quiet"] == next(v for k, v in lanes.items() if "War" in k)
