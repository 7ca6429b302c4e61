"""Static images of a view (PNG, SVG, PDF) drawn by plotly.js in a headless Chromium through kaleido.

One browser is kept per process and shared by every request; each export gets a tab and a
result of its own. The app and the CLI both call :func:`render_view`, so a downloaded image
and a command-line image of the same view are the same figure, byte for byte.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..core.i18n import DEFAULT_LANGUAGE
from ..core.model import Timeline
from ..core.query import View
from .figure import Figure, FigureOptions
from .queried import figure_of

if TYPE_CHECKING:
    from kaleido import Kaleido

FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
EXPORT_WIDTH = 1600
"""Layout width in px of an exported figure (print and slide size)."""
PNG_SCALE = 2
"""PNG pixels per layout px: 3200 px wide, sharp when printed at A4 width."""

EXPORT_TABS = 2
"""Browser tabs rendering at once in one process (this machine has 2 cores)."""
EXPORT_TIMEOUT_S = 90
"""Longest an export may wait for a free tab and render, before the user is told to try again."""
NOT_READY = "kaleido_scopes is not defined"
"""What kaleido's drawing call says on a tab whose page has not loaded its script (a race of
kaleido's on a busy machine); the tab is reloaded as it is given back, so the export is tried again."""
NOT_READY_TRIES = 3
EXPORT_NICENESS = 10
EXPORT_IDLE_S = 600.0
"""How long a browser started at a server's first download stays without an export before it stops,
giving its memory back (the next download starts it again)."""
KALEIDO_OPTIONS = {"mathjax": False}
"""No MathJax: kaleido would otherwise fetch it from a CDN, and nothing here downloads at run time."""


HEADLESS_SHELL = "chromium-headless-shell"
"""Chromium built for headless use alone (Debian's package of that name), which draws the same image
bytes as the whole browser: on this machine, from its start, a first export took 2.3-2.7 s in it against
4.7-5.0 s, and its processes held 0.30 GB of PSS (0.66 GB of RSS summed) against 0.52 GB (1.23 GB)."""


def export_browser_path() -> str | None:
    """The browser exports are drawn in: Chromium's headless shell where installed, else None for
    kaleido to find a Chrome or Chromium of its own; kaleido's own ``BROWSER_PATH`` setting, where
    given, comes first (kaleido itself prefers to it a Chrome downloaded by ``kaleido_get_chrome``,
    which the shell, where installed, now comes before)."""
    if os.environ.get("BROWSER_PATH"):
        return None  # kaleido reads it itself
    return shutil.which(HEADLESS_SHELL)


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
        self.idle_s: float | None = None
        """Stop once this long without an export (the next one starts it again); None: keep it."""
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Kaleido | None = None
        self._closing: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._busy = 0
        self._used = 0.0
        self._started = 0

    @property
    def running(self) -> bool:
        return self._kaleido is not None and self._pid == os.getpid()

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self.running:
            return
        if self._pid != os.getpid():  # a forked process has no browser, nor its parent's exports
            self._busy = 0
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), daemon=True, name="timeline-export-browser"
        )
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        if not self._pid:
            atexit.register(self.stop)
        self._pid = os.getpid()
        _lower_priority_of_children()
        self._used = time.monotonic()
        self._started += 1
        if self.idle_s is not None:
            threading.Thread(
                target=self._stop_when_idle, args=(self._started,), daemon=True, name="timeline-export-idle"
            ).start()

    def _stop_when_idle(self, started: int) -> None:
        """Stop the browser once it has gone ``idle_s`` without an export (none under way); this
        watch ends with the browser it was started for (its ``started`` count)."""
        while True:
            with self._lock:
                idle = self.idle_s  # once: it may be changed meanwhile (None: the browser kept)
                if not self.running or idle is None or started != self._started:
                    return
                left = self._used + idle - time.monotonic()
                if self._busy == 0 and left <= 0:
                    self._stop()
                    return
            time.sleep(max(left, idle / 10, 0.01))

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        import kaleido

        async def main() -> None:
            try:
                path = export_browser_path()
                where = {"path": path} if path else {}
                async with kaleido.Kaleido(n=self.tabs, **KALEIDO_OPTIONS, **where) as k:
                    self._closing = asyncio.Event()
                    self._kaleido = k
                    ready.set()
                    await self._closing.wait()
            except BaseException as exc:
                failure.append(exc)
            finally:
                self._kaleido = None
                ready.set()

        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(main())
        finally:
            self._loop.close()

    def render(self, fig: Figure, fmt: str, width: int, height: int, scale: float) -> bytes:
        """The figure as ``fmt`` bytes; ExportBusy if no tab was free in time."""
        with self._lock:  # started, and counted as under way: not stopped for idleness meanwhile
            self._start()
            k, loop = self._kaleido, self._loop
            self._busy += 1
        try:
            assert k is not None and loop is not None
            opts = {"format": fmt, "width": width, "height": height, "scale": scale}
            tries = NOT_READY_TRIES
            while True:
                future = asyncio.run_coroutine_threadsafe(k.calc_fig(fig, opts=opts), loop)
                try:
                    data: bytes = future.result(EXPORT_TIMEOUT_S)
                    return data
                except concurrent.futures.TimeoutError:
                    future.cancel()
                    raise ExportBusy("the export service is busy: try again in a moment") from None
                except Exception as exc:
                    tries -= 1
                    if NOT_READY not in str(exc) or tries == 0:
                        raise
        finally:
            with self._lock:
                self._busy -= 1
                self._used = time.monotonic()

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
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


BROWSER_WAITS_S = 0.5
"""How often a browser to be started once the server's heavy work is done looks whether it is."""


def start_export_server_soon(after: Callable[[], bool] | None = None) -> threading.Thread:
    """Start this process's export browser in the background (some 3 CPU-seconds and 0.3 GB), once
    ``after()`` is true when given (the server's own heavy work done): a server's worker answers pages
    meanwhile, and an export asked for before the browser is up waits for it (or starts it)."""
    thread = threading.Thread(target=_start_or_say, args=(after,), daemon=True, name="timeline-export-browser-start")
    thread.start()
    return thread


def _start_or_say(after: Callable[[], bool] | None) -> None:
    while after is not None and not after():
        time.sleep(BROWSER_WAITS_S)
    _lower_this_threads_priority()  # the browser's start, seconds of CPU, yields to the worker's answers
    try:
        _browser.start()
    except Exception as exc:  # the first export tries again and says why to its user
        print(f"timeline: the export browser did not start ({exc}): the first export tries again", file=sys.stderr)


def stop_export_server() -> None:
    _browser.stop()


def stop_export_server_when_idle(seconds: float | None = EXPORT_IDLE_S) -> None:
    """From its next start, this process's export browser stops once ``seconds`` pass without an
    export (None: it is kept until the process ends)."""
    _browser.idle_s = seconds


def export_server_running() -> bool:
    """Whether this process's export browser is started (a program may keep one for its own exports)."""
    return _browser.running


def _lower_this_threads_priority() -> None:
    """Run this thread, and the threads and processes it starts (the browser's), at
    :data:`EXPORT_NICENESS` (Linux gives each thread a priority of its own; best effort elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), EXPORT_NICENESS)


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


def render_view(
    timeline: Timeline,
    view: View,
    fmt: str = "png",
    title: str | None = None,
    width: int = EXPORT_WIDTH,
    height: int | None = None,
    scale: float | None = None,
    lang: str = DEFAULT_LANGUAGE,
    highlight: int | None = None,
) -> bytes:
    """The view as an image file's bytes, at print size (``highlight``: a story step's event row)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    fig = figure_of(
        timeline, view, FigureOptions(title=title, width=width, height=height, lang=lang, highlight=highlight)
    )
    if scale is None:
        scale = PNG_SCALE if fmt == "png" else 1
    data = _browser.render(fig, fmt, width, fig["layout"]["height"], scale)
    return _fixed_svg_ids(data) if fmt == "svg" else data


_SVG_UID = re.compile(rb'id="defs-([0-9a-f]{6})"')


def _fixed_svg_ids(svg: bytes) -> bytes:
    """plotly.js names an SVG's clip paths after a random id: a fixed one makes exports of one view equal."""
    found = _SVG_UID.search(svg)
    return re.sub(rb"(?<=[a-z-])" + found.group(1), b"plotly", svg) if found else svg
