"""`timeline serve` without ``--engine``: a dataset of ``cli.AUTO_ROWS`` events or more served by DuckDB
from a store, a smaller one held in memory, each said on the terminal."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from dashboard import cli
from tests.servers import Client, Server
from tests.synthetic import generate


@pytest.fixture(scope="module")
def at_the_bound(tmp_path_factory):
    path = tmp_path_factory.mktemp("auto") / "large.parquet"
    pq.write_table(generate(cli.AUTO_ROWS, n_themes=6, seed=5), path, row_group_size=131_072)
    return path


def served_count(server: Server) -> str:
    return Client(server.url).figure(None)["match-count"]["children"]


def test_a_parquet_dataset_of_auto_rows_is_served_by_duckdb_unasked(at_the_bound, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    server = Server(at_the_bound, timeout=180)
    try:
        assert served_count(server) == f"{cli.AUTO_ROWS:,} of {cli.AUTO_ROWS:,} events match"
        log = server.log_text()
    finally:
        server.stop()
    assert f"{cli.AUTO_ROWS:,} events: served by DuckDB from a store" in log, log
    assert "store ready" in log
    assert len(list((tmp_path / "cache" / "timeline").glob("*.store"))) == 1


def test_a_smaller_file_is_held_in_memory_and_nothing_is_stored(small_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    server = Server(small_csv)
    try:
        assert served_count(server) == "7 of 7 events match"
        log = server.log_text()
    finally:
        server.stop()
    assert f"7 events: held in memory (fewer than {cli.AUTO_ROWS:,}" in log, log
    assert not list((tmp_path / "cache").glob("timeline/*.store"))
