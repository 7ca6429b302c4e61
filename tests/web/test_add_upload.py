"""'Add to the timeline': an upload joins what the page shows as a new topic, under a key of its own."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from dashboard.core.model import ValidationError
from dashboard.io.formats import load_timeline
from dashboard.web.app import create_app
from dashboard.web.datasets import Datasets
from dashboard.web.layout import TOPIC_HEAD, theme_options
from tests.web.test_requests import registered, upload

TOPICS = Path(__file__).parent.parent / "fixtures" / "topics"
WARS = (TOPICS / "wars.csv").read_bytes()
WRITERS = (TOPICS / "writers.csv").read_bytes()


@pytest.fixture
def datasets(tmp_path):
    return Datasets(load_timeline(TOPICS / "monarchs.csv"), upload_dir=tmp_path / "up")


def test_an_added_file_is_a_topic_beside_the_served_one(datasets, tmp_path):
    key, tl = datasets.add_to(None, WARS, "wars.csv")
    assert tl.topics == ["monarchs", "wars"] and len(tl.events) == 7
    other = Datasets(datasets.served, upload_dir=tmp_path / "up")  # another worker: from disk
    again = other.get(key)
    assert again.topics == tl.topics and again.events["title"].tolist() == tl.events["title"].tolist()


def test_adding_again_adds_a_third_topic(datasets):
    first, _ = datasets.add_to(None, WARS, "wars.csv")
    second, tl = datasets.add_to(first, WRITERS, "writers.csv")
    assert second != first and tl.topics == ["monarchs", "wars", "writers"]
    assert datasets.get(first).topics == ["monarchs", "wars"]  # the earlier view is still there


def test_the_same_file_added_twice_is_two_topics(datasets):
    key, _ = datasets.add_to(None, WARS, "wars.csv")
    _, tl = datasets.add_to(key, WARS, "wars.csv")
    assert tl.topics == ["monarchs", "wars", "wars (2)"]


def test_a_bad_file_adds_nothing(datasets):
    with pytest.raises(ValidationError) as err:
        datasets.add_to(None, b"date,title,themes\n1600,,war\n", "bad.csv")
    assert err.value.source == "bad.csv" and err.value.problems[0].line == 2
    assert not list(datasets.upload_dir.glob("*.combo"))


def test_adding_to_a_view_that_is_gone_is_a_key_error(datasets):
    with pytest.raises(KeyError):
        datasets.add_to("0" * 64, WARS, "wars.csv")


def sent(data: bytes, name: str) -> dict:
    return {"contents": "data:text/csv;base64," + base64.b64encode(data).decode(), "filename": name}


@pytest.fixture
def client(tmp_path):
    app = create_app(load_timeline(TOPICS / "monarchs.csv"), upload_dir=tmp_path / "up")
    client = app.server.test_client()
    client.app_outputs = list(app.callback_map)
    return client


def post(client, body):
    resp = client.post("/_dash-update-component", json=registered(client, body))
    assert resp.status_code == 200, resp.data
    return resp.get_json()["response"]


def test_the_page_adds_an_upload_as_a_topic(client):
    out = post(client, upload(sent(WARS, "wars.csv"), mode="add"))
    key = out["dataset"]["data"]
    assert len(key) == 64
    assert "Added wars.csv: 7 events in 2 topics" in str(out["upload-status"]["children"])
    out = post(client, upload(sent(WRITERS, "writers.csv"), mode="add", key=key))
    assert "10 events in 3 topics" in str(out["upload-status"]["children"])


def test_open_still_replaces_the_view(client):
    out = post(client, upload(sent(WARS, "wars.csv"), mode="open"))
    assert "Opened wars.csv: 4 events, 2 themes" in str(out["upload-status"]["children"])


def test_a_bad_added_file_leaves_the_view_and_shows_its_problems(client):
    resp = client.post(
        "/_dash-update-component",
        json=registered(client, upload(sent(b"date,title,themes\nsoon,x,war\n", "bad.csv"), mode="add")),
    )
    assert resp.status_code in (200, 204)
    out = resp.get_json()["response"]
    assert "dataset" not in out  # no_update: the view is untouched
    assert "bad.csv was not opened" in str(out["upload-status"]["children"]) and "line 2" in str(out)


def test_adding_to_an_upload_that_is_gone_says_so(client):
    out = post(client, upload(sent(WARS, "wars.csv"), mode="add", key="f" * 64))
    assert "no longer on the server" in str(out["upload-status"]["children"])


def test_the_theme_filter_is_grouped_by_topic(datasets):
    _, tl = datasets.add_to(None, WARS, "wars.csv")
    opts = theme_options(tl)
    assert [o["value"] for o in opts] == [
        TOPIC_HEAD + "monarchs",
        "monarchs › monarchs",
        TOPIC_HEAD + "wars",
        "wars › war",
        "wars › europe",
    ]
    assert [o.get("disabled", False) for o in opts] == [True, False, True, False, False]
    assert str(opts[0]["label"].children) == "Monarchs"


def test_a_parquet_upload_opens_and_adds_like_a_csv(client, tmp_path):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(
        pa.table({"date": pa.array([1066, 1087]), "title": ["William", "William II"], "themes": ["kings"] * 2}), buf
    )
    out = post(client, upload(sent(buf.getvalue(), "kings.parquet"), mode="open"))
    assert "Opened kings.parquet: 2 events, 1 theme" in str(out["upload-status"]["children"])
    out = post(client, upload(sent(buf.getvalue(), "kings.parquet"), mode="add"))
    assert "Added kings.parquet: 5 events in 2 topics" in str(out["upload-status"]["children"])
    buf = io.BytesIO()
    pq.write_table(pa.table({"date": pa.array([1066, 1087]), "title": ["William", ""], "themes": ["kings"] * 2}), buf)
    resp = client.post(
        "/_dash-update-component", json=registered(client, upload(sent(buf.getvalue(), "bad.parquet"), mode="open"))
    )
    said = str(resp.get_json()["response"])
    assert "bad.parquet was not opened" in said and "row 2, column 'title'" in said


def test_the_page_offers_parquet_files():
    from dashboard.web.layout import UPLOAD_ACCEPT

    assert ".parquet" in UPLOAD_ACCEPT.split(",")
