import contextlib
import csv
import io
import json
import os
import re
import shutil
import struct
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from dashboard.core.query import View
from dashboard.io.files import write_atomic
from dashboard.io.formats import load_timeline
from dashboard.render import exports as export
from dashboard.render import images
from dashboard.render.exports import export_format
from dashboard.render.images import render_view


def undated(data: bytes) -> bytes:
    """An export without the PDF's creation and modification times (the only bytes that vary per call)."""
    return re.sub(rb"/(CreationDate|ModDate) \(D:\d{14}", rb"/\1 (D:00000000000000", data)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def server(export_browser):
    """The session's export browser (tests/conftest.py)."""


@pytest.fixture
def tl(small_csv):
    return load_timeline(small_csv)


def test_png_is_print_size(server, tl):
    w, h = png_size(render_view(tl, View(themes=("security", "trade"))))
    assert w == images.EXPORT_WIDTH * images.PNG_SCALE and w >= 1600
    assert 300 < h < w


def test_svg_and_pdf_carry_the_view(server, tl):
    svg = render_view(tl, View(themes=("security",)), "svg", title="My title").decode()
    assert svg.startswith("<svg") and "My title" in svg and "3 of 7 events" in svg
    assert "Cold War" in svg and "Perry arrives" in svg and "Kanagawa" not in svg
    pdf = render_view(tl, View(), "pdf")
    assert pdf.startswith(b"%PDF")


def test_same_view_gives_the_same_png(server, tl):
    view = View(themes=("diplomacy",), start="1850", end="2000")
    assert render_view(tl, view) == render_view(tl, view)


def test_concurrent_exports_each_get_their_own_bytes(server, tl):
    """kaleido's sync server handed concurrent callers each other's images; every call must get its own."""
    views = [View(themes=("security",)), View(themes=("trade",), start="1850"), View(text="abe")]
    jobs = [(v, fmt) for fmt in ("png", "svg", "pdf") for v in range(len(views))] * 3
    alone = {(v, fmt): undated(export.export_view(tl, views[v], fmt)) for v, fmt in set(jobs)}
    assert len(set(alone.values())) == len(alone)  # the views really differ
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda job: undated(export.export_view(tl, views[job[0]], job[1])), jobs))
    wrong = [job for job, data in zip(jobs, got) if data != alone[job]]
    assert not wrong, f"{len(wrong)} of {len(jobs)} concurrent exports got another view's bytes"


def test_svg_of_a_view_is_the_same_every_time(server, tl):
    view = View(themes=("security", "war"))
    first = render_view(tl, view, "svg")
    assert first == render_view(tl, view, "svg") and b'id="defs-plotly"' in first


def test_markup_in_themes_and_titles_stays_text_in_every_export(server, write_csv):
    theme = '<a href="https://example.invalid/x">click</a>'
    path = write_csv(
        f'date,title,themes,importance\n1990,"<b>Bold</b> <script>x()</script>","{theme.replace(chr(34), chr(34) * 2)}",5\n'
    )
    tl = load_timeline(path)
    svg = render_view(tl, View(), "svg", title="<i>Title</i>").decode()
    assert "example.invalid" in svg and "<a " not in svg and "xlink:href" not in svg
    assert "&#60;b&#62;Bold&#60;/b&#62;" in svg and "&#60;i&#62;Title&#60;/i&#62;" in svg
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg
    page = export.export_view(tl, View(), "html", title="<i>Title</i>").decode()
    assert "<title>&lt;i&gt;Title&lt;/i&gt;</title>" in page and "<script>x()" not in page


def test_exports_are_drawn_in_chromiums_headless_shell_where_installed(server, tl, monkeypatch):
    """setup.sh installs Debian's chromium-headless-shell; the export browser is that one, not the whole
    Chromium (whose first export takes twice as long), unless kaleido's BROWSER_PATH names another."""
    assert render_view(tl, View(), "svg").startswith(b"<svg")
    drawing = set()
    for p in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            drawing.add(os.path.basename(p.exe()))
    assert images.HEADLESS_SHELL in drawing
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    assert images.export_browser_path() == shutil.which(images.HEADLESS_SHELL)
    monkeypatch.setenv("BROWSER_PATH", "/usr/bin/chromium")
    assert images.export_browser_path() is None  # kaleido takes it from there


def test_export_format_comes_from_the_name():
    assert export_format("a/b.PNG") == "png"
    assert export_format("events.CSV") == "csv" and export_format("page.html") == "html"
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf, \.csv or \.html"):
        export_format("chart.jpg")


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "chart.png"
    target.write_bytes(b"old")

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]
    monkeypatch.undo()
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"


def test_a_written_file_gets_the_modes_the_users_umask_gives_and_an_upload_stays_private(tmp_path):
    """An export copied to a web folder must be readable there, as any file the user makes; a
    temporary file's 0600 was kept once (``atomic_file`` writes one and renames it)."""
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "chart.png", b"png")
        write_atomic(tmp_path / "upload", b"csv", private=True)
        os.umask(0o027)
        write_atomic(tmp_path / "chart2.png", b"png")
    finally:
        os.umask(old)
    assert (tmp_path / "chart.png").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "chart2.png").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "upload").stat().st_mode & 0o777 == 0o600


def exported(path):
    """(the timeline of the file at ``path``, its CSV export with no filter)."""
    from dashboard.core.query import filter_events
    from dashboard.render.exports import events_csv

    tl = load_timeline(path)
    return tl, events_csv(tl, filter_events(tl, View()))


def test_csv_round_trip_keeps_every_event_exactly(write_csv):
    from dashboard.io.formats import parse_events

    src = (
        "id,date,end_date,title,themes,description,actors,location,source,importance,kind,notes\n"
        "m,-490,,=SUM(A1:A9),war,@risky,+1 actor,-Athens,https://x.org/m,2,,=cmd|' /C calc'!A0\n"
        "y,0476,,End of an empire,politics,'plain quote,,,,3,,\n"
        'p,1945-09-02,1952-04-28,"Occupation, ""Allied""",security;diplomacy,"two\nlines",,,,4,,x\n'
        "e,1947,1991,Cold War,politics;security,,,,,,era,=era note\n"
    )
    tl, out = exported(write_csv(src))
    text = out.decode()
    assert "'=SUM(A1:A9)" in text and "'@risky" in text and "'+1 actor" in text and "'-Athens" in text
    assert "\n'=cmd" not in text and ",'=cmd|" in text  # extra columns too
    assert ",-0490," in text  # dates are not touched
    back = parse_events(out, "back.csv")
    assert back.events.equals(tl.events) and back.eras.equals(tl.eras) and back.extras.equals(tl.extras)
    assert back.events["title"][0] == "=SUM(A1:A9)"
    # An era's own themes (which make no lane) and other columns are the file's too: written back.
    assert text.endswith(",politics;security,,,,,3,era,,,'=era note\n")
    assert back.era_extras.equals(tl.era_extras) and list(back.era_extras["notes"]) == ["=era note"]


def test_csv_writes_no_display_date_the_file_did_not_give(write_csv):
    """A written date's reading ('July 8, 1853' shown as 8 Jul 1853) came back as a display_date the
    file never had: reloaded, it fixed the English words over the page's language."""
    from dashboard.io.formats import parse_events

    src = (
        "date,end_date,title,themes,display_date\n"
        '"July 8, 1853",,Perry,diplomacy,\n'
        "1860s,,Embassy decade,diplomacy,\n"
        "between 47 and 50,,Claudius,war,\n"
        "25/12/1066,,Crowning,politics,\n"
        "1854,,Kanagawa,trade,Spring 1854\n"
        "c. 1600,after 17 Jul 1650,Long,trade,\n"
    )
    tl, out = exported(write_csv(src))
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert [r["display_date"] for r in rows] == ["", "", "", "", "Spring 1854", ""]
    assert [r["end_display_date"] for r in rows] == [""] * 6
    assert [r["date"] for r in rows][:2] == ["July 8, 1853", "1860s"]  # as written
    back = parse_events(out, "back.csv")
    assert back.events.equals(tl.events)


def test_csv_of_a_filtered_view(small_csv):
    from dashboard.core.query import filter_events
    from dashboard.io.formats import parse_events
    from dashboard.render.exports import events_csv

    tl = load_timeline(small_csv)
    back = parse_events(events_csv(tl, filter_events(tl, View(themes=("trade",)))), "f.csv")
    assert set(back.events["id"]) == {"kanagawa", "trade-talks"}
    assert len(back.eras) == 1


def test_standalone_html_carries_plotly_and_the_view(small_csv):
    from dashboard.render.exports import standalone_html

    page = standalone_html(load_timeline(small_csv), View(themes=("war",)), title="Wars").decode()
    assert page.lower().startswith("<!doctype html>")
    assert "<title>Wars</title>" in page and "Plotly.newPlot" in page and "Battle of Marathon" in page
    assert "<script src=" not in page  # plotly.js is inside: works offline


def test_images_follow_the_scale_and_draw_deep_time(server, tmp_path):
    from tests.timelines import deep_timeline

    tl = deep_timeline(tmp_path)
    log = render_view(tl, View(scale="log"), "svg").decode()
    assert "years before present" in log and " Ga<" in log and " Ma<" in log and "Big Bang" in log
    seq = render_view(tl, View(scale="sequence"), "svg").decode()
    assert "events in date order" in seq and "13.8 Ga" in seq and "490 BCE" in seq
    time = render_view(tl, View(), "svg").decode()
    assert "4 Ga<" in time and "years before present" not in time


def test_an_uncertain_date_has_its_tape_in_the_image(server, tmp_path):
    from tests.timelines import uncertain_timeline

    svg = render_view(uncertain_timeline(tmp_path), View(themes=("culture",)), "svg").decode()
    assert svg.count('class="point"') == 2  # a bar for the plague years and the tape of "c. 1600"


ANNOTATION_BOX = re.compile(
    r'<g class="cursor-pointer" transform="translate\(([-\d.]+),([-\d.]+)\)"><rect class="bg" x="[-\d.]+" '
    r'y="[-\d.]+" width="([\d.]+)" height="([\d.]+)".*?<text class="annotation-text"[^>]*>(.*?)</text>'
)


def test_featured_labels_of_the_dataset_are_apart_in_the_export(server):
    """The image export of the shipped file, as the exporter's Chromium lays out the text: every
    featured event (importance 5, and the invitation of Takaichi) is labelled whole, no two labels meet."""
    import html

    from tests.conftest import DATASET

    tl = load_timeline(DATASET)
    svg = render_view(tl, View(), "svg").decode()
    boxes = [
        (html.unescape(m[5]), float(m[1]), float(m[2]), float(m[1]) + float(m[3]), float(m[2]) + float(m[4]))
        for m in ANNOTATION_BOX.finditer(svg)
    ]
    featured = set(tl.events["title"][tl.events["importance"] == 5]) | {"Trump invites Takaichi to the United States"}
    assert featured <= {b[0] for b in boxes}
    assert len(boxes) >= 30
    for i, (ta, *a) in enumerate(boxes):
        for tb, *b in boxes[i + 1 :]:
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (ta, tb)


DATASET = os.path.join(os.path.dirname(__file__), "..", "..", "data", "events.csv")


def test_images_and_pages_follow_the_language(server):
    tl = load_timeline(DATASET)
    svg = render_view(tl, View(), "svg", lang="ja", title="US–Japan relations since 1853").decode()
    assert "1853年以降の日米関係" in svg and "71件中71件の出来事" in svg  # the catalogue's title and subtitle
    assert "日米和親条約（神奈川条約）" in svg and "外交" in svg  # title_ja labels, the shipped themes
    assert re.search(r"font-family:[^;\"]*Noto Sans CJK JP", svg)  # a CJK face for every glyph
    assert re.search(r">18[0-9]0年<", svg)  # year ticks as Japanese readers write them
    english = render_view(tl, View(), "svg").decode()
    assert "Convention of Kanagawa" in english and "日米和親条約" not in english
    page = export.export_view(tl, View(), "html", lang="ja").decode()
    assert '<html lang="ja">' in page and json.dumps("日米和親条約")[1:-1] in page  # in the figure's JSON
