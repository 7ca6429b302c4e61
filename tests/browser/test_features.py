"""Uploads, the table, the overview strip and the exports, driven in headless Chromium."""

from __future__ import annotations

import pytest

from dashboard.io.formats import parse_events
from tests.browser.conftest import Server, plotted, wait_for_graph

pytestmark = pytest.mark.browser

GOOD = "id,date,title,themes,description\na,1600,First upload event,science,Plain\nb,1700,Second one,science;art,x\n"
BAD = "id,date,title,themes\na,2015-02-30,Bad date,war\nb,1990,,war\n"
TJS_JSON = """{"title": {"text": {"headline": "My <b>TimelineJS</b> story"}},
 "events": [
  {"start_date": {"year": "-490"}, "text": {"headline": "Marathon",
   "text": "<p>Greeks win.</p><script>window.__pwned = 1</script><p><a href=\\"javascript:alert(1)\\">bad</a> <a href=\\"https://example.org/m\\">good</a></p><img src=x onerror=\\"window.__pwned = 2\\">"},
   "group": "Wars"},
  {"start_date": {"year": "1854", "month": "3", "day": "31"}, "display_date": "Spring 1854",
   "text": {"headline": "Kanagawa", "text": "<blockquote>Treaty</blockquote>"}, "group": "Diplomacy"}],
 "eras": [{"start_date": {"year": "1853"}, "end_date": {"year": "1868"}, "text": {"headline": "Bakumatsu"}}]}
"""


TITLE_CELLS = "#table .ag-row .ag-cell[col-id=title]"


def upload(page, path, text: str | None = None):
    """Drop a file on the page (written first when ``text`` is given)."""
    if text is not None:
        path.write_text(text, encoding="utf-8")
    page.set_input_files("#upload input[type=file]", str(path))


def test_upload_replaces_the_view(server, page, tmp_path):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    upload(page, tmp_path / "mine.csv", GOOD)
    wait_for_graph(page, "2 of 2 events match")
    assert "Opened mine.csv: 2 events" in page.locator("#upload-status").text_content()
    assert page.locator("#page-title").text_content() == "Timeline of mine.csv"
    assert plotted(page) == {"Science": 2, "Art": 1}


def test_a_reload_keeps_the_upload_and_a_key_the_server_lost_is_forgotten(server, page, tmp_path):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    upload(page, tmp_path / "mine.csv", GOOD)
    wait_for_graph(page, "2 of 2 events match")
    page.reload()
    wait_for_graph(page, "2 of 2 events match")
    assert page.locator("#page-title").text_content() == "Timeline of mine.csv"
    assert plotted(page) == {"Science": 2, "Art": 1}
    page.wait_for_function("() => document.querySelectorAll('#themes input[type=checkbox]').length === 2")
    assert sorted(t.split(" (")[0] for t in page.locator("#themes label").all_inner_texts()) == ["Art", "Science"]
    # a tab whose upload the server no longer has shows the served file again, and says why
    page.evaluate("sessionStorage.setItem('dataset', JSON.stringify('" + "0" * 64 + "'))")
    page.reload()
    wait_for_graph(page, "10 of 10")
    page.wait_for_function(
        "() => ((document.querySelector('#upload-status') || {}).textContent || '').includes('no longer')"
    )
    assert page.evaluate("JSON.parse(sessionStorage.getItem('dataset'))") is None
    other = page.context.new_page()  # another tab of the same browser starts on the served file
    other.goto(server.url)
    wait_for_graph(other, "10 of 10")
    other.close()


def test_a_workbook_upload_opens_and_its_problems_name_cells(server, page, tmp_path):
    from tests.workbooks import xlsx

    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    assert ".xlsx" in (page.locator("#upload input[type=file]").get_attribute("accept") or "")
    bad = tmp_path / "kings.xlsx"
    bad.write_bytes(xlsx({"Reigns": [["Year", "Name"], [1066, "William"], ["10x7", "Bad"]]}))
    page.set_input_files("#upload input[type=file]", str(bad))
    page.wait_for_selector("#upload-status .upload-errors")
    assert "Reigns!A3, column 'Year': '10x7': expected a date" in page.locator("#upload-status").text_content()
    good = tmp_path / "monarchs.xlsx"
    good.write_bytes(xlsx({"Reigns": [["Year", "Name"], [1066, "William"], [1087, "William II"]]}))
    page.set_input_files("#upload input[type=file]", str(good))
    wait_for_graph(page, "2 of 2 events match")
    assert "Opened monarchs.xlsx: 2 events, 1 theme" in page.locator("#upload-status").text_content()
    assert plotted(page) == {"Monarchs": 2}


def choose(page, ours: str, column: str) -> None:
    """Pick a file's column for one of ours under an upload's problems."""
    page.locator(f"#map-{ours}").click()
    page.get_by_role("option", name=column, exact=True).click()
    page.keyboard.press("Escape")


def test_an_upload_with_other_column_names_is_opened_as_chosen(server, page, tmp_path):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    assert page.locator("#column-map").is_hidden()
    upload(page, tmp_path / "kings.csv", "When,Who,House\n1066,William,Normandy\n1154,Henry II,Plantagenet\n")
    page.wait_for_selector("#column-map", state="visible")
    assert "or the choices under an upload" in page.locator("#upload-status").text_content()
    choose(page, "date", "When")
    choose(page, "title", "Who")
    choose(page, "themes", "House")
    page.get_by_role("button", name="Open with these columns").click()
    wait_for_graph(page, "2 of 2 events match")
    assert "Opened kings.csv: 2 events, 2 themes" in page.locator("#upload-status").text_content()
    assert plotted(page) == {"Normandy": 1, "Plantagenet": 1}
    assert page.locator("#column-map").is_hidden()


def test_an_uploads_wide_first_rows_scroll_inside_the_panel(server, page, tmp_path):
    """A file whose header is not read (here, separated by semicolons) shows its first rows as one
    wide column: they once widened the filter panel and the chart's box fell to a few pixels."""
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    panel, chart = (page.locator(s).bounding_box() for s in ("#controls", "#timeline"))
    header = "Datum;Titel;Kategorie;Beschreibung;Quelle;Ort;Akteure;Bemerkungen"
    upload(page, tmp_path / "semi.csv", header + "\n" + ";".join(["1853-07-08", "Perry", "x" * 120]) + "\n")
    page.wait_for_selector("#upload-status .upload-errors")
    page.wait_for_selector(".first-rows table")
    page.wait_for_timeout(500)
    assert page.locator("#controls").bounding_box()["width"] == panel["width"]
    after = page.locator("#timeline").bounding_box()
    assert (after["width"], after["height"]) == (chart["width"], chart["height"])
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_an_upload_of_us_dates_opens_once_their_order_is_chosen(server, page, tmp_path):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    assert page.locator("#date-order-choice").is_hidden()
    upload(page, tmp_path / "us.csv", "Date,Title,Themes\n03/31/1854,Kanagawa,diplomacy\n07/08/1853,Perry,security\n")
    page.wait_for_selector("#date-order-choice", state="visible")
    status = page.locator("#upload-status").text_content()
    assert "a date order for 07/08/1853" in status and "--date-order" not in status  # 03/31/1854 has one reading
    assert page.locator("#date-order-question").text_content() == "The file's dates such as 07/08/1853 are:"
    page.get_by_role("button", name="month/day/year").click()
    wait_for_graph(page, "2 of 2 events match")
    assert "Opened us.csv: 2 events" in page.locator("#upload-status").text_content()
    assert page.locator("#date-order-choice").is_hidden()
    assert plotted(page) == {"Diplomacy": 1, "Security": 1}


def test_bad_upload_lists_problems_and_keeps_the_view(server, page, tmp_path):
    page.goto(server.url + "?q=treaty")
    wait_for_graph(page, "3 of 10")
    before = plotted(page)
    upload(page, tmp_path / "bad.csv", BAD)
    page.wait_for_selector("#upload-status .upload-errors")
    status = page.locator("#upload-status").text_content()
    assert "bad.csv was not opened: 2 problems" in status
    assert "line 2, column 'date': '2015-02-30': expected a real calendar date" in status
    assert "line 3, column 'title'" in status
    assert page.locator("#match-count").text_content() == "3 of 10 events match"
    assert plotted(page) == before


def test_oversize_upload_is_refused_clearly(page, browser_csv, tmp_path):
    srv = Server(browser_csv, "--max-upload-mb", "1")
    try:
        page.goto(srv.url)
        wait_for_graph(page, "10 of 10")
        big = tmp_path / "big.csv"
        big.write_text(GOOD + ("c,1800,Filler,science,\n" * 80_000), encoding="utf-8")
        upload(page, big)
        page.wait_for_function("() => document.querySelector('#upload-status').textContent.includes('MB')")
        text = page.locator("#upload-status").text_content()
        assert "big.csv is 1.8 MB: files up to 1 MB can be opened" in text
        assert page.locator("#match-count").text_content() == "10 of 10 events match"
    finally:
        srv.stop()


def test_timelinejs_json_upload_with_safe_html(server, page, tmp_path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    upload(page, tmp_path / "story.json", TJS_JSON)
    wait_for_graph(page, "2 of 2 events match")
    assert page.locator("#page-title").text_content() == "My TimelineJS story"
    assert "Bakumatsu" in page.locator("#timeline .annotation").all_text_contents()
    page.locator(TITLE_CELLS).filter(has_text="Marathon").click()
    page.wait_for_selector("#details h2")
    details = page.locator("#details")
    assert details.locator("h2").text_content() == "Marathon"
    assert "Greeks win." in details.text_content() and "490 BCE" in details.text_content()
    hrefs = [a.get_attribute("href") for a in details.locator("a").all()]
    assert hrefs == ["https://example.org/m"]
    assert page.evaluate("() => window.__pwned") is None and dialogs == []
    assert details.locator("script, img, [onerror]").count() == 0
    page.locator(TITLE_CELLS).filter(has_text="Kanagawa").click()
    page.wait_for_function("() => (document.querySelector('#details h2') || {}).textContent === 'Kanagawa'")
    assert "Spring 1854" in page.locator("#details .when").text_content()
    assert page.locator("#details blockquote").text_content() == "Treaty"


def table_titles(page) -> list[str]:
    return page.locator(TITLE_CELLS).all_text_contents()


def wait_for_titles(page, count: int) -> None:
    page.wait_for_function("n => document.querySelectorAll('%s').length === n" % TITLE_CELLS, arg=count)


def test_table_follows_filters_and_selection(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    wait_for_titles(page, 10)
    assert table_titles(page)[0] == "Perry arrives at Uraga"  # by date
    assert "1 to 10 of 10" in page.locator("#table .ag-paging-panel").text_content()
    page.fill("#search", "treaty")
    page.press("#search", "Enter")
    wait_for_graph(page, "3 of 10")
    wait_for_titles(page, 3)
    assert table_titles(page) == ["Convention of Kanagawa", "Treaty of Portsmouth", "Security Treaty signed"]
    assert "1 to 3 of 3" in page.locator("#table .ag-paging-panel").text_content()
    # sort by title, descending, with the header (reached by Tab, sorted by Enter as well as a click)
    header = page.locator("#table .ag-header-cell[col-id=title]")
    header.click()
    page.wait_for_function(
        "s => (document.querySelector(s) || {}).textContent === 'Convention of Kanagawa'", arg=TITLE_CELLS
    )
    header.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "s => (document.querySelector(s) || {}).textContent === 'Treaty of Portsmouth'", arg=TITLE_CELLS
    )
    assert header.get_attribute("aria-sort") == "descending"
    # a row selects the event; the chart's selection highlights the row
    page.locator(TITLE_CELLS).filter(has_text="Security Treaty signed").click()
    page.wait_for_function(
        "() => (document.querySelector('#details h2') || {}).textContent === 'Security Treaty signed'"
    )
    row = page.locator("#table .ag-row").filter(has_text="Security Treaty signed")
    page.wait_for_function(
        "e => getComputedStyle(e).backgroundColor === 'rgb(253, 232, 215)'", arg=row.element_handle()
    )
    assert page.locator("#table .ag-row.table-selected").count() == 1
    # keyboard: arrow keys move between rows, Enter selects the row
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_function("() => (document.querySelector('#details h2') || {}).textContent === 'Treaty of Portsmouth'")
    page.wait_for_function(
        "() => (document.querySelector('#table .ag-row.table-selected') || {}).textContent?.includes('Portsmouth')"
    )
    assert page.locator("#table .ag-row.table-selected").count() == 1
    assert page.errors == []


def test_table_pages_on_the_server_and_follows_the_chart(server, page, tmp_path):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    rows = "".join(f"e{i},{1901 + i},Event {i + 1:02d},{'war' if i % 3 else 'trade'},\n" for i in range(30))
    upload(page, tmp_path / "thirty.csv", "id,date,title,themes,description\n" + rows)
    wait_for_graph(page, "30 of 30 events match")
    pager = page.locator("#table .ag-paging-panel")
    page.wait_for_function("e => e.textContent.includes('1 to 12 of 30')", arg=pager.element_handle())
    assert table_titles(page) == [f"Event {i:02d}" for i in range(1, 13)]
    page.get_by_role("button", name="Next Page").click()
    page.wait_for_function("s => (document.querySelector(s) || {}).textContent === 'Event 13'", arg=TITLE_CELLS)
    assert "13 to 24 of 30" in pager.text_content()
    # a new view goes back to page 1
    page.get_by_label("Trade (10)").uncheck()
    wait_for_graph(page, "20 of 30 events match")
    page.wait_for_function("e => e.textContent.includes('1 to 12 of 20')", arg=pager.element_handle())
    assert table_titles(page)[0] == "Event 02"
    # selecting an event elsewhere (as a click on the chart does) brings its page and marks its row
    page.evaluate("() => window.dash_clientside.set_props('selected', {data: 28})")  # Event 29: 19th of 20
    page.wait_for_function("e => e.textContent.includes('13 to 20 of 20')", arg=pager.element_handle())
    marked = page.locator("#table .ag-row.table-selected")
    marked.wait_for()
    assert marked.locator(".ag-cell[col-id=title]").text_content() == "Event 29"
    assert page.locator("#details h2").text_content() == "Event 29"
    assert page.errors == []


def test_overview_strip_sets_the_visible_range(server, page):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    bars = page.evaluate("() => document.querySelector('#overview .js-plotly-plot')._fullData[0]")
    assert bars["type"] == "bar"
    box = page.locator("#overview .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.55, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.85, y, steps=5)
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('x0=')")
    wait_for_graph(page, "10 of 10")
    rng = page.evaluate("() => document.querySelector('#timeline .js-plotly-plot').layout.xaxis.range")
    from dashboard.core.dates import parse_axis_value, parse_date

    assert parse_axis_value(rng[0]) >= parse_date("1930")[0]  # zoomed into the later part of the span
    shapes = page.evaluate("() => document.querySelector('#overview .js-plotly-plot').layout.shapes.length")
    assert shapes == 1  # the visible range, shaded on the strip


@pytest.mark.parametrize("button, check", [("#download-csv", "csv"), ("#download-html", "html")])
def test_csv_and_html_exports(server, page, browser, button, check, tmp_path):
    page.goto(server.url + "?themes=security,war&from=1900")
    wait_for_graph(page, "4 of 10")
    with page.expect_download(timeout=60000) as info:
        page.click(button)
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    if check == "csv":
        tl = parse_events(path.read_bytes(), path.name)
        assert set(tl.events["id"]) == {"pearl", "pacific", "treaty51", "portsmouth"}
        assert list(tl.eras["title"]) == ["Allied occupation"]
        return
    other = browser.new_page()
    errors = []
    other.on("pageerror", lambda e: errors.append(str(e)))
    other.goto(path.as_uri())
    other.wait_for_selector(".js-plotly-plot .scatterlayer")
    names = other.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.name)")
    assert set(names) == {"Security", "War"} and errors == []
    other.close()
