"""The page's callbacks answer the same whether the events are in memory or with an engine: the
figure, the overview, the counts, the table's pages, the details of a click, the CSV export."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from dash import html
from plotly.utils import PlotlyJSONEncoder

from dashboard.core.query import View
from dashboard.io.formats import parse_events
from dashboard.io.read_options import ReadOptions
from dashboard.io.store import open_store, store_path, write
from dashboard.web.callbacks.details import show_details
from dashboard.web.callbacks.downloads import download
from dashboard.web.callbacks.figure import update_figure
from dashboard.web.callbacks.services import Services
from dashboard.web.callbacks.table import TABLE_PAGE_SIZE, follow_selection, table_rows
from dashboard.web.datasets import Datasets
from tests.synthetic import generate


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Services, Services]:
    folder = tmp_path_factory.mktemp("engine")
    path = folder / "gen.csv"
    buf = io.BytesIO()
    pacsv.write_csv(generate(12_000, n_themes=8, seed=9), buf)
    path.write_bytes(buf.getvalue())
    memory = parse_events(path.read_bytes(), "gen.csv")
    write(parse_events(path.read_bytes(), "gen.csv"), folder / "store")
    engine = open_store(folder / "store")
    assert engine.events.empty and engine.size == memory.size == 12_000
    return (
        Services(Datasets(memory, upload_dir=folder / "up1"), "Served"),
        Services(Datasets(engine, upload_dir=folder / "up2"), "Served"),
    )


def sent(view: View) -> object:
    """The view as a page stores and sends it (JSON)."""
    return json.loads(json.dumps(asdict(view)))


def as_json(value: object) -> object:
    return json.loads(json.dumps(value, cls=PlotlyJSONEncoder, sort_keys=True))


VIEWS = [
    View(),
    View(themes=("trade", "war")),
    View(start="1900", end="1950"),
    View(text="summit"),
    View(text="nothing at all here"),
    View(start="1950", end="1900"),  # a bad range: the same message
    View(x_range=(-1e12, 0.0)),
]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.to_query() or "all")
def test_figure_overview_and_counts(pair, view):
    memory, engine = pair
    stored = sent(view)
    for lang in ("en", "ja"):
        assert as_json(update_figure(engine, stored, 1200, None, lang)) == as_json(
            update_figure(memory, stored, 1200, None, lang)
        )


@pytest.mark.parametrize("sort", [None, [{"colId": "title", "sort": "desc"}], [{"colId": "themes", "sort": "asc"}]])
@pytest.mark.parametrize("view", VIEWS[:4], ids=lambda v: v.to_query() or "all")
def test_table_pages_and_the_selected_row(pair, view, sort):
    memory, engine = pair
    stored = sent(view)
    for start in (0, TABLE_PAGE_SIZE * 3):
        request = {"startRow": start, "endRow": start + TABLE_PAGE_SIZE, "sortModel": sort or []}
        ours, theirs = table_rows(engine, request, stored, None), table_rows(memory, request, stored, None)
        assert ours == theirs
        for row in [r["id"] for r in theirs["rowData"][::17]]:
            assert follow_selection(engine, row, request, stored, None) == follow_selection(
                memory, row, request, stored, None
            )


def test_details_of_a_click(pair):
    memory, engine = pair
    for row in (0, 1, 777, 11_999):
        assert as_json(show_details(engine, row, None)) == as_json(show_details(memory, row, None))
    hint = show_details(engine, 12_000, None)[0]
    assert isinstance(hint, html.P) and "hint" in hint.className


def test_csv_export_holds_the_matches(pair):
    memory, engine = pair
    for view in (View(themes=("trade",)), View(text="summit")):
        ours = download(engine, "download-csv", sent(view), None)
        theirs = download(memory, "download-csv", sent(view), None)
        assert ours[0]["content"] == theirs[0]["content"] and ours[1] == theirs[1]


def test_the_store_is_named_after_the_file_and_its_version(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "a.csv"
    path.write_text("date,title\n1900,One\n", encoding="utf-8")
    first = store_path([path], ReadOptions())
    assert first.parent == tmp_path / "cache" / "timeline"
    assert store_path([path], ReadOptions()) == first
    path.write_text("date,title\n1900,One\n1901,Two\n", encoding="utf-8")
    assert store_path([path], ReadOptions()) != first
    assert store_path([Path(path)], ReadOptions(date_order="dmy")) != store_path([path], ReadOptions())


def test_searches_are_kept_as_tables_and_the_oldest_dropped(pair, monkeypatch):
    """A search reads the events' text once (its rows kept as a table the page's other questions
    use); past the limit the oldest table goes, and asking again makes it anew."""
    memory, engine = pair
    timeline = engine.timeline_of(None)
    shared = timeline.engine
    monkeypatch.setattr("dashboard.io.engines.SEARCHES_KEPT", 3)
    words = ["summit", "treaty", "accord", "battle", "summit"]
    for word in words:
        view = View(text=word)
        assert as_json(update_figure(engine, sent(view), 1200, None)) == as_json(
            update_figure(memory, sent(view), 1200, None)
        )
    tables = {name for (name,) in shared("SELECT table_name FROM information_schema.tables", ())}
    kept = {t for t in tables if t.startswith("searched_")}
    assert len(kept) == 3
    assert shared.searched(("summit",)) in kept and shared.searched(("accord",)) in kept
