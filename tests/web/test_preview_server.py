"""`timeline serve --engine duckdb` of a large dataset: a preview of its first rows served as soon as
they are validated, then, once every row is, the whole dataset on the same port, by the same process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.core.query import View
from dashboard.web.callbacks.progress import tables_note, whole_served
from dashboard.web.wire import callback_body, page_state
from tests.servers import BUTTONS, Client, Server
from tests.synthetic import generate

ROWS = 200_000
"""A preview of the first 16,384 (validated in chunks no larger), then the rest in the usual chunks of
131,072: enough rows past the preview that it is served before they are all validated."""
PREVIEW = 16_384


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("preview")
    pq.write_table(generate(ROWS, n_themes=6, seed=11), folder / "large.parquet", row_group_size=8_192)
    return folder / "large.parquet"


def count(client: Client) -> str:
    return client.figure(None)["match-count"]["children"]


def wait_for(check, seconds: float = 120.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except (OSError, KeyError, ValueError):
            found = None  # the server restarting: its port answers "not yet" meanwhile
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("never happened")


def test_a_preview_is_served_first_then_the_whole_dataset_by_the_same_process(large, tmp_path, monkeypatch):
    """...and what the server made in the temporary folder for the preview (the progress of its
    searches) is removed as it restarts, as it is when a server ends: ``exec`` runs no exit handler."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    srv = Server(large, "--engine", "duckdb", "--preview-rows", str(PREVIEW), timeout=120)
    try:
        client = Client(srv.url.rstrip("/"))
        first = wait_for(lambda: count(client))
        shown = int(first.split(" of ")[0].replace(",", ""))
        assert PREVIEW <= shown < ROWS, first
        layout = json.loads(urllib.request.urlopen(srv.url + "_dash-layout", timeout=30).read())
        text = json.dumps(layout)
        assert f"the first {shown:,} of {ROWS:,} rows" in text
        refused = client.post(  # no download of a preview: it would pass for the whole dataset
            callback_body(
                [("download", "data"), ("download-status", "children")],
                [(b, "n_clicks", 1 if f == "csv" else 0) for f, b in BUTTONS.items()],
                [("view", "data", asdict(View())), *page_state(None, None)],
                changed=[f"{BUTTONS['csv']}.n_clicks"],
            )
        )["response"]
        assert "wait until every row is validated" in refused["download-status"]["children"]
        whole = wait_for(lambda: (c := count(client)).startswith(f"{ROWS:,} of") and c)
        assert whole == f"{ROWS:,} of {ROWS:,} events match"
        assert srv.proc.poll() is None and psutil.Process(srv.proc.pid).is_running()
        log = srv.log_text()
        assert "serving a preview of the first" in log and "every row is validated: serving them all" in log
        assert not list((tmp_path / "cache" / "timeline").glob("*.preview-*"))  # the preview removed
        made = sorted(p.name.rpartition("-")[0] for p in (tmp_path / "tmp").glob("timeline-progress-*"))
        assert made == ["timeline-progress"], made  # the whole dataset's server's only
    finally:
        srv.stop()
    assert not list((tmp_path / "tmp").glob("timeline-progress-*"))


def test_a_problem_found_past_the_preview_stops_the_server_with_its_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    table = generate(ROWS, n_themes=6, seed=12)
    dates = table["date"].to_pylist()
    dates[ROWS - 10] = "1999-13-01"
    table = table.set_column(table.schema.get_field_index("date"), "date", pa.array(dates))
    pq.write_table(table, tmp_path / "bad.parquet", row_group_size=8_192)
    srv = Server(tmp_path / "bad.parquet", "--engine", "duckdb", "--preview-rows", str(PREVIEW), timeout=120)
    try:
        assert int(wait_for(lambda: count(Client(srv.url.rstrip("/")))).split(" of ")[0].replace(",", "")) < ROWS
        assert srv.proc.wait(120) == 1
        log = srv.log_text()
        assert "1999-13-01" in log and any(f"row {n}" in log for n in (ROWS - 9, f"{ROWS - 9:,}"))
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(srv.url, timeout=5)
        assert not list((tmp_path / "cache" / "timeline").glob("*"))  # nothing kept: no store, no preview
    finally:
        srv.stop()


def test_a_page_showing_a_preview_is_told_to_reload_once_the_whole_dataset_is_served():
    class Untabled:
        precomputed = False  # a store's engine before its tables are made

    class Served:
        def __init__(self, preview_of: int):
            self.datasets = type(
                "D", (), {"served": type("T", (), {"preview_of": preview_of, "engine": Untabled()})()}
            )()

    from dash import no_update

    assert whole_served(Served(1_000_000), 3) is no_update  # type: ignore[arg-type]
    assert whole_served(Served(0), 3) is True  # type: ignore[arg-type]
    # a preview says nothing of tables of quick clicks: none are made for it
    assert tables_note(Served(1_000_000), 0) == (True, True, "")  # type: ignore[arg-type]


@pytest.mark.parametrize("stopping", [signal.SIGTERM, signal.SIGINT])
def test_a_server_told_to_stop_as_it_restarts_stops(large, tmp_path, monkeypatch, stopping):
    """The signal arrives while gunicorn stops for the restart (which it handles itself): the server
    ends, rather than starting again and serving on as if it had never been told."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    srv = Server(large, "--engine", "duckdb", "--preview-rows", str(PREVIEW), timeout=120)
    try:
        deadline = time.monotonic() + 120
        while "every row is validated" not in srv.log_text() and time.monotonic() < deadline:
            time.sleep(0.01)  # the switch takes about a second: the signal comes during it
        srv.proc.send_signal(stopping)
        srv.proc.wait(60)
        assert srv.log_text().count("Serving ") == 1, srv.log_text()
        assert not list((tmp_path / "cache" / "timeline").glob("*.preview-*"))
    finally:
        srv.stop()


def test_a_server_that_cannot_serve_its_preview_leaves_nothing_in_the_cache(large, tmp_path, monkeypatch):
    """Refused once the preview is made (here: an upload folder open to others), the server stops its
    builder and removes the preview (its pieces, links to those of the store half built, kept their space)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "open").mkdir(mode=0o777)
    (tmp_path / "open").chmod(0o777)
    args = ["--engine", "duckdb", "--preview-rows", str(PREVIEW), "--port", "0", "--upload-dir", str(tmp_path / "open")]
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "serve", str(large), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and "chmod 700" in done.stderr and "Traceback" not in done.stderr
    assert "serving a preview" in done.stderr  # refused once the preview was made
    assert not list((tmp_path / "cache" / "timeline").glob("*"))
