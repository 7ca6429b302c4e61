"""A Parquet copy of each large input, validated once: reopening a million events takes well under a
second, and a SQL engine (DuckDB, Spark) can query the validated events without our code.

Where: beside the file, ``.NAME.timeline-cache.parquet`` (``.NAME.OPTS.timeline-cache.parquet`` for a
file read with other :class:`ReadOptions`, ``OPTS`` a digest of them); where that folder is read-only,
``~/.cache/timeline/DIGEST.parquet`` (``$XDG_CACHE_HOME/timeline``). A folder or glob of Parquet parts
is cached only in that user folder, never among its parts. The input itself is never written.

When: the cache is keyed by the input's size and modification time (every part's name, size and time
for a dataset in parts), the options it was read with and :data:`CACHE_VERSION`, and rebuilt when any
of them changes. The old Arrow caches (``.NAME.timeline-cache``) are ignored and left alone. A cache
that cannot be read whole (cut short, or damaged: every page carries a CRC that is checked, the
metadata a digest, the rows their numbers) is ignored and rebuilt. It is written atomically, zstd,
in row groups of 131,072 rows.

Layout, for any engine: one row per event, then one per era, with these columns:

- ``row`` (int64): the row's number in the timeline, events 0..n-1 and eras n, n+1, ... after them;
- ``_era`` (bool): true on an era's row (:func:`events_view_sql` selects the events alone);
- the events' own columns as :class:`Timeline` holds them: ``start``, ``last``, ``earliest``,
  ``latest``, ``end`` (double, epoch milliseconds; ``end`` null for an event without one),
  ``start_prec``, ``end_prec``, ``importance`` (int8), ``julian`` (bool), ``theme_mask`` (int64:
  bit i is the metadata's ``themes[i]``; an event of the 64th theme has a negative mask, as Spark has
  no unsigned type; 0 on eras), ``story`` (double, null where empty) and the text columns (string:
  ``id``, ``title``, ``description``, ..., ``date_text``, language variants such as ``title_ja``,
  the media columns);
- ``extra:NAME`` (string): the file's other columns (``Timeline.extras`` on the events' rows,
  ``Timeline.era_extras`` on the eras'), and ``extra:themes``, an era's themes as written (empty on
  the events' rows: theirs are the mask);
- ``life:row``, ``life:start``, ... (``core.lives.LIFE_FRAME_COLUMNS``): a birth and death, on the
  row of the event they belong to (``life:row`` is that row), null elsewhere.

The key-value metadata ``timeline`` (JSON) holds the key, the themes in lane order, the title, the
cover, the rich-text flag, the numbers of events and eras and each column's name and type. Spark skips
files named ``.*``: it reads the cache beside a file with ``option("ignoredPathSegmentRegex", "^_.*")``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.dates import ONGOING
from ..core.lives import LIFE_FRAME_COLUMNS, empty_lives
from ..core.model import EXTRA_PREFIX, Problem, Timeline, ValidationError, without_extras
from . import parquet
from .files import user_cache_dir
from .formats import load_dataset, parse_events, read_file
from .read_options import DEFAULT_OPTIONS, ReadOptions

CACHE_VERSION = 8
"""8: the eras' themes and other columns kept; 7: Parquet (6 and before: Arrow IPC, in files named
without ``.parquet``)."""
CACHE_MIN_BYTES = 1 << 20
"""Smaller inputs load in milliseconds: no cache for them."""
CACHE_SUFFIX = ".timeline-cache.parquet"
ROW_COLUMN = "row"
ERA_COLUMN = "_era"
EVENTS_WHERE = f"NOT {ERA_COLUMN}"
"""The condition that keeps the events' rows (not the eras') of a cache."""
LIFE_PREFIX = "life:"
CHECK = "check"
"""The metadata's own digest, so that a damaged title or theme name is not taken for the real one."""

Progress = Callable[[str], None]


class _Damaged(Exception):
    """A cache file whose content contradicts itself."""


def events_view_sql(source: str) -> str:
    """SQL selecting a cache's events (every column, the eras' rows left out) from ``source``, the
    cache as the engine names it: ``read_parquet('.x.csv.timeline-cache.parquet')`` in DuckDB, a
    table or view in Spark."""
    return f"SELECT * FROM {source} WHERE {EVENTS_WHERE}"


def cache_paths(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> list[Path]:
    """Beside the file first, then the user's cache folder (only there for a folder or glob of parts);
    a file read with other options (another mapping of its columns, another sheet) is another timeline,
    in a cache of its own."""
    read_as = options.key()
    digest = hashlib.sha1((str(path.resolve()) + "\0" + read_as).encode()).hexdigest()[:16]
    in_user = user_cache_dir() / f"{digest}.parquet"
    if parquet.is_dataset(path):
        return [in_user]
    suffix = f".{hashlib.sha1(read_as.encode()).hexdigest()[:8]}" if read_as else ""
    return [path.with_name(f".{path.name}{suffix}{CACHE_SUFFIX}"), in_user]


def load(
    path: str | Path, progress: Progress | None = None, use_cache: bool = True, options: ReadOptions = DEFAULT_OPTIONS
) -> Timeline:
    """Load a file, or a folder or glob of Parquet parts, from its cache when the cache matches it and
    the options; build the cache otherwise."""
    return _load(Path(path), progress, use_cache, False, options)[0]


def load_in_background(
    path: str | Path, progress: Progress | None = None, options: ReadOptions = DEFAULT_OPTIONS
) -> tuple[Timeline, threading.Thread | None]:
    """Like :func:`load`, but a new cache is written by the thread returned (None if none is written),
    so a server can start serving at once; join it before forking workers."""
    return _load(Path(path), progress, True, True, options)


def _load(
    path: Path, progress: Progress | None, use_cache: bool, background: bool, options: ReadOptions
) -> tuple[Timeline, threading.Thread | None]:
    say = progress or (lambda _msg: None)
    dataset = parquet.is_dataset(path)
    name = parquet.dataset_name(path) if dataset else path.name
    stamp, size = _stamp(path, dataset)
    key = {"version": CACHE_VERSION, **stamp, "options": options.key()}
    cacheable = use_cache and size >= CACHE_MIN_BYTES
    if cacheable:
        for candidate in cache_paths(path, options):
            timeline = _read(candidate, key, name)
            if timeline is not None:
                say(f"{len(timeline.events):,} events from the cache {candidate}")
                return timeline, None
    t0 = time.perf_counter()
    say(f"reading {name} ({size / 1e6:,.1f} MB)")
    timeline = load_dataset(path, options) if dataset else parse_events(read_file(path), name, options)
    say(f"validated {len(timeline.events):,} events in {time.perf_counter() - t0:.1f} s")
    writer = None
    # An 'ongoing' end date means the day the file is loaded: such a file is validated afresh each time.
    cacheable = cacheable and not has_ongoing(timeline)
    if cacheable:
        if background:
            writer = threading.Thread(target=_store, args=(path, options, timeline, key, say), name="timeline-cache")
            writer.start()
        else:
            _store(path, options, timeline, key, say)
    return timeline, writer


def _stamp(path: Path, dataset: bool) -> tuple[dict[str, Any], int]:
    """What tells this input's versions apart (its size and time; every part's name, size and time for
    a dataset in parts), and its size in bytes; ValidationError when it cannot be read."""
    if dataset:
        base = path if path.is_dir() else None
        parts: list[list[str | int]] = []
        total = 0
        for part in parquet.dataset_files(path):
            found = _stat(part, part.name)
            parts.append([str(part.relative_to(base) if base else part), found.st_size, found.st_mtime_ns])
            total += found.st_size
        return {"parts": parts}, total
    found = _stat(path, path.name)
    return {"size": found.st_size, "mtime_ns": found.st_mtime_ns}, found.st_size


def _stat(path: Path, name: str) -> os.stat_result:
    try:
        return path.stat()
    except OSError as exc:
        raise ValidationError(
            name, [Problem(None, None, str(path), f"a readable file ({exc.strerror or exc})")]
        ) from None


def has_ongoing(timeline: Timeline) -> bool:
    """An end date, or a death, written 'ongoing'."""
    ends = [timeline.events["end_date_text"], timeline.eras["end_date_text"], timeline.lives["end_text"]]
    return any((column.str.strip().str.lower() == ONGOING).any() for column in ends)


def _store(path: Path, options: ReadOptions, timeline: Timeline, key: dict[str, Any], say: Progress) -> None:
    for candidate in cache_paths(path, options):
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
            _write(candidate, timeline, key)
            say(f"wrote the cache {candidate}")
            return
        except OSError:
            continue


def _write(target: Path, timeline: Timeline, key: dict[str, Any]) -> None:
    n, m = len(timeline.events), len(timeline.eras)
    events = _events_table(timeline.events)
    if m:
        eras = timeline.eras.assign(theme_mask=np.zeros(m, dtype=np.uint64))[timeline.events.columns]
        table = pa.concat_tables([events, _events_table(eras, events.schema)])
    else:
        table = events
    table = table.add_column(0, ROW_COLUMN, pa.array(np.arange(n + m, dtype=np.int64)))
    table = table.add_column(1, ERA_COLUMN, pa.array(np.arange(n + m) >= n))
    era_extras = timeline.era_extras.reindex(range(m))
    for col in dict.fromkeys([*era_extras.columns, *timeline.extras.columns]):
        values = [timeline.extras.get(col, pd.Series([""] * n, dtype="str")), era_extras.get(col)]
        column = pd.concat([v.reset_index(drop=True) for v in values if v is not None], ignore_index=True)
        table = table.append_column(EXTRA_PREFIX + str(col), pa.array(column.fillna("").astype("str"), pa.string()))
    if len(timeline.lives):
        place = pa.array(timeline.lives["row"].to_numpy(), type=pa.int64())
        table = table.append_column(LIFE_PREFIX + "row", _spread(place, n + m))
        for col in LIFE_FRAME_COLUMNS[1:]:
            table = table.append_column(LIFE_PREFIX + col, _spread(pa.array(timeline.lives[col]), n + m, place))
    meta: dict[str, Any] = {
        **key,
        "themes": timeline.themes,
        "title": timeline.title,
        "rich_text": timeline.rich_text,
        "cover": timeline.cover,
        "events": n,
        "eras": m,
        "columns": _columns(table.schema),
    }
    parquet.write_table(table, target, {**meta, CHECK: _digest(meta)}, durable=False, private=True)


def _events_table(frame: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """Events (or eras) as Arrow: NaN as null, the theme mask as int64 (its bits unchanged)."""
    if "theme_mask" in frame:
        frame = frame.assign(theme_mask=frame["theme_mask"].to_numpy().view(np.int64))
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    return table.replace_schema_metadata(None)


def _digest(meta: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()


def _spread(values: pa.Array, n: int, rows: pa.Array | None = None) -> pa.Array:
    """``values`` at ``rows`` (each value's own number, when None) of ``n``, null elsewhere."""
    at = values if rows is None else rows
    index = np.full(n, -1, dtype=np.int64)
    index[at.to_numpy()] = np.arange(len(values))
    return values.take(pa.array(index, mask=index < 0))


def _read(candidate: Path, key: dict[str, Any], name: str) -> Timeline | None:
    """The timeline in a cache that matches ``key``; None if there is none, or another, or a damaged one."""
    try:
        with pq.ParquetFile(candidate, memory_map=True, pre_buffer=True, page_checksum_verification=True) as file:
            meta = _meta(file.schema_arrow.metadata)
            if meta is None or any(meta.get(k) != v for k, v in key.items()):
                return None
            table = file.read()
        return _timeline(table, meta, name)
    except (OSError, pa.ArrowException, ValueError, TypeError, KeyError, _Damaged):
        return None


def _meta(metadata: dict[bytes, bytes] | None) -> dict[str, Any] | None:
    """The cache's metadata, if it is there and its digest matches."""
    raw = (metadata or {}).get(parquet.META_KEY)
    if raw is None:
        return None
    meta = json.loads(raw)
    if not isinstance(meta, dict) or meta.pop(CHECK, None) != _digest(meta):
        return None
    return meta


def _frame(table: pa.Table) -> pd.DataFrame:
    """Events and eras as the validator makes them: text as ``str`` around the Arrow data as read (no
    copy, several times faster than ``to_pandas``), numbers as numpy, the theme mask unsigned again."""
    columns: dict[str, Any] = {}
    for name, values in zip(table.column_names, table.columns):
        if parquet.is_text(values.type):
            columns[name] = pd.array(values, dtype="str")
        else:
            columns[name] = values.to_numpy()
    columns["theme_mask"] = columns["theme_mask"].view(np.uint64)
    return pd.DataFrame(columns, copy=False)


def _columns(schema: pa.Schema) -> list[list[str]]:
    """Each column's name and type, as the metadata holds them (so a damaged name is seen)."""
    return [[field.name, str(field.type)] for field in schema]


def _timeline(table: pa.Table, meta: dict[str, Any], name: str) -> Timeline:
    n, m = int(meta["events"]), int(meta["eras"])
    if _columns(table.schema) != meta["columns"] or table.num_rows != n + m:
        raise _Damaged(name)
    if not np.array_equal(table[ROW_COLUMN].to_numpy(), np.arange(n + m)):
        raise _Damaged(name)
    if not np.array_equal(table[ERA_COLUMN].to_numpy(), np.arange(n + m) >= n):
        raise _Damaged(name)
    extra_cols = [c for c in table.column_names if c.startswith(EXTRA_PREFIX)]
    life_cols = [c for c in table.column_names if c.startswith(LIFE_PREFIX)]
    lives = empty_lives()
    if life_cols:
        found = table.filter(pc.is_valid(table[LIFE_PREFIX + "row"]))
        lives = pd.DataFrame({c[len(LIFE_PREFIX) :]: found[c].to_pandas() for c in life_cols})
        for col in ("start_label", "end_label", "start_text", "end_text"):
            lives[col] = lives[col].astype("str")
    frame = _frame(table.drop_columns([ROW_COLUMN, ERA_COLUMN, *extra_cols, *life_cols]))
    events = frame.iloc[:n]
    eras = frame.iloc[n:].drop(columns=["theme_mask"]).reset_index(drop=True)
    _, written = without_extras(table.select(extra_cols).to_pandas())
    extras = written.iloc[:n].drop(columns=["themes"], errors="ignore")
    era_extras = written.iloc[n:].reset_index(drop=True)
    return Timeline(
        events=events,
        themes=list(meta["themes"]),
        eras=eras,
        source_name=name,
        title=meta.get("title"),
        extras=extras,
        era_extras=era_extras,
        lives=lives,
        cover={str(k): str(v) for k, v in (meta.get("cover") or {}).items()},
        rich_text=bool(meta.get("rich_text")),
    )
