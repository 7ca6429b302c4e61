"""The page a server shows while it prepares its data, on the port it then serves on.

A large file takes a while to validate and store before the first figure (ten million rows: about
half a minute), and so does starting the app. The port is held from the start (``server.listen``):
until the app takes it over, every page asked for is this one, saying which step the server is at
and how far it has got, and turning into the app by itself once the app answers (it asks every
second: the app answers that address with a page of its own). The page holds its own script and
style: nothing else is asked for that the app could answer instead. Nothing the browser sends is used
but the path and the language asked for; the dataset's name is written as text.
"""

from __future__ import annotations

import contextlib
import html
import json
import secrets
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from ..core.i18n import N_, Translator, choose_language, translator
from ..io.held import HeldFolder
from ..io.progress import StatusFile, Step, say

STATUS_PATH = "/_timeline/preparing"
RETRY_AFTER_S = 5
"""What a client that is not a page (a script, a monitor) is told to wait before asking again."""
LOOK_EVERY_MS = 1000
REQUEST_TIMEOUT_S = 10
"""A connection that sends nothing for this long is closed (none may hold a thread for ever)."""
FINISH_S = 1.0
"""At the page's end, how long the answers under way may take to finish before their connections are cut."""

STEP_TEXT = {
    "loading": N_("Reading the file"),
    "themes": N_("Reading the themes of {total:,} rows"),
    "validating": N_("Checking the rows: {done:,} of {total:,}"),
    "ids": N_("Checking that no two of {total:,} events share an id"),
    "storing": N_("Storing the events for quick questions"),
    "starting": N_("Starting the server"),
}

SCRIPT = """(function () {
  var page = document.getElementById("preparing");
  var step = document.getElementById("preparing-step");
  var bar = document.getElementById("preparing-bar");
  var elapsed = document.getElementById("preparing-elapsed");
  function later(ms) { window.setTimeout(look, ms); }
  function show(status) {
    step.textContent = status.text;
    elapsed.textContent = status.elapsed;
    if (status.total > 0 && status.done > 0) { bar.max = status.total; bar.value = status.done; }
    else { bar.removeAttribute("value"); }
    later(%(every)d);
  }
  function unanswered() {  // no answer, or one cut short: asked again, less often
    step.textContent = page.getAttribute("data-stopped");
    bar.removeAttribute("value");
    later(5 * %(every)d);
  }
  function look() {
    fetch(page.getAttribute("data-status"), {cache: "no-store"}).then(function (response) {
      var kind = response.headers.get("Content-Type") || "";
      if (response.status !== 200 || kind.indexOf("application/json") !== 0) {
        window.location.reload();  // the app has taken over (it answers any address with its page)
        return;
      }
      return response.json().then(show);
    }).catch(unanswered);
  }
  later(%(every)d);
})();
""" % {"every": LOOK_EVERY_MS}

STYLE = """body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans CJK JP",
  sans-serif; color: #1b1f24; background: #f6f7f9; }
main { max-width: 40rem; margin: 12vh auto 0; padding: 1.5rem; background: #fff; border: 1px solid #d5d9de;
  border-radius: 8px; }
h1 { font-size: 1.35rem; margin: 0 0 0.75rem; overflow-wrap: anywhere; }
p { margin: 0.5rem 0; }
progress { width: 100%; height: 1rem; margin: 0.75rem 0 0.25rem; accent-color: #2f6fb2; }
.quiet { color: #57606a; font-size: 0.9rem; }
@media (max-width: 600px) {
  main { margin: 0; border: 0; border-radius: 0; min-height: 100vh; box-sizing: border-box; }
}
"""


def step_text(t: Translator, step: Step | None) -> str:
    """The step in words, in the reader's language."""
    if step is None:
        return t(STEP_TEXT["loading"])
    return t(STEP_TEXT[step.name], done=step.done, total=step.total)


class PreparingPage:
    """:mod:`this page <dashboard.web.preparing>` served on ``listening`` from :meth:`start` until
    :meth:`stop`, which leaves the socket open for the app. Used as a context manager, it stops at the
    end whatever happens (a file refused: the server exits)."""

    def __init__(self, listening: socket.socket, name: str, frame_ancestors: str):
        self.listening = listening
        self.name = name
        self.frame_ancestors = frame_ancestors
        self._folder = HeldFolder("timeline-preparing-")
        self.status = StatusFile(self._folder.path / "status.json")
        self.began = time.monotonic()
        self._server = _Server(listening, self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)
        self._stopped = False

    def start(self) -> PreparingPage:
        self._thread.start()
        return self

    def stop(self) -> None:
        """No more pages of this one: requests wait for the app, in the socket's queue. Once only (a
        worker forked after it does nothing)."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self._thread.is_alive():
                self._server.shutdown()
                self._thread.join()
                self._server.end_connections()
        finally:  # even if a signal stops the server meanwhile
            self._folder.remove()

    def __enter__(self) -> PreparingPage:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def page(self, t: Translator, lang: str, nonce: str) -> str:
        """The page, in ``lang``, every text escaped, its script and style allowed by ``nonce``."""
        text = {
            "title": t("Preparing {name}", name=self.name),
            "lead": t("The timeline opens here by itself once its data is ready."),
            "stopped": t("The server is not answering: its terminal says why."),
            "bar": t("Progress"),
            "step": step_text(t, self.status.read()),
            "elapsed": self.elapsed(t),
            "status": f"{STATUS_PATH}?lang={lang}",
        }
        e = {key: html.escape(value) for key, value in text.items()}
        # Its script and style in the page itself: a file asked for separately could reach the app once it
        # has taken over (which answers any address with its own page), leaving this one without its script.
        return (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<noscript><meta http-equiv="refresh" content="{RETRY_AFTER_S}"></noscript>'
            f'<title>{e["title"]}</title><style nonce="{nonce}">{STYLE}</style></head><body>'
            f'<main id="preparing" data-status="{e["status"]}" data-stopped="{e["stopped"]}">'
            f"<h1>{e['title']}</h1><p>{e['lead']}</p>"
            f'<progress id="preparing-bar" aria-label="{e["bar"]}"></progress>'
            f'<p id="preparing-step" role="status">{e["step"]}</p>'
            f'<p id="preparing-elapsed" class="quiet">{e["elapsed"]}</p>'
            f'</main><script nonce="{nonce}">{SCRIPT}</script></body></html>'
        )

    def elapsed(self, t: Translator) -> str:
        return t("{seconds:,} s so far", seconds=int(time.monotonic() - self.began))

    def status_json(self, t: Translator) -> str:
        step = self.status.read()
        return json.dumps(
            {
                "text": step_text(t, step),
                "done": step.done if step else 0,
                "total": step.total if step else 0,
                "elapsed": self.elapsed(t),
            }
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, listening: socket.socket, page: PreparingPage):
        super().__init__(listening.getsockname()[:2], _Handler, bind_and_activate=False)
        self.socket.close()  # the one made for it: it serves on the server's own
        self.socket = listening
        self.page = page
        self._lock = threading.Lock()
        self._open: dict[socket.socket, threading.Thread] = {}

    # a TCP server: its requests are sockets (not the datagrams the base class also allows)
    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        """As ``ThreadingMixIn``'s, each connection and its thread kept until it is answered."""
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True)
        with self._lock:
            self._open[request] = thread
        thread.start()

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._lock:
            self._open.pop(request, None)
        super().shutdown_request(request)

    def end_connections(self) -> None:
        """Once none is accepted any more, none of the page's connections is left open, and none of its
        threads: the app's workers, forked next, would each hold a copy of every one of them, and
        the master, a thread answering with this page after the app has taken over (a client slow to
        send its request can hold one for ever). Each connection reads what it has been sent and no
        more (a request half-sent is answered at once, an idle connection closed); an answer not
        finished within :data:`FINISH_S` is cut."""
        with self._lock:
            held = list(self._open.items())
        for request, _ in held:
            _shut(request, socket.SHUT_RD)
        deadline = time.monotonic() + FINISH_S
        for request, thread in held:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                _shut(request, socket.SHUT_RDWR)
                thread.join(FINISH_S)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """Never a traceback on the terminal (it shows the server's steps): a client gone away (a tab
        closed, the connection reset or timed out) is nothing to report; anything else, one line."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            say(f"the page shown while preparing could not answer {client_address[0]}: {exc!r}")


def _shut(connection: socket.socket, how: int) -> None:
    with contextlib.suppress(OSError):  # closed meanwhile
        connection.shutdown(how)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT_S

    def log_message(self, format: str, *args: object) -> None:  # the terminal shows the steps
        pass

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_POST(self) -> None:  # a page of an earlier run asking a question: not yet
        self._reply(503, "text/plain; charset=utf-8", b"The server is preparing its data.\n", True)

    def _answer(self, body: bool) -> None:
        url = urlsplit(self.path)
        asked = parse_qs(url.query).get("lang", [None])[0]
        lang = choose_language(asked, self.headers.get("Accept-Language"))
        t = translator(lang)
        page = self.server.page
        if url.path == STATUS_PATH:
            self._reply(200, "application/json", page.status_json(t).encode(), body)
        else:
            nonce = secrets.token_urlsafe(18)
            self._reply(503, "text/html; charset=utf-8", page.page(t, lang, nonce).encode(), body, nonce)

    def _reply(self, code: int, kind: str, data: bytes, body: bool, nonce: str | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        inline = f"'nonce-{nonce}'" if nonce else "'none'"
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'none'; script-src {inline}; style-src {inline}; connect-src 'self'; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors {self.server.page.frame_ancestors}",
        )
        if code == 503:
            self.send_header("Retry-After", str(RETRY_AFTER_S))
        self.end_headers()
        if body:
            self.wfile.write(data)
