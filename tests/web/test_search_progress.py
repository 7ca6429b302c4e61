"""A slow search's progress for the page: the key the page follows (a callback), and the endpoint
that says what was recorded under it, refusing any other request."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from dashboard.core.model import Timeline
from dashboard.core.query import MAX_WORD_CHARS, View
from dashboard.io.formats import parse_events
from dashboard.io.progress import KEY_DIGITS, progress_key
from dashboard.io.store import open_store, write
from dashboard.web.app import create_app
from dashboard.web.callbacks.progress import MAX_QUERY_BYTES, PROGRESS_PATH, search_key
from dashboard.web.callbacks.services import Services
from dashboard.web.datasets import Datasets
from dashboard.web.inputs import BadInput
from tests.synthetic import generate


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A timeline of 3,000 events beyond memory, and the same in memory."""
    folder = tmp_path_factory.mktemp("progress")
    buf = io.BytesIO()
    pacsv.write_csv(generate(3_000, n_themes=6, seed=3), buf)
    memory = parse_events(buf.getvalue(), "gen.csv")
    write(memory, folder / "store")
    return open_store(folder / "store"), memory, folder


@pytest.fixture(scope="module")
def client(stored):
    engine, _, folder = stored
    return create_app(engine, upload_dir=folder / "uploads").server.test_client()


def sent(view: View) -> object:
    return json.loads(json.dumps(asdict(view)))


def test_the_page_follows_the_key_its_search_records_under(stored):
    engine, memory, folder = stored
    services = Services(Datasets(engine, upload_dir=folder / "up1"), "Served")
    shared = engine.engine
    assert search_key(services, sent(View(text="Summit  treaty summit")), None) == shared.progress_key(
        ("summit", "treaty")
    )
    assert search_key(services, sent(View(text="treaty summit")), None) == shared.progress_key(("summit", "treaty"))
    for quiet in (View(), View(text="   "), View(text="x" * (MAX_WORD_CHARS + 1)), View(themes=("war",))):
        assert search_key(services, sent(quiet), None) == ""  # nothing to follow (or the figure says why)
    assert search_key(services, sent(View(text="summit")), "no-such-upload") == ""
    in_memory = Services(Datasets(memory, upload_dir=folder / "up2"), "Served")
    assert search_key(in_memory, sent(View(text="summit")), None) == ""


def test_the_endpoint_says_what_was_recorded_under_a_key(stored, client):
    engine, _, _ = stored
    key = engine.engine.progress_key(("summit",))
    answer = client.get(f"/{PROGRESS_PATH}?key={key}")
    assert answer.status_code == 200 and answer.get_json() == {}
    assert answer.headers["Cache-Control"] == "no-store" and answer.mimetype == "application/json"
    engine.engine.progress.record(key, 1_048_576, 3_000_000)
    assert client.get(f"/{PROGRESS_PATH}?key={key}").get_json() == {"done": 1_048_576, "total": 3_000_000}
    engine.engine.progress.clear(key)
    assert client.get(f"/{PROGRESS_PATH}?key={key}").get_json() == {}


KEY = "0123456789abcdef" * 2
BAD = [
    ("", "one key"),
    ("?key=", "hexadecimal digits"),
    ("?key=../../etc/passwd", "hexadecimal digits"),
    ("?key=%2Fetc%2Fpasswd", "hexadecimal digits"),
    (f"?key={KEY.upper()}", "hexadecimal digits"),
    (f"?key={KEY[:-1]}", "hexadecimal digits"),
    (f"?key={KEY}0", "hexadecimal digits"),
    (f"?key={KEY}%00", "hexadecimal digits"),
    (f"?key={KEY}&key={KEY}", "one key"),
    (f"?key={KEY}&lang=en", "one key"),
    (f"?id={KEY}", "one key"),
    ("?key=" + "a" * 200, f"at most {MAX_QUERY_BYTES} bytes"),
    (f"?key={KEY}&pad=" + "x" * MAX_QUERY_BYTES, f"at most {MAX_QUERY_BYTES} bytes"),
]


@pytest.mark.parametrize(("query", "said"), BAD)
def test_the_endpoint_refuses_anything_but_one_key(client, query, said):
    answer = client.get(f"/{PROGRESS_PATH}{query}")
    assert answer.status_code == 400 and answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    assert text.startswith("Bad request: ") and said in text and "Traceback" not in text


def test_the_endpoint_takes_no_key_in_its_path_nor_a_post(client):
    assert client.post(f"/{PROGRESS_PATH}?key={KEY}").status_code == 405
    beyond = client.get(f"/{PROGRESS_PATH}/{KEY}")  # Dash's page, as for any other address
    assert beyond.mimetype == "text/html"


def test_a_timeline_in_memory_has_no_progress_to_tell(tmp_path):
    from tests.timelines import synthetic_timeline

    memory = create_app(synthetic_timeline(), upload_dir=tmp_path).server.test_client()
    assert memory.get(f"/{PROGRESS_PATH}?key={progress_key('x')}").get_json() == {}
    assert memory.get(f"/{PROGRESS_PATH}?key=nope").status_code == 400
    assert len(progress_key("x")) == KEY_DIGITS


def untabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Timeline, Services]:
    """A store served before its tables of quick clicks are made, looked for at every question."""
    from dashboard.io import engines

    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    buf = io.BytesIO()
    pacsv.write_csv(generate(2_000, n_themes=5, seed=9), buf)
    write(parse_events(buf.getvalue(), "gen.csv"), tmp_path / "store", tables=False)
    served = open_store(tmp_path / "store")
    return served, Services(Datasets(served, upload_dir=tmp_path / "up"), "Served")


def test_the_page_says_the_tables_of_quick_clicks_are_being_made_until_they_are(tmp_path, monkeypatch):
    """A store served before its tables: the page says answers are slower and looks again every few
    seconds; once the tables are in place it hides the note and stops looking (and a page loaded then
    never shows it)."""
    from dashboard.io import store
    from dashboard.web.callbacks.progress import tables_note
    from dashboard.web.layout import build_layout

    served, services = untabled(tmp_path, monkeypatch)

    def shown(page: object) -> dict[str, object]:
        found: dict[str, object] = {}

        def walk(node: object) -> None:
            if getattr(node, "id", None) in ("tables-note", "tables-poll"):
                found[node.id] = node  # type: ignore[attr-defined]
            for child in getattr(node, "children", None) or []:
                walk(child)

        walk(page)
        return found

    before = shown(build_layout(served, "Served", 10))
    assert before["tables-note"].hidden is False and before["tables-poll"].disabled is False
    assert "answers take longer" in before["tables-note"].children
    assert tables_note(services, 3)[:2] == (False, False)
    assert "answers take longer" in tables_note(services, 3)[2]
    with pytest.raises(BadInput):
        tables_note(services, "3; DROP")
    assert store.precompute(tmp_path / "store", served)
    assert tables_note(services, 4) == (True, True, "")
    after = shown(build_layout(served, "Served", 10))
    assert after["tables-note"].hidden is True and after["tables-poll"].disabled is True


def test_the_page_says_when_the_tables_of_quick_clicks_could_not_be_made_and_stops_asking(tmp_path, monkeypatch):
    """Their maker failed (the disk full, as a 100M run met): the note no longer says they are coming;
    the next maker (the server's next start) tries again, and its success removes that."""
    from dashboard.io import engines, store
    from dashboard.web.callbacks.progress import tables_note

    served, services = untabled(tmp_path, monkeypatch)

    def full(*args: object) -> bool:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_make_tables", full)
    with pytest.raises(OSError):
        store.precompute(tmp_path / "store", served)
    hidden, stopped, said = tables_note(services, 1, "ja")
    assert (hidden, stopped) == (
        False,
        True,
    ) and said == "操作をすばやくするための表を作成できませんでした。応答に時間がかかります。"
    assert "No space" not in said  # the terminal says why, not the page
    monkeypatch.undo()
    monkeypatch.setattr(engines, "TABLES_LOOKED_FOR_S", 0.0)
    assert store.precompute(tmp_path / "store", served)
    assert tables_note(services, 2) == (True, True, "")
    served.engine.close()
