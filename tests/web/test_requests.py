"""Crafted callback requests: each gets an answer or a plain 4xx, never a 500 or a traceback."""

from __future__ import annotations

import json
import math
import re
import time

import pytest

from dashboard.core import dates
from dashboard.core.columns import MAPPED
from dashboard.io.formats import load_timeline
from dashboard.web.app import create_app
from dashboard.web.callbacks.details import OUTPUTS as DETAILS_OUT
from dashboard.web.callbacks.downloads import DOWNLOADS
from dashboard.web.callbacks.figure import OUTPUTS as FIGURE_OUT
from dashboard.web.callbacks.upload import OUTPUTS as UPLOAD_OUT
from dashboard.web.callbacks.view import STORY_TRIGGERS
from dashboard.web.wire import callback_body, page_state

FOLLOW_OUT = [("table", "paginationGoTo"), ("table", "rowClassRules")]
SYNC_OUT = [
    ("themes", "value"),
    ("date-from", "value"),
    ("date-to", "value"),
    ("search", "value"),
    ("scale", "value"),
    ("url", "search"),
    ("view", "data"),
]
DOWNLOAD_OUT = [("download", "data"), ("download-status", "children")]
DOWNLOAD_BUTTONS = list(DOWNLOADS)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from tests.conftest import SMALL_CSV

    path = tmp_path_factory.mktemp("req") / "small.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    app = create_app(load_timeline(path), upload_dir=tmp_path_factory.mktemp("uploads"))
    client = app.server.test_client()
    client.app_outputs = list(app.callback_map)
    client.app_inputs = {k: [d["id"] for d in v.get("inputs", [])] for k, v in app.callback_map.items()}
    return client


def registered(client, body):
    """The body with its output named as registered (outputs allowing duplicates carry a suffix; two
    callbacks with the same outputs are told apart by their inputs)."""
    if not isinstance(body, dict) or "output" not in body:
        return body
    sent = [i.get("id") for i in body.get("inputs", []) if isinstance(i, dict)]
    inputs = getattr(client, "app_inputs", {})
    if body["output"] in client.app_outputs and inputs.get(body["output"], sent) == sent:
        return body
    plain = {k: re.sub(r"@[0-9a-f]+", "", k) for k in client.app_outputs}
    fits = [k for k, v in plain.items() if v == body["output"]]
    best = next((k for k in fits if inputs.get(k, sent) == sent), fits[0] if fits else body["output"])
    return {**body, "output": best}


def figure(view, width=1200, key=None):
    return callback_body(FIGURE_OUT, [("view", "data", view), ("layout-width", "data", width)], page_state(key))


def rows_request(start=0, end=12, sort=None, **extra):
    """A getRowsRequest as the grid sends it (its callbacks and grid api arrive as empty objects)."""
    return {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": {}, "api": {}, **extra}


def table(request=None, view=None, key=None):
    request = rows_request() if request is None else request
    return callback_body(
        [("table", "getRowsResponse")],
        [("table", "getRowsRequest", request)],
        [("view", "data", view), *page_state(key)],
    )


def follow(selected, request=None, view=None, key=None):
    return callback_body(
        FOLLOW_OUT,
        [("selected", "data", selected)],
        [("table", "getRowsRequest", rows_request() if request is None else request), ("view", "data", view)]
        + [("dataset", "data", key)],
    )


def details(row, key=None):
    return callback_body(DETAILS_OUT, [("selected", "data", row)], page_state(key))


def select(click=None, cell=None, trigger="timeline.clickData"):
    return callback_body(
        [("selected", "data")],
        [("timeline", "clickData", click), ("table", "cellClicked", cell), ("dataset", "data", None)],
        changed=[trigger],
    )


def sync(
    search="",
    themes=None,
    date_from="",
    date_to="",
    text="",
    relayout=None,
    stored=None,
    trigger="url.search",
    scale="time",
    selected=None,
):
    return callback_body(
        SYNC_OUT,
        [
            ("url", "search", search),
            ("themes", "value", themes),
            ("date-from", "value", date_from),
            ("date-to", "value", date_to),
            ("search", "value", text),
            ("themes-all", "n_clicks", 0),
            ("themes-none", "n_clicks", 0),
            ("timeline-zoom", "data", relayout),
            ("overview-zoom", "data", None),
            ("reset-zoom", "n_clicks", 0),
            ("dataset", "data", None),
            ("scale", "value", scale),
            ("show-period", "n_clicks", 1 if trigger == "show-period.n_clicks" else 0),
            *((b, "n_clicks", 1 if trigger == f"{b}.n_clicks" else 0) for b in STORY_TRIGGERS),
            ("selected", "data", selected),
        ],
        [("view", "data", stored)],
        changed=[trigger],
    )


def download(view=None, key=None, button="download-csv"):
    return callback_body(
        DOWNLOAD_OUT,
        [(b, "n_clicks", 1 if b == button else 0) for b in DOWNLOAD_BUTTONS],
        [("view", "data", view), *page_state(key)],
        changed=[f"{button}.n_clicks"],
    )


def upload(sent, mode="open", key=None, search=""):
    return callback_body(
        UPLOAD_OUT,
        [("upload-ok", "data", sent)],
        [("upload-mode", "value", mode), ("url", "search", search), *page_state(key)],
    )


def reopen_upload(clicks, sent, values):
    return callback_body(
        UPLOAD_OUT,
        [("map-open", "n_clicks", clicks)],
        [
            ("upload-ok", "data", sent),
            ("upload-mode", "value", "open"),
            ("dataset", "data", None),
            *[(f"map-{o}", "value", v) for o, v in zip(MAPPED, values)],
            ("lang", "data", None),
        ],
    )


def with_(body, **changes):
    return {**body, **changes}


GOOD_VIEW = {"themes": None, "start": "", "end": "", "text": "", "x_range": None}

CRAFTED = [
    # (name, raw body or JSON-able body, statuses allowed)
    ("not json", b"{not json", {400}),
    ("a json list", [1, 2], {400}),
    ("no output", {"inputs": []}, {400}),
    ("unknown output", with_(details(0), output="nope.children"), {400}),
    ("clientside callback", callback_body([("layout-width", "data")], [("url", "pathname", "/")]), {400}),
    ("too few inputs", with_(details(0), inputs=[]), {400}),
    ("inputs not a list", with_(details(0), inputs="x"), {400}),
    ("input with another id", with_(details(0), inputs=[{"id": "other", "property": "data", "value": 0}]), {400}),
    ("no state", with_(details(0), state=None), {400}),
    ("changedPropIds not strings", with_(details(0), changedPropIds=[1]), {400}),
    ("row as text", details("abc"), {400}),
    ("row as a huge number", details(1e300), {400}),
    ("row as a fraction", details(1.5), {400}),
    ("row as a list", details([1]), {400}),
    ("row out of range", details(10**9), {200}),
    ("negative row", details(-5), {200}),
    ("row as true", details(True), {400}),
    ("view as text", figure("view"), {400}),
    ("view with NaN zoom", figure({**GOOD_VIEW, "x_range": [math.nan, 1.0]}), {400}),
    ("view with infinite zoom", figure({**GOOD_VIEW, "x_range": [-math.inf, math.inf]}), {400}),
    ("view with text zoom", figure({**GOOD_VIEW, "x_range": ["a", "b"]}), {400}),
    ("view with reversed zoom", figure({**GOOD_VIEW, "x_range": [5.0, 1.0]}), {400}),
    ("view with three-number zoom", figure({**GOOD_VIEW, "x_range": [1, 2, 3]}), {400}),
    ("view with a huge zoom", figure({**GOOD_VIEW, "x_range": [-1e21, 1e21]}), {200}),
    ("view with an unknown scale", figure({**GOOD_VIEW, "scale": "cubic"}), {400}),
    ("view with a scale that is not text", figure({**GOOD_VIEW, "scale": ["log"]}), {400}),
    ("view on the log scale", figure({**GOOD_VIEW, "scale": "log"}), {200}),
    ("a scale not offered", sync(scale="<script>", trigger="scale.value"), {400}),
    ("view with themes as text", figure({**GOOD_VIEW, "themes": "security"}), {400}),
    ("view with unknown themes", figure({**GOOD_VIEW, "themes": ["nope", "<b>x</b>"]}), {200}),
    ("view with a number as search", figure({**GOOD_VIEW, "text": 5}), {400}),
    ("view with a 20,000-character search", figure({**GOOD_VIEW, "text": "a" * 20_000}), {400}),
    ("view with a bad date", figure({**GOOD_VIEW, "start": "51"}), {200}),
    ("width as text", figure(GOOD_VIEW, width="wide"), {400}),
    ("huge width", figure(GOOD_VIEW, width=10**12), {200}),
    ("dataset key as a number", figure(GOOD_VIEW, key=5), {400}),
    ("dataset key that is a path", figure(GOOD_VIEW, key="../../etc/passwd"), {200}),
    ("dataset key of 100,000 characters", figure(GOOD_VIEW, key="a" * 100_000), {400}),
    ("table request as text", table("rows"), {400}),
    ("table request as a list", table([0, 12]), {400}),
    ("table rows from a negative start", table(rows_request(-12, 0)), {400}),
    ("table rows from a fractional start", table(rows_request(0.5, 12)), {400}),
    ("table rows from a text start", table(rows_request("0", 12)), {400}),
    ("table rows from a boolean start", table(rows_request(True, 12)), {400}),
    ("table rows ending before they start", table(rows_request(24, 12)), {400}),
    ("table rows to a huge end", table(rows_request(0, 10**12)), {400}),
    ("table rows to an infinite end", table(rows_request(0, 1e309)), {400}),
    ("table rows far past the last", table(rows_request(10**9, 10**9 + 12)), {200}),
    ("table rows of a big page", table(rows_request(0, 100)), {200}),
    ("table sorted by an unknown column", table(rows_request(sort=[{"colId": "nope", "sort": "asc"}])), {400}),
    ("table sorted by a hidden column", table(rows_request(sort=[{"colId": "description", "sort": "asc"}])), {400}),
    ("table sorted by a number", table(rows_request(sort=[{"colId": 3, "sort": "asc"}])), {400}),
    ("table sorted sideways", table(rows_request(sort=[{"colId": "title", "sort": "up"}])), {400}),
    ("table sorted without a direction", table(rows_request(sort=[{"colId": "title"}])), {400}),
    ("table sortModel as text", table(rows_request(sort="title")), {400}),
    ("table sort item as text", table(rows_request(sort=["title"])), {400}),
    ("table sorted by many columns", table(rows_request(sort=[{"colId": "title", "sort": "asc"}] * 50)), {400}),
    ("table request with a crafted view", table(view={"x_range": "all"}), {400}),
    ("table request for an unknown dataset", table(key="f" * 64), {200}),
    ("table selection as text", follow("x"), {400}),
    ("table selection as a fraction", follow(1.5), {400}),
    ("table selection of a missing event", follow(10**6), {200}),
    ("table selection with a crafted sort", follow(1, rows_request(sort=[{"colId": "nope", "sort": "asc"}])), {400}),
    ("table selection with the request as text", follow(1, "rows"), {400}),
    ("click with points as text", select(click={"points": "x"}), {400}),
    ("click on a negative row", select(click={"points": [{"customdata": [-1, "x"]}]}), {400}),
    ("click with customdata as text", select(click={"points": [{"customdata": "x"}]}), {400}),
    ("click without customdata", select(click={"points": [{"x": 1}]}), {200, 204}),
    ("table click with a text row id", select(cell={"rowId": "x"}, trigger="table.cellClicked"), {400}),
    ("table click with a negative row id", select(cell={"rowId": "-1"}, trigger="table.cellClicked"), {400}),
    ("table click with a huge row id", select(cell={"rowId": "9" * 30}, trigger="table.cellClicked"), {400}),
    ("table click with a non-ASCII digit", select(cell={"rowId": "١"}, trigger="table.cellClicked"), {400}),
    ("table click with a list as row id", select(cell={"rowId": [1]}, trigger="table.cellClicked"), {400}),
    ("table click as text", select(cell="row", trigger="table.cellClicked"), {400}),
    ("table click on a row", select(cell={"rowId": "3", "colId": "title"}, trigger="table.cellClicked"), {200}),
    ("sync with a numeric query string", sync(search=123), {400}),
    ("sync with themes as text", sync(themes="security", trigger="themes.value"), {400}),
    ("sync with themes of numbers", sync(themes=[1, 2], trigger="themes.value"), {400}),
    ("sync with a huge search", sync(text="x" * 50_000, trigger="search.value"), {400}),
    ("sync with a relayout list", sync(relayout=[1], stored=GOOD_VIEW, trigger="timeline-zoom.data"), {400}),
    ("sync with a stored view as text", sync(stored="x", trigger="search.value"), {400}),
    ("show a period of a row as text", sync(stored=GOOD_VIEW, trigger="show-period.n_clicks", selected="3"), {400}),
    ("show a period of a negative row", sync(stored=GOOD_VIEW, trigger="show-period.n_clicks", selected=-1), {400}),
    ("show a period of a fraction", sync(stored=GOOD_VIEW, trigger="show-period.n_clicks", selected=0.5), {400}),
    ("show a period of no row", sync(stored=GOOD_VIEW, trigger="show-period.n_clicks"), {200, 204}),
    ("next step of no story", sync(stored=GOOD_VIEW, trigger="story-next.n_clicks"), {200, 204}),
    ("next step of a story", sync(stored={**GOOD_VIEW, "story": 2}, trigger="story-next.n_clicks"), {200}),
    ("a story step as text", sync(stored={**GOOD_VIEW, "story": "2"}, trigger="story-next.n_clicks"), {400}),
    ("a story step too far", sync(stored={**GOOD_VIEW, "story": 10**12}, trigger="story-prev.n_clicks"), {400}),
    ("a story step below one", sync(stored={**GOOD_VIEW, "story": 0}, trigger="story-start.n_clicks"), {400}),
    ("a story of a huge link", sync(search="?story=" + "9" * 5000), {200, 204}),
    ("a click during a story", sync(stored={**GOOD_VIEW, "story": 1}, trigger="selected.data", selected=2), {200}),
    ("a click on a row as text", sync(stored={**GOOD_VIEW, "story": 1}, trigger="selected.data", selected="2"), {400}),
    ("a click on no row", sync(stored={**GOOD_VIEW, "story": 1}, trigger="selected.data", selected=10**9), {200, 204}),
    (
        "show a period of a row not there",
        sync(stored=GOOD_VIEW, trigger="show-period.n_clicks", selected=10**9),
        {200, 204},
    ),
    ("download of a crafted view", download(view={"x_range": "all"}), {400}),
    ("download with an unknown key", download(view=GOOD_VIEW, key="f" * 64), {200}),
    ("upload as text", upload("x"), {400}),
    ("upload contents as a number", upload({"contents": 5, "filename": "a.csv"}), {400}),
    ("upload that is not base64", upload({"contents": "data:,!!!", "filename": "a.csv"}), {200}),
    ("upload with a list as name", upload({"contents": "data:,YQ==", "filename": ["a"]}), {400}),
    ("columns chosen as numbers", reopen_upload(1, {"contents": "data:,YQ==", "filename": "a"}, [1] * 5), {400}),
    ("columns chosen as lists", reopen_upload(1, {"contents": "data:,YQ==", "filename": "a"}, [["a"]] * 5), {400}),
    (
        "columns chosen, clicks as text",
        reopen_upload("1", {"contents": "data:,YQ==", "filename": "a"}, [None] * 5),
        {400},
    ),
    (
        "columns chosen for a bad upload",
        reopen_upload(1, {"contents": "data:,!!!", "filename": "a"}, [None] * 5),
        {200},
    ),
]


@pytest.mark.parametrize("name, body, allowed", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_callback_requests_are_refused_plainly(client, name, body, allowed):
    data = body if isinstance(body, bytes) else json.dumps(registered(client, body)).encode()
    resp = client.post("/_dash-update-component", data=data, headers={"Content-Type": "application/json"})
    assert resp.status_code in allowed, (resp.status_code, resp.get_data(as_text=True)[:300])
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text and 'File "' not in text
    if resp.status_code >= 400:
        assert resp.headers["Content-Type"].startswith("text/plain")
        assert len(text) < 300 and "<" not in text


def answer(client, body) -> dict:
    resp = client.post("/_dash-update-component", json=registered(client, body))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()["response"]


def table_page(client, request=None, view=None) -> dict:
    return answer(client, table(request, view))["table"]["getRowsResponse"]


def test_the_table_sends_the_rows_asked_for_in_the_order_asked(client):
    page = table_page(client)
    assert page["rowCount"] == 7  # the era is no table row
    titles = [r["title"] for r in page["rowData"]]
    assert titles[:3] == ["Battle of Marathon", "Perry arrives", "Convention of Kanagawa"]
    assert set(page["rowData"][0]) == {"id", "when", "title", "themes", "location"}
    assert page["rowData"][0]["when"] == "490 BCE" and page["rowData"][1]["themes"] == "Diplomacy, Security"
    assert all(isinstance(r["id"], int) for r in page["rowData"])
    part = table_page(client, rows_request(2, 4))
    assert [r["title"] for r in part["rowData"]] == ["Convention of Kanagawa", "Occupation"] and part["rowCount"] == 7
    down = table_page(client, rows_request(sort=[{"colId": "title", "sort": "desc", "type": "default"}]))
    up = table_page(client, rows_request(sort=[{"colId": "title", "sort": "asc"}]))
    assert [r["title"] for r in down["rowData"]] == [r["title"] for r in up["rowData"]][::-1]
    assert down["rowData"][0]["title"] == "日米貿易協議"
    by_date_desc = table_page(client, rows_request(sort=[{"colId": "when", "sort": "desc"}]))
    assert by_date_desc["rowData"][-1]["title"] == "Battle of Marathon"
    assert table_page(client, rows_request(40, 52)) == {"rowData": [], "rowCount": 7}


def test_the_table_follows_the_view(client):
    page = table_page(client, view={**GOOD_VIEW, "text": "treaty"})
    assert page["rowCount"] == 2
    assert [r["title"] for r in page["rowData"]] == ["Convention of Kanagawa", "Security treaty"]
    # a date that cannot be applied is left out, as the chart leaves it out (and says so)
    assert table_page(client, view={**GOOD_VIEW, "start": "51"}) == table_page(client, view=GOOD_VIEW)
    assert table_page(client, view={**GOOD_VIEW, "start": "51", "text": "treaty"}) == page


def test_markup_in_table_rows_stays_text(client, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('date,title,themes,location\n1990,"<img src=x onerror=alert(1)>",war,<b>here</b>\n', "utf-8")
    app = create_app(load_timeline(path), upload_dir=tmp_path)
    resp = app.server.test_client().post("/_dash-update-component", json=table())
    row = resp.get_json()["response"]["table"]["getRowsResponse"]["rowData"][0]
    assert row["title"] == "<img src=x onerror=alert(1)>" and row["location"] == "<b>here</b>"
    grid = app.layout()["table"]  # the grid's own text cells: no renderer that could read markup
    assert not getattr(grid, "dangerously_allow_code", False)
    assert "cellRenderer" not in json.dumps(grid.to_plotly_json(), default=str)


@pytest.fixture(scope="module")
def big_client(tmp_path_factory):
    """A file of 100 events: the table has pages to move between."""
    path = tmp_path_factory.mktemp("table") / "hundred.csv"
    lines = ["date,title,themes"] + [f"{1900 + i},Event {i:03d},{'war' if i % 2 else 'trade'}" for i in range(100)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = create_app(load_timeline(path), upload_dir=tmp_path_factory.mktemp("uploads"))
    client = app.server.test_client()
    client.app_outputs = list(app.callback_map)
    return client


def test_a_selected_event_brings_its_page_and_is_marked(big_client):
    rows = {r["title"]: r["id"] for r in table_page(big_client, rows_request(0, 100))["rowData"]}
    assert len(rows) == 100 and table_page(big_client)["rowCount"] == 100
    event = rows["Event 030"]  # 31st by date: page 3, counting from 1
    out = answer(big_client, follow(event))["table"]
    assert out["paginationGoTo"] == 2
    assert out["rowClassRules"] == {"table-selected": f"params.data != null && params.data.id === {event}"}
    newest_first = rows_request(sort=[{"colId": "when", "sort": "desc"}])
    assert answer(big_client, follow(event, newest_first))["table"]["paginationGoTo"] == 69 // 12
    # an event the filters hide: the page stays, nothing is marked on it
    hidden = answer(big_client, follow(event, view={**GOOD_VIEW, "themes": ["war"]}))["table"]
    assert "paginationGoTo" not in hidden and hidden["rowClassRules"]["table-selected"].endswith(f"=== {event}")
    assert answer(big_client, follow(None))["table"]["rowClassRules"] == {"table-selected": "false"}


def test_a_click_or_enter_on_a_row_selects_its_event(big_client):
    click = {"rowId": "30", "colId": "title", "rowIndex": 30, "value": "Event 030", "timestamp": 1.5}
    out = answer(big_client, select(cell=click, trigger="table.cellClicked"))
    assert out["selected"]["data"] == 30


def test_a_huge_zoom_link_is_clamped_to_the_axis(client):
    resp = client.post("/_dash-update-component", json=sync(search="?x0=-1e21&x1=1e21"))
    view = resp.get_json()["response"]["view"]["data"]
    assert view["x_range"] == [dates.ZOOM_MIN_MS, dates.ZOOM_MAX_MS]
    started = time.perf_counter()
    resp = client.post("/_dash-update-component", json=figure(view))
    assert resp.status_code == 200 and time.perf_counter() - started < 10
    assert len(resp.data) < 2_000_000


@pytest.mark.parametrize("query", ["?x0=nan&x1=1", "?x0=-inf&x1=inf", "?x0=a&x1=b", "?x0=5&x1=1", "?x0=1e400&x1=2"])
def test_bad_zoom_links_are_ignored(client, query):
    view = client.post("/_dash-update-component", json=sync(search=query)).get_json()["response"]["view"]["data"]
    assert view["x_range"] is None


def test_unknown_themes_from_a_page_are_dropped(client):
    resp = client.post("/_dash-update-component", json=figure({**GOOD_VIEW, "themes": ["war", "nope"]}))
    assert "1 of 7 events match" in json.dumps(resp.get_json())


def test_a_real_error_gets_the_plain_500(tmp_path, small_csv):
    """The handler for server faults answers in plain text (a route that fails stands for a bug)."""
    app = create_app(load_timeline(small_csv), upload_dir=tmp_path)

    @app.server.route("/fails")
    def fails():
        raise RuntimeError("a bug with a secret path /root/x")

    app.server.config["PROPAGATE_EXCEPTIONS"] = False
    resp = app.server.test_client().get("/fails")
    assert resp.status_code == 500
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.get_data(as_text=True) == "Something went wrong on the server; the error was logged."


@pytest.mark.parametrize("scale", ["sequence", "log"])
def test_the_scale_is_carried_in_the_url_and_the_view(client, scale):
    view = answer(client, sync(search=f"?scale={scale}"))
    assert view["view"]["data"]["scale"] == scale and view["scale"]["value"] == scale
    changed = answer(client, sync(scale=scale, stored={**GOOD_VIEW, "scale": "time"}, trigger="scale.value"))
    assert changed["url"]["search"] == f"?scale={scale}" and changed["view"]["data"]["scale"] == scale
    # a zoom on the sequence or log axis is kept as dates: its numbers are mapped back
    relayout = {"xaxis.range[0]": 3.5, "xaxis.range[1]": 1.5}
    zoomed = answer(
        client,
        sync(relayout=relayout, stored={**GOOD_VIEW, "scale": scale}, scale=scale, trigger="timeline-zoom.data"),
    )
    x0, x1 = zoomed["view"]["data"]["x_range"]
    assert x0 < x1 and "x0=" in zoomed["url"]["search"] and f"scale={scale}" in zoomed["url"]["search"]
    crafted_zooms = [{"xaxis.range[0]": "1", "xaxis.range[1]": 2}, {"xaxis.range[0]": True, "xaxis.range[1]": 2}]
    if scale == "log":  # 10 to the power 1e308 years is no date
        crafted_zooms.append({"xaxis.range[0]": 1e308, "xaxis.range[1]": 1})
    for crafted in crafted_zooms:
        body = sync(relayout=crafted, stored={**GOOD_VIEW, "scale": scale}, scale=scale, trigger="timeline-zoom.data")
        resp = client.post("/_dash-update-component", json=registered(client, body))
        assert resp.status_code == 204 or "view" not in resp.get_json().get("response", {})


def test_an_unknown_scale_in_a_link_is_ignored(client):
    assert answer(client, sync(search="?scale=cubic"))["view"]["data"]["scale"] == "time"


def test_show_this_period_sets_the_dates_and_keeps_the_other_filters(big_client):
    stored = {**GOOD_VIEW, "themes": ["war"], "text": "event", "x_range": [0.0, 1e12]}
    controls = {"themes": ["war"], "text": "event"}  # the controls show the view held, as on a page
    out = answer(big_client, sync(stored=stored, trigger="show-period.n_clicks", selected=30, **controls))
    # Event 030 is dated 1930: its period is its year
    assert out["date-from"]["value"] == "1930" and out["date-to"]["value"] == "1930"
    assert out["url"]["search"] == "?themes=war&from=1930&to=1930&q=event"
    view = out["view"]["data"]
    assert (view["start"], view["end"], view["themes"], view["text"], view["x_range"]) == (
        "1930",
        "1930",
        ["war"],
        "event",
        None,
    )
    shown = answer(big_client, details(30))
    assert shown["same-time"]["hidden"] is False
    assert shown["show-period"]["children"] == "Show this period (1930)"
    assert "No other event overlaps it." in json.dumps(shown["same-time-list"]["children"])
    assert answer(big_client, details(None))["same-time"]["hidden"] is True


def test_a_view_change_keeps_the_links_language_and_column_choices(client):
    """The view rewrites the link's query on every change; the page's own parameters stay in it."""
    body = sync(search="?lang=ja&columns=date%3DWhen", text="treaty", trigger="search.value", stored=GOOD_VIEW)
    query = client.post("/_dash-update-component", json=body).get_json()["response"]["url"]["search"]
    assert "q=treaty" in query and "lang=ja" in query and "columns=date%3DWhen" in query
