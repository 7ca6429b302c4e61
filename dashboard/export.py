"""Exports of a view: PNG, SVG and PDF through kaleido (headless Chromium), the filtered events as
CSV, and a standalone interactive HTML page.

The app and the CLI both call :func:`render_view`, so a downloaded image and a
command-line image of the same view are the same figure. Files are written
atomically: a crash mid-write leaves any previous file intact.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import html
import io
import os
import re
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio

from . import dates
from .data import FORMULA_START, Timeline
from .figure import FigureOptions, build_figure
from .filters import View, filter_events

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
EXPORT_WIDTH = 1600
"""Layout width in px of an exported figure (print and slide size)."""
PNG_SCALE = 2
"""PNG pixels per layout px: 3200 px wide, sharp when printed at A4 width."""

EXPORT_FORMATS = (*FORMATS, "csv", "html")
"""Everything a view can be exported to, from the app and from the command line."""


def export_format(path: str | Path) -> str:
    """'png', 'svg', 'pdf', 'csv' or 'html' from a file name; ValueError otherwise."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in EXPORT_FORMATS:
        raise ValueError(f"cannot export to '{Path(path).name}': the name must end in .png, .svg, .pdf, "
                         ".csv or .html")
    return ext


def export_view(timeline: Timeline, view: View, fmt: str, title: str | None = None,
                width: int | None = None, scale: float | None = None) -> bytes:
    """The view in ``fmt``: the one function behind the app's download buttons and ``timeline export``."""
    if fmt == "csv":
        return events_csv(timeline, filter_events(timeline, view))
    if fmt == "html":
        return standalone_html(timeline, view, title=title)
    return render_view(timeline, view, fmt, title=title, width=width or EXPORT_WIDTH, scale=scale)


EXPORT_TABS = 2
"""Browser tabs rendering at once in one process (this machine has 2 cores)."""
EXPORT_TIMEOUT_S = 90
"""Longest an export may wait for a free tab and render, before the user is told to try again."""
EXPORT_NICENESS = 10
KALEIDO_OPTIONS = {"mathjax": False}
"""No MathJax: kaleido would otherwise fetch it from a CDN, and nothing here downloads at run time."""


class ExportBusy(ValueError):
    """Every tab stayed busy past EXPORT_TIMEOUT_S: the user is asked to try again."""


class ExportBrowser:
    """One headless browser for this process, shared by every request, each getting its own image.

    kaleido's own sync server hands results back through one shared queue, so concurrent callers
    can receive each other's images. Here every call is a coroutine on the browser's event loop
    (kaleido gives each a tab of its own, EXPORT_TABS at a time) and its caller waits on that
    coroutine's own future.
    """

    def __init__(self, tabs: int = EXPORT_TABS) -> None:
        self.tabs = tabs
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self._closing: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    @property
    def running(self) -> bool:
        return self._kaleido is not None and self._pid == os.getpid()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            ready = threading.Event()
            failure: list[BaseException] = []
            self._thread = threading.Thread(target=self._serve, args=(ready, failure), daemon=True,
                                            name="timeline-export-browser")
            self._thread.start()
            ready.wait()
            if failure:
                raise failure[0]
            if not self._pid:
                atexit.register(self.stop)
            self._pid = os.getpid()
            _lower_priority_of_children()

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        import kaleido

        async def main() -> None:
            try:
                async with kaleido.Kaleido(n=self.tabs, **KALEIDO_OPTIONS) as k:
                    self._closing = asyncio.Event()
                    self._kaleido = k
                    ready.set()
                    await self._closing.wait()
            except BaseException as exc:  # noqa: BLE001 - reported to the thread that started us
                failure.append(exc)
            finally:
                self._kaleido = None
                ready.set()

        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(main())
        finally:
            self._loop.close()

    def render(self, fig: dict, fmt: str, width: int, height: int, scale: float) -> bytes:
        """The figure as ``fmt`` bytes; ExportBusy if no tab was free in time."""
        self.start()
        k, loop = self._kaleido, self._loop
        assert k is not None and loop is not None
        opts = {"format": fmt, "width": width, "height": height, "scale": scale}
        future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
        try:
            return future.result(EXPORT_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ExportBusy("the export service is busy: try again in a moment") from None

    def stop(self) -> None:
        with self._lock:
            if not self.running or self._loop is None or self._closing is None:
                return
            self._loop.call_soon_threadsafe(self._closing.set)
            if self._thread is not None:
                self._thread.join(30)
            self._kaleido = None


_browser = ExportBrowser()


def start_export_server() -> None:
    """Keep one headless browser for this process: later exports take ~0.15 s instead of ~2 s."""
    _browser.start()


def stop_export_server() -> None:
    _browser.stop()


def _lower_priority_of_children() -> None:
    """Let the export browser yield the CPU to interactive requests (best effort).

    A PNG at print size costs Chromium about a CPU-second; at normal priority, exports
    requested by a few users would slow every other user's callbacks.
    """
    import psutil
    try:
        for child in psutil.Process().children(recursive=True):
            try:
                child.nice(EXPORT_NICENESS)
            except psutil.Error:
                continue
    except psutil.Error:
        pass


def render_view(timeline: Timeline, view: View, fmt: str = "png", title: str | None = None,
                width: int = EXPORT_WIDTH, height: int | None = None, scale: float | None = None) -> bytes:
    """The view as an image file's bytes, at print size."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    fig = build_figure(timeline, view, FigureOptions(title=title, width=width, height=height))
    if scale is None:
        scale = PNG_SCALE if fmt == "png" else 1
    data = _browser.render(fig, fmt, width, fig["layout"]["height"], scale)
    return _fixed_svg_ids(data) if fmt == "svg" else data


_SVG_UID = re.compile(rb'id="defs-([0-9a-f]{6})"')


def _fixed_svg_ids(svg: bytes) -> bytes:
    """plotly.js names an SVG's clip paths after a random id: a fixed one makes exports of one view equal."""
    found = _SVG_UID.search(svg)
    return re.sub(rb"(?<=[a-z-])" + found.group(1), b"plotly", svg) if found else svg


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
                       default_width="100%", default_height=f"{fig['layout']['height']}px",
                       div_id="timeline")
    heading = html.escape(title or timeline.title or "Timeline")
    page = page.replace("<head>", f"<head><title>{heading}</title>", 1)
    return page.encode("utf-8")
