"""One browser session answered by two servers that share an upload folder, as behind a load balancer
without sticky sessions.

A small reverse proxy in the test stands for the load balancer: the page at the proxy's address is
served by both `timeline serve` processes, the callbacks that need the upload alternately by each.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.conftest import wait_for_graph
from tests.servers import Server

pytestmark = pytest.mark.browser

UPLOAD = """date,title,themes,description
1492,Columbus lands,voyages,Hispaniola.
1498,Da Gama reaches Calicut,voyages;trade,By sea to India.
1522,Victoria completes the circumnavigation,voyages,Elcano returns.
"""
TITLES = ["Columbus lands", "Da Gama reaches Calicut", "Victoria completes the circumnavigation"]
TITLE_CELLS = "#table .ag-row .ag-cell[col-id=title]"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection"}


class Balancer:
    """A reverse proxy on a free loopback port sending each request to one of ``backends`` in turn.

    The upload itself goes to the first backend; every other callback that names an upload goes to
    each backend in turn, per callback, starting with the second, so that each of them is answered
    by both. ``only`` sends everything to one backend. ``answered`` records each callback: (its
    output, whether it named an upload, the backend's index)."""

    def __init__(self, backends: list[str]):
        self.backends = backends
        self.only: int | None = None
        self.answered: list[tuple[str, bool, int]] = []
        self._turns: Counter[str] = Counter()
        self._lock = threading.Lock()
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                balancer.forward(self, b"")

            def do_POST(self) -> None:
                balancer.forward(self, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def choose(self, path: str, body: bytes) -> int:
        with self._lock:
            if not path.startswith("/_dash-update-component"):
                self._turns["page"] += 1
                return self._turns["page"] % 2 if self.only is None else self.only
            sent = json.loads(body)
            output = sent["output"]
            keyed = any(
                d.get("id") == "dataset" and d.get("value") for d in [*sent.get("inputs", []), *sent.get("state", [])]
            )
            if self.only is not None:
                backend = self.only
            elif output.startswith("..dataset.data"):
                backend = 0
            elif keyed:
                backend = (self._turns[output] + 1) % 2
                self._turns[output] += 1
            else:
                self._turns["unkeyed"] += 1
                backend = self._turns["unkeyed"] % 2
            self.answered.append((output, keyed, backend))
            return backend

    def forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        backend = self.backends[self.choose(handler.path, body)]
        host, port = backend.removeprefix("http://").rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(handler.command, handler.path, body=body or None, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
        conn.close()
        handler.send_response(reply.status)
        for k, v in reply.getheaders():
            if k.lower() not in HOP_BY_HOP:
                handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def two_servers(browser_csv, tmp_path_factory):
    """Two servers of one file sharing an upload folder, for the module's tests (each uploads a file of
    its own name, so that neither server holds another test's upload in memory)."""
    folder = tmp_path_factory.mktemp("two-hosts") / "shared-uploads"
    with ThreadPoolExecutor(2) as pool:  # started at once: both make the folder, or find it made
        servers = list(
            pool.map(
                lambda _: Server(browser_csv, "--title", "Browser test timeline", "--upload-dir", str(folder)), range(2)
            )
        )
    yield servers, folder
    for s in servers:
        s.stop()


@pytest.fixture
def two_hosts(two_servers):
    """The two servers behind a balancer of the test's own (its routing and its record of answers)."""
    servers, folder = two_servers
    balancer = Balancer([s.url for s in servers])
    yield balancer, folder
    balancer.stop()


def open_upload(page, path: Path) -> None:
    path.write_text(UPLOAD, encoding="utf-8")
    page.set_input_files("#upload input[type=file]", str(path))
    wait_for_graph(page, "3 of 3 events match")


def test_one_session_answered_by_two_servers_sharing_the_upload_folder(two_hosts, page, browser, tmp_path):
    balancer, _ = two_hosts
    page.goto(balancer.url)
    wait_for_graph(page, "10 of 10")
    open_upload(page, tmp_path / "voyages.csv")
    assert page.locator("#page-title").text_content() == "Timeline of voyages.csv"

    page.fill("#search", "a")  # every title has an 'a': the figure and table asked again
    page.press("#search", "Enter")
    page.wait_for_function("() => location.search.includes('q=a')")
    wait_for_graph(page, "3 of 3 events match")
    page.fill("#date-from", "1495")
    page.press("#date-from", "Enter")
    wait_for_graph(page, "2 of 3 events match")
    page.wait_for_function("n => document.querySelectorAll('%s').length === n" % TITLE_CELLS, arg=2)
    assert sorted(page.locator(TITLE_CELLS).all_text_contents()) == TITLES[1:]

    for title, said in ((TITLES[1], "By sea to India."), (TITLES[2], "Elcano returns.")):
        page.locator(TITLE_CELLS).filter(has_text=title).click()  # the details of one event, then another
        page.wait_for_function("t => (document.querySelector('#details h2') || {}).textContent === t", arg=title)
        assert said in page.locator("#details").text_content()

    for _ in range(2):
        with page.expect_download(timeout=60000) as info:
            page.click("#download-csv")
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
        assert [r["title"] for r in rows] == TITLES[1:]
    assert page.errors == []
    assert "no longer on the server" not in page.content()

    needed = {}
    for output, keyed, backend in balancer.answered:
        if keyed:
            needed.setdefault(output.split(".")[2] if output.startswith("..") else output, set()).add(backend)
    wanted = {"timeline", "table", "details", "download"}
    assert wanted <= needed.keys(), needed
    assert all(needed[o] == {0, 1} for o in wanted), needed  # each answered by both servers

    other = browser.new_context(viewport={"width": 1440, "height": 1000})  # another user
    try:
        theirs = other.new_page()
        theirs.goto(balancer.url)
        wait_for_graph(theirs, "10 of 10 events match")
        assert theirs.locator("#page-title").text_content() == "Browser test timeline"
        assert not set(TITLES) & set(theirs.locator(TITLE_CELLS).all_text_contents())
        assert "voyages" not in theirs.locator("#themes").text_content().lower()
    finally:
        other.close()


def test_an_upload_removed_from_the_shared_folder_is_said_to_be_gone(two_hosts, page, tmp_path):
    """The other server's clean-up removed the upload before this server had read it: the page says
    so and how to get it back, and keeps working."""
    balancer, folder = two_hosts
    balancer.only = 0
    page.goto(balancer.url)
    wait_for_graph(page, "10 of 10")
    open_upload(page, tmp_path / "sailings.csv")
    for p in folder.glob("*.upload"):
        p.unlink()
    balancer.only = 1  # a server that never had it in memory
    gone = "That uploaded file is no longer on the server: open it again."
    page.click("#download-csv")
    page.wait_for_function("t => document.querySelector('#download-status').textContent.includes(t)", arg=gone)
    page.locator(TITLE_CELLS).filter(has_text=TITLES[0]).click()
    page.wait_for_function("t => document.querySelector('#details').textContent.includes(t)", arg=gone)
    page.evaluate("() => { document.querySelector('#upload-status').textContent = ''; }")
    open_upload(page, tmp_path / "sailings.csv")  # the same file opened again, on this server: all is well
    page.wait_for_function("() => document.querySelector('#upload-status').textContent.includes('Opened sailings')")
    page.locator(TITLE_CELLS).filter(has_text=TITLES[1]).click()
    page.wait_for_function("t => (document.querySelector('#details h2') || {}).textContent === t", arg=TITLES[1])
    with page.expect_download(timeout=60000) as info:
        page.click("#download-csv")
    assert Path(info.value.path()).read_text(encoding="utf-8-sig").count("\n") == 4
    assert page.errors == []
