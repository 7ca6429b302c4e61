"""Serving: gunicorn, a production WSGI server, with one worker process or several; Flask's
development server only for ``--debug``.

The data is loaded once, before the workers fork, so they share its memory. Callbacks
keep nothing about a user in a process (see :mod:`dashboard.datasets`), so any worker
can answer any request. Each worker has its own export browser, started beside it as it
starts (the worker answers meanwhile; the first download is then as quick as the others) or at
its first download (``--export-browser first-download``: a server whose users seldom download
spares the browser's memory and the seconds of CPU its start takes), and stopped when it exits.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from dash import Dash

from ..render.images import start_export_server_soon, stop_export_server, stop_export_server_when_idle

if TYPE_CHECKING:
    from flask import Flask
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

WORKER_THREADS = 4
TIMEOUT_S = 120
BACKLOG = 2048
"""Connections the kernel holds for the server while no process is free to take them (as gunicorn's)."""


class CannotListen(Exception):
    """The server cannot listen where it was told to: the message says where and why, in one line."""


def address(host: str, port: int) -> str:
    """The address of a server listening at ``host`` and ``port``, as a browser opens it."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound at once, by this server alone: with no SO_REUSEPORT, a second
    server told a port already served is refused (both would be given some of its connections, a
    reader's page talking to two datasets). Taken over by gunicorn's workers (:func:`run`)."""
    where = address(host, port)
    try:
        found = [info[0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        # a name with addresses of both kinds on IPv4, as gunicorn bound it (``localhost`` is often ::1 first)
        family = socket.AF_INET if socket.AF_INET in found else found[0]
        # IPv6 takes IPv4 too, as the system's default (and so gunicorn) has it: ``--host ::`` is every address
        dual = family == socket.AF_INET6 and socket.has_dualstack_ipv6()
        return socket.create_server((host, port), family=family, backlog=BACKLOG, dualstack_ipv6=dual)
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen at {where}: no address {host!r} here ({exc.strerror})") from None
    except UnicodeError:  # the name cannot be looked up at all
        why = "expected parts of 1 to 63 letters, digits or hyphens between dots"
        raise CannotListen(f"cannot listen at {where}: {host!r} is not a host name ({why})") from None
    except OSError as exc:
        why = {
            errno.EADDRINUSE: "the port is in use (another server?): stop it, or choose another with --port",
            errno.EADDRNOTAVAIL: f"{host} is not an address of this machine",
            errno.EACCES: "permission denied (ports below 1024 need privileges)",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        raise CannotListen(f"cannot listen at {where}: {why}") from None


def run(
    app: Dash,
    host: str,
    port: int,
    listening: socket.socket | None = None,
    before_serving: Callable[[], None] | None = None,
    workers: int = 1,
    debug: bool = False,
    export_browser_at_start: bool = True,
    export_browser_after: Callable[[], bool] | None = None,
    when_ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``app`` with gunicorn and ``workers`` processes on ``listening`` (:func:`listen`; None: bound
    now), once ``before_serving()`` has let it go (the page shown meanwhile: ``web.preparing``), or in
    debug mode with Dash's development server (which binds its own port), each worker starting its export
    browser as it starts (once ``export_browser_after()`` is true, when given: the server's heavy
    work done), or at its first image download. ``when_ready()``: called once gunicorn serves (and
    handles signals: SIGTERM then stops it, and this returns by SystemExit)."""
    if debug:  # Dash adds its debugging tools as it runs: no request may come before (Flask refuses them)
        app.run(host=host, port=port, debug=True)
        return
    _set_up_before_serving(app)
    from gunicorn.app.base import BaseApplication

    if before_serving is not None:
        before_serving()
    # gunicorn takes the descriptor over (and closes it once it holds its own copy)
    bound = (listening or listen(host, port)).detach()

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": f"fd://{bound}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": WORKER_THREADS,
                "timeout": TIMEOUT_S,
                "graceful_timeout": 20,
                "control_socket_disable": True,
                "backlog": BACKLOG,
                "post_fork": _starting_export_browser(export_browser_after)
                if export_browser_at_start
                else _no_export_browser_yet,
                "worker_exit": _worker_exit,
                "when_ready": (lambda arbiter: when_ready()) if when_ready is not None else (lambda arbiter: None),
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        # gunicorn's stubs say its start_response returns None; WSGI's (and Flask's type) returns write()
        def load(self) -> Flask:  # type: ignore[override]
            server: Flask = app.server
            return server

    Gunicorn().run()


def _set_up_before_serving(app: Dash) -> None:
    """Dash sets itself up at a process's first request (the layout checked, the scripts a page may
    ask for listed, the callbacks gathered), marking it done as it begins: a worker meeting a page's
    requests at once, as its first, refused those that came while the first was setting up (500:
    no script listed yet). One request here, before the workers fork, sets up every one of them."""
    app.server.test_client().get("/")


def _starting_export_browser(after: Callable[[], bool] | None) -> Callable[[Arbiter, Worker], None]:
    """gunicorn's hook after a worker forks: its export browser starts beside it (once ``after()``,
    when given), and the worker answers pages meanwhile (waiting for the browser held every page of a
    fresh server back by some 3 s)."""

    def post_fork(server: Arbiter, worker: Worker) -> None:
        start_export_server_soon(after)

    return post_fork


def _no_export_browser_yet(server: Arbiter, worker: Worker) -> None:
    """The export browser starts at the worker's first image download (:func:`render_view`), and
    stops again once no image has been asked for in ``EXPORT_IDLE_S``, giving its memory back."""
    stop_export_server_when_idle()


def _worker_exit(server: Arbiter, worker: Worker) -> None:
    stop_export_server()
