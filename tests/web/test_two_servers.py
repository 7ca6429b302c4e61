"""Two `timeline serve` processes on one upload folder, as behind a load balancer: an upload sent to
either is answered for by both, under real concurrent requests."""

from __future__ import annotations

import csv
import io
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.core.query import View
from tests.conftest import ROOT
from tests.servers import Client, Server

FILES = 6
"""Distinct files; the jobs send each of them many times, to both servers at once."""


def content(i: int) -> str:
    rows = "".join(f"{1800 + 10 * j},File {i} event {j},theme{i}\n" for j in range(i + 2))
    return "date,title,themes\n" + rows


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shared") / "uploads"
    with ThreadPoolExecutor(2) as pool:  # started at once, as they would be behind a balancer
        started = list(pool.map(lambda _: Server(ROOT / "data" / "events.csv", "--upload-dir", str(folder)), range(2)))
    yield [Client(s.url.rstrip("/")) for s in started]
    for s in started:
        s.stop()


def titles_of_csv(data: bytes) -> list[str]:
    return [row["title"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]


def test_sixteen_threads_upload_and_read_through_both_servers_at_once(servers):
    """Each job uploads a file (some identical, some the same bytes under another name) to one server
    and reads it back through the other: its figure's title and count, and its events as CSV."""
    jobs = [(n, n % FILES, f"file{n % FILES}.csv" if n % 3 else f"renamed{n}.csv") for n in range(32)]
    random.Random(14).shuffle(jobs)

    def job(spec: tuple[int, int, str]) -> list[str]:
        n, i, name = spec
        sender, other = servers[n % 2], servers[1 - n % 2]
        key = sender.upload(content(i), name)
        wrong = []
        for answering in (other, sender):
            shown = answering.figure(key)
            if shown["page-title"]["children"] != f"Timeline of {name}":
                wrong.append(f"{name}: title {shown['page-title']['children']!r}")
            if shown["match-count"]["children"] != f"{i + 2} of {i + 2} events match":
                wrong.append(f"{name}: count {shown['match-count']['children']!r}")
        got = titles_of_csv(other.export(View(), "csv", key))
        if got != [f"File {i} event {j}" for j in range(i + 2)]:
            wrong.append(f"{name}: CSV {got}")
        return wrong

    with ThreadPoolExecutor(16) as pool:
        wrong = [w for ws in pool.map(job, jobs) for w in ws]
    assert not wrong, wrong[:10]
    served = servers[1].figure(None)["match-count"]["children"]
    assert servers[0].figure(None)["match-count"]["children"] == served  # the served file is untouched
