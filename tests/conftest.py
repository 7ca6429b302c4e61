"""Shared fixtures: small event files written the way people's spreadsheets write them."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# In CI the fuzzers replay a fixed set of examples, so a run is reproducible; on a developer's
# machine they explore new ones each time.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent

SAME_WORKER = {
    "tests/io/test_engines.py": "local Spark",
    "tests/io/test_tiles.py": "local Spark",
    "tests/io/test_store.py": "local Spark",
    "tests/browser/test_app.py": "export browser",
    "tests/render/test_exports.py": "export browser",
    "tests/test_cli.py": "export browser",
}
"""Test files that share a session fixture costly to start (a local Spark: a JVM, some 10 CPU-seconds
to start and warm; this process's export browser: 4), run by one test process under ``-n 2 --dist
loadfile`` (scripts/check.sh) so that it starts once."""

FIRST = "local Spark"
"""The largest unit of work, handed out first so that the other test process is not left idle at the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of :data:`FIRST` before every other (each file's tests in their own order)."""
    items.sort(key=lambda item: SAME_WORKER.get(item.nodeid.split("::")[0]) != FIRST)


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the files of :data:`SAME_WORKER` as one unit of work each."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesSharingAWorker(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return SAME_WORKER.get(path, path)

    return FilesSharingAWorker(config, log)


DATASET = ROOT / "data" / "events.csv"

SMALL_CSV = """id,date,end_date,title,themes,description,actors,location,source,importance,kind,notes
perry,1853-07-08,,Perry arrives,diplomacy;security,"Black ships, ""kurofune"", arrive
at Uraga",Matthew Perry;Tokugawa shogunate,Uraga,https://example.org/perry,5,,first
kanagawa,1854-03-31,,Convention of Kanagawa,diplomacy;trade,Treaty opens ports,,,https://example.org/k,4,,
marathon,-490,,Battle of Marathon,war,Ancient battle,,Marathon,,2,,
occupation,1945-09-02,1952-04-28,Occupation,security,Allied occupation,,,,3,,
abe,2015-04-29,,Abe addresses Congress,diplomacy,Joint meeting speech,Shinzo Abe,Washington,,5,,
trade-talks,2015-04,,日米貿易協議,trade,Talks in Tokyo,,東京,,3,,
treaty51,1951,,Security treaty,security,,,,,4,,
coldwar,1947,1991,Cold War,,,,,,,era,
"""


QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"
"""The JVM's quick compiler only: a test's Spark is done before the optimising one would pay for the
CPU it takes (measured: 44 s of JVM CPU for the Spark tests instead of 78 s). With it alone the JVM
keeps 48 MB for compiled code instead of 240 MB, which the tests' one session filled (Spark compiles
every query's code): the JVM then failed ("Out of space in CodeCache for adapters")."""

TEST_SPARK = {
    "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
    "spark.connect.grpc.binding.address": "127.0.0.1",
    "spark.connect.grpc.binding.port": "0",
    "spark.driver.extraJavaOptions": QUICK_JVM,
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark for the whole test session: its JVM takes seconds to start, a session on it none.
    It serves Spark Connect too, on a free port of this machine's loopback, so that the Connect client
    (and a server told ``--spark-remote``) is tested against the same Spark without a second JVM."""
    from dashboard.io.engines import spark_session

    session = spark_session(conf=TEST_SPARK)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_connect(spark) -> str:
    """The address of the test Spark's Connect server."""
    service = getattr(spark._jvm, "org.apache.spark.sql.connect.service.SparkConnectService$")
    return f"sc://127.0.0.1:{getattr(service, 'MODULE$').localPort()}"


@pytest.fixture(scope="session")
def export_browser():
    """This process's export browser (kaleido's headless Chromium, some 4 CPU-seconds to start),
    started once for every test of the session that renders images in process."""
    from dashboard.render import images

    images.start_export_server()
    yield
    images.stop_export_server()


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    return path


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write bytes or text to a CSV file in a temporary folder and return its path."""

    def write(content: str | bytes, name: str = "in.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


def started(procs: list[subprocess.Popen[str]], code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """The first line a Python process running ``code`` with ``args`` prints (saying it is at the point a
    test needs), the process in a group of its own and added to ``procs`` at once, for
    :func:`end_all` to end whatever happens."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    procs.append(proc)
    assert proc.stdout is not None and select.select([proc.stdout], [], [], 120)[0], "it printed nothing"
    return proc.stdout.readline().rstrip("\n")


def end_all(procs: list[subprocess.Popen[str]]) -> None:
    """Each process of ``procs`` killed with its group (a child it forked outlives it otherwise)."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
