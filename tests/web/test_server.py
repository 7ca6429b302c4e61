"""`timeline serve --workers 2`: gunicorn workers, compressed responses, cached assets, plain errors;
and the tests' own servers each on a port of their own, however many start at once."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from dashboard.core.query import View
from dashboard.io import store
from dashboard.web.callbacks.details import OUTPUTS as DETAILS_OUT
from dashboard.web.server import CannotListen, listen
from dashboard.web.wire import callback_body, page_state
from tests import servers
from tests.conftest import ROOT
from tests.servers import Client, Server, reserve_port


@pytest.fixture(scope="module")
def workers():
    srv = Server(ROOT / "data" / "events.csv", "--workers", "2", export_browser="start")
    yield srv.url.rstrip("/"), srv.proc
    srv.stop()


BROWSER_NAMES = ("chromium", "chrome", "headless_shell", "chromium-headless-shell")


def export_browsers(pid: int) -> int:
    """Headless Chromiums (kaleido's export browsers) under process ``pid``: the browser processes
    whose parent is not one, so that a helper the browser has forked but not yet turned into a
    renderer or utility (its command line still the browser's) is not counted as a second browser."""
    count = 0
    for p in psutil.Process(pid).children(recursive=True):
        try:
            parent = p.parent()
            if p.name() in BROWSER_NAMES and (parent is None or parent.name() not in BROWSER_NAMES):
                count += 1
        except psutil.NoSuchProcess:
            continue
    return count


def get(url, **headers):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30)


def test_runs_gunicorn_with_two_workers(workers):
    url, proc = workers
    resp = get(url + "/")
    assert resp.headers["Server"].startswith("gunicorn")
    deadline = time.monotonic() + 60  # the first worker may answer before the second is up
    while len(python_workers := workers_of(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(python_workers) == 2
    # with `start`, each worker starts its export browser as it starts, beside it (it answered meanwhile)
    while (browsers := [export_browsers(int(c)) for c in python_workers]) != [1, 1] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert browsers == [1, 1]


def workers_of(pid: int) -> list[str]:
    """The Python processes (gunicorn's workers) under the server ``pid``."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [c for c in children if b"python" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_a_worker_answers_while_its_export_browser_starts(monkeypatch):
    """The export browser takes seconds of CPU to start: a fresh worker does not wait for it."""
    from dashboard.render import images
    from dashboard.web import server

    release, started = threading.Event(), threading.Event()

    def slow_start():
        started.set()
        release.wait(30)

    monkeypatch.setattr(images._browser, "start", slow_start)
    t0 = time.monotonic()
    server._starting_export_browser(None)(None, None)  # type: ignore[arg-type]
    returned = time.monotonic() - t0
    try:
        assert started.wait(5)  # the start is under way...
        assert returned < 1  # ...and the worker went on without it
    finally:
        release.set()


def test_by_default_a_worker_starts_its_export_browser_at_the_first_image(small_csv):
    srv = Server(small_csv, export_browser=None)  # serve's default
    try:
        assert Client(srv.url.rstrip("/")).figure(None)["match-count"]["children"]
        time.sleep(1)
        assert export_browsers(srv.proc.pid) == 0
        svg = Client(srv.url.rstrip("/")).export(View(themes=("war",)), "svg")
        assert svg.startswith(b"<svg") and "1 of 7 events · themes: War".encode() in svg
        assert export_browsers(srv.proc.pid) == 1
    finally:
        srv.stop()


def test_an_export_browser_started_at_a_download_stops_when_idle_and_starts_again(small_csv):
    """Its memory is given back once no image has been asked for a while; exports under way meanwhile,
    from several threads at once, each get their own image, and the next one starts it again."""
    from dashboard.io.formats import load_timeline
    from dashboard.render import images

    timeline = load_timeline(small_csv)
    browser = images.ExportBrowser()
    browser.idle_s = 1.0
    views = [View(themes=("war",)), View(themes=("trade",)), View(), View(text="treaty")]

    def draw(view: View) -> bytes:
        from dashboard.render.figure import FigureOptions
        from dashboard.render.queried import figure_of

        fig = figure_of(timeline, view, FigureOptions(width=800))
        return images._fixed_svg_ids(browser.render(fig, "svg", 800, fig["layout"]["height"], 1))

    def chromiums() -> set[psutil.Process]:
        return {p for p in psutil.Process().children(recursive=True) if "chrom" in p.name()}

    others = chromiums()  # another test's browser in this process, if any, is not this one's
    expected: dict[View, bytes] = {}
    try:
        for round, asked in enumerate((views * 2, views)):  # the second round: the browser started again
            with ThreadPoolExecutor(4) as pool:
                drawn = list(pool.map(draw, asked))
            assert browser.running
            if not expected:  # each view drawn alone, once
                expected = {view: draw(view) for view in views}
                assert len(set(expected.values())) == 4
            for view, svg in zip(asked, drawn):
                assert svg == expected[view]  # each caller got its own view's image
            chromium = list(chromiums() - others)
            assert chromium
            deadline = time.monotonic() + 10
            while browser.running and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not browser.running, f"round {round}: still running after {browser.idle_s} s idle"
            psutil.wait_procs(chromium, timeout=10)
            assert not [p for p in chromium if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    finally:
        browser.stop()


def test_a_new_workers_first_requests_at_once_are_all_answered(small_csv):
    """A page asks for its scripts at once, over several connections, which the kernel spreads over
    both workers: one may meet them as its first requests, each in a thread of its own. Every one
    is answered (Dash's setup at a process's first request is done before the workers fork)."""
    srv = Server(small_csv, "--workers", "2")  # the start answered one request: a worker has had none
    try:
        url = srv.url.rstrip("/")
        page = get(url + "/").read().decode()
        scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', page)
        assert len(scripts) >= 5

        def fetch(script: str) -> int:
            try:
                return get(url + script).status
            except urllib.error.HTTPError as error:
                return error.code

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(fetch, scripts * 4))
        assert answers == [200] * len(answers)
    finally:
        srv.stop()


def test_responses_are_compressed_and_assets_cached(workers):
    url, _ = workers
    resp = get(url + "/", **{"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(resp.read()).decode()
    script = page.split('<script src="')[1].split('"')[0]
    asset = get(url + script, **{"Accept-Encoding": "gzip"})
    assert "max-age=31536000" in asset.headers["Cache-Control"]


def test_callbacks_answer_and_malformed_requests_get_a_plain_400(workers):
    url, _ = workers
    body = callback_body(DETAILS_OUT, [("selected", "data", 0)], page_state())
    req = urllib.request.Request(
        url + "/_dash-update-component", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    data = json.loads(urllib.request.urlopen(req, timeout=30).read())
    assert "Perry" in json.dumps(data)
    bad = urllib.request.Request(
        url + "/_dash-update-component", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(bad, timeout=30)
    assert info.value.code == 400
    assert info.value.headers["Content-Type"].startswith("text/plain")
    assert info.value.read().decode() == "Bad request: a callback request must be a JSON object."


def test_the_default_server_is_gunicorn_without_a_development_warning(small_csv):
    srv = Server(small_csv)
    try:
        assert get(srv.url).headers["Server"].startswith("gunicorn")
        text = srv.log_text()
    finally:
        srv.stop()
    assert "development server" not in text.lower()
    assert f"http://127.0.0.1:{srv.port}/" in text


def test_a_second_server_told_a_port_already_served_is_refused_and_the_first_answers_alone(small_csv):
    """Two servers on one port would each get some of the connections (the kernel spreads them when both
    bind with SO_REUSEPORT): a reader's page would talk to two datasets at once. The second is refused,
    saying why; every request still reaches the first."""
    first = Server(small_csv)
    try:
        second = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", str(small_csv), "--port", str(first.port), "--title", "Other"],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            said = second.communicate(timeout=60)[1]
        except subprocess.TimeoutExpired:  # it serves: the bug
            for proc in [*psutil.Process(second.pid).children(recursive=True), second]:
                proc.kill()
            raise
        assert second.returncode == 1
        assert f"cannot listen at http://127.0.0.1:{first.port}/: the port is in use" in said
        assert "Traceback" not in said
        pages = [get(first.url).read().decode() for _ in range(20)]
        assert all("<title>Other</title>" not in page for page in pages)
    finally:
        first.stop()


class _Taken:
    """What :func:`reserve_port` returns, for a port someone else already listens on."""

    def __init__(self, port: int):
        self.port = port

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def test_a_server_whose_port_is_taken_after_all_starts_again_on_another(small_csv, monkeypatch):
    with socket.socket() as squatter:  # a program that binds without SO_REUSEPORT: gunicorn cannot share
        squatter.bind(("127.0.0.1", 0))
        taken = squatter.getsockname()[1]
        offered = [_Taken(taken)]
        monkeypatch.setattr(servers, "reserve_port", lambda: offered.pop() if offered else reserve_port())
        srv = Server(small_csv)
        try:
            assert srv.port != taken
            assert get(srv.url).headers["Server"].startswith("gunicorn")
            assert f"http://127.0.0.1:{srv.port}/" in srv.log_text()
        finally:
            srv.stop()


def test_a_worker_starts_its_export_browser_once_the_servers_heavy_work_is_done(monkeypatch):
    """A store served before its tables are made: the browser (0.3 GB, seconds of CPU) waits for them."""
    from dashboard.render import images

    started, done = threading.Event(), threading.Event()
    monkeypatch.setattr(images._browser, "start", started.set)
    monkeypatch.setattr(images, "BROWSER_WAITS_S", 0.05)
    images.start_export_server_soon(done.is_set)
    assert not started.wait(1)  # the tables are still being made
    done.set()
    assert started.wait(5)


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
def test_debug_serves_with_flasks_development_server(small_csv, tmp_path, monkeypatch, engine):
    """``--debug``: Dash's development server (its tools and reloader), which must not be set up by a
    request before it runs (Flask then refuses Dash's error handler: the server never started);
    with an engine, its store served and its tables made beside it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # the reloader's child is killed: what it leaves, here
    srv = Server(small_csv, "--debug", "--engine", engine)
    # the reloader serves from a process of its own: it and its maker of tables end with the test
    tree = psutil.Process(srv.proc.pid).children(recursive=True)
    try:
        resp = get(srv.url)
        assert resp.status == 200 and resp.headers["Server"].startswith("Werkzeug")
        assert Client(srv.url).figure(None)["match-count"]["children"].endswith("events match")
        if engine == "duckdb":
            [made] = (tmp_path / "cache" / "timeline").glob("*.store")
            deadline = time.monotonic() + 60
            while store.ready_tables(made) is None:
                assert time.monotonic() < deadline, srv.log_text()
                time.sleep(0.2)
    finally:
        tree = psutil.Process(srv.proc.pid).children(recursive=True) if srv.proc.poll() is None else tree
        srv.stop()
        for process in tree:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                continue


def test_a_workers_export_browser_starts_at_a_low_priority_from_its_first_moment(monkeypatch):
    """Its start (seconds of CPU) must not slow the worker's first answers: the thread starting it,
    and so the browser's processes it launches, run at the export niceness; the worker's do not."""
    from dashboard.render import images

    seen: dict[str, int] = {}

    def start():
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        child = subprocess.run(["cut", "-d", " ", "-f", "19", "/proc/self/stat"], capture_output=True, text=True)
        seen["child"] = int(child.stdout)

    monkeypatch.setattr(images._browser, "start", start)
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    images.start_export_server_soon().join(10)
    assert seen == {"thread": images.EXPORT_NICENESS, "child": images.EXPORT_NICENESS}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


@pytest.mark.skipif(not socket.has_dualstack_ipv6(), reason="no IPv6 here")
def test_listening_on_every_ipv6_address_takes_ipv4_connections_too_as_gunicorn_did():
    """``--host ::`` (every address) took connections of both families when gunicorn bound it (the
    system's default); the port held from the start must too, not IPv6 alone."""
    with listen("::", 0) as held:
        port = held.getsockname()[1]
        for address in ("::1", "127.0.0.1"):
            with socket.create_connection((address, port), timeout=5):
                accepted, _ = held.accept()
                accepted.close()


@pytest.mark.parametrize(
    "host, why",
    [
        ("a" * 64 + ".example", "'" + "a" * 64 + ".example' is not a host name"),  # a label longer than 63
        ("exa..mple", "'exa..mple' is not a host name"),  # an empty label
        ("1.2.3.4.5", "no address '1.2.3.4.5' here"),
        ("192.0.2.1", "192.0.2.1 is not an address of this machine"),  # TEST-NET-1: never ours
    ],
)
def test_a_host_that_cannot_be_listened_at_is_said_in_one_line(host, why):
    """``--host`` as typed: whatever it is, one line saying where and why (the command line prints it),
    never an exception of another kind (a traceback)."""
    with pytest.raises(CannotListen) as refused:
        listen(host, 0)
    said = str(refused.value)
    assert said.startswith(f"cannot listen at http://{host}:0/: ") and why in said and "\n" not in said


def test_a_host_name_with_addresses_of_both_kinds_is_listened_at_on_ipv4_as_gunicorn_did(monkeypatch):
    """Many systems name ``::1`` first for ``localhost`` (/etc/hosts lists both): gunicorn bound a name
    on IPv4 (IPv6 for an IPv6 address alone), so ``--host localhost`` answered at 127.0.0.1; it still
    must, not at ::1 alone."""
    looked_up = socket.getaddrinfo

    def ipv6_first(host, port, *args, **kwargs):
        found = looked_up(host, port, *args, **kwargs)
        if host == "localhost":
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)), *found]
        return found

    monkeypatch.setattr(socket, "getaddrinfo", ipv6_first)
    with listen("localhost", 0) as held:
        assert held.family == socket.AF_INET
        with socket.create_connection(("127.0.0.1", held.getsockname()[1]), timeout=5):
            held.accept()[0].close()


def test_an_idle_watch_whose_browser_is_then_kept_ends_without_an_error():
    """``stop_export_server_when_idle(None)`` may come while the watch of a browser started before
    runs: the watch reads the limit once each time it looks, and ends, rather than failing on None."""
    from dashboard.render import images

    class Told(images.ExportBrowser):
        reads = 0

        @property  # type: ignore[override]
        def idle_s(self) -> float | None:
            self.reads += 1
            return 0.2 if self.reads == 1 else None  # told to keep the browser right after its first look

        @idle_s.setter
        def idle_s(self, value: float | None) -> None:
            pass

    browser = Told()
    browser._kaleido, browser._pid, browser._started = object(), os.getpid(), 1  # as if started
    browser._used = time.monotonic()
    browser._stop_when_idle(1)  # returns: the browser is kept
    assert browser.running


def test_an_export_on_a_tab_whose_page_is_not_ready_is_drawn_on_the_next(small_csv):
    """kaleido may hand out a tab whose page has not loaded its drawing script yet (seen on a busy
    machine: ``kaleido_scopes is not defined``, a 500 for the download). The tab is reloaded when given
    back, so the export is tried again rather than failed. Reproduced in the real browser by removing
    that script's entry point from every tab's page."""
    import asyncio

    from dashboard.io.formats import load_timeline
    from dashboard.render import images
    from dashboard.render.figure import FigureOptions
    from dashboard.render.queried import figure_of

    timeline = load_timeline(small_csv)
    fig = figure_of(timeline, View(), FigureOptions(width=800))
    browser = images.ExportBrowser(tabs=2)
    try:
        expected = images._fixed_svg_ids(browser.render(fig, "svg", 800, fig["layout"]["height"], 1))

        async def unready() -> None:
            assert browser._kaleido is not None
            queue = browser._kaleido.tabs_ready
            tabs = [queue.get_nowait() for _ in range(queue.qsize())]
            for tab in tabs:
                await tab.tab.send_command("Runtime.evaluate", params={"expression": "delete window.kaleido_scopes"})
                queue.put_nowait(tab)

        assert browser._loop is not None
        asyncio.run_coroutine_threadsafe(unready(), browser._loop).result(10)
        with ThreadPoolExecutor(2) as pool:
            drawn = list(pool.map(lambda _: browser.render(fig, "svg", 800, fig["layout"]["height"], 1), range(2)))
        assert [images._fixed_svg_ids(svg) for svg in drawn] == [expected, expected]
    finally:
        browser.stop()
