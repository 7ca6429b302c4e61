"""The columnar cache beside large CSVs: used when it matches, rebuilt when the CSV changes."""

import os

import pytest

from dashboard.io import cache
from dashboard.io import formats as data
from tests.conftest import SMALL_CSV


@pytest.fixture(autouse=True)
def cache_everything(monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def test_second_load_comes_from_the_cache_and_is_identical(small_csv, monkeypatch):
    first = cache.load(small_csv)
    assert cache.cache_paths(small_csv)[0].exists()
    monkeypatch.setattr(cache, "parse_events", lambda *a: pytest.fail("CSV parsed again"))
    second = cache.load(small_csv)
    assert second.events.equals(first.events)
    assert second.eras.equals(first.eras) and second.extras.equals(first.extras)
    assert second.themes == first.themes and second.source_name == "small.csv"


def test_changed_csv_rebuilds_the_cache(small_csv):
    cache.load(small_csv)
    small_csv.write_text(SMALL_CSV.replace("Perry arrives", "Perry lands"), encoding="utf-8")
    os.utime(small_csv, ns=(1, 1))  # even an older mtime is a change
    tl = cache.load(small_csv)
    assert "Perry lands" in set(tl.events["title"])
    assert "Perry arrives" not in set(cache.load(small_csv).events["title"])


def test_corrupt_cache_is_ignored_and_replaced(small_csv):
    cache.load(small_csv)
    path = cache.cache_paths(small_csv)[0]
    path.write_bytes(b"not arrow at all")
    assert len(cache.load(small_csv).events) == 7
    assert path.read_bytes()[:6] == b"ARROW1"


def test_invalid_csv_is_never_cached(write_csv):
    bad = write_csv("date,title,themes\n2015-02-30,x,war\n")
    with pytest.raises(data.ValidationError):
        cache.load(bad)
    assert not any(p.exists() for p in cache.cache_paths(bad))


def test_unwritable_folder_uses_the_user_cache(small_csv, monkeypatch):
    beside, user = cache.cache_paths(small_csv)
    real_write = cache._write

    def write(target, *args):
        if target == beside:
            raise PermissionError(13, "Permission denied", str(target))
        real_write(target, *args)

    monkeypatch.setattr(cache, "_write", write)
    cache.load(small_csv)
    assert user.exists() and not beside.exists()
    monkeypatch.setattr(cache, "parse_events", lambda *a: pytest.fail("CSV parsed again"))
    assert len(cache.load(small_csv).events) == 7


def test_the_csv_itself_is_never_written(small_csv):
    before = (small_csv.read_bytes(), small_csv.stat().st_mtime_ns)
    cache.load(small_csv)
    cache.load(small_csv)
    assert (small_csv.read_bytes(), small_csv.stat().st_mtime_ns) == before


def test_small_files_are_not_cached(small_csv, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 1 << 20)
    cache.load(small_csv)
    assert not any(p.exists() for p in cache.cache_paths(small_csv))


def test_the_cache_is_keyed_on_how_the_file_was_read(write_csv, monkeypatch):
    from dashboard.io.read_options import ReadOptions

    path = write_csv("date,When,Event,Other,Group\n1066,1215,Hastings,Magna Carta,war\n")
    by_alias = ReadOptions()
    mapped = ReadOptions.of("date=When,title=Other,themes=Group")
    first = cache.load(path, options=by_alias)
    second = cache.load(path, options=mapped)
    assert (first.events["title"][0], second.events["title"][0]) == ("Hastings", "Magna Carta")
    assert cache.cache_paths(path, by_alias)[0] != cache.cache_paths(path, mapped)[0]
    assert all(cache.cache_paths(path, o)[0].exists() for o in (by_alias, mapped))
    monkeypatch.setattr(cache, "parse_events", lambda *a: pytest.fail("parsed again"))
    assert cache.load(path, options=mapped).events["title"][0] == "Magna Carta"
    assert cache.load(path, options=by_alias).events["title"][0] == "Hastings"


def test_a_cache_written_with_other_options_is_not_used(write_csv):
    from dashboard.io.read_options import ReadOptions

    path = write_csv("date,Event,Other,Group\n1066,Hastings,Magna Carta,war\n")
    cache.load(path)
    mapped = ReadOptions.of("title=Other")
    # a cache file in the place of the mapped one, but holding the unmapped timeline: its key says so
    cache.cache_paths(path, mapped)[0].write_bytes(cache.cache_paths(path)[0].read_bytes())
    assert cache.load(path, options=mapped).events["title"][0] == "Magna Carta"
