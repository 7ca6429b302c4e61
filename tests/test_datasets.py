"""Uploads: validated, kept per key on disk and in a bounded memory, never mixed up."""

import pytest

from dashboard.data import ValidationError, load_timeline
from dashboard.datasets import Datasets
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
