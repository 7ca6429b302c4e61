"""The page a server shows on its port while it prepares its data (``web.preparing``), on a real socket."""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.io.progress import Step
from dashboard.web.preparing import STATUS_PATH, PreparingPage
from dashboard.web.server import listen

NAME = 'Perry <script>alert("x")</script> & co.csv'


@pytest.fixture
def preparing():
    listening = listen("127.0.0.1", 0)
    page = PreparingPage(listening, NAME, "'self'").start()
    url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    yield page, url
    page.stop()
    listening.close()


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read().decode()


def test_every_page_is_the_preparing_page_with_the_step_in_words_and_the_name_as_text(preparing):
    page, url = preparing
    page.status.record(Step("validating", 2_500_000, 10_000_000))
    for path in ("/", "/anything?x=1", "/_dash-layout"):
        code, headers, body = fetch(url + path)
        assert code == 503
        assert headers["Retry-After"] == "5"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{24})'", headers["Content-Security-Policy"]).group(1)
        assert f"style-src 'nonce-{nonce}'" in headers["Content-Security-Policy"]
        assert f'<script nonce="{nonce}">' in body and f'<style nonce="{nonce}">' in body
        # nothing asked for separately, which the app could answer once it has taken over (the page then
        # without its script, never turning into the app): only the status, by the script
        assert not re.search(r"\b(src|href)=", body)
        assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
        assert "<script>alert" not in body
        assert "Perry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co.csv" in body
        assert 'role="status">Checking the rows: 2,500,000 of 10,000,000</p>' in body
    assert fetch(url)[1]["Content-Security-Policy"] != headers["Content-Security-Policy"]  # a nonce per page


def test_the_status_says_each_step_and_how_far_it_has_got_in_the_readers_language(preparing):
    page, url = preparing
    code, headers, body = fetch(url + STATUS_PATH)
    assert (code, headers["Content-Type"]) == (200, "application/json")
    assert json.loads(body)["text"] == "Reading the file"
    page.status.record(Step("validating", 131_072, 1_000_000))
    said = json.loads(fetch(url + STATUS_PATH)[2])
    assert said["text"] == "Checking the rows: 131,072 of 1,000,000"
    assert (said["done"], said["total"]) == (131_072, 1_000_000)
    assert said["elapsed"].endswith("s so far")
    page.status.record(Step("ids", 1_000_000, 1_000_000))
    assert (
        json.loads(fetch(url + STATUS_PATH + "?lang=ja")[2])["text"]
        == "1,000,000件の出来事のIDに重複がないか確かめています"
    )
    assert json.loads(fetch(url + STATUS_PATH, **{"Accept-Language": "ja,en;q=0.5"})[2])["text"].startswith(
        "1,000,000件"
    )
    assert '<html lang="ja">' in fetch(url + "/?lang=ja")[2]
    assert '<html lang="en">' in fetch(url + "/?lang=<b>")[2]


def test_a_question_from_a_page_of_an_earlier_run_is_told_to_wait(preparing):
    _, url = preparing
    request = urllib.request.Request(url + "/_dash-update-component", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 503
    assert refused.value.read() == b"The server is preparing its data.\n"


def test_concurrent_readers_each_get_a_whole_status_while_the_builder_writes_it(preparing):
    page, url = preparing
    stop = threading.Event()

    def builder() -> None:
        done = 0
        while not stop.is_set():
            done += 1
            page.status.record(Step("validating", done, 10**9))

    page.status.record(Step("validating", 0, 10**9))  # before any reader asks (else: 'Reading the file')
    writer = threading.Thread(target=builder)
    writer.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: fetch(url + STATUS_PATH), range(80)))
    finally:
        stop.set()
        writer.join()
    assert all(code == 200 for code, _, _ in answers)
    texts = [json.loads(body)["text"] for _, _, body in answers]
    bad = [t for t in texts if not (t.startswith("Checking the rows: ") and t.endswith(" of 1,000,000,000"))]
    assert not bad, bad[:3]


def test_a_connection_that_sends_nothing_does_not_hold_the_others_up(preparing):
    _, url = preparing
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10):  # says nothing
        started = time.monotonic()
        assert fetch(url + STATUS_PATH)[0] == 200
        assert time.monotonic() - started < 5


def test_once_stopped_the_port_stays_open_and_the_next_requests_wait_for_the_app(preparing):
    """The app takes the same socket over: a request made between the page's end and the app's start
    waits in the socket's queue (none is refused), and is answered by whoever accepts next."""
    page, url = preparing
    page.stop()
    page.stop()  # a second stop (a forked worker's) does nothing
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.0\r\n\r\n")
        page.listening.settimeout(10)
        accepted, _ = page.listening.accept()  # the app, in the real server
        with accepted:
            assert accepted.recv(100).startswith(b"GET / HTTP/1.0")


def _reset(port: int, request: bytes) -> None:
    """A client that sends ``request`` and goes away at once, resetting the connection (a tab closed)."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(request)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def test_a_client_that_goes_away_leaves_no_traceback_on_the_terminal(preparing, capfd):
    """The terminal shows the server's steps: a reader who closes the tab (the connection reset before the
    page is written) is nothing to report, and the page goes on answering the others."""
    page, url = preparing
    port = int(url.rsplit(":", 1)[1])
    for request in (b"GET / HTTP/1.0\r\n\r\n", b"GET " + STATUS_PATH.encode() + b" HTTP/1.0\r\n\r\n", b"GET / HTT"):
        for _ in range(5):
            _reset(port, request)
    assert fetch(url + STATUS_PATH)[0] == 200
    page.stop()  # every answer under way ended
    time.sleep(0.2)
    said = capfd.readouterr().err
    assert "Traceback" not in said and "Exception" not in said, said


def _answering(besides: set[threading.Thread] | None = None) -> list[threading.Thread]:
    """Threads answering a connection of a ``socketserver`` server, but for those in ``besides`` (other
    servers of this test process: a development server of another test file leaves its own)."""
    return [t for t in threading.enumerate() if "process_request" in t.name and t not in (besides or set())]


def test_stopping_ends_the_connections_it_holds_and_leaves_no_thread_behind(preparing):
    """The page stops just before the app's workers fork: a connection it still holds (a client slow to
    send its request) must not be answered with this page after the app has taken over, nor its thread
    left in the server's master process, nor its socket copied into every worker."""
    page, url = preparing
    others = set(_answering())
    port = int(url.rsplit(":", 1)[1])
    slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
    slow[1].sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers not finished
    slow[2].sendall(b"GET /_das")  # request line not finished
    deadline = time.monotonic() + 5
    while len(_answering(others)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(_answering(others)) == 3
    started = time.monotonic()
    page.stop()
    assert time.monotonic() - started < 3
    assert _answering(others) == []
    for client in slow:
        with client:
            client.settimeout(1)
            try:
                while client.recv(65536):  # an answer, if any, then the end: nothing more comes
                    pass
            except ConnectionResetError:
                pass
