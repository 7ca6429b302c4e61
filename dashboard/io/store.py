"""A store of a timeline's events for an engine, built from Parquet a chunk at a time.

A timeline larger than memory never exists as one table here. A first pass reads only the columns
of themes and kinds, a row group at a time, and learns every lane of the dataset (as validating it
whole would find them). Its parts are then cut between row groups into chunks of about
:data:`CHUNK_ROWS` rows, which the building process and a helper process read and validate like
a CSV (every problem named by its part and row), each writing its chunk's piece of the engine's
table (``io.engines.events_table``: the events, their row numbers, theme bits already those of the
whole dataset, and derived columns). The pieces are the store's events: nothing is written twice.
A chunk meeting a theme the first pass did not see (the file changed meanwhile) stops the build
rather than write wrong bits. Ids must be unique across the whole dataset: each chunk checks its
own and sends back a 64-bit hash of each; only ids whose hashes repeat are read again and compared.
The events stay in row order: fetching the few a page shows by their row numbers then reads only
the pages holding them (kept in date order instead, a fetch read every page: ten times slower at a
million events, for little gain in a window's counts).

The store is a folder: ``events-00000.parquet``... (the pieces of what the engine queries, in row
order: :func:`event_files`), ``eras.parquet``, ``head.parquet`` (the events' columns, no rows) and
``timeline.json`` (themes, title, cover, how many events, the pieces): opening it reads only the
last three. A timeline loaded in memory is stored the same way (:func:`write`, in one piece), to be
served by an engine.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core import sql as sql_text
from ..core import tiles
from ..core.columns import name_table, plan_columns
from ..core.lives import empty_lives
from ..core.model import MAX_THEMES, Problem, Timeline, ValidationError, with_extras, without_extras
from ..core.story import has_story_order
from ..core.validation import event_themes, extra_columns, lane_order, validate_table
from . import held, parquet, progress, stops
from .cache import has_ongoing
from .engines import STORE_ROW_GROUP, TITLES, DuckDB, PerProcess, events_table, open_engine, queried, sql_string
from .files import user_cache_dir, write_atomic
from .read_options import DEFAULT_OPTIONS, ReadOptions

CHUNK_ROWS = 131_072
"""Rows validated at once by each process, whatever the file's size: about 0.4 GB at its peak (0.55 GB
at 250,000, 0.85 GB at 500,000, for the same time per row within 10%)."""
TASKS = 16
"""At least this many tasks (each written as one piece), as long as each holds a chunk."""
MOST_A_TASK = 8
"""Chunks a task holds at most (a piece of about a million rows)."""
STORE_FORMAT = 8
"""7: the file's other columns in the pieces (for the CSV export) and the eras' beside them. 8: the
searched text holds the columns' other languages (``title_ja``) and plain apostrophes."""
COMPRESSION = "lz4"
"""A piece's columns are compressed for speed, not size. Text in LZ4 rather than zstd: at 1M events,
pieces written 23% faster and searched 29% faster, in 33% more bytes. Numbers too: at 10M events, a
number column read 35-60% faster, a search keeping its matches' numbers 32% faster and a question
of every event 40% faster, in 13% more bytes (1.7 GB against 1.5 GB). A store written before keeps
its zstd numbers: both read the same."""
EVENTS_PIECE, ERAS_FILE, HEAD_FILE, META_FILE = "events-{:05d}.parquet", "eras.parquet", "head.parquet", "timeline.json"
PRECOMPUTED = {tiles.TILES: "tiles.parquet", tiles.RANKED: "ranked.parquet", tiles.CHRONO: "chrono.parquet"}
"""The tables of ``core.tiles``, made from the events once, read at every click."""
TITLES_FILE = "titles.duckdb"
"""The events' titles in lower case, with the columns a search keeps (``core.sql.SEARCH_COLUMNS``), in
DuckDB's own format, in row order: made with the tables, a title search (``title:word``) reads them
rather than the events' Parquet pieces (``engines.TITLES``)."""
TABLES_MEMORY = "512MB"
"""DuckDB's memory limit while it makes the tables, beside a server already serving (past it, the
sorts work from disk): 0.7 GB of RSS at ten million events, 4% slower than with 1 GB (1.2 GB)."""
MAKER_NICENESS = 10
TABLES_FILE = "tables.json"
"""Which tables of :data:`PRECOMPUTED` (and the titles) are in place, of which sizes, and whether their
maker is done: rewritten as each is put in place. Until a table is, the queries it answers read the events."""
TABLES_FAILED = "tables-failed.json"
"""Written by a maker of the tables that failed (the disk full...), with why: the page stops saying
they are being made. The next maker removes it."""
TABLES_LOCK = ".tables.lock"
"""Locked (``flock``) by the process making a store's tables, and let go by the kernel if it is killed."""
TURN_LOOKED_FOR_S = 0.2
"""How often a maker waiting for another's lock looks again (or whether it was stopped)."""
PRECOMPUTED_ROW_GROUP = 64 * 1024
"""Rows per row group of those tables: small, so that a query reads only the groups of the keys or
importance levels it asks for."""
MOST_PROBLEMS = 100_000
"""Problems kept from a large file (a last one says how many more there are)."""
PREVIEW_ROWS = 1_048_576
"""Rows validated, from the first, before a large dataset's preview may be served (:func:`build`)."""
PREVIEW_SHARE = 4
"""A preview is made of a dataset holding at least this many times :data:`PREVIEW_ROWS`: a smaller
one is complete soon after."""
SMALLEST_CHUNK = 16_384
"""Fewest rows validated at once when a preview of fewer than :data:`CHUNK_ROWS` rows is asked for."""


def chunk_rows(preview_rows: int, rows: int = CHUNK_ROWS) -> int:
    """Rows validated at once among a preview's ``preview_rows`` first rows (0: none): no more, so that
    a small preview asked for is not held back until a whole chunk of the usual size is validated,
    and no fewer than :data:`SMALLEST_CHUNK`, whose overhead per chunk would slow it. The rows past
    the preview are cut into the usual chunks of ``rows`` (:func:`chunks_of`): the store is the same either way."""
    if preview_rows <= 0:
        return rows
    return min(rows, max(preview_rows, SMALLEST_CHUNK))


Progress = progress.Said

STOP_BUILDING_S = 30
"""How long a build told to stop may take to (its chunks under way finished, its work removed)."""

WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Chunks validated at once: one by the building process, the others each in a helper process of its
own (validation is mostly single-threaded)."""


@dataclass(frozen=True)
class Chunk:
    """Rows of one part, read by the process that validates them: whole row groups, or one slice
    (``batch``: its index and size) of a row group too large to be one chunk."""

    part: parquet.PartFile
    first: int
    """Its first row in the part (from 0)."""
    rows: int
    groups: tuple[int, ...]
    batch: tuple[int, int] | None = None


def chunk_tables(chunks: Sequence[Chunk], threads: bool) -> Iterator[pa.Table]:
    """The rows of each chunk of a task: each chunk's row groups, or the slices of one row group, read
    in one pass. ValidationError when the file is no longer as its footer said."""
    first = chunks[0]
    if first.batch is None:
        found: Iterator[pa.Table] = (parquet.read_rows(c.part, groups=c.groups, threads=threads) for c in chunks)
    else:
        found = parquet.read_slices(first.part, first.groups[0], first.batch[1], threads)
    for chunk in chunks:
        table = next(found, None)
        if table is None or table.num_rows != chunk.rows:
            said = "no more" if table is None else f"{table.num_rows:,}"
            raise parquet_changed(chunk.part, f"{chunk.rows:,} rows expected at row {chunk.first + 1:,}, found {said}")
        yield table


def tasks_of(chunks: Sequence[Chunk], most: int) -> list[list[int]]:
    """Chunks validated one after the other by one process, their events written as one piece of the
    store: up to ``most`` consecutive chunks of a part, and the slices of a row group always together
    (read in one pass)."""
    tasks: list[list[int]] = []
    for i, chunk in enumerate(chunks):
        before = chunks[i - 1] if i else None
        if before is None or before.part != chunk.part:
            tasks.append([i])
            continue
        sliced = chunk.batch is not None and chunk.batch[0] > 0 and before.groups == chunk.groups
        if sliced or (chunk.batch is None and before.batch is None and len(tasks[-1]) < most):
            tasks[-1].append(i)
        else:
            tasks.append([i])
    return tasks


def first_alone(tasks: list[list[int]], chunks: Sequence[Chunk], rows: int) -> list[list[int]]:
    """``tasks`` with the chunks of the first ``rows`` rows each a task of its own (the slices of a row
    group stay together)."""
    found: list[list[int]] = []
    seen = 0
    for task in tasks:
        if seen < rows and all(chunks[i].batch is None for i in task):
            found += [[i] for i in task]
        else:
            found.append(task)
        seen += sum(chunks[i].rows for i in task)
    return found


def chunks_a_task(chunks: int) -> int:
    """Chunks written as one piece: the fewer the pieces, the faster an engine reads them (DuckDB's
    multi-file scan has a cost per file), but a dataset in fewer than :data:`TASKS` tasks would leave
    a process idle while another works."""
    return max(1, min(MOST_A_TASK, chunks // TASKS))


def chunks_of(part: parquet.PartFile, rows: int, start: int = 0, small_until: int = 0, small: int = 0) -> list[Chunk]:
    """A part cut between row groups into chunks of about ``rows`` rows (within half a group); a group
    of more than twice that, in equal slices. The part's rows begin at row ``start`` of its dataset,
    whose first ``small_until`` rows (a preview's) are cut into chunks of ``small`` rows instead."""
    found: list[Chunk] = []
    first = 0
    held: list[int] = []

    def size() -> int:
        """The rows of a chunk beginning where the next one does."""
        return small if start + first < small_until else rows

    def cut() -> None:
        nonlocal first
        if held:
            count = sum(part.groups[g] for g in held)
            found.append(Chunk(part, first, count, tuple(held)))
            first += count
            held.clear()

    for g, n in enumerate(part.groups):
        if n == 0:
            continue
        if n > 2 * size():
            cut()
            pieces = -(-n // size())
            slice_rows = -(-n // pieces)
            for i in range(pieces):
                found.append(Chunk(part, first, min(slice_rows, n - i * slice_rows), (g,), (i, slice_rows)))
                first += found[-1].rows
            continue
        if held and sum(part.groups[h] for h in held) + n > size() + n // 2:
            cut()
        held.append(g)
    cut()
    return found


def parquet_changed(part: parquet.PartFile, what: str) -> ValidationError:
    expected = f"a Parquet file left as it is while its store is built: {part.shown} changed ({what})"
    return ValidationError(part.name, [Problem(None, None, None, expected)])


def build(
    files: Sequence[Path],
    name: str,
    target: Path,
    base: Path | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
    rows: int = CHUNK_ROWS,
    workers: int = WORKERS,
    tables: bool = True,
    preview: Preview | None = None,
) -> None:
    """Validate the Parquet ``files`` chunk by chunk (``workers`` at once: this process and helpers,
    each in a process of its own) into a store at ``target`` (a folder, replaced only once complete),
    with the tables of ``core.tiles`` (else left to :func:`precompute` once it is served).
    ValidationError lists the problems of every chunk; nothing is kept then. ``preview``: where a
    store of the first rows validated is written, once there are enough of them, to be served
    while the rest are validated."""
    say: Progress = progress or _silent
    with _building(target) as work:
        _build(files, name, work, base, options, say, rows, workers, tables, preview)


@dataclass(frozen=True)
class Preview:
    """A store of a large dataset's first rows, made once ``rows`` of them are validated and none has a
    problem (if the dataset holds :data:`PREVIEW_SHARE` times as many): its pieces are those of the
    store being built (hard links), ``made()`` is called once it is in place."""

    folder: Path
    made: Callable[[], None]
    rows: int = PREVIEW_ROWS

    def wanted(self, total: int) -> bool:
        return self.rows > 0 and total >= PREVIEW_SHARE * self.rows

    def write(self, whole: Timeline, rows: int, total: int, pieces: Sequence[Path]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for piece in pieces:
            try:
                os.link(piece, self.folder / piece.name)
            except OSError:  # another file system (or none allows links)
                shutil.copyfile(piece, self.folder / piece.name)
        _write_about(whole, rows, self.folder, pieces, preview_of=total)
        self.made()


def _silent(msg: str, step: progress.Step | None = None) -> None:
    """Says nothing (a build nobody watches)."""


@contextmanager
def _building(target: Path) -> Iterator[Path]:
    """A work folder of this process's own beside ``target``, put in its place once the work in it is
    complete (nothing is kept if it fails). Two processes making one store at once (two servers
    started together on one cache) each make their own; whichever comes second keeps the first's,
    which holds the same events (a store is named after its files) and may be served already."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # those of builders killed outright, whichever store they were building (one whose file changed
    # since is never built again), would keep their space, as large as a store; one without a lock (an
    # earlier version's) only if it is this store's and nothing in it changed for UNLOCKED_LEFT_S
    held.remove_left(target.parent, f"*{BUILDING}*", lockless=lambda found: _left_unlocked(found, target))
    work, holding = held.make_held(f"{target.name}{BUILDING}", target.parent)
    try:
        with holding:
            yield work
            if is_store(target):  # put in place meanwhile: its server reads its files
                return
            shutil.rmtree(target, ignore_errors=True)  # anything but a whole store (a store is put whole)
            (work / held.LOCK).unlink()
            try:
                work.rename(target)
            except OSError:
                if not is_store(target):  # not another process's store put there meanwhile
                    raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


BUILDING = ".building-"
"""Between a store's name and the rest of the name of a work folder in which it is built."""
UNLOCKED_LEFT_S = 60
"""A work folder of the store being built without a lock (made by an earlier version) is left behind
by a builder gone once nothing in it has changed for this long."""


EARLIER_LOCK = ".building.lock"
"""The file a builder of a version before ``io.held`` held locked in its work folder: one still at work
beside a server of this version (a cache shared while they are upgraded) is left to it."""


def _left_unlocked(found: Path, target: Path) -> bool:
    if held.is_locked(found / EARLIER_LOCK):
        return False
    return found.name.startswith(f"{target.name}{BUILDING}") and _untouched_for(found) > UNLOCKED_LEFT_S


def _untouched_for(folder: Path) -> float:
    """Seconds since anything in ``folder`` last changed (a file written, added or removed); 0 if that
    cannot be told."""
    try:
        latest = max([folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.iterdir())])
    except OSError:
        return 0.0
    return time.time() - latest


@dataclass(frozen=True)
class Job:
    """One chunk to validate, and the piece of the store its events go to, with those of the rest of
    its task (None: validate only, as when the dataset is already known to be refused)."""

    chunk: Chunk
    name: str
    options: ReadOptions
    several: bool
    """Problems name the part even when it is the only one (a dataset of several)."""
    first_row: int
    """The chunk's first row in the whole dataset (from 0)."""
    piece: Path | None
    lanes: tuple[str, ...]
    """Every theme of the dataset, in lane order: what the bits of each event's ``theme_mask`` mean."""
    threads: bool
    extras: tuple[str, ...] = ()
    """The other columns of every part of the dataset: each piece holds them all, empty where its
    part has none, so that every piece has the same columns."""


@dataclass
class Validated:
    """One chunk validated: its piece of the store, or its problems."""

    rows: int
    piece: Path | None = None
    hashes: np.ndarray | None = None
    """A 64-bit hash of the id of each of its events, in order: ids repeated across chunks are looked
    for among these."""
    eras: pd.DataFrame | None = None
    """Its eras, their other columns beside them (``core.model.with_extras``)."""
    head: Timeline | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    more: int = 0
    """Problems beyond :data:`MOST_PROBLEMS`, not sent back."""


def validate_task(jobs: Sequence[Job]) -> list[Validated]:
    """The chunks of one task validated in turn (see :func:`validate_chunk`), read in one pass, their
    events written as one piece of the store (at ``piece``, the same for all; none once one has problems)."""
    tables = chunk_tables([job.chunk for job in jobs], jobs[0].threads)
    writer = PieceWriter(jobs[0].piece) if jobs[0].piece is not None else None
    piece = writer
    done: list[Validated] = []
    try:
        for job in jobs:
            done.append(validate_chunk(job, tables, piece))
            if done[-1].problems:
                piece = None  # the dataset is refused: the rest is only validated
    finally:
        if writer is not None:
            writer.close()
    return done


def is_narrow(kind: pa.DataType) -> bool:
    """Whether values of ``kind`` take a byte or less (flags, small numbers such as a precision)."""
    return bool(pa.types.is_boolean(kind) or pa.types.is_int8(kind) or pa.types.is_uint8(kind))


class PieceWriter:
    """A piece of a store's events, written a chunk at a time."""

    def __init__(self, path: Path):
        self.path = path
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self.path,
                table.schema,
                compression=COMPRESSION,
                # Statistics where a query's filter may skip row groups by them (numbers, not text),
                # dictionaries where values repeat (small numbers, flags, theme bits; the text is
                # mostly unique): 10M events stored 6% faster, in 6% more bytes, queries as quick.
                write_statistics=[f.name for f in table.schema if not parquet.is_text(f.type)],
                use_dictionary=[f.name for f in table.schema if f.name == "theme_mask" or is_narrow(f.type)],
            )
        self._writer.write_table(table, row_group_size=STORE_ROW_GROUP)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def validate_chunk(job: Job, tables: Iterator[pa.Table], piece: PieceWriter | None) -> Validated:
    """Validate one chunk, its rows the next of ``tables`` (numbered from ``job.first_row`` in the
    whole dataset), and write its events to ``piece`` (None: validate only); a problem's line is its
    row in the whole dataset (for their order)."""
    chunk = job.chunk
    first_row = job.first_row
    try:
        table = next(tables, None)
        if table is None:  # an earlier chunk of its task could not be read: said there
            return Validated(chunk.rows)
        found = parquet.text_table([parquet.Part(chunk.part.shown, table, chunk.part.meta)], job.options.mapping)
        # Problems name the row in the part: the chunk starts ``first`` rows into it.
        found = replace(found, starts=np.array([-chunk.first], dtype=np.int64), named=job.several)
        with found.locating():
            named, plan = name_table_of(found, job.name, job.options)
            timeline = validate_table(
                named, found.problems, job.name, found.line_numbers, job.options.date_order, plan, first_row + 1
            )
        del table, found, named
        timeline.extras = timeline.extras.reindex(columns=list(job.extras), fill_value="").astype("str")
        head = replace(timeline, events=no_rows(timeline.events), extras=no_rows(timeline.extras), memo={})
        eras = with_extras(timeline.eras, timeline.era_extras)
        if piece is None:
            return Validated(chunk.rows, eras=eras, head=head, meta=chunk.part.meta)
        timeline.events["theme_mask"] = on_lanes(timeline, job.lanes, chunk.part)
    except ValidationError as exc:
        moved = [p if p.line is None else replace(p, line=p.line + first_row) for p in exc.problems]
        return Validated(chunk.rows, problems=moved[:MOST_PROBLEMS], more=max(len(moved) - MOST_PROBLEMS, 0))
    hashes = id_hashes(timeline.events["id"])
    piece.write(events_table(timeline, first_row=first_row))
    return Validated(chunk.rows, piece.path, hashes, eras, head, chunk.part.meta)


def no_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame's columns without its rows, holding nothing of it (``iloc[:0]`` keeps its buffers alive)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in frame.dtypes.items()}, index=pd.RangeIndex(0))


def on_lanes(timeline: Timeline, lanes: Sequence[str], part: parquet.PartFile) -> np.ndarray:
    """The events' theme bits (bit i: the chunk's own ``themes[i]``) as bits of ``lanes``, the whole
    dataset's themes; ValidationError for a theme not among them (the file changed since they were read)."""
    # a chunk names a theme by its own spellings ('wwii' where the dataset also has 'WWII'): in any case
    index = {t.lower(): i for i, t in enumerate(lanes)}
    missing = [t for t in timeline.themes if t.lower() not in index]
    if missing:
        raise parquet_changed(part, f"theme {missing[0]!r} was not in it when its themes were read")
    masks = timeline.events["theme_mask"].to_numpy()
    combos, inverse = np.unique(masks, return_inverse=True)
    moved = np.zeros(len(combos), dtype=np.uint64)
    for bit, theme in enumerate(timeline.themes):
        moved |= ((combos >> np.uint64(bit)) & np.uint64(1)) << np.uint64(index[theme.lower()])
    return moved[inverse]


def file_themes(parts: Sequence[parquet.PartFile], options: ReadOptions) -> list[str]:
    """Every theme of a dataset's events, in lane order, as validating it whole would find them: a first
    pass reading only the columns of themes and kinds, a row group at a time, and only their distinct
    pairs. A part whose header is wrong gives none (its chunks say what is wrong)."""
    found: set[str] = set()
    for part in parts:
        header = part.header
        plan = plan_columns(header, options.mapping)
        if plan.problems:
            continue
        read = {h: ours for h, ours in zip(header, plan.names) if ours in ("themes", "kind")}
        for table in parquet.distinct_rows(part, list(read)):
            columns = [
                parquet.as_text(table[h].combine_chunks(), read[h])[0] if h in read else pa.nulls(table.num_rows)
                for h in header
            ]
            named, _ = name_table(pa.table(columns, names=header), header, part.name, options.mapping, [])
            found |= event_themes(named)
    return lane_order(found)


def dataset_extras(parts: Sequence[parquet.PartFile], options: ReadOptions) -> list[str]:
    """The other columns of a dataset's parts (``core.validation.extra_columns``), each once, in the
    order the parts first have them."""
    found: dict[str, None] = {}
    for part in parts:
        plan = plan_columns(part.header, options.mapping)
        found |= dict.fromkeys(extra_columns(plan.names))
    return list(found)


def _ready() -> None:
    """Nothing: sent to a helper process first, so that it starts (imports) while the themes are read."""


def _build(
    files: Sequence[Path],
    name: str,
    work: Path,
    base: Path | None,
    options: ReadOptions,
    say: Progress,
    rows: int,
    workers: int,
    tables: bool,
    preview: Preview | None = None,
) -> None:
    t0 = time.perf_counter()
    parts = [parquet.open_part(path, name, base) for path in files]
    begins = np.concatenate([[0], np.cumsum([part.rows for part in parts])]).astype(np.int64)
    total = int(begins[-1])
    previewed = preview if preview is not None and preview.wanted(total) else None
    first = previewed.rows if previewed is not None else 0  # the preview's rows, cut into chunks of its size
    chunks = [
        c for part, at in zip(parts, begins) for c in chunks_of(part, rows, int(at), first, chunk_rows(first, rows))
    ]
    starts = np.concatenate([[0], np.cumsum([c.rows for c in chunks])]).astype(np.int64)
    helpers = max(0, min(workers - 1, len(chunks) - 1))
    pool = (
        ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("spawn"), initializer=_stop_with_parent)
        if helpers
        else None
    )
    try:
        started = [pool.submit(_ready) for _ in range(helpers)] if pool is not None else []
        say(f"reading the themes of {int(starts[-1]):,} rows", progress.Step("themes", 0, int(starts[-1])))
        lanes = file_themes(parts, options)
        say(f"{len(lanes)} themes in {int(starts[-1]):,} rows ({time.perf_counter() - t0:.1f} s)")
        several = len(parts) > 1

        def validated(prefix: list[Validated]) -> None:
            """The first chunks validated, in order, none refused (``_validate_all`` says so only
            then): a preview of them once there are enough."""
            nonlocal previewed
            rows = sum(r.rows for r in prefix)
            if previewed is None or rows < previewed.rows or rows >= total:
                return
            made, previewed = previewed, None
            pieces = list(dict.fromkeys(r.piece for r in prefix if r.piece is not None))
            made.write(_whole(prefix, lanes, name), rows, total, pieces)
            say(f"serving a preview of the first {rows:,} rows while the rest are validated")

        alone = previewed.rows if previewed is not None else 0
        done = _validate_all(
            chunks,
            starts,
            several,
            name,
            work,
            options,
            lanes,
            pool,
            started,
            say,
            t0,
            validated,
            alone,
            dataset_extras(parts, options),
        )
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    problems: list[Problem] = []
    more = 0
    for result in done:
        room = max(MOST_PROBLEMS - len(problems), 0)
        problems.extend(result.problems[:room])
        more += max(len(result.problems) - room, 0) + result.more
    if more:
        problems.append(Problem(None, None, None, f"the first {MOST_PROBLEMS:,} problems fixed: {more:,} more follow"))
    if problems or not any(r.head is not None for r in done):
        raise ValidationError(name, problems or [Problem(None, None, None, "at least one event row")])
    if len(lanes) > MAX_THEMES:
        raise ValidationError(
            name, [Problem(None, "themes", None, f"at most {MAX_THEMES} different themes, found {len(lanes)}")]
        )
    hashes: dict[Path, list[np.ndarray]] = {}
    for result in done:
        if result.piece is not None and result.hashes is not None:
            hashes.setdefault(result.piece, []).append(result.hashes)
            result.hashes = None  # held once, and let go once checked (0.8 GB at 100M events)
    pieces = list(hashes)
    say(
        f"checking the ids of {int(starts[-1]):,} rows ({time.perf_counter() - t0:.1f} s)",
        progress.Step("ids", int(starts[-1]), int(starts[-1])),
    )
    _check_ids(hashes, name)
    del hashes
    whole = _whole(done, lanes, name)
    _write_about(whole, int(starts[-1]), work, pieces)
    if tables:
        precompute(work, whole, say)
    say(f"store ready in {time.perf_counter() - t0:.1f} s")


def _whole(done: Sequence[Validated], lanes: list[str], name: str) -> Timeline:
    """The timeline of validated chunks but its events: the dataset's lanes, the chunks' eras, the
    title and cover of the file's metadata."""
    template = next(r.head for r in done if r.head is not None)
    eras = [r.eras for r in done if r.eras is not None and len(r.eras)]
    era_frame, era_extras = without_extras(pd.concat(eras, ignore_index=True) if eras else template.eras.iloc[:0])
    meta = next((r.meta for r in done if r.meta), {})
    whole = replace(template, themes=lanes, eras=era_frame, era_extras=era_extras, source_name=name)
    return parquet.apply_meta(whole, meta)


def _validate_all(
    chunks: list[Chunk],
    starts: np.ndarray,
    several: bool,
    name: str,
    work: Path,
    options: ReadOptions,
    lanes: list[str],
    pool: ProcessPoolExecutor | None,
    started: list[Future[None]],
    say: Progress,
    t0: float,
    validated: Callable[[list[Validated]], None] | None = None,
    alone: int = 0,
    extras: Sequence[str] = (),
) -> list[Validated]:
    """Every chunk validated, in order. This process and each helper take the next task (a chunk, or
    the slices of a large row group) whenever they are free (a helper once it has ``started``: no task
    waits for one meanwhile); once a chunk has problems, the rest are only validated. ``validated``
    is told the first chunks validated, in order, each time they are more, as long as the dataset
    is not refused (a problem met, or too many themes); the chunks of the first
    ``alone`` rows are tasks of their own (sooner validated, by every process at once)."""
    results: dict[int, Validated] = {}
    lock = threading.Lock()
    order = iter(first_alone(tasks_of(chunks, chunks_a_task(len(chunks))), chunks, alone))
    refused = len(lanes) > MAX_THEMES
    failed: list[BaseException] = []
    telling = threading.Lock()  # one report at a time (each thread reports the tasks it brings in)

    def take() -> tuple[list[int], list[Job]] | None:
        with lock:
            task = None if failed else next(order, None)
            if task is None:
                return None
            piece = None if refused else work / EVENTS_PIECE.format(task[0])
            return task, [
                Job(chunks[i], name, options, several, int(starts[i]), piece, tuple(lanes), not started, tuple(extras))
                for i in task
            ]

    def keep(task: list[int], validated: list[Validated]) -> None:
        nonlocal refused
        with lock:
            results.update(zip(task, validated))
            refused = refused or any(r.problems for r in validated)

    def feed(helper: Future[None]) -> None:
        """Tasks sent to one helper process, one after the other (a thread of this process each)."""
        try:
            helper.result()
            while (taken := take()) is not None:
                keep(taken[0], cast(ProcessPoolExecutor, pool).submit(validate_task, taken[1]).result())
                report()
        except BaseException as exc:  # given to the main thread, which raises it
            with lock:
                failed.append(exc)

    feeders = [threading.Thread(target=feed, args=(helper,), daemon=True) for helper in started]
    for feeder in feeders:
        feeder.start()
    done: list[Validated] = []

    def report() -> None:
        """The chunks validated so far, in order (problems are kept in the dataset's order)."""
        with telling:
            with lock:
                before = len(done)
                while len(done) in results:
                    done.append(results.pop(len(done)))
                prefix = list(done) if len(done) > before else None
            if prefix is None:
                return
            rows, total = int(starts[len(prefix)]), int(starts[-1])
            say(  # one line for the chunks a task brought in
                f"validated {rows:,} of {total:,} rows ({rows / total:.0%}, {time.perf_counter() - t0:.1f} s)",
                progress.Step("validating", rows, total),
            )
            if validated is not None and not refused:  # a dataset already refused is not previewed
                validated(prefix)

    try:
        while (taken := take()) is not None:
            keep(taken[0], validate_task(taken[1]))
            report()
    except BaseException as exc:
        with lock:
            failed.append(exc)
        raise
    finally:
        for feeder in feeders:
            feeder.join()
    if failed:
        raise failed[0]
    report()
    return done


def write(timeline: Timeline, target: Path, tables: bool = True) -> None:
    """A timeline in memory as a store at ``target`` (a folder, replaced only once complete), with the
    tables of ``core.tiles`` (else left to :func:`precompute` once it is served)."""
    with _building(target) as work:
        piece = work / EVENTS_PIECE.format(0)
        write_events(events_table(timeline), piece)
        _write_about(timeline, timeline.size, work, [piece], servable=unservable(timeline) is None)
        if tables:
            precompute(work, timeline)


@dataclass
class Making:
    """Tables being made, which another thread (a signal's handler) may stop: the query under way is
    interrupted and nothing more is put in place."""

    stopped: threading.Event = field(default_factory=threading.Event)
    engine: DuckDB | None = None

    def stop(self) -> None:
        self.stopped.set()
        engine = self.engine
        if engine is not None:
            engine.interrupt()


def precompute(folder: Path, timeline: Timeline, say: Progress | None = None, making: Making | None = None) -> bool:
    """The tables of ``core.tiles`` (counts per period and theme combination; events in label order,
    with the columns a figure draws of ``timeline``'s) made by DuckDB from the store's events, each
    sorted so that its row groups' statistics lead a query to the few it needs. Each is made in a
    work folder of its own and put in place whole as soon as it is made, the tiles first
    (:data:`TABLES_FILE` rewritten each time: :func:`tables_in_place`): a store may be served
    meanwhile, and takes up each table as it comes. A maker stopped or killed leaves those already in
    place, and the next makes only the others. One process at a time makes them (:data:`TABLES_LOCK`):
    another waits, then finds them made. Whether they are all in place (not when ``making`` was
    stopped)."""
    if ready_tables(folder) is not None:
        return True
    making = making or Making()
    with (folder / TABLES_LOCK).open("a") as lock:  # closed, the lock is let go
        if not _take_turn(lock, making):
            return False
        if ready_tables(folder) is not None:  # made by the maker this one waited for
            return True
        for left in folder.glob(".tables-*"):  # the work of a maker killed outright (no maker is at work)
            shutil.rmtree(left, ignore_errors=True)
        (folder / TABLES_FAILED).unlink(missing_ok=True)
        try:
            return _make_tables(folder, timeline, say, making)
        except Exception as exc:
            with contextlib.suppress(OSError):  # the disk may be what is full
                (folder / TABLES_FAILED).write_text(json.dumps({"why": str(exc)}), "utf-8")
            raise


def tables_failed(folder: Path) -> bool:
    """Whether the last maker of a store's tables failed (:data:`TABLES_FAILED`): none is at work."""
    return (folder / TABLES_FAILED).exists()


def _take_turn(lock: IO[str], making: Making) -> bool:
    """Whether this process holds ``lock`` (an open file) alone, waiting while another does; False
    once ``making`` is stopped meanwhile."""
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if making.stopped.wait(TURN_LOOKED_FOR_S):
                return False


def _make_tables(folder: Path, timeline: Timeline, say: Progress | None, making: Making) -> bool:
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=".tables-", dir=folder))
    sizes = _recorded(folder).get("bytes", {})
    # those a maker stopped or killed put in place are kept
    in_place: dict[str, int] = {file: sizes[file] for file in _whole_files(folder, sizes)}

    def put_in_place(file: str) -> None:
        """``file``, made in the work folder, put in place whole and said to be (the next maker keeps it)."""
        in_place[file] = _on_disk(work / file)
        os.replace(work / file, folder / file)
        _record(folder, work, in_place, done=False)

    # its spill in its work folder: removed by the next maker should this one be killed outright
    engine = making.engine = DuckDB.of_parquet(event_files(folder), memory_limit=TABLES_MEMORY, spill=work)
    try:
        for name, query in tiles.made_of_events(timeline):
            if PRECOMPUTED[name] in in_place:
                continue
            if making.stopped.is_set():
                return False
            target = sql_string(str(work / PRECOMPUTED[name]))
            engine.run(
                f"COPY ({query}) TO {target} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {PRECOMPUTED_ROW_GROUP})",
                (),
            )
            if making.stopped.is_set():
                return False
            put_in_place(PRECOMPUTED[name])
            if say is not None:
                say(f"{name} made ({time.perf_counter() - t0:.1f} s)")
        if TITLES_FILE not in in_place:
            if making.stopped.is_set():
                return False
            try:
                _make_titles(engine, work / TITLES_FILE, folder)
                if making.stopped.is_set():
                    return False
                put_in_place(TITLES_FILE)
                if say is not None:
                    say(f"titles made ({time.perf_counter() - t0:.1f} s)")
            except Exception as exc:  # they only make title searches quicker: the tiles are kept
                if making.stopped.is_set():
                    return False
                if say is not None:
                    say(f"the titles could not be made ({exc}): title searches read the events")
        _record(folder, work, in_place, done=True)
        return True
    except Exception:
        if making.stopped.is_set():  # the query was interrupted: nothing more is put in place
            return False
        raise
    finally:
        making.engine = None
        engine.close()
        shutil.rmtree(work, ignore_errors=True)


def _record(folder: Path, work: Path, sizes: dict[str, int], done: bool) -> None:
    """:data:`TABLES_FILE` saying which tables are in place, of which sizes, and whether the maker is
    done (a later maker makes those missing); written in ``work`` and put in place whole."""
    made = {"format": STORE_FORMAT, "tables": PRECOMPUTED, "bytes": sizes, "done": done}
    (work / TABLES_FILE).write_text(json.dumps(made), "utf-8")
    os.replace(work / TABLES_FILE, folder / TABLES_FILE)


TITLES_APART = "timeline-titles-"
"""The prefix of a folder of this machine's own in which a store's titles are made when its path holds a
``?`` (:func:`_make_titles`), followed by a digest of the store's path."""


def _make_titles(engine: DuckDB, path: Path, folder: Path) -> None:
    """:data:`TITLES_FILE` at ``path``, made by ``engine`` from the events of the store ``folder`` (in
    their order). DuckDB cannot write a database whose path holds a ``?`` (it looks for its log file
    elsewhere, even through a link): it is then made in the system's temporary folder and moved. Only
    the maker holding the store's lock does this, so it first removes what a maker killed there left."""
    apart = None
    if "?" in str(path):
        prefix = TITLES_APART + hashlib.sha256(str(folder).encode()).hexdigest()[:16] + "-"
        for left in Path(tempfile.gettempdir()).glob(prefix + "*"):
            shutil.rmtree(left, ignore_errors=True)
        apart = Path(tempfile.mkdtemp(prefix=prefix))
    made = (apart or path.parent) / path.name
    try:
        engine.run(f"ATTACH {sql_string(str(made))} AS made_titles", ())
        try:
            engine.run(
                f"CREATE TABLE made_titles.{TITLES} AS SELECT {sql_text.SEARCH_SELECT}, "
                f"{sql_text.TITLE_HAYSTACK} FROM {sql_text.EVENTS}",
                (),
            )
        finally:
            engine.run("DETACH made_titles", ())
        if apart is not None:
            shutil.move(made, path)
    finally:
        if apart is not None:
            shutil.rmtree(apart, ignore_errors=True)


def _on_disk(path: Path) -> int:
    """The file's size once its bytes are on the disk (a crash after :data:`TABLES_FILE` is written
    must not leave a table cut short under it)."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
        return os.fstat(fh.fileno()).st_size


def _recorded(folder: Path) -> dict[str, Any]:
    """What :data:`TABLES_FILE` says (empty if it is missing, damaged or of another format)."""
    try:
        made = json.loads((folder / TABLES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(made, dict) or made.get("format") != STORE_FORMAT or not isinstance(made.get("bytes"), dict):
        return {}
    return made


def _whole_files(folder: Path, sizes: dict[str, Any]) -> list[str]:
    """The files of the tables (and titles) in place whole: of the size ``sizes`` says."""
    return [file for file in [*PRECOMPUTED.values(), TITLES_FILE] if _as_written(folder / file, sizes)]


def tables_in_place(folder: Path) -> dict[str, Sequence[Path]]:
    """The files of those of a store's tables of ``core.tiles`` in place, whole (of the size
    :data:`TABLES_FILE` says: one missing or cut short is made again, not read), and under
    :data:`engines.TITLES` its titles if they are: an engine takes up each as it comes."""
    return _in_place(folder, _recorded(folder))


def _in_place(folder: Path, made: dict[str, Any]) -> dict[str, Sequence[Path]]:
    whole = set(_whole_files(folder, made.get("bytes", {})))
    found: dict[str, Sequence[Path]] = {name: [folder / file] for name, file in PRECOMPUTED.items() if file in whole}
    if TITLES_FILE in whole:
        found[TITLES] = [folder / TITLES_FILE]
    return found


def tables_made(folder: Path) -> tuple[dict[str, Sequence[Path]], bool]:
    """(:func:`tables_in_place`, whether their maker is done and every one is in place whole). The
    titles only make title searches quicker: tables made without them (in a store made before they
    were, or when making them failed) are served as they are, title searches reading the events. The
    version before tables were put in place one at a time wrote :data:`TABLES_FILE` once done, saying nothing of it."""
    made = _recorded(folder)
    found = _in_place(folder, made)
    return found, bool(made.get("done", True)) and all(name in found for name in PRECOMPUTED)


def ready_tables(folder: Path) -> dict[str, Sequence[Path]] | None:
    """The files of a store's tables of ``core.tiles`` once every one is made (:func:`tables_made`), else None."""
    found, done = tables_made(folder)
    return found if done else None


def _as_written(path: Path, sizes: dict[str, Any]) -> bool:
    """Whether the file is there, of the size ``sizes`` (:data:`TABLES_FILE`'s) says it was written at."""
    try:
        return path.name in sizes and path.stat().st_size == sizes[path.name]
    except OSError:
        return False


def precompute_apart(folder: Path, stderr: int | None = None) -> subprocess.Popen[bytes]:
    """:func:`precompute` for a store already served, in a process of its own (its progress on
    ``stderr``, by default this process's), stopped with the calling process (on Linux, should that
    one die first)."""
    code = "import sys; from dashboard.io.store import _precompute_here; sys.exit(_precompute_here())"
    return subprocess.Popen(
        [sys.executable, "-c", code, str(folder), str(os.getpid())], stdin=subprocess.DEVNULL, stderr=stderr
    )


def _precompute_here() -> int:
    """The process of :func:`precompute_apart`: the tables made in a thread, which a SIGTERM or SIGINT
    (the server stopping) interrupts, leaving only the tables already in place (its work folder
    removed); at a lower priority than the server's answers, which it would otherwise slow."""
    folder, parent = Path(sys.argv[1]), int(sys.argv[2])
    _stop_with_parent()
    os.nice(MAKER_NICENESS)
    making = Making()
    signal.signal(signal.SIGTERM, lambda *_: making.stop())
    signal.signal(signal.SIGINT, lambda *_: making.stop())
    # The terminal closed: gunicorn's master reloads its workers and serves on, and so does this.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if os.getppid() != parent:  # gone before it could be told to stop this one
        return 1
    timeline = stored_head(folder)
    say = progress.say
    say(f"making the tables of quick clicks for {timeline.source_name} (served from its events meanwhile)")
    done: list[bool] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(precompute(folder, timeline, say, making))
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)  # returns to the interpreter, which runs a signal's handler
        if making.stopped.is_set():  # again: DuckDB forgets an interrupt come before its query began
            making.stop()
    if failed:
        say(f"the tables of quick clicks could not be made: {failed[0]}")
        return 1
    if not done or not done[0]:
        return 1
    say("tables of quick clicks in place")
    return 0


def _stop_with_parent() -> None:
    """Have the kernel send this process SIGTERM when its parent ends (Linux; elsewhere nothing)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def write_events(table: pa.Table, path: Path) -> None:
    """A piece of a store's events (as :class:`PieceWriter` writes them: in :data:`COMPRESSION`),
    row groups an engine can skip by their statistics."""
    piece = PieceWriter(path)
    try:
        piece.write(table)
    finally:
        piece.close()


def unservable(timeline: Timeline) -> str | None:
    """Why a store would not serve ``timeline`` whole (an engine leaves out or misreads part of it), or None."""
    if len(timeline.lives):
        return "its lives are drawn in memory only"
    if timeline.topics:
        return "its files are shown as topics in memory only"
    if has_story_order(timeline):
        return "its story is told in memory only"
    if has_ongoing(timeline):
        return "an 'ongoing' date means the day the file is read, read afresh in memory at each start"
    return None


def servable_rows(folder: Path) -> int | None:
    """How many events the store at ``folder`` holds, if there is one and it was written from a timeline
    it serves whole (:func:`unservable`, recorded by :func:`write`); else None."""
    if not is_store(folder):
        return None
    try:
        about = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        return int(about["total"]) if about.get("servable") is True else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def mark_servable(folder: Path) -> None:
    """Say in the store at ``folder`` that it serves its whole timeline (:func:`servable_rows`), as a store
    written before this was recorded does not: its ``timeline.json`` rewritten whole, atomically."""
    about = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    if about.get("servable") is not True:
        about["servable"] = True
        write_atomic(folder / META_FILE, json.dumps(about).encode("utf-8"))


def _write_about(
    timeline: Timeline,
    total: int,
    folder: Path,
    pieces: Sequence[Path],
    preview_of: int = 0,
    servable: bool | None = None,
) -> None:
    """Everything but the events: the columns they have, the eras, themes, title and cover, and the
    pieces holding the events, in row order (``preview_of``: a preview's whole dataset's rows;
    ``servable``: whether it serves the whole timeline, when known)."""
    head = with_extras(timeline.events.iloc[:0], timeline.extras.iloc[:0])
    pq.write_table(pa.Table.from_pandas(head, preserve_index=False), folder / HEAD_FILE)
    eras = with_extras(timeline.eras, timeline.era_extras.reindex(range(len(timeline.eras))).fillna(""))
    pq.write_table(pa.Table.from_pandas(eras, preserve_index=False), folder / ERAS_FILE)
    about = {
        "format": STORE_FORMAT,
        "name": timeline.source_name,
        "themes": timeline.themes,
        "total": int(total),
        "title": timeline.title,
        "cover": timeline.cover,
        "rich_text": timeline.rich_text,
        "events": [p.name for p in pieces],
        "preview_of": preview_of,
        "servable": servable,
    }
    (folder / META_FILE).write_text(json.dumps(about), encoding="utf-8")


def name_table_of(found: parquet.TextTable, name: str, options: ReadOptions) -> tuple[pa.Table, dict[str, str]]:
    """The chunk's columns under our names (as ``io.formats`` names a whole file's)."""
    table, plan = name_table(found.table, found.header, name, options.mapping, found.problems)
    return table, plan.shown


def id_hashes(ids: pd.Series) -> np.ndarray:
    """A 64-bit hash of each id, the same in every process (DuckDB's: a third of pandas' time, its
    connection included)."""
    import duckdb

    with duckdb.connect() as con:
        found = con.from_arrow(pa.table({"id": pa.array(ids.array)})).project("hash(id) AS h").fetchnumpy()["h"]
    return np.asarray(found, dtype=np.uint64)


def _check_ids(hashes: dict[Path, list[np.ndarray]], name: str) -> None:
    """Ids are unique across the whole dataset (each chunk checked its own): ids whose hashes (one per
    event of each piece, in its order, a chunk's at a time) repeat are read again from the pieces
    holding them, and those really repeated are refused."""
    found = [chunk for chunks in hashes.values() for chunk in chunks]
    every = np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)
    del found
    every.sort()  # in place: 0.8 GB at 100M events, not twice that
    repeated = np.unique(every[1:][every[1:] == every[:-1]])
    del every
    if not len(repeated):
        return
    held = []
    for piece, chunks in hashes.items():
        hit = np.isin(np.concatenate(chunks), repeated)
        if hit.any():
            held.append(pq.read_table(piece, columns=["id", "row"]).filter(pa.array(hit)))
    counted = (
        pa.concat_tables(held)
        .group_by("id")
        .aggregate([("row", "min"), ("row", "max"), ("row", "count")])
        .filter(pc.field("row_count") > 1)
        .sort_by("row_min")
        .slice(0, MOST_PROBLEMS)
    )
    if counted.num_rows:
        problems = [
            Problem(
                None,
                "id",
                str(value),
                f"a unique id: it is used {n} times, first in row {a + 1}, last in row {b + 1} of the whole dataset",
            )
            for value, a, b, n in zip(*(counted[c].to_pylist() for c in ("id", "row_min", "row_max", "row_count")))
        ]
        raise ValidationError(name, problems)


def open_store(
    folder: Path, memory_limit: str | None = None, engine: str = "duckdb", remote: str | None = None
) -> Timeline:
    """The timeline a store holds, its events left to an engine (opened per process, on first use):
    DuckDB (within ``memory_limit``), or Spark, local or at the Spark Connect address ``remote``
    (which must see the store's folder at the same path)."""
    events = event_files(folder)
    shared = PerProcess(
        lambda: open_engine(engine, events, remote=remote, tables=tables_in_place(folder), memory_limit=memory_limit),
        name=str(folder.resolve()),
        tables=lambda: tables_made(folder),
        given_up=lambda: tables_failed(folder),
    )
    return queried(stored_head(folder), shared)


def stored_head(folder: Path) -> Timeline:
    """Everything a store holds but its events: themes, eras, title, how many events and their columns."""
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    head, extras = without_extras(pq.read_table(folder / HEAD_FILE).to_pandas())
    eras, era_extras = without_extras(pq.read_table(folder / ERAS_FILE).to_pandas())
    return Timeline(
        events=head,
        themes=list(meta["themes"]),
        eras=eras,
        extras=extras,
        era_extras=era_extras,
        source_name=str(meta["name"]),
        title=meta.get("title"),
        lives=empty_lives(),
        cover={str(k): str(v) for k, v in (meta.get("cover") or {}).items()},
        rich_text=bool(meta.get("rich_text")),
        total=int(meta["total"]),
        preview_of=int(meta.get("preview_of") or 0),
    )


def event_files(folder: Path) -> list[Path]:
    """The Parquet files holding a store's events (what the engine's ``events`` reads), in row order."""
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    return [folder / str(piece) for piece in meta["events"]]


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
    # A dataset of parts beside other files is named by each of its parts: a part rewritten or added
    # in a sub-folder changes neither the folder's size nor its time.
    every = [part for path in files for part in (parquet.dataset_files(path) if parquet.is_dataset(path) else [path])]
    for path in every:
        stat = path.stat()
        parts += [str(path.resolve()), str(stat.st_size), str(stat.st_mtime_ns)]
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
    return user_cache_dir() / f"{digest}.store"


PREVIEWED = "previewed"
"""What the builder of :func:`build_apart` says once its preview is in place."""


def build_apart(
    files: Sequence[Path],
    name: str,
    target: Path,
    base: Path | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    status: Path | None = None,
    tables: bool = True,
    preview: bool = False,
    preview_rows: int = PREVIEW_ROWS,
    rows: int = CHUNK_ROWS,
) -> Building | None:
    """:func:`build` in a process of its own, so that what building takes (chunks, buffers) is given
    back to the system before the caller serves; progress on stderr, and each step in the
    ``status`` file when given (``io.progress.StatusFile``). The caller interrupted (Ctrl-C, a
    signal's handler raising), the builder is stopped, leaving nothing behind, before the exception
    goes on; should the caller die, the builder stops too. With ``preview``, a large dataset's first
    ``preview_rows`` rows are stored as soon as they are validated, in a folder beside ``target`` held
    by this process (``io.held``) and the workers it forks: the :class:`Building` still under way is
    then returned, its ``preview`` that folder (None: the store is complete, and no preview is left)."""
    folder, holding = None, None
    if preview:
        target.parent.mkdir(parents=True, exist_ok=True)
        # those of servers killed outright, whichever store they previewed: their pieces are links to
        # those of stores half built, which would otherwise keep their space
        held.remove_left(target.parent, f"*{PREVIEW}*", lockless=lambda found: _left_long_ago(found, target))
        folder, holding = held.make_held(f"{target.name}{PREVIEW}", target.parent)
    read, write = os.pipe()
    job = (list(files), name, target, base, options, status, tables, folder, preview_rows, rows)
    try:
        code = "from dashboard.io.store import _build_here; _build_here()"
        builder = subprocess.Popen(
            [sys.executable, "-c", code, str(write), str(os.getpid())], stdin=subprocess.PIPE, pass_fds=(write,)
        )
    except BaseException:
        os.close(read)
        if folder is not None and holding is not None:
            shutil.rmtree(folder, ignore_errors=True)
            holding.close()
        raise
    finally:
        os.close(write)
    building = Building(builder, Connection(read, writable=False), name, folder, holding)
    try:
        assert builder.stdin is not None
        with builder.stdin:
            builder.stdin.write(pickle.dumps(job))
        if building.next() == PREVIEWED:
            return building
    except BaseException:
        building.stop()
        raise
    building.stop()  # complete: its preview folder, made for nothing, removed
    return None


PREVIEW = ".preview-"
"""Between a store's name and the rest of the name of the folder of a preview of it."""
LOCKLESS_PREVIEW_LEFT_S = 86_400
"""A preview of the store being built without a lock (made by an earlier version) is left behind by a
server gone once nothing in it has changed for this long (its store is built long before)."""


def _left_long_ago(found: Path, target: Path) -> bool:
    return found.name.startswith(f"{target.name}{PREVIEW}") and _untouched_for(found) > LOCKLESS_PREVIEW_LEFT_S


class Building:
    """A store being built by a process of its own (:func:`build_apart`), its ``preview`` (a store of
    its first rows, or None) served meanwhile."""

    def __init__(
        self,
        builder: subprocess.Popen[bytes],
        answers: Connection,
        name: str,
        preview: Path | None,
        holding: IO[str] | None = None,
    ):
        self._builder = builder
        self._answers = answers
        self._name = name
        self.preview = preview
        self._holding = holding
        """The preview's lock (``io.held``), held while it is served."""
        self._owner = os.getpid()
        self.stopped = False
        """Stopped by :meth:`stop` (the server stopping): what it says then is not worth saying."""

    def next(self) -> str | None:
        """Wait for the builder's next word: :data:`PREVIEWED`, or None once the store is complete.
        ValidationError with its problems, or the error it met."""
        try:
            said = self._answers.recv()
        except EOFError:
            self._answers.close()
            raise OSError(
                f"the process building the store ended without a word (exit status {self._builder.wait()})"
            ) from None
        except BaseException:
            self.stop()
            raise
        if said == PREVIEWED:
            return PREVIEWED
        self._answers.close()
        self._builder.wait()
        if isinstance(said, BaseException):
            raise said
        if said is not None:
            raise ValidationError(self._name, said)
        return None

    def wait(self) -> None:
        """Wait until the store is complete (see :meth:`next`)."""
        while self.next() is not None:
            continue

    def stop(self) -> None:
        """Stop the builder (it stops at its next chunk, removing its work), if it still works, and
        remove the preview. Only by the process that started it (not a server's worker forked since)."""
        if os.getpid() != self._owner:
            return
        self.stopped = True  # first: a thread waiting for its word is told EOF as it ends
        if self._builder.poll() is None:
            self._builder.terminate()
            try:
                self._builder.wait(STOP_BUILDING_S)
            except subprocess.TimeoutExpired:
                self._builder.kill()
                self._builder.wait()
        self._answers.close()
        if self.preview is not None:
            shutil.rmtree(self.preview, ignore_errors=True)
        if self._holding is not None:
            self._holding.close()


def _build_here() -> None:
    """The process of :func:`build_apart` (its job read from stdin): :func:`build`, answering
    :data:`PREVIEWED` once its preview is in place, then None, its problems (an exception of ours does
    not cross processes whole) or the error it met. SIGTERM (sent by the caller interrupted, or by
    the kernel once the caller is gone) stops it, its work removed; Ctrl-C is left to the caller (so
    are its helpers, which inherit that)."""
    _stop_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stops.stop_at(signal.SIGTERM)
    answer = Connection(int(sys.argv[1]), readable=False)
    if os.getppid() != int(sys.argv[2]):  # gone before it could be told to stop this one
        raise SystemExit(1)
    files, name, target, base, options, status, tables, preview, preview_rows, rows = pickle.loads(
        sys.stdin.buffer.read()
    )
    say = stops.unless_stopped(progress.say if status is None else progress.StatusFile(status).say)
    made = Preview(preview, lambda: answer.send(PREVIEWED), preview_rows) if preview is not None else None
    try:
        build(files, name, target, base, options, say, rows, tables=tables, preview=made)
        stops.raise_if_stopped()  # asked to stop after the last report: the caller is told nothing
    except ValidationError as exc:
        answer.send(exc.problems)
    except Exception as exc:
        stops.raise_if_stopped()  # a query the stop interrupted (DuckDB turns it into an error of its own)
        answer.send(exc)
    else:
        answer.send(None)
