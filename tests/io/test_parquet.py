"""Parquet files: round trips through ``timeline convert``'s writer, typed columns accepted or refused
with their rows, datasets in parts (folders, globs, Hive partitions), and files that are not Parquet."""

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.core import dates
from dashboard.core.model import Timeline, ValidationError
from dashboard.core.query import View, filter_events
from dashboard.io import parquet
from dashboard.io.formats import load_dataset, load_timeline, parse_events
from dashboard.io.read_options import ReadOptions
from dashboard.render.exports import events_csv, events_frame

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
TIMELINEJS = ROOT / "tests" / "fixtures" / "timelinejs"

RICH = (
    "id,date,end_date,title,themes,description,importance,kind,calendar,display_date,life_start,life_end,"
    "media,media_caption,media_credit,media_thumbnail,story,title_ja,notes,count\n"
    "a,c. 1564-04,,Shakespeare born,literature;theatre,=not a formula,5,,,,1564-04-26,1616-04-23,"
    "https://example.org/a.jpg,A portrait,Someone,https://example.org/a-small.jpg,2,シェイクスピア,x,1\n"
    'b,1605-11-05,,Gunpowder Plot,politics,"comma, inside",,,julian,,,,,,,,1,,,2\n'
    "c,[1590..1610],c. 1620,Some work,literature,,2,,,Written some time,,,,,,,,,y,\n"
    "d,66 Ma,,Dinosaurs die out,deep,,,,,,,,,,,,,,,\n"
    "e,-490,-479,Persian wars,war,,,,,,,,,,,,,,,\n"
    "tudor,1485,1603,Tudors,,,,era,,,,,,,,,,,,\n"
)


def to_parquet(table: pa.Table | dict, path: Path | None = None, **kwargs) -> bytes:
    """A table written as Parquet bytes (and to ``path`` when given)."""
    table = table if isinstance(table, pa.Table) else pa.table(table)
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)
    if path is not None:
        path.write_bytes(buf.getvalue())
    return buf.getvalue()


def converted(timeline: Timeline, path: Path) -> Path:
    """What ``timeline convert`` writes for a timeline."""
    frame = events_frame(timeline, filter_events(timeline, View()))
    parquet.write_table(parquet.events_table(frame), path, parquet.timeline_meta(timeline))
    return path


def assert_same(back: Timeline, first: Timeline) -> None:
    pd.testing.assert_frame_equal(back.events, first.events)
    pd.testing.assert_frame_equal(back.eras, first.eras)
    pd.testing.assert_frame_equal(back.extras, first.extras)
    pd.testing.assert_frame_equal(back.lives, first.lives)
    assert back.themes == first.themes and back.topics == first.topics
    assert (back.title, back.cover, back.rich_text) == (first.title, first.cover, first.rich_text)


@pytest.mark.parametrize(
    "source",
    [DATA / "events.csv", DATA / "early-modern.csv", DATA / "deep-time.csv", "rich", TIMELINEJS / "story.json"],
    ids=["events", "early-modern", "deep-time", "rich", "timelinejs-cover"],
)
def test_convert_then_load_is_the_same_timeline(source, tmp_path):
    if source == "rich":
        source = tmp_path / "rich.csv"
        source.write_text(RICH, encoding="utf-8")
    first = load_timeline(source)
    back = load_timeline(converted(first, tmp_path / "out.parquet"))
    assert_same(back, first)
    assert len(back.events) == len(first.events) > 0


def test_the_timelinejs_cover_and_title_are_kept_in_the_metadata(tmp_path):
    first = load_timeline(TIMELINEJS / "story.json")
    assert first.cover and first.title and first.rich_text
    path = converted(first, tmp_path / "story.parquet")
    meta = json.loads(pq.read_schema(path).metadata[parquet.META_KEY])
    assert meta == {"title": first.title, "cover": first.cover, "rich_text": True}
    # the CSV loses them; the Parquet file does not
    assert parse_events(events_csv(first, filter_events(first, View())), "x.csv").cover == {}
    assert load_timeline(path).cover == first.cover


def test_the_written_file_is_text_columns_zstd_in_row_groups(tmp_path):
    first = load_timeline(DATA / "events.csv")
    meta = pq.ParquetFile(converted(first, tmp_path / "e.parquet")).metadata
    schema = pq.read_schema(tmp_path / "e.parquet")
    assert all(t == pa.string() for t in schema.types)
    assert schema.names[:5] == ["id", "date", "end_date", "title", "themes"]
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.num_rows == len(first.events) + len(first.eras)


def test_row_groups_hold_128k_rows(tmp_path):
    n = parquet.ROW_GROUP + 5
    table = pa.table({"date": pa.array(["1900"] * n), "title": pa.array(["x"] * n)})
    parquet.write_table(table, tmp_path / "big.parquet")
    meta = pq.ParquetFile(tmp_path / "big.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [parquet.ROW_GROUP, 5]


BASE = {"title": ["one", "two", "three"], "themes": ["war", "war", "trade"]}


@pytest.mark.parametrize(
    "column, values, shown",
    [
        ("date", pa.array(["1854-03-31", "-490", "c. 1600"]), ["1854-03-31", "-0490", "c. 1600"]),
        ("date", pa.array([1853, -490, 2001], pa.int64()), ["1853", "-0490", "2001"]),
        ("date", pa.array([1853, -490, 55], pa.int16()), ["1853", "-0490", "0055"]),
        ("date", pa.array([1853.0, -490.0, 2001.0]), ["1853", "-0490", "2001"]),
        (
            "date",
            pa.array([dt.date(1854, 3, 31), dt.date(1, 1, 1), dt.date(2001, 9, 11)], pa.date32()),
            ["1854-03-31", "0001-01-01", "2001-09-11"],
        ),
        (
            "date",
            pa.array([dt.datetime(1854, 3, 31, 13, 5), dt.datetime(1969, 12, 31, 23), dt.datetime(2001, 1, 1)]),
            ["1854-03-31", "1969-12-31", "2001-01-01"],
        ),
        (
            "date",  # a time zone's own day: 23:30 UTC is the next day in Tokyo
            pa.array([dt.datetime(2020, 1, 1, 23, 30)] * 3, pa.timestamp("us", tz="UTC")).cast(
                pa.timestamp("us", tz="Asia/Tokyo")
            ),
            ["2020-01-02"] * 3,
        ),
        (
            "date",  # Arrow's years are astronomical: day -1000000 is 0768-02-04 BCE astronomically, 769 BCE
            pa.array([-1_000_000, -719_162 - 1, 0], pa.int32()).cast(pa.date32()),
            ["-0769-02-04", "-0001-12-31", "1970-01-01"],
        ),
        ("date", pa.array(["1900", "1901", "1900"]).dictionary_encode(), ["1900", "1901", "1900"]),
        ("date", pa.array(["1900", "1901", "1902"], pa.large_string()), ["1900", "1901", "1902"]),
    ],
    ids=["text", "int64", "int16", "float", "date32", "timestamp", "timestamp-tz", "bce-date32", "dict", "large"],
)
def test_typed_dates_become_the_csv_text(column, values, shown):
    tl = parse_events(to_parquet({column: values, **BASE}), "typed.parquet")
    assert _iso(tl.events).tolist() == shown


def _iso(events: pd.DataFrame) -> pd.Series:
    """Each event's date as the CSV export writes it."""
    written = events["date_text"]
    return pd.Series(np.where(written != "", written, dates.to_iso(events["start"], events["start_prec"])))


@pytest.mark.parametrize(
    "values, expected",
    [
        (pa.array([1, 5, None], pa.int64()), [1, 5, 3]),
        (pa.array([1.0, 5.0, float("nan")]), [1, 5, 3]),
        (pa.array([2, 4, 3], pa.uint8()), [2, 4, 3]),
        (pa.array(["1", "2", ""]), [1, 2, 3]),
    ],
    ids=["int", "float-whole", "uint8", "text"],
)
def test_importance_as_numbers(values, expected):
    tl = parse_events(to_parquet({"date": ["1900", "1901", "1902"], **BASE, "importance": values}), "i.parquet")
    assert tl.events["importance"].tolist() == expected


@pytest.mark.parametrize(
    "table, problems",
    [
        (
            {"date": ["1900", "1901", "1902"], **BASE, "importance": [1.0, 2.5, 7.0]},
            [
                "row 2, column 'importance': '2.5': expected a whole number from 1 to 5 (or empty for 3)",
                "row 3, column 'importance': '7': expected a whole number from 1 to 5 (or empty for 3)",
            ],
        ),
        (
            {"date": ["1900", "1901", "1902"], **BASE, "flag": [True, False, None]},
            ["column 'flag': expected text, a number or a date: this column holds true/false values (booleans)"],
        ),
        (
            {"date": ["1900", "1901", "1902"], **BASE, "importance": [True, False, True]},
            ["column 'importance': expected text, a number or a date: this column holds true/false values (booleans)"],
        ),
        (
            {
                "date": ["1900", "1901", "1902"],
                "title": ["a", "b", "c"],
                "themes": ["x", "y", "z"],
                "actors": [["p"], [], None],
            },
            [
                "column 'actors': expected text, a number or a date: this column holds lists of values "
                "(a list of text is read only as themes, joined with ';')"
            ],
        ),
        (
            {"date": ["1900", "1901", "1902"], **BASE, "at": pa.array([1, 2, 3], pa.time32("s"))},
            ["column 'at': expected text, a number or a date: this column holds values of type time32[ms]"],
        ),
        (
            {"date": ["1900", "1901", "1902"], **BASE, "blob": pa.array([b"\xff", b"a", None], pa.binary())},
            ["column 'blob': expected text: this column holds bytes that are not UTF-8 text"],
        ),
        (
            {"Year": pa.array([1900, 0, None], pa.int64()), **BASE},
            ["row 2, column 'Year': '0000': expected", "row 3, column 'Year': (empty): expected"],
        ),
        (
            {"date": pa.array([dt.date(1900, 1, 1)] * 3), "title": ["a", "", None], "themes": ["w", "w", "w"]},
            ["row 2, column 'title': (empty): expected", "row 3, column 'title': (empty): expected"],
        ),
    ],
    ids=["fraction", "boolean", "boolean-importance", "list", "time", "binary", "alias-year", "nulls-are-empty"],
)
def test_refused_cells_name_their_row_column_and_value(table, problems):
    with pytest.raises(ValidationError) as err:
        parse_events(to_parquet(table), "bad.parquet")
    said = [p.describe() for p in err.value.problems]
    assert len(said) == len(problems), said
    for text, want in zip(said, problems):
        assert text.startswith(want), (text, want)
    assert err.value.source == "bad.parquet"


def test_themes_as_lists_and_binary_text():
    tl = parse_events(
        to_parquet(
            {
                "date": ["1900", "1901"],
                "title": pa.array([b"a", "é".encode()], pa.binary()),
                "themes": pa.array([["war", "trade"], ["war"]], pa.list_(pa.string())),
            }
        ),
        "l.parquet",
    )
    same = parse_events(b"date,title,themes\n1900,a,war;trade\n1901,\xc3\xa9,war\n", "l.csv")
    assert tl.themes == same.themes and tl.events["title"].tolist() == ["a", "é"]
    pd.testing.assert_frame_equal(tl.events, same.events)


def test_timestamps_elsewhere_keep_their_time_of_day():
    when = pa.array([dt.datetime(1900, 1, 1, 13, 5, 7, 500), dt.datetime(1901, 1, 1)], pa.timestamp("us"))
    tl = parse_events(to_parquet({"date": when, "title": ["a", "b"], "themes": ["w", "w"], "seen": when}), "t.parquet")
    assert tl.extras["seen"].tolist() == ["1900-01-01 13:05:07", "1901-01-01"]
    assert tl.events["display_date"].tolist() == ["", ""] and _iso(tl.events).tolist() == ["1900-01-01", "1901-01-01"]


def test_the_columns_mapping_applies_and_problems_name_the_files_column():
    data = to_parquet({"Start": pa.array([1900, 1901]), "Event": ["a", ""], "Kind": ["war", "war"]})
    with pytest.raises(ValidationError) as err:
        parse_events(data, "m.parquet", ReadOptions.of("date=Start,title=Event,themes=Kind"))
    assert err.value.problems[0].describe().startswith("row 2, column 'Event': (empty): expected")


def test_a_pandas_index_is_not_a_column():
    frame = pd.DataFrame({"date": ["1900", "1901"], "title": ["a", "b"], "themes": ["w", "w"]}, index=[10, 20])
    buf = io.BytesIO()
    frame.to_parquet(buf)
    tl = parse_events(buf.getvalue(), "p.parquet")
    assert list(tl.extras.columns) == [] and len(tl.events) == 2


def test_a_big_file_converts_each_column_once_and_fast():
    n = 200_000
    rng = np.random.default_rng(3)
    table = {
        "date": pa.array(rng.integers(-3000, 2020, n)).cast(pa.int64()),
        "title": pa.array(np.char.add("event ", np.arange(n).astype(str))),
        "themes": pa.array(rng.choice(["war", "trade", "law"], n)).dictionary_encode(),
        "importance": pa.array(rng.integers(1, 6, n).astype(float)),
    }
    table["date"] = pa.array(np.where(table["date"].to_numpy() == 0, 1, table["date"].to_numpy()))
    tl = parse_events(to_parquet(table), "big.parquet")
    assert len(tl.events) == n and set(tl.events["importance"]) <= {1, 2, 3, 4, 5}


# ---- datasets in parts ----------------------------------------------------------------------


def parts_folder(root: Path) -> Path:
    root.mkdir()
    to_parquet({"date": ["1900", "1901"], "title": ["a", "b"], "themes": ["w", "w"]}, root / "part-0.parquet")
    to_parquet({"date": pa.array([1902, 1903]), "title": ["c", ""], "themes": ["w", "v"]}, root / "part-1.parquet")
    (root / "_SUCCESS").write_bytes(b"")
    (root / ".part-0.parquet.crc").write_bytes(b"xx")
    return root


def test_a_folder_of_parts_is_one_timeline_and_problems_name_the_part(tmp_path):
    folder = parts_folder(tmp_path / "ds")
    with pytest.raises(ValidationError) as err:
        load_dataset(folder)
    assert err.value.source == "ds"
    assert err.value.problems[0].describe().startswith("part-1.parquet, row 2, column 'title': (empty)")
    to_parquet({"date": pa.array([1902, 1903]), "title": ["c", "d"], "themes": ["w", "v"]}, folder / "part-1.parquet")
    tl = load_dataset(folder)
    assert tl.events["title"].tolist() == ["a", "b", "c", "d"] and set(tl.themes) == {"w", "v"} and not tl.topics


def test_a_glob_of_parts(tmp_path):
    folder = parts_folder(tmp_path / "ds")
    to_parquet({"date": ["1904"], "title": ["e"], "themes": ["w"]}, folder / "part-1.parquet")
    tl = load_dataset(str(folder / "part-*.parquet"))
    assert tl.events["title"].tolist() == ["a", "b", "e"]
    assert parquet.is_dataset(str(folder / "*.parquet")) and not parquet.is_dataset(folder / "part-0.parquet")


def test_parts_with_different_columns_are_joined_by_name_and_hive_folders_give_columns(tmp_path):
    root = tmp_path / "hive"
    (root / "region=east").mkdir(parents=True)
    (root / "region=west%20coast").mkdir()
    to_parquet({"title": ["a"], "date": ["1900"], "themes": ["w"]}, root / "region=east" / "p.parquet")
    to_parquet(
        {"date": ["1901"], "title": ["b"], "themes": ["w"], "remark": ["n"]}, root / "region=west%20coast" / "p.parquet"
    )
    tl = load_dataset(root)
    assert tl.events["title"].tolist() == ["a", "b"]
    assert tl.extras.to_dict("list") == {"region": ["east", "west coast"], "remark": ["", "n"]}


def test_an_id_used_twice_across_parts_names_both_rows(tmp_path):
    root = tmp_path / "ids"
    root.mkdir()
    for name in ("a.parquet", "b.parquet"):
        to_parquet({"id": ["x"], "date": ["1900"], "title": ["t"], "themes": ["w"]}, root / name)
    with pytest.raises(ValidationError) as err:
        load_dataset(root)
    assert err.value.problems[0].describe() == (
        "b.parquet, row 1, column 'id': 'x': expected a unique id: it is already used in a.parquet, row 1"
    )


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p.mkdir(), "a folder holding .parquet files: it has none"),
        (lambda p: None, "files matching this pattern: none do"),
    ],
    ids=["empty-folder", "no-match"],
)
def test_a_dataset_with_no_parts_says_so(tmp_path, make, expected):
    target = tmp_path / "empty"
    make(target)
    source = target if target.exists() else str(tmp_path / "none-*.parquet")
    with pytest.raises(ValidationError) as err:
        load_dataset(source)
    assert err.value.problems[0].describe() == f"expected {expected}"


# ---- files that are not what they say -------------------------------------------------------------


def test_an_empty_parquet_file_has_no_rows_to_show():
    data = to_parquet(pa.table({"date": pa.array([], pa.string()), "title": pa.array([], pa.string())}))
    with pytest.raises(ValidationError) as err:
        parse_events(data, "empty.parquet")
    assert err.value.problems[0].describe() == "expected at least one event row after the header"


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "a Parquet file, as the file's name says: it does not start with PAR1 (damaged, or renamed?)"),
        (
            b"date,title\n1900,x\n",
            "a Parquet file, as the file's name says: it does not start with PAR1 (damaged, or renamed?)",
        ),
        (None, "a readable Parquet file: "),
    ],
    ids=["empty-bytes", "csv-named-parquet", "truncated"],
)
def test_files_named_parquet_that_are_not_say_so(data, expected):
    if data is None:
        whole = to_parquet({"date": ["1900"] * 100, "title": ["x"] * 100, "themes": ["w"] * 100})
        data = whole[: len(whole) // 2]
    with pytest.raises(ValidationError) as err:
        parse_events(data, "x.parquet")
    said = err.value.problems[0].describe()
    assert said.startswith(f"expected {expected}"), said
    assert len(err.value.problems) == 1


def test_a_parquet_file_under_another_name_is_still_read():
    tl = parse_events(to_parquet({"date": ["1900"], "title": ["x"], "themes": ["w"]}), "upload")
    assert tl.events["title"].tolist() == ["x"]


def test_problems_of_several_parts_are_listed_in_the_datasets_order(tmp_path):
    root = tmp_path / "order"
    root.mkdir()
    for name, titles in (("a.parquet", ["x", "", ""]), ("b.parquet", ["", "y"])):
        n = len(titles)
        to_parquet({"date": ["1900"] * n, "title": titles, "themes": ["w"] * n}, root / name)
    with pytest.raises(ValidationError) as err:
        load_dataset(root)
    assert [p.cell for p in err.value.problems] == ["a.parquet, row 2", "a.parquet, row 3", "b.parquet, row 1"]
