"""Every export of a view, from the app's download buttons and from ``timeline export``: the images
(:mod:`.images`), the filtered events as a CSV in the project's own format, and a standalone
interactive HTML page. Files are written atomically by the caller (:mod:`dashboard.io.files`).
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio

from ..core import dates
from ..core.i18n import DEFAULT_LANGUAGE
from ..core.lives import LIFE_END, LIFE_START, life_only
from ..core.media import MEDIA_COLUMNS
from ..core.model import FORMULA_START, NOT_TEXT, STORY_COLUMN, Timeline, language_variant
from ..core.query import View, filter_events
from ..core.story import shown_view
from ..core.topics import local_theme, row_topics
from ..core.written_dates import DATE_ORDERS
from .figure import FigureOptions, figure_title
from .images import EXPORT_WIDTH, FORMATS, render_view
from .queried import figure_of, matching_events
from .story_page import story_html

EXPORT_FORMATS = (*FORMATS, "csv", "html", "story")
"""Everything a view can be exported to, from the app and from the command line ("story": the story
page, an HTML file that needs no server)."""


def export_format(path: str | Path, story: bool = False) -> str:
    """'png', 'svg', 'pdf', 'csv' or 'html' from a file name, or 'story' for a story page (which must
    be named .html); ValueError otherwise."""
    name = Path(path).name
    ext = Path(path).suffix.lower().lstrip(".")
    if story:
        if ext != "html":
            raise ValueError(f"cannot write a story to '{name}': a story page is HTML, so the name must end in .html")
        return "story"
    if ext not in (*FORMATS, "csv", "html"):
        raise ValueError(f"cannot export to '{name}': the name must end in .png, .svg, .pdf, .csv or .html")
    return ext


def export_filename(fmt: str) -> str:
    """The name a download of ``fmt`` is offered under: 'timeline.png', 'timeline-story.html'."""
    return "timeline-story.html" if fmt == "story" else f"timeline.{fmt}"


def export_view(
    timeline: Timeline,
    view: View,
    fmt: str,
    title: str | None = None,
    width: int | None = None,
    scale: float | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The view in ``fmt``: the one function behind the app's download buttons and ``timeline export``.
    Images and pages speak ``lang``; a CSV is the data, every language's columns included. During a
    story, images show the step as the page does (its window, the event marked)."""
    if fmt == "csv":
        if timeline.engine is not None:  # beyond memory: the matches fetched, all of them or none
            found = matching_events(timeline, view)
            return events_csv(found, np.arange(len(found.events)))
        return events_csv(timeline, filter_events(timeline, view))
    if fmt == "html":
        return standalone_html(timeline, view, title=title, lang=lang)
    if fmt == "story":
        if timeline.engine is not None:
            raise ValueError("a story page needs the events in memory (serve without --engine)")
        return story_html(timeline, view, title=title, lang=lang)
    shown, step = shown_view(timeline, view)
    highlight = step.row if step is not None else None
    return render_view(
        timeline, shown, fmt, title=title, width=width or EXPORT_WIDTH, scale=scale, lang=lang, highlight=highlight
    )


def events_csv(timeline: Timeline, rows: np.ndarray) -> bytes:
    """The events at ``rows`` (and every era) as a CSV in the project's own format (see :func:`events_frame`)."""
    buf = io.StringIO()
    events_frame(timeline, rows).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def events_frame(timeline: Timeline, rows: np.ndarray) -> pd.DataFrame:
    """The events at ``rows`` (and every era) in the columns of the project's own CSV format, as text:
    what a CSV or a Parquet file of the timeline holds.

    Loading it again (``timeline validate``) gives the same events: dates keep their precision
    (``-0490``, ``2015-04``), themes their names, extra columns their values. Text cells that a
    spreadsheet would run as formulas are written as ``'=...``, which the loader reads back as written.
    """
    ev = timeline.events.iloc[rows]
    masks, which = np.unique(ev["theme_mask"].to_numpy(), return_inverse=True)  # each set of themes once
    named = np.asarray([";".join(local_theme(t) for t in timeline.theme_names(int(m))) for m in masks], dtype=object)
    themes = list(named[which.reshape(-1)])
    out = _file_rows(ev, themes, "event")
    if timeline.topics:
        out.insert(0, "topic", row_topics(timeline, rows))
    if len(timeline.lives):
        _write_lives(out, timeline, rows)
    for col in timeline.extras.columns:
        out[col] = timeline.extras[col].iloc[rows].to_numpy(dtype=object)
    if len(timeline.eras):
        theirs = timeline.era_extras.reindex(range(len(timeline.eras))).fillna("")  # none kept: empty
        eras = _file_rows(timeline.eras, list(theirs.pop("themes")) if "themes" in theirs else "", "era")
        if timeline.topics:
            eras.insert(0, "topic", np.asarray(timeline.topics, dtype=object)[timeline.eras["topic"].to_numpy()])
        for col in theirs.columns:
            eras[col] = theirs[col].to_numpy(dtype=object)
        out = pd.concat([out, eras], ignore_index=True).fillna("")
    for col in out.columns:
        if col not in NOT_TEXT:
            out[col] = neutralise_formulas(out[col].astype(str))
    return out


def _write_lives(out: pd.DataFrame, timeline: Timeline, rows: np.ndarray) -> None:
    """The life_start and life_end columns, as written; a life alone has no date of its own."""
    lives = timeline.lives
    place = np.full(len(timeline.events), -1, dtype=np.int64)
    place[lives["row"].to_numpy()] = np.arange(len(lives))
    at = place[rows]
    has = at >= 0
    for col, src in ((LIFE_START, "start_text"), (LIFE_END, "end_text")):
        values = np.full(len(rows), "", dtype=object)
        values[has] = lives[src].to_numpy(dtype=object)[at[has]]
        out[col] = values
    alone = life_only(lives, len(timeline.events))[rows]
    out.loc[alone, ["date", "end_date"]] = ""


def _file_rows(frame: pd.DataFrame, themes: list[str] | str, kind: str) -> pd.DataFrame:
    """Events or eras back in the file's columns, dates at their precision."""
    out = pd.DataFrame(
        {
            "id": frame["id"].to_numpy(dtype=object),
            "date": _as_written(frame, "date_text", dates.to_iso(frame["start"], frame["start_prec"])),
            "end_date": _as_written(frame, "end_date_text", dates.to_iso(frame["end"], frame["end_prec"])),
            "title": frame["title"].to_numpy(dtype=object),
            "themes": themes,
            **{c: frame[c].to_numpy(dtype=object) for c in ("description", "actors", "location", "source")},
            "importance": frame["importance"].astype(str).to_numpy(dtype=object),
            "kind": kind,
            **{
                shown: _given_display(frame, shown, written, end)
                for shown, written, end in (
                    ("display_date", "date_text", False),
                    ("end_display_date", "end_date_text", True),
                )
                if shown in frame
            },
        }
    )
    for column in MEDIA_COLUMNS:
        if column in frame:
            out[column] = frame[column].to_numpy(dtype=object)
    if STORY_COLUMN in frame:
        out[STORY_COLUMN] = _whole_numbers(frame[STORY_COLUMN].to_numpy())
    if "julian" in frame and frame["julian"].any():
        out["calendar"] = np.where(frame["julian"].to_numpy(), "julian", "")
    for column in frame.columns:
        if language_variant(column):
            out[column] = frame[column].to_numpy(dtype=object)
    return out


def _given_display(frame: pd.DataFrame, shown: str, written: str, end: bool) -> np.ndarray:
    """The display dates the file gave: where a date was written in words ('July 8, 1853'), validation
    shows it in the app's way ('8 Jul 1853') as its display date, which a file read back would take
    for the writer's own (fixed, in English, over the page's language). Those are left out: the
    date's text, written back as it was, reads as they did."""
    out: np.ndarray = frame[shown].to_numpy(dtype=object).copy()
    if written not in frame:
        return out
    texts = frame[written].to_numpy(dtype=object)
    check = np.flatnonzero((texts != "") & (out != ""))
    if not len(check):
        return out
    julian = frame["julian"].to_numpy(dtype=bool) if "julian" in frame else None
    for order in (None, *DATE_ORDERS):  # the order the file was read in is not kept: any that reads it
        read = dates.parse_dates(list(texts[check]), None if julian is None else julian[check], order, end=end)
        computed = np.array([r is not None and r == out[i] for r, i in zip(read.display, check)], dtype=bool)
        out[check[computed]] = ""
        check = check[~computed]  # an order is tried on the dates no earlier one read so
        if not len(check):
            break
    return out


def _whole_numbers(values: np.ndarray) -> np.ndarray:
    """Floats holding whole numbers (NaN for none) as the file writes them: '3', '-2', ''."""
    given = np.isfinite(values)
    out = np.full(len(values), "", dtype=object)
    out[given] = values[given].astype(np.int64).astype(str)
    return out


def _as_written(frame: pd.DataFrame, column: str, iso: np.ndarray) -> np.ndarray:
    """Dates in the new forms (c. 1600, 156X, [1590..1610], 66 Ma) or the Julian calendar as the file
    wrote them; the others at their precision."""
    if column not in frame:
        return iso
    written = frame[column].to_numpy(dtype=object)
    out: np.ndarray = np.where(written != "", written, iso)
    return out


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Prefix ``'`` to cells that start like a spreadsheet formula (and to cells already starting so)."""
    starts = values.str[:1]
    risky = starts.isin(list(FORMULA_START)) | ((starts == "'") & values.str[1:2].isin(list(FORMULA_START)))
    return values.where(~risky, "'" + values)


def standalone_html(timeline: Timeline, view: View, title: str | None = None, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The current view as one HTML file that works offline: pan, zoom and hover included."""
    fig = figure_of(timeline, view, FigureOptions(title=title, width=None, lang=lang))
    page: str = pio.to_html(
        fig,
        full_html=True,
        include_plotlyjs=True,
        config={"displaylogo": False, "responsive": True},
        default_width="100%",
        default_height=f"{fig['layout']['height']}px",
        div_id="timeline",
    )
    heading = html.escape(figure_title(timeline, title, lang))
    page = page.replace("<head>", f"<head><title>{heading}</title>", 1).replace("<html>", f'<html lang="{lang}">', 1)
    return page.encode("utf-8")
