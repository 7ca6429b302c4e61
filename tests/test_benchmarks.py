"""The benchmark at scale measures what it says: a cold start finds nothing cached."""

from __future__ import annotations

from pathlib import Path

from benchmarks.scale import combined, forget_caches
from dashboard.io.cache import cache_paths
from dashboard.io.read_options import ReadOptions


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
