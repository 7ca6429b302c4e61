"""Progress of work under way, kept in files that every process of a server reads, named by keys
that are never paths."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dashboard.io.progress import KEY_DIGITS, ProgressFolder, StatusFile, Step, check_key, progress_key

ROOT = Path(__file__).resolve().parents[2]


def test_what_is_recorded_is_read_back_until_cleared(tmp_path):
    folder = ProgressFolder(tmp_path / "progress")
    key = progress_key("store", "treaty")
    assert folder.read(key) is None
    folder.record(key, 0, 10_000_000)
    folder.record(key, 4_500_000, 10_000_000)
    found = folder.read(key)
    assert found is not None and found.as_dict() == {"done": 4_500_000, "total": 10_000_000}
    assert [p.name for p in folder.folder.iterdir()] == [f"{key}.json"]  # no partial file left behind
    folder.clear(key)
    folder.clear(key)  # twice: nothing to clear is no error
    assert folder.read(key) is None and list(folder.folder.iterdir()) == []


def test_keys_are_hashes_of_what_they_name():
    assert len(progress_key("a")) == KEY_DIGITS and check_key(progress_key("a")) == progress_key("a")
    assert progress_key("a", "b") != progress_key("ab") != progress_key("a b")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "0" * (KEY_DIGITS - 1),
        "0" * (KEY_DIGITS + 1),
        "A" * KEY_DIGITS,
        "g" * KEY_DIGITS,
        "../" + "0" * (KEY_DIGITS - 3),
        "/etc/passwd",
        "0" * (KEY_DIGITS - 1) + "\n",
        "0" * KEY_DIGITS + "\n",
        "０" * KEY_DIGITS,  # full-width digits: digits to Unicode, not to a key
    ],
)
def test_anything_but_a_key_is_refused(key, tmp_path):
    folder = ProgressFolder(tmp_path)
    for use in (folder.read, folder.clear, lambda k: folder.record(k, 1, 2)):
        with pytest.raises(ValueError, match=f"a progress key is {KEY_DIGITS} hexadecimal digits"):
            use(key)
    assert list(tmp_path.iterdir()) == []


def test_a_reader_never_sees_half_a_record(tmp_path):
    """Many threads write while another process reads: every read is a whole record."""
    folder = ProgressFolder(tmp_path)
    key = progress_key("busy")
    folder.record(key, 0, 10**12)
    stop = threading.Event()

    def write(offset: int) -> None:
        n = offset
        while not stop.is_set():
            folder.record(key, n, 10**12)
            n += 8

    writers = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for w in writers:
        w.start()
    try:
        reads = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from dashboard.io.progress import ProgressFolder\n"
                "f = ProgressFolder(Path(sys.argv[1]))\n"
                "for _ in range(2000):\n"
                "    p = f.read(sys.argv[2]); assert p is not None and p.total == 10**12, p\n"
                "print('ok')",
                str(tmp_path),
                key,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert reads.stdout.strip() == "ok", reads.stderr


def test_the_folder_made_goes_with_the_process_that_made_it_not_with_a_fork():
    """A server makes the folder before its workers fork: a worker that exits leaves it to the others;
    the server, when it ends, removes it."""
    code = (
        "import os, sys\n"
        "from dashboard.io.progress import ProgressFolder, progress_key\n"
        "f = ProgressFolder(); f.record(progress_key('x'), 1, 2)\n"
        "print(f.folder, flush=True)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    sys.exit(0)  # a worker ending as gunicorn's do: exit handlers run\n"
        "os.waitpid(pid, 0)\n"
        "print(f.folder.exists(), flush=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    made, after_fork = out.stdout.split()
    assert after_fork == "True"
    assert not os.path.exists(made)


def test_a_servers_step_is_recorded_whole_and_read_back(tmp_path):
    status = StatusFile(tmp_path / "status.json")
    assert status.read() is None
    status.say("validated 5 of 10 rows", Step("validating", 5, 10))
    assert status.read() == Step("validating", 5, 10)
    status.say("said on the terminal alone")
    assert status.read() == Step("validating", 5, 10)
    (tmp_path / "status.json").write_text('{"name": "validating", "done": "many"}', encoding="utf-8")
    assert status.read() is None  # not one this version writes: no step rather than a wrong one
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no partial file left


def test_a_step_is_one_of_the_known_steps():
    with pytest.raises(ValueError, match="a step is one of loading, themes, validating"):
        Step("guessing")
