"""The Parquet cache beside large inputs: used when it matches, rebuilt when the input changes or the
cache is damaged, identical to a fresh load in every column, and readable by a SQL engine as it is."""

import os
import threading
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.io import cache, parquet
from dashboard.io import formats as data
from tests.conftest import SMALL_CSV

PICTURE = "https://upload.wikimedia.org/wikipedia/commons/8/86/First_flight2.jpg"
THEMES = [f"t{i:02d}" for i in range(64)]
HEADER = (
    "id,date,end_date,title,title_ja,themes,description,importance,kind,calendar,"
    "life_start,life_end,media,media_caption,media_credit,media_thumbnail,story,notes"
)
ROWS = [
    f"all,1853-07-08,,Every theme,全部,{';'.join(THEMES)},<b>bold</b>,5,,,,,{PICTURE},A plane,Wright,,2,first",
    "last,c. 1600,,The 64th theme alone,,t63,,1,,,,,,,,,1,",
    "jul,1582-10-04,,Julian day,,t00,,3,,julian,,,,,,,,",
    "life,1558-11-17,1603-03-24,Elizabeth I,エリザベス,t01,,4,,,1533-09-07,1603-03-24,,,,,,second",
    "bce,-490,,Marathon,,t02,,2,,,,,,,,,-1,",
    "mid,2015-04,,Talks,,t03,,3,,,,,,,,,,",
    "era1,1947,1991,Cold War,冷戦,t05;t06,,,era,,,,,,,,,an era's note",
    "era2,1603,1868,Edo,,,,,era,,,,,,,,,",
]
CSV = "\n".join([HEADER, *ROWS]) + "\n"
COVER = {"title": "A cover", "description": "Opens the story", "media": PICTURE}


@pytest.fixture(autouse=True)
def cache_everything(monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@pytest.fixture
def parses(monkeypatch):
    """How many times an input was read and validated (rather than taken from a cache)."""
    count = [0]
    for name in ("parse_events", "load_dataset"):
        real = getattr(cache, name)

        def counted(*args, _real=real, **kwargs):
            count[0] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(cache, name, counted)
    return count


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.eras, b.eras)
    pd.testing.assert_frame_equal(a.extras, b.extras)
    pd.testing.assert_frame_equal(a.era_extras, b.era_extras)
    pd.testing.assert_frame_equal(a.lives, b.lives)
    assert (a.themes, a.title, a.cover, a.rich_text, a.source_name) == (
        b.themes,
        b.title,
        b.cover,
        b.rich_text,
        b.source_name,
    )


def parquet_input(path, text=CSV):
    """The same rows as a Parquet input (text columns), with a title, a cover and rich text in its metadata."""
    lines = [line.split(",") for line in text.strip().split("\n")]
    table = pa.table({name: [row[i] for row in lines[1:]] for i, name in enumerate(lines[0])})
    parquet.write_table(table, path, {"title": "Flights", "cover": COVER, "rich_text": True})
    return path


@pytest.fixture(params=["csv", "parquet"])
def every_column(request, tmp_path):
    if request.param == "csv":
        path = tmp_path / "every.csv"
        path.write_text(CSV, encoding="utf-8")
        return path
    return parquet_input(tmp_path / "every.parquet")


def test_second_load_comes_from_the_cache_and_is_identical(small_csv, parses):
    first = cache.load(small_csv)
    beside = cache.cache_paths(small_csv)[0]
    assert beside.name == ".small.csv.timeline-cache.parquet" and beside.exists()
    second = cache.load(small_csv)
    assert parses[0] == 1
    assert second.events.equals(first.events)
    assert second.eras.equals(first.eras) and second.extras.equals(first.extras)
    assert second.themes == first.themes and second.source_name == "small.csv"


def test_every_column_survives_the_cache(every_column, parses):
    fresh = data.load_timeline(every_column)
    assert len(fresh.themes) == 64 and int(fresh.events["theme_mask"].iloc[1]) == 1 << 63
    assert len(fresh.lives) == 1 and len(fresh.eras) == 2 and list(fresh.extras) == ["notes"]
    assert fresh.era_extras.to_dict("list") == {"themes": ["t05;t06", ""], "notes": ["an era's note", ""]}
    assert {"media", "media_caption", "story", "title_ja", "date_text"} <= set(fresh.events.columns)
    assert fresh.events["julian"].iloc[2] and fresh.events["date_text"].iloc[1] == "c. 1600"
    first = cache.load(every_column)
    second = cache.load(every_column)
    assert parses[0] == 1
    for loaded in (first, second):
        assert_same(loaded, fresh)
    if every_column.suffix == ".parquet":
        assert (second.title, second.cover, second.rich_text) == ("Flights", COVER, True)


def test_a_single_parquet_input_is_cached_beside_it(tmp_path, parses):
    path = parquet_input(tmp_path / "flights.parquet")
    cache.load(path)
    assert cache.cache_paths(path)[0] == tmp_path / ".flights.parquet.timeline-cache.parquet"
    assert cache.cache_paths(path)[0].exists()
    cache.load(path)
    assert parses[0] == 1


def test_an_engine_reads_the_events_as_they_are(every_column):
    timeline = cache.load(every_column)
    path = cache.cache_paths(every_column)[0]
    schema = pq.read_schema(path)
    kinds = {
        "row": pa.int64(),
        "_era": pa.bool_(),
        "start": pa.float64(),
        "end": pa.float64(),
        "latest": pa.float64(),
        "start_prec": pa.int8(),
        "importance": pa.int8(),
        "theme_mask": pa.int64(),
        "story": pa.float64(),
    }
    assert {name: schema.field(name).type for name in kinds} == kinds
    assert str(pq.ParquetFile(path).schema.column(schema.get_field_index("title")).logical_type) == "String"
    found = duckdb.sql(cache.events_view_sql(f"read_parquet('{path}')") + " ORDER BY row").fetchdf()
    events = timeline.events
    assert found["row"].tolist() == list(range(len(events)))
    assert found["id"].tolist() == events["id"].tolist()
    assert found["theme_mask"].to_numpy().view(np.uint64).tolist() == events["theme_mask"].tolist()
    assert found["theme_mask"].iloc[1] < 0  # the 64th theme is the sign bit
    assert found["end"].isna().tolist() == events["end"].isna().tolist()
    # an engine answers in the timeline's row numbers: events of theme t63 (bit 63), from SQL alone
    rows = duckdb.sql(
        f"SELECT row FROM read_parquet('{path}') WHERE {cache.EVENTS_WHERE} AND theme_mask < 0 ORDER BY row"
    ).fetchall()
    assert [r for (r,) in rows] == [0, 1]
    eras = duckdb.sql(f"SELECT row, title FROM read_parquet('{path}') WHERE _era ORDER BY row").fetchall()
    assert eras == [(len(events) + i, t) for i, t in enumerate(timeline.eras["title"])]


def test_changed_csv_rebuilds_the_cache(small_csv):
    cache.load(small_csv)
    small_csv.write_text(SMALL_CSV.replace("Perry arrives", "Perry lands"), encoding="utf-8")
    os.utime(small_csv, ns=(1, 1))  # even an older mtime is a change
    tl = cache.load(small_csv)
    assert "Perry lands" in set(tl.events["title"])
    assert "Perry arrives" not in set(cache.load(small_csv).events["title"])


def _grow(path):
    path.write_text(path.read_text() + "extra,1999,,Added,war,,,,,,,\n")


def _touch(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))


def _new_version(path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_VERSION", cache.CACHE_VERSION + 1)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p, mp: _grow(p), id="size"),
        pytest.param(lambda p, mp: _touch(p), id="mtime only, same bytes"),
        pytest.param(_new_version, id="version"),
    ],
)
def test_each_part_of_the_key_rebuilds_the_cache(small_csv, parses, monkeypatch, change):
    first = cache.load(small_csv)
    cache.load(small_csv)
    assert parses[0] == 1
    change(small_csv, monkeypatch)
    again = cache.load(small_csv)
    assert parses[0] == 2
    cache.load(small_csv)
    assert parses[0] == 2  # and the rebuilt cache is used
    assert len(again.events) >= len(first.events)


def test_invalid_csv_is_never_cached(write_csv):
    bad = write_csv("date,title,themes\n2015-02-30,x,war\n")
    with pytest.raises(data.ValidationError):
        cache.load(bad)
    assert not any(p.exists() for p in cache.cache_paths(bad))


def test_unwritable_folder_uses_the_user_cache(small_csv, monkeypatch, tmp_path):
    beside, user = cache.cache_paths(small_csv)
    assert user.parent == tmp_path / "user-cache" / "timeline" and user.suffix == ".parquet"
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


def test_an_old_arrow_cache_is_ignored_and_left_alone(small_csv, parses):
    old = small_csv.with_name(".small.csv.timeline-cache")
    # an Arrow IPC file as version 6 wrote it, holding another timeline under a matching key
    stat = small_csv.stat()
    key = {"version": 6, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "options": ""}
    table = pa.table({"title": ["Not from this file"]}).replace_schema_metadata({b"timeline": str(key).encode()})
    with pa.OSFile(str(old), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    before = old.read_bytes()
    tl = cache.load(small_csv)
    assert parses[0] == 1 and "Perry arrives" in set(tl.events["title"])
    assert old.read_bytes() == before


def test_corrupt_cache_is_ignored_and_replaced(small_csv):
    cache.load(small_csv)
    path = cache.cache_paths(small_csv)[0]
    path.write_bytes(b"not parquet at all")
    assert len(cache.load(small_csv).events) == 7
    assert path.read_bytes()[:4] == b"PAR1" and pq.read_metadata(path).num_rows == 8


def _cut(path, keep):
    path.write_bytes(path.read_bytes()[:keep])


@pytest.mark.parametrize("keep", [0, 4, 0.5, -1, -8, -200], ids=lambda k: f"keep {k}")
def test_a_cut_short_cache_is_rebuilt(every_column, parses, keep):
    fresh = cache.load(every_column)
    path = cache.cache_paths(every_column)[0]
    whole = path.read_bytes()
    _cut(path, int(len(whole) * keep) if isinstance(keep, float) else keep)
    assert_same(cache.load(every_column), fresh)
    assert parses[0] == 2
    cache.load(every_column)
    assert parses[0] == 2 and len(path.read_bytes()) == len(whole)


def test_no_flipped_byte_gives_a_wrong_timeline(tmp_path):
    """Every page carries a CRC, the metadata a digest, the columns their names and types, the rows their
    numbers: a byte changed anywhere gives either the same timeline (a byte nobody reads, such as a
    statistic) or a rebuild. (Every single byte of this cache, flipped in turn, was checked once so.)"""
    source = tmp_path / "every.csv"
    source.write_text(CSV, encoding="utf-8")
    fresh = cache.load(source)
    path = cache.cache_paths(source)[0]
    whole = path.read_bytes()
    theme = whole.rfind(b"t63")  # a theme's name in the metadata: a damaged name would go unseen
    assert theme > 0
    places = sorted({*range(0, len(whole), max(1, len(whole) // 60)), theme + 1, len(whole) - 9})
    for at in places:
        damaged = bytearray(whole)
        damaged[at] ^= 0x20
        path.write_bytes(bytes(damaged))
        assert_same(cache.load(source), fresh)


def _at_once(path, n):
    """``n`` threads loading ``path`` at the same moment: their timelines, and what any of them raised."""
    start = threading.Barrier(n)
    results, failures = [], []

    def load():
        start.wait()
        try:
            results.append(cache.load(path))
        except Exception as exc:  # reported by the test, with the others
            failures.append(exc)

    threads = [threading.Thread(target=load) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, failures


def test_two_threads_loading_the_same_file_at_once(every_column, parses):
    fresh = data.load_timeline(every_column)
    built = []
    for _ in range(2):  # the first time they build the cache (each its own copy), the second they read it
        results, failures = _at_once(every_column, 4)
        assert not failures and len(results) == 4
        for loaded in results:
            assert_same(loaded, fresh)
        built.append(parses[0])
    assert 1 <= built[0] <= 4 and built[1] == built[0]
    assert not [p.name for p in every_column.parent.iterdir() if p.name.endswith(".tmp")]


def test_background_writer_leaves_a_cache_the_next_load_uses(small_csv, parses):
    first, writer = cache.load_in_background(small_csv)
    assert writer is not None
    writer.join()
    again, none = cache.load_in_background(small_csv)
    assert none is None and parses[0] == 1
    assert_same(again, first)


# ---- a dataset in parts: keyed on every part, cached in the user folder only ----


@pytest.fixture
def parts(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    lines = CSV.strip().split("\n")
    parquet_input(folder / "part-0.parquet", "\n".join(lines[:5]))
    parquet_input(folder / "part-1.parquet", "\n".join([lines[0], *lines[5:]]))
    return folder


def _data_files(tmp_path):
    """Every file but the user cache folder's: the parts and anything written beside them."""
    return sorted(p for p in tmp_path.rglob("*") if p.is_file() and "user-cache" not in p.parts)


@pytest.mark.parametrize("as_glob", [False, True], ids=["folder", "glob"])
def test_a_dataset_is_cached_in_the_user_folder_only(parts, parses, tmp_path, as_glob):
    source = str(parts / "*.parquet") if as_glob else parts
    before = _data_files(tmp_path)
    fresh = data.load_dataset(source)
    first = cache.load(source)
    [place] = cache.cache_paths(Path(source))
    assert place.parent == tmp_path / "user-cache" / "timeline" and place.exists()
    assert _data_files(tmp_path) == before
    second = cache.load(source)
    assert parses[0] == 1
    assert_same(first, fresh)
    assert_same(second, fresh)


def _add_part(folder):
    parquet_input(folder / "part-2.parquet", HEADER + "\nlate,1999,,Late,,t05,,3,,,,,,,,,,\n")


def _rename_part(folder):
    (folder / "part-1.parquet").rename(folder / "part-9.parquet")


def _touch_part(folder):
    _touch(folder / "part-0.parquet")


def _remove_part(folder):
    (folder / "part-1.parquet").unlink()


@pytest.mark.parametrize("change", [_add_part, _rename_part, _touch_part, _remove_part])
def test_a_changed_part_rebuilds_the_dataset_cache(parts, parses, change):
    cache.load(parts)
    cache.load(parts)
    assert parses[0] == 1
    change(parts)
    again = cache.load(parts)
    assert parses[0] == 2
    assert_same(again, data.load_dataset(parts))


def test_a_cache_is_readable_by_its_owner_alone(small_csv):
    """A cache is a copy of the events of a file whose own modes it does not know to keep."""
    small_csv.chmod(0o600)
    cache.load(small_csv)
    [written] = [p for p in cache.cache_paths(small_csv) if p.exists()]
    assert written.stat().st_mode & 0o777 == 0o600
