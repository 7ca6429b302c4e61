"""Folders held while their process lives: what a process killed outright left is removed by the next
one, never a folder in use (real processes, killed with SIGKILL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.io import held
from dashboard.io.held import HeldFolder
from tests.conftest import end_all, started

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import os, sys, time
from pathlib import Path
from dashboard.io.held import HeldFolder
from tests.conftest import end_all, started
folder = HeldFolder(sys.argv[2], Path(sys.argv[1]))
if sys.argv[3] == "fork" and os.fork() == 0:  # a worker forked after: it holds the folder too
    time.sleep(300)
    os._exit(0)
print(folder.path, flush=True)
time.sleep(300)
"""


def holder(procs: list[subprocess.Popen[str]], parent: Path, prefix: str, fork: bool = False) -> Path:
    """The folder of ``prefix`` in ``parent`` a process holds (added to ``procs``)."""
    return Path(started(procs, HOLDER, str(parent), prefix, "fork" if fork else "-"))


def names(parent: Path) -> set[str]:
    return {p.name for p in parent.iterdir()}


def test_a_folder_left_by_a_process_killed_outright_is_removed_by_the_next_not_one_in_use(tmp_path):
    procs: list[subprocess.Popen[str]] = []
    try:
        gone, kept = holder(procs, tmp_path, "work-"), holder(procs, tmp_path, "work-")
        forked = holder(procs, tmp_path, "work-", fork=True)
        other_kind = holder(procs, tmp_path, "other-")
        killed, alive, parent_killed, other = procs
        (gone / "spill.tmp").write_bytes(b"x" * 1000)
        for proc in (killed, parent_killed, other):
            proc.kill()
            proc.wait(30)
        lockless = tmp_path / "work-of-an-earlier-version"
        lockless.mkdir()
        (tmp_path / "work-a-file").write_text("not a folder")
        assert {gone.name, kept.name, forked.name, other_kind.name} <= names(tmp_path)  # nothing ran at the kill

        made = HeldFolder("work-", tmp_path)
        # the killed one's removed; the live one's kept, and the one whose forked child still lives;
        # another kind's, one without a lock and a file are none of this one's business
        assert names(tmp_path) == {
            made.path.name,
            kept.name,
            forked.name,
            other_kind.name,
            "work-of-an-earlier-version",
            "work-a-file",
        }
        assert alive.poll() is None and (kept / held.LOCK).exists()
        made.remove()
        assert not made.path.exists()
        made.remove()  # again: nothing
    finally:
        end_all(procs)


def test_a_folder_goes_with_its_process_not_with_a_fork(tmp_path):
    """Made before a server's workers fork: a worker that exits leaves it to the others; the process
    that made it removes it when it ends, or when nothing refers to it any more (its remover kept
    elsewhere, as an engine's finalizer keeps it, keeps it)."""
    code = (
        "import gc, os, sys\n"
        "from pathlib import Path\n"
        "from dashboard.io.held import HeldFolder\n"
        "f = HeldFolder('w-', Path(sys.argv[1]))\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    sys.exit(0)  # a worker ending as gunicorn's do: exit handlers run\n"
        "os.waitpid(pid, 0)\n"
        "print(f.path.exists(), flush=True)\n"
        "g = HeldFolder('g-', Path(sys.argv[1])); path = g.path; del g; gc.collect()\n"
        "print(path.exists(), flush=True)\n"
        "h = HeldFolder('h-', Path(sys.argv[1])); path = h.path; remove = h.remove; del h; gc.collect()\n"
        "print(path.exists(), flush=True)  # its remover kept: kept\n"
        "remove(); print(path.exists(), flush=True)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.split() == ["True", "False", "True", "False"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("made_by", ["progress", "preparing", "duckdb"])
def test_the_servers_own_temporary_folders_left_by_a_kill_are_removed_by_the_next_server(made_by, tmp_path):
    """A server killed outright (``--debug``'s reloader ends its child so) left its search progress
    folder, its preparing page's and its database's spill folder in the system's temporary folder."""
    make = {
        "progress": "from dashboard.io.progress import ProgressFolder; f = ProgressFolder(); path = f.folder",
        "preparing": "import socket; from dashboard.web.preparing import PreparingPage; "
        "f = PreparingPage(socket.socket(), 'x', 'none'); path = f.status.path.parent",
        "duckdb": "from dashboard.io.engines import DuckDB; f = DuckDB(); path = f._spill",
    }[made_by]
    code = f"import time\n{make}\nprint(path, flush=True)\ntime.sleep(300)\n"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    procs: list[subprocess.Popen[str]] = []
    try:
        left = Path(started(procs, code, env=env))
        assert left.parent == tmp_path and left.is_dir()
    finally:
        end_all(procs)
    assert left.is_dir()  # nothing of the killed server's ran
    again = subprocess.run(
        [sys.executable, "-c", f"{make}\nprint(path.is_dir())"], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert again.stdout.split() == ["True"], again.stderr
    assert not left.exists()
    assert list(tmp_path.iterdir()) == []  # the second ended as it should: its own removed too
