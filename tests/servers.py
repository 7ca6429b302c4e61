"""`timeline serve` in a subprocess on a free loopback port, and a client sending it the requests a
page sends, for tests that talk to a real server."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path

import psutil

from dashboard.core.query import View
from dashboard.web.callbacks.downloads import DOWNLOADS
from dashboard.web.callbacks.figure import OUTPUTS as FIGURE_OUT
from dashboard.web.callbacks.upload import OUTPUTS as UPLOAD_OUT
from dashboard.web.wire import callback_body, page_state

ROOT = Path(__file__).resolve().parent.parent


PORT_ATTEMPTS = 3
"""Ports tried before a server that cannot bind is an error."""
PORT_TAKEN = ("the port is in use", "Address already in use")
"""What ``serve``, and Flask's development server (``--debug``), say when their port is taken."""


def reserve_port() -> socket.socket:
    """A socket bound to a free loopback port: let go just before a server is told that port. Another
    program may take the port in between (another test worker's server): ours then exits saying the port
    is in use (it binds alone: dashboard/web/server.py), and :class:`Server` tries another."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class Server:
    """The app serving ``csv_path`` (with any extra ``serve`` arguments) until :meth:`stop`.

    Each worker's export browser (a headless Chromium with plotly.js in two tabs: some 4 CPU-seconds
    to start) starts at ``export_browser``: by default at the worker's first image download, since
    most test servers never draw one (those that do start it that way); None leaves ``serve``'s own
    default, started with the worker (tests/web/test_server.py). Each is given a port found free
    (:func:`reserve_port`), and another if it proves taken after all."""

    def __init__(self, csv_path: Path, *extra: str, timeout: float = 60, export_browser: str | None = "first-download"):
        if export_browser is not None:
            extra = (*extra, "--export-browser", export_browser)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            with reserve_port() as held:
                self.port = held.getsockname()[1]
            if self._start(csv_path, extra, timeout, last=attempt == PORT_ATTEMPTS):
                return

    def _start(self, csv_path: Path, extra: tuple[str, ...], timeout: float, last: bool) -> bool:
        """Start the server on ``self.port``: True once it answers; False if the port proved taken after
        all (unless this is the ``last`` attempt); RuntimeError otherwise."""
        self.url = f"http://127.0.0.1:{self.port}/"
        # The server logs every request: to a file, never to a pipe nobody reads (it would fill and block).
        self.log = tempfile.NamedTemporaryFile(prefix="timeline-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", str(csv_path), "--port", str(self.port), *extra],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            exited = self.proc.poll() is not None
            # a server whose port is taken exits saying so (Flask's development server may go on)
            if exited or self._port_taken(self.log_text()):
                text = self.log_text()
                self.stop(kill=not exited)
                if not last and self._port_taken(text):
                    return False
                raise RuntimeError(text)
            try:
                urllib.request.urlopen(self.url, timeout=2).read()
                return True
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    @staticmethod
    def _port_taken(log: str) -> bool:
        return any(said in log for said in PORT_TAKEN)

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self, kill: bool = False) -> None:
        """Stop the server (SIGTERM: gunicorn's graceful shutdown), or with ``kill`` end at once one that
        never served: its worker, retrying a taken port five times a second apart, heeds no signal
        until it has bound (its own handlers come after), so a shutdown would wait those seconds."""
        if kill:
            workers = psutil.Process(self.proc.pid).children(recursive=True)
            self.proc.kill()  # first: gunicorn would start a worker again in place of a killed one
            for worker in workers:
                worker.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


BUTTONS = {fmt: button for button, fmt in DOWNLOADS.items()}
"""Each export format's download button, as the page has them."""


def undated(data: bytes) -> bytes:
    return re.sub(rb"/(CreationDate|ModDate) \(D:\d{14}", rb"/\1 (D:00000000000000", data)


class Client:
    """Callback requests to a server at ``url``, as its page would send them."""

    def __init__(self, url: str):
        self.url = url
        self.outputs = None

    def post(self, body: dict) -> dict:
        req = urllib.request.Request(
            self.url + "/_dash-update-component",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        return json.loads(urllib.request.urlopen(req, timeout=120).read())

    def upload(self, text: str, name: str) -> str:
        deps = json.loads(urllib.request.urlopen(self.url + "/_dash-dependencies", timeout=30).read())
        output = next(d["output"] for d in deps if d["output"].startswith("..dataset.data..."))
        body = callback_body(
            UPLOAD_OUT,
            [
                (
                    "upload-ok",
                    "data",
                    {"contents": "data:text/csv;base64," + base64.b64encode(text.encode()).decode(), "filename": name},
                )
            ],
            [("upload-mode", "value", "open"), ("url", "search", ""), *page_state()],
        )
        body["output"] = output
        return self.post(body)["response"]["dataset"]["data"]

    def figure(self, key: str | None, view: View | None = None) -> dict:
        """The figure callback's outputs for the upload ``key`` (None: the served file), of ``view``."""
        body = callback_body(
            FIGURE_OUT, [("view", "data", asdict(view or View())), ("layout-width", "data", 1200)], page_state(key)
        )
        return self.post(body)["response"]

    def export(self, view: View, fmt: str, key: str | None = None, lang: str | None = None) -> bytes:
        body = callback_body(
            [("download", "data"), ("download-status", "children")],
            [(b, "n_clicks", 1 if f == fmt else 0) for f, b in BUTTONS.items()],
            [("view", "data", asdict(view)), *page_state(key, lang)],
            changed=[f"{BUTTONS[fmt]}.n_clicks"],
        )
        sent = self.post(body)["response"]["download"]["data"]
        data = base64.b64decode(sent["content"]) if sent.get("base64") else sent["content"].encode()
        return undated(data)
