"""Hostile text renders inert; wrong uploads are refused clearly; two users never see each other's data."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Server, plotted, wait_for_graph

pytestmark = pytest.mark.browser

XSS_TITLE = "<script>window.__x=1;alert(1)</script>"
XSS_CSV = (
    "id,date,title,themes,description,actors,location,source,importance\n"
    f'a,1990,"{XSS_TITLE}",war,"<img src=x onerror=""window.__x=2;alert(2)"">",'
    '"<b onmouseover=alert(3)>Bold</b>","<a href=javascript:alert(4)>here</a>",https://example.org/a,5\n'
    'b,1995,"<img src=x onerror=alert(5)>",war,"javascript:alert(6)",,,,5\n'
    'c,2000,Linked theme,"<a href=""https://example.invalid/x"">click</a>",,,,,4\n'
)
HOSTILE_THEME = '<a href="https://example.invalid/x">click</a>'


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("xss") / "xss.csv"
    path.write_text(XSS_CSV, encoding="utf-8")
    srv = Server(path)
    yield srv
    srv.stop()


def test_markup_in_user_text_is_shown_literally_and_never_runs(xss_server, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(xss_server.url)
    wait_for_graph(page, "3 of 3")
    labels = page.locator("#timeline .annotation").all_text_contents()
    assert XSS_TITLE in labels and "<img src=x onerror=alert(5)>" in labels  # visible, as text
    cells = page.locator("#table .ag-row .ag-cell[col-id=title]")
    cells.first.wait_for()
    assert XSS_TITLE in cells.all_text_contents()  # the grid shows it as text too
    assert page.locator("#table img, #table script, #table b").count() == 0
    cells.first.click()
    page.wait_for_selector("#details h2")
    assert page.locator("#details h2").text_content() == XSS_TITLE
    details = page.locator("#details").text_content()
    assert '<img src=x onerror="window.__x=2;alert(2)">' in details
    assert "<b onmouseover=alert(3)>Bold</b>" in details and "<a href=javascript:alert(4)>here</a>" in details
    assert page.locator("#details img, #details script, #details b, #details [onerror]").count() == 0
    # hover over both events too
    for y in page.evaluate("""() => { const gd = document.querySelector('#timeline .js-plotly-plot');
            const fl = gd._fullLayout, box = gd.getBoundingClientRect();
            const t = gd._fullData.find(d => d.type === 'scatter' && d._length);
            return Array.from(t.x).map(x => [box.left + fl._size.l + fl.xaxis.d2p(x),
                                              box.top + fl._size.t + fl.yaxis.d2p(0)]); }"""):
        page.mouse.move(*y)
        page.wait_for_timeout(200)
    assert page.evaluate("() => window.__x") is None and dialogs == []
    assert page.errors == []


def test_a_theme_named_like_a_link_is_no_link(xss_server, page):
    page.goto(xss_server.url)
    wait_for_graph(page, "3 of 3")
    assert page.locator('a[href*="example.invalid"]').count() == 0
    assert page.locator("#timeline svg a").count() == 0
    legend = page.locator("#timeline .legend").text_content()
    ticks = page.locator("#timeline .ytick").all_text_contents()
    # the lane's name as text: in two lines that fit the margin, the second cut short ('<a' 'href="https:…')
    assert HOSTILE_THEME in legend and any(t.startswith("<a") and 'href="' in t for t in ticks), ticks
    checklist = page.locator("#themes").text_content()
    assert HOSTILE_THEME in checklist


def test_wrong_encoding_upload_is_refused_and_the_server_stays_up(server, page, tmp_path):
    page.goto(server.url)
    wait_for_graph(page, "10 of 10")
    path = tmp_path / "latin1.csv"
    path.write_bytes("date,title,themes\n1990,Caf\xe9 cr\xe8me,war\n".encode("cp1252"))
    page.set_input_files("#upload input[type=file]", str(path))
    page.wait_for_selector("#upload-status .upload-errors")
    text = page.locator("#upload-status").text_content()
    assert "line 2" in text and "byte 0xE9 is not UTF-8" in text and "save it as 'CSV UTF-8'" in text
    assert page.locator("#match-count").text_content() == "10 of 10 events match"
    page.reload()
    wait_for_graph(page, "10 of 10 events match")  # still serving


def test_two_sessions_do_not_see_each_other_uploads(server, browser, tmp_path):
    pages = []
    for who in ("alice", "bob"):
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        page = context.new_page()
        page.goto(server.url)
        wait_for_graph(page, "10 of 10")
        path = tmp_path / f"{who}.csv"
        path.write_text(f"date,title,themes\n1990,{who} secret,{who}\n1991,{who} second,{who}\n", encoding="utf-8")
        pages.append((who, page, path))
    for _who, page, path in pages:  # both upload, one right after the other
        page.set_input_files("#upload input[type=file]", str(path))
    for who, page, _ in pages:
        wait_for_graph(page, "2 of 2 events match")
        assert plotted(page) == {who.capitalize(): 2}
        page.wait_for_function("() => document.querySelectorAll('#table .ag-row .ag-cell[col-id=title]').length === 2")
        titles = page.locator("#table .ag-row .ag-cell[col-id=title]").all_text_contents()
        assert titles == [f"{who} secret", f"{who} second"]
    # a third visitor sees the served file, not the uploads
    third = browser.new_page()
    third.goto(server.url)
    wait_for_graph(third, "10 of 10 events match")
    assert "Alice" not in plotted(third) and "Bob" not in plotted(third)
    third.close()
    for _, page, _ in pages:
        page.context.close()
