"""A store of a timeline's events for an engine, built from Parquet a chunk at a time.

A timeline larger than memory never exists as one table here: its Parquet parts are read in
chunks of :data:`CHUNK_ROWS` rows, each validated like a CSV (every problem named by its part and
row) and written as the engine's table (``io.engines.events_table``: the events, their row
numbers and derived columns); theme bits are made the same across chunks at the end, when every
theme is known. Ids must be unique across the whole file: checked by the engine once all is
written. The events stay in row order: fetching the few a page shows by their row numbers then
reads only the pages holding them (kept in date order instead, a fetch read every page: ten times
slower at a million events, for little gain in a window's counts).

The store is a folder: ``events.parquet`` (what the engine queries), ``eras.parquet``,
``head.parquet`` (the events' columns, no rows) and ``timeline.json`` (themes, title, cover, how
many events): opening it reads only the last three. A timeline loaded in memory is stored the
same way (:func:`write`), to be served by an engine.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..core import tiles
from ..core.columns import name_table
from ..core.lives import empty_lives
from ..core.model import MAX_THEMES, THEME_VOCABULARY, Problem, Timeline, ValidationError
from ..core.sql import drawn_columns
from ..core.validation import validate_table
from . import parquet
from .engines import STORE_ROW_GROUP, DuckDB, PerProcess, events_table, open_engine, queried, sql_string
from .files import user_cache_dir
from .read_options import DEFAULT_OPTIONS, ReadOptions

CHUNK_ROWS = 500_000
"""Rows validated at once: about 0.7 GB at the peak, whatever the file's size."""
STORE_FORMAT = 2
EVENTS_FILE, ERAS_FILE, HEAD_FILE, META_FILE = "events.parquet", "eras.parquet", "head.parquet", "timeline.json"
PRECOMPUTED = {tiles.TILES: "tiles.parquet", tiles.RANKED: "ranked.parquet"}
"""The tables of ``core.tiles``, made from the events once, read at every click."""
PRECOMPUTED_ROW_GROUP = 64 * 1024
"""Rows per row group of those tables: small, so that a query reads only the groups of the keys or
importance levels it asks for."""
MOST_PROBLEMS = 100_000
"""Problems kept from a large file (a last one says how many more there are)."""

Progress = Callable[[str], None]

WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Chunks validated at once, each in a process of its own (validation is mostly single-threaded)."""


@dataclass(frozen=True)
class Chunk:
    """Rows ``first``.. of the part ``shown`` (a chunk of it), as read."""

    shown: str
    first: int
    table: pa.Table
    meta: dict[str, Any]


def chunks(files: Sequence[Path], base: Path | None, rows: int = CHUNK_ROWS) -> Any:
    """Each part's rows, ``rows`` at a time, with where they start in it (from 0)."""
    for path in files:
        shown = str(path.relative_to(base)) if base is not None else str(path)
        try:
            reader = pq.ParquetFile(path)
            meta = parquet.read_meta(reader.schema_arrow.metadata)
            first = 0
            for batch in reader.iter_batches(batch_size=rows):
                yield Chunk(shown, first, pa.Table.from_batches([batch]), meta)
                first += batch.num_rows
        except (pa.ArrowException, OSError, ValueError) as exc:
            reason = str(exc).strip() or type(exc).__name__
            raise ValidationError(
                shown, [Problem(None, None, None, f"a readable Parquet file: {reason} (damaged or cut short?)")]
            ) from None


def build(
    files: Sequence[Path],
    name: str,
    target: Path,
    base: Path | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
    rows: int = CHUNK_ROWS,
    workers: int = WORKERS,
) -> None:
    """Validate the Parquet ``files`` chunk by chunk (``workers`` at once, each in a process of its
    own; 1: here) into a store at ``target`` (a folder, replaced only once complete).
    ValidationError lists the problems of every chunk; nothing is kept then."""
    say = progress or (lambda _msg: None)
    work = target.with_name(target.name + ".building")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        _build(files, name, work, base, options, say, rows, workers)
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class Validated:
    """One chunk validated (in a worker process): its piece of the store, or its problems."""

    rows: int
    piece: Path | None = None
    themes: list[str] = field(default_factory=list)
    eras: pd.DataFrame | None = None
    head: Timeline | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def validate_chunk(
    chunk: Chunk, name: str, options: ReadOptions, several: bool, first_row: int, piece: Path
) -> Validated:
    """Validate one chunk (its rows numbered from ``first_row`` in the whole dataset) and write its
    piece of the store; a problem's line is its row in the whole dataset (for their order)."""
    found = parquet.text_table([parquet.Part(chunk.shown, chunk.table, chunk.meta)], options.mapping)
    # Problems name the row in the part: the chunk starts ``first`` rows into it.
    found = replace(found, starts=np.array([-chunk.first], dtype=np.int64), named=several)
    rows = chunk.table.num_rows
    try:
        with found.locating():
            table, plan = name_table_of(found, name, options)
            timeline = validate_table(
                table, found.problems, name, found.line_numbers, options.date_order, plan, number_from=first_row + 1
            )
    except ValidationError as exc:
        moved = [p if p.line is None else replace(p, line=p.line + first_row) for p in exc.problems]
        return Validated(rows, problems=moved)
    table = events_table(timeline, first_row=first_row)
    pq.write_table(table, piece, compression="zstd", row_group_size=STORE_ROW_GROUP)
    head = replace(timeline, events=timeline.events.iloc[:0], memo={})
    return Validated(rows, piece, timeline.themes, timeline.eras, head, chunk.meta)


def _build(
    files: Sequence[Path],
    name: str,
    work: Path,
    base: Path | None,
    options: ReadOptions,
    say: Progress,
    rows: int,
    workers: int,
) -> None:
    t0 = time.perf_counter()
    problems: list[Problem] = []
    more = 0
    pieces: list[tuple[Path, list[str]]] = []
    eras: list[pd.DataFrame] = []
    template: Timeline | None = None
    meta: dict[str, Any] = {}
    total = 0
    several = len(files) > 1
    pending: deque[Future[Validated]] = deque()

    def collect(done: Validated) -> None:
        nonlocal total, more, template, meta
        total += done.rows
        if done.problems:
            room = max(MOST_PROBLEMS - len(problems), 0)
            problems.extend(done.problems[:room])
            more += max(len(done.problems) - room, 0)
        elif done.piece is not None:
            pieces.append((done.piece, done.themes))
            if done.eras is not None and len(done.eras):
                eras.append(done.eras)
            template = template or done.head
            meta = meta or done.meta
        say(f"validated {total:,} rows ({time.perf_counter() - t0:.1f} s)")

    first = 0
    if workers == 1:
        for i, chunk in enumerate(chunks(files, base, rows)):
            collect(validate_chunk(chunk, name, options, several, first, work / f"chunk-{i:06d}.parquet"))
            first += chunk.table.num_rows
    else:
        # Spawned, not forked: the caller may hold threads (a server), which a fork would copy mid-step.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for i, chunk in enumerate(chunks(files, base, rows)):
                piece = work / f"chunk-{i:06d}.parquet"
                pending.append(pool.submit(validate_chunk, chunk, name, options, several, first, piece))
                first += chunk.table.num_rows
                while len(pending) > workers:  # at most one chunk waiting per worker: memory stays flat
                    collect(pending.popleft().result())
            while pending:
                collect(pending.popleft().result())
    if more:
        problems.append(Problem(None, None, None, f"the first {MOST_PROBLEMS:,} problems fixed: {more:,} more follow"))
    if problems or template is None:
        raise ValidationError(name, problems or [Problem(None, None, None, "at least one event row")])
    themes = _ordered({t for _, names in pieces for t in names})
    if len(themes) > MAX_THEMES:
        raise ValidationError(
            name, [Problem(None, "themes", None, f"at most {MAX_THEMES} different themes, found {len(themes)}")]
        )
    say(f"writing the store ({total:,} events, {len(themes)} themes)")
    _write_events(pieces, themes, work / EVENTS_FILE)
    _check_ids(work / EVENTS_FILE, name, files, base)
    era_frame = pd.concat(eras, ignore_index=True) if eras else template.eras.iloc[:0]
    whole = parquet.apply_meta(replace(template, themes=themes, eras=era_frame, source_name=name), meta)
    _write_about(whole, total, work)
    precompute(work, whole, say)
    say(f"store ready in {time.perf_counter() - t0:.1f} s")


def write(timeline: Timeline, target: Path) -> None:
    """A timeline in memory as a store at ``target`` (a folder, replaced only once complete)."""
    work = target.with_name(target.name + ".building")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        table = events_table(timeline)
        pq.write_table(table, work / EVENTS_FILE, compression="zstd", row_group_size=STORE_ROW_GROUP)
        _write_about(timeline, timeline.size, work)
        precompute(work, timeline)
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def precompute(folder: Path, timeline: Timeline, say: Progress | None = None) -> None:
    """The tables of ``core.tiles`` (counts per period and theme combination; events in label order,
    with the columns a figure draws of ``timeline``'s) made by DuckDB from the store's events, each
    sorted so that its row groups' statistics lead a query to the few it needs."""
    t0 = time.perf_counter()
    engine = DuckDB.of_parquet(event_files(folder), memory_limit="1GB")
    made = (
        (tiles.TILES, tiles.tiles_query() + " ORDER BY side, unit, k"),
        (tiles.RANKED, tiles.ranked_query(drawn_columns(timeline))),
    )
    try:
        for name, query in made:
            target = sql_string(str(folder / PRECOMPUTED[name]))
            engine.run(
                f"COPY ({query}) TO {target} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {PRECOMPUTED_ROW_GROUP})",
                (),
            )
            if say is not None:
                say(f"{name} made ({time.perf_counter() - t0:.1f} s)")
    finally:
        engine.close()


def _write_about(timeline: Timeline, total: int, folder: Path) -> None:
    """Everything but the events: the columns they have, the eras, themes, title and cover."""
    pq.write_table(pa.Table.from_pandas(timeline.events.iloc[:0], preserve_index=False), folder / HEAD_FILE)
    pq.write_table(pa.Table.from_pandas(timeline.eras, preserve_index=False), folder / ERAS_FILE)
    about = {
        "format": STORE_FORMAT,
        "name": timeline.source_name,
        "themes": timeline.themes,
        "total": int(total),
        "title": timeline.title,
        "cover": timeline.cover,
        "rich_text": timeline.rich_text,
    }
    (folder / META_FILE).write_text(json.dumps(about), encoding="utf-8")


def name_table_of(found: parquet.TextTable, name: str, options: ReadOptions) -> tuple[pa.Table, dict[str, str]]:
    """The chunk's columns under our names (as ``io.formats`` names a whole file's)."""
    table, plan = name_table(found.table, found.header, name, options.mapping, found.problems)
    return table, plan.shown


def _ordered(names: set[str]) -> list[str]:
    """Themes in lane order, as the validator orders a whole file's (the shipped vocabulary first)."""
    return [t for t in THEME_VOCABULARY if t in names] + sorted(names - set(THEME_VOCABULARY))


def _write_events(pieces: list[tuple[Path, list[str]]], themes: list[str], target: Path) -> None:
    """The chunks as one file, each chunk's theme bits moved to the bits of the whole."""
    index = {t: i for i, t in enumerate(themes)}
    writer: pq.ParquetWriter | None = None
    try:
        for path, local in pieces:
            table = pq.read_table(path)
            masks = table["theme_mask"].to_numpy().view(np.uint64)
            combos, inverse = np.unique(masks, return_inverse=True)
            moved = np.zeros(len(combos), dtype=np.uint64)
            for bit, theme in enumerate(local):
                has = (combos >> np.uint64(bit)) & np.uint64(1)
                moved |= has << np.uint64(index[theme])
            mask = pa.array(moved[inverse].view(np.int64))
            table = table.set_column(table.schema.get_field_index("theme_mask"), "theme_mask", mask)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=STORE_ROW_GROUP)
            path.unlink()
    finally:
        if writer is not None:
            writer.close()


def _check_ids(events: Path, name: str, files: Sequence[Path], base: Path | None) -> None:
    """Ids are unique across the whole file (each chunk checked its own): the engine finds repeats."""
    engine = DuckDB(memory_limit="1GB")
    try:
        found = engine.run(
            f"SELECT id, min(row), max(row), count(*) FROM read_parquet({sql_string(str(events))}) "
            "GROUP BY id HAVING count(*) > 1 ORDER BY min(row) LIMIT ?",
            [MOST_PROBLEMS],
        )
    finally:
        engine.close()
    if found:
        problems = [
            Problem(
                None,
                "id",
                str(value),
                f"a unique id: it is used {int(str(n))} times, first in row {int(str(a)) + 1}, "
                f"last in row {int(str(b)) + 1} of the whole dataset",
            )
            for value, a, b, n in found
        ]
        raise ValidationError(name, problems)


def open_store(
    folder: Path, memory_limit: str | None = None, engine: str = "duckdb", remote: str | None = None
) -> Timeline:
    """The timeline a store holds, its events left to an engine (opened per process, on first use):
    DuckDB (within ``memory_limit``), or Spark, local or at the Spark Connect address ``remote``
    (which must see the store's folder at the same path)."""
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    head = pq.read_table(folder / HEAD_FILE).to_pandas()
    eras = pq.read_table(folder / ERAS_FILE).to_pandas()
    timeline = Timeline(
        events=head,
        themes=list(meta["themes"]),
        eras=eras,
        source_name=str(meta["name"]),
        title=meta.get("title"),
        lives=empty_lives(),
        cover={str(k): str(v) for k, v in (meta.get("cover") or {}).items()},
        rich_text=bool(meta.get("rich_text")),
        total=int(meta["total"]),
    )
    events = event_files(folder)
    tables: dict[str, Sequence[Path]] = {name: [folder / file] for name, file in PRECOMPUTED.items()}
    shared = PerProcess(
        lambda: open_engine(engine, events, remote=remote, tables=tables, memory_limit=memory_limit),
        precomputed=True,
        name=str(folder.resolve()),
    )
    return queried(timeline, shared)


def event_files(folder: Path) -> list[Path]:
    """The Parquet files holding a store's events (what the engine's ``events`` reads)."""
    return [folder / EVENTS_FILE]


def is_store(folder: Path) -> bool:
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == STORE_FORMAT


def store_path(files: Sequence[Path], options: ReadOptions) -> Path:
    """Where the store of ``files`` (read with ``options``) is kept: the user's cache folder, named after
    the files' paths, sizes and modification times, the options and the store's format, so that a
    changed file gets a new one."""
    parts = [str(STORE_FORMAT), options.key()]
    for path in files:
        stat = path.stat()
        parts += [str(path.resolve()), str(stat.st_size), str(stat.st_mtime_ns)]
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
    return user_cache_dir() / f"{digest}.store"


def build_apart(
    files: Sequence[Path],
    name: str,
    target: Path,
    base: Path | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    verbose: bool = True,
) -> None:
    """:func:`build` in a process of its own, so that what building takes (chunks, buffers) is given
    back to the system before the caller serves; progress on stderr with ``verbose``."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        refused = pool.submit(_build_reporting, list(files), name, target, base, options, verbose).result()
    if refused is not None:
        raise ValidationError(name, refused)


def _build_reporting(
    files: list[Path], name: str, target: Path, base: Path | None, options: ReadOptions, verbose: bool
) -> list[Problem] | None:
    """:func:`build`, its problems returned (an exception of ours does not cross processes whole)."""
    say = (lambda msg: print(f"timeline: {msg}", file=sys.stderr, flush=True)) if verbose else None
    try:
        build(files, name, target, base=base, options=options, progress=say)
    except ValidationError as exc:
        return exc.problems
    return None
