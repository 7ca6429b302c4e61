import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from dashboard import cli
from dashboard.cli import main
from dashboard.core.query import View
from dashboard.io.formats import load_timeline
from dashboard.render import images
from dashboard.render.exports import export_view
from dashboard.render.images import render_view
from tests.conftest import DATASET, ROOT
from tests.servers import reserve_port


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_validate_ok_summarises(small_csv):
    r = run("validate", small_csv)
    assert r.returncode == 0, r.stderr
    assert "small.csv: OK: 7 events, 1 era, 4 themes, 490 BCE to 2015" in r.stdout


def test_validate_lists_every_problem_without_traceback(write_csv):
    path = write_csv("id,date,title,themes\na,2015-02-30,x,war\na,1990,,war\n", name="bad.csv")
    r = run("validate", path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert lines[0] == "bad.csv: 3 problems found"
    assert "line 2, column 'date': '2015-02-30': expected a real calendar date" in r.stderr
    assert "line 3, column 'title'" in r.stderr and "line 3, column 'id'" in r.stderr


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["export", "-o", "x.png"]])
def test_serve_and_export_refuse_an_invalid_file(write_csv, tmp_path, command):
    path = write_csv(b"\x00\x01binary", name="blob.csv")
    r = run(command[0], path, *command[1:], cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "blob.csv: 1 problem found" in r.stderr and "binary data" in r.stderr
    assert not (tmp_path / "x.png").exists()


def test_export_writes_the_same_figure_as_the_app(small_csv, tmp_path, export_browser):
    out = tmp_path / "chart.png"
    r = run(
        "export",
        small_csv,
        "-o",
        out,
        "--themes",
        "security,trade",
        "--from",
        "1945",
        "--to",
        "2000",
        "--search",
        "treaty",
    )
    assert r.returncode == 0, r.stderr
    assert "1 of 7 events" in r.stdout
    tl = load_timeline(small_csv)
    same = render_view(tl, View(themes=("security", "trade"), start="1945", end="2000", text="treaty"), "png")
    assert out.read_bytes() == same


def test_export_svg_and_pdf_by_extension(small_csv, tmp_path, export_browser):
    assert main(["export", str(small_csv), "-o", str(tmp_path / "a.svg")]) == 0
    assert (tmp_path / "a.svg").read_text().startswith("<svg")
    assert main(["export", str(small_csv), "-o", str(tmp_path / "a.pdf")]) == 0
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    assert images.export_server_running()  # the export browser this process had started is still its own


@pytest.mark.parametrize("fmt", ["csv", "html"])
def test_export_csv_and_html_by_extension_are_the_apps_files(small_csv, tmp_path, fmt):
    out = tmp_path / f"view.{fmt}"
    r = run("export", small_csv, "-o", out, "--themes", "security,diplomacy", "--from", "1850", "--to", "2000")
    assert r.returncode == 0, r.stderr
    view = View(themes=("diplomacy", "security"), start="1850", end="2000")
    assert out.read_bytes() == export_view(load_timeline(small_csv), view, fmt)
    if fmt == "csv":
        again = load_timeline(out)
        assert sorted(again.events["id"]) == ["kanagawa", "occupation", "perry", "treaty51"]
    else:
        assert b"Plotly.newPlot" in out.read_bytes() and b"Perry arrives" in out.read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "x.jpg"], "must end in .png, .svg, .pdf, .csv or .html"),
        (["-o", "x.png", "--themes", "nope"], "unknown theme nope"),
        (["-o", "x.png", "--from", "51"], "From: '51' is not a valid date"),
    ],
)
def test_export_usage_errors_are_clear(small_csv, tmp_path, capsys, args, message):
    assert main(["export", str(small_csv), *args]) == 2
    assert message in capsys.readouterr().err


def test_default_file_is_the_shipped_dataset(tmp_path):
    r = run("validate", DATASET)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("events.csv: OK")


def test_serve_defaults_are_safe():
    from dashboard.cli import _parser

    args = _parser().parse_args(["serve"])
    assert (args.host, args.port, args.debug) == ("127.0.0.1", 8050, False)
    assert args.frame_ancestors == "'self'"  # no other site may frame the app unless told


@pytest.mark.parametrize(
    "host", ["127.0.0.1", pytest.param("::1", marks=pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 here"))]
)
def test_serve_says_the_address_it_answers_at_as_one_to_open(small_csv, tmp_path, host):
    """``--port 0`` has the system choose a free port: the line saying where the timeline is must name
    that one (not 0), as an address a browser opens (an IPv6 address in brackets)."""
    log = tmp_path / "server.log"
    with log.open("wb") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", str(small_csv), "--host", host, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=ROOT,
        )
    try:
        assert proc.stdout is not None
        said = proc.stdout.readline()
        found = re.search(r" at (http://\S+/)", said)
        assert found, (said, log.read_text())
        shown = f"[{host}]" if ":" in host else host
        assert re.fullmatch(rf"http://{re.escape(shown)}:[1-9]\d*/", found[1])
        deadline = time.monotonic() + 60
        while True:  # the page saying it prepares (503) until the app answers
            try:
                with urllib.request.urlopen(found[1], timeout=60) as answer:
                    assert answer.status == 200 and answer.headers["Server"].startswith("gunicorn")
                    break
            except urllib.error.HTTPError as preparing:
                assert preparing.code == 503 and time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)


@pytest.mark.parametrize("port", ["70000", "-1", "65536", "http"])
def test_serve_refuses_a_port_that_cannot_be_one_saying_so(small_csv, port):
    """A port is 0 (any free one) to 65535: another number is a usage error saying so, before anything is
    loaded, not a traceback from the socket nor a word about the host."""
    r = run("serve", small_csv, "--port", port)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"argument --port: {port!r}: expected a port number from 0 to 65535" in r.stderr


def test_serve_refuses_a_bad_frame_ancestors_before_loading(small_csv, tmp_path):
    r = run(
        "serve", small_csv, "--port", "0", "--frame-ancestors", "https://a.example, https://b.example", cwd=tmp_path
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert (
        "timeline serve: error: argument --frame-ancestors: 'https://a.example,': separate the sites with spaces, "
        "not commas or semicolons; expected 'self', 'none', or origins such as https://a.example" in r.stderr
    )
    from dashboard.cli import _parser

    given = _parser().parse_args(["serve", "--frame-ancestors", "'self'  https://*.a.example"])
    assert given.frame_ancestors == "'self' https://*.a.example"


@pytest.mark.parametrize("axis, title", [("sequence", "events in date order"), ("log", "years before present")])
def test_export_follows_the_axis_scale(small_csv, tmp_path, axis, title):
    out = tmp_path / "view.html"
    assert main(["export", str(small_csv), "-o", str(out), "--axis", axis]) == 0
    assert out.read_bytes() == export_view(load_timeline(small_csv), View(scale=axis), "html")
    assert title.encode() in out.read_bytes()


def test_export_refuses_an_unknown_axis(small_csv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", str(small_csv), "-o", str(tmp_path / "x.png"), "--axis", "cubic"])
    assert exc.value.code == 2 and "invalid choice: 'cubic'" in capsys.readouterr().err


def test_columns_flag_maps_the_files_columns(write_csv):
    path = write_csv("When,What,Kind,Notes\n1066,Hastings,war,A battle\n1215,Magna Carta,politics,\n", name="k.csv")
    r = run("validate", path, "--columns", "date=When,title=What,themes=Kind")
    assert r.returncode == 0, r.stderr
    assert "k.csv: OK: 2 events, 0 eras, 2 themes, 1066 to 1215" in r.stdout


@pytest.mark.parametrize(
    "columns, status, message",
    [
        (
            "date=Begin,title=What,themes=Kind",
            1,
            "line 1: 'Begin': expected a column named 'Begin' for --columns date=Begin (found: When, What, Kind, Notes)",
        ),
        ("when=Begin", 2, "'when' is not a column of ours"),
        ("date", 2, "'date' is not OURS=FILE_COLUMN"),
    ],
)
def test_columns_flag_errors_are_clear(write_csv, columns, status, message):
    path = write_csv("When,What,Kind,Notes\n1066,Hastings,war,\n", name="k.csv")
    r = run("validate", path, "--columns", columns)
    assert r.returncode == status and message in r.stderr and "Traceback" not in r.stderr


def test_problems_name_the_files_header_on_the_command_line(write_csv):
    path = write_csv("Start,Event\n1066,Hastings\n12x5,Bad\n", name="monarchs.csv")
    r = run("validate", path)
    assert r.returncode == 1
    assert "line 3, column 'Start': '12x5': expected a date" in r.stderr


def test_export_takes_the_columns_flag(write_csv, tmp_path):
    path = write_csv("When,What,Kind\n1066,Hastings,war\n", name="k.csv")
    out = tmp_path / "k-out.csv"
    r = run("export", path, "-o", out, "--columns", "date=When,title=What,themes=Kind")
    assert r.returncode == 0, r.stderr
    assert "Hastings" in out.read_text(encoding="utf-8")


def test_validate_a_workbook_and_its_sheets(tmp_path):
    from tests.workbooks import xlsx

    path = tmp_path / "kings.xlsx"
    path.write_bytes(xlsx({"Notes": [["x"]], "Kings": [["Year", "Name"], [1066, "William"], ["10x7", "Bad"]]}))
    r = run("validate", path, "--sheet", "Kings")
    assert r.returncode == 1 and "Kings!A3, column 'Year': '10x7': expected a date" in r.stderr
    r = run("validate", path, "--sheet", "Queens")
    assert (
        r.returncode == 1 and "'Queens': expected a sheet of that name: the workbook has 'Notes', 'Kings'" in r.stderr
    )
    path.write_bytes(xlsx({"Kings": [["Year", "Name"], [1066, "William"]]}))
    r = run("validate", path)
    assert r.returncode == 0 and "kings.xlsx: OK: 1 event, 0 eras, 1 theme, 1066 to 1066" in r.stdout


def test_date_order_flag_is_accepted_and_checked(small_csv):
    assert run("validate", small_csv, "--date-order", "dmy").returncode == 0
    r = run("validate", small_csv, "--date-order", "ymd")
    assert r.returncode == 2 and "invalid choice: 'ymd'" in r.stderr


def test_a_file_of_ambiguous_dates_is_told_the_flag_that_reads_them(tmp_path):
    path = tmp_path / "us.csv"
    path.write_text("date,title,themes\n03/04/1854,A,x\n07/08/1853,B,x\n3/31/1854,C,x\n", encoding="utf-8")
    r = run("validate", path)
    assert r.returncode == 1 and "2 problems found" in r.stderr
    assert "line 2, column 'date': '03/04/1854': expected a date order for 03/04/1854" in r.stderr
    assert r.stderr.rstrip().endswith(
        "Say the order of the file's dates with --date-order mdy (month/day/year) or --date-order dmy (day/month/year)."
    )
    r = run("validate", path, "--date-order", "mdy")
    assert r.returncode == 0 and "us.csv: OK: 3 events" in r.stdout


TOPICS = ROOT / "tests" / "fixtures" / "topics"


def test_validate_several_files_as_topics():
    r = run("validate", TOPICS / "monarchs.csv", TOPICS / "wars.csv")
    assert r.returncode == 0, r.stderr
    assert "monarchs.csv + wars.csv: OK: 7 events, 0 eras, 3 themes, 1558 to 1651, 2 topics" in r.stdout


def test_a_folder_opens_every_file_in_it(tmp_path):
    out = tmp_path / "all.csv"
    r = run("export", TOPICS, "-o", out, "--themes", "war")
    assert r.returncode == 0, r.stderr
    rows = out.read_text().splitlines()
    assert rows[0].startswith("topic,") and {row.split(",")[0] for row in rows[1:]} == {"wars", "writers"}
    assert len(rows) == 1 + 5


def test_several_files_with_problems_each_name_their_file(write_csv):
    bad = write_csv("date,title,themes\n1600,,war\n", name="bad.csv")
    worse = write_csv("date,title,themes\nsoon,x,war\n", name="worse.csv")
    r = run("validate", TOPICS / "wars.csv", bad, worse)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "bad.csv: 1 problem found\n  line 2, column 'title'" in r.stderr
    assert "worse.csv: 1 problem found\n  line 2, column 'date'" in r.stderr


def test_an_empty_folder_is_refused(tmp_path):
    r = run("validate", tmp_path)
    assert r.returncode == 1 and "no .csv, .json, .xlsx or .ods files in this folder" in r.stderr


def test_export_story_writes_the_story_page_of_the_view(small_csv, tmp_path, capsys):
    out = tmp_path / "story.html"
    args = ["export", str(small_csv), "-o", str(out), "--story", "--themes", "diplomacy", "--lang", "ja"]
    assert main(args) == 0
    assert "story page" in capsys.readouterr().out
    view = View(themes=("diplomacy",))
    assert out.read_bytes() == export_view(load_timeline(small_csv), view, "story", lang="ja")
    assert b'id="story-data"' in out.read_bytes() and b"Perry arrives" in out.read_bytes()


@pytest.mark.parametrize("name", ["story.png", "story.htm", "story"])
def test_export_story_refuses_a_name_that_is_not_html(small_csv, tmp_path, capsys, name):
    assert main(["export", str(small_csv), "-o", str(tmp_path / name), "--story"]) == 2
    assert f"cannot write a story to '{name}': a story page is HTML" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


# ---- Parquet: timeline convert, and Parquet files, folders and globs as inputs ----------------------


def test_convert_writes_parquet_that_loads_as_the_same_timeline(small_csv, tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq

    out = tmp_path / "small.parquet"
    r = run("convert", small_csv, "-o", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {out} (Parquet, 7 events, 1 era, {out.stat().st_size:,} bytes)"
    assert pq.ParquetFile(out).metadata.row_group(0).column(0).compression == "ZSTD"
    first, back = load_timeline(small_csv), load_timeline(out)
    pd.testing.assert_frame_equal(back.events, first.events)
    pd.testing.assert_frame_equal(back.eras, first.eras)
    assert not list(tmp_path.glob(".*timeline-cache*"))  # a one-off: no cache left beside the CSV
    r = run("validate", out)
    assert r.returncode == 0 and "small.parquet: OK: 7 events, 1 era, 4 themes, 490 BCE to 2015" in r.stdout


def test_convert_of_a_bad_file_lists_its_problems_and_writes_nothing(write_csv, tmp_path):
    path = write_csv("id,date,title,themes\na,2015-02-30,x,war\na,1990,,war\n", name="bad.csv")
    out = tmp_path / "bad.parquet"
    r = run("convert", path, "-o", out)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[0] == "bad.csv: 3 problems found"
    assert "line 2, column 'date': '2015-02-30': expected a real calendar date" in r.stderr
    assert "line 3, column 'title'" in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".bad.parquet*"))


@pytest.mark.parametrize("name", ["out.csv", "out.parquet.bak", "out"])
def test_convert_refuses_an_output_not_named_parquet(small_csv, tmp_path, name):
    r = run("convert", small_csv, "-o", tmp_path / name)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"timeline convert: cannot write '{name}': the name must end in .parquet" in r.stderr
    assert not (tmp_path / name).exists()


def test_a_folder_and_a_glob_of_parquet_parts_are_one_timeline(small_csv, tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    assert main(["convert", str(small_csv), "-o", str(parts / "part-0.parquet")]) == 0
    (parts / "_SUCCESS").write_bytes(b"")
    for source in (parts, f"{parts}/*.parquet"):
        r = run("validate", source)
        assert r.returncode == 0, r.stderr
        assert ": OK: 7 events, 1 era, 4 themes, 490 BCE to 2015" in r.stdout and "topics" not in r.stdout
    # beside a CSV, a dataset is one topic (named by its folder)
    r = run("validate", parts, TOPICS / "wars.csv")
    assert r.returncode == 0 and "2 topics" in r.stdout and "parts ›" in r.stdout


def test_a_folder_mixing_parquet_parts_and_csv_files_is_refused(small_csv, tmp_path):
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    assert main(["convert", str(small_csv), "-o", str(mixed / "a.parquet")]) == 0
    (mixed / "b.csv").write_bytes(small_csv.read_bytes())
    r = run("validate", mixed)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "holds Parquet parts (one dataset) and topic files (b.csv)" in r.stderr


def test_a_bad_parquet_file_is_reported_by_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"date": pa.array([1900, 1901]), "title": ["a", ""], "themes": ["w", "w"]}), path)
    r = run("validate", path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[1].startswith("  row 2, column 'title': (empty): expected")
    path.write_bytes(path.read_bytes()[:40])
    r = run("validate", path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "bad.parquet: 1 problem found\n  expected a readable Parquet file: " in r.stderr


@pytest.fixture(scope="module")
def large_parquet(tmp_path_factory):
    """Enough events that building their store takes a few seconds here."""
    import pyarrow.parquet as pq

    from tests.synthetic import generate

    path = tmp_path_factory.mktemp("large") / "large.parquet"
    pq.write_table(generate(300_000), path)
    return path


def _step(port: int) -> str | None:
    """The step the preparing page says, None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_timeline/preparing", timeout=5) as answer:
            return json.loads(answer.read())["text"]
    except (OSError, ValueError):
        return None


@pytest.mark.parametrize(
    "sig, group, code",
    [
        (signal.SIGTERM, False, 128 + signal.SIGTERM),  # a service manager stopping it
        (signal.SIGINT, True, 128 + signal.SIGINT),  # Ctrl-C at its terminal: every process of it
        (signal.SIGINT, False, 128 + signal.SIGINT),
        (signal.SIGKILL, False, -signal.SIGKILL),  # nothing of its own runs: what it started must end still
    ],
    ids=["SIGTERM", "Ctrl-C", "SIGINT", "SIGKILL"],
)
def test_a_server_stopped_while_it_builds_its_store_ends_at_once_leaving_nothing(
    large_parquet, tmp_path, sig, group, code
):
    """Stopped while the page says how far it has got: it exits within seconds, saying no traceback, its
    store's builder (and the builder's helpers) with it, the page's status folder and the store half
    built removed (a store is built again at the next start)."""
    with reserve_port() as held:
        port = held.getsockname()[1]
    temp, cache = tmp_path / "tmp", tmp_path / "cache"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "serve", str(large_parquet), "--engine", "duckdb", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(temp), "XDG_CACHE_HOME": str(cache)},
        start_new_session=True,  # a process group of its own, as at a terminal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # not ignored, as in a background job
    )
    try:
        deadline = time.monotonic() + 60
        while not (_step(port) or "").startswith(("Reading the themes", "Checking the rows")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1]
            time.sleep(0.02)
        tree = psutil.Process(proc.pid).children(recursive=True)
        assert tree  # the builder, at least
        (os.killpg if group else os.kill)(proc.pid, sig)
        said = proc.communicate(timeout=20)[1]
        gone, left = psutil.wait_procs(tree, timeout=20)
        assert left == [], [p.cmdline() for p in left]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == code, said
    assert "Traceback" not in said, said
    assert list(cache.glob("timeline/*.building-*")) == []
    if sig != signal.SIGKILL:
        assert list(temp.iterdir()) == []


SWALLOWED_STOP = """
import os, signal, sys, time, weakref
from dashboard import cli

def preparing(files, options, args, title, page):
    class Held:
        pass

    def finalizer(ref):  # the signal's handler runs in here, on the loop's way back
        os.kill(os.getpid(), {sig})
        for _ in range(100_000):
            pass

    held = Held()
    watch = weakref.ref(held, finalizer)
    del held
    time.sleep(60)
    print("prepared and served", flush=True)
    return 0

cli._prepare_and_serve = preparing
sys.exit(cli.main(["serve", "data/events.csv", "--debug"]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_server_told_to_stop_while_it_prepares_stops_though_the_signal_lands_in_a_finalizer(sig):
    """The server's stop is a SystemExit raised wherever it is; inside a finalizer, Python only printed it
    as ignored and the server went on to serve. It is raised again once the finalizer is done."""
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SWALLOWED_STOP.format(sig=int(sig))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=90,
    )
    assert (done.returncode, done.stdout) == (128 + sig, ""), done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert time.monotonic() - t0 < 30  # not after the minute its preparing would take


def test_a_server_told_to_stop_while_it_reads_several_files_stops_at_once(monkeypatch, tmp_path):
    """Each file's refusal is a SystemExit, counted and the next file read; the stop's is not a refusal:
    it was counted as one, and the rest were read before the server exited with status 1."""
    from dashboard.io import stops

    monkeypatch.setattr(stops, "STOPPED", [])
    monkeypatch.setattr(stops, "_STOPPING", [signal.SIGTERM])
    before = signal.getsignal(signal.SIGTERM)
    read: list[str] = []

    def loading(path, *args, **kwargs):
        read.append(path.name)
        stops.stop(signal.SIGTERM, None)  # the signal, landing while the first file is read

    monkeypatch.setattr(cli, "load_or_exit", loading)
    try:
        with pytest.raises(SystemExit) as stopped:
            cli.load_files([tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"])
    finally:
        signal.signal(signal.SIGTERM, before)
    assert (stopped.value.code, read) == (128 + signal.SIGTERM, ["a.csv"])


def served_by_auto(monkeypatch, path, rows: int):
    """What ``serve PATH`` (no ``--engine``) would serve, with ``cli.AUTO_ROWS`` at ``rows``: the engine
    named, and the timeline handed to the server (not served: the call returns instead)."""
    from dashboard.io import store

    handed = []
    monkeypatch.setattr(cli, "AUTO_ROWS", rows)
    monkeypatch.setattr(store, "precompute_apart", lambda folder: None)  # its tables: not needed here
    monkeypatch.setattr(cli, "_serve", lambda timeline, args, *rest: handed.append((args.engine, timeline)) or 0)
    args = cli._parser().parse_args(["serve", str(path)])
    assert cli._prepare_and_serve([path], cli.read_options(args), args, None, None) == 0
    return handed[0]


def test_auto_serves_a_file_of_auto_rows_from_a_store_and_next_time_from_it_without_reading_the_file(
    small_csv, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine, timeline = served_by_auto(monkeypatch, small_csv, 7)
    said = capsys.readouterr().err
    assert engine == "duckdb" and timeline.engine is not None and timeline.size == 7
    assert "7 events: served by DuckDB from a store (7 or more" in said and "writing the store" in said
    assert len(list((tmp_path / "cache" / "timeline").glob("*.store"))) == 1
    loaded = cli._loaded
    monkeypatch.setattr(cli, "_loaded", lambda *a, **k: pytest.fail("the file was read again"))
    engine, timeline = served_by_auto(monkeypatch, small_csv, 7)
    said = capsys.readouterr().err
    assert engine == "duckdb" and timeline.size == 7
    assert "writing the store" not in said, said
    monkeypatch.setattr(cli, "_loaded", loaded)
    engine, timeline = served_by_auto(monkeypatch, small_csv, 8)  # the same store, now below the bound
    assert engine == "memory" and timeline.engine is None
    assert "7 events: held in memory (fewer than 8" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, content, why",
    [
        (
            "lives.csv",
            "id,date,title,themes,life_start,life_end\na,1558,Elizabeth I crowned,crown,1533-09-07,1603-03-24\n"
            "b,1603,James I crowned,crown,1566-06-19,1625-03-27\n",
            "as its lives are drawn in memory only",
        ),
        (
            "ongoing.csv",
            "id,date,end_date,title,themes\na,2001,ongoing,A war,war\nb,2003,2011,Another,war\n",
            "as an 'ongoing' date means the day the file is read",
        ),
    ],
)
def test_auto_holds_lives_and_ongoing_dates_in_memory_whatever_their_number(
    write_csv, tmp_path, monkeypatch, capsys, name, content, why
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine, timeline = served_by_auto(monkeypatch, write_csv(content, name=name), 2)
    assert engine == "memory" and timeline.engine is None
    assert f"2 events: held in memory, {why}" in capsys.readouterr().err
    assert not list((tmp_path / "cache").glob("timeline/*.store"))


def test_a_parquet_datasets_rows_are_counted_from_its_footers(tmp_path):
    import pyarrow.parquet as pq

    from tests.synthetic import generate

    (tmp_path / "parts").mkdir()
    table = generate(50)
    pq.write_table(table.slice(0, 20), tmp_path / "parts" / "part-0.parquet", row_group_size=7)
    pq.write_table(table.slice(20), tmp_path / "parts" / "part-1.parquet")
    assert cli.parquet_rows([tmp_path / "parts"]) == 50
    assert cli.parquet_rows([tmp_path / "parts" / "part-0.parquet"]) == 20
    assert cli.parquet_rows([tmp_path / "parts" / "*.parquet"]) == 50
    assert cli.parquet_rows([tmp_path / "parts" / "part-0.parquet", tmp_path / "parts" / "part-1.parquet"]) is None
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    assert cli.parquet_rows([tmp_path / "bad.parquet"]) is None  # its loading says why
    assert cli.parquet_rows([ROOT / "data" / "events.csv"]) is None


def test_serve_of_a_missing_file_says_so_without_a_traceback(tmp_path):
    r = run("serve", tmp_path / "nope.csv", "--port", "0")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "nope.csv" in r.stderr and "a readable file" in r.stderr


def test_one_event_is_counted_as_one(write_csv, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine, _ = served_by_auto(monkeypatch, write_csv("id,date,title,themes\na,1990,x,y\n"), 2)
    assert engine == "memory"
    assert "timeline: 1 event: held in memory (fewer than 2;" in capsys.readouterr().err


def test_auto_takes_up_a_store_an_earlier_version_made_and_marks_it(small_csv, tmp_path, monkeypatch, capsys):
    """A store written before stores said whether they serve the whole timeline: the file is read once
    (to know), the store kept and marked, not written again (it was, then thrown away, at every start)."""
    from dashboard.io import store

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    served_by_auto(monkeypatch, small_csv, 7)
    (folder,) = (tmp_path / "cache" / "timeline").glob("*.store")
    about = json.loads((folder / store.META_FILE).read_text())
    del about["servable"]
    (folder / store.META_FILE).write_text(json.dumps(about))
    pieces = {p.name: p.stat().st_ino for p in folder.iterdir()}
    capsys.readouterr()
    engine, timeline = served_by_auto(monkeypatch, small_csv, 7)
    assert engine == "duckdb" and timeline.size == 7
    assert "writing the store" not in capsys.readouterr().err
    assert json.loads((folder / store.META_FILE).read_text())["servable"] is True
    assert {p.name: p.stat().st_ino for p in folder.iterdir() if p.name != store.META_FILE} == {
        k: v for k, v in pieces.items() if k != store.META_FILE
    }
    assert store.servable_rows(folder) == 7


def test_auto_holds_several_files_and_a_story_in_memory(write_csv, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    a = write_csv("id,date,title,themes\na,1990,x,war\nb,1991,y,war\n", name="a.csv")
    b = write_csv("id,date,title,themes\nc,1992,z,trade\n", name="b.csv")
    handed = []
    monkeypatch.setattr(cli, "AUTO_ROWS", 2)
    monkeypatch.setattr(cli, "_serve", lambda timeline, args, *rest: handed.append(args.engine) or 0)
    args = cli._parser().parse_args(["serve", str(a), str(b)])
    assert cli._prepare_and_serve([a, b], cli.read_options(args), args, None, None) == 0
    assert handed == ["memory"]
    assert "3 events: held in memory, as its files are shown as topics in memory only" in capsys.readouterr().err
    told = write_csv("id,date,title,themes,story\na,1990,x,war,2\nb,1991,y,war,1\n", name="story.csv")
    engine, _ = served_by_auto(monkeypatch, told, 2)
    assert engine == "memory"
    assert "as its story is told in memory only" in capsys.readouterr().err
    assert not list((tmp_path / "cache").glob("timeline/*.store"))


def test_auto_serves_from_memory_a_large_file_whose_store_cannot_be_written(small_csv, tmp_path, monkeypatch, capsys):
    (tmp_path / "cache").write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    engine, timeline = served_by_auto(monkeypatch, small_csv, 7)
    assert engine == "memory" and timeline.engine is None and len(timeline.events) == 7
    said = capsys.readouterr().err
    assert "cannot write the store (" in said and "held in memory instead" in said, said


def test_spark_remote_without_the_spark_engine_is_refused_before_the_file_is_read(small_csv):
    r = run("serve", small_csv, "--spark-remote", "sc://127.0.0.1:15002", "--port", "0")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--spark-remote is for --engine spark" in r.stderr and "small.csv" not in r.stderr


def test_a_large_parquet_dataset_with_lives_is_served_by_duckdb_saying_they_are_not_drawn(
    tmp_path, monkeypatch, capsys
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    table = pa.table(
        {
            "id": ["a", "b"],
            "date": ["1558", "1603"],
            "title": ["Elizabeth I", "James I"],
            "themes": ["crown", "crown"],
            "life_start": ["1533", "1566"],
        }
    )
    pq.write_table(table, tmp_path / "lives.parquet")
    engine, timeline = served_by_auto(monkeypatch, tmp_path / "lives.parquet", 2)
    assert engine == "duckdb" and timeline.size == 2
    assert "its lives are not drawn from a store (--engine memory draws them)" in capsys.readouterr().err


def test_the_store_of_a_dataset_beside_other_files_changes_when_a_part_in_a_sub_folder_does(tmp_path):
    import pyarrow.parquet as pq

    from dashboard.io import store
    from dashboard.io.read_options import DEFAULT_OPTIONS
    from tests.synthetic import generate

    (tmp_path / "parts" / "year=2020").mkdir(parents=True)
    part = tmp_path / "parts" / "year=2020" / "part-0.parquet"
    pq.write_table(generate(10), part)
    other = tmp_path / "wars.csv"
    other.write_text("id,date,title,themes\nw,1990,x,war\n")
    before = store.store_path([tmp_path / "parts", other], DEFAULT_OPTIONS)
    stat = (tmp_path / "parts").stat()
    pq.write_table(generate(12), part)  # rewritten in place: the top folder neither grows nor changes time
    os.utime(tmp_path / "parts", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert store.store_path([tmp_path / "parts", other], DEFAULT_OPTIONS) != before
