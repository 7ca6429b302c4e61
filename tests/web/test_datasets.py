"""Uploads: validated, kept per key on disk and in a bounded memory, never mixed up."""

import multiprocessing
import os
import re
import stat
import subprocess
import sys

import pytest

from dashboard.core.model import ValidationError
from dashboard.io.formats import load_timeline
from dashboard.web.datasets import Datasets, UnsafeUploadDir
from tests.conftest import SMALL_CSV


@pytest.fixture
def served(small_csv):
    return load_timeline(small_csv)


def test_upload_is_kept_under_its_key_and_found_by_another_process(served, tmp_path):
    a = Datasets(served, upload_dir=tmp_path / "up")
    key, tl = a.add(b"date,title,themes\n1990,Mine,war\n", "mine.csv")
    assert a.get(key) is tl and a.get(None) is served
    b = Datasets(served, upload_dir=tmp_path / "up")  # another worker: same folder, empty memory
    assert list(b.get(key).events["title"]) == ["Mine"] and b.get(key).source_name == "mine.csv"


def test_bad_upload_raises_and_keeps_nothing(served, tmp_path):
    d = Datasets(served, upload_dir=tmp_path / "up")
    with pytest.raises(ValidationError) as info:
        d.add(b"date,title,themes\n2015-02-30,x,war\n", "bad.csv")
    assert info.value.problems[0].line == 2
    assert not (tmp_path / "up").exists() or not list((tmp_path / "up").iterdir())


def test_size_limit_is_clear(served, tmp_path):
    d = Datasets(served, upload_dir=tmp_path, max_upload_bytes=100)
    with pytest.raises(ValidationError, match=r"at most 0 MB.*--max-upload-mb"):
        d.add(SMALL_CSV.encode(), "big.csv")


@pytest.mark.parametrize("key", ["../../etc/passwd", "x" * 64, "A" * 64, 12, "0" * 63])
def test_foreign_keys_are_refused(served, tmp_path, key):
    with pytest.raises(KeyError):
        Datasets(served, upload_dir=tmp_path).get(key)


def test_memory_holds_a_bounded_number_of_uploads(served, tmp_path):
    d = Datasets(served, upload_dir=tmp_path, kept=2)
    keys = [d.add(f"date,title,themes\n199{i},T{i},war\n".encode(), f"{i}.csv")[0] for i in range(4)]
    assert len(d._loaded) == 2
    assert list(d.get(keys[0]).events["title"]) == ["T0"]  # reloaded from disk
    assert len(d._loaded) == 2


def test_a_new_upload_folder_is_private(served, tmp_path):
    Datasets(served, upload_dir=tmp_path / "a" / "up")
    info = (tmp_path / "a" / "up").stat()
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: (p.mkdir(), p.chmod(0o777)), "can be read or written by other users (mode 777)"),
        (lambda p: (p.mkdir(), p.chmod(0o750)), "(mode 750)"),
        (lambda p: (p.mkdir(mode=0o700), os.chown(p, 65534, 65534)), "belongs to another user (uid 65534)"),
        (
            lambda p: (p.with_name("elsewhere").mkdir(mode=0o700), p.symlink_to(p.with_name("elsewhere"))),
            "is not a folder (or is a link)",
        ),
        (lambda p: p.write_text("x"), "is not a folder"),
    ],
)
def test_an_unsafe_upload_folder_is_refused(served, tmp_path, make, message):
    path = tmp_path / "up"
    make(path)
    with pytest.raises(UnsafeUploadDir, match=re.escape(message)):
        Datasets(served, upload_dir=path)


def test_serve_refuses_to_start_on_an_unsafe_upload_folder(small_csv, tmp_path):
    path = tmp_path / "shared"
    path.mkdir()
    path.chmod(0o777)
    r = subprocess.run(
        [sys.executable, "-m", "dashboard", "serve", str(small_csv), "--port", "0", "--upload-dir", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"timeline serve: the upload folder {path} can be read or written by other users" in r.stderr


def upload(i: int) -> bytes:
    return f"date,title,themes,description\n{1900 + i},T{i},war,{'x' * 2000}\n".encode()


def test_every_file_in_the_folder_counts_against_the_cap(served, tmp_path):
    d = Datasets(served, upload_dir=tmp_path / "up", max_dir_bytes=10_000)
    stray = tmp_path / "up" / ".leftover.tmp"
    stray.write_bytes(b"x" * 6_000)
    os.utime(stray, (1, 1))  # the oldest thing there
    keys = [d.add(upload(i), f"{i}.csv")[0] for i in range(3)]
    files = [p for p in (tmp_path / "up").iterdir()]
    assert sum(p.stat().st_size for p in files) <= 10_000
    assert not stray.exists()  # counted, and the first to go
    assert (tmp_path / "up" / f"{keys[-1]}.upload").exists()


def _add_many(args):
    """One of several processes, each a server of the same file on the same upload folder."""
    served_file, folder, start = args
    from dashboard.io.formats import load_timeline as load

    d = Datasets(load(served_file), upload_dir=folder, max_dir_bytes=20_000)
    return [d.add(upload(i), f"{i}.csv")[0] for i in range(start, start + 15)]


def test_cleanup_is_safe_with_several_processes_at_once(served, small_csv, tmp_path):
    folder = tmp_path / "up"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_add_many, [(small_csv, folder, 100 * k) for k in range(4)])
    assert sum(len(k) for k in keys) == 60  # no process failed
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 20_000
    names = {p.name for p in folder.iterdir()} - {".lock"}
    assert all(n.endswith(".upload") and not n.startswith(".") for n in names)  # no leftover of a write
    reader = Datasets(served, upload_dir=folder)
    kept = [k for ks in keys for k in ks if f"{k}.upload" in names]
    assert kept and all(reader.get(k).events["title"].tolist()[0].startswith("T") for k in kept)


def test_a_workbook_upload_opens_like_a_csv(served, tmp_path):
    from tests.workbooks import ods, xlsx

    d = Datasets(served, upload_dir=tmp_path / "up")
    for make, name in ((xlsx, "kings.xlsx"), (ods, "kings.ods")):
        key, tl = d.add(make({"Sheet1": [["Year", "Name"], [1066, "William"], [1087, "William II"]]}), name)
        assert tl.events["title"].tolist() == ["William", "William II"] and tl.themes == ["kings"]
        again = Datasets(served, upload_dir=tmp_path / "up").get(key)  # read back from disk by another worker
        assert again.events["title"].tolist() == ["William", "William II"]
    with pytest.raises(ValidationError) as info:
        d.add(xlsx({"Sheet1": [["Year", "Name"], ["10x6", "William"]]}), "bad.xlsx")
    [p] = info.value.problems
    assert p.describe().startswith("Sheet1!A2, column 'Year': '10x6': expected a date")
