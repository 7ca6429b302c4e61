"""Exports of a view: PNG, SVG and PDF through kaleido (headless Chromium), the filtered events as
CSV, and a standalone interactive HTML page.

The app and the CLI both call :func:`render_view`, so a downloaded image and a
command-line image of the same view are the same figure. Files are written
atomically: a crash mid-write leaves any previous file intact.
"""

from __future__ import annotations

import html
import io
import os
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio

from . import dates

from .data import FORMULA_START, Timeline
from .figure import FigureOptions, build_figure
from .filters import View

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
EXPORT_WIDTH = 1600
"""Layout width in px of an exported figure (print and slide size)."""
PNG_SCALE = 2
"""PNG pixels per layout px: 3200 px wide, sharp when printed at A4 width."""

_server_lock = threading.Lock()
_server_started = False


def export_format(path: str | Path) -> str:
    """'png', 'svg' or 'pdf' from a file name; ValueError otherwise."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"cannot export to '{Path(path).name}': the name must end in .png, .svg or .pdf")
    return ext


def start_export_server() -> None:
    """Keep one headless browser for this process: later exports take ~0.15 s instead of ~2 s."""
    global _server_started
    with _server_lock:
        if _server_started:
            return
        import kaleido
        kaleido.start_sync_server(silence_warnings=True)
        _server_started = True
        _lower_browser_priority()


EXPORT_NICENESS = 10


def _lower_browser_priority() -> None:
    """Let the export browser yield the CPU to interactive requests (Linux; best effort).

    A PNG at print size costs Chromium about a CPU-second; at normal priority, exports
    requested by a few users would slow every other user's callbacks.
    """
    me = os.getpid()
    try:
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as fh:
                        fields = fh.read().rsplit(b")", 1)[1].split()
                    parents[int(entry)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue
        for pid in parents:
            p, depth = parents.get(pid), 0
            while p and p != me and depth < 8:
                p, depth = parents.get(p), depth + 1
            if p == me:
                os.setpriority(os.PRIO_PROCESS, pid, EXPORT_NICENESS)
    except OSError:
        pass


def stop_export_server() -> None:
    global _server_started
    with _server_lock:
        if not _server_started:
            return
        import kaleido
        kaleido.stop_sync_server(silence_warnings=True)
        _server_started = False


def render_view(timeline: Timeline, view: View, fmt: str = "png", title: str | None = None,
                width: int = EXPORT_WIDTH, height: int | None = None, scale: float | None = None) -> bytes:
    """The view as an image file's bytes, at print size."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    fig = build_figure(timeline, view, FigureOptions(title=title, width=width, height=height))
    if scale is None:
        scale = PNG_SCALE if fmt == "png" else 1
    with warnings.catch_warnings():
        # With a running export server kaleido warns that per-call browser options are unused.
        warnings.filterwarnings("ignore", message="The kopts argument is ignored")
        return pio.to_image(fig, format=fmt, width=width, height=fig["layout"]["height"], scale=scale,
                            validate=False)


def events_csv(timeline: Timeline, rows: np.ndarray) -> bytes:
    """The events at ``rows`` (and every era) as a CSV in the project's own format.

    Loading it again (``timeline validate``) gives the same events: dates keep their precision
    (``-0490``, ``2015-04``), themes their names, extra columns their values. Text cells that a
    spreadsheet would run as formulas are written as ``'=...``, which the loader reads back as written.
    """
    ev = timeline.events.iloc[rows]
    themes = [";".join(timeline.theme_names(int(m))) for m in ev["theme_mask"].to_numpy()]
    out = _file_rows(ev, themes, "event")
    for col in timeline.extras.columns:
        out[col] = timeline.extras[col].iloc[rows].to_numpy(dtype=object)
    if len(timeline.eras):
        out = pd.concat([out, _file_rows(timeline.eras, "", "era")], ignore_index=True).fillna("")
    for col in out.columns:
        if col not in ("date", "end_date", "importance", "kind"):
            out[col] = neutralise_formulas(out[col].astype(str))
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _file_rows(frame: pd.DataFrame, themes, kind: str) -> pd.DataFrame:
    """Events or eras back in the file's columns, dates at their precision."""
    return pd.DataFrame({
        "id": frame["id"].to_numpy(dtype=object),
        "date": dates.to_iso(frame["start"].to_numpy(), frame["start_prec"].to_numpy()),
        "end_date": dates.to_iso(frame["end"].to_numpy(), frame["end_prec"].to_numpy()),
        "title": frame["title"].to_numpy(dtype=object),
        "themes": themes,
        **{c: frame[c].to_numpy(dtype=object) for c in ("description", "actors", "location", "source")},
        "importance": frame["importance"].astype(str).to_numpy(dtype=object),
        "kind": kind,
        **{c: frame[c].to_numpy(dtype=object) for c in ("display_date", "end_display_date") if c in frame},
    })


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Prefix ``'`` to cells that start like a spreadsheet formula (and to cells already starting so)."""
    starts = values.str[:1]
    risky = starts.isin(list(FORMULA_START)) | ((starts == "'") & values.str[1:2].isin(list(FORMULA_START)))
    return values.where(~risky, "'" + values)


def standalone_html(timeline: Timeline, view: View, title: str | None = None) -> bytes:
    """The current view as one HTML file that works offline: pan, zoom and hover included."""
    fig = build_figure(timeline, view, FigureOptions(title=title, width=None))
    page = pio.to_html(fig, full_html=True, include_plotlyjs=True,
                       config={"displaylogo": False, "responsive": True},
                       default_width="100%", default_height=f"{fig['layout']['height']}px")
    heading = html.escape(title or timeline.title or "Timeline")
    page = page.replace("<head>", f"<head><title>{heading}</title>", 1)
    return page.encode("utf-8")
