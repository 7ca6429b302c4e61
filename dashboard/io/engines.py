"""Engines that answer the core's SQL (:mod:`dashboard.core.sql`) over a table of events.

DuckDB, embedded, is the default: nothing to start, it reads Parquet where it lies, runs on every
core and keeps within a memory limit, spilling to disk past it. Apache Spark (:class:`Spark`) is
for data beyond one machine: a local Spark in this process, or a Spark Connect server whose
cluster reads the Parquet from shared storage. Each engine exposes the table as ``events`` (one
row per event, with ``row``, the event's row number) and runs a query with its parameters through
:meth:`Engine.run`, which is what ``core.sql`` calls: the same text on every engine.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import socket
import threading
import time
import uuid
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..core import sql as sql_text
from ..core import tiles
from ..core.lives import empty_lives
from ..core.memo import Memo
from ..core.model import Timeline
from ..core.query import term_scope
from .held import HeldFolder
from .progress import ProgressFolder, progress_key

ENGINES = ("duckdb", "spark")

Reached = Callable[[int, int], None]
"""Told how far a piece of work has got: (done, total)."""

STORE_ROW_GROUP = 128 * 1024
"""Rows per row group of a store: an engine skips a group whose statistics rule it out."""

SEARCH_SLICE_ROWS = 8 * STORE_ROW_GROUP
"""Rows a search reads at a time at least (``DuckDB.keep_rows``), saying how far it has got after
each: whole row groups of a store, ten slices at ten million events, which cost no more in total
time than one query (benchmarks/search_slices.py)..."""
SEARCH_SLICES = 12
"""... and at most this many slices: each query has a cost of its own (at 100M events in 114 pieces,
a title search kept its matches in 12.6 s in slices of 1M rows, 8.9 s in slices of 8M)."""
TITLES = "titles"
"""The name under which a store's titles (``io.store.TITLES_FILE``: the events' titles in lower case and
the columns a search keeps, in DuckDB's own format) come among its tables: DuckDB attaches them and
reads a search of titles alone there; Spark, which cannot read that format, searches the events."""
SLICE_ROWS_VARIABLE = "TIMELINE_SEARCH_SLICE_ROWS"
"""An environment variable that sets another number of rows per slice (tests make a search slow
with a small one)."""


def search_slice_rows(total: int = 0) -> int:
    """Rows a search of ``total`` rows reads at a time: :data:`SEARCH_SLICE_ROWS`, or more to make at
    most :data:`SEARCH_SLICES` slices, or what :data:`SLICE_ROWS_VARIABLE` says (EngineError if that
    is not a whole number of rows)."""
    given = os.environ.get(SLICE_ROWS_VARIABLE, "").strip()
    if not given:
        return max(SEARCH_SLICE_ROWS, -(-total // SEARCH_SLICES))
    if not given.isdigit() or int(given) < 1:
        raise EngineError(f"{SLICE_ROWS_VARIABLE} is {given[:40]!r}: expected a whole number of rows, 1 or more")
    return int(given)


class Engine(Protocol):
    """Anything that answers a query on the ``events`` table (``core.sql.Run``)."""

    def run(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]: ...

    def __call__(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]: ...

    def close(self) -> None: ...


def row_slices(first: int, end: int, step: int, groups: Sequence[int] = ()) -> list[tuple[int, int]]:
    """Rows ``first``..``end`` (one past the last) in slices [lo, hi) of ``step`` rows. Where the rows
    are stored in row groups beginning at ``groups`` and none is larger than a slice, each slice ends
    where a group begins instead, past ``step`` rows: it then reads whole groups, none twice."""
    inner = sorted(g for g in set(groups) if first < g < end)
    if inner and max(b - a for a, b in itertools.pairwise([first, *inner, end])) <= step:
        edges = [first]
        for g in inner:
            if g - edges[-1] >= step:
                edges.append(g)
    else:
        edges = list(range(first, end, step))
    return list(itertools.pairwise([*edges, end])) if end > first else []


def events_table(timeline: Timeline, first_row: int = 0) -> pa.Table:
    """A timeline's events as an engine reads them (``core.sql``): every column, ``row`` (the row
    number, from ``first_row`` for a chunk of a larger one), ``theme_mask`` as a signed 64-bit
    integer (the same bits), the derived columns and the file's other columns (``extra_0``, ...:
    ``core.sql.EXTRA_COLUMN``)."""
    ev = timeline.events
    table = pa.Table.from_pandas(ev.drop(columns=["theme_mask"]), preserve_index=False)
    mask = ev["theme_mask"].to_numpy().astype(np.uint64).view(np.int64)
    table = table.append_column("theme_mask", pa.array(mask))
    table = table.append_column("row", pa.array(np.arange(first_row, first_row + len(ev), dtype=np.int64)))
    for name, values in sql_text.derived_columns(timeline).items():
        table = table.append_column(name, values if isinstance(values, pa.Array) else pa.array(values))
    for i, column in enumerate(timeline.extras.columns):  # for the CSV export, never asked by a query
        table = table.append_column(sql_text.EXTRA_COLUMN.format(i), pa.array(timeline.extras[column], pa.string()))
    return table


def queried(timeline: Timeline, engine: Engine) -> Timeline:
    """``timeline`` with its events left to ``engine`` (which holds them): its themes, eras, title and
    cover stay, its events frame keeps only its columns."""
    return replace(
        timeline,
        events=timeline.events.iloc[:0].copy(),
        lives=empty_lives(),
        memo={},
        engine=engine,
        total=timeline.size,
    )


def sql_string(text: str) -> str:
    """A string literal (for the few places SQL takes no parameter, such as a view's file names)."""
    return "'" + text.replace("'", "''") + "'"


GLOB_CHARACTERS = "[*?"
"""What DuckDB's file readers take for a glob in a path, each matched literally as a class of one."""


HADOOP_GLOB_CHARACTERS = "\\{}[]*?"
"""What Spark (Hadoop's file system) takes for a glob in a path; a backslash before one makes it itself."""


def spark_path(path: Path | str) -> str:
    """A path as Spark's readers take it: a local ``Path`` matching only itself (a store under a folder
    named ``cache[1]``), a string (``s3a://...``, a glob) as the caller wrote it."""
    if isinstance(path, str):
        return path
    return "".join("\\" + c if c in HADOOP_GLOB_CHARACTERS else c for c in str(path))


def _may_hold(span: tuple[int, int] | None, lo: int, hi: int) -> bool:
    """Whether a file of rows ``span`` (None: not known) may hold some of rows [lo, hi)."""
    return span is None or (span[0] < hi and span[1] > lo)


def _file_list(paths: Sequence[Path]) -> str:
    """The files ``paths`` as DuckDB's readers take them: each path a glob, matching only itself."""
    literal = ("".join(f"[{c}]" if c in GLOB_CHARACTERS else c for c in str(p)) for p in paths)
    return "[" + ", ".join(sql_string(p) for p in literal) + "]"


class Tabled:
    """What an engine knows of the tables of ``core.tiles`` it reads: they come one at a time while a
    store is served (``io.store.tables_in_place``), each answering its questions from then on."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        """The names of the tables of ``core.tiles`` it reads (and :data:`TITLES`, for DuckDB)."""

    def has(self, name: str) -> bool:
        """Whether it reads the table ``name`` of ``core.tiles``."""
        return name in self.tables

    @property
    def precomputed(self) -> bool:
        """Whether it reads every table of ``core.tiles``."""
        return all(name in self.tables for name in tiles.TABLES)


class DuckDB(Tabled):
    """An embedded DuckDB answering queries on a table of events, from any number of threads (each
    gets its own cursor on the one database)."""

    def __init__(self, memory_limit: str | None = None, threads: int | None = None, spill: Path | None = None):
        import duckdb  # imported here: only the processes that query an engine load it

        super().__init__()
        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        # No extension may be fetched at run time: everything used here is built in.
        config["autoinstall_known_extensions"] = False
        config["autoload_known_extensions"] = False
        # What outgrows memory_limit spills here, not to DuckDB's ``.tmp`` in the working directory (a
        # user's folder, shared by every server started from it): a folder of the engine's own, held
        # while its process lives, or in ``spill``, a folder of the caller's own.
        self._held: HeldFolder | None = None
        if spill is None:
            self._held = HeldFolder("timeline-duckdb-")
            self._spill = self._held.path
        else:
            self._spill = spill / f"timeline-duckdb-{uuid.uuid4().hex}"
        config["temp_directory"] = str(self._spill)
        self._con = duckdb.connect(":memory:", config=config)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cursors: weakref.WeakSet[Any] = weakref.WeakSet()
        """Every thread's cursor, to interrupt (each goes with its thread: a development server makes
        one a request)."""
        self._rows: tuple[int, int] | None = None
        self._files: list[Path] = []
        self._where = ""
        self._groups: list[int] | None = None
        self._spans: dict[Path, tuple[int, int] | None] | None = None

    @classmethod
    def of_timeline(cls, timeline: Timeline, precompute: bool = True, **config: Any) -> DuckDB:
        """The timeline's events, held by DuckDB in memory, with the tiles made of them (``precompute``)."""
        engine = cls(**config)
        engine._con.register("events_arrow", events_table(timeline))
        engine._con.execute("CREATE TABLE events AS SELECT * FROM events_arrow")
        engine._con.unregister("events_arrow")
        if precompute:
            for name, query in tiles.made_of_events(timeline):
                engine._con.execute(f"CREATE TABLE {name} AS {query}")
                engine.tables.add(name)
        return engine

    @classmethod
    def of_parquet(
        cls, paths: Sequence[Path], where: str = "", tables: dict[str, Sequence[Path]] | None = None, **config: Any
    ) -> DuckDB:
        """The events in Parquet files, read where they lie (only the columns and row groups a query
        needs); ``where`` keeps some rows of them (e.g. not the eras). Several files are joined by
        their columns' names, which also has DuckDB read every file's statistics when it plans a
        query: without them, it plans as if it knew nothing of the values (a third more work at ten
        million events in 80 files than in one). ``tables``: the precomputed tables of
        ``core.tiles`` in Parquet files of their own."""
        engine = cls(**config)
        engine._files = list(paths)
        engine._where = where
        engine._con.execute(f"CREATE VIEW events AS {engine._reading(engine._files)}")
        if tables:
            engine.attach(tables)
        return engine

    def attach(self, tables: dict[str, Sequence[Path]]) -> None:
        """Precomputed tables of ``core.tiles``, in Parquet files of their own, read from now on
        (made after the events were served, some may come later: queries under way go on without them)."""
        with self._lock:
            for name, files in tables.items():
                if name in self.tables:
                    continue
                if name == TITLES:
                    self._attach_titles(files[0])
                    continue
                self._con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_file_list(files)})")
                self.tables.add(name)

    def _attach_titles(self, path: Path) -> None:
        """The store's titles attached, if DuckDB can open them: they only make title searches
        quicker, so a file it cannot (damaged, written by a later DuckDB, its lock refused on a network
        mount) leaves those searches to the events."""
        import duckdb

        try:
            self._con.execute(f"ATTACH {sql_string(str(path))} AS {TITLES} (READ_ONLY)")
        except duckdb.Error:
            return
        self.tables.add(TITLES)

    def interrupt(self) -> None:
        """Stop the queries under way in every thread (each raises DuckDB's InterruptException)."""
        with self._lock:
            for cursor in (self._con, *list(self._cursors)):
                try:
                    cursor.interrupt()
                except Exception:  # a cursor already closed has nothing under way
                    continue

    def _cursor(self) -> Any:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                cursor = self._con.cursor()
                self._cursors.add(cursor)
            self._local.cursor = cursor
        return cursor

    def run(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = self._cursor().execute(sql, list(args)).fetchall()
        return rows

    __call__ = run

    def keep(self, name: str, query: str, args: Sequence[object]) -> str:
        """A table ``name`` holding what ``query`` gives (seen by every thread's cursor)."""
        self._cursor().execute(f"CREATE TABLE IF NOT EXISTS {name} AS {query}", list(args))
        return name

    def keep_rows(
        self, name: str, where: sql_text.Where, report: Reached | None = None, titles_only: bool = False
    ) -> str:
        """A table ``name`` of the ``core.sql.SEARCH_COLUMNS`` of every event matching ``where`` (as
        :meth:`keep` makes it), filled a slice of :func:`search_slice_rows` rows at a time in row
        order, ``report(rows searched, all rows)`` after each. A store keeps its events in row order,
        so a slice reads only its own row groups, and only the files holding them: a query of all of
        them would read every file's statistics first (0.08 s a query at 100M events in 114 files).
        A search of titles alone (``titles_only``: ``where`` reads no other text) reads the store's
        titles instead once they are attached (:data:`TITLES`: 3.2-3.5 s at 100M events, against
        12.3 s from the events)."""
        cursor = self._cursor()
        first, end = self._row_span()
        kept = sql_text.SEARCH_SELECT
        in_titles = TITLES in self.tables and titles_only
        cursor.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {kept} FROM {sql_text.EVENTS} LIMIT 0")
        try:
            if report is not None:
                report(0, end - first)
            for lo, hi in row_slices(first, end, search_slice_rows(end - first), self._row_groups()):
                source = f"{TITLES}.{TITLES}" if in_titles else self._rows_source(lo, hi)
                cursor.execute(
                    f"INSERT INTO {name} SELECT {kept} FROM {source} WHERE row >= ? AND row < ? AND ({where.text})",
                    [lo, hi, *where.args],
                )
                if report is not None:
                    report(hi - first, end - first)
        except BaseException:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")  # never a search's rows in part
            raise
        return name

    def _rows_source(self, lo: int, hi: int) -> str:
        """What to read the events of rows [lo, hi) from: the files that may hold them (by their
        statistics), as the ``events`` view reads them, or that view."""
        spans = self._file_spans()
        files = [f for f in self._files if _may_hold(spans.get(f), lo, hi)]
        if not self._files or len(files) == len(self._files):
            return sql_text.EVENTS
        return f"({self._reading(files)}) AS {sql_text.EVENTS}"

    def _reading(self, paths: Sequence[Path]) -> str:
        """A query of the events in the Parquet files ``paths``, as :meth:`of_parquet` reads them."""
        by_name = ", union_by_name = true" if len(paths) > 1 else ""
        return f"SELECT * FROM read_parquet({_file_list(paths)}{by_name})" + (
            f" WHERE {self._where}" if self._where else ""
        )

    def _row_span(self) -> tuple[int, int]:
        """The first row number of the events and one past the last (read once: from the files'
        statistics where each has them, else from the events)."""
        if self._rows is None:
            spans = list(self._file_spans().values())
            if spans and all(span is not None for span in spans):
                self._rows = (min(s[0] for s in spans if s), max(s[1] for s in spans if s))
            else:
                ((lo, hi),) = self.run(f"SELECT min(row), max(row) FROM {sql_text.EVENTS}", ())
                self._rows = (0, 0) if lo is None else (int(str(lo)), int(str(hi)) + 1)
        return self._rows

    def _row_groups(self) -> list[int]:
        """The first row number of each row group of the events' Parquet files, from their statistics
        (read once; none for events held in memory)."""
        self._read_statistics()
        return self._groups or []

    def _file_spans(self) -> dict[Path, tuple[int, int] | None]:
        """Per Parquet file of the events, its first row number and one past its last (None where its
        statistics do not say), from the statistics (read once)."""
        self._read_statistics()
        return self._spans or {}

    def _read_statistics(self) -> None:
        if self._groups is not None:
            return
        spans: dict[Path, tuple[int, int] | None] = {f: None for f in self._files}
        groups: set[int] = set()
        if self._files:
            by_name = {str(f): f for f in self._files}
            # per file: its rows' first and last, whether every row group says them, each group's first
            for file_name, lo, hi, whole, firsts in self.run(
                "SELECT file_name, min(lo), max(hi), count(lo) = count(*) AND count(hi) = count(*), list(lo) "
                "FROM (SELECT file_name, TRY_CAST(stats_min_value AS BIGINT) AS lo, "
                "TRY_CAST(stats_max_value AS BIGINT) AS hi "
                f"FROM parquet_metadata({_file_list(self._files)}) WHERE path_in_schema = 'row') GROUP BY file_name",
                (),
            ):
                path = by_name.get(str(file_name))
                if path is not None and whole:
                    spans[path] = (int(str(lo)), int(str(hi)) + 1)
                groups.update(int(str(g)) for g in cast(list[object], firsts) if g is not None)
        self._spans = spans
        self._groups = sorted(groups)

    def drop(self, name: str) -> None:
        self._cursor().execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        self._con.close()
        shutil.rmtree(self._spill, ignore_errors=True)
        if self._held is not None:
            self._held.remove()


class EngineError(Exception):
    """An engine that cannot be had (Java or pyspark missing, a Spark Connect server out of reach),
    said in one line for the command line to print."""


SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}
"""A local Spark for one machine: two shuffle partitions (the default 200 would make every
GROUP BY schedule 200 tasks for a few thousand rows) and no adaptive re-planning between a query's
stages (which pays off for skewed data across a cluster, not for counts here), no web UI, no
progress bars, every address on this machine's loopback (no network needed), Arrow between Python
and the JVM."""

LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
"""Spark's JVM logs only its errors (its defaults print a page of warnings at every start)."""

LOCAL = "local[2]"


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as exc:
        raise EngineError(
            f"the Spark engine needs pyspark, which is not installed ({exc.name}): pip install 'dashboard[spark]'"
        ) from None
    # pyspark 4 warns about pandas 3 on every session; nothing here goes through pandas.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    return pyspark.sql


def spark_session(remote: str | None = None, master: str = LOCAL, conf: dict[str, str] | None = None) -> Any:
    """A Spark session: a local Spark started in this process (``master``, :data:`SPARK_CONF` then
    ``conf``), or one on the Spark Connect server at ``remote`` (``sc://HOST:PORT``, a fresh session
    of its own each time). EngineError when Java, pyspark or the server is missing."""
    sql = _pyspark()
    if remote:
        _reachable(remote)
        try:  # the Connect client itself: pyspark's own builder would mark the whole process as Connect's
            from pyspark.sql.connect.session import SparkSession as ConnectSession
        except ImportError as exc:
            raise EngineError(f"Spark Connect needs pyspark[connect], missing here ({exc.name})") from None
        try:
            return ConnectSession.builder.remote(remote).create()
        except Exception as exc:  # gRPC and Spark Connect raise many kinds; all mean the same here
            raise EngineError(f"Spark Connect at {remote}: {_first_line(exc)}") from None
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise EngineError("the Spark engine needs Java 17 or later (java is not on PATH and JAVA_HOME is unset)")
    settings = {**SPARK_CONF, **(conf or {})}
    java = settings.get("spark.driver.extraJavaOptions", "")
    settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()} {java}".strip()
    builder = sql.SparkSession.builder.master(master).appName("timeline")
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: pyspark says why in its own words
        raise EngineError(f"Spark did not start: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reachable(remote: str, timeout: float = 5.0) -> None:
    """EngineError unless something listens at a Spark Connect address: the client would otherwise
    retry for minutes before it says so."""
    parts = urlsplit(remote)
    if parts.scheme != "sc" or not parts.hostname:
        raise EngineError(f"not a Spark Connect address: {remote!r} (expected sc://HOST:PORT)")
    port = parts.port or 15002
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise EngineError(f"no Spark Connect server at {parts.hostname}:{port} ({exc.strerror or exc})") from None


class Spark(Tabled):
    """Apache Spark answering queries on a table of events, registered as the temporary view
    ``events`` of a Spark session of its own (engines on one Spark never see each other's view).

    Without ``remote`` that is a local Spark in this process, started by the first engine (its JVM
    takes seconds), shared by every later one and ended with the process; with ``remote``
    (``sc://HOST:PORT``) a session on that Spark Connect server, ended by :meth:`close`. Each query is
    a Spark job: planned, scheduled as tasks and its few result rows sent back, which costs tens to
    hundreds of milliseconds even on a small table; what that buys is a table that may be Parquet far larger
    than this machine, read by a cluster's executors where it lies."""

    def __init__(self, session: Any, frame: Any, scratch: HeldFolder | None = None):
        super().__init__()
        self._session = session
        self._frame = frame
        # The timeline's Parquet copy goes with the engine: at close, or when the process ends.
        self._scratch = weakref.finalize(self, scratch.remove) if scratch else None
        self._kept: dict[str, Any] = {}
        self._lock = threading.Lock()
        frame.createOrReplaceTempView("events")

    def _precompute(self, tables: dict[str, Sequence[Path]] | None, timeline: Timeline | None = None) -> None:
        """The tables of ``core.tiles``: read from Parquet files when given, else made now from the
        events of ``timeline`` and cached in Spark's memory."""
        if tables is not None:
            for name, files in tables.items():
                if name == TITLES or name in self.tables:  # the titles are in DuckDB's own format
                    continue
                self._session.read.parquet(*[spark_path(p) for p in files]).createOrReplaceTempView(name)
                self.tables.add(name)
        else:
            if timeline is None:
                raise ValueError("the tables are made from a timeline's events")
            for name, query in tiles.made_of_events(timeline):
                frame = self._session.sql(query).cache()
                frame.count()
                frame.createOrReplaceTempView(name)
                self._kept[name] = frame
                self.tables.add(name)

    @staticmethod
    def _new_session(remote: str | None, conf: dict[str, str] | None) -> Any:
        spark = spark_session(remote, conf=conf)
        return spark if _is_connect(spark) else spark.newSession()

    @classmethod
    def of_timeline(
        cls,
        timeline: Timeline,
        *,
        remote: str | None = None,
        conf: dict[str, str] | None = None,
        precompute: bool = False,
    ) -> Spark:
        """The timeline's events. A local Spark reads them from a Parquet copy in a temporary folder
        (removed by :meth:`close`): each query reads only the columns it needs, the JVM holds no second
        copy of the table, and the copy's row groups are its tasks, two at a time. A Spark Connect
        server receives them with the session instead (it cannot see this machine's files)."""
        spark = cls._new_session(remote, conf)
        table = events_table(timeline)
        if _is_connect(spark):
            engine = cls(spark, spark.createDataFrame(table))
            if precompute:
                engine._precompute(None, timeline)
            return engine
        scratch = HeldFolder("timeline-spark-")
        path = scratch.path / "events.parquet"
        pq.write_table(table, path, row_group_size=STORE_ROW_GROUP)  # Spark splits a file between row groups
        engine = cls(spark, spark.read.parquet(spark_path(path)), scratch)
        if precompute:
            engine._precompute(None, timeline)
        return engine

    @classmethod
    def of_parquet(
        cls,
        paths: Sequence[Path | str],
        where: str = "",
        *,
        remote: str | None = None,
        conf: dict[str, str] | None = None,
        tables: dict[str, Sequence[Path]] | None = None,
    ) -> Spark:
        """The events in Parquet files (or folders of parts), read where they lie: on a cluster, paths
        its executors reach (``s3a://``, ``hdfs://``, a shared mount). ``where`` keeps some rows.
        ``tables``: precomputed tables of ``core.tiles`` in Parquet files."""
        spark = cls._new_session(remote, conf)
        try:  # Spark lists the files and reads their schema now: a missing path is said here
            frame = spark.read.parquet(*[spark_path(p) for p in paths])
            if where:
                frame = frame.where(where)
        except Exception as exc:  # pyspark's AnalysisException, or Connect's error for the same
            raise EngineError(f"Spark cannot read {', '.join(map(str, paths))}: {_first_line(exc)}") from None
        engine = cls(spark, frame)
        if tables:
            engine.attach(tables)
        return engine

    def attach(self, tables: dict[str, Sequence[Path]]) -> None:
        """The precomputed tables of ``core.tiles``, in Parquet files, read from now on."""
        self._precompute(tables)

    def run(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        return [tuple(r) for r in self._session.sql(sql, args=list(args)).collect()]

    __call__ = run

    def keep(self, name: str, query: str, args: Sequence[object]) -> str:
        """A temporary view ``name`` holding what ``query`` gives, computed now and cached in Spark's
        memory (``PerProcess.searched``: a search's rows)."""
        with self._lock:
            if name not in self._kept:
                frame = self._session.sql(query, args=list(args)).cache()
                frame.count()
                frame.createOrReplaceTempView(name)
                self._kept[name] = frame
        return name

    def drop(self, name: str) -> None:
        with self._lock:
            frame = self._kept.pop(name, None)
        if frame is not None:
            self._session.catalog.dropTempView(name)
            frame.unpersist()

    def close(self) -> None:
        for name in list(self._kept):
            self.drop(name)
        if _is_connect(self._session):
            self._session.stop()  # this client's session; the server goes on
            return
        self._session.catalog.dropTempView("events")
        if self._scratch is not None:
            self._scratch()


def _is_connect(session: Any) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


def open_engine(
    name: str,
    paths: Sequence[Path | str],
    *,
    remote: str | None = None,
    where: str = "",
    tables: dict[str, Sequence[Path]] | None = None,
    memory_limit: str | None = None,
) -> Engine:
    """The engine ``name`` (one of :data:`ENGINES`) over the events in Parquet ``paths`` (and the
    precomputed ``tables`` of ``core.tiles``, when there are): DuckDB in this process (within
    ``memory_limit``), or Spark (local, or at the Spark Connect address ``remote``). EngineError, in
    one line, when it cannot be had."""
    if name == "duckdb":
        if remote:
            raise EngineError("--spark-remote is for the Spark engine")
        import duckdb

        try:
            return DuckDB.of_parquet([Path(p) for p in paths], where=where, tables=tables, memory_limit=memory_limit)
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB cannot read {', '.join(map(str, paths))}: {_first_line(exc)}") from None
    if name == "spark":
        return Spark.of_parquet(paths, where=where, remote=remote, tables=tables)
    raise EngineError(f"no engine {name!r}: expected one of {', '.join(ENGINES)}")


SEARCHES_KEPT = 64
"""Searches each process keeps as tables of their matches (a few MB each at ten million events)..."""
SEARCH_ROWS_KEPT = 4_000_000
"""... and the matches they hold together at most (the 73 bytes of ``core.sql.SEARCH_COLUMNS`` each,
so about 0.3 GB): searches for common letters at 100M events would otherwise fill memory and the
spill folder. The latest search is kept whatever its size."""
SEARCH_NAME = re.compile(r"searched_[0-9a-f]{20}")
TERMS_REMEMBERED = 1024
"""The words of this many searches of late (a few bytes each): one dropped before a query naming it
began is made again from them."""
TABLES_LOOKED_FOR_S = 1.0
"""How often a process serving a store looks which of its tables of ``core.tiles`` are in place, until
their maker is done."""
ANSWERS_KEPT = 256
"""Answers each process remembers (a zoom asks again what the filters' answers were)."""


class PerProcess:
    """An engine opened on first use in each process: a server's forked workers must not share one
    (a database connection does not survive a fork), and a process that never asks opens none.
    The events never change, so each answer is remembered (:data:`ANSWERS_KEPT` of them) and
    computed once however many requests ask at once."""

    def __init__(
        self,
        open_engine: Callable[[], Engine],
        name: str = "",
        tables: Callable[[], tuple[dict[str, Sequence[Path]], bool]] | None = None,
        given_up: Callable[[], bool] | None = None,
    ):
        self._open = open_engine
        self._given_up = given_up
        self._tables = tables
        """The tables of ``core.tiles`` in place, and whether their maker is done (no more will come),
        for an engine opened without them: a server serves from the events while they are made apart,
        and takes up each as it comes (``io.store``)."""
        self._look_again: dict[int, float] = {}
        self._found: dict[int, set[str]] = {}
        """Per process, the tables it found in place (the engine it opens next has them)."""
        self._done: set[int] = set()
        """The processes that found the maker of the tables done: they look no more."""
        self.name = name
        """What the events are (a store's folder): progress keys tell apart searches of two timelines."""
        self.progress = ProgressFolder()
        """How far each search under way in any process has got (made here, before a server forks)."""
        self._engines: dict[int, Engine] = {}
        self._answers: dict[int, Memo] = {}
        self._searches: dict[int, OrderedDict[str, int]] = {}
        """Per process, the searches it keeps (their tables' names), the latest used last, and their rows."""
        self._terms: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        """What each search table of late was made of: one dropped before a query naming it could
        begin is made again (see :meth:`_answer`)."""
        self._using: dict[str, int] = {}
        """Queries under way naming each search table: one pushed out meanwhile is dropped once none is."""
        self._pushed_out: dict[str, int] = {}
        """Search tables no longer kept, still read by a query (with their rows): asked again, kept again."""
        self._lock = threading.Lock()
        self._searching = threading.Lock()

    def engine(self) -> Engine:
        pid = os.getpid()
        found = self._engines.get(pid)
        if found is None:
            with self._lock:
                found = self._engines.get(pid)
                if found is None:
                    found = self._engines[pid] = self._open()
        return found

    def __call__(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        return self.run(sql, args)

    def has(self, name: str) -> bool:
        """Whether this process's engine reads the table ``name`` of ``core.tiles`` (or :data:`TITLES`);
        not opened yet, whether that table is in place (the engine is opened with it)."""
        return name in self._tables_here()

    @property
    def tables_done(self) -> bool:
        """Whether the maker of the tables of a store is done (every table it makes is in place: no
        more will come); without a store, whether this process's engine reads them all."""
        if self._tables is None:
            return self.precomputed
        self._tables_here()
        return os.getpid() in self._done

    @property
    def precomputed(self) -> bool:
        """Whether this process's engine reads every table of ``core.tiles``."""
        found = self._tables_here()
        return all(name in found for name in tiles.TABLES)

    def _tables_here(self) -> set[str]:
        """The tables this process's engine reads: those it was opened with, and those given it as
        they are put in place, looked for at most every :data:`TABLES_LOOKED_FOR_S` until their maker
        is done. Before it is opened, those it will be opened with (found in place: it finds them too)."""
        pid = os.getpid()
        found: dict[str, Sequence[Path]] = {}
        with self._lock:  # as the engine is opened: one being opened looked for the tables before this
            engine = self._engines.get(pid)
            now = time.monotonic()
            if self._tables is not None and pid not in self._done and now >= self._look_again.get(pid, 0.0):
                self._look_again[pid] = now + TABLES_LOOKED_FOR_S
                found, done = self._tables()
                self._found[pid] = set(found)
                if done:
                    self._done.add(pid)
        if engine is None:
            return set(self._found.get(pid, ()))
        attach = getattr(engine, "attach", None)
        if found and attach is not None:
            attach(found)
        return set(getattr(engine, "tables", ()))

    @property
    def tables_given_up(self) -> bool:
        """Whether the tables of ``core.tiles``, not in place, will not be made by this server (their
        maker failed): the events answer every question."""
        return not self.tables_done and self._given_up is not None and self._given_up()

    def searched(self, terms: tuple[str, ...]) -> str:
        """``core.sql.Searched``: the table of rows holding every word of ``terms``, made on first use
        by an engine that keeps tables (DuckDB); the :data:`SEARCHES_KEPT` latest are kept. An engine
        that fills it a slice at a time (DuckDB) records how far it has got in :attr:`progress`,
        under :meth:`progress_key`, while it does."""
        engine = self.engine()
        self._tables_here()  # the store's titles, if they have come, answer a search of titles
        name = "searched_" + hashlib.sha256("\x1f".join(terms).encode()).hexdigest()[:20]
        with self._lock:
            self._terms[name] = terms
            self._terms.move_to_end(name)
            while len(self._terms) > TERMS_REMEMBERED:
                self._terms.popitem(last=False)
        keep = getattr(engine, "keep", None)
        if keep is None or not hasattr(engine, "drop"):
            raise ValueError("this engine keeps no tables")
        if self._kept(name) or self._kept_again(name):  # a search already there waits for no other
            return name
        with self._searching:  # one new search at a time: each reads every event's text once
            if self._kept(name) or self._kept_again(name):  # made by the request this one waited for
                return name
            self._make_room()
            where = sql_text.text_filter(terms)
            keep_rows = getattr(engine, "keep_rows", None)
            if keep_rows is None:  # Spark: one job, its tasks spread over the cluster
                keep(name, f"SELECT {sql_text.SEARCH_SELECT} FROM {sql_text.EVENTS} WHERE {where.text}", where.args)
            else:
                key = self.progress_key(terms)
                try:
                    titles_only = all(term_scope(term)[0] for term in terms)
                    keep_rows(name, where, lambda done, total: self.progress.record(key, done, total), titles_only)
                finally:
                    self.progress.clear(key)
            [(found,)] = engine.run(f"SELECT count(*) FROM {name}", ())
            self._keep(name, int(cast(int, found)))
        return name

    def _keep(self, name: str, rows: int) -> None:
        """The search table ``name`` (of ``rows`` rows) kept as the latest, and the oldest pushed out
        past the bounds."""
        self._push_out(
            lambda kept: len(kept) > SEARCHES_KEPT or sum(kept.values()) > SEARCH_ROWS_KEPT,
            least=1,
            latest=(name, rows),
        )

    def _make_room(self) -> None:
        """Before a new search is made, the oldest pushed out while those kept hold
        :data:`SEARCH_ROWS_KEPT` rows or more: the new one needs the engine's memory too (at 100M
        events in 1 GB, a search of 5.5M matches made after another as large: 11.6 s, against 12.1 s
        beside it)."""
        self._push_out(lambda kept: sum(kept.values()) >= SEARCH_ROWS_KEPT, least=0)

    def _push_out(
        self, too_many: Callable[[OrderedDict[str, int]], bool], least: int, latest: tuple[str, int] | None = None
    ) -> None:
        """With ``latest`` (a table's name and rows) kept as the latest, the oldest searches pushed out
        while ``too_many`` says so of those kept and more than ``least`` are: dropped, or, while a
        query reads one, once it is done."""
        drop = self.engine().drop  # type: ignore[attr-defined]  # engines that keep searches drop them
        with self._lock:  # dropped under the lock too: no query may find a table there and then not
            kept = self._searches.setdefault(os.getpid(), OrderedDict())
            if latest is not None:
                kept[latest[0]] = latest[1]
            while len(kept) > least and too_many(kept):
                old, held = kept.popitem(last=False)
                if self._using.get(old):
                    self._pushed_out[old] = held
                else:
                    drop(old)

    def _kept_again(self, name: str) -> bool:
        """Whether ``name`` was pushed out but is still there (a query reads it): then kept again."""
        with self._lock:
            rows = self._pushed_out.pop(name, None)
        if rows is None:
            return False
        self._keep(name, rows)
        return True

    def _kept(self, name: str) -> bool:
        """Whether this process keeps the search table ``name`` (then the latest used)."""
        with self._lock:
            kept = self._searches.setdefault(os.getpid(), OrderedDict())
            if name in kept:
                kept.move_to_end(name)
            return name in kept

    def progress_key(self, terms: tuple[str, ...]) -> str:
        """The key under which a search of ``terms`` records its progress, the same in every process."""
        return progress_key(self.name, *terms)

    def run(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        pid = os.getpid()
        with self._lock:
            answers = self._answers.setdefault(pid, Memo(ANSWERS_KEPT))
        rows: list[tuple[object, ...]] = answers.get((sql, tuple(args)), lambda: self._answer(sql, args))
        return list(rows)

    def _answer(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        """The engine's answer. The search tables the query names are held for it (none is dropped
        while it runs); one dropped before it began (other requests' searches pushed it out) is made
        again first."""
        names = set(SEARCH_NAME.findall(sql))
        with self._lock:
            for name in names:
                self._using[name] = self._using.get(name, 0) + 1
        try:
            for name in names:
                with self._lock:
                    there = name in self._pushed_out or name in self._searches.get(os.getpid(), {})
                    terms = self._terms.get(name)
                if not there and terms is not None:
                    self.searched(terms)
            return self.engine().run(sql, args)
        finally:
            drop = getattr(self.engine(), "drop", None)
            with self._lock:
                for name in names:
                    self._using[name] -= 1
                    if not self._using[name]:
                        del self._using[name]
                        if self._pushed_out.pop(name, None) is not None and drop is not None:
                            drop(name)

    def close(self) -> None:
        self._answers.pop(os.getpid(), None)
        engine = self._engines.pop(os.getpid(), None)
        if engine is not None:
            engine.close()


def check_engine(timeline: Timeline) -> None:
    """Ask the timeline's engine one question now, in this process, then let it go (each server
    process opens its own): EngineError, in one line, if it cannot answer."""
    engine = timeline.engine
    if not isinstance(engine, PerProcess):
        return
    search_slice_rows()
    try:
        engine.engine().run("SELECT count(*) FROM events", ())
    except EngineError:
        raise
    except Exception as exc:  # an engine's own error (DuckDB's, Spark's): said in one line
        raise EngineError(f"the engine cannot read the store: {_first_line(exc)}") from None
    finally:
        engine.close()
