"""One upload folder shared by several servers (processes on one machine, hosts on a shared file system).

Each test is a way two servers sharing the folder went wrong: two instances of :class:`Datasets` on
one folder stand for two servers (each with its own memory), and where it matters a real second
process does the other server's part.
"""

from __future__ import annotations

import errno
import fcntl
import multiprocessing
import os
import threading
import time

import pytest

from dashboard.core.model import ValidationError
from dashboard.io.formats import load_timeline
from dashboard.io.read_options import ReadOptions
from dashboard.web import datasets as datasets_module
from dashboard.web.datasets import Datasets, private_dir

MAPPED = b"When,What,Kind\n1066,Hastings,war\n1215,Magna Carta,politics\n"
WHEN_WHAT = ReadOptions.of({"date": "When", "title": "What", "themes": "Kind"})


@pytest.fixture
def served(small_csv):
    return load_timeline(small_csv)


def server(served, folder, **kw) -> Datasets:
    """Another server on the same folder: its own, empty memory."""
    return Datasets(served, upload_dir=folder, **kw)


def upload(i: int, size: int = 2000) -> bytes:
    return f"date,title,themes,description\n{1900 + i},T{i},war,{'x' * size}\n".encode()


def test_the_same_bytes_under_two_names_stay_two_uploads(served, tmp_path):
    """Two users sending the same bytes as different files each see their own file's name, on every server."""
    a, b = server(served, tmp_path / "up"), server(served, tmp_path / "up")
    data = b"date,title,themes\n1990,Mine,war\n"
    mine, _ = a.add(data, "mine.csv")
    yours, _ = b.add(data, "yours.csv")
    assert a.get(mine).source_name == "mine.csv" and b.get(yours).source_name == "yours.csv"
    assert a.get(yours).source_name == "yours.csv" and b.get(mine).source_name == "mine.csv"
    fresh = server(served, tmp_path / "up")
    assert (fresh.get(mine).source_name, fresh.get(yours).source_name) == ("mine.csv", "yours.csv")


def _plain(d: Datasets) -> str:
    return d.add(MAPPED, "kings.csv", WHEN_WHAT)[0]  # read with the columns its user chose


def _combination(d: Datasets) -> str:
    return d.add_to(d.add(upload(1), "one.csv")[0], upload(2), "two.csv")[0]


@pytest.mark.parametrize("make", [_plain, _combination], ids=["upload with its columns", "combination"])
def test_a_reader_sees_the_whole_upload_or_gone_whatever_file_of_it_is_missing(served, tmp_path, make):
    """The clean-up (or a crash, or another server) removes an upload's files one at a time while another
    server reads them: at each step that server must get the whole upload or 'gone' (KeyError), never a
    traceback nor the bytes read another way (e.g. without the columns its user chose)."""
    folder = tmp_path / "up"
    key = make(server(served, folder))
    whole = server(served, folder).get(key).events["title"].tolist()
    kept = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != ".lock"}
    for name in kept:
        (folder / name).unlink()
        try:
            got = server(served, folder).get(key).events["title"].tolist()
        except KeyError:
            got = None
        assert got in (whole, None), name
        for other, data in kept.items():
            (folder / other).write_bytes(data)


def test_a_file_someone_else_broke_is_gone_not_a_traceback(served, tmp_path):
    a = server(served, tmp_path / "up")
    key, _ = a.add(upload(1), "one.csv")
    path = tmp_path / "up" / f"{key}.upload"
    path.write_bytes(path.read_bytes().replace(b"1901", b"19x1"))
    with pytest.raises(KeyError):
        server(served, tmp_path / "up").get(key)


def _read_from_disk(b: Datasets, key: str) -> None:
    b.get(key)


def _read_from_memory(b: Datasets, key: str) -> None:
    b.get(key)  # in B's memory since before the file grew old: reading it there is a use too


def _send_again(b: Datasets, key: str) -> None:
    b.add(upload(0), "0.csv")  # another user, another server, the same file


@pytest.mark.parametrize("use", [_read_from_disk, _read_from_memory, _send_again])
def test_the_clean_up_keeps_what_another_server_is_using(served, tmp_path, use):
    """Server B uses an old upload; server A's clean-up must see that it is in use and remove an
    upload nobody has asked for since instead."""
    folder = tmp_path / "up"
    a = server(served, folder, max_dir_bytes=7_000)
    b = server(served, folder, touch_every_s=0)
    used, _ = a.add(upload(0), "0.csv")
    idle, _ = a.add(upload(1), "1.csv")
    if use is _read_from_memory:
        b.get(used)
    old = time.time() - 3600
    os.utime(folder / f"{used}.upload", (old, old))
    os.utime(folder / f"{idle}.upload", (old + 1, old + 1))
    use(b, used)
    a.add(upload(2), "2.csv")
    a.add(upload(3), "3.csv")  # past the cap: one of the two old ones must go
    assert (folder / f"{used}.upload").exists() and not (folder / f"{idle}.upload").exists()


def test_using_a_combination_keeps_its_parts(served, tmp_path):
    """A combination names its parts: while it is used, its parts are used too."""
    folder = tmp_path / "up"
    a = server(served, folder, max_dir_bytes=10_000)
    b = server(served, folder, touch_every_s=0)
    base, _ = a.add(upload(0), "0.csv")
    combo, _ = a.add_to(base, upload(1), "1.csv")
    idle, _ = a.add(upload(2), "2.csv")
    old = time.time() - 3600
    for i, p in enumerate(folder.glob("*.upload")):
        os.utime(p, (old + i, old + i))
    os.utime(folder / f"{idle}.upload", (old + 100, old + 100))  # the newest of the old ones
    assert b.get(combo).topics == ["0", "1"]
    a.add(upload(3), "3.csv")
    a.add(upload(4), "4.csv")
    assert server(served, folder).get(combo).topics == ["0", "1"]
    assert not (folder / f"{idle}.upload").exists()


def test_the_lock_holds_between_threads_where_locks_are_per_process(served, tmp_path, monkeypatch):
    """On NFS, Linux turns flock into a POSIX lock, which belongs to the process: two threads of one
    server would both hold it. Simulated here with fcntl.lockf, which has those semantics."""
    monkeypatch.setattr(datasets_module.fcntl, "flock", lambda fh, op: fcntl.lockf(fh, op))
    a, b = server(served, tmp_path / "up"), server(served, tmp_path / "up")
    inside, overlaps = [0], [0]
    count = threading.Lock()

    def hold(d: Datasets) -> None:
        for _ in range(20):
            with d._dir_lock():
                with count:
                    inside[0] += 1
                    overlaps[0] += inside[0] > 1
                time.sleep(0.002)
                with count:
                    inside[0] -= 1

    threads = [threading.Thread(target=hold, args=(d,)) for d in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps[0] == 0


@pytest.mark.parametrize("code", [errno.ENOLCK, errno.EOPNOTSUPP])
def test_a_folder_without_locks_still_takes_uploads(served, tmp_path, monkeypatch, code):
    """A shared file system without a lock service: each write is still whole (a temp file and a
    rename), so uploads still work."""

    def refuse(fh, op):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(datasets_module.fcntl, "flock", refuse)
    a = server(served, tmp_path / "up")
    key, _ = a.add(upload(1), "one.csv")
    assert server(served, tmp_path / "up").get(key).events["title"].tolist() == ["T1"]


def _make_folder(path: str, umask: int) -> None:
    os.umask(umask)
    private_dir(__import__("pathlib").Path(path))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_folder_another_server_of_the_same_user_made_is_accepted(served, tmp_path, umask):
    folder = tmp_path / "shared" / "up"
    proc = multiprocessing.get_context("spawn").Process(target=_make_folder, args=(str(folder), umask))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    key, _ = server(served, folder).add(upload(1), "one.csv")
    assert server(served, folder).get(key).source_name == "one.csv"


def test_servers_starting_at_once_on_a_new_folder_all_start(served, tmp_path):
    folder = tmp_path / "new" / "up"
    errors: list[BaseException] = []

    def start() -> None:
        try:
            server(served, folder)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def _read_while_cleaning(args) -> list[str]:
    """Another server, reading uploads over and over while the first one's clean-up removes them."""
    served_file, folder, keys, seconds = args
    from dashboard.io.formats import load_timeline as load

    d = Datasets(load(served_file), upload_dir=folder, kept=0)
    seen, end = [], time.time() + seconds
    while time.time() < end:
        for key, title in keys:
            try:
                got = d.get(key).events["title"].tolist()
            except KeyError:
                seen.append("gone")
                continue
            seen.append("right" if got == [title] else f"wrong: {got}")
    return seen


def test_a_reader_racing_the_clean_up_sees_the_whole_upload_or_gone(served, small_csv, tmp_path):
    folder = tmp_path / "up"
    a = server(served, folder, max_dir_bytes=40_000)
    keys = [
        (
            a.add(MAPPED.replace(b"Hastings", f"H{i}".encode()).split(b"\n1215")[0] + b"\n", f"{i}.csv", WHEN_WHAT)[0],
            f"H{i}",
        )
        for i in range(6)
    ]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        reading = pool.map_async(_read_while_cleaning, [(small_csv, folder, keys, 3.0)])
        end = time.time() + 3.0
        i = 100
        while time.time() < end:
            a.add(upload(i, 8_000), f"{i}.csv")
            i += 1
        seen = reading.get(60)[0]
    assert seen and all(s in ("right", "gone") for s in seen), sorted(set(seen))


def test_a_bad_upload_is_still_refused_with_its_line(served, tmp_path):
    with pytest.raises(ValidationError) as info:
        server(served, tmp_path / "up").add(b"date,title,themes\n2015-02-30,x,war\n", "bad.csv")
    assert info.value.problems[0].line == 2
