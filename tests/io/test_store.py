"""A store built a chunk at a time holds what loading the whole file gives: the same answers to
every question, the same problems named by part and row, ids unique across chunks."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.core import sql
from dashboard.core.model import ValidationError
from dashboard.core.query import View, facet_counts, filter_events
from dashboard.io import parquet, store
from dashboard.io.formats import load_dataset
from dashboard.render.figure import FigureOptions, build_figure
from dashboard.render.queried import queried_figure
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
    messages: list[str] = []
    store.build(parquet.dataset_files(folder), "events", target, base=folder, rows=1_000, progress=messages.append)
    assert store.is_store(target) and any("validated 9,000 rows" in m for m in messages)
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


def test_each_chunk_has_its_own_themes_and_the_bits_agree(tmp_path):
    """The first chunk knows only 'zebra' and 'apple', the last only 'mango': the store's bits are the
    whole file's."""
    rows = [("1900", "A", "zebra;apple")] * 5 + [("1950", "B", "apple")] * 5 + [("2000", "C", "mango")] * 5
    table = pa.table({k: [r[i] for r in rows] for i, k in enumerate(("date", "title", "themes"))})
    pq.write_table(table, tmp_path / "one.parquet")
    store.build([tmp_path / "one.parquet"], "one.parquet", tmp_path / "s", rows=5, workers=1)
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
