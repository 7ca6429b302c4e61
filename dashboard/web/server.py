"""Serving: gunicorn, a production WSGI server, with one worker process or several; Flask's
development server only for ``--debug``.

The data is loaded once, before the workers fork, so they share its memory. Callbacks
keep nothing about a user in a process (see :mod:`dashboard.datasets`), so any worker
can answer any request. Each worker starts its own export browser on first use and
stops it when it exits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dash import Dash

from ..render.images import start_export_server, stop_export_server

if TYPE_CHECKING:
    from flask import Flask
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

WORKER_THREADS = 4
TIMEOUT_S = 120


def run(app: Dash, host: str, port: int, workers: int = 1, debug: bool = False) -> None:
    """Serve ``app`` with gunicorn and ``workers`` processes (Dash's development server in debug mode)."""
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": WORKER_THREADS,
                "timeout": TIMEOUT_S,
                "graceful_timeout": 20,
                "control_socket_disable": True,
                # each worker its own listening socket: the kernel spreads connections evenly
                "reuse_port": True,
                "post_fork": _post_fork,
                "worker_exit": _worker_exit,
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


def _post_fork(server: Arbiter, worker: Worker) -> None:
    start_export_server()


def _worker_exit(server: Arbiter, worker: Worker) -> None:
    stop_export_server()
