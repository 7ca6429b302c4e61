"""Hostile and messy input: every file either loads or is refused with the project's own error."""

from __future__ import annotations

import csv
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.core.model import ValidationError
from dashboard.io import cache
from dashboard.io.formats import parse_events

# Nothing printed on the terminal either: an exception Python could only report (raised in a callback
# of pyarrow's, say) fails the test.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = ["id", "date", "end_date", "title", "themes", "description", "importance", "kind", "source"]


def load_or_refuse(data: bytes) -> None:
    """The contract: a Timeline, or ValidationError naming where (a line, or the whole file)."""
    try:
        tl = parse_events(data, "fuzz.csv")
    except ValidationError as exc:
        assert exc.problems, "a refusal lists at least one problem"
        for p in exc.problems:
            assert p.expected and (p.line is None or p.line >= 1)
        assert exc.report().startswith("fuzz.csv: ")
        return
    assert len(tl.events) >= 1
    assert tl.events["start"].notna().all() and (tl.events["last"] >= tl.events["start"]).all()


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data):
    load_or_refuse(data)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_after_a_valid_header(data):
    load_or_refuse(b"date,title,themes\n" + data)


dates_st = st.one_of(
    st.sampled_from(
        [
            "1951",
            "2015-04",
            "2015-04-29",
            "-490",
            "0476",
            "2015-02-30",
            "51",
            "0",
            "0000",
            "",
            "2015-13",
            "1e3",
            "-0",
            "99999",
            " 1999 ",
            "1999-1-1",
            "２０１５",
            "1999-02-29T00:00",
        ]
    ),
    st.text(max_size=12),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(-9999, 9999), st.integers(0, 13), st.integers(0, 32)),
)
cell_st = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["=1+1", "<script>alert(1)</script>", '"', "\n", "\r\n", ";", "a;;b", "\x00", "\ufeff", "日米"]),
)


@FUZZ
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "id": st.one_of(st.just(""), st.text(max_size=4)),
                "date": dates_st,
                "end_date": dates_st,
                "title": cell_st,
                "themes": cell_st,
                "description": cell_st,
                "importance": st.sampled_from(["", "1", "5", "9", "x"]),
                "kind": st.sampled_from(["", "event", "era", "Era", "other"]),
                "source": st.sampled_from(["", "https://x.org/a", "javascript:alert(1)", "http://", "ftp://x"]),
            }
        ),
        min_size=0,
        max_size=12,
    ),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_random_csv_shapes_encodings_and_dates(rows, encoding, newline):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER, lineterminator=newline)
    w.writeheader()
    w.writerows(rows)
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buf.getvalue().encode("utf-8", "replace")
    load_or_refuse(data)


@FUZZ
@given(st.lists(st.lists(st.text(max_size=8), max_size=6), max_size=8))
def test_ragged_rows(rows):
    buf = io.StringIO()
    csv.writer(buf).writerows([["date", "title", "themes"], *rows])
    load_or_refuse(buf.getvalue().encode())


def test_a_crash_while_writing_the_cache_leaves_the_old_cache(small_csv, monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "CACHE_MIN_BYTES", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "uc"))
    cache.load(small_csv)
    target = cache.cache_paths(small_csv)[0]
    old = target.read_bytes()
    small_csv.write_text(small_csv.read_text().replace("Perry arrives", "Perry lands"))

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    tl = cache.load(small_csv)  # the load itself still succeeds; the cache just is not replaced
    assert "Perry lands" in set(tl.events["title"])
    assert target.read_bytes() == old
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
