"""A reader who opens the server's address while it still prepares a large file sees how far it has got,
and the timeline once it is ready, without reloading by hand."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow.parquet as pq
from playwright.sync_api import Error as PlaywrightError

from dashboard.io.progress import Step
from dashboard.web.preparing import STATUS_PATH, PreparingPage
from dashboard.web.server import listen
from tests.browser.conftest import settle, watch_errors
from tests.conftest import ROOT
from tests.servers import reserve_port
from tests.synthetic import generate

EVENTS = 300_000
"""Enough that storing them takes a few seconds here (validated, written), few enough for a test."""


def test_the_page_says_how_far_the_server_has_got_and_turns_into_the_timeline(browser, tmp_path):
    path = tmp_path / "large.parquet"
    pq.write_table(generate(EVENTS), path)
    with reserve_port() as held:
        port = held.getsockname()[1]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "serve", str(path), "--engine", "duckdb", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    try:
        deadline = time.monotonic() + 30
        while True:  # the port is held from the start, before anything is read
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, _said(log)
                time.sleep(0.05)
        asked = _watch_status(f"http://127.0.0.1:{port}/_timeline/preparing")
        page = context.new_page()
        watch_errors(page)
        page.goto(f"http://127.0.0.1:{port}/")
        assert page.inner_text("h1") == "large.parquetを準備しています"
        assert page.get_attribute("html", "lang") == "ja"
        steps = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # each step, until the page turns into the app
            try:
                step = page.evaluate("() => document.getElementById('preparing-step')?.textContent ?? null")
            except PlaywrightError:  # it is turning into the app: asked again on the new page
                continue
            if step is None:
                break
            steps.add(step)
            page.wait_for_timeout(100)
        settle(page)  # the app, drawn: the page turned into it by itself
        assert page.inner_text("#match-count").startswith(f"{EVENTS:,}件中{EVENTS:,}件")
        assert steps and all(re.search("[\u3040-\u30ff]", step) for step in steps), steps  # in Japanese
        assert page.errors == []
        said = asked.result(timeout=30)
        assert said[0] == "Reading the file"
        assert any(re.fullmatch(r"Checking the rows: [\d,]+ of 300,000", text) for text in said), said
        assert said[-1] == "Starting the server"
    finally:
        context.close()
        proc.terminate()
        proc.wait(30)
        log.close()


def _watch_status(url: str) -> Future[list[str]]:
    """Every step the server says, as a script polling its status sees them, until the app answers."""

    def watch() -> list[str]:
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=10) as answer:
                    if answer.headers["Content-Type"] != "application/json":
                        break  # the app's page: it has taken over
                    text = json.loads(answer.read())["text"]
            except OSError:
                text = None
            if text is not None and (not seen or seen[-1] != text):
                seen.append(text)
            time.sleep(0.02)
        return seen

    return ThreadPoolExecutor(1).submit(watch)


def _said(log) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def test_an_answer_cut_short_does_not_stop_the_page_asking(browser):
    """The status read whole or not at all (the server stopped mid-answer, a connection cut): the page
    asks again, as after a request not answered, rather than never again (it would then never turn
    into the timeline)."""
    listening = listen("127.0.0.1", 0)
    preparing = PreparingPage(listening, "large.parquet", "'self'").start()
    context = browser.new_context()
    try:
        page = context.new_page()
        watch_errors(page)
        asked: list[str] = []

        def cut_first(route) -> None:
            asked.append(route.request.url)
            if len(asked) == 1:  # the headers, then the body cut short
                route.fulfill(status=200, content_type="application/json", body='{"text": "Check')
            else:
                route.continue_()

        page.route(f"**{STATUS_PATH}?*", cut_first)  # the status, not the script or style
        page.goto(f"http://127.0.0.1:{listening.getsockname()[1]}/")
        preparing.status.record(Step("validating", 250_000, 1_000_000))
        page.wait_for_function(
            "() => document.getElementById('preparing-step').textContent === 'Checking the rows: 250,000 of 1,000,000'",
            timeout=15_000,
        )
        assert len(asked) >= 2 and page.errors == []
    finally:
        context.close()
        preparing.stop()
        listening.close()
