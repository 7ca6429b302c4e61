"""A first search over a store beyond memory, read in one query and a slice of rows at a time
(``DuckDB.keep_rows``): the time each takes, with a fresh engine as a server process has, and how
often a sliced search says how far it has got. Every way's rows are checked to be the same. Time is
wall-clock and the CPU time of the process (all of DuckDB's threads): on a machine others share,
the second tells the work done when the first varies with their load.

    python benchmarks/search_slices.py /tmp/lead/s10m.store
    python benchmarks/search_slices.py STORE --slices 0,2097152,1048576,524288 --runs 3
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.core import sql
from dashboard.core.query import search_terms
from dashboard.io.engines import SLICE_ROWS_VARIABLE, DuckDB, open_engine
from dashboard.io.store import event_files

WORDS = ("summit", "embassy kyoto", "no-such-word")


def first_search(store: Path, words: str, slice_rows: int, memory: str) -> tuple[float, float, list[float], list[int]]:
    """Seconds a first search of ``words`` takes on a fresh engine (``slice_rows`` 0: in one query),
    wall-clock and CPU, the moments (seconds from its start) it said how far it had got, and its
    rows, sorted."""
    engine = open_engine("duckdb", event_files(store), memory_limit=memory)
    assert isinstance(engine, DuckDB)
    engine.run("SELECT count(*) FROM events", ())  # opened, as a server's check does before serving
    where = sql.text_filter(search_terms(words))
    said: list[float] = []
    began, cpu = time.perf_counter(), time.process_time()
    if slice_rows:
        os.environ[SLICE_ROWS_VARIABLE] = str(slice_rows)
        engine.keep_rows("found", where, lambda done, total: said.append(time.perf_counter() - began))
    else:
        engine.keep("found", f"SELECT {sql.SEARCH_SELECT} FROM events WHERE {where.text}", where.args)
    took, cpu = time.perf_counter() - began, time.process_time() - cpu
    rows = sorted(int(str(r)) for (r,) in engine.run("SELECT row FROM found", ()))
    engine.close()
    return took, cpu, said, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("store", type=Path)
    ap.add_argument("--slices", default="0,4194304,2097152,1048576,524288,262144")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="1GB", help="the engine's memory limit (timeline serve's default)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.slices.split(",")]
    for words in WORDS:
        times: dict[int, list[float]] = {s: [] for s in sizes}
        cpus: dict[int, list[float]] = {s: [] for s in sizes}
        gaps: dict[int, list[float]] = {s: [] for s in sizes}
        steps: dict[int, int] = {}
        expected: list[int] | None = None
        for _ in range(args.runs):
            for size in sizes:  # each way in turn, so that the system's file cache favours none
                took, cpu, said, rows = first_search(args.store, words, size, args.memory)
                if expected is None:
                    expected = rows
                assert rows == expected, f"{size}: other rows than the first way's"
                times[size].append(took)
                cpus[size].append(cpu)
                gaps[size] += [b - a for a, b in itertools.pairwise(said)]
                steps[size] = len(said)
        print(f"search {words!r}: {len(expected or []):,} rows")
        for size in sizes:
            way = "one query" if size == 0 else f"slices of {size:,}"
            line = (
                f"  {way:>19}: median {statistics.median(times[size]):.2f} s, CPU {statistics.median(cpus[size]):.2f} s"
                f" (runs {', '.join(f'{t:.2f}' for t in times[size])})"
            )
            if gaps[size]:
                apart = statistics.median(gaps[size])
                line += f"; {steps[size]} progress records, {apart:.2f} s apart (max {max(gaps[size]):.2f})"
            print(line, flush=True)


if __name__ == "__main__":
    main()
