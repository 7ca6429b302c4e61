"""A store built a chunk at a time holds what loading the whole file gives: the same answers to
every question, the same problems named by part and row, ids unique across chunks."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.core import sql, tiles
from dashboard.core.model import MAX_THEMES, ValidationError
from dashboard.core.query import View, facet_counts, filter_events
from dashboard.io import engines, held, parquet, store
from dashboard.io.formats import load_dataset
from dashboard.io.progress import Step
from dashboard.render import queried
from dashboard.render.exports import export_view
from dashboard.render.figure import FigureOptions, build_figure
from dashboard.render.queried import queried_figure
from dashboard.web.layout import tables_ready
from tests.conftest import ROOT, end_all, started
from tests.synthetic import generate


def write_parts(folder, table: pa.Table, cuts: list[int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    edges = [0, *cuts, table.num_rows]
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        pq.write_table(table.slice(a, b - a), folder / f"part-{i}.parquet")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parts") / "events"
    write_parts(folder, generate(9_000, n_themes=10, seed=4), [2_500, 6_100])
    target = folder.parent / "store"
    messages: list[tuple[str, Step | None]] = []
    store.build(
        parquet.dataset_files(folder),
        "events",
        target,
        base=folder,
        rows=1_000,
        progress=lambda msg, step=None: messages.append((msg, step)),
    )
    assert store.is_store(target)
    assert any("validated 9,000 of 9,000 rows (100%" in m for m, _ in messages)
    steps = [step for _, step in messages if step is not None]
    assert steps[0] == Step("themes", 0, 9_000) and steps[-1] == Step("ids", 9_000, 9_000)
    assert [s.done for s in steps if s.name == "validating"][-1] == 9_000
    return load_dataset(folder), store.open_store(target)


VIEWS = [
    View(),
    View(themes=("trade", "war")),
    View(start="1800", end="1950"),
    View(text="summit"),
    View(x_range=(-2e12, 0.0)),
]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.to_query() or "all")
def test_a_store_answers_as_the_whole_file(dataset, view):
    whole, stored = dataset
    assert stored.themes == whole.themes and stored.size == whole.size and stored.events.empty
    where = sql.match_filter(stored.themes, view)
    assert sql.count(stored.engine, where) == len(filter_events(whole, view))
    assert sql.facet_counts(stored.engine, stored.themes, view) == facet_counts(whole, view)
    options = FigureOptions(title="Same", layout_width=1200)
    ours = json.dumps(queried_figure(stored, view, options), cls=PlotlyJSONEncoder, sort_keys=True)
    assert ours == json.dumps(build_figure(whole, view, options), cls=PlotlyJSONEncoder, sort_keys=True)


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_the_csv_export_of_a_store_keeps_the_files_other_columns_and_its_eras(tmp_path, engine, request):
    """Columns of the file's own (``colour``), an era's themes and its other cells are written back
    by the CSV export beyond memory as in memory, whether the store was built a chunk at a time from
    parts that differ in their columns, or from a timeline in memory."""
    folder = tmp_path / "parts"
    folder.mkdir()
    head = ("id", "date", "end_date", "title", "themes", "kind")
    first = [("a", "1900", "", "One", "war", ""), ("e", "1900", "1920", "An era", "war;trade", "era")]
    second = [("b", "1910", "", "Two", "trade", ""), ("c", "1911", "", "Three", "war", "")]
    for i, (rows, more) in enumerate(((first, {"colour": ["red", "=blue"]}), (second, {"rank": ["1", ""]}))):
        table = pa.table({**{k: [r[j] for r in rows] for j, k in enumerate(head)}, **more})
        pq.write_table(table, folder / f"part-{i}.parquet")
    whole = load_dataset(folder)
    store.build(parquet.dataset_files(folder), "parts", tmp_path / "s", base=folder, rows=1)
    in_memory = tmp_path / "m"
    store.write(whole, in_memory)
    expected = export_view(whole, View(), "csv").decode()
    assert expected.splitlines()[0].endswith(",colour,rank") and ",war;trade," in expected and "'=blue" in expected
    if engine == "spark":
        request.getfixturevalue("spark")
    for folder_of in (tmp_path / "s", in_memory):
        stored = store.open_store(folder_of, engine=engine)
        try:
            assert export_view(stored, View(), "csv").decode() == expected
            trade = View(themes=("trade",))
            assert export_view(stored, trade, "csv") == export_view(whole, trade, "csv")
        finally:
            stored.engine.close()


def three_chunks(folder, row_group=None):
    """A file of 15 rows whose first chunk of 5 knows only 'zebra' and 'apple', its last only 'mango'
    (one row group, read in three slices, or three row groups of 5)."""
    rows = [("1900", "A", "zebra;apple")] * 5 + [("1950", "B", "apple")] * 5 + [("2000", "C", "mango")] * 5
    table = pa.table({k: [r[i] for r in rows] for i, k in enumerate(("date", "title", "themes"))})
    pq.write_table(table, folder / "one.parquet", row_group_size=row_group)
    return folder / "one.parquet"


@pytest.mark.parametrize("workers, row_group", [(1, None), (2, 5)], ids=["here-in-slices", "with-a-helper"])
def test_each_chunk_has_its_own_themes_and_the_bits_agree(tmp_path, workers, row_group):
    """The store's bits are the whole file's, whichever process validated the chunk."""
    store.build([three_chunks(tmp_path, row_group)], "one.parquet", tmp_path / "s", rows=5, workers=workers)
    stored = store.open_store(tmp_path / "s")
    assert stored.themes == ["apple", "mango", "zebra"]
    assert sql.facet_counts(stored.engine, stored.themes, View()) == {"apple": 10, "mango": 5, "zebra": 5}
    page = sql.page(stored.engine, sql.match_filter(stored.themes, View(themes=("mango",))), "when", False, 0, 99)
    assert page["row"].tolist() == [10, 11, 12, 13, 14]


def test_problems_name_their_part_and_row_in_every_chunk(tmp_path):
    folder = tmp_path / "parts"
    table = generate(3_000, n_themes=4, seed=2)
    dates = table["date"].to_pylist()
    dates[10] = "not a date"  # part-0, row 11 (first chunk)
    dates[2_345] = "1999-13-01"  # part-1, row 346 (its second chunk)
    table = table.set_column(table.schema.get_field_index("date"), "date", pa.array(dates))
    write_parts(folder, table, [2_000])
    with pytest.raises(ValidationError) as raised:
        store.build(parquet.dataset_files(folder), "parts", tmp_path / "s", base=folder, rows=300, workers=1)
    cells = [p.cell for p in raised.value.problems]
    assert cells == ["part-0.parquet, row 11", "part-1.parquet, row 346"]
    assert [p.value for p in raised.value.problems] == ["not a date", "1999-13-01"]
    assert not (tmp_path / "s").exists() and not list(tmp_path.glob("s*"))
    with pytest.raises(ValidationError) as loaded:
        load_dataset(folder)  # the whole file says the same
    whole = {(p.cell, p.value) for p in loaded.value.problems}
    assert whole == set(zip(cells, ["not a date", "1999-13-01"]))


def test_ids_repeated_in_two_chunks(tmp_path):
    table = pa.table({"id": [f"e{i}" for i in range(10)] + ["e3"], "date": ["1900"] * 11, "title": ["T"] * 11})
    pq.write_table(table, tmp_path / "ids.parquet")
    with pytest.raises(ValidationError) as raised:
        store.build([tmp_path / "ids.parquet"], "ids.parquet", tmp_path / "s", rows=4, workers=1)
    (problem,) = raised.value.problems
    assert problem.value == "e3" and "row 4" in problem.expected and "row 11" in problem.expected


def test_rows_without_an_id_are_numbered_through_the_whole_file(tmp_path):
    table = pa.table({"date": [str(1900 + i) for i in range(12)], "title": [f"T{i}" for i in range(12)]})
    pq.write_table(table, tmp_path / "plain.parquet")
    store.build([tmp_path / "plain.parquet"], "plain.parquet", tmp_path / "s", rows=5, workers=1)
    stored = store.open_store(tmp_path / "s")
    ids = sql.fetch(stored.engine, sql.EVERYTHING, ["id"], limit=20)["id"].tolist()
    assert ids == [f"row-{i}" for i in range(1, 13)]
    assert np.array_equal(sql.fetch(stored.engine, sql.EVERYTHING, ["id"], limit=20)["row"].to_numpy(), np.arange(12))


def test_a_theme_spelt_otherwise_in_another_chunk_is_one_lane(tmp_path):
    """Each chunk names its themes by its own spellings ('wwii' in one, 'WWII' in another): the store
    has one lane each, named as a file validated whole names it."""
    themes = ["wwii", "WWII;usa", "Wwii", "USA", "war", "War", "wwii;War", "usa", "iPhone era", "IPHONE ERA"]
    table = pa.table(
        {"date": [str(1900 + i) for i in range(10)], "title": [f"T{i}" for i in range(10)], "themes": themes}
    )
    pq.write_table(table, tmp_path / "case.parquet", row_group_size=2)
    store.build([tmp_path / "case.parquet"], "case.parquet", tmp_path / "s", rows=2, workers=1)
    stored = store.open_store(tmp_path / "s")
    whole = load_dataset(tmp_path / "case.parquet")
    assert stored.themes == whole.themes == ["war", "IPHONE ERA", "USA", "WWII"]
    masks = sql.fetch(stored.engine, sql.EVERYTHING, ["theme_mask"], limit=20)["theme_mask"].to_numpy()
    assert np.array_equal(masks.astype(np.uint64), whole.events["theme_mask"].to_numpy())


def test_a_helper_process_writes_its_pieces_with_the_whole_files_bits(tmp_path, monkeypatch):
    """The building process waits before its first chunk until the helper has written a piece: the
    helper's pieces, results and theme bits are then part of the store for certain."""
    read = store.chunk_tables

    def after_the_helper(chunks, threads):  # only here: the helper process imports its own store module
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("s.building-*/events-*.parquet")):
            assert time.monotonic() < deadline, "the helper wrote no piece"
            time.sleep(0.05)
        return read(chunks, threads)

    monkeypatch.setattr(store, "chunk_tables", after_the_helper)
    test_each_chunk_has_its_own_themes_and_the_bits_agree(tmp_path, workers=2, row_group=5)


def test_a_theme_the_first_pass_missed_is_refused_not_given_wrong_bits(tmp_path, monkeypatch):
    """The themes are read first (their lanes are the bits every chunk writes): a chunk meeting one
    that pass did not see (the file changed meanwhile) stops the build."""
    first_pass = store.file_themes
    monkeypatch.setattr(store, "file_themes", lambda *a: [t for t in first_pass(*a) if t != "mango"])
    with pytest.raises(ValidationError) as raised:
        store.build([three_chunks(tmp_path)], "one.parquet", tmp_path / "s", rows=5, workers=1)
    (problem,) = raised.value.problems
    assert "one.parquet changed" in problem.expected and "theme 'mango'" in problem.expected
    assert not list(tmp_path.glob("s*"))


def test_a_dataset_of_too_many_themes_is_refused_though_no_chunk_has_too_many(tmp_path):
    n = MAX_THEMES + 6
    table = pa.table({"date": ["1900"] * n, "title": ["T"] * n, "themes": [f"t{i:02d}" for i in range(n)]})
    pq.write_table(table, tmp_path / "many.parquet")
    with pytest.raises(ValidationError) as raised:
        store.build([tmp_path / "many.parquet"], "many.parquet", tmp_path / "s", rows=20, workers=1)
    (problem,) = raised.value.problems
    assert problem.expected == f"at most {MAX_THEMES} different themes, found {n}"
    assert not list(tmp_path.glob("s*"))


def test_ids_repeated_across_several_chunks_in_the_order_of_their_first_row(tmp_path):
    ids = [f"e{i}" for i in range(16)]
    ids[13], ids[11], ids[10] = "e3", "e7", "e3"  # e3 in rows 4, 11, 14; e7 in rows 8, 12
    table = pa.table({"id": ids, "date": ["1900"] * 16, "title": ["T"] * 16, "themes": ["w"] * 16})
    pq.write_table(table, tmp_path / "ids.parquet")
    with pytest.raises(ValidationError) as raised:
        store.build([tmp_path / "ids.parquet"], "ids.parquet", tmp_path / "s", rows=4, workers=1)
    assert [(p.column, p.value, p.expected) for p in raised.value.problems] == [
        ("id", "e3", "a unique id: it is used 3 times, first in row 4, last in row 14 of the whole dataset"),
        ("id", "e7", "a unique id: it is used 2 times, first in row 8, last in row 12 of the whole dataset"),
    ]


def test_ids_whose_hashes_collide_are_told_apart(tmp_path, monkeypatch):
    """A repeated hash only sends the ids to be compared: different ids sharing one are fine."""
    monkeypatch.setattr(store, "id_hashes", lambda ids: np.zeros(len(ids), dtype=np.uint64))
    table = pa.table({"id": [f"e{i}" for i in range(12)], "date": ["1900"] * 12, "title": ["T"] * 12})
    pq.write_table(table, tmp_path / "ids.parquet")
    store.build([tmp_path / "ids.parquet"], "ids.parquet", tmp_path / "s", rows=4, workers=1)
    assert store.open_store(tmp_path / "s").size == 12
    pq.write_table(table.set_column(0, "id", pa.array([f"e{i % 10}" for i in range(12)])), tmp_path / "ids.parquet")
    with pytest.raises(ValidationError) as raised:
        store.build([tmp_path / "ids.parquet"], "ids.parquet", tmp_path / "t", rows=4, workers=1)
    assert [p.value for p in raised.value.problems] == ["e0", "e1"]


def test_problems_past_the_most_kept_are_counted_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "MOST_PROBLEMS", 7)
    table = pa.table({"date": ["soon"] * 12, "title": ["T"] * 12, "themes": ["w"] * 12})
    pq.write_table(table, tmp_path / "bad.parquet")
    with pytest.raises(ValidationError) as raised:
        store.build([tmp_path / "bad.parquet"], "bad.parquet", tmp_path / "s", rows=4, workers=1)
    problems = raised.value.problems
    assert [p.cell for p in problems if p.line is not None] == [f"row {i}" for i in range(1, 8)]
    assert [p.expected for p in problems if p.line is None] == ["the first 7 problems fixed: 5 more follow"]


def test_themes_from_partition_folders_are_the_whole_datasets(tmp_path):
    """Hive partitions (``themes=war/``) give a column the files do not hold: read by the first pass
    and by every chunk, as loading the dataset whole reads them."""
    folder = tmp_path / "events"
    for theme, first in (("war", 1900), ("trade", 1950)):
        (folder / f"themes={theme}").mkdir(parents=True)
        rows = pa.table({"date": [str(first + i) for i in range(6)], "title": [f"{theme} {i}" for i in range(6)]})
        pq.write_table(rows, folder / f"themes={theme}" / "part-0.parquet")
    store.build(parquet.dataset_files(folder), "events", tmp_path / "s", base=folder, rows=4, workers=1)
    stored, whole = store.open_store(tmp_path / "s"), load_dataset(folder)
    assert stored.themes == whole.themes == ["trade", "war"]
    assert (
        sql.facet_counts(stored.engine, stored.themes, View())
        == facet_counts(whole, View())
        == {
            "trade": 6,
            "war": 6,
        }
    )


def test_the_pieces_are_the_events_in_row_order(tmp_path):
    table = pa.table({"date": [str(1900 + i) for i in range(10)], "title": ["T"] * 10, "themes": ["w"] * 10})
    pq.write_table(table, tmp_path / "plain.parquet", row_group_size=3)
    store.build([tmp_path / "plain.parquet"], "plain.parquet", tmp_path / "s", rows=3, workers=1)
    files = store.event_files(tmp_path / "s")
    assert [pq.read_metadata(f).num_rows for f in files] == [3, 3, 3, 1]  # four chunks, fewer than TASKS
    assert pq.read_table(files, columns=["row"])["row"].to_pylist() == list(range(10))
    store.write(load_dataset(tmp_path / "plain.parquet"), tmp_path / "w")
    assert [pq.read_metadata(f).num_rows for f in store.event_files(tmp_path / "w")] == [10]


def test_a_pieces_columns_are_compressed_for_speed(tmp_path):
    pq.write_table(generate(500, n_themes=4, seed=2), tmp_path / "e.parquet")
    store.build([tmp_path / "e.parquet"], "e.parquet", tmp_path / "s", workers=1)
    group = pq.read_metadata(store.event_files(tmp_path / "s")[0]).row_group(0)
    codecs = {group.column(i).path_in_schema: group.column(i).compression for i in range(group.num_columns)}
    assert {codecs[c] for c in ("title", "description", "hay", "source")} == {"LZ4"}  # LZ4_RAW in the file
    assert {codecs[c] for c in ("start", "theme_mask", "row", "day", "importance")} == {"LZ4"}
    # statistics where a filter may skip row groups by them: numbers, not text
    stats = {group.column(i).path_in_schema: group.column(i).is_stats_set for i in range(group.num_columns)}
    assert stats["row"] and stats["start"] and not stats["title"]


def part_of(groups):
    return parquet.PartFile(Path("p.parquet"), "p", "p.parquet", ("date",), (), tuple(groups), {})


@pytest.mark.parametrize(
    "groups, rows, expected",
    [
        ([131_072] * 4, 250_000, [(0, 262_144, (0, 1), None), (262_144, 262_144, (2, 3), None)]),
        ([100, 100, 100], 150, [(0, 200, (0, 1), None), (200, 100, (2,), None)]),
        ([100, 100, 100], 100, [(0, 100, (0,), None), (100, 100, (1,), None), (200, 100, (2,), None)]),
        ([1000], 300, [(250 * i, 250, (0,), (i, 250)) for i in range(4)]),
        (
            [10, 700, 10],
            300,
            [
                (0, 10, (0,), None),
                (10, 234, (1,), (0, 234)),
                (244, 234, (1,), (1, 234)),
                (478, 232, (1,), (2, 234)),
                (710, 10, (2,), None),
            ],
        ),
        ([0, 5, 0], 10, [(0, 5, (1,), None)]),
        ([], 10, []),
    ],
    ids=[
        "benchmark-groups",
        "two-groups-a-chunk",
        "a-group-a-chunk",
        "one-large-group",
        "large-between-small",
        "empty-groups",
        "no-rows",
    ],
)
def test_a_part_is_cut_between_row_groups(groups, rows, expected):
    """About ``rows`` rows a chunk, cut where row groups end (within half a group); a group of more
    than twice as many rows in equal slices."""
    chunks = store.chunks_of(part_of(groups), rows)
    assert [(c.first, c.rows, c.groups, c.batch) for c in chunks] == expected


@pytest.mark.parametrize(
    "groups, most, expected",
    [
        ([100] * 5, 2, [[(0,), (1,)], [(2,), (3,)], [(4,)]]),
        ([100] * 3, 1, [[(0,)], [(1,)], [(2,)]]),
        ([100, 250, 100, 100], 3, [[(0,)], [(1,), (1,), (1,)], [(2,), (3,)]]),
        ([250, 250], 8, [[(0,), (0,), (0,)], [(1,), (1,), (1,)]]),
    ],
    ids=["two-a-task", "one-a-task", "slices-apart", "slices-of-each-group"],
)
def test_tasks_are_consecutive_chunks_or_the_slices_of_one_row_group(groups, most, expected):
    """Each task is read in one pass and written as one piece: whole row groups, at most ``most``
    chunks of them, or every slice of one large row group."""
    chunks = store.chunks_of(part_of(groups), 100)
    assert [[chunks[i].groups for i in task] for task in store.tasks_of(chunks, most)] == expected


@pytest.mark.parametrize("odd", ["[1]", "*", "?"])
def test_a_store_in_a_folder_named_like_a_glob_reads_its_own_events(odd, tmp_path):
    """DuckDB takes every path it reads as a glob: a store whose folder holds ``[``, ``*`` or ``?``
    (a cache folder under such a home) reads its own events, not those of a folder the pattern matches."""
    from tests.timelines import deep_timeline, uncertain_timeline

    ours, other = uncertain_timeline(tmp_path), deep_timeline(tmp_path)
    store.write(ours, tmp_path / f"cache{odd}" / "x.store")
    store.write(other, tmp_path / "cache1" / "x.store")  # what "cache[1]" and "cache?" match as globs
    store.write(other, tmp_path / "cachezzz" / "x.store")  # what "cache*" matches too
    opened = store.open_store(tmp_path / f"cache{odd}" / "x.store")
    engine = opened.engine.engine()
    assert sql.count(engine.run, sql.EVERYTHING) == len(ours.events)
    assert sorted(str(t) for (t,) in engine.run("SELECT title FROM events", [])) == sorted(ours.events["title"])
    assert engine.run("SELECT sum(n) FROM tiles WHERE side = 0 AND unit = 2", []) == [(len(ours.events),)]
    assert engine.has(engines.TITLES)  # made, though DuckDB cannot write a database in a folder named with a "?"
    assert not list(Path(tempfile.gettempdir()).glob(store.TITLES_APART + "*"))  # nothing left beside
    opened.engine.close()


WRITE_WHEN_TOLD = """
import sys, time
from pathlib import Path
from dashboard.io import store
from tests.timelines import synthetic_timeline
timeline = synthetic_timeline()
go = Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
store.write(timeline, Path(sys.argv[1]))
print("written", flush=True)
"""


def test_two_processes_writing_one_store_at_once_both_leave_it_whole(tmp_path):
    """Two servers started together on one file (sharing a cache folder) both write its store, at
    the same moment (real processes): each finishes, and the store holds every event once."""
    import subprocess
    import sys

    from tests.timelines import synthetic_timeline

    root = Path(__file__).resolve().parents[2]
    target, go = tmp_path / "x.store", tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITE_WHEN_TOLD, str(target), str(go)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for w in writers:
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    go.touch()
    ends = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [err[-2000:] for _, err in ends]
    opened = store.open_store(target)
    assert sql.count(opened.engine.run, sql.EVERYTHING) == len(synthetic_timeline().events)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "x.store"]  # no work folder left
    opened.engine.close()


def test_a_store_made_meanwhile_is_kept_not_pulled_from_under_its_server(tmp_path):
    """A second server finishing the same store (same files, so the same events) after the first has
    put it in place and serves from it keeps the first's files: removing them to put its own there
    would leave the first's queries a moment with no files at all."""
    from tests.timelines import synthetic_timeline

    timeline = synthetic_timeline()
    target = tmp_path / "x.store"
    store.write(timeline, target)
    served = store.open_store(target)
    assert sql.count(served.engine.run, sql.EVERYTHING) == len(timeline.events)
    before = {p.name: p.stat().st_ino for p in target.iterdir()}
    store.write(timeline, target)  # the second process, done a moment later
    assert {p.name: p.stat().st_ino for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.store"]  # its work folder gone
    assert sql.count(served.engine.engine().run, sql.EVERYTHING) == len(timeline.events)
    served.engine.close()


@pytest.fixture
def untabled(tmp_path):
    """A store of 9,000 events served before the tables of quick clicks are made, and the whole file."""
    folder = tmp_path / "events"
    write_parts(folder, generate(9_000, n_themes=10, seed=4), [4_000])
    target = tmp_path / "store"
    store.build(parquet.dataset_files(folder), "events", target, base=folder, rows=1_000, tables=False)
    return target, load_dataset(folder)


def test_a_store_served_before_its_tables_are_made_takes_them_up_once_they_are(untabled, monkeypatch):
    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    assert store.ready_tables(target) is None and not (target / "tiles.parquet").exists()
    served = store.open_store(target)
    options = FigureOptions(title="Same", layout_width=1200)

    def same_answers() -> None:
        for view in VIEWS:
            assert sql.facet_counts(served.engine, served.themes, view) == facet_counts(whole, view)
            ours = json.dumps(queried_figure(served, view, options), cls=PlotlyJSONEncoder, sort_keys=True)
            assert ours == json.dumps(build_figure(whole, view, options), cls=PlotlyJSONEncoder, sort_keys=True)

    same_answers()
    assert not served.engine.precomputed and not served.engine.engine().precomputed
    assert store.precompute(target, served)
    assert store.ready_tables(target) is not None
    assert served.engine.precomputed and served.engine.engine().precomputed  # the open engine took them up
    [(tiles_rows,)] = served.engine.engine().run("SELECT count(*) FROM tiles", ())
    assert tiles_rows
    same_answers()
    assert not [p for p in target.iterdir() if p.name.startswith(".tables-")]  # its work folder gone
    served.engine.close()


def tables_read(served, view: View, options: FigureOptions) -> set[str]:
    """The tables of ``core.tiles`` the queries of ``view``'s figure and first table page name."""
    asked: list[str] = []
    run = engines.PerProcess.run  # before its answers are remembered

    def recording(self, sql_text, args):
        asked.append(sql_text)
        return run(self, sql_text, args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engines.PerProcess, "run", recording)
        queried_figure(served, view, options)
        queried.page(served, view, "when", False, 0, 20, ["title"])
    return {name for name in tiles.TABLES if any(f"FROM {name} " in text for text in asked)}


def test_each_table_is_taken_up_as_soon_as_it_is_in_place(untabled, monkeypatch):
    """The maker puts each table in place as it is made, the tiles first: a served store reads each
    from then on (the tiles answer a click's counts, the ranked table its labels, the chronological
    one its table pages), the others' questions asked of the events meanwhile, with the same
    answers at every step. The titles come last, and only then is the maker done."""
    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    served = store.open_store(target)
    options = FigureOptions(title="Same", layout_width=1200)
    expected = {
        id(v): json.dumps(build_figure(whole, v, options), cls=PlotlyJSONEncoder, sort_keys=True) for v in VIEWS
    }
    assert tables_read(served, View(), options) == set()

    def page_of(view: View, descending: bool):
        return queried.page(served, view, "when", descending, 3, 50, ["title"])[0]

    pages = {(id(v), d): page_of(v, d) for v in VIEWS for d in (False, True)}  # asked of the events
    assert all(len(page) for page in pages.values())
    seen: dict[str, tuple[set[str], bool, bool, bool, bool]] = {}

    def at_each(said: str, step=None) -> None:
        made = said.split()[0]
        for view in VIEWS:
            ours = json.dumps(queried_figure(served, view, options), cls=PlotlyJSONEncoder, sort_keys=True)
            assert ours == expected[id(view)], (made, view)
            for descending in (False, True):
                assert page_of(view, descending).equals(pages[id(view), descending]), (made, view, descending)
        seen[made] = (
            tables_read(served, View(), options),
            served.engine.precomputed,
            served.engine.has(engines.TITLES),
            store.ready_tables(target) is not None,
            tables_ready(served),  # the page's note, and a worker's export browser, wait for it
        )

    assert store.precompute(target, served, say=at_each)
    assert seen == {
        "tiles": ({tiles.TILES}, False, False, False, False),
        "ranked": ({tiles.TILES, tiles.RANKED}, False, False, False, False),
        "chrono": ({tiles.TILES, tiles.RANKED, tiles.CHRONO}, True, False, False, False),
        "titles": ({tiles.TILES, tiles.RANKED, tiles.CHRONO}, True, True, False, False),
    }
    assert store.ready_tables(target) is not None and tables_ready(served)  # done once the titles are in place
    served.engine.close()


def test_a_maker_stopped_keeps_the_tables_it_put_in_place_and_the_next_makes_only_the_others(untabled, monkeypatch):
    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    served = store.open_store(target)
    options = FigureOptions(title="Same", layout_width=1200)
    queried_figure(served, View(), options)  # its engine opened, without tables
    making = store.Making()
    first: list[str] = []

    def stop_after_tiles(said: str, step=None) -> None:
        first.append(said.split()[0])
        if said.startswith("tiles made"):
            making.stop()

    assert not store.precompute(target, served, say=stop_after_tiles, making=making)
    assert first == ["tiles"]
    assert set(store.tables_in_place(target)) == {tiles.TILES} and store.ready_tables(target) is None
    assert not [p for p in target.iterdir() if p.name.startswith(".tables-")]
    assert served.engine.has(tiles.TILES) and not served.engine.precomputed
    made = (target / "tiles.parquet").stat().st_ino
    second: list[str] = []
    assert store.precompute(target, served, say=lambda said, step=None: second.append(said.split()[0]))
    assert second == ["ranked", "chrono", "titles"]
    assert (target / "tiles.parquet").stat().st_ino == made  # kept, not made again
    assert served.engine.precomputed and served.engine.has(engines.TITLES)
    for view in VIEWS:
        ours = json.dumps(queried_figure(served, view, options), cls=PlotlyJSONEncoder, sort_keys=True)
        assert ours == json.dumps(build_figure(whole, view, options), cls=PlotlyJSONEncoder, sort_keys=True)
    served.engine.close()


def test_a_table_put_in_place_but_not_said_to_be_is_made_again(untabled, monkeypatch):
    """A maker killed between putting a table in place and rewriting ``tables.json``: that table, whose
    size is not recorded, is not read, and the next maker makes it again."""
    target, _ = untabled

    def killed(*args: object, **kwargs: object) -> None:
        raise OSError("killed here")

    monkeypatch.setattr(store, "_record", killed)
    with pytest.raises(OSError, match="killed here"):
        store.precompute(target, store.open_store(target))
    assert (target / "tiles.parquet").exists() and store.tables_in_place(target) == {}
    monkeypatch.undo()
    said: list[str] = []
    assert store.precompute(target, store.open_store(target), say=lambda s, step=None: said.append(s.split()[0]))
    assert said == ["tiles", "ranked", "chrono", "titles"]
    assert store.ready_tables(target) is not None


def test_a_title_search_reads_the_stores_titles_once_they_are_made(untabled, monkeypatch):
    """The titles are made with the tables (in row order, with the columns a search keeps), and a
    title search of the served store then reads them, never the events; a search of every column
    still reads the events. Each keeps what a search of the events keeps."""
    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    served = store.open_store(target)
    word = whole.events["title"].iloc[0].split()[1].lower()  # e.g. "summit" in "Secret summit of Kyoto"
    searches = [("title:" + word,), ("title:" + word[1:4],), ("title:of", "title:" + word), ("title:zzzq",), (word,)]

    def kept(terms: tuple[str, ...], timeline=served) -> list[tuple[object, ...]]:
        name = timeline.engine.searched(terms)
        return timeline.engine.engine().run(f"SELECT * FROM {name} ORDER BY row", ())

    before = {terms: kept(terms) for terms in searches}
    assert store.precompute(target, served) and served.engine.precomputed
    made = duckdb.connect(str(target / store.TITLES_FILE), read_only=True)
    titles = made.execute(f"SELECT {sql.SEARCH_SELECT}, title_hay FROM titles ORDER BY rowid").fetchall()
    made.close()
    events = served.engine.engine().run(f"SELECT {sql.SEARCH_SELECT}, title_hay FROM events ORDER BY row", ())
    assert titles == events and len(titles) == 9_000

    def no_events(self, lo, hi):
        raise AssertionError("a title search read the events")

    monkeypatch.setattr(engines.DuckDB, "_rows_source", no_events)
    # the server that took the tables up as it served: a new title search reads the titles
    titled = whole.events["title"].str.lower()
    assert len(kept(("title:" + word, "title:of"))) == (titled.str.contains(word) & titled.str.contains("of")).sum()
    served.engine.close()
    again = store.open_store(target)  # a server started on the store since: nothing searched yet
    for terms in searches[:-1]:
        assert kept(terms, again) == before[terms], terms
    assert len(before[searches[0]]) == titled.str.contains(word).sum() > 0
    with pytest.raises(AssertionError, match="read the events"):
        kept(searches[-1], again)  # every column: the events
    again.engine.close()
    monkeypatch.undo()

    # titles DuckDB cannot open (here zeros, of the size tables.json says): title searches read the events
    size = (target / store.TITLES_FILE).stat().st_size
    (target / store.TITLES_FILE).write_bytes(bytes(size))
    damaged = store.open_store(target)
    engines.check_engine(damaged)
    assert damaged.engine.precomputed and not damaged.engine.engine().has(engines.TITLES)
    assert kept(searches[0], damaged) == before[searches[0]]
    damaged.engine.close()

    # tiles made without titles (a store made before they were): kept as they are, not made again
    (target / store.TITLES_FILE).unlink()
    made = json.loads((target / store.TABLES_FILE).read_text())
    del made["bytes"][store.TITLES_FILE]
    del made["done"]  # written once done, that version said nothing of it
    (target / store.TABLES_FILE).write_text(json.dumps(made))
    tables = {p.name: p.stat().st_ino for p in target.iterdir()}
    assert set(store.ready_tables(target)) == set(store.PRECOMPUTED)
    older = store.open_store(target)
    assert store.precompute(target, older) and older.engine.precomputed
    assert {p.name: p.stat().st_ino for p in target.iterdir()} == tables
    assert kept(searches[0], older) == before[searches[0]]
    older.engine.close()


SEARCH_IN_ANOTHER_PROCESS = """
import json, sys
from pathlib import Path
from dashboard.io import store
served = store.open_store(Path(sys.argv[1]))
engine = served.engine
print(json.dumps({" ".join(t): engine.engine().run(f"SELECT count(*) FROM {engine.searched(tuple(t))}", ())[0][0]
                  for t in json.loads(sys.argv[2])} | {"titles": engine.engine().has("titles")}))
"""


def test_title_searches_at_once_in_threads_and_another_process_read_the_titles_apart(untabled):
    """The titles file is shared: eight threads of one server process and another process (a second
    worker) search it at once, each search its own, and each gets what the events give."""
    target, whole = untabled
    assert store.precompute(target, store.open_store(target))
    titled = whole.events["title"].str.lower()
    words = sorted({w.lower() for t in whole.events["title"].head(50) for w in t.split() if len(w) > 3})[:8]
    terms = [("title:" + w,) for w in words] + [("title:" + w[:3], "title:of") for w in words]
    expected = {
        t: int(np.logical_and.reduce([titled.str.contains(term.removeprefix("title:")) for term in t]).sum())
        for t in terms
    }
    served = store.open_store(target)
    other = subprocess.Popen(
        [sys.executable, "-c", SEARCH_IN_ANOTHER_PROCESS, str(target), json.dumps(terms)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )

    def search(t: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
        name = served.engine.searched(t)
        return t, served.engine.run(f"SELECT count(*) FROM {name}", ())[0][0]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(search, terms * 2))
    assert served.engine.engine().has(engines.TITLES)
    assert all(n == expected[t] for t, n in answers) and any(expected.values())
    out, _ = other.communicate(timeout=120)
    theirs = json.loads(out)
    assert theirs.pop("titles") is True
    assert theirs == {" ".join(t): expected[t] for t in terms}
    served.engine.close()


def test_tables_already_in_place_are_kept(untabled):
    target, _ = untabled
    timeline = store.open_store(target)
    assert store.precompute(target, timeline)
    before = {p.name: p.stat().st_ino for p in target.iterdir()}
    assert store.precompute(target, timeline)  # another server's maker, done later: nothing replaced
    assert {p.name: p.stat().st_ino for p in target.iterdir()} == before


def test_stopping_the_making_of_tables_interrupts_its_query_and_leaves_nothing(untabled, monkeypatch):
    """The server stops while its tables are made: the query under way is interrupted (not waited
    for), and neither a table nor its work folder is left."""
    import threading

    target, _ = untabled
    timeline = store.open_store(target)
    endless = "SELECT sum(hash(range)) AS n FROM range(1000000000000)"  # hours of work
    monkeypatch.setattr(store.tiles, "made_of_events", lambda _t: [(tiles.TILES, endless)])
    making = store.Making()
    done: list[bool] = []
    thread = threading.Thread(target=lambda: done.append(store.precompute(target, timeline, making=making)))
    thread.start()
    deadline = time.monotonic() + 30
    while making.engine is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the query is under way
    t0 = time.monotonic()
    making.stop()
    thread.join(30)
    assert not thread.is_alive() and time.monotonic() - t0 < 10
    assert done == [False]
    assert store.ready_tables(target) is None
    assert not [p for p in target.iterdir() if p.name.startswith(".tables-") or p.name == "tiles.parquet"]


MAKE_APART_THEN_DIE = """
import os, subprocess, sys
from pathlib import Path
from dashboard.io import store
log = Path(sys.argv[2])
with log.open("wb") as out:  # a file, not a pipe: the maker's writes go on once this process is gone
    maker = store.precompute_apart(Path(sys.argv[1]), stderr=out.fileno())
print(maker.pid, flush=True)
while b"making the tables" not in log.read_bytes():
    pass
os._exit(0)  # killed outright, while the maker makes its tables
"""


def test_the_maker_of_tables_stops_when_its_server_is_gone(untabled):
    """A server killed outright (no handler of its own runs) leaves no maker working behind it: the
    kernel tells the maker (Linux's parent-death signal)."""
    import subprocess
    import sys

    import psutil

    target, _ = untabled
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.run(
        [sys.executable, "-c", MAKE_APART_THEN_DIE, str(target), str(target.parent / "maker.log")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    maker = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 20
    while psutil.pid_exists(maker) and psutil.Process(maker).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the maker of tables outlived its server"
        time.sleep(0.05)
    assert store.ready_tables(target) is None  # stopped before it put anything in place
    assert not [p for p in target.iterdir() if p.name.startswith(".tables-")]


def test_tables_put_in_place_while_a_process_opens_its_engine_are_read_only_once_it_has_them(untabled, monkeypatch):
    """One request opens this process's engine (it looked for the tables before they were in place)
    while another finds them in place: that one must not send the tables' queries to an engine
    without them (it waited for the engine being opened, then took the tables as its)."""
    import threading

    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    served = store.open_store(target)
    shared = served.engine
    opened, release = threading.Event(), threading.Event()
    open_engine = shared._open

    def slow_open():
        engine = open_engine()  # the tables not made yet: opened without them
        opened.set()
        release.wait(30)
        return engine

    monkeypatch.setattr(shared, "_open", slow_open)
    first = threading.Thread(target=shared.engine)
    first.start()
    assert opened.wait(30)
    assert store.precompute(target, served)  # in place while the engine is still being opened
    said: list[bool] = []
    second = threading.Thread(target=lambda: said.append(shared.precomputed))
    second.start()
    second.join(0.5)  # it waits for the engine being opened
    release.set()
    first.join(30)
    second.join(30)
    assert said == [True]
    assert shared.engine().precomputed
    [(tiles_rows,)] = shared.engine().run("SELECT count(*) FROM tiles", ())
    assert tiles_rows
    assert sql.facet_counts(shared, served.themes, View()) == facet_counts(whole, View())
    served.engine.close()


@pytest.mark.parametrize("damage", ["missing", "cut short", "emptied"])
def test_tables_said_in_place_but_missing_or_cut_short_are_made_again(untabled, damage, monkeypatch):
    """A table file gone or cut short under its ``tables.json`` (deleted by hand, a crash before the
    disk had it): the store is still served, that table's questions asked of the events, and it is
    made again."""
    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    assert store.precompute(target, store.open_store(target))
    hit = target / "ranked.parquet"
    if damage == "missing":
        hit.unlink()
    else:
        with hit.open("r+b") as fh:
            fh.truncate(hit.stat().st_size // 2 if damage == "cut short" else 0)
    served = store.open_store(target)
    engines.check_engine(served)  # the server starts
    assert store.ready_tables(target) is None and not served.engine.precomputed
    assert store.precompute(target, served)
    assert store.ready_tables(target) is not None and served.engine.precomputed
    options = FigureOptions(title="Same", layout_width=1200)
    for view in VIEWS:
        ours = json.dumps(queried_figure(served, view, options), cls=PlotlyJSONEncoder, sort_keys=True)
        assert ours == json.dumps(build_figure(whole, view, options), cls=PlotlyJSONEncoder, sort_keys=True)
    served.engine.close()


def test_two_makers_of_one_stores_tables_at_once_make_them_once(untabled):
    """Two servers started on one cache (or ``--debug``, whose reloader runs the command twice): the
    second maker waits for the first and finds the tables made, instead of making them again beside
    it (as much memory and CPU again)."""
    import threading

    target, whole = untabled
    timeline = store.open_store(target)
    said: list[str] = []
    done: list[bool] = []
    makers = [
        threading.Thread(target=lambda: done.append(store.precompute(target, timeline, said.append))) for _ in "ab"
    ]
    for maker in makers:
        maker.start()
    for maker in makers:
        maker.join(60)
    assert done == [True, True]
    assert sum(m.startswith(f"{tiles.TILES} made") for m in said) == 1, said
    assert store.ready_tables(target) is not None
    assert not [p for p in target.iterdir() if p.name.startswith(".tables-")]


ENDLESS_MAKER = """
import sys
from pathlib import Path
from dashboard.core import tiles
from dashboard.io import store
store.tiles.made_of_events = lambda _t: [(tiles.TILES, "SELECT sum(hash(range)) AS n FROM range(1000000000000)")]
store.precompute(Path(sys.argv[1]), store.stored_head(Path(sys.argv[1])))
"""


def test_the_work_of_a_maker_killed_outright_is_removed_by_the_next(untabled):
    """A maker killed outright (the kernel's out-of-memory killer, ``kill -9``) runs no handler and
    leaves its work folder, as large as the tables: the next maker removes it."""
    import subprocess
    import sys

    target, _ = untabled
    root = Path(__file__).resolve().parents[2]
    maker = subprocess.Popen([sys.executable, "-c", ENDLESS_MAKER, str(target)], cwd=root)
    try:
        deadline = time.monotonic() + 60
        while not [p for p in target.iterdir() if p.name.startswith(".tables-")]:
            assert maker.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # its query under way
    finally:
        maker.kill()
        maker.wait(30)
    assert [p for p in target.iterdir() if p.name.startswith(".tables-")]  # what it leaves
    assert store.precompute(target, store.open_store(target))
    assert store.ready_tables(target) is not None
    assert not [p for p in target.iterdir() if p.name.startswith(".tables-")]


def test_a_maker_waiting_for_another_stops_when_told(untabled, monkeypatch):
    """The second maker waits while the first works; its server stopping stops it at once."""
    import threading

    target, _ = untabled
    timeline = store.open_store(target)
    endless = "SELECT sum(hash(range)) AS n FROM range(1000000000000)"
    monkeypatch.setattr(store.tiles, "made_of_events", lambda _t: [(tiles.TILES, endless)])
    first, second = store.Making(), store.Making()
    done: dict[str, bool] = {}
    working = threading.Thread(target=lambda: done.update(first=store.precompute(target, timeline, making=first)))
    working.start()
    deadline = time.monotonic() + 30
    while first.engine is None and time.monotonic() < deadline:
        time.sleep(0.05)
    waiting = threading.Thread(target=lambda: done.update(second=store.precompute(target, timeline, making=second)))
    waiting.start()
    time.sleep(0.5)
    assert waiting.is_alive() and second.engine is None  # waits, making nothing
    t0 = time.monotonic()
    second.stop()
    waiting.join(10)
    assert not waiting.is_alive() and time.monotonic() - t0 < 5 and done == {"second": False}
    first.stop()
    working.join(30)
    assert done == {"second": False, "first": False}
    assert store.ready_tables(target) is None


STOPPED_AS_ITS_QUERY_BEGINS = """
import os, signal, sys, time
from pathlib import Path
from dashboard.core import tiles
from dashboard.io import engines, store
store.tiles.made_of_events = lambda _t: [(tiles.TILES, "SELECT sum(hash(range)) AS n FROM range(1000000000000)")]
run = engines.DuckDB.run

def late(self, sql, args):
    if sql.startswith("COPY"):
        os.kill(os.getpid(), signal.SIGTERM)  # the server stops as the maker's query is about to begin
        time.sleep(1)  # the handler runs meanwhile, in the main thread
    return run(self, sql, args)

engines.DuckDB.run = late
sys.argv = ["maker", sys.argv[1], str(os.getppid())]
sys.exit(store._precompute_here())
"""


def test_a_maker_stopped_just_before_its_query_begins_stops(untabled):
    """DuckDB forgets an interrupt that comes before a query begins: a maker told to stop just then
    must not go on with that query (minutes at 100M events) once its server is gone."""
    import subprocess
    import sys

    target, _ = untabled
    root = Path(__file__).resolve().parents[2]
    maker = subprocess.run(
        [sys.executable, "-c", STOPPED_AS_ITS_QUERY_BEGINS, str(target)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert maker.returncode == 1, maker.stderr
    assert store.ready_tables(target) is None
    assert not [p for p in target.iterdir() if p.name.startswith(".tables-")]


def test_table_pages_and_positions_are_the_same_before_and_after_the_tables_are_taken_up(untabled, monkeypatch):
    """Each process remembers its answers: those given from the events alone, before the tables of
    quick clicks were in place, and those read from the tables afterwards must agree (a table page
    and an event's place in it, as a user paging on meanwhile meets them)."""
    from dashboard.render import queried

    target, _ = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    served = store.open_store(target)
    columns = sql.table_columns(served)
    asked = [
        (view, descending, offset)
        for view in (View(), View(themes=("trade", "war")), View(x_range=(-2e12, 0.0)))
        for descending in (False, True)
        for offset in (0, 4_321)
    ]

    def answers() -> list[object]:
        found: list[object] = []
        for view, descending, offset in asked:
            page, matched = queried.page(served, view, "when", descending, offset, 50, columns)
            found.append((matched, page.to_json(orient="split")))  # NaN equal to NaN
            places = [queried.position(served, view, "when", descending, int(r)) for r in page["row"][::10]]
            assert None not in places
            found += places
        return found

    before = answers()
    assert sum(isinstance(a, int) for a in before) > 20  # places asked on most pages
    assert not served.engine.precomputed
    assert store.precompute(target, served) and served.engine.precomputed
    assert answers() == before
    served.engine.close()


@pytest.mark.spark
def test_spark_serves_a_store_before_its_tables_and_takes_them_up(untabled, spark, monkeypatch):
    """``--engine spark`` on a store served before its tables are made: answers from the events, then
    from the tiles alone once attached to the Spark session the engine already has, then from every
    table, the same."""
    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    served = store.open_store(target, engine="spark")
    options = FigureOptions(title="Same", layout_width=1200)
    views = [View(), View(themes=("trade", "war")), View(x_range=(-2e12, 0.0))]
    expected = [json.dumps(build_figure(whole, v, options), cls=PlotlyJSONEncoder, sort_keys=True) for v in views]

    def figures() -> list[str]:
        return [json.dumps(queried_figure(served, v, options), cls=PlotlyJSONEncoder, sort_keys=True) for v in views]

    with_tiles: list[tuple[bool, bool]] = []

    def at_tiles(said: str, step=None) -> None:
        if said.startswith("tiles made"):
            assert figures() == expected
            with_tiles.append((served.engine.has(tiles.TILES), served.engine.has(tiles.RANKED)))

    try:
        assert figures() == expected and not served.engine.precomputed
        assert store.precompute(target, served, say=at_tiles)
        assert with_tiles == [(True, False)]
        assert served.engine.precomputed and served.engine.engine().precomputed
        [(tiles_rows,)] = served.engine.engine().run("SELECT count(*) FROM tiles", ())
        assert tiles_rows
        assert figures() == expected
    finally:
        served.engine.close()


def test_a_maker_spills_into_its_work_folder(untabled, monkeypatch):
    """The maker works within :data:`store.TABLES_MEMORY`, its sorts spilling to disk past it (GBs at
    100M events): into its work folder, which the next maker removes should it be killed outright,
    not into the system's temporary folder, where nothing would."""
    import threading

    target, _ = untabled
    timeline = store.open_store(target)
    endless = "SELECT sum(hash(range)) AS n FROM range(1000000000000)"
    monkeypatch.setattr(store.tiles, "made_of_events", lambda _t: [(tiles.TILES, endless)])
    making = store.Making()
    thread = threading.Thread(target=store.precompute, args=(target, timeline), kwargs={"making": making})
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while making.engine is None and time.monotonic() < deadline:
            time.sleep(0.05)
        engine = making.engine
        assert engine is not None
        [(spill,)] = engine._con.cursor().execute("SELECT current_setting('temp_directory')").fetchall()
        [work] = [p for p in target.iterdir() if p.name.startswith(".tables-")]
        assert Path(spill).parent == work
    finally:
        making.stop()
        thread.join(30)


def test_requests_under_way_while_the_tables_are_taken_up_all_get_the_same_answers(untabled, monkeypatch):
    """Four request threads ask on while the tables are put in place and attached to the engine they
    share (each thread its own cursor): none fails, every answer is the events'."""
    from concurrent.futures import ThreadPoolExecutor

    from dashboard.render import queried

    target, whole = untabled
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    monkeypatch.setattr(engines, "ANSWERS_KEPT", 1)  # answers asked of the engine, not remembered
    served = store.open_store(target)
    views = [View(), View(themes=("trade", "war")), View(x_range=(-2e12, 0.0))]
    expected = {v: sql.facet_counts(served.engine, served.themes, v) for v in views}
    counted = {v: queried.counted(served, v) for v in views}
    stop = time.monotonic() + 3

    def ask(i: int) -> tuple[int, bool]:
        asked, saw_tables = 0, False
        while time.monotonic() < stop:
            view = views[(i + asked) % len(views)]
            saw_tables = saw_tables or served.engine.precomputed
            assert queried.counted(served, view) == counted[view]
            assert sql.facet_counts(served.engine, served.themes, view) == expected[view]
            asked += 1
        return asked, saw_tables

    with ThreadPoolExecutor(4) as pool:
        asking = [pool.submit(ask, i) for i in range(4)]
        time.sleep(0.5)
        assert store.precompute(target, served)
        done = [a.result() for a in asking]
    assert all(n > 5 and saw for n, saw in done)
    assert sql.facet_counts(served.engine, served.themes, View()) == facet_counts(whole, View())
    served.engine.close()


SLOW_MAKER_APART = """
import sys, time
from pathlib import Path
from dashboard.io import engines, store
run = engines.DuckDB.run

def slow(self, sql, args):
    if sql.startswith("COPY"):
        time.sleep(2)  # tables that take a while to make
    return run(self, sql, args)

engines.DuckDB.run = slow
sys.argv = ["maker", sys.argv[1], sys.argv[2]]
sys.exit(store._precompute_here())
"""


def test_a_maker_goes_on_through_a_hangup(untabled):
    """The terminal the server was started from is closed: its process group gets SIGHUP, on which
    gunicorn's master reloads its workers and serves on. Its maker of tables must go on too, else the
    server would answer from the events alone until it is started again."""
    import os
    import signal
    import subprocess
    import sys

    target, _ = untabled
    root = Path(__file__).resolve().parents[2]
    maker = subprocess.Popen(
        [sys.executable, "-c", SLOW_MAKER_APART, str(target), str(os.getpid())], cwd=root, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not [p for p in target.iterdir() if p.name.startswith(".tables-")]:
            assert maker.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        maker.send_signal(signal.SIGHUP)
        _, said = maker.communicate(timeout=60)
    finally:
        if maker.poll() is None:
            maker.kill()
    assert maker.returncode == 0, said
    assert store.ready_tables(target) is not None


def test_a_process_that_found_the_tables_says_so_until_its_engine_opens_with_them(untabled):
    """A fresh worker's export browser asks first whether the tables are in place (they are: the
    store was made before): the requests that follow within the second must read them too, not the
    events (seconds a page at 100M events), though the engine is not opened yet."""
    target, _ = untabled
    assert store.precompute(target, store.open_store(target))
    served = store.open_store(target)
    assert served.engine.precomputed  # the browser's question: no engine opened for it
    assert not served.engine._engines
    assert served.engine.precomputed  # the first request's, within the second
    [(tiles_rows,)] = served.engine.engine().run("SELECT count(*) FROM tiles", ())
    assert tiles_rows and served.engine.precomputed
    served.engine.close()


def test_a_store_built_apart_comes_back_with_the_builders_problems_or_error(tmp_path):
    """The builder is a process of its own: its problems come back as ``build`` raises them, an error it
    met as itself (the command line says an OSError in one line), and its store is in place."""
    table = pa.table({"id": ["a", "b", "c"], "date": ["1900", "not a date", "1950"], "title": ["T"] * 3})
    pq.write_table(table, tmp_path / "bad.parquet")
    with pytest.raises(ValidationError) as raised:
        store.build_apart([tmp_path / "bad.parquet"], "bad.parquet", tmp_path / "bad.store")
    (problem,) = raised.value.problems
    assert (problem.column, problem.value) == ("date", "not a date") and "row 2" in problem.describe()
    pq.write_table(table.slice(0, 1), tmp_path / "good.parquet")
    (tmp_path / "not a folder").write_text("")
    with pytest.raises(OSError):
        store.build_apart([tmp_path / "good.parquet"], "good.parquet", tmp_path / "not a folder" / "s")
    store.build_apart([tmp_path / "good.parquet"], "good.parquet", tmp_path / "good.store")
    assert store.open_store(tmp_path / "good.store").size == 1


def preview_file(folder: Path, rows: int = 4_000, bad_row: int | None = None) -> Path:
    """A dataset of ``rows`` rows in row groups of 250 (``bad_row``: that row's date is not one)."""
    table = generate(rows, n_themes=4, seed=5)
    if bad_row is not None:
        dates = table["date"].to_pylist()
        dates[bad_row] = "1999-13-01"
        table = table.set_column(table.schema.get_field_index("date"), "date", pa.array(dates))
    pq.write_table(table, folder / "big.parquet", row_group_size=250)
    return folder / "big.parquet"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_large_datasets_first_rows_are_stored_as_a_preview_while_the_rest_are_validated(tmp_path, workers):
    path = preview_file(tmp_path)
    made: list[bool] = []  # the whole store was not in place yet when the preview was made
    preview = store.Preview(tmp_path / "preview", lambda: made.append(store.is_store(tmp_path / "s")), rows=1_000)
    store.build([path], "big.parquet", tmp_path / "s", rows=250, workers=workers, tables=False, preview=preview)
    assert made == [False]
    shown, whole = store.open_store(tmp_path / "preview"), store.open_store(tmp_path / "s")
    assert shown.preview_of == 4_000 and 1_000 <= shown.size < 4_000
    assert whole.preview_of == 0 and whole.size == 4_000 and shown.themes == whole.themes
    columns = ["id", "title", "start", "theme_mask"]
    first = sql.fetch(shown.engine, sql.EVERYTHING, columns, limit=4_000)
    assert first["row"].tolist() == list(range(shown.size))
    assert first.equals(sql.fetch(whole.engine, sql.EVERYTHING, columns, limit=shown.size))


def test_a_small_preview_is_validated_in_chunks_no_larger():
    """A preview asked of fewer rows than a usual chunk is not held back until a whole chunk is
    validated (tests/web/test_preview_server.py serves one of 16,384 rows first); the rows past it
    are cut into the usual chunks, so that the store is the same."""
    assert store.chunk_rows(0) == store.CHUNK_ROWS  # no preview: the usual chunks
    assert store.chunk_rows(store.PREVIEW_ROWS) == store.CHUNK_ROWS
    assert store.chunk_rows(20_000) == 20_000
    assert store.chunk_rows(10) == store.SMALLEST_CHUNK  # no chunk so small that its overhead slows the rest
    assert store.chunk_rows(1_000, 250) == 250  # and never larger than the usual ones
    # two parts of 10 groups of 100 rows; the dataset's first 300 rows in chunks of 100, the rest of 400
    first, second = part_of([100] * 10), part_of([100] * 10)
    cut = [c.rows for c in store.chunks_of(first, 400, 0, 300, 100)]
    assert cut == [100, 100, 100, 400, 300]
    assert [c.rows for c in store.chunks_of(second, 400, 1000, 300, 100)] == [400, 400, 200]
    assert [c.rows for c in store.chunks_of(second, 400, 0, 1200, 100)] == [100] * 10  # all of it the preview's
    assert [c.rows for c in store.chunks_of(part_of([1000]), 400, 0, 300, 100)] == [100] * 10  # slices, too


def test_no_preview_of_a_dataset_too_small_or_with_a_problem_in_its_first_rows(tmp_path):
    made: list[bool] = []
    preview = store.Preview(tmp_path / "preview", lambda: made.append(True), rows=1_500)
    store.build([preview_file(tmp_path)], "big.parquet", tmp_path / "s", rows=250, workers=1, preview=preview)
    assert made == [] and not (tmp_path / "preview").exists()  # 4,000 rows: less than 4 x 1,500
    preview = store.Preview(tmp_path / "preview", lambda: made.append(True), rows=500)
    with pytest.raises(ValidationError) as raised:
        store.build([preview_file(tmp_path, bad_row=300)], "big.parquet", tmp_path / "t", rows=250, preview=preview)
    assert made == [] and [p.value for p in raised.value.problems] == ["1999-13-01"]


def test_a_problem_past_the_preview_refuses_the_dataset_all_the_same(tmp_path):
    made: list[bool] = []
    preview = store.Preview(tmp_path / "preview", lambda: made.append(True), rows=500)
    with pytest.raises(ValidationError) as raised:
        store.build([preview_file(tmp_path, bad_row=3_900)], "big.parquet", tmp_path / "s", rows=250, preview=preview)
    assert made == [True] and [p.cell for p in raised.value.problems] == ["row 3901"]
    assert not store.is_store(tmp_path / "s")


def test_built_apart_the_preview_is_returned_first_then_the_whole_store(tmp_path):
    path = preview_file(tmp_path, rows=40_000)
    building = store.build_apart(
        [path], "big.parquet", tmp_path / "s", tables=False, preview=True, preview_rows=2_000, rows=500
    )
    try:
        assert building is not None and building.preview is not None
        assert building.preview.parent == tmp_path and building.preview.name.startswith("s.preview-")
        assert store.open_store(building.preview).preview_of == 40_000
        building.wait()
        assert store.open_store(tmp_path / "s").size == 40_000
    finally:
        if building is not None:
            building.stop()
    assert {p.name for p in tmp_path.iterdir()} == {"big.parquet", "s"}  # the preview removed


@pytest.mark.parametrize("rows, bad_row", [(4_000, None), (40_000, 300)], ids=["too small", "a problem first"])
def test_a_preview_asked_but_not_made_leaves_no_folder(tmp_path, rows, bad_row):
    """A dataset too small for a preview is built whole, one with a problem in its first rows refused:
    the preview's folder, made as the builder starts, is removed either way, its lock let go."""
    path = preview_file(tmp_path, rows=rows, bad_row=bad_row)
    try:
        assert store.build_apart([path], "big.parquet", tmp_path / "s", preview=True, preview_rows=2_000) is None
    except ValidationError as exc:
        assert bad_row is not None and [p.value for p in exc.problems] == ["1999-13-01"]
    assert {p.name for p in tmp_path.iterdir()} == {"big.parquet"} | ({"s"} if bad_row is None else set())


@pytest.mark.parametrize("kind", ["string", "large_string", "dictionary"])
def test_the_first_pass_finds_the_themes_validation_finds_whatever_the_columns_type(tmp_path, kind):
    """It reads only the distinct (themes, kind) pairs of each row group, as dictionaries."""
    themes = ["war;trade", "trade", "science", "Religion", "war;trade", "era-theme", "memory"] * 40
    kinds = ["event", "", "event", "EVENT", "event", "era", "event"] * 40
    ends = ["", "", "", "", "", "1950", ""] * 40
    types = {"string": pa.string(), "large_string": pa.large_string()}
    column = pa.array(themes).dictionary_encode() if kind == "dictionary" else pa.array(themes, types[kind])
    table = pa.table({"date": ["1900"] * 280, "end_date": ends, "title": ["T"] * 280, "themes": column, "kind": kinds})
    pq.write_table(table, tmp_path / "typed.parquet", row_group_size=50)
    part = parquet.open_part(tmp_path / "typed.parquet", "typed.parquet")
    found = store.file_themes([part], store.DEFAULT_OPTIONS)
    assert found == load_dataset(tmp_path / "typed.parquet").themes
    assert "era-theme" not in found and {"war", "trade", "memory", "science"} <= set(found)


def test_no_preview_of_a_dataset_already_known_to_be_refused(tmp_path, monkeypatch):
    """A helper may meet a problem in a later task before the first rows are all validated: the
    dataset is refused, so its first rows are not served meanwhile."""
    path = preview_file(tmp_path, bad_row=3_900)
    alone = store.first_alone

    def later_first(tasks, chunks, rows):  # the task of the bad row validated before the others
        found = alone(tasks, chunks, rows)
        bad = next(t for t in found if any(chunks[i].first <= 3_900 < chunks[i].first + chunks[i].rows for i in t))
        return [bad] + [t for t in found if t is not bad]

    monkeypatch.setattr(store, "first_alone", later_first)
    made: list[bool] = []
    preview = store.Preview(tmp_path / "preview", lambda: made.append(True), rows=500)
    with pytest.raises(ValidationError):
        store.build([path], "big.parquet", tmp_path / "s", rows=250, workers=1, preview=preview)
    assert made == [] and not (tmp_path / "preview").exists()


STALLED_BUILDER = """
import sys, time
from pathlib import Path
from dashboard.io import store

def say(msg, step=None):
    if msg.startswith("validated"):
        print("at work", flush=True)
        time.sleep(300)

store.build([Path(sys.argv[1])], "one.parquet", Path(sys.argv[2]), rows=5, workers=1, progress=say)
"""


EARLIER_BUILDER = """
import fcntl, sys, time
with open(sys.argv[1]) as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(300)
"""


def test_the_work_folders_of_builders_killed_outright_are_removed_by_the_next_build_not_one_at_work(tmp_path):
    """A builder killed outright (``kill -9``, the kernel short of memory) runs no handler and leaves its
    work folder, as large as the store: the next build beside it removes it, whichever store it was
    building (one whose file changed since is never built again), but not the folder of a builder
    still at work (two servers may build one store at once). A folder without a lock (an earlier
    version's) is removed only if it is the store's own and nothing in it changed for a minute, and
    not while a builder of the version before holds the lock file it kept there."""
    path, target = three_chunks(tmp_path), tmp_path / "s"
    builders: list[subprocess.Popen[str]] = []

    def stalled(name: str) -> str:
        """A builder of the store ``name`` at work, and its work folder."""
        before = left()
        assert started(builders, STALLED_BUILDER, str(path), str(tmp_path / name)) == "at work"
        (made,) = left() - before
        return made

    def left() -> set[str]:
        return {p.name for p in tmp_path.glob("*.building-*")}

    try:
        gone, other_gone, working = stalled("s"), stalled("t"), stalled("s")
        for killed in builders[:2]:
            killed.kill()
            killed.wait(30)
        assert left() == {gone, other_gone, working}  # what they leave
        names = ("s.building-young", "s.building-old", "s.building-writing", "t.building-old")
        earlier = ("s.building-earlier-at-work", "s.building-earlier-gone")  # an earlier version's lock file
        lockless = {n: tmp_path / n for n in (*names, *earlier)}
        for name, folder in lockless.items():
            folder.mkdir()
            (folder / "events-00000.parquet").write_bytes(b"x")
            if name in earlier:
                (folder / store.EARLIER_LOCK).write_bytes(b"")
            if not name.endswith("young"):
                for made in (*folder.iterdir(), folder):
                    os.utime(made, (time.time() - 3600, time.time() - 3600))
        (lockless["s.building-writing"] / "events-00000.parquet").write_bytes(b"xy")  # written to just now
        # a builder of that version, at work
        assert started(builders, EARLIER_BUILDER, str(lockless[earlier[0]] / store.EARLIER_LOCK)) == "held"
        store.build([path], "one.parquet", target, rows=5, workers=1)
        assert store.is_store(target) and not (target / held.LOCK).exists()
        assert left() == {working, "s.building-young", "s.building-writing", "t.building-old", earlier[0]}
        assert builders[2].poll() is None
    finally:
        end_all(builders)


PREVIEWING_SERVER = """
import sys, time
from pathlib import Path
from dashboard.io import store
target = Path(sys.argv[2])
building = store.build_apart(
    [Path(sys.argv[1])], "big.parquet", target, tables=False, preview=True, preview_rows=2_000, rows=500
)
print(building.preview, flush=True)
time.sleep(300)
"""


def test_a_preview_left_by_a_server_killed_outright_is_removed_by_the_next_not_one_served(tmp_path):
    """A server killed outright (no handler of its runs) leaves the preview it served, whose pieces keep
    the space of a store half built: the next server to preview a store removes it, whichever store it
    was of, and leaves the preview another live server still serves (its lock held), and one without a
    lock made by an earlier version unless it is of the same store and nothing in it changed for a day."""
    path, target = preview_file(tmp_path, rows=40_000), tmp_path / "s.store"
    servers: list[subprocess.Popen[str]] = []

    def previewing() -> Path:
        return Path(started(servers, PREVIEWING_SERVER, str(path), str(target)))

    try:
        killed, serving = previewing(), previewing()
        os.killpg(servers[0].pid, signal.SIGKILL)  # the server and its builder
        servers[0].wait(30)
        assert store.is_store(killed) and store.is_store(serving)  # nothing of the killed server's ran
        # one of another store (its file changed since) whose server is gone: removed all the same
        other, holding = held.make_held(f"t.store{store.PREVIEW}", tmp_path)
        holding.close()
        young, old = target.with_name("s.store.preview-1"), target.with_name("s.store.preview-2")
        other_old = target.with_name("t.store.preview-2")
        for lockless in (young, old, other_old):
            lockless.mkdir()
            (lockless / "events-00000.parquet").write_bytes(b"x")
        for made in (old / "events-00000.parquet", old, other_old / "events-00000.parquet", other_old):
            os.utime(made, (time.time() - 2 * 86_400, time.time() - 2 * 86_400))

        building = store.build_apart(
            [path], "big.parquet", target, tables=False, preview=True, preview_rows=2_000, rows=500
        )
        try:
            assert building is not None and building.preview is not None
            # the killed server's and the other store's removed (its lock is let go with the file that
            # held it); the live server's and the lockless young one kept, and the other store's
            # lockless one: that store's build is to judge it
            left = {p.name for p in tmp_path.glob("*.store.preview-*")}
            assert left == {building.preview.name, serving.name, young.name, other_old.name}
            assert not other.exists() and servers[1].poll() is None and store.is_store(serving)
        finally:
            if building is not None:
                building.stop()
        assert not building.preview.exists()
    finally:
        end_all(servers)
