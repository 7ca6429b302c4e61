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
import unicodedata
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from ..core import dates
from ..core.aggregate import Density, density, in_window
from ..core.model import Timeline
from ..core.query import View, date_bounds, filter_events

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A200"]
"""Okabe–Ito colours, distinguishable with the common colour-vision deficiencies
(the yellow darkened to read on white)."""
SYMBOLS = ["circle", "diamond", "square", "triangle-up", "pentagon", "star"]
"""Past eight lanes the colours repeat; the marker shape then tells lanes apart."""

FONT = "Noto Sans, DejaVu Sans, Arial, sans-serif"
LANE_PX = 80
MARGIN = dict(l=110, r=30, t=140, b=50)
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


def theme_label(theme: str) -> str:
    """A theme as people read it: 'security' -> 'Security' (names with capitals stay as written)."""
    return theme[:1].upper() + theme[1:] if theme.islower() else theme


def plot_label(theme: str) -> str:
    """A theme's label made safe for plotly, which reads a little HTML in every text it draws."""
    return plot_text(theme_label(theme))


def plot_text(text: str, limit: int | None = None) -> str:
    """User text made safe for plotly labels: no tags, no entities, optionally shortened."""
    text = " ".join(str(text).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return html.escape(text, quote=False)


def text_width(text: str, size: int = LABEL_FONT) -> float:
    """Rough rendered width in px: wide (CJK) characters count double."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return (len(text) - wide) * 0.58 * size + wide * 1.05 * size + 8


LEGEND_ROW_PX = 24


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


def x_extent(timeline: Timeline, view: View, rows: np.ndarray) -> tuple[float, float]:
    """The x range to show: the zoom if any, else the matching events (or the date filter) padded."""
    if view.x_range is not None:
        return view.x_range
    ev = timeline.events
    if len(rows):
        lo = float(ev["start"].to_numpy()[rows].min())
        hi = float(ev["last"].to_numpy()[rows].max())
    else:
        lo, hi = float(ev["start"].min()), float(ev["last"].max())
    flo, fhi = date_bounds(view)
    if np.isfinite(flo):
        lo = max(lo, flo) if len(rows) else flo
    if np.isfinite(fhi):
        hi = min(hi, fhi) if len(rows) else fhi
    pad = max((hi - lo) * 0.04, 180 * dates.MS_PER_DAY)
    return lo - pad, hi + pad


def build_figure(
    timeline: Timeline, view: View, options: FigureOptions = FigureOptions(), rows: np.ndarray | None = None
) -> Figure:
    """The figure for ``view``. Raises ValueError when the view's dates are not valid."""
    if rows is None:
        rows = filter_events(timeline, view)
    lanes = visible_lanes(timeline, view)
    plot_w = (options.width or options.layout_width) - MARGIN["l"] - MARGIN["r"]
    extra = LEGEND_ROW_PX * (legend_rows([theme_label(t) for t in lanes], plot_w) - 1)
    lane_px, labels = LANE_PX, list[Label]()
    if len(rows) and lanes:
        x0, x1 = (float(v) for v in x_extent(timeline, view, rows))
        # Few matches: draw them all, so that panning needs no new figure. Many: only what is in view,
        # and past MAX_POINTS in view, its density per lane and period instead.
        visible = rows if len(rows) <= MAX_POINTS else in_window(timeline, rows, x0, x1)
        candidates = visible if len(visible) <= MAX_POINTS else most_important(timeline, visible)
        lane_px, labels = label_layout(timeline, options, lanes, candidates, (x0, x1), plot_w, extra)
    height = options.height or figure_height(len(lanes), lane_px) + extra
    title = options.title or timeline.title or "Timeline"
    layout: dict[str, Any] = dict(
        title=dict(
            text=plot_text(title),
            x=0.01,
            xanchor="left",
            y=1 - 12 / height,
            yanchor="top",
            yref="container",
            font=dict(size=22),
            subtitle=dict(text=plot_text(describe_view(timeline, view, len(rows))), font=dict(size=13)),
        ),
        font=dict(family=FONT, size=12, color="#222"),
        template="plotly_white",
        height=height,
        margin={**MARGIN, "t": MARGIN["t"] + extra},
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
    if len(rows) == 0 or not lanes:
        return _empty(fig, "No events match these filters" if lanes else "No themes selected")

    era_rows = _draw_eras(fig, timeline, x0, x1, plot_w)
    layout["legend"]["y"] = 1 + (era_rows * ERA_ROW_PX + 6) / (height - MARGIN["t"] - extra - MARGIN["b"])
    if len(visible) <= MAX_POINTS:
        _draw_events(fig, timeline, lanes, visible)
    else:
        _draw_density(fig, timeline, density(timeline, visible, lanes, x0, x1))
        _draw_events(fig, timeline, lanes, np.array(sorted(label.row for label in labels), dtype=np.int64))
    layout["annotations"] += [label.annotation() for label in labels]

    layout["xaxis"] = dict(
        type="date",
        range=[x0, x1],
        showgrid=True,
        gridcolor="#e6e6e6",
        zeroline=False,
        showline=True,
        linecolor="#888",
        ticks="outside",
        automargin=True,
        **year_ticks(x0, x1),
    )
    layout["yaxis"] = dict(
        tickvals=list(range(len(lanes))),
        ticktext=[plot_label(t) for t in lanes],
        range=[len(lanes) - 0.5, -0.5],
        showgrid=False,
        zeroline=False,
        fixedrange=True,
        tickfont=dict(size=13),
    )
    for i in range(1, len(lanes)):
        layout["shapes"].append(
            dict(
                type="line",
                xref="paper",
                x0=0,
                x1=1,
                yref="y",
                y0=i - 0.5,
                y1=i - 0.5,
                line=dict(color="#d0d0d0", width=1),
                layer="below",
            )
        )
    _name_traces(fig)
    return fig


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
    )


def describe_view(timeline: Timeline, view: View, matched: int) -> str:
    """Subtitle: what the figure shows, so an exported image explains itself."""
    total = len(timeline.events)
    parts = [f"{matched:,} of {total:,} events"]
    if view.themes is not None and len(view.themes) < len(timeline.themes):
        parts.append("themes: " + (", ".join(view.themes) if view.themes else "none"))
    if view.start.strip() or view.end.strip():
        parts.append(f"{view.start.strip() or '…'} to {view.end.strip() or '…'}")
    if view.text.strip():
        parts.append(f"matching “{view.text.strip()}”")
    return " · ".join(parts)


HOVER = "<b>%{customdata[1]}</b><br>%{customdata[2]}<br><i>%{customdata[3]}</i><extra></extra>"


def when_labels(timeline: Timeline, rows: np.ndarray) -> np.ndarray:
    """How each event's date reads: its display date if the file gives one, else the date at its
    precision ('29 Apr 2015', '1945 – 1952', '490 BCE')."""
    sub = timeline.events.iloc[rows]
    start = sub["start"].to_numpy()
    is_range = ~np.isnan(sub["end"].to_numpy())
    first = dates.format_dates(start, sub["start_prec"].to_numpy())
    shown = sub["display_date"].to_numpy(dtype=object) if "display_date" in sub else np.full(len(rows), "")
    first = np.where(shown != "", shown, first)
    last = dates.format_dates(np.where(is_range, sub["end"].to_numpy(), np.nan), sub["end_prec"].to_numpy())
    shown_end = sub["end_display_date"].to_numpy(dtype=object) if "end_display_date" in sub else shown
    last = np.where((shown_end != "") & is_range, shown_end, last)
    return np.where(is_range & (last != first) & (last != ""), first + " – " + last, first).astype(object)


def event_hover(timeline: Timeline, rows: np.ndarray) -> np.ndarray:
    """Per event: [row, title, date as shown, themes], the hover and click payload."""
    sub = timeline.events.iloc[rows]
    when = np.array([plot_text(w) for w in when_labels(timeline, rows)], dtype=object)
    titles = np.array([plot_text(t, 90) for t in sub["title"].tolist()], dtype=object)
    themes = np.array(
        [", ".join(plot_label(t) for t in timeline.theme_names(int(m))) for m in sub["theme_mask"].to_numpy()],
        dtype=object,
    )
    return np.stack([rows.astype(object), titles, when, themes], axis=1).reshape(len(rows), 4)


def _draw_events(fig: Figure, timeline: Timeline, lanes: list[str], rows: np.ndarray) -> None:
    """Markers for events and bars for periods, in every visible lane of their themes."""
    masks = timeline.column("theme_mask")[rows]
    start = timeline.column("start")[rows]
    last = timeline.column("last")[rows]
    is_range = ~np.isnan(timeline.column("end")[rows])
    imp = timeline.column("importance")[rows].astype(int)
    custom = event_hover(timeline, rows)
    for i, t in enumerate(lanes):
        theme = timeline.themes.index(t)
        in_lane = (masks & (np.uint64(1) << np.uint64(theme))) != 0
        color, symbol = lane_style(theme)
        pts = in_lane & ~is_range
        rng = in_lane & is_range
        if rng.any():
            fig["data"].append(
                dict(
                    type="bar",
                    orientation="h",
                    base=typed(start[rng]),
                    x=typed(last[rng] - start[rng]),
                    y=typed(np.full(rng.sum(), i, dtype=np.int16)),
                    width=BAR_WIDTH,
                    marker=dict(color=color, opacity=0.55, line=dict(color=color, width=1)),
                    customdata=custom[rng].tolist(),
                    hovertemplate=HOVER,
                    name=plot_label(t),
                    legendgroup=t,
                    showlegend=False,
                )
            )
        fig["data"].append(
            dict(
                type="scatter",
                x=typed(start[pts]),
                y=typed(np.full(pts.sum(), i, dtype=np.int16)),
                mode="markers",
                name=plot_label(t),
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


def _draw_density(fig: Figure, timeline: Timeline, d: Density) -> None:
    """One strip per lane, shaded by how many events start in each period (hover gives the count)."""
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
                    np.array([f"{c:,}" for c in counts], dtype=object).astype(str), f" events · {plot_label(t)}<br>"
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


def _draw_eras(fig: Figure, timeline: Timeline, x0: float, x1: float, plot_w: float) -> int:
    """Eras as light bands behind the lanes, named just above the plot; returns the label rows used."""
    eras = timeline.eras
    if eras is None or len(eras) == 0:
        return 0
    shown = eras[(eras["last"] >= x0) & (eras["start"] <= x1)].sort_values("start")
    rows: list[list[tuple[float, float]]] = [[], []]
    used = 0
    for k, era in enumerate(shown.itertuples()):
        a, b = max(era.start, x0), min(era.last, x1)
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
        band = ((a - x0) / (x1 - x0) * plot_w, (b - x0) / (x1 - x0) * plot_w)
        mid = (band[0] + band[1]) / 2
        # The full name where a row has room for it, else a name cut to the band's width.
        fits = [plot_text(era.title, 48), plot_text(era.title, max(int((band[1] - band[0] + 40) / 6), 6))]
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
    x_range: tuple[float, float],
    plot_w: float,
    extra: int = 0,
) -> tuple[int, list[Label]]:
    """(lane height in px, labels): the lowest lanes in which every featured event in view gets a label.

    Lanes grow by steps up to MAX_LANE_PX (each step gives more label rows) only when that labels
    every featured event: else, and for a figure of fixed height, they stay and label what fits.
    """
    n = len(lanes)

    def pitch(lane_px: float) -> float:
        return lane_px * max(n, 2) / max(n, 1)

    if options.height:
        fixed = (options.height - MARGIN["t"] - extra - MARGIN["b"]) / max(n, 1)
        return LANE_PX, place_labels(timeline, options, lanes, rows, x_range, plot_w, fixed)[0]
    labels, complete = place_labels(timeline, options, lanes, rows, x_range, plot_w, pitch(LANE_PX))
    imp = timeline.column("importance")
    featured = int(np.count_nonzero(imp[rows] >= FEATURED_IMPORTANCE))
    placed = sum(1 for label in labels if imp[label.row] >= FEATURED_IMPORTANCE)
    if complete or featured > options.max_labels or featured - placed > GROW_FOR:
        return LANE_PX, labels  # nothing to grow for, or more than taller lanes are likely to fit
    best = LANE_PX
    for lane_px in range(LANE_PX + 20, min(MAX_LANE_PX, MAX_GROWN_PX // max(n, 2)) + 1, 20):
        some, complete = place_labels(timeline, options, lanes, rows, x_range, plot_w, pitch(lane_px), give_up=True)
        if complete:
            return lane_px, place_labels(timeline, options, lanes, rows, x_range, plot_w, pitch(lane_px))[0]
        if len(some) > placed:
            placed, best = len(some), lane_px
        elif lane_px - best >= 60:
            break  # three taller steps placed no more featured labels: none will fit them all
    return LANE_PX, labels


def place_labels(
    timeline: Timeline,
    options: FigureOptions,
    lanes: list[str],
    rows: np.ndarray,
    x_range: tuple[float, float],
    plot_w: float,
    pitch: float,
    give_up: bool = False,
) -> tuple[list[Label], bool]:
    """Label the most important events in view where a label overlaps no other label or leader line.

    Candidates are the events of importance >= ``label_min_importance`` whose marker is in view, the
    most important first and, among equals, the latest first (recent decades are the crowded ones).
    Each tries every lane it is drawn in and label rows above and below its marker (as many as the
    lane's height holds, its box inside the lane and clear of the markers and bars), centred on the
    marker or moved sideways with a leader line, cheapest first. Returns the labels and whether every
    featured event (importance >= FEATURED_IMPORTANCE) got one; with ``give_up``, labels only featured
    events and stops at the first that finds no room.
    """
    x0, x1 = x_range
    span = x1 - x0
    masks = timeline.column("theme_mask")[rows]
    start = timeline.column("start")[rows]
    last = timeline.column("last")[rows]
    imp = timeline.column("importance")[rows].astype(np.int64)
    is_range = ~np.isnan(timeline.column("end")[rows])
    anchor = np.where(is_range, (np.maximum(start, x0) + np.minimum(last, x1)) / 2, start)
    inside = (anchor >= x0) & (anchor <= x1) & (imp >= options.label_min_importance)
    order = np.flatnonzero(inside)
    order = order[np.lexsort((-anchor[order], -imp[order]))][:400]
    # Label rows: a box's centre this far above or below its lane's centre, inside the lane.
    first = max(8.0, BAR_WIDTH * pitch / 2) + 3 + LABEL_H / 2
    room = pitch / 2 - 2 - LABEL_H / 2
    levels = np.arange(first, room + 0.01, LABEL_ROW) if room >= first else np.empty(0)
    dys = np.stack([-levels, levels], axis=1).ravel()
    ranks = np.repeat(np.arange(len(levels)), 2)
    bits = [np.uint64(1) << np.uint64(timeline.themes.index(t)) for t in lanes]
    title_col = timeline.events["title"]
    boxes = np.empty((0, 4))
    leaders = np.empty((0, 2))
    labels: list[Label] = []
    complete = True
    steps = np.linspace(0, 1, 14)[1:-1]
    misses = 0
    for j in order:
        if misses >= MAX_MISSES:
            complete = complete and imp[j] < FEATURED_IMPORTANCE  # featured events come first
            break
        featured = imp[j] >= FEATURED_IMPORTANCE
        if len(labels) >= options.max_labels or (give_up and not featured):
            break
        text = plot_text(title_col.iloc[int(rows[j])], LABEL_CHARS)
        w = text_width(html.unescape(text))
        if not len(dys) or w > plot_w:
            if featured:
                complete = False
            continue
        xc = (anchor[j] - x0) / span * plot_w
        shifts = LABEL_SHIFTS if featured else [s for s in LABEL_SHIFTS if s <= MINOR_SHIFT]
        reach = w / 2 - 8  # the box still covers the marker when moved this far
        cx = np.array([xc, *(xc + sign * (reach + s) for s in shifts for sign in (-1, 1) if s or sign > 0)])
        cx = np.unique(np.clip(cx, w / 2 + 1, plot_w - w / 2 - 1))
        x_cost = np.maximum(np.abs(cx - xc) - reach, 0)
        own = [i for i, b in enumerate(bits) if masks[j] & b]
        lane = np.repeat(np.array(own), len(dys) * len(cx))
        dy = np.tile(np.repeat(dys, len(cx)), len(own))
        rank = np.tile(np.repeat(ranks, len(cx)), len(own))
        cxs = np.tile(cx, len(dys) * len(own))
        cost = (
            rank * 45
            + np.tile(x_cost, len(dys) * len(own))
            + np.tile(np.repeat(np.arange(len(dys)) % 2, len(cx)), len(own))
        )
        cost = cost + np.repeat(np.arange(len(own)) * 8, len(dys) * len(cx))
        yc = (lane + 0.5) * pitch
        cys = yc + dy
        rect = np.stack([cxs - w / 2, cys - LABEL_H / 2, cxs + w / 2, cys + LABEL_H / 2], axis=1)
        ok = ~_overlaps(rect, boxes, 4, 2).any(axis=1) & ~_contains(rect, leaders).any(axis=1)
        # The leader line, marker to box, must cross no label either.
        px = cxs[:, None] + steps[None, :] * (xc - cxs[:, None])
        py = cys[:, None] + steps[None, :] * (yc[:, None] - cys[:, None])
        outside = ~((px >= rect[:, 0:1]) & (px <= rect[:, 2:3]) & (py >= rect[:, 1:2]) & (py <= rect[:, 3:4]))
        if len(boxes):
            hits = (
                (px[:, :, None] >= boxes[:, 0] - 1)
                & (px[:, :, None] <= boxes[:, 2] + 1)
                & (py[:, :, None] >= boxes[:, 1] - 1)
                & (py[:, :, None] <= boxes[:, 3] + 1)
            ).any(axis=2)
            ok &= ~(hits & outside).any(axis=1)
        good = np.flatnonzero(ok)
        if not len(good):
            misses += 1
            if featured:
                complete = False
                if give_up:
                    return labels, False
            continue
        misses = 0
        k = good[np.argmin(cost[good])]  # the first of the cheapest
        boxes = np.vstack([boxes, rect[k]])
        leaders = np.vstack([leaders, np.stack([px[k][outside[k]], py[k][outside[k]]], axis=1)])
        labels.append(Label(int(rows[j]), int(lane[k]), float(anchor[j]), text, float(cxs[k] - xc), float(dy[k])))
    return labels, complete


def _overlaps(rects: np.ndarray, others: np.ndarray, gap_x: float, gap_y: float) -> np.ndarray:
    """(len(rects), len(others)): whether each rect comes within the gaps of each other one."""
    return (
        (rects[:, None, 0] < others[None, :, 2] + gap_x)
        & (others[None, :, 0] < rects[:, None, 2] + gap_x)
        & (rects[:, None, 1] < others[None, :, 3] + gap_y)
        & (others[None, :, 1] < rects[:, None, 3] + gap_y)
    )


def _contains(rects: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(len(rects), len(points)): whether each rect holds each point."""
    return (
        (points[None, :, 0] >= rects[:, None, 0])
        & (points[None, :, 0] <= rects[:, None, 2])
        & (points[None, :, 1] >= rects[:, None, 1])
        & (points[None, :, 1] <= rects[:, None, 3])
    )


OVERVIEW_HEIGHT = 110


def full_extent(timeline: Timeline, view: View, rows: np.ndarray) -> tuple[float, float]:
    """The x range of every matching event, whatever the zoom."""
    return x_extent(timeline, View(themes=view.themes, start=view.start, end=view.end, text=view.text), rows)


def build_overview(timeline: Timeline, view: View, rows: np.ndarray) -> Figure:
    """A strip of how many matching events start in each period over the whole span, with the
    visible range shaded: it shows where the events are, and dragging across it zooms the timeline."""
    fig: Figure = {
        "data": [],
        "layout": dict(
            height=OVERVIEW_HEIGHT,
            margin=dict(l=MARGIN["l"], r=MARGIN["r"], t=8, b=28),
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
    if len(rows) == 0:
        fig["layout"]["xaxis"] = dict(visible=False)
        fig["layout"]["yaxis"]["visible"] = False
        return fig
    x0, x1 = (float(v) for v in full_extent(timeline, view, rows))
    d = density(timeline, rows, [], x0, x1, target=120)
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
        type="date",
        range=[x0, x1],
        showgrid=False,
        zeroline=False,
        showline=True,
        linecolor="#888",
        ticks="outside",
        **year_ticks(x0, x1),
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
