"""`timeline serve --engine duckdb`: a real server answering from its store what a server holding the
events in memory answers, and a bad file refused with every problem before anything is served."""

from __future__ import annotations

import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.core.query import View
from tests.conftest import QUICK_JVM
from tests.servers import ROOT, Client, Server
from tests.synthetic import generate


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine-server")
    parts = folder / "events"
    parts.mkdir()
    table = generate(6_000, n_themes=6, seed=12)
    pq.write_table(table.slice(0, 4_000), parts / "part-0.parquet")
    pq.write_table(table.slice(4_000), parts / "part-1.parquet")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(folder / "cache"))
        engine = Server(parts, "--engine", "duckdb")
        memory = Server(parts, "--engine", "memory")
    yield engine, memory, folder
    engine.stop()
    memory.stop()


def test_the_engine_server_answers_as_the_memory_server(servers):
    engine, memory, folder = servers
    assert "validated 6,000 of 6,000 rows (100%" in engine.log_text() and "store ready" in engine.log_text()
    assert list((folder / "cache" / "timeline").glob("*.store"))
    ours, theirs = Client(engine.url).figure(None), Client(memory.url).figure(None)
    assert ours == theirs
    assert ours["match-count"]["children"] == "6,000 of 6,000 events match"
    for view in (View(themes=("trade",)), View(text="summit", start="1800")):
        assert Client(engine.url).export(view, "csv") == Client(memory.url).export(view, "csv")


def test_the_tables_of_quick_clicks_are_made_beside_the_served_store(servers):
    """The server answers from the events alone as soon as they are stored; the tables of
    ``core.tiles`` are made by a process of its own and taken up once in place: the same answers."""
    engine, memory, folder = servers
    [made] = (folder / "cache" / "timeline").glob("*.store")
    deadline = time.monotonic() + 120
    # the maker says so once its work folder is removed, a moment after tables.json is in place
    while "tables of quick clicks in place" not in engine.log_text():
        assert time.monotonic() < deadline, engine.log_text()
        time.sleep(0.2)
    assert (made / "tables.json").exists()
    assert not [p for p in made.iterdir() if p.name.startswith(".tables-")]
    time.sleep(1.5)  # each process looks for them once a second
    for view in (View(), View(themes=("trade",)), View(x_range=(-2e12, 0.0))):
        assert Client(engine.url).figure(None, view) == Client(memory.url).figure(None, view)


def test_an_export_holds_the_same_figure(servers):
    """The page's HTML download, the figure of the view whole (images draw it at their print width:
    the same figure at that width in tests/io/test_engines.py), is the same, byte for byte."""
    engine, memory, _ = servers
    view = View(start="1900", end="2000")
    ours = Client(engine.url).export(view, "html")
    assert b"Plotly.newPlot" in ours and b" of 6,000 events" in ours  # the view's figure, its count in its subtitle
    assert ours == Client(memory.url).export(view, "html")


def test_a_bad_file_is_refused_with_its_rows(tmp_path):
    table = generate(1_200, n_themes=3, seed=1)
    dates = table["date"].to_pylist()
    dates[7] = "soon"
    table = table.set_column(table.schema.get_field_index("date"), "date", pa.array(dates))
    pq.write_table(table, tmp_path / "bad.parquet")
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "serve", str(tmp_path / "bad.parquet"), "--engine", "duckdb"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 1
    assert "row 8" in done.stderr and "'soon'" in done.stderr and "Traceback" not in done.stderr
    assert not list((tmp_path / "cache").rglob("events*.parquet"))


@pytest.mark.spark
def test_a_spark_server_answers_as_the_memory_server(servers):
    """``--engine spark`` in local mode: the JVM started in gunicorn's first process (``check_engine``),
    then used by the worker forked from it."""
    _, memory, folder = servers
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(folder / "cache"))  # the store the DuckDB server built
        mp.setenv("JAVA_TOOL_OPTIONS", QUICK_JVM)
        spark = Server(folder / "events", "--engine", "spark", timeout=300)
    try:
        assert Client(spark.url).figure(None) == Client(memory.url).figure(None)
        view = View(themes=("trade",), text="summit")
        assert Client(spark.url).export(view, "csv") == Client(memory.url).export(view, "csv")
    finally:
        spark.stop()


def test_spark_remote_needs_the_spark_engine(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "serve",
            str(ROOT / "data" / "events.csv"),
            "--engine",
            "duckdb",
            "--spark-remote",
            "sc://localhost:15002",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 2 and "--spark-remote is for --engine spark" in done.stderr
