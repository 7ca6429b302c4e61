"""The benchmark at scale measures what it says: a cold start finds nothing cached."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq

from benchmarks import store_build
from benchmarks.scale import combined, forget_caches
from dashboard.io.cache import cache_paths
from dashboard.io.read_options import ReadOptions
from tests.synthetic import generate


def test_a_cold_start_finds_no_cache_the_in_memory_core_left_beside_the_file(tmp_path: Path) -> None:
    data = tmp_path / "events [1].parquet"
    data.write_bytes(b"PAR1")
    beside = [cache_paths(data)[0], cache_paths(data, ReadOptions(date_order="dmy"))[0]]
    other = cache_paths(tmp_path / "other.parquet")[0]
    for path in (*beside, other):
        assert path.parent == tmp_path
        path.write_bytes(b"cached")

    assert forget_caches(data) == sorted(beside)

    assert not any(p.exists() for p in beside)
    assert other.exists() and data.exists()
    assert forget_caches(data) == []


def test_runs_of_a_side_are_combined_as_median_times_and_largest_sizes() -> None:
    runs = [
        {"side": "duckdb", "cold_ready_s": 6.0, "peak_rss_mb": 900.0, "preview_rows": 5, "counts": [1]},
        {"side": "duckdb", "cold_ready_s": 9.0, "peak_rss_mb": 1100.0, "preview_rows": 7, "counts": [1]},
        {"side": "duckdb", "cold_ready_s": 5.0, "peak_rss_mb": 950.0, "preview_rows": 6, "counts": [1]},
    ]

    got = combined(runs)

    assert got["cold_ready_s"] == 6.0
    assert got["peak_rss_mb"] == 1100.0
    assert got["preview_rows"] == 5 and got["counts"] == [1] and got["side"] == "duckdb"


def test_the_store_build_benchmark_builds_a_store_and_says_what_it_took(tmp_path: Path, capfd) -> None:
    data = tmp_path / "events.parquet"
    pq.write_table(generate(3000, 8, seed=5), data)

    code = store_build.main([str(data), "--no-tables", "--rows", "1000"])

    out = capfd.readouterr().out  # the build's process writes to the same descriptor
    assert code == 0, out
    assert "validated 3,000 of 3,000 rows" in out and "store ready" in out, out
    summary = re.search(r"whole build ([0-9.]+) s .* peak RSS ([0-9,]+) MB, .* store ([0-9,]+) MB", out)
    assert summary is not None, out
    assert float(summary[1]) > 0 and int(summary[2].replace(",", "")) > 50


def test_clicks_before_the_tables_are_asked_of_a_copy_leaving_the_store_as_it_was(tmp_path, monkeypatch, capfd) -> None:
    """``before_tables.py`` serves a copy of the store without its tables; the server's maker makes
    them in the copy, and the user's store keeps its own, untouched."""
    from benchmarks import before_tables
    from dashboard.io import store

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "events.parquet"
    pq.write_table(generate(3000, 8, seed=5), data)
    folder = store.store_path([data], ReadOptions())
    store.build([data], data.name, folder)
    made = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    assert before_tables.main([str(data)]) == 0

    out = capfd.readouterr().out
    for click in ("untick", "zoom", "title_search", "search"):
        assert re.search(rf"before the tables  {click} +( +[0-9.]+ s)+\n", out), out
        assert re.search(rf"after  {click} +( +[0-9.]+ s)+\n", out), out
    assert re.search(r"tables in place at [0-9.]+ s", out) and "peak RSS" in out, out
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == made
