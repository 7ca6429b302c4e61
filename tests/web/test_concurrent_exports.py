"""Many users exporting at once from a real server: each gets exactly the bytes of their own view.

Real threads send real download requests to `timeline serve` (one worker, then two), which
renders with its real headless Chromium; every answer is compared with the answer the same
request got when it was alone (asked of the first server: the second's must be the same bytes).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import pytest

from dashboard.core.query import View
from dashboard.web.callbacks.details import OUTPUTS as DETAILS_OUT
from dashboard.web.callbacks.figure import OUTPUTS as FIGURE_OUT
from dashboard.web.wire import callback_body, page_state
from tests.conftest import ROOT
from tests.servers import BUTTONS, Client, Server

VIEWS = [View(themes=("security",)), View(themes=("trade",), start="1950")]
UPLOAD = "date,title,themes\n1990,Private upload event,secret\n1995,Another private one,secret\n"


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


@pytest.fixture(scope="module")
def first_answers() -> dict[str, object]:
    """Each test's answers to its requests sent one at a time, from the first server it runs against
    (the same views, the same upload: every server must answer with the same bytes)."""
    return {}


def test_concurrent_exports_of_different_views_and_uploads_never_cross(served, first_answers):
    key = served.upload(UPLOAD, "private.csv")
    cases = [(v, fmt, None) for v in VIEWS for fmt in BUTTONS] + [(View(), fmt, key) for fmt in ("png", "csv")]
    if "exports" not in first_answers:
        first_answers["exports"] = [served.export(*case) for case in cases]
    alone = first_answers["exports"]
    assert len(set(alone)) == len(alone)
    n = len(BUTTONS)
    jobs = list(range(len(cases))) + [0, 1, n, n + 1] * 2  # every case, and both views' PNGs and SVGs thrice
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: served.export(*cases[i]), jobs))
    wrong = [(cases[i][1], i) for i, data in zip(jobs, got) if data != alone[i]]
    assert not wrong, f"{len(wrong)} of {len(jobs)} concurrent exports were not their own view's bytes: {wrong}"
    private = [data for (view, fmt, k), data in zip(cases, alone) if k is None]
    assert not any(b"Private upload event" in d for d in private)


def test_concurrent_pages_in_two_languages_each_get_their_own(served, first_answers):
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

    if "pages" not in first_answers:
        first_answers["pages"] = {
            (kind, lang): job(lang)
            for kind, job in (("figure", figure), ("details", details), ("png", png))
            for lang in ("en", "ja")
        }
    alone = first_answers["pages"]
    assert alone[("figure", "en")] == "71 of 71 events match" and alone[("figure", "ja")] == "71件中71件が該当"
    assert "日米和親条約" in alone[("details", "ja")] and "Convention of Kanagawa" in alone[("details", "en")]
    assert alone[("png", "en")] != alone[("png", "ja")]
    jobs = [(kind, lang) for kind in ("figure", "details", "png") for lang in ("en", "ja")] * 4
    run = {"figure": figure, "details": details, "png": png}
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda job: run[job[0]](job[1]), jobs))
    wrong = [job for job, answer in zip(jobs, got) if answer != alone[job]]
    assert not wrong, f"{len(wrong)} of {len(jobs)} concurrent answers were not in their own language: {wrong}"
