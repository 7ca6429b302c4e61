"""Many users exporting at once from a real server: each gets exactly the bytes of their own view.

Real threads send real download requests to `timeline serve` (one worker, then two), which
renders with its real headless Chromium; every answer is compared with the answer the same
request got when it was alone.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import pytest

from dashboard.core.query import View
from dashboard.web.callbacks.details import OUTPUTS as DETAILS_OUT
from dashboard.web.callbacks.downloads import DOWNLOADS
from dashboard.web.callbacks.figure import OUTPUTS as FIGURE_OUT
from dashboard.web.callbacks.upload import OUTPUTS as UPLOAD_OUT
from dashboard.web.wire import callback_body, page_state
from tests.conftest import ROOT
from tests.servers import Server

BUTTONS = {fmt: button for button, fmt in DOWNLOADS.items()}
VIEWS = [View(themes=("security",)), View(themes=("trade",), start="1950")]
UPLOAD = "date,title,themes\n1990,Private upload event,secret\n1995,Another private one,secret\n"


def undated(data: bytes) -> bytes:
    return re.sub(rb"/(CreationDate|ModDate) \(D:\d{14}", rb"/\1 (D:00000000000000", data)


class Client:
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


@pytest.fixture(scope="module", params=[1, 2], ids=["one worker", "two workers"])
def served(request, tmp_path_factory):
    srv = Server(
        ROOT / "data" / "events.csv",
        "--workers",
        str(request.param),
        "--upload-dir",
        str(tmp_path_factory.mktemp("served") / "uploads"),
    )
    yield Client(srv.url.rstrip("/"))
    srv.stop()


def test_concurrent_exports_of_different_views_and_uploads_never_cross(served):
    key = served.upload(UPLOAD, "private.csv")
    cases = [(v, fmt, None) for v in VIEWS for fmt in BUTTONS] + [(View(), fmt, key) for fmt in ("png", "csv")]
    alone = [served.export(*case) for case in cases]
    assert len(set(alone)) == len(alone)
    n = len(BUTTONS)
    jobs = [i for i in range(len(cases)) for _ in range(2)] + [0, 1, n, n + 1] * 3  # both views' PNGs, SVGs most
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: served.export(*cases[i]), jobs))
    wrong = [(cases[i][1], i) for i, data in zip(jobs, got) if data != alone[i]]
    assert not wrong, f"{len(wrong)} of {len(jobs)} concurrent exports were not their own view's bytes: {wrong}"
    private = [data for (view, fmt, k), data in zip(cases, alone) if k is None]
    assert not any(b"Private upload event" in d for d in private)


def test_concurrent_pages_in_two_languages_each_get_their_own(served):
    """Translators, the catalogues and the figure code are shared by every request: pages asking in
    English and in Japanese at once must each be answered in their own language, in every callback."""

    def figure(lang):
        body = callback_body(
            FIGURE_OUT, [("view", "data", asdict(View())), ("layout-width", "data", 1200)], page_state(None, lang)
        )
        return served.post(body)["response"]["match-count"]["children"]

    def details(lang):
        body = callback_body(DETAILS_OUT, [("selected", "data", 1)], page_state(None, lang))
        return json.dumps(served.post(body)["response"]["details"]["children"], ensure_ascii=False)

    def png(lang):
        return served.export(View(themes=("security",)), "png", lang=lang)

    alone = {
        (kind, lang): job(lang)
        for kind, job in (("figure", figure), ("details", details), ("png", png))
        for lang in ("en", "ja")
    }
    assert alone[("figure", "en")] == "71 of 71 events match" and alone[("figure", "ja")] == "71件中71件が該当"
    assert "日米和親条約" in alone[("details", "ja")] and "Convention of Kanagawa" in alone[("details", "en")]
    assert alone[("png", "en")] != alone[("png", "ja")]
    jobs = [(kind, lang) for kind in ("figure", "details", "png") for lang in ("en", "ja")] * 4
    run = {"figure": figure, "details": details, "png": png}
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda job: run[job[0]](job[1]), jobs))
    wrong = [job for job, answer in zip(jobs, got) if answer != alone[job]]
    assert not wrong, f"{len(wrong)} of {len(jobs)} concurrent answers were not in their own language: {wrong}"
