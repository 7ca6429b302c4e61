"""Timelines with uncertain and deep-time dates, built in memory (whatever the parser reads), and a
server for them: the figure is tested on them before files can say "c. 1600" or "66 Ma"."""

from __future__ import annotations

import io
import threading
import time
import urllib.request
from functools import cache
from pathlib import Path

import numpy as np

from dashboard.core import dates
from dashboard.core.model import Timeline
from dashboard.io.formats import load_timeline, parse_events

UNCERTAIN_CSV = """id,date,end_date,title,themes,importance,display_date
globe,1600,,Globe performance,culture,5,c. 1600
armada,1588-08-08,,Armada defeated,war,5,
charter,1600-12-31,,East India Company charter,trade,4,
plague,1592,1594,Plague years,culture,3,
league,1590,1610,Trade league,trade,4,between 1590 and 1610
"""

DEEP_CSV = """id,date,title,themes,importance
bigbang,1000,Big Bang,cosmos,5
earth,1001,Earth forms,cosmos,4
dinos,1002,Dinosaurs die out,life,5
humans,1003,Homo sapiens,life,4
marathon,-490,Battle of Marathon,history,5
perry,1853-07-08,Perry arrives,history,4
obama,2016-05-27,Obama visits Hiroshima,history,5
"""
DEEP_AGES = {"bigbang": 13_800_000_000, "earth": 4_540_000_000, "dinos": 66_000_000, "humans": 300_000}
"""Years before present (1950), as geologists write them: 13.8 Ga, 4.54 Ga, 66 Ma, 300 ka."""


def year_start(year: float) -> float:
    y = np.array([int(year)])
    return float(dates.days_from_civil(y, np.ones_like(y), np.ones_like(y)).astype(float)[0] * dates.MS_PER_DAY)


def _load(tmp: Path, name: str, text: str) -> Timeline:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return load_timeline(path)


def with_spans(timeline: Timeline, spans: dict[str, tuple[float, float]]) -> Timeline:
    """The shared model's earliest/latest columns, as the parser will give them: start/last unless
    ``spans`` widens an event (by id) to (earliest, latest) epoch ms."""
    ev = timeline.events
    ev["earliest"] = ev["start"].to_numpy(dtype=np.float64).copy()
    ev["latest"] = ev["last"].to_numpy(dtype=np.float64).copy()
    for event_id, (lo, hi) in spans.items():
        i = np.flatnonzero(ev["id"].to_numpy(dtype=object) == event_id)[0]
        ev.loc[ev.index[i], ["earliest", "latest"]] = lo, hi
    timeline.memo.clear()
    return timeline


def uncertain_timeline(tmp: Path) -> Timeline:
    """'c. 1600' may be 1590..1610; 'between 1590 and 1610' is most likely 1600, may be 1590..1610."""
    tl = _load(tmp, "uncertain.csv", UNCERTAIN_CSV)
    return with_spans(
        tl,
        {"globe": (year_start(1590), year_start(1611) - 1), "league": (year_start(1590), year_start(1611) - 1)},
    )


def deep_timeline(tmp: Path) -> Timeline:
    """The Big Bang, the Earth, the dinosaurs and Homo sapiens beside Marathon, Perry and 2016."""
    tl = with_spans(_load(tmp, "deep.csv", DEEP_CSV), {})
    ev = tl.events
    for event_id, age in DEEP_AGES.items():
        i = ev.index[np.flatnonzero(ev["id"].to_numpy(dtype=object) == event_id)[0]]
        start = year_start(1950 - age)
        ev.loc[i, ["start", "last", "earliest", "latest"]] = start, start + dates.MS_PER_YEAR - 1, start, start
        ev.loc[i, "latest"] = start + dates.MS_PER_YEAR - 1
    tl.memo.clear()
    return tl


class InProcessServer:
    """The app for an in-memory timeline, served from a thread of this process on a free port."""

    def __init__(self, timeline: Timeline, title: str = "Test timeline", timeout: float = 60) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: object, **kwargs: object) -> None:
                pass

        from dashboard.web.app import create_app

        app = create_app(timeline, title=title)
        self._server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=Quiet)
        self.port = self._server.server_port  # port 0: the kernel's choice, never another server's
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="test-server")
        self._thread.start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(10)


def date_ms(text: str, end: bool = False) -> float:
    """The first (or with ``end``, the last) ms of a date as the validator reads it."""
    first, _, last = dates.parse_date(text)
    return last if end else first


@cache
def synthetic_timeline(n: int = 20_000, seed: int = 5) -> Timeline:
    """``n`` generated events in twelve themes, parsed as a CSV of them would be (one per process:
    tests only read it)."""
    import pyarrow.csv as pacsv

    from tests.synthetic import generate

    buf = io.BytesIO()
    pacsv.write_csv(generate(n, n_themes=12, seed=seed), buf)
    return parse_events(buf.getvalue(), "gen.csv")
