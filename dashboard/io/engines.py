"""Engines that answer the core's SQL (:mod:`dashboard.core.sql`) over a table of events.

DuckDB, embedded, is the default: nothing to start, it reads Parquet where it lies, runs on every
core and keeps within a memory limit, spilling to disk past it. Each engine exposes the table as
``events`` (one row per event, with ``row``, the event's row number) and runs a query with its
parameters through :meth:`Engine.run`, which is what ``core.sql`` calls.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from ..core import sql as sql_text
from ..core.lives import empty_lives
from ..core.memo import Memo
from ..core.model import Timeline

ENGINES = ("duckdb", "spark")


class Engine(Protocol):
    """Anything that answers a query on the ``events`` table (``core.sql.Run``)."""

    def run(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]: ...

    def __call__(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]: ...

    def close(self) -> None: ...


def events_table(timeline: Timeline, first_row: int = 0) -> pa.Table:
    """A timeline's events as an engine reads them (``core.sql``): every column, ``row`` (the row
    number, from ``first_row`` for a chunk of a larger one), ``theme_mask`` as a signed 64-bit
    integer (the same bits) and the derived columns."""
    ev = timeline.events
    table = pa.Table.from_pandas(ev.drop(columns=["theme_mask"]), preserve_index=False)
    mask = ev["theme_mask"].to_numpy().astype(np.uint64).view(np.int64)
    table = table.append_column("theme_mask", pa.array(mask))
    table = table.append_column("row", pa.array(np.arange(first_row, first_row + len(ev), dtype=np.int64)))
    for name, values in sql_text.derived_columns(timeline).items():
        table = table.append_column(name, values if isinstance(values, pa.Array) else pa.array(values))
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


class DuckDB:
    """An embedded DuckDB answering queries on a table of events, from any number of threads (each
    gets its own cursor on the one database)."""

    def __init__(self, memory_limit: str | None = None, threads: int | None = None):
        import duckdb  # imported here: only the processes that query an engine load it

        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        # No extension may be fetched at run time: everything used here is built in.
        config["autoinstall_known_extensions"] = False
        config["autoload_known_extensions"] = False
        self._con = duckdb.connect(":memory:", config=config)
        self._local = threading.local()
        self._lock = threading.Lock()

    @classmethod
    def of_timeline(cls, timeline: Timeline, **config: Any) -> DuckDB:
        """The timeline's events, held by DuckDB in memory."""
        engine = cls(**config)
        engine._con.register("events_arrow", events_table(timeline))
        engine._con.execute("CREATE TABLE events AS SELECT * FROM events_arrow")
        engine._con.unregister("events_arrow")
        return engine

    @classmethod
    def of_parquet(cls, paths: Sequence[Path], where: str = "", **config: Any) -> DuckDB:
        """The events in Parquet files, read where they lie (only the columns and row groups a query
        needs); ``where`` keeps some rows of them (e.g. not the eras)."""
        engine = cls(**config)
        files = "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"
        engine._con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet({files})" + (f" WHERE {where}" if where else "")
        )
        return engine

    def _cursor(self) -> Any:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                cursor = self._con.cursor()
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

    def drop(self, name: str) -> None:
        self._cursor().execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        self._con.close()


SEARCHES_KEPT = 64
"""Searches each process keeps as tables of rows (a few MB each at ten million events)."""
ANSWERS_KEPT = 256
"""Answers each process remembers (a zoom asks again what the filters' answers were)."""


class PerProcess:
    """An engine opened on first use in each process: a server's forked workers must not share one
    (a database connection does not survive a fork), and a process that never asks opens none.
    The events never change, so each answer is remembered (:data:`ANSWERS_KEPT` of them) and
    computed once however many requests ask at once."""

    def __init__(self, open_engine: Callable[[], Engine]):
        self._open = open_engine
        self._engines: dict[int, Engine] = {}
        self._answers: dict[int, Memo] = {}
        self._searches: dict[int, OrderedDict[str, None]] = {}
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

    def searched(self, terms: tuple[str, ...]) -> str:
        """``core.sql.Searched``: the table of rows holding every word of ``terms``, made on first use
        by an engine that keeps tables (DuckDB); the :data:`SEARCHES_KEPT` latest are kept."""
        engine = self.engine()
        name = "searched_" + hashlib.sha256("\x1f".join(terms).encode()).hexdigest()[:20]
        keep = getattr(engine, "keep", None)
        if keep is None or not hasattr(engine, "drop"):
            raise ValueError("this engine keeps no tables")
        with self._searching:  # one new search at a time: each reads every event's text once
            kept = self._searches.setdefault(os.getpid(), OrderedDict())
            if name in kept:
                kept.move_to_end(name)
                return name
            where = sql_text.text_filter(terms)
            keep(name, f"SELECT row FROM events WHERE {where.text}", where.args)
            kept[name] = None
            while len(kept) > SEARCHES_KEPT:
                engine.drop(kept.popitem(last=False)[0])
        return name

    def run(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        pid = os.getpid()
        with self._lock:
            answers = self._answers.setdefault(pid, Memo(ANSWERS_KEPT))
        rows: list[tuple[object, ...]] = answers.get((sql, tuple(args)), lambda: self.engine().run(sql, args))
        return list(rows)

    def close(self) -> None:
        self._answers.pop(os.getpid(), None)
        engine = self._engines.pop(os.getpid(), None)
        if engine is not None:
            engine.close()


STORE_ROW_GROUP = 128 * 1024
"""Rows per row group of a store: an engine skips a group whose statistics rule it out."""
