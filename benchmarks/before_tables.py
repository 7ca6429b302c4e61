"""Clicks on a real server before its store's tables of quick clicks are in place, then after.

A server serves a store as soon as its events are stored and makes those tables meanwhile, in a
process of its own; until they are there every click asks the events. This starts a server on a
built store from which the tables were taken away (a copy of hard links, in a cache folder of its
own, so the store itself is untouched), asks the figure of the clicks ``scale.py`` asks as soon as
the server answers, then again as the server's own maker puts each table in place (the tiles, then
the ranked table: each answers its part of a click from then on), and once it is done.

    python benchmarks/before_tables.py /tmp/timeline-bench-10000000.parquet

The store is the one ``timeline serve FILE --engine duckdb`` uses (in the user's cache folder),
built first if there is none.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import scale
from dashboard.core import tiles
from dashboard.core.query import View
from dashboard.io import store
from dashboard.io.read_options import DEFAULT_OPTIONS
from tests.synthetic import THEMES

GONE = ("trade", "war", "memory", *(t for t in THEMES[:12] if t not in ("trade", "war", "memory")))
"""The theme unticked by each untick, three a stage: the first three those of ``scale.py``."""
WORDS = ("summit", "treaty", "conference", "agreement")
"""The word searched at each stage: the first that of ``scale.py``."""


def clicks(stage: int) -> list[tuple[str, list[View]]]:
    """The clicks asked at ``stage`` (from 0): those of ``scale.py`` at the first, and at each later
    one clicks never asked before (another theme unticked, each window a day later, another word),
    since the server remembers its answers (``io.engines.PerProcess``) and keeps its searches. The
    unticks and zooms cost as much at every stage; the words match different numbers of rows."""
    themes = THEMES[:12]
    day = stage * 86_400_000.0
    zooms = [View(x_range=(z.x_range[0] + day, z.x_range[1] + day)) for z in scale.ZOOMS if z.x_range is not None]
    return [
        ("untick", [View(themes=tuple(t for t in themes if t != gone)) for gone in GONE[3 * stage : 3 * stage + 3]]),
        ("zoom", zooms),
        ("title_search", [View(text="title:" + WORDS[stage])]),
        ("search", [View(text=WORDS[stage])]),
    ]


BEFORE, AFTER = "before the tables", "after"
STAGES: tuple[tuple[str, ...], ...] = ((), (tiles.TILES,), (tiles.TILES, tiles.RANKED), tiles.TABLES)
"""The clicks are asked before any table is in place, then as soon as each stage is (the maker puts
each in place as it is made), then once the maker is done (the titles in place too)."""


def _phase(copy: Path) -> str:
    """What of the tables is in place in the store ``copy``: :data:`BEFORE`, :data:`AFTER` (the maker
    done), or the tables in place, e.g. ``tiles+ranked``."""
    if store.ready_tables(copy) is not None:
        return AFTER
    found = store.tables_in_place(copy)
    return "+".join(name for name in tiles.TABLES if name in found) or BEFORE


def _wait_for(copy: Path, wanted: tuple[str, ...], t0: float) -> str:
    """:func:`_phase` once the tables ``wanted`` are in place (all of them: once the maker is done)."""
    while True:
        found = store.tables_in_place(copy)
        if (store.ready_tables(copy) is not None) if wanted == tiles.TABLES else all(n in found for n in wanted):
            return _phase(copy)
        if time.perf_counter() - t0 > scale.ANSWER_WITHIN_S:
            raise RuntimeError("the tables of quick clicks were never made")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path, help="a Parquet file of events (benchmarks/generate.py --format parquet)")
    args = ap.parse_args(argv)
    folder = store.store_path([args.file], DEFAULT_OPTIONS)
    if not store.is_store(folder):
        print(f"building the store at {folder} ...", file=sys.stderr, flush=True)
        store.build_apart([args.file], args.file.name, folder)
    with tempfile.TemporaryDirectory(prefix="before-tables-") as tmp:
        cache, log = Path(tmp) / "cache", Path(tmp) / "server.log"
        (cache / "timeline").mkdir(parents=True)
        copy = cache / "timeline" / folder.name
        subprocess.run(["cp", "-al", str(folder), str(copy)], check=True)  # links: nothing written twice
        for made in [*store.PRECOMPUTED.values(), store.TITLES_FILE, store.TABLES_FILE, store.TABLES_LOCK]:
            (copy / made).unlink(missing_ok=True)
        proc, url, watch, t0 = scale.start("duckdb", args.file, cache, log)
        try:
            seconds = scale.ask(url, scale.ALL)[0]
            print(f"first figure at {time.perf_counter() - t0:.2f} s ({seconds:.2f} s to answer)", flush=True)
            asked: set[str] = set()
            for wanted in STAGES:
                phase = _wait_for(copy, wanted, t0) if wanted else BEFORE  # at once, whatever came meanwhile
                if phase in asked:  # the tables it waited for came with the next
                    continue
                asked.add(phase)
                at = time.perf_counter() - t0
                print(
                    {BEFORE: f"asked from {at:.1f} s", AFTER: f"tables in place at {at:.1f} s"}.get(
                        phase, f"{phase} in place at {at:.1f} s"
                    ),
                    flush=True,
                )
                for name, views in clicks(len(asked) - 1):
                    times = [scale.ask(url, view)[0] for view in views]
                    print(f"{phase:>17}  {name:<12} " + "  ".join(f"{s:6.2f} s" for s in times), flush=True)
                if phase != AFTER and _phase(copy) != phase:
                    print("(more tables came while these were asked: make the dataset larger)", flush=True)
        finally:
            scale.stop(proc)
            rss, _ = watch.stop()
            print(f"peak RSS of the server's process tree {rss / 2**20:.0f} MB")
            print(log.read_text(errors="replace")[-800:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
