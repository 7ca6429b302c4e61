"""Command line: ``timeline serve | export | validate | convert``.

Every command loads through the same validator and exits non-zero with the full
list of problems, never a traceback, when the file is not usable.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np

from . import __version__
from .core.columns import parse_mapping
from .core.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from .core.model import Timeline, ValidationError
from .core.query import SCALES, View, filter_events, theme_counts
from .core.topics import combine, resolve_themes
from .core.written_dates import ORDER_ASKED
from .io import cache, parquet, progress, stops
from .io.read_options import DATE_ORDERS, ReadOptions
from .web.datasets import DEFAULT_MAX_UPLOAD_MB
from .web.framing import DEFAULT_FRAME_ANCESTORS, check_frame_ancestors

if TYPE_CHECKING:
    from .io import store as store_module
    from .web.preparing import PreparingPage

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
SHIPPED_DATASET = Path(__file__).resolve().parent.parent / "data" / "events.csv"
SHIPPED_TITLE = N_("US–Japan relations since 1853")


def default_file() -> Path:
    here = Path.cwd() / "data" / "events.csv"
    return here if here.exists() else SHIPPED_DATASET


def counted(n: int, thing: str) -> str:
    """'1 event', '2 events': the terminal speaks English."""
    return f"{n:,} {thing}" + ("" if n == 1 else "s")


def default_title(path: Path) -> str | None:
    """The shipped dataset has a title of its own; other files take theirs or their name."""
    try:
        if path.resolve() == SHIPPED_DATASET:
            return SHIPPED_TITLE
    except OSError:
        pass
    return None


PROGRESS_MIN_BYTES = 10_000_000
"""Files this large say what the loader is doing (cold loads take seconds)."""


def progress_printer() -> progress.Said:
    """Says what a long load is doing, on stderr."""
    return progress.say


ORDER_FLAG = (
    "Say the order of the file's dates with --date-order mdy (month/day/year) or --date-order dmy (day/month/year)."
)


def problems_said(exc: ValidationError) -> str:
    """A file's problems as printed, and where a date order would read its dates, the flag that says it
    (the page offers a choice under the upload instead)."""
    said = exc.report()
    if any(p.expected.startswith(ORDER_ASKED) for p in exc.problems):
        said += "\n" + ORDER_FLAG
    return said


def load_or_exit(
    path: Path, background_cache: bool = False, options: ReadOptions | None = None, use_cache: bool = True
) -> tuple[Timeline, threading.Thread | None]:
    """The validated timeline (and the thread writing its cache, with ``background_cache``), or the
    list of problems on stderr and exit status 1. ``use_cache=False`` validates the file afresh and
    writes no cache."""
    try:
        big = path.stat().st_size >= PROGRESS_MIN_BYTES
    except OSError:
        big = False
    progress = progress_printer() if big else None
    options = options or ReadOptions()
    try:
        if background_cache:
            return cache.load_in_background(path, progress=progress, options=options)
        return cache.load(path, progress=progress, options=options, use_cache=use_cache), None
    except ValidationError as exc:
        print(problems_said(exc), file=sys.stderr)
        raise SystemExit(1) from None


def _column_mapping(text: str) -> dict[str, str]:
    """``--columns date=Start,title=Event``, or argparse's usage error saying what is wrong."""
    try:
        return parse_mapping(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    """``--port 8080`` (0: any free one), or argparse's usage error saying what a port is."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a port number from 0 to 65535 (0: any free one)")
    return port


def _frame_ancestors(text: str) -> str:
    """``--frame-ancestors "https://a.example 'self'"``, or argparse's usage error saying what is wrong."""
    try:
        return check_frame_ancestors(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def read_options(args: argparse.Namespace) -> ReadOptions:
    """The options a command's flags give for reading its file."""
    return ReadOptions.of(args.columns, args.sheet, args.date_order)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="timeline", description="Interactive timelines from a CSV of dated events.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{serve,export,validate,convert}")

    def file_arg(sp: argparse.ArgumentParser, optional: bool = True) -> None:
        several = (
            "; several files or folders open together, each file a topic (a folder or a quoted glob "
            "such as 'data/*.parquet' of Parquet files is one dataset in parts)"
        )
        if optional:
            sp.add_argument(
                "file", nargs="*", type=Path, default=[], help=f"events file (default: data/events.csv){several}"
            )
        else:
            sp.add_argument("file", nargs="+", type=Path, help=f"events file{several}")
        sp.add_argument("--title", help="title shown above the timeline")
        sp.add_argument(
            "--columns",
            type=_column_mapping,
            default=None,
            metavar="OURS=THEIRS,...",
            help="which of the file's columns are ours, e.g. date=Start,title=Event,themes=Kind "
            "(common names such as Start, Event, Category, Notes, Link are recognised without this)",
        )
        sp.add_argument("--sheet", default=None, help="the sheet of an .xlsx or .ods workbook (default: the first)")
        sp.add_argument(
            "--date-order",
            choices=DATE_ORDERS,
            default=None,
            help="read dates such as 03/04/1901 day first (dmy) or month first (mdy)",
        )

    s = sub.add_parser("serve", help="serve the interactive timeline in the browser")
    file_arg(s)
    s.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    s.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free one)")
    s.add_argument(
        "--debug", action="store_true", help="Dash's development server in debug mode (never on a public address)"
    )
    s.add_argument(
        "--workers", type=int, default=1, help="gunicorn worker processes (default 1); each answers any request"
    )
    s.add_argument(
        "--max-upload-mb",
        type=int,
        default=DEFAULT_MAX_UPLOAD_MB,
        help=f"largest file a user may open in the browser (default {DEFAULT_MAX_UPLOAD_MB})",
    )
    s.add_argument(
        "--upload-dir",
        type=Path,
        default=None,
        help="where uploaded files are kept (default: a folder in the system's temp dir)",
    )
    s.add_argument(
        "--engine",
        choices=("auto", "memory", "duckdb", "spark"),
        default="auto",
        help="where the events are queried: in this process's memory, or from a Parquet store of them by DuckDB "
        "(embedded) or Apache Spark (local, or a cluster with --spark-remote), for timelines too large for memory; "
        f"auto (default): DuckDB for {AUTO_ROWS:,} events or more, memory for fewer (or for lives and 'ongoing' dates)",
    )
    s.add_argument(
        "--spark-remote",
        default=None,
        metavar="URL",
        help="with --engine spark: a Spark Connect server (sc://HOST:15002) that sees the store's folder",
    )
    s.add_argument(
        "--engine-memory",
        default="1GB",
        metavar="SIZE",
        help="most memory the engine may use in each server process, past which it works from disk (default 1GB)",
    )
    s.add_argument(
        "--preview-rows",
        type=_rows,
        default=None,
        metavar="N",
        help="served by DuckDB, a dataset of at least 4 times N rows is served as a preview of its first N rows "
        "as soon as they are validated, and then whole, restarting on the same port, once every row is (default "
        "1048576; 0: serve it only once every row is validated; the first N rows are validated in chunks of at most N "
        "rows, 16384 at least)",
    )
    s.add_argument(
        "--export-browser",
        choices=("start", "first-download"),
        default="first-download",
        help="when each worker starts the headless browser that draws PNG, SVG and PDF downloads: at its first "
        "download (default: a headless Chromium's memory, about 0.3 GB, and the seconds of CPU its start takes are "
        "spared until someone downloads an image, and given back after 10 minutes without one; the first download "
        "takes some 2 s longer) or as the worker starts (every download as quick as the others, the browser kept)",
    )
    s.add_argument(
        "--frame-ancestors",
        type=_frame_ancestors,
        default=DEFAULT_FRAME_ANCESTORS,
        metavar="SOURCES",
        help="sites that may show the app in an <iframe> (sent as Content-Security-Policy: frame-ancestors), "
        "separated by spaces, e.g. \"https://a.example https://*.b.example\"; default 'self' (same origin only), "
        "'none' for no site",
    )

    e = sub.add_parser("export", help="write the timeline for some filters to PNG, SVG, PDF, CSV or HTML")
    file_arg(e)
    e.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file: .png, .svg, .pdf, .csv (the filtered events) or .html (interactive)",
    )
    e.add_argument(
        "--story",
        action="store_true",
        help="write the story page: one HTML file (the output must end in .html) that tells the events one at "
        "a time, with theme checkboxes and search, and needs no server",
    )
    e.add_argument("--themes", help="comma-separated themes to show (default: all)")
    e.add_argument("--from", dest="date_from", default="", help="first date, e.g. 1945 or -490")
    e.add_argument("--to", dest="date_to", default="", help="last date, e.g. 2000-06")
    e.add_argument("--search", default="", help="only events whose title, description or actors contain this")
    e.add_argument("--width", type=int, default=None, help="layout width in px (default 1600)")
    e.add_argument("--scale", type=float, default=None, help="PNG pixels per layout px (default 2)")
    e.add_argument(
        "--axis",
        choices=SCALES,
        default="time",
        help="x axis: time (dates to scale, the default), sequence (events evenly spaced in date order) "
        "or log (years before present, logarithmic)",
    )
    e.add_argument(
        "--lang",
        choices=list(LANGUAGES),
        default=DEFAULT_LANGUAGE,
        help="language of the image or page: its text, dates and (where the file has them, as title_ja) "
        "the events' titles (default en)",
    )

    v = sub.add_parser("validate", help="check a CSV and list every problem")
    file_arg(v, optional=False)

    c = sub.add_parser(
        "convert", help="validate a file (any the app reads) and write it as Parquet, the CSV format's columns as text"
    )
    file_arg(c, optional=False)
    c.add_argument("-o", "--output", required=True, type=Path, help="the Parquet file to write (.parquet)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    paths: list[Path] = args.file or [default_file()]
    files = topic_files(paths)
    title = args.title or (default_title(files[0]) if len(files) == 1 else None)
    options = read_options(args)
    if args.command == "validate":
        return _validate(files, options)
    if args.command == "convert":
        return _convert(files, options, args)
    if args.command == "export":
        return _export(load_files(files, options=options)[0], args, title)
    # Told to stop (SIGTERM; SIGHUP: its terminal closed) while it prepares its data, until the
    # server's own handlers replace these: the server ends as at Ctrl-C, what it started stopped and
    # what it made meanwhile removed (the page's status folder, a store half built), not at once,
    # leaving them behind.
    stops.stop_at(signal.SIGTERM, signal.SIGHUP)
    try:
        listening = _listening(args)
        if listening is None:  # --debug
            return _prepare_and_serve(files, options, args, title, None)
        from .web.preparing import PreparingPage

        name = title or ", ".join(path.name for path in files)
        with PreparingPage(listening, name, args.frame_ancestors) as page:
            return _prepare_and_serve(files, options, args, title, page)
    except KeyboardInterrupt:  # Ctrl-C before the server's own handler: stopped, as asked
        return 128 + signal.SIGINT


def _rows(text: str) -> int:
    """A number of rows given on the command line: a whole number from 0."""
    try:
        rows = int(text)
    except ValueError:
        rows = -1
    if rows < 0:
        raise argparse.ArgumentTypeError(f"a number of rows is a whole number from 0, not {text!r}")
    return rows


def _prepare_and_serve(
    files: list[Path], options: ReadOptions, args: argparse.Namespace, title: str | None, page: PreparingPage | None
) -> int:
    """``serve``: the data loaded, or stored for an engine, then served; meanwhile, the ``page`` on the
    server's port says how far it has got (``web.preparing``)."""
    if args.spark_remote and args.engine != "spark":  # before anything is read
        print("timeline serve: --spark-remote is for --engine spark", file=sys.stderr)
        raise SystemExit(2)
    say = progress_printer() if page is None else page.status.say
    if args.engine == "auto":
        parts = parquet_parts(files)
        if parts is not None:  # a Parquet dataset: its size is in its footers
            args.engine = _chosen(sum(part.rows for part in parts), say)
            if args.engine == "duckdb" and has_lives(parts, options):
                say("its lives are not drawn from a store (--engine memory draws them)")
        elif (stored := stored_rows(files, options)) is not None:  # a store made of it before
            args.engine = _chosen(stored, say)
    if args.engine not in ("auto", "memory"):
        return _serve_stored(files, options, args, title, page)
    timeline, cache_writer = _loaded(files, options, page, background_cache=True)
    if args.engine == "auto":
        args.engine = _chosen(len(timeline.events), say, timeline)
    if args.engine == "duckdb" and _stored_from_memory(timeline, files, options, say):
        del timeline  # served from the store: not held twice
        return _serve_stored(files, options, args, title, page)
    args.engine = "memory"
    return _serve(timeline, args, title, cache_writer, page)


def _stored_from_memory(timeline: Timeline, files: list[Path], options: ReadOptions, say: progress.Said) -> bool:
    """The store of a timeline ``--engine auto`` loaded and found large, written unless it is there
    already (one made by an earlier version, which did not say it serves the whole timeline, is
    marked so); False, said, if it cannot be (the timeline is then served from memory)."""
    from .io import store

    try:
        target = store.store_path(files, options)
        if store.is_store(target):
            store.mark_servable(target)
        else:
            _write_store(timeline, target, say)
    except (OSError, ValidationError) as exc:
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else exc.report()
        say(f"cannot write the store ({reason}): held in memory instead")
        return False
    return True


AUTO_ROWS = 500_000
"""With ``--engine auto`` (the default), a dataset of this many events or more is served by DuckDB from a
store, a smaller one held in memory (every feature, a quicker start, no store written). Measured at this
size: memory peaked at 1.23 GB of RSS and started in 3.5 s, DuckDB 0.87 GB and 4.4 s; at a million,
memory's 2.1 GB is twice DuckDB's, for no quicker a start (README: Beyond memory)."""


def parquet_rows(files: list[Path]) -> int | None:
    """How many rows a Parquet dataset served alone (a file, a folder or a glob of parts) holds, read
    from its parts' footers; None for any other input, or one a footer cannot be read of (its loading
    then says why)."""
    parts = parquet_parts(files)
    return None if parts is None else sum(part.rows for part in parts)


def parquet_parts(files: list[Path]) -> list[parquet.PartFile] | None:
    """The parts of a Parquet dataset served alone, opened (their footers read), or None (see
    :func:`parquet_rows`)."""
    if len(files) != 1 or not (parquet.is_dataset(files[0]) or files[0].suffix.lower() == parquet.SUFFIX):
        return None
    try:
        paths = [files[0]] if files[0].is_file() else parquet.dataset_files(files[0])
        name = parquet.dataset_name(files[0])
        return [parquet.open_part(path, name) for path in paths]
    except ValidationError:
        return None


def has_lives(parts: list[parquet.PartFile], options: ReadOptions) -> bool:
    """Whether a Parquet dataset's ``parts`` have a column of lives (under any name ``--columns`` gives it)."""
    from .core.columns import plan_columns
    from .core.lives import LIFE_START

    return any(LIFE_START in plan_columns(part.header, options.mapping).names for part in parts)


def stored_rows(files: list[Path], options: ReadOptions) -> int | None:
    """How many events the store of ``files`` holds, if one was made of them as they are now, of events
    it serves whole (``io.store.servable_rows``); None otherwise."""
    from .io import store

    try:
        return store.servable_rows(store.store_path(files, options))
    except (OSError, ValidationError):  # a file missing or unreadable: its loading says so
        return None


def _chosen(rows: int, say: progress.Said, loaded: Timeline | None = None) -> str:
    """The engine ``--engine auto`` serves ``rows`` events by (memory for ``loaded`` events a store would
    not serve whole), said on the terminal."""
    events = counted(rows, "event")
    if rows < AUTO_ROWS:
        say(f"{events}: held in memory (fewer than {AUTO_ROWS:,}; --engine duckdb serves them from a store)")
        return "memory"
    if loaded is not None:
        from .io import store

        held_because = store.unservable(loaded)
        if held_because is not None:
            say(f"{events}: held in memory, as {held_because} (--engine duckdb serves them without)")
            return "memory"
    say(f"{events}: served by DuckDB from a store ({AUTO_ROWS:,} or more; --engine memory holds them in memory)")
    return "duckdb"


def _serve_stored(
    files: list[Path], options: ReadOptions, args: argparse.Namespace, title: str | None, page: PreparingPage | None
) -> int:
    """``serve`` by an engine, from the store of ``files`` (built first if there is none)."""
    timeline, building = _stored(files, options, args, page)
    try:
        return _serve(timeline, args, title, None, page, building)
    finally:  # however the server ended (or never began: an upload folder refused)
        if building is not None:
            building.stop()


def _loaded(
    files: list[Path], options: ReadOptions, page: PreparingPage | None, background_cache: bool = False
) -> tuple[Timeline, threading.Thread | None]:
    """:func:`load_files`, the page saying meanwhile that the server reads them."""
    if page is not None:
        page.status.record(progress.Step("loading"))
    return load_files(files, background_cache=background_cache, options=options)


def _listening(args: argparse.Namespace) -> socket.socket | None:
    """The server's port, held from the start (a second server told it is refused before it loads
    anything); none under ``--debug``, whose development server binds it itself. Exit status 1,
    saying why, if it cannot be had."""
    if args.debug:
        return None
    inherited = os.environ.pop(LISTENING_FD, None)
    if inherited is not None:  # this server restarted itself: its port is held already
        return _inherited(inherited)
    from .web.server import CannotListen, listen

    try:
        return listen(args.host, args.port)
    except CannotListen as exc:
        print(f"timeline serve: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


LISTENING_FD = "TIMELINE_LISTENING_FD"
"""Set by a server that restarts itself (its preview made way for the whole dataset): the descriptor
of the port it holds, kept across ``exec`` so that no request is refused meanwhile."""


def _inherited(fd: str) -> socket.socket:
    """The listening socket a server restarting itself left at descriptor ``fd``: exit status 1 if it
    is not one."""
    try:
        held = socket.socket(fileno=int(fd))
        if not held.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            raise OSError("not listening")
    except (ValueError, OSError) as exc:
        print(f"timeline serve: {LISTENING_FD}={fd!r} is not a port this server held ({exc})", file=sys.stderr)
        raise SystemExit(1) from None
    os.set_inheritable(held.fileno(), False)
    return held


def _stored(
    files: list[Path], options: ReadOptions, args: argparse.Namespace, page: PreparingPage | None
) -> tuple[Timeline, store_module.Building | None]:
    """The timeline served by an engine from its store (``io.store``, in the user's cache folder, named
    after the files and their versions): built when missing, a chunk at a time from Parquet, else
    from the timeline loaded in memory. Served as soon as its events are stored: the tables that make
    clicks quick (``core.tiles``) are made meanwhile by a process of their own, stopped with the
    server (made again at its next start if it stopped first). Problems as ``validate`` lists them,
    exit status 1. A large dataset's preview (its first rows, ``--preview-rows``) may be served
    first: the store's :class:`~dashboard.io.store.Building` is then returned too."""
    from .io import store
    from .io.engines import EngineError, check_engine

    say = progress_printer() if page is None else page.status.say
    building: store.Building | None = None
    try:
        target = store.store_path(files, options)  # a dataset's store is named by its parts
        if not store.is_store(target):
            if len(files) == 1 and (parquet.is_dataset(files[0]) or files[0].suffix.lower() == parquet.SUFFIX):
                parts = parquet.dataset_files(files[0])
                base = files[0] if files[0].is_dir() else None
                name = parquet.dataset_name(files[0]) if parquet.is_dataset(files[0]) else files[0].name
                say(
                    f"building the store of {name} ({len(parts)} part{'s' if len(parts) != 1 else ''}) in {target}",
                    progress.Step("loading"),
                )
                status = page.status.path if page is not None else None
                rows = store.PREVIEW_ROWS if args.preview_rows is None else args.preview_rows
                preview = args.engine == "duckdb" and page is not None and rows > 0
                building = store.build_apart(
                    parts, name, target, base, options, status, tables=False, preview=preview, preview_rows=rows
                )
            else:
                _write_store(_loaded(files, options, page)[0], target, say)
        served = building.preview if building is not None and building.preview is not None else target
        try:
            timeline = store.open_store(served, args.engine_memory, args.engine, args.spark_remote)
            check_engine(timeline)
        except BaseException:
            if building is not None:  # its preview served by no one
                building.stop()
            raise
        if building is None and store.ready_tables(target) is None:  # served from the events until they are made
            store.precompute_apart(target)
        return timeline, building
    except EngineError as exc:
        print(f"timeline serve: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except ValidationError as exc:
        print(problems_said(exc), file=sys.stderr)
        raise SystemExit(1) from None
    except OSError as exc:
        print(f"timeline serve: cannot build the {args.engine} store: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(1) from None


def _write_store(timeline: Timeline, target: Path, say: progress.Said) -> None:
    """The store of a timeline loaded in memory (its tables of quick clicks are made once it is served)."""
    from .io import store

    say(f"writing the store of {timeline.source_name} in {target}", progress.Step("storing"))
    store.write(timeline, target, tables=False)


TOPIC_SUFFIXES = (".csv", ".json", ".xlsx", ".xlsm", ".ods")
"""The files of a folder that are opened (each a topic): CSVs of any format we read, TimelineJS JSON,
workbooks."""


def topic_files(paths: list[Path]) -> list[Path]:
    """The files named, a folder standing for its files (every .csv and .json, by name): exits
    with a message if a folder holds none. A folder of Parquet files, or a glob matching only
    Parquet files, stays one entry: one dataset in parts (:func:`dashboard.io.formats.load_dataset`);
    a glob matching other files stands for them."""
    files: list[Path] = []
    for path in paths:
        if parquet.is_dataset(path):
            files += _dataset_or_files(path)
        elif path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in TOPIC_SUFFIXES and p.is_file())
            if not found:
                print(f"timeline: {path}: no .csv, .json, .xlsx or .ods files in this folder", file=sys.stderr)
                raise SystemExit(1)
            files += found
        else:
            files.append(path)
    return files


def _dataset_or_files(path: Path) -> list[Path]:
    """A Parquet dataset as one entry, or the topic files a glob matches; exits with a message when
    a folder mixes Parquet parts with topic files, or a glob matches nothing."""
    try:
        found = parquet.dataset_files(path)
    except ValidationError as exc:
        print(problems_said(exc), file=sys.stderr)
        raise SystemExit(1) from None
    if path.is_dir():
        mixed = sorted(p.name for p in path.iterdir() if p.suffix.lower() in TOPIC_SUFFIXES and p.is_file())
        if mixed:
            print(
                f"timeline: {path}: holds Parquet parts (one dataset) and topic files ({', '.join(mixed[:3])}); "
                "keep them in separate folders",
                file=sys.stderr,
            )
            raise SystemExit(1)
        return [path]
    if all(p.suffix.lower() == parquet.SUFFIX for p in found):
        return [path]
    return found


def topic_name(path: Path) -> str:
    """A topic's name: the file's name without its extension, a folder's name, a glob's folder."""
    if parquet.GLOB_SIGNS.search(path.name) and not path.exists():
        return path.parent.name or path.name
    return path.stem


def load_files(
    files: list[Path], background_cache: bool = False, options: ReadOptions | None = None, use_cache: bool = True
) -> tuple[Timeline, threading.Thread | None]:
    """One file as :func:`load_or_exit`; several as one timeline, each file a topic (each read with
    ``options``). Every file's problems are listed (each under its name) before exiting with status 1."""
    if len(files) == 1:
        return load_or_exit(files[0], background_cache, options, use_cache)
    loaded: list[tuple[str, Timeline]] = []
    failed = False
    for path in files:
        try:
            loaded.append((topic_name(path), load_or_exit(path, options=options, use_cache=use_cache)[0]))
        except SystemExit:
            stops.raise_if_stopped()  # told to stop (its SystemExit), not a file refused: the rest is not read
            failed = True
    if failed:
        raise SystemExit(1)
    try:
        return combine(loaded), None
    except ValidationError as exc:
        print(problems_said(exc), file=sys.stderr)
        raise SystemExit(1) from None


def _validate(files: list[Path], options: ReadOptions) -> int:
    timeline, _ = load_files(files, options=options)
    ev = timeline.events
    counts = theme_counts(timeline, filter_events(timeline, View()))
    from .core.dates import format_dates

    span = format_dates([ev["start"].min()], [0])[0]
    end = format_dates([ev["last"].max()], [0])[0]
    print(
        f"{timeline.source_name}: OK: {counted(len(ev), 'event')}, {counted(len(timeline.eras), 'era')}, "
        f"{counted(len(timeline.themes), 'theme')}, "
        f"{span} to {end}" + (f", {counted(len(timeline.topics), 'topic')}" if timeline.topics else "")
    )
    print("  " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    return 0


def _convert(files: list[Path], options: ReadOptions, args: argparse.Namespace) -> int:
    """Validate first (every problem, exit 1, nothing written), then write the CSV format's columns as Parquet."""
    from .render.exports import events_frame

    if args.output.suffix.lower() != parquet.SUFFIX:
        print(f"timeline convert: cannot write '{args.output.name}': the name must end in .parquet", file=sys.stderr)
        return 2
    timeline, _ = load_files(files, options=options, use_cache=False)  # a one-off: no cache beside the file
    every = np.arange(len(timeline.events))
    table = parquet.events_table(events_frame(timeline, every))
    try:
        parquet.write_table(table, args.output, parquet.timeline_meta(timeline, args.title))
    except OSError as exc:
        print(f"timeline convert: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    size = args.output.stat().st_size
    print(
        f"wrote {args.output} (Parquet, {counted(len(timeline.events), 'event')}, "
        f"{counted(len(timeline.eras), 'era')}, {size:,} bytes)"
    )
    return 0


def _export(timeline: Timeline, args: argparse.Namespace, title: str | None) -> int:
    from .io.files import write_atomic
    from .render.exports import export_format, export_view
    from .render.images import export_server_running, stop_export_server

    themes = None
    if args.themes:
        wanted = [t.strip().lower() for t in args.themes.split(",") if t.strip()]
        lanes, unknown = resolve_themes(timeline, wanted)
        if unknown:
            print(
                f"timeline export: unknown theme{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"the file has: {', '.join(timeline.themes)}",
                file=sys.stderr,
            )
            return 2
        themes = tuple(lanes)
    view = View(themes=themes, start=args.date_from, end=args.date_to, text=args.search, scale=args.axis)
    kept = export_server_running()  # a program calling main() that renders too keeps its browser
    try:
        fmt = export_format(args.output, story=args.story)
        rows = filter_events(timeline, view)
        data = export_view(timeline, view, fmt, title=title, width=args.width, scale=args.scale, lang=args.lang)
        write_atomic(args.output, data)
    except (ValueError, OSError) as exc:
        print(f"timeline export: {exc}", file=sys.stderr)
        return 2
    finally:
        if not kept:
            stop_export_server()
    kind = "story page" if fmt == "story" else fmt.upper()
    print(f"wrote {args.output} ({kind}, {len(rows):,} of {len(timeline.events):,} events, {len(data):,} bytes)")
    return 0


def _serve(
    timeline: Timeline,
    args: argparse.Namespace,
    title: str | None,
    cache_writer: threading.Thread | None,
    page: PreparingPage | None,
    building: store_module.Building | None = None,
) -> int:
    """Serve ``timeline``: on the port ``page`` holds and answers until the app takes over (None: under
    ``--debug``, the development server's own). ``building``: the store whose preview ``timeline`` is,
    still being built: once it is complete, the server stops and starts again in this process
    (``exec``), holding the port meanwhile, to serve it whole; should it be refused, the server stops
    with its problems (exit status 1)."""
    if page is not None:
        page.status.record(progress.Step("starting"))
    from .web.app import create_app
    from .web.datasets import UnsafeUploadDir

    try:
        app = create_app(
            timeline,
            title=title,
            upload_dir=args.upload_dir,
            max_upload_mb=args.max_upload_mb,
            frame_ancestors=args.frame_ancestors,
        )
    except UnsafeUploadDir as exc:
        print(f"timeline serve: {exc}", file=sys.stderr)
        return 1
    from .web.app import warm_up
    from .web.layout import tables_ready
    from .web.server import address, run

    workers = max(1, args.workers)
    forks = not args.debug
    if forks and cache_writer is not None:
        cache_writer.join()  # workers are forked processes: no thread may be cut off mid-write
    warm_up(timeline, background=not forks)
    port = page.listening.getsockname()[1] if page is not None else args.port  # --port 0: the one chosen
    print(
        f"Serving {timeline.source_name} ({counted(timeline.size, 'event')}) at {address(args.host, port)}"
        + (f" with {workers} workers" if workers > 1 else "")
        + ("  [debug mode]" if args.debug else ""),
        flush=True,
    )
    outcome: list[int] = []
    told: list[int] = []  # signals telling the server to stop, once the store is awaited
    master = os.getpid()  # gunicorn's workers fork from run(), and leave it by SystemExit too
    kept = os.dup(page.listening.fileno()) if building is not None and page is not None else None
    try:
        run(
            app,
            args.host,
            args.port,
            page.listening if page is not None else None,
            before_serving=page.stop if page is not None else None,
            workers=workers,
            debug=args.debug,
            export_browser_at_start=args.export_browser == "start",
            # a store served before its tables are made: the browser waits for them (memory and CPU)
            export_browser_after=lambda: tables_ready(timeline),
            when_ready=(lambda: _awaiting(building, outcome, told)) if building is not None else None,
        )
    except SystemExit:
        if not outcome or os.getpid() != master:
            raise
    if building is not None:
        building.stop()  # its preview removed before the restart (exec)
    if told and outcome == [RESTART]:  # told to stop as it was about to restart: it stops
        outcome.clear()
    if outcome == [RESTART] and kept is not None:
        os.environ[LISTENING_FD] = str(kept)
        os.set_inheritable(kept, True)
        atexit._run_exitfuncs()  # as at the end of a process (exec runs none): what it made is removed
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, sys.orig_argv)
    if kept is not None:
        os.close(kept)
    return outcome[0] if outcome else 0


RESTART = -1
"""The store a preview was served from is complete: serve it whole."""


STOPPING = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
"""The signals that stop gunicorn's master (SIGHUP reloads its workers)."""


def _awaiting(building: store_module.Building, outcome: list[int], told: list[int]) -> None:
    """Wait, in a thread, for the store being built, then stop the server (as at SIGTERM: gunicorn's
    own handler, answers under way finished), recording in ``outcome`` whether to serve the whole
    store (:data:`RESTART`) or exit with status 1 (its problems said). A stopping signal the
    server is sent from now on is recorded in ``told`` before gunicorn handles it: one arriving as it
    stops to restart (which gunicorn takes for the stop under way) ends it instead."""
    handlers: dict[int, Any] = {signum: signal.getsignal(signum) for signum in STOPPING}

    def heard(signum: int, frame: FrameType | None) -> None:
        told.append(signum)
        handler = handlers[signum]
        if callable(handler):
            handler(signum, frame)

    for signum in STOPPING:
        signal.signal(signum, heard)
    stop: Callable[[int, FrameType | None], None] = handlers[signal.SIGTERM]  # gunicorn's, set as it started

    def wait() -> None:
        try:
            building.wait()
            print("timeline: every row is validated: serving them all", file=sys.stderr, flush=True)
            outcome.append(RESTART)
        except ValidationError as exc:
            print(problems_said(exc), file=sys.stderr, flush=True)
            outcome.append(1)
        except Exception as exc:
            if building.stopped:  # the server is stopping anyway
                return
            print(f"timeline serve: cannot build the store: {exc}", file=sys.stderr, flush=True)
            outcome.append(1)
        stop(signal.SIGTERM, None)  # gunicorn's handler, called here: no signal that could pass for the user's

    threading.Thread(target=wait, daemon=True, name="timeline-store-awaited").start()


if __name__ == "__main__":
    sys.exit(main())
