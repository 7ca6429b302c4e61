"""Build the timeline figure: one lane per theme, markers for events, bars for periods.

The same function serves the browser and the exporters, so what is downloaded
is what is on screen. Dates go to plotly as epoch milliseconds (the only form
its date axis draws correctly for BCE and three-digit years). User text is
escaped before it reaches plotly, whose labels understand a little HTML.

Figures are plain plotly dicts, numeric arrays as typed-array specs: building one
takes milliseconds (plotly's validating objects took half a second at a million
events) and the JSON the browser receives stays small.
"""

from __future__ import annotations

import base64
import html
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np

from ..core import dates
from ..core.aggregate import Density, density, in_window
from ..core.i18n import DEFAULT_LANGUAGE, N_, Translator, translator
from ..core.japanese import japanese_dates, japanese_year
from ..core.lives import life_labels, life_only, life_span, lives_of
from ..core.model import Timeline, in_language
from ..core.query import SCALES, View, date_bounds, filter_events, possible_span
from ..core.topics import lane_groups, local_theme

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A200"]
"""Okabe–Ito colours, distinguishable with the common colour-vision deficiencies
(the yellow darkened to read on white)."""
SYMBOLS = ["circle", "diamond", "square", "triangle-up", "pentagon", "star"]
"""Past eight lanes the colours repeat; the marker shape then tells lanes apart."""

FONT = "Noto Sans, DejaVu Sans, Arial, sans-serif"
FONT_CJK = "Noto Sans CJK JP, Noto Sans, DejaVu Sans, sans-serif"
"""Japanese text in a Japanese face (the CJK Noto, installed by scripts/setup.sh) in the page and in images."""
LANE_PX = 80
MARGIN = dict(l=110, r=30, t=140, b=50)
NARROW_PX = 640
"""A figure narrower than this (a phone) names its lanes inside the plot, over each lane's top left,
instead of in a margin that would take a third of its width."""
NARROW_MARGIN = dict(MARGIN, l=8, r=8)
SUBTITLE_FONT = 13
SUBTITLE_LINE_PX = 17
"""How much lower the legend and plot sit for each line the subtitle wraps to (13 px text in plotly)."""
NARROW_TITLE_DROP = 24
"""How much lower a narrow figure's title sits (below plotly's mode bar), and so how much taller its
top margin is: the legend stays clear of the title's subtitle."""
LANE_NAME_PX = 16
"""Height of a lane's name drawn inside a narrow plot (kept clear of event labels)."""
ERA_ROW_PX = 15
LABEL_FONT = 11
LABEL_H = 18
"""A label's box as browsers draw it (font, padding and border), in px."""
LABEL_ROW = LABEL_H + 3
"""Vertical distance between label rows, in px."""
LABEL_SHIFTS = (0, 30, 60, 100, 150, 220, 300)
"""How far (px) a featured label may be moved sideways past its marker, a leader line joining them."""
MINOR_SHIFT = 60
"""How far other labels may be moved (long leader lines are hard to follow: only for featured events)."""
LABEL_CHARS = 48
"""Longest label (a longer title is cut with an ellipsis)."""
MAX_LANE_PX = 200
"""Tallest a lane grows to make room for the labels that must be shown."""
FEATURED_IMPORTANCE = 5
"""Events of this importance are labelled first, and lanes grow (see GROW_FOR) until they all fit."""
MAX_MISSES = 50
"""Candidates in a row that find no room before the placer stops looking (the view is full)."""
GROW_FOR = 4
"""Lanes grow only when at most this many featured events are left without a label."""
MAX_GROWN_PX = 960
"""Lanes grow only while all of them together stay this tall (a page of many lanes does not grow)."""
MAX_POINTS = 2500
"""Most events drawn one by one; past this many in view the figure shows their density."""
BAR_WIDTH = 0.22
"""Thickness of a period's bar, as a share of a lane."""
TAPE_WIDTH = 0.4
"""Thickness of the faded tape over the span an uncertain date may cover, as a share of a lane."""
LIFE_PX = 2
"""Width of a person's life line behind their event's bar (px); a life alone is drawn LIFE_ALONE_PX wide."""
LIFE_ALONE_PX = 4
MIN_AGE_YEARS = 0.1
"""On the log scale, nothing is drawn closer to the present than this (the log of 0 is undefined)."""


@dataclass(frozen=True)
class FigureOptions:
    """How to draw: ``width=None`` lets the browser size the plot (``layout_width`` is then
    the width assumed when placing labels)."""

    title: str | None = None
    width: int | None = None
    height: int | None = None
    layout_width: int = 1200
    max_labels: int = 40
    label_min_importance: int = 4
    lang: str = DEFAULT_LANGUAGE
    """The language of the figure's own text, its dates and (where the file has them, as title_ja)
    its events' titles."""
    highlight: int | None = None
    """An event row to mark (a story's step): a ring on it in each of its lanes, a frame round a period."""

    @property
    def narrow(self) -> bool:
        """A phone's figure: lanes named inside the plot (see NARROW_PX)."""
        return (self.width or self.layout_width) < NARROW_PX


class Figure(TypedDict):
    """A plotly figure as plain dicts, as plotly.js reads it (numeric arrays as :func:`typed` specs)."""

    data: list[dict[str, Any]]
    """The traces, drawn in this order."""
    layout: dict[str, Any]
    """Size, axes, legend, annotations and shapes."""


_TYPED = {
    "float64": "f8",
    "float32": "f4",
    "int8": "i1",
    "int16": "i2",
    "int32": "i4",
    "uint8": "u1",
    "uint16": "u2",
    "uint32": "u4",
}


def typed(values: np.ndarray) -> dict[str, str] | list[Any]:
    """A numeric array as plotly.js's compact typed-array spec: ``{dtype, bdata (base64), shape}``."""
    arr = np.asarray(values)
    if arr.dtype == np.int64 or arr.dtype == np.uint64:
        arr = arr.astype(np.int32) if len(arr) == 0 or (arr.min() >= -(2**31) and arr.max() < 2**31) else arr
    code = _TYPED.get(str(arr.dtype))
    if code is None or arr.size == 0:
        plain: list[Any] = arr.tolist()
        return plain
    spec = {
        "dtype": code,
        "bdata": base64.b64encode(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()).decode(
            "ascii"
        ),
    }
    if arr.ndim > 1:
        spec["shape"] = ",".join(str(d) for d in arr.shape)
    return spec


def lane_style(i: int) -> tuple[str, str]:
    return PALETTE[i % len(PALETTE)], SYMBOLS[(i // len(PALETTE)) % len(SYMBOLS)]


THEME_NAMES = {
    "diplomacy": N_("Diplomacy"),
    "security": N_("Security"),
    "trade": N_("Trade"),
    "war": N_("War"),
    "china": N_("China"),
    "korea": N_("Korea"),
    "memory": N_("Memory"),
    "politics": N_("Politics"),
}
"""The shipped dataset's themes (core.model.THEME_VOCABULARY), named in each language of the
catalogues; a file's other themes are its own words and read as written."""


def theme_label(theme: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A theme as people read it: 'security' -> 'Security' (names with capitals stay as written); a
    lane of a topic by its theme alone ('monarchs › war' -> 'War': the topic heads its group). The
    shipped dataset's themes in ``lang``."""
    theme = local_theme(theme)
    if theme in THEME_NAMES:
        return translator(lang)(THEME_NAMES[theme])
    return theme[:1].upper() + theme[1:] if theme.islower() else theme


def figure_title(timeline: Timeline, given: str | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The title a timeline is shown under, in the page, its downloads and the command line's exports
    alike: the one given (``--title``), else the file's own, else 'Timeline of events.csv', in ``lang``
    (a title the catalogues hold, the shipped one, is translated)."""
    t = translator(lang)
    given = given or timeline.title
    return t(given) if given else t("Timeline of {name}", name=timeline.source_name)


def plot_label(theme: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A theme's label made safe for plotly, which reads a little HTML in every text it draws."""
    return plot_text(theme_label(theme, lang))


def plot_text(text: str, limit: int | None = None) -> str:
    """User text made safe for plotly labels: no tags, no entities, optionally shortened."""
    return html.escape(plot_text_plain(text, limit), quote=False)


HOVER_FONT = 13
"""plotly's hover box font size (px)."""


def hover_px(width: int) -> float:
    """How wide a hover box's lines may be in a figure ``width`` px wide: plotly sets the box beside its
    point, on the side with more room, so a box wider than half the figure is cut off at the screen's
    edge on a phone; on a wide screen, lines of a few dozen words are easier to read."""
    return max(140.0, min(420.0, width / 2 - 40))


def wrapped(text: str, px: float, size: int = HOVER_FONT, limit: int | None = None, gap: str = " ") -> str:
    """User text as :func:`plot_text` makes it, broken into lines (``<br>``) of at most ``px`` (as
    :func:`text_width` measures) at the gaps ``gap`` between words, and inside a word too wide for a
    line (Japanese has no spaces), though never before a combining mark nor inside an emoji sequence."""
    text = plot_text_plain(text, limit)
    if text_width(text, size) <= px:  # most titles: one line
        return html.escape(text, quote=False)
    room = px - text_width("", size)
    end = gap.rstrip()  # a list's comma stays at the end of its line: room is kept for it
    gap_px, end_px = (sum(char_px(ch, size) for ch in part) for part in (gap, end))
    lines: list[str] = []
    line, used = "", 0.0
    for word in text.split(gap):
        widths = [char_px(ch, size) for ch in word]
        width = sum(widths)
        if line and used + gap_px + width + end_px <= room:
            line, used = line + gap + word, used + gap_px + width
            continue
        if not line and width + end_px <= room:
            line, used = word, width
            continue
        if line:
            lines.append(line + end)
        line, used = "", 0.0
        for i, (ch, w) in enumerate(zip(word, widths, strict=True)):
            if line and used + w > room and not _joined(word, i):
                lines.append(line)
                line, used = "", 0.0
            line, used = line + ch, used + w
    lines.append(line)
    return "<br>".join(html.escape(one, quote=False) for one in lines)


def char_px(ch: str, size: int) -> float:
    """A character's width in :func:`text_width`'s reckoning."""
    return (1.05 if not ch.isascii() and unicodedata.east_asian_width(ch) in "WF" else 0.58) * size


def _joined(word: str, i: int) -> bool:
    """Whether ``word[i]`` belongs with the character before it: a combining mark (é written as e and
    an accent), an emoji's variation selector, or either side of a zero-width joiner (👨‍👩‍👧)."""
    ch = word[i]
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0f" or word[i - 1] == "\u200d"


def plot_text_plain(text: str, limit: int | None = None) -> str:
    """User text on one line, optionally shortened (:func:`plot_text` before it is made safe)."""
    text = " ".join(str(text).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def text_width(text: str, size: int = LABEL_FONT) -> float:
    """Rough rendered width in px: wide (CJK) characters count double."""
    wide = 0 if text.isascii() else sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return (len(text) - wide) * 0.58 * size + wide * 1.05 * size + 8


LEGEND_ROW_PX = 29
"""How far apart plotly sets the rows of a horizontal legend (12 px names; measured in Chromium)."""


def legend_rows(names: list[str], plot_w: float) -> int:
    """How many rows a horizontal legend of ``names`` wraps to (its items as plotly lays them out)."""
    rows, used = 1, 0.0
    for name in names:
        w = text_width(name, 12) + 40
        if used and used + w > plot_w:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def figure_height(n_lanes: int, lane_px: int = LANE_PX) -> int:
    return MARGIN["t"] + MARGIN["b"] + lane_px * max(n_lanes, 2)


def visible_lanes(timeline: Timeline, view: View) -> list[str]:
    return [t for t in timeline.themes if view.themes is None or t in view.themes]


def x_extent(
    timeline: Timeline, view: View, rows: np.ndarray, span: tuple[float, float] | None = None
) -> tuple[float, float]:
    """The x range to show: the zoom if any, else the matching events (or the date filter) padded.
    ``span``: the earliest and latest ms the matches may cover, when an engine counted them."""
    if view.x_range is not None:
        return view.x_range
    if span is not None:
        lo, hi = span
    else:
        earliest, latest = possible_span(timeline)
        if 0 < len(rows) < len(earliest):  # else every event (rows are distinct), or none: the whole file
            earliest, latest = earliest[rows], latest[rows]
        lo, hi = float(earliest.min()), float(latest.max())
    lives = lives_of(timeline.lives, rows) if len(rows) else timeline.lives
    if len(lives):  # a life reaches before and after its event: show all of it
        born, died = life_span(lives, possible=True)
        lo, hi = min(lo, float(born.min())), max(hi, float(died.max()))
    flo, fhi = date_bounds(view)
    some = len(rows) > 0 or span is not None
    if np.isfinite(flo):
        lo = max(lo, flo) if some else flo
    if np.isfinite(fhi):
        hi = min(hi, fhi) if some else fhi
    pad = max((hi - lo) * 0.04, 180 * dates.MS_PER_DAY)
    return lo - pad, hi + pad


def span_of(timeline: Timeline, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(earliest, latest) epoch ms each event of ``rows`` may cover: wider than start..last for an
    uncertain or approximate date ("c. 1600", "156X"), never narrower."""
    earliest, latest = possible_span(timeline)
    return earliest[rows], latest[rows]


def year_ms(astro_years: np.ndarray) -> np.ndarray:
    """Epoch ms of 1 January of each astronomical year, for years of any size."""
    y = np.asarray(astro_years, dtype=np.int64)
    ms: np.ndarray = dates.days_from_civil(y, np.ones_like(y), np.ones_like(y)).astype(np.float64) * dates.MS_PER_DAY
    return ms


def ms_year(ms: np.ndarray | float) -> np.ndarray:
    """Fractional astronomical year of epoch ms (mean Gregorian years: for axis labels, not for dates)."""
    years: np.ndarray = 1970 + np.asarray(ms, dtype=np.float64) / dates.MS_PER_YEAR
    return years


@dataclass(frozen=True)
class XMap:
    """Where an instant (epoch ms) goes on the x axis of a scale.

    time: the instant itself. log: log10 of the years before ``present``. sequence: the events drawn,
    evenly spaced in date order, event i at x = i; any other instant between the events around it.
    """

    scale: str = "time"
    present: float = 0.0
    knots: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """sequence: the drawn events' start ms, in rank order."""
    ranked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """sequence: the drawn events' rows, in rank order."""

    def __call__(self, ms: np.ndarray | list[float]) -> np.ndarray:
        ms = np.asarray(ms, dtype=np.float64)
        if self.scale == "log":
            x: np.ndarray = np.log10(np.maximum((self.present - ms) / dates.MS_PER_YEAR, MIN_AGE_YEARS))
            return x
        if self.scale == "sequence":
            if len(self.knots) == 0:
                return np.zeros_like(ms)
            seq: np.ndarray = np.interp(ms, self.knots, np.arange(len(self.knots), dtype=np.float64))
            return seq
        return ms

    def rank(self, rows: np.ndarray) -> np.ndarray:
        """sequence: each row's place in date order (rows must be among those drawn)."""
        order = np.argsort(self.ranked, kind="stable")
        return order[np.searchsorted(self.ranked[order], rows)].astype(np.float64)


def make_xmap(scale: str, timeline: Timeline, rows: np.ndarray) -> XMap:
    """The x mapping of ``scale`` for drawing ``rows``."""
    if scale == "log":
        return XMap("log", present=log_present(timeline))
    if scale == "sequence":
        start = timeline.column("start")[rows]
        order = np.lexsort((rows, start))
        return XMap("sequence", knots=start[order], ranked=np.asarray(rows)[order])
    return XMap()


def scale_rows(timeline: Timeline, view: View, rows: np.ndarray) -> np.ndarray:
    """The rows the sequence and log scales draw: those in the zoom, at most MAX_POINTS of them (the
    most important: these scales draw no density)."""
    visible = rows
    if view.x_range is not None:
        x0, x1 = view.x_range
        visible = in_window(timeline, rows, x0, x1)
    return most_important(timeline, visible, MAX_POINTS) if len(visible) > MAX_POINTS else visible


def axis_to_ms(timeline: Timeline, view: View, rows: np.ndarray, values: tuple[float, float]) -> tuple[float, float]:
    """Two x axis positions of ``view``'s figure (after a zoom) as epoch ms, earlier first: the inverse
    of the scale's mapping (ranks of the sequence, log10 years before present of the log scale).
    Values out of any range give NaN or infinities, which the caller refuses."""
    a, b = values
    if view.scale == "log":
        present = log_present(timeline)
        with np.errstate(over="ignore", invalid="ignore"):
            ms = present - np.power(10.0, np.array([a, b])) * dates.MS_PER_YEAR
    elif view.scale == "sequence":
        xmap = make_xmap("sequence", timeline, scale_rows(timeline, view, rows))
        if len(xmap.knots) == 0:
            return math.nan, math.nan
        ms = np.interp(np.array([a, b]), np.arange(len(xmap.knots), dtype=np.float64), xmap.knots)
    else:
        ms = np.array([a, b], dtype=np.float64)
    lo, hi = sorted(float(v) for v in ms)
    return lo, hi


def log_present(timeline: Timeline) -> float:
    """The log scale's present: 1 January of the year after the timeline's latest event (so every
    event, 2016 included, is some time before it; ka, Ma and Ga differ from 'before 1950' by decades)."""
    _, latest = possible_span(timeline)
    top = float(np.nanmax(latest)) if len(latest) else 0.0
    (year,), _, _ = dates.civil_from_days(np.array([int(top // dates.MS_PER_DAY)]))
    return float(year_ms(np.array([int(year) + 1]))[0])


def positions(xmap: XMap, timeline: Timeline, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """(at, end, low, high) on the x axis for ``rows``: the marker (a period's start), a period's end,
    and the ends of the span an uncertain date may cover."""
    earliest, latest = span_of(timeline, rows)
    last = timeline.column("last")[rows]
    if xmap.scale == "sequence":
        at = xmap.rank(rows)
        end = np.maximum(xmap(last), at)
        return at, end, np.minimum(xmap(earliest), at), np.maximum(xmap(latest), end)
    return xmap(timeline.column("start")[rows]), xmap(last), xmap(earliest), xmap(latest)


@dataclass(frozen=True)
class Counted:
    """What an engine counted for a figure whose ``timeline`` holds only the events it draws
    (:func:`queried_figure`): the matches, the span they may cover, and (when more are in view than
    are drawn) their density in view."""

    matched: int
    span: tuple[float, float] | None
    density: Density | None


def build_figure(
    timeline: Timeline,
    view: View,
    options: FigureOptions = FigureOptions(),
    rows: np.ndarray | None = None,
    counted: Counted | None = None,
) -> Figure:
    """The figure for ``view``. Raises ValueError when the view's dates are not valid.

    With ``counted``, ``rows`` are the events to draw (all in view, or the label candidates past
    MAX_POINTS in view) and the rest comes from ``counted``."""
    if rows is None:
        rows = filter_events(timeline, view)
    matched = len(rows) if counted is None else counted.matched
    lanes = visible_lanes(timeline, view)
    t = translator(options.lang)
    narrow = options.narrow
    margin = NARROW_MARGIN if narrow else MARGIN
    plot_w = (options.width or options.layout_width) - margin["l"] - margin["r"]
    extra = LEGEND_ROW_PX * (legend_rows([theme_label(lane, options.lang) for lane in lanes], plot_w) - 1)
    extra += NARROW_TITLE_DROP if narrow else 0
    lane_px, labels = LANE_PX, list[Label]()
    scale = view.scale if view.scale in SCALES else "time"
    note = ""

    def described(note: str) -> str:
        """The subtitle, in lines as wide as the figure (a phone's is some 350 px) at its separators."""
        said = describe_view(timeline, view, matched, t, _in_view(timeline, view, rows, counted))
        width = (options.width or options.layout_width) * 0.98 - 8  # the title starts 1% in
        return wrapped(said + (" · " + note if note else ""), width, SUBTITLE_FONT, gap=" · ")

    subtitle = ""
    if matched and lanes:
        span = None if counted is None else counted.span
        x0, x1 = (float(v) for v in x_extent(timeline, view, rows, span))
        if counted is not None:
            visible, scale = rows, "time"
            xmap = XMap()
            ax0, ax1 = x0, x1
        elif scale == "time":
            # Few matches: draw them all, so that panning needs no new figure. Many: only what is in view,
            # and past MAX_POINTS in view, its density per lane and period instead.
            visible = rows if len(rows) <= MAX_POINTS else in_window(timeline, rows, x0, x1)
            xmap = XMap()
            ax0, ax1 = x0, x1
        else:
            visible = scale_rows(timeline, view, rows)
            if (len(visible) < len(rows) and view.x_range is None) or len(visible) == MAX_POINTS:
                note = t("the {n:,} most important shown (the time scale shows them all)", n=MAX_POINTS)
            xmap = make_xmap(scale, timeline, visible)
            ax0, ax1 = _scale_range(xmap, timeline, visible, view.x_range, plot_w)
        subtitle = described(note)
        extra += subtitle.count("<br>") * SUBTITLE_LINE_PX
        candidates = visible if len(visible) <= MAX_POINTS else most_important(timeline, visible)
        dense = (
            counted.density
            if counted is not None
            else None
            if len(visible) <= MAX_POINTS
            else density(timeline, visible, lanes, x0, x1)
        )
        lane_px, labels = label_layout(timeline, options, lanes, candidates, xmap, (ax0, ax1), plot_w, extra)
    height = options.height or figure_height(len(lanes), lane_px) + extra
    title = figure_title(timeline, options.title, options.lang)
    layout: dict[str, Any] = dict(
        title=dict(
            text=plot_text(title),
            x=0.01,
            xanchor="left",
            y=1 - (12 + (NARROW_TITLE_DROP if narrow else 0)) / height,  # on a phone, below plotly's mode bar
            yanchor="top",
            yref="container",
            font=dict(size=16 if narrow else 22),
            subtitle=dict(text=subtitle or described(""), font=dict(size=SUBTITLE_FONT)),
        ),
        font=dict(family=FONT_CJK if options.lang == "ja" else FONT, size=12, color="#222"),
        template="plotly_white",
        height=height,
        margin={**margin, "t": margin["t"] + extra},
        hovermode="closest",
        showlegend=True,
        legend=dict(
            orientation="h",
            x=0.0,
            xanchor="left",
            y=1.0,
            yanchor="bottom",
            font=dict(size=12),
            itemclick=False,
            itemdoubleclick=False,
        ),
        dragmode="zoom",
        barmode="overlay",
        paper_bgcolor="white",
        plot_bgcolor="white",
        annotations=[],
        shapes=[],
    )
    if options.width:
        layout["width"] = options.width
    fig: Figure = {"data": [], "layout": layout}
    if matched == 0 or not lanes:
        return _empty(fig, t("No events match these filters") if lanes else t("No themes selected"))

    era_rows = _draw_eras(fig, timeline, xmap, ax0, ax1, plot_w, options.lang)
    layout["legend"]["y"] = 1 + (era_rows * ERA_ROW_PX + 6) / (height - MARGIN["t"] - extra - MARGIN["b"])
    hover = hover_px(options.width or options.layout_width)
    if dense is None:
        _draw_events(fig, timeline, lanes, visible, xmap, options.lang, hover)
    else:
        _draw_density(fig, timeline, dense, options.lang)
        labelled = np.array(sorted(label.row for label in labels), dtype=np.int64)
        _draw_events(fig, timeline, lanes, labelled, xmap, options.lang, hover)
    layout["annotations"] += [label.annotation() for label in labels]
    if options.highlight is not None and (scale == "time" or bool(np.any(visible == options.highlight))):
        _draw_highlight(fig, timeline, lanes, options.highlight, xmap)

    if scale == "log":
        ticks = log_ticks(ax1, ax0, min(max(int(plot_w // TICK_PX), 2), 14), options.lang)
        title = t("years before present (logarithmic)")
    elif scale == "sequence":
        ticks = sequence_ticks(timeline, xmap, ax0, ax1, plot_w, options.lang)
        title = t("events in date order, evenly spaced")
    else:
        ticks, title = time_axis(x0, x1, options.lang, plot_w), ""
    if "ticktext" in ticks:  # ours (plotly's own date ticks keep inside the figure)
        ticks = within_figure(ticks, ax0, ax1, margin["l"], plot_w, plot_w + margin["l"] + margin["r"])
    layout["xaxis"] = dict(
        range=[ax0, ax1],
        showgrid=True,
        gridcolor="#e6e6e6",
        zeroline=False,
        showline=True,
        linecolor="#888",
        ticks="outside",
        automargin=True,
        **ticks,
    )
    if title:
        layout["xaxis"]["title"] = dict(text=title, font=dict(size=12, color="#555"), standoff=6)
    layout["yaxis"] = dict(
        tickvals=list(range(len(lanes))),
        ticktext=[lane_tick(lane, options.lang) for lane in lanes],
        range=[len(lanes) - 0.5, -0.5],
        showgrid=False,
        zeroline=False,
        fixedrange=True,
        tickfont=dict(size=13),
    )
    _label_topics(layout, timeline, lanes)
    if narrow:
        _name_lanes_inside(layout)
    layout["shapes"] += [_divider(i - 0.5, "#d0d0d0", 1, "below") for i in range(1, len(lanes))]
    _name_traces(fig)
    return fig


MARGIN_NAME_PX = MARGIN["l"] - 2
"""Room for a lane's name in the left margin, as :func:`text_width` reckons it (generously: "International" at 13 px
is 106 px by it, about 85 px drawn)."""


def lane_tick(lane: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A lane's name for the left margin: in two lines at most that fit it, the second cut short if
    need be ('International<br>relations'); plotly would let a longer one run past the figure's edge."""
    lines = wrapped(theme_label(lane, lang), MARGIN_NAME_PX, size=13).split("<br>")
    if len(lines) <= 2:
        return "<br>".join(lines)
    second = html.unescape(" ".join(lines[1:]))
    while len(second) > 1 and text_width(second + "…", 13) > MARGIN_NAME_PX:
        second = second[:-1]
    return lines[0] + "<br>" + html.escape(second.rstrip() + "…", quote=False)


TOPIC_CHARS = 13
"""Longest line of a topic's name in the left margin (longer names wrap, then are cut)."""


def topic_heading(name: str, most: int = 2) -> str:
    """A topic's name for the margin: safe for plotly, bold, at most ``most`` lines of TOPIC_CHARS."""
    words, lines = theme_label(name).split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > TOPIC_CHARS:
            lines.append("")
        lines[-1] = (lines[-1] + " " + word).strip()
    shown = [plot_text(line, TOPIC_CHARS) for line in lines[:most]]
    if len(lines) > most:
        shown[-1] = plot_text(lines[most - 1] + " " + lines[most], TOPIC_CHARS)
    return "<b>" + "<br>".join(shown) + "</b>"


def _name_lanes_inside(layout: dict[str, Any]) -> None:
    """A narrow figure's lane names (and topic headings) over the top left of each lane, in the plot."""
    axis = layout["yaxis"]
    names = list(axis["ticktext"])
    heads = [a for a in layout["annotations"] if a.get("meta") == "topic"]
    for head in heads:  # 'Topic' heading of a group: before its first lane's name
        first = int(head["y"] + 0.5)
        names[first] = head["text"] + " · " + names[first]
        layout["annotations"].remove(head)
    axis["showticklabels"] = False
    layout["annotations"] += [
        dict(
            text=name.replace("<br>", " "),
            xref="paper",
            x=0,
            xanchor="left",
            yref="y",
            y=i - 0.5,
            yanchor="top",
            yshift=-1,
            showarrow=False,
            font=dict(size=11, color="#333"),
            bgcolor="rgba(255,255,255,0.85)",
            meta="lane",
        )
        for i, name in enumerate(names)
    ]


def _label_topics(layout: dict[str, Any], timeline: Timeline, lanes: list[str]) -> None:
    """Lanes grouped by topic: the topic's name in the margin at the top of its first lane (or as the
    lane's label, for a topic of one lane named as the topic), and a darker line between topics."""
    ticktext = layout["yaxis"]["ticktext"]
    for topic, first, count in lane_groups(timeline, lanes):
        if count == 1 and local_theme(lanes[first]).lower() == topic.lower():
            ticktext[first] = topic_heading(topic, most=3)  # a lane's height holds three lines
        else:
            layout["annotations"].append(
                dict(
                    text=topic_heading(topic),
                    xref="paper",
                    x=0,
                    xanchor="right",
                    xshift=-8,
                    yref="y",
                    y=first - 0.5,
                    yanchor="top",
                    yshift=-3,
                    align="right",
                    showarrow=False,
                    font=dict(size=12, color="#333"),
                    meta="topic",
                )
            )
        if first > 0:
            layout["shapes"].append(_divider(first - 0.5, "#7a7a7a", 2, "above"))


def _divider(y: float, color: str, width: int, layer: str) -> dict[str, Any]:
    """A line across the plot between lanes (darker between topics)."""
    return dict(
        type="line", xref="paper", x0=0, x1=1, yref="y", y0=y, y1=y, line=dict(color=color, width=width), layer=layer
    )


def _name_traces(fig: Figure) -> None:
    """Fixed trace ids (plotly.js would draw random ones), so an SVG of a view is the same every time."""
    for i, trace in enumerate(fig["data"]):
        trace["uid"] = f"t{i}"


def year_ticks(x0: float, x1: float, target: int = 8) -> dict[str, Any]:
    """Year ticks written as historians do ("500 BCE") where plotly would print "-0499".

    Spans that stay after the year 1000 keep plotly's own date ticks, which adapt to zoom.
    """
    first = int(dates.civil_from_days(np.array([int(x0 // dates.MS_PER_DAY)]))[0][0])
    last = int(dates.civil_from_days(np.array([int(x1 // dates.MS_PER_DAY)]))[0][0])
    if first >= 1000:
        return {}
    span = max(last - first, 1)
    step = next(
        s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000) if span / s <= target
    )
    lo = int(dates.astronomical_to_historian(np.array([first]))[0])
    hi = int(dates.astronomical_to_historian(np.array([last]))[0])
    years = [k * step for k in range(-(-lo // step), hi // step + 1) if k != 0]
    astro = dates.historian_to_astronomical(np.array(years))
    ms = dates.days_from_civil(astro, np.ones_like(astro), np.ones_like(astro)) * dates.MS_PER_DAY
    keep = (ms >= x0) & (ms <= x1)
    return dict(
        tickmode="array",
        tickvals=ms[keep].astype(float).tolist(),
        ticktext=[dates.format_year(y) for y, k in zip(years, keep) if k],
        years=[y for y, k in zip(years, keep) if k],
    )


EDGE_PX = 12
"""Room left at either end of the sequence scale for the marker drawn there (importance 5: 15 px wide)."""


def _scale_range(
    xmap: XMap, timeline: Timeline, rows: np.ndarray, x_range: tuple[float, float] | None, plot_w: float
) -> tuple[float, float]:
    """The x axis range on the sequence or log scale (``plot_w`` px wide): every drawn event on the
    sequence; on the log scale the zoom (epoch ms) mapped, else every drawn event."""
    if xmap.scale == "sequence":
        # The events drawn are those in the zoom (a period begun before it among them): all of them,
        # spread across the width.
        a, b = 0.0, float(max(len(rows) - 1, 1))
        # Room for the largest marker's half at either end, however many events share the width.
        pad = max(0.7, (b - a) * EDGE_PX / max(plot_w - 2 * EDGE_PX, EDGE_PX))
        return a - pad, b + pad
    if x_range is not None:  # the zoom itself, as on the time scale: the events past it are not drawn
        old, new = (float(v) for v in xmap(np.array(x_range)))
        return old, new
    every = np.concatenate(positions(xmap, timeline, rows))
    old, new = float(every.max()), float(every.min())
    pad = max((old - new) * 0.04, 0.15)
    return old + pad, new - pad  # older to the left: the axis runs from the far past to the present


def age_label(years: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """Years before present as geologists write them: '13.8 Ga', '66 Ma', '300 ka', '100 years'; in
    Japanese in 億 and 万 years: '138億年', '6600万年', '100年'."""
    if lang == "ja":
        for unit, size in (("億年", 1e8), ("万年", 1e4), ("年", 1.0)):
            if years >= size * 0.9995 or unit == "年":
                return f"{float(f'{years / size:.3g}'):g}{unit}"
    for unit, size in (("Ga", 1e9), ("Ma", 1e6), ("ka", 1e3)):
        if years >= size * 0.9995:
            return f"{years / size:.3g} {unit}"
    return f"{years:.3g} year" + ("" if round(years, 3) == 1 else "s")


def log_ticks(lo: float, hi: float, target: int = 14, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """At most ``target`` ticks for a log10-of-years axis from ``lo`` to ``hi``: powers of ten (and 2,
    5 between them on a short span, if they fit; else every other power, or fewer), labelled
    '1 Ga', '10 Ma', '100 years' (:func:`age_label` in ``lang``)."""
    tried = [(1, 2, 5)] if hi - lo < 3 else []
    for mults in tried + [(1,)]:
        # the powers of ten in the range (and the decade begun before it, for its 2 and 5)
        first, last = (math.floor(lo), math.ceil(hi)) if len(mults) > 1 else (math.ceil(lo), math.floor(hi))
        every = 1 if len(mults) > 1 else max(1, math.ceil((last - first + 1) / target))
        vals, text = [], []
        for k, d in enumerate(range(first, last + 1)):
            if k % every:
                continue
            for m in mults:
                v = math.log10(m) + d
                if lo <= v <= hi:
                    vals.append(v)
                    text.append(age_label(m * 10.0**d, lang))
        if len(vals) <= target:
            break
    return dict(tickmode="array", tickvals=vals, ticktext=text)


def within_figure(
    ticks: dict[str, Any], ax0: float, ax1: float, left: float, plot_w: float, width: float
) -> dict[str, Any]:
    """``ticks`` without those whose label would stand past the figure's edge (a phone's plot reaches
    it: plotly then hides the label, or cuts it), the plot ``plot_w`` px wide from ``left``."""
    kept = [
        (v, t)
        for v, t in zip(ticks["tickvals"], ticks["ticktext"])
        if text_width(t, 12) / 2 <= left + (v - ax0) / (ax1 - ax0) * plot_w <= width - text_width(t, 12) / 2
    ]
    return ticks | dict(tickvals=[v for v, _ in kept], ticktext=[t for _, t in kept])


def short_dates(timeline: Timeline, rows: np.ndarray, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """Each event's date in a few characters, for tick labels: as written where short ("c. 1600"),
    else at its precision (in ``lang``, without the era year in Japanese); deep time as an age
    ("66 Ma")."""
    start, precision = timeline.column("start")[rows], timeline.column("start_prec")[rows]
    out = japanese_dates(start, precision, era=False) if lang == "ja" else dates.format_dates(start, precision)
    deep = start < dates.AXIS_MIN_MS
    if deep.any():
        ages = (1950 - ms_year(start[deep])).tolist()
        out[deep] = [age_label(a, lang) for a in ages]
    if "display_date" in timeline.events:
        shown = timeline.events["display_date"].to_numpy(dtype=object)[rows]
        out = np.where((shown != "") & (np.char.str_len(shown.astype(str)) <= 16), shown, out)
    return [plot_text(t) for t in out]


def sequence_ticks(
    timeline: Timeline, xmap: XMap, ax0: float, ax1: float, plot_w: float, lang: str = DEFAULT_LANGUAGE
) -> dict[str, Any]:
    """Ticks at evenly spaced events of the sequence, labelled with their dates in ``lang`` (as many
    as fit)."""
    n = len(xmap.ranked)
    r0, r1 = max(math.ceil(ax0), 0), min(math.floor(ax1), n - 1)
    if r1 < r0:
        return dict(tickmode="array", tickvals=[], ticktext=[])
    fit = max(int(plot_w // 110), 2)
    # At the middle of as many equal runs of the events in view as fit: every event when they all fit;
    # else none at the ends, where half a label would stand past the figure's edge on a phone.
    runs = min(fit, r1 - r0 + 1)
    ranks = np.unique(r0 + np.floor((np.arange(runs) + 0.5) * (r1 - r0 + 1) / runs).astype(np.int64))
    return dict(
        tickmode="array",
        tickvals=ranks.astype(float).tolist(),
        ticktext=short_dates(timeline, xmap.ranked[ranks], lang),
    )


JAPANESE_DATE_TICKS = [
    dict(dtickrange=[None, dates.MS_PER_DAY], value="%-H:%M<br>%Y年%-m月%-d日"),
    dict(dtickrange=[dates.MS_PER_DAY, "M1"], value="%-m月%-d日<br>%Y年"),
    dict(dtickrange=["M1", "M12"], value="%Y年%-m月"),
    dict(dtickrange=["M12", None], value="%Y年"),
]
"""Date tick labels as Japanese readers write them, at every zoom (in the figure, so exports have them)."""


TICK_PX = 80
"""Room for one year tick of our own ('12,000 BCE', '紀元前500年' at 11-12 px, and a gap): no more ticks
than fit side by side, or plotly turns them on end and cuts them."""


def time_axis(x0: float, x1: float, lang: str = DEFAULT_LANGUAGE, plot_w: float | None = None) -> dict[str, Any]:
    """The time scale's axis from x0 to x1 (epoch ms): plotly's date axis, which adapts its ticks to the
    zoom down to days, where it can draw the range (years -9999 to 9999); else a numeric axis of the
    same epoch ms with year labels ('4.5 Ga', '66 Ma', '12,000 BCE'), so a zoom moves between the two
    without a jump. Year ticks of our own are as many as fit ``plot_w`` px (a phone's, up to 8)."""
    target = 8 if plot_w is None else min(max(int(plot_w // TICK_PX), 2), 8)
    if x0 >= dates.AXIS_MIN_MS and x1 <= dates.AXIS_MAX_MS:
        ticks = year_ticks(x0, x1, target)
        if lang == "ja":
            if ticks:
                ticks["ticktext"] = [japanese_year(y) for y in ticks.pop("years")]
            else:
                ticks["tickformatstops"] = JAPANESE_DATE_TICKS
        ticks.pop("years", None)
        return dict(type="date", **ticks)
    return dict(type="linear", **deep_ticks(x0, x1, target, lang))


def _nice_step(raw: float) -> float:
    exp = math.floor(math.log10(max(raw, 1.0)))
    return next((m * 10.0**exp for m in (1, 2, 5) if m * 10.0**exp >= raw), 10.0 ** (exp + 1))


def deep_ticks(x0: float, x1: float, target: int = 8, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Year ticks for a span beyond the date axis: ages before 1950 ('66 Ma', '300 ka') where ticks are
    ten thousand years apart or more, else historians' years ('12,000 BCE', '1853'), in ``lang``."""
    year = japanese_year if lang == "ja" else dates.format_year
    y0, y1 = float(ms_year(x0)), float(ms_year(x1))
    step = _nice_step((y1 - y0) / target)
    vals: list[float] = []
    text: list[str] = []
    if step >= 10_000:
        for k in range(math.ceil((1950 - y1) / step), math.floor((1950 - y0) / step) + 1):
            age = k * step
            if age < 0:
                continue
            vals.append(float(year_ms(np.array([1950 - int(age)]))[0]))
            text.append(age_label(age, lang) if age else year(1950))
    else:
        s = int(step)
        lo, hi = math.ceil(y0), math.floor(y1)
        hist = [k * s for k in range(-(-(lo - 1) // s), hi // s + 1) if k]
        astro = dates.historian_to_astronomical(np.array(hist, dtype=np.int64))
        vals = year_ms(astro).tolist()
        text = [year(h) for h in hist]
    keep = [i for i, v in enumerate(vals) if x0 <= v <= x1]
    return dict(tickmode="array", tickvals=[vals[i] for i in keep], ticktext=[text[i] for i in keep])


def _in_view(timeline: Timeline, view: View, rows: np.ndarray, counted: Counted | None) -> int | None:
    """How many of the matches a zoom shows (None without a zoom; a zoom is in time on every scale):
    an engine's density adds up to them, else they are among ``rows`` (every match, or those fetched
    for the window)."""
    if view.x_range is None:
        return None
    if counted is not None and counted.density is not None:
        return int(counted.density.total.sum())
    return len(in_window(timeline, rows, *view.x_range))


def describe_view(
    timeline: Timeline, view: View, matched: int, t: Translator | None = None, in_view: int | None = None
) -> str:
    """Subtitle: what the figure shows, so an exported image explains itself; ``in_view``: how many
    of the matches a zoom shows (an image of a zoom counts what it draws)."""
    t = t or translator(DEFAULT_LANGUAGE)
    total = timeline.size
    if in_view is None:
        parts = [t("{n:,} of {total:,} events", n=matched, total=total)]
    else:
        parts = [t("{n:,} of {total:,} events in view", n=in_view, total=total)]
        if matched != total:
            parts.append(t.plural("{n:,} matches the filters", "{n:,} match the filters", matched))
    if view.themes is not None and len(view.themes) < len(timeline.themes):
        named = [theme_label(th, t.lang) if local_theme(th) == th else th for th in view.themes]
        parts.append(t("themes: {themes}", themes=", ".join(named) if named else t("none")))
    if view.start.strip() or view.end.strip():
        parts.append(t("{start} to {end}", start=view.start.strip() or "…", end=view.end.strip() or "…"))
    if view.text.strip():
        parts.append(t("matching “{text}”", text=view.text.strip()))
    return " · ".join(parts)


HOVER = "<b>%{customdata[1]}</b><br>%{customdata[2]}<br><i>%{customdata[3]}</i><extra></extra>"


def when_labels(timeline: Timeline, rows: np.ndarray, lang: str = DEFAULT_LANGUAGE) -> np.ndarray:
    """How each event's date reads: its display date if the file gives one (in ``lang`` where it gives
    one in that language), else the date at its precision ('29 Apr 2015', '1945 – 1952', '490 BCE';
    in Japanese '2015年4月29日（平成27年）', and an approximate 'c. 1600' as '1600年頃')."""
    ev = timeline.events
    start, end = timeline.column("start")[rows], timeline.column("end")[rows]
    is_range = ~np.isnan(end)
    start_prec, end_prec = timeline.column("start_prec")[rows], timeline.column("end_prec")[rows]

    def label(ms: np.ndarray, precision: np.ndarray) -> np.ndarray:
        return japanese_dates(ms, precision) if lang == "ja" else dates.format_dates(ms, precision)

    first = label(start, start_prec)
    blank = np.full(len(rows), "", dtype=object)
    shown = timeline.text("display_date", rows, lang) if "display_date" in ev else blank
    if lang == "ja":
        shown = _japanese_display(shown, start, start_prec)
    first = np.where(shown != "", shown, first)
    last = label(np.where(is_range, end, np.nan), end_prec)
    shown_end = timeline.text("end_display_date", rows, lang) if "end_display_date" in ev else shown
    if lang == "ja" and "end_display_date" in ev:
        shown_end = _japanese_display(shown_end, end, end_prec)
    last = np.where((shown_end != "") & is_range, shown_end, last)
    return np.where(is_range & (last != first) & (last != ""), first + " – " + last, first).astype(object)


def _japanese_display(shown: np.ndarray, ms: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Display dates in Japanese where they say no more than the date: the approximate form ('c. 1600',
    as the parser writes them: '1600年頃'), and a date written in words read in the app's English way
    ('July 8, 1853' shown '8 Jul 1853': '1853年7月8日'); other display dates as the file wrote them."""
    approx = np.array([isinstance(s, str) and s.startswith("c. ") for s in shown], dtype=bool)
    given = (shown != "") & ~approx
    plain = np.zeros(len(shown), dtype=bool)
    if given.any():
        plain[given] = dates.format_dates(ms[given], precision[given]) == shown[given]
    if not (approx.any() or plain.any()):
        return shown
    out = shown.copy()
    out[approx] = japanese_dates(ms[approx], precision[approx], np.ones(int(approx.sum()), dtype=bool))
    out[plain] = japanese_dates(ms[plain], precision[plain])
    return out


def event_hover(timeline: Timeline, rows: np.ndarray, lang: str = DEFAULT_LANGUAGE, px: float = 420.0) -> np.ndarray:
    """Per event: [row, title, date as shown, themes], the hover and click payload (with a person's
    life under the date); the title and themes in lines of at most ``px`` (:func:`hover_px`)."""
    t = translator(lang)
    when = np.array([plot_text(w) for w in when_labels(timeline, rows, lang)], dtype=object)
    lives = lives_of(timeline.lives, rows)
    if len(lives):
        at = _positions_in(rows, lives)
        life = np.array([plot_text(t("life: {dates}", dates=w)) for w in life_labels(lives)], dtype=object)
        alone = lives["only"].to_numpy(dtype=bool)
        when[at] = np.where(alone, life, when[at] + "<br>" + life)
    titles = np.array([wrapped(title, px, limit=90) for title in timeline.text("title", rows, lang)], dtype=object)
    themes = np.array(
        [
            wrapped(", ".join(theme_label(theme, lang) for theme in timeline.theme_names(int(m))), px, gap=", ")
            for m in timeline.column("theme_mask")[rows]
        ],
        dtype=object,
    )
    ids = timeline.row_numbers(rows).astype(object)
    return np.stack([ids, titles, when, themes], axis=1).reshape(len(rows), 4)


def _draw_events(
    fig: Figure,
    timeline: Timeline,
    lanes: list[str],
    rows: np.ndarray,
    xmap: XMap = XMap(),
    lang: str = DEFAULT_LANGUAGE,
    px: float = 420.0,
) -> None:
    """Markers for events and bars for periods, in every visible lane of their themes; behind them, a
    faded tape over the whole span an uncertain or approximate date may cover (hover lines at most
    ``px`` wide)."""
    masks = timeline.column("theme_mask")[rows]
    at, end, low, high = positions(xmap, timeline, rows)
    earliest, latest = span_of(timeline, rows)
    uncertain = (earliest < timeline.column("start")[rows]) | (latest > timeline.column("last")[rows])
    is_range = ~np.isnan(timeline.column("end")[rows])
    imp = timeline.column("importance")[rows].astype(int)
    custom = event_hover(timeline, rows, lang, px)
    lives = lives_of(timeline.lives, rows)
    alone = life_only(timeline.lives, len(timeline.events))[rows]
    if len(lives):
        born, died = (xmap(v) for v in life_span(lives))
        life_at = _positions_in(rows, lives)
    for i, t in enumerate(lanes):
        theme = timeline.themes.index(t)
        in_lane = (masks & (np.uint64(1) << np.uint64(theme))) != 0
        color, symbol = lane_style(theme)
        pts = in_lane & ~is_range & ~alone
        rng = in_lane & is_range & ~alone
        tape = in_lane & uncertain
        if tape.any():
            fig["data"].append(
                _lane_bar(t, i, low[tape], high[tape], TAPE_WIDTH, _tint(color, 0.35), 0.5, 0)
                | dict(hoverinfo="skip", meta="uncertain span")
            )
        if len(lives):
            _draw_lives(fig, t, i, color, in_lane[life_at], born, died, alone[life_at], custom[life_at])
        if rng.any():
            # plotly shows no legend entry for a trace without points: a lane of periods alone has its bars'
            keyed = {} if pts.any() else dict(showlegend=True, name=plot_label(t, lang))
            fig["data"].append(
                _lane_bar(t, i, at[rng], end[rng], BAR_WIDTH, color, 0.55, 1)
                | dict(customdata=custom[rng].tolist(), hovertemplate=HOVER, **keyed)
            )
        fig["data"].append(
            dict(
                type="scatter",
                x=typed(at[pts]),
                y=typed(np.full(pts.sum(), i, dtype=np.int16)),
                mode="markers",
                name=plot_label(t, lang),
                legendgroup=t,
                marker=dict(
                    color=color,
                    symbol=symbol,
                    size=typed((5 + 2 * imp[pts]).astype(np.int8)),
                    line=dict(color="white", width=1),
                    opacity=0.92,
                ),
                customdata=custom[pts].tolist(),
                hovertemplate=HOVER,
            )
        )


HIGHLIGHT_COLOR = "#111111"


def _draw_highlight(fig: Figure, timeline: Timeline, lanes: list[str], row: int, xmap: XMap) -> None:
    """A ring on the event at ``row`` in each visible lane of its themes, and a frame round its bar
    when it is a period: where the story is, seen at a glance (and in an export of the view)."""
    at, end, _, _ = (float(v[0]) for v in positions(xmap, timeline, np.array([row])))
    mask = int(timeline.column("theme_mask")[row])
    ys = [i for i, lane in enumerate(lanes) if mask >> timeline.themes.index(lane) & 1]
    if not ys:
        return
    if not np.isnan(timeline.column("end")[row]) and end != at:  # on the log axis, the end is left of the start
        fig["layout"]["shapes"] += [
            dict(
                type="rect",
                xref="x",
                yref="y",
                x0=min(at, end),
                x1=max(at, end),
                y0=y - 0.32,
                y1=y + 0.32,
                line=dict(color=HIGHLIGHT_COLOR, width=2.5),
                fillcolor="rgba(0,0,0,0)",
                layer="above",
            )
            for y in ys
        ]
    fig["data"].append(
        dict(
            type="scatter",
            x=[at] * len(ys),
            y=ys,
            mode="markers",
            name="story step",
            showlegend=False,
            hoverinfo="skip",
            marker=dict(symbol="circle-open", size=24, color=HIGHLIGHT_COLOR, line=dict(width=3)),
            meta="highlight",
        )
    )


def _positions_in(rows: np.ndarray, lives: Any) -> np.ndarray:
    """Where each life's event is in ``rows`` (rows in any order)."""
    order = np.argsort(rows, kind="stable")
    found: np.ndarray = order[np.searchsorted(rows[order], lives["row"].to_numpy())]
    return found


def _draw_lives(
    fig: Figure,
    theme: str,
    lane: int,
    color: str,
    in_lane: np.ndarray,
    born: np.ndarray,
    died: np.ndarray,
    alone: np.ndarray,
    custom: np.ndarray,
) -> None:
    """People's lives in a lane as thin lines from birth to death, ticked at both ends: behind their
    event's bar, or wider and in full colour for a life alone (which is then the event: hover, click)."""
    for only, width, shade in ((False, LIFE_PX, _tint(color, 0.55)), (True, LIFE_ALONE_PX, color)):
        pick = in_lane & (alone == only)
        if not pick.any():
            continue
        k = int(pick.sum())
        xs = np.stack([born[pick], died[pick], np.full(k, np.nan)], axis=1).ravel()
        ys = np.tile(np.array([lane, lane, np.nan]), k)
        payload = np.repeat(custom[pick], 3, axis=0).tolist()
        fig["data"].append(
            dict(
                type="scatter",
                x=typed(xs),
                y=typed(ys),
                mode="lines+markers",
                line=dict(color=shade, width=width),
                marker=dict(symbol="line-ns-open", size=9, color=shade, line=dict(width=width)),
                connectgaps=False,
                name=plot_label(theme),
                legendgroup=theme,
                showlegend=False,
                meta="life alone" if only else "life",
                customdata=payload,
                hovertemplate=HOVER,
            )
        )


def _lane_bar(
    theme: str, lane: int, first: np.ndarray, final: np.ndarray, width: float, color: str, opacity: float, edge: int
) -> dict[str, Any]:
    """Horizontal bars from ``first`` to ``final`` in a lane: periods, and the tapes of uncertain spans."""
    return dict(
        type="bar",
        orientation="h",
        base=typed(first),
        x=typed(final - first),
        y=typed(np.full(len(first), lane, dtype=np.int16)),
        width=width,
        marker=dict(color=color, opacity=opacity, line=dict(color=color, width=edge)),
        name=plot_label(theme),
        legendgroup=theme,
        showlegend=False,
    )


def _draw_density(fig: Figure, timeline: Timeline, d: Density, lang: str = DEFAULT_LANGUAGE) -> None:
    """One strip per lane, shaded by how many events start in each period (hover gives the count)."""
    count = translator(lang)(N_("{n:,} events"))  # the template once; each bucket's count formatted in
    labels = np.array(d.buckets.labels(), dtype=object)
    peak = np.log1p(max(int(d.per_lane.max()), 1))
    for i, t in enumerate(d.lanes):
        counts = d.per_lane[i]
        color = lane_style(timeline.themes.index(t))[0]
        z = np.where(counts > 0, np.log1p(counts) / peak, np.nan)
        text = np.where(
            counts > 0,
            np.char.add(
                np.char.add(
                    np.array([count.format(n=c) for c in counts.tolist()], dtype=object).astype(str),
                    f" · {plot_label(t, lang)}<br>",
                ),
                labels.astype(str),
            ),
            "",
        )
        fig["data"].append(
            dict(
                type="heatmap",
                x=typed(d.buckets.edges),
                y=[i - 0.36, i + 0.36],
                z=typed(z[None, :]),
                text=[text.tolist()],
                hovertemplate="%{text}<extra></extra>",
                zmin=0,
                zmax=1,
                showscale=False,
                hoverongaps=False,
                colorscale=[[0, _tint(color, 0.18)], [1, color]],
                name=plot_label(t),
                legendgroup=t,
                showlegend=False,
            )
        )


def _tint(hex_color: str, amount: float) -> str:
    """The colour mixed with white: ``amount`` 0 is white, 1 the colour."""
    r, g, b = (int(hex_color[k : k + 2], 16) for k in (1, 3, 5))
    mix = [round(255 - (255 - v) * amount) for v in (r, g, b)]
    return f"rgb({mix[0]},{mix[1]},{mix[2]})"


def most_important(timeline: Timeline, rows: np.ndarray, k: int = 400) -> np.ndarray:
    """The ``k`` most important of ``rows`` (earliest first among equals): label candidates."""
    if len(rows) <= k:
        return rows
    imp = timeline.column("importance")[rows].astype(np.int64)
    key = -imp * (1 << 40) + np.arange(len(rows))
    return np.sort(rows[np.argpartition(key, k)[:k]])


def _empty(fig: Figure, message: str) -> Figure:
    fig["layout"]["xaxis"] = dict(visible=False)
    fig["layout"]["yaxis"] = dict(visible=False)
    fig["layout"]["annotations"].append(
        dict(
            text=message + "<br><span style='font-size:13px'>Tick more themes, widen the dates or clear the "
            "search.</span>",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font=dict(size=18, color="#555"),
        )
    )
    return fig


def _draw_eras(
    fig: Figure, timeline: Timeline, xmap: XMap, x0: float, x1: float, plot_w: float, lang: str = DEFAULT_LANGUAGE
) -> int:
    """Eras as light bands behind the lanes, named just above the plot; returns the label rows used.
    ``x0``, ``x1``: the axis range in x units (x0 > x1 on the log scale, whose past is on the left)."""
    eras = timeline.eras
    if eras is None or len(eras) == 0:
        return 0
    ea, eb = xmap(eras["start"].to_numpy()), xmap(eras["last"].to_numpy())
    lo_all, hi_all = np.minimum(ea, eb), np.maximum(ea, eb)
    xlo, xhi = min(x0, x1), max(x0, x1)
    seen = (hi_all >= xlo) & (lo_all <= xhi)
    if xmap.scale == "sequence" and len(xmap.knots):
        # the sequence maps every instant before its first event to that event (and after its last)
        seen &= (eras["last"].to_numpy() >= xmap.knots[0]) & (eras["start"].to_numpy() <= xmap.knots[-1])
    keep = np.flatnonzero(seen)
    keep = keep[np.argsort(eras["start"].to_numpy()[keep], kind="stable")]
    titles = in_language(eras, "title", lang)  # the era's name in the reader's language, where the file gives one
    rows: list[list[tuple[float, float]]] = [[], []]
    used = 0
    for k, j in enumerate(keep):
        a, b = max(float(lo_all[j]), xlo), min(float(hi_all[j]), xhi)
        fig["layout"]["shapes"].append(
            dict(
                type="rect",
                xref="x",
                yref="paper",
                x0=a,
                x1=b,
                y0=0,
                y1=1,
                fillcolor="#8c8c8c" if k % 2 else "#5b7fa6",
                opacity=0.09,
                line=dict(width=0),
                layer="below",
            )
        )
        pa_, pb_ = sorted(((a - x0) / (x1 - x0) * plot_w, (b - x0) / (x1 - x0) * plot_w))
        band = (pa_, pb_)
        mid = (band[0] + band[1]) / 2
        # The full name where a row has room for it, else a name cut to the band's width.
        fits = [plot_text(titles[j], 48), plot_text(titles[j], max(int((band[1] - band[0] + 40) / 6), 6))]
        placed = False
        for text in dict.fromkeys(fits):
            w = text_width(html.unescape(text), 10)
            left = min(max(mid - w / 2, 0), plot_w - w)
            for r, taken in enumerate(rows):
                if all(left + w + 6 <= l0 or l1 + 6 <= left for l0, l1 in taken):
                    taken.append((left, left + w))
                    used = max(used, r + 1)
                    fig["layout"]["annotations"].append(
                        dict(
                            x=x0 + (left + w / 2) / plot_w * (x1 - x0),
                            y=1,
                            xref="x",
                            yref="paper",
                            yanchor="bottom",
                            yshift=r * ERA_ROW_PX,
                            showarrow=False,
                            text=text,
                            font=dict(size=10, color="#4a5a6a"),
                        )
                    )
                    placed = True
                    break
            if placed:
                break
    return used


@dataclass(frozen=True)
class Label:
    """An event's label: its text (made safe), the marker it names and where its box sits."""

    row: int
    """The event's row."""
    lane: int
    """The lane (index among those shown) whose marker it names."""
    x: float
    """The marker's date (epoch ms): the middle of a period's visible part."""
    text: str
    ax: float
    """The box's centre, in px right of the marker."""
    ay: float
    """The box's centre, in px below the marker (negative: above)."""

    def annotation(self) -> dict[str, Any]:
        """The plotly annotation: the box joined to its marker by a thin leader line."""
        return dict(
            x=self.x,
            y=self.lane,
            text=self.text,
            showarrow=True,
            ax=self.ax,
            ay=self.ay,
            arrowhead=0,
            arrowwidth=1,
            arrowcolor="#999",
            standoff=2,
            xanchor="center",
            yanchor="middle",
            font=dict(size=LABEL_FONT, color="#222"),
            bgcolor="rgba(255,255,255,0.85)",
            borderpad=1,
        )


def label_layout(
    timeline: Timeline,
    options: FigureOptions,
    lanes: list[str],
    rows: np.ndarray,
    xmap: XMap,
    x_range: tuple[float, float],
    plot_w: float,
    extra: int = 0,
) -> tuple[int, list[Label]]:
    """(lane height in px, labels): the lowest lanes in which every featured event in view gets a label.

    Lanes grow by steps up to MAX_LANE_PX (each step gives more label rows) only when that labels
    every featured event: else, and for a figure of fixed height, they stay and label what fits.
    """
    n = len(lanes)
    candidates = label_candidates(timeline, options, lanes, rows, xmap, x_range, plot_w)

    def pitch(lane_px: float) -> float:
        return lane_px * max(n, 2) / max(n, 1)

    if options.height:
        fixed = (options.height - MARGIN["t"] - extra - MARGIN["b"]) / max(n, 1)
        return LANE_PX, place_labels(candidates, options, plot_w, fixed)[0]
    labels, complete = place_labels(candidates, options, plot_w, pitch(LANE_PX))
    imp = timeline.column("importance")
    featured = int(np.count_nonzero(imp[rows] >= FEATURED_IMPORTANCE))
    placed = sum(1 for label in labels if imp[label.row] >= FEATURED_IMPORTANCE)
    if complete or featured > options.max_labels or featured - placed > GROW_FOR:
        return LANE_PX, labels  # nothing to grow for, or more than taller lanes are likely to fit
    best = LANE_PX
    for lane_px in range(LANE_PX + 20, min(MAX_LANE_PX, MAX_GROWN_PX // max(n, 2)) + 1, 20):
        some, complete = place_labels(candidates, options, plot_w, pitch(lane_px), give_up=True)
        if complete:
            return lane_px, place_labels(candidates, options, plot_w, pitch(lane_px))[0]
        if len(some) > placed:
            placed, best = len(some), lane_px
        elif lane_px - best >= 60:
            break  # three taller steps placed no more featured labels: none will fit them all
    return LANE_PX, labels


@dataclass(frozen=True)
class LabelCandidates:
    """The events that may get a label, in the order they are tried, with what placing them needs
    (the same at every lane height, so growing lanes tries them again without redoing this)."""

    rows: np.ndarray
    """Event rows, most important first and, among equals, the latest first."""
    anchor: np.ndarray
    """Where each label points, on the x axis: the marker, or the middle of a period's visible part."""
    xc: np.ndarray
    """The anchor in px from the plot's left edge."""
    featured: np.ndarray
    titles: list[str]
    in_lane: np.ndarray
    """(candidates, lanes): whether each is drawn in each lane shown."""
    name_widths: np.ndarray
    """Per lane: the width in px of its name drawn inside the plot (narrow figures), else 0."""


def label_candidates(
    timeline: Timeline,
    options: FigureOptions,
    lanes: list[str],
    rows: np.ndarray,
    xmap: XMap,
    x_range: tuple[float, float],
    plot_w: float,
) -> LabelCandidates:
    """The events whose anchor is in view of importance >= ``label_min_importance``, or, in a lane
    whose events in view are all less important, of that lane's highest (a file without importances,
    a topic added beside a curated dataset, a zoom into quieter years: each lane's most important
    events shown are labelled where there is room), at most 400. They are tried by how far above
    their lane's bar they stand, then latest first: a quiet lane's best take turns with the others'."""
    x0, x1 = x_range
    at, end, _, _ = positions(xmap, timeline, rows)
    imp = timeline.column("importance")[rows].astype(np.int64)
    is_range = ~np.isnan(timeline.column("end")[rows])
    xlo, xhi = min(x0, x1), max(x0, x1)
    begins, ends = np.minimum(at, end), np.maximum(at, end)
    anchor = np.where(is_range, (np.maximum(begins, xlo) + np.minimum(ends, xhi)) / 2, at)
    inside = (anchor >= xlo) & (anchor <= xhi)
    bits = np.array([np.uint64(1) << np.uint64(timeline.themes.index(t)) for t in lanes], dtype=np.uint64)
    in_lanes = (timeline.column("theme_mask")[rows][:, None] & bits[None, :]) != 0
    bars = np.full(len(lanes), options.label_min_importance, dtype=np.int64)  # the least each lane labels
    for lane in range(len(lanes)):
        shown = inside & in_lanes[:, lane]
        if shown.any():
            bars[lane] = min(options.label_min_importance, int(imp[shown].max()))
    in_lanes &= imp[:, None] >= bars[None, :]  # a label goes only to a lane whose bar its event meets
    bar = np.where(in_lanes, bars[None, :], np.iinfo(np.int64).max).min(axis=1, initial=np.iinfo(np.int64).max)
    inside &= in_lanes.any(axis=1)
    order = np.flatnonzero(inside)
    order = order[np.lexsort((-anchor[order], -(imp - bar)[order]))][:400]
    picked = np.asarray(rows)[order]
    return LabelCandidates(
        rows=picked,
        anchor=anchor[order],
        xc=(anchor[order] - x0) / (x1 - x0) * plot_w,
        featured=imp[order] >= FEATURED_IMPORTANCE,
        titles=[str(t) for t in timeline.text("title", picked, options.lang)],
        in_lane=in_lanes[order],
        name_widths=(
            np.array([text_width(html.unescape(plot_label(lane, options.lang)), 11) for lane in lanes])
            if options.narrow
            else np.zeros(len(lanes))
        ),
    )


def place_labels(
    candidates: LabelCandidates, options: FigureOptions, plot_w: float, pitch: float, give_up: bool = False
) -> tuple[list[Label], bool]:
    """Label the candidates, in order, where a label overlaps no other label or leader line.

    Each tries every lane it is drawn in and label rows above and below its marker (as many as the
    lane's height holds, its box inside the lane and clear of the markers and bars), centred on the
    marker or moved sideways with a leader line, cheapest first. Returns the labels and whether every
    featured event (importance >= FEATURED_IMPORTANCE) got one; with ``give_up``, labels only featured
    events and stops at the first that finds no room.

    A box's horizontal and vertical extents are tested apart (the candidate boxes of one event are the
    product of a few columns and a few rows), so each test is a small matrix product, not a loop.
    """
    # Label rows: a box's centre this far above or below its lane's centre, inside the lane.
    first = max(8.0, BAR_WIDTH * pitch / 2) + 3 + LABEL_H / 2
    room = pitch / 2 - 2 - LABEL_H / 2
    levels = np.arange(first, room + 0.01, LABEL_ROW) if room >= first else np.empty(0)
    dys = np.stack([-levels, levels], axis=1).ravel()
    row_cost = np.repeat(np.arange(len(levels)), 2) * 45
    below = np.arange(len(dys)) % 2
    half_h = LABEL_H / 2
    steps = np.linspace(0, 1, 14)[1:-1]
    cap = options.max_labels
    # Where a box may sit sideways: on its marker, or moved by the reach plus a shift, either way.
    moves = {
        kind: (
            np.array([0, 1, *(sign for s in shifts if s for sign in (-1, 1))], dtype=np.float64),
            np.array([0, 0, *(s for s in shifts if s for _ in (-1, 1))], dtype=np.float64),
        )
        for kind, shifts in ((True, LABEL_SHIFTS), (False, [s for s in LABEL_SHIFTS if s <= MINOR_SHIFT]))
    }
    lane_y = (np.arange(candidates.in_lane.shape[1]) + 0.5) * pitch
    box_y = lane_y[:, None] + dys[None, :]  # (lane, label row): box centres
    marker_y = np.repeat(lane_y[:, None], len(dys), axis=1)
    # A narrow figure's lane names, over each lane's top left, are boxes no label may cover.
    names = [(0.0, i * pitch, w + 4, i * pitch + LANE_NAME_PX) for i, w in enumerate(candidates.name_widths) if w]
    boxes = np.empty((cap + len(names), 4))
    if names:
        boxes[: len(names)] = names
    leaders = np.empty((cap * len(steps), 2))
    n_boxes, n_leaders = len(names), 0
    labels: list[Label] = []
    complete = True
    misses = 0
    for j in range(len(candidates.rows)):
        featured = bool(candidates.featured[j])
        if misses >= MAX_MISSES:
            complete = complete and not featured  # featured events come first
            break
        if len(labels) >= cap or (give_up and not featured):
            break
        text = plot_text(candidates.titles[j], LABEL_CHARS)
        w = text_width(html.unescape(text))
        if not len(dys) or w > plot_w:
            if featured:
                complete = False
            continue
        xc = float(candidates.xc[j])
        reach = w / 2 - 8  # the box still covers the marker when moved this far
        sign, shift = moves[featured]
        # Left to right (a box clipped at an edge may repeat: the same place, tried once in effect).
        cx = np.sort(np.clip(xc + sign * (reach + shift), w / 2 + 1, plot_w - w / 2 - 1))
        own = np.flatnonzero(candidates.in_lane[j])
        yc = marker_y[own].ravel()
        cy = box_y[own].ravel()  # (lanes x rows): box centres
        left, right = cx - w / 2, cx + w / 2
        top, bottom = cy - half_h, cy + half_h
        if not n_boxes:
            clear = np.ones((len(cy), len(cx)), dtype=bool)
        else:
            b = boxes[:n_boxes]
            cross_x = (left[:, None] < b[:, 2] + 4) & (b[:, 0] < right[:, None] + 4)
            cross_y = (top[:, None] < b[:, 3] + 2) & (b[:, 1] < bottom[:, None] + 2)
            clear = (cross_y.astype(float) @ cross_x.T.astype(float)) == 0
        if n_leaders:
            pts = leaders[:n_leaders]
            lx = (pts[:, 0] >= left[:, None]) & (pts[:, 0] <= right[:, None])
            ly = (pts[:, 1] >= top[:, None]) & (pts[:, 1] <= bottom[:, None])
            clear &= (ly.astype(float) @ lx.T.astype(float)) == 0
        good = np.flatnonzero(clear)
        chosen = None
        if len(good):
            cost = (
                (row_cost[None, :, None] + np.maximum(np.abs(cx - xc) - reach, 0)[None, None, :])
                + below[None, :, None]
                + (np.arange(len(own)) * 8)[:, None, None]
            ).ravel()
            # The cheapest box whose leader line, marker to box, crosses no label either (the first
            # of equals): points along the line, those outside its own box.
            ranked = good[np.argsort(cost[good], kind="stable")]
            at_y, at_x = np.divmod(ranked, len(cx))
            px = cx[at_x][:, None] + steps[None, :] * (xc - cx[at_x][:, None])
            py = cy[at_y][:, None] + steps[None, :] * (yc[at_y][:, None] - cy[at_y][:, None])
            keep = ~(
                (px >= left[at_x][:, None])
                & (px <= right[at_x][:, None])
                & (py >= top[at_y][:, None])
                & (py <= bottom[at_y][:, None])
            )
            crossing = np.zeros(len(ranked), dtype=bool)
            if n_boxes:
                b = boxes[:n_boxes]
                hit = (
                    (px[:, :, None] >= b[:, 0] - 1)
                    & (px[:, :, None] <= b[:, 2] + 1)
                    & (py[:, :, None] >= b[:, 1] - 1)
                    & (py[:, :, None] <= b[:, 3] + 1)
                ).any(axis=2)
                crossing = (hit & keep).any(axis=1)
            passing = np.flatnonzero(~crossing)
            if len(passing):
                f = passing[0]
                chosen = int(at_y[f]), int(at_x[f]), px[f][keep[f]], py[f][keep[f]]
        if chosen is None:
            misses += 1
            if featured:
                complete = False
                if give_up:
                    return labels, False
            continue
        misses = 0
        iy, ix, line_x, line_y = chosen
        boxes[n_boxes] = (left[ix], top[iy], right[ix], bottom[iy])
        n_boxes += 1
        leaders[n_leaders : n_leaders + len(line_x), 0] = line_x
        leaders[n_leaders : n_leaders + len(line_x), 1] = line_y
        n_leaders += len(line_x)
        lane, row = divmod(iy, len(dys))
        labels.append(
            Label(
                int(candidates.rows[j]),
                int(own[lane]),
                float(candidates.anchor[j]),
                text,
                float(cx[ix] - xc),
                float(dys[row]),
            )
        )
    return labels, complete


OVERVIEW_HEIGHT = 110


def full_extent(
    timeline: Timeline, view: View, rows: np.ndarray, span: tuple[float, float] | None = None
) -> tuple[float, float]:
    """The x range of every matching event, whatever the zoom."""
    return x_extent(timeline, View(themes=view.themes, start=view.start, end=view.end, text=view.text), rows, span)


OVERVIEW_BUCKETS = 120


def build_overview(
    timeline: Timeline,
    view: View,
    rows: np.ndarray,
    counted: Counted | None = None,
    options: FigureOptions = FigureOptions(),
) -> Figure:
    """A strip of how many matching events start in each period over the whole span, with the
    visible range shaded: it shows where the events are, and dragging across it zooms the timeline.
    With ``counted`` (an engine's counts over the whole span, :data:`OVERVIEW_BUCKETS` of them), no
    ``rows`` are needed. Its plot lines up with the timeline's (the same side margins), its ticks
    fit ``options``' width and speak its language."""
    margin = NARROW_MARGIN if options.narrow else MARGIN
    plot_w = (options.width or options.layout_width) - margin["l"] - margin["r"]
    fig: Figure = {
        "data": [],
        "layout": dict(
            height=OVERVIEW_HEIGHT,
            margin=dict(l=margin["l"], r=margin["r"], t=8, b=28),
            template="plotly_white",
            font=dict(family=FONT, size=11, color="#444"),
            showlegend=False,
            dragmode="zoom",
            hovermode="x",
            paper_bgcolor="white",
            plot_bgcolor="white",
            bargap=0,
            shapes=[],
            yaxis=dict(fixedrange=True, showticklabels=False, showgrid=False, zeroline=False, title=None),
        ),
    }
    if (len(rows) if counted is None else counted.matched) == 0:
        fig["layout"]["xaxis"] = dict(visible=False)
        fig["layout"]["yaxis"]["visible"] = False
        return fig
    x0, x1 = (float(v) for v in full_extent(timeline, view, rows, None if counted is None else counted.span))
    d = counted.density if counted is not None and counted.density is not None else None
    if d is None:
        d = density(timeline, rows, [], x0, x1, target=OVERVIEW_BUCKETS)
    edges = d.buckets.edges
    fig["data"].append(
        dict(
            type="bar",
            x=typed((edges[:-1] + edges[1:]) / 2),
            y=typed(d.total),
            width=typed(np.diff(edges)),
            marker=dict(color="#5b7fa6", line=dict(width=0)),
            customdata=d.buckets.labels(),
            hovertemplate="%{y:,} events<br>%{customdata}<extra></extra>",
            name="events",
        )
    )
    fig["layout"]["xaxis"] = dict(
        range=[x0, x1],
        showgrid=False,
        zeroline=False,
        showline=True,
        linecolor="#888",
        ticks="outside",
        **time_axis(x0, x1, options.lang, plot_w),
    )
    if view.x_range is not None:
        a, b = view.x_range
        fig["layout"]["shapes"].append(
            dict(
                type="rect",
                xref="x",
                yref="paper",
                x0=max(a, x0),
                x1=min(b, x1),
                y0=0,
                y1=1,
                fillcolor="rgba(213,94,0,0.15)",
                line=dict(color="#D55E00", width=1.5),
            )
        )
    return fig
