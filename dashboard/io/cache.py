"""A columnar cache beside each large CSV, so that reopening a million events takes under a second.

The cache is an Arrow IPC file holding the validated table; it is keyed by the
file's size and modification time, the options it was read with (:class:`ReadOptions`)
and this format's version, rebuilt whenever they change, written atomically, and
only ever read memory-mapped. The file itself is never written. Where its folder
is read-only the cache goes to ``~/.cache/timeline``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.dates import ONGOING
from ..core.lives import LIFE_FRAME_COLUMNS, empty_lives
from ..core.model import Problem, Timeline, ValidationError
from .files import atomic_file
from .formats import parse_events, read_file
from .read_options import DEFAULT_OPTIONS, ReadOptions

CACHE_VERSION = 6
CACHE_MIN_BYTES = 1 << 20
"""Smaller files load in milliseconds: no cache for them."""
EXTRA_PREFIX = "extra:"
LIFE_PREFIX = "life:"

Progress = Callable[[str], None]


def cache_paths(csv_path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> list[Path]:
    """Beside the file first, then the user's cache folder; a file read with other options (another
    mapping of its columns, another sheet) is another timeline, in a cache of its own."""
    user = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "timeline"
    read_as = options.key()
    digest = hashlib.sha1((str(csv_path.resolve()) + "\0" + read_as).encode()).hexdigest()[:16]
    suffix = f".{hashlib.sha1(read_as.encode()).hexdigest()[:8]}" if read_as else ""
    return [csv_path.with_name(f".{csv_path.name}{suffix}.timeline-cache"), user / f"{digest}.arrow"]


def _key(stat: os.stat_result, options: ReadOptions) -> dict[str, int | str]:
    return {"version": CACHE_VERSION, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "options": options.key()}


def load(
    path: str | Path, progress: Progress | None = None, use_cache: bool = True, options: ReadOptions = DEFAULT_OPTIONS
) -> Timeline:
    """Load a file, from its cache when the cache matches the file and the options; build the cache otherwise."""
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
    try:
        stat = path.stat()
    except OSError as exc:
        raise ValidationError(
            path.name, [Problem(None, None, str(path), f"a readable file ({exc.strerror or exc})")]
        ) from None
    cacheable = use_cache and stat.st_size >= CACHE_MIN_BYTES
    if cacheable:
        for candidate in cache_paths(path, options):
            timeline = _read(candidate, _key(stat, options), path.name)
            if timeline is not None:
                say(f"{len(timeline.events):,} events from the cache {candidate}")
                return timeline, None
    t0 = time.perf_counter()
    say(f"reading {path.name} ({stat.st_size / 1e6:,.1f} MB)")
    data = read_file(path)
    timeline = parse_events(data, path.name, options)
    say(f"validated {len(timeline.events):,} events in {time.perf_counter() - t0:.1f} s")
    writer = None
    # An 'ongoing' end date means the day the file is loaded: such a file is validated afresh each time.
    cacheable = cacheable and not _has_ongoing(timeline)
    if cacheable:
        if background:
            writer = threading.Thread(
                target=_store, args=(path, options, timeline, _key(stat, options), say), name="timeline-cache"
            )
            writer.start()
        else:
            _store(path, options, timeline, _key(stat, options), say)
    return timeline, writer


def _has_ongoing(timeline: Timeline) -> bool:
    """An end date, or a death, written 'ongoing'."""
    ends = [timeline.events["end_date_text"], timeline.eras["end_date_text"], timeline.lives["end_text"]]
    return any((column.str.strip().str.lower() == ONGOING).any() for column in ends)


def _store(path: Path, options: ReadOptions, timeline: Timeline, key: dict[str, int | str], say: Progress) -> None:
    for candidate in cache_paths(path, options):
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
            _write(candidate, timeline, key)
            say(f"wrote the cache {candidate}")
            return
        except OSError:
            continue


def _write(target: Path, timeline: Timeline, key: dict[str, int | str]) -> None:
    ev = timeline.events
    if len(timeline.eras):
        eras = timeline.eras.assign(theme_mask=np.zeros(len(timeline.eras), dtype=np.uint64))[ev.columns]
        ev = pd.concat([ev, eras], ignore_index=True)
    table = pa.Table.from_pandas(ev, preserve_index=False)
    is_era = np.zeros(len(ev), dtype=bool)
    is_era[len(timeline.events) :] = True
    table = table.append_column("_era", pa.array(is_era))
    pad = [""] * len(timeline.eras)
    for col in timeline.extras.columns:
        values = pa.array(timeline.extras[col].astype("str"), type=pa.string())
        table = table.append_column(EXTRA_PREFIX + str(col), pa.concat_arrays([values, pa.array(pad, pa.string())]))
    if len(timeline.lives):
        place = pa.array(timeline.lives["row"].to_numpy(), type=pa.int64())
        table = table.append_column(LIFE_PREFIX + "row", _spread(place, len(ev)))
        for col in LIFE_FRAME_COLUMNS[1:]:
            table = table.append_column(LIFE_PREFIX + col, _spread(pa.array(timeline.lives[col]), len(ev), place))
    meta = {
        **key,
        "themes": timeline.themes,
        "title": timeline.title,
        "rich_text": timeline.rich_text,
        "cover": timeline.cover,
    }
    table = table.replace_schema_metadata({b"timeline": json.dumps(meta).encode()})
    with atomic_file(target, durable=False) as fh, pa.ipc.new_file(pa.PythonFile(fh, mode="w"), table.schema) as writer:
        writer.write_table(table)


def _spread(values: pa.Array, n: int, rows: pa.Array | None = None) -> pa.Array:
    """``values`` at ``rows`` (each value's own number, when None) of ``n``, null elsewhere."""
    at = values if rows is None else rows
    index = np.full(n, -1, dtype=np.int64)
    index[at.to_numpy()] = np.arange(len(values))
    return values.take(pa.array(index, mask=index < 0))


def _read(candidate: Path, key: dict[str, int | str], name: str) -> Timeline | None:
    try:
        source = pa.memory_map(str(candidate), "r")
        table = pa.ipc.open_file(source).read_all()
        meta = json.loads((table.schema.metadata or {}).get(b"timeline", b"{}"))
    except (OSError, pa.ArrowException, ValueError):
        return None
    if any(meta.get(k) != v for k, v in key.items()):
        return None
    era = table["_era"].to_numpy()
    extra_cols = [c for c in table.column_names if c.startswith(EXTRA_PREFIX)]
    life_cols = [c for c in table.column_names if c.startswith(LIFE_PREFIX)]
    lives = empty_lives()
    if life_cols:
        found = table.filter(pc.is_valid(table[LIFE_PREFIX + "row"]))
        lives = pd.DataFrame({c[len(LIFE_PREFIX) :]: found[c].to_pandas() for c in life_cols})
        for col in ("start_label", "end_label", "start_text", "end_text"):
            lives[col] = lives[col].astype("str")
    frame = table.drop_columns(["_era", *extra_cols, *life_cols]).to_pandas()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].astype("str")
    if era.any():
        events = frame[~era].reset_index(drop=True)
        eras = frame[era].drop(columns=["theme_mask"]).reset_index(drop=True)
    else:
        events, eras = frame, frame.iloc[:0].drop(columns=["theme_mask"])
    extras = pd.DataFrame(
        {
            c[len(EXTRA_PREFIX) :]: pd.Series(table[c].to_pandas(), dtype="str")[~era].reset_index(drop=True)
            for c in extra_cols
        },
        index=range(len(events)),
    )
    return Timeline(
        events=events,
        themes=list(meta["themes"]),
        eras=eras,
        source_name=name,
        title=meta.get("title"),
        extras=extras,
        lives=lives,
        cover={str(k): str(v) for k, v in (meta.get("cover") or {}).items()},
        rich_text=bool(meta.get("rich_text")),
    )
