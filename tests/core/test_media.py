"""Media addresses: which are accepted (https only, nothing that runs or smuggles content) and how
each accepted one is shown (picture, privacy-enhanced player, or link)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.core.media import EXPECTED, MAX_ADDRESS, PLAIN_ADDRESS, Media, classify, media_problem

NOCOOKIE = "https://www.youtube-nocookie.com/embed/"
FILEPATH = "https://commons.wikimedia.org/wiki/Special:FilePath/"

SHOWN = [
    # pictures, by extension (any case) or a Commons file page
    ("https://upload.wikimedia.org/wikipedia/commons/8/86/First_flight2.jpg", "image", None),
    ("https://example.org/photos/A.JPEG", "image", None),
    ("https://example.org/a.png?width=640", "image", None),
    ("https://example.org/drawing.svg", "image", None),
    ("https://example.org/anim.webp#frag", "image", None),
    ("HTTPS://EXAMPLE.ORG/SHOUTING.PNG", "image", None),
    ("https://commons.wikimedia.org/wiki/File:First_flight2.jpg", "image", FILEPATH + "First_flight2.jpg?width=800"),
    (
        "https://commons.wikimedia.org/wiki/File:Bell_X-1_46-062_(in_flight).jpg",
        "image",
        FILEPATH + "Bell_X-1_46-062_%28in_flight%29.jpg?width=800",
    ),
    ("https://commons.m.wikimedia.org/wiki/File:Two%20words.PNG", "image", FILEPATH + "Two%20words.PNG?width=800"),
    # YouTube: every common form, to the privacy-enhanced player, with its start time
    ("https://www.youtube.com/watch?v=S9HdPi9Ikhk", "youtube", NOCOOKIE + "S9HdPi9Ikhk"),
    ("https://youtube.com/watch?v=S9HdPi9Ikhk&t=42s", "youtube", NOCOOKIE + "S9HdPi9Ikhk?start=42"),
    ("https://m.youtube.com/watch?feature=share&v=S9HdPi9Ikhk", "youtube", NOCOOKIE + "S9HdPi9Ikhk"),
    ("https://youtu.be/S9HdPi9Ikhk", "youtube", NOCOOKIE + "S9HdPi9Ikhk"),
    ("https://youtu.be/S9HdPi9Ikhk?t=90", "youtube", NOCOOKIE + "S9HdPi9Ikhk?start=90"),
    ("https://youtu.be/S9HdPi9Ikhk?t=1h2m3s", "youtube", NOCOOKIE + "S9HdPi9Ikhk?start=3723"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ?start=7", "youtube", NOCOOKIE + "dQw4w9WgXcQ?start=7"),
    ("https://www.youtube.com/live/dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "youtube", NOCOOKIE + "dQw4w9WgXcQ"),
    # Vimeo: the public page, a channel's page and the player, with do-not-track
    ("https://vimeo.com/76979871", "vimeo", "https://player.vimeo.com/video/76979871?dnt=1"),
    ("https://vimeo.com/channels/staffpicks/76979871", "vimeo", "https://player.vimeo.com/video/76979871?dnt=1"),
    ("https://player.vimeo.com/video/76979871/", "vimeo", "https://player.vimeo.com/video/76979871?dnt=1"),
    # anything else accepted is a link, never a frame
    ("https://en.wikipedia.org/wiki/Louis_Bl%C3%A9riot", "link", None),
    ("https://www.youtube.com/watch?v=tooshort", "link", None),
    ("https://www.youtube.com/channel/UCLA_DiR1FfKNvjuUpBHmylQ", "link", None),
    ("https://vimeo.com/about", "link", None),
    ("https://commons.wikimedia.org/wiki/File:Report.pdf", "link", None),
    ("https://evil.example/youtube.com/watch?v=S9HdPi9Ikhk", "link", None),
    ("https://example.org/a.jpg.html", "link", None),
]


@pytest.mark.parametrize("value, kind, src", SHOWN)
def test_accepted_media_and_how_each_is_shown(value, kind, src):
    assert media_problem(value) is None
    media = classify(value)
    assert media == Media(kind, src or value, value)


HOSTILE = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "javascript:alert(1)//https://example.org/a.jpg",
    "data:image/png;base64,iVBORw0KGgo=",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "http://example.org/a.jpg",
    "HTTP://example.org/a.jpg",
    "ftp://example.org/a.jpg",
    "file:///etc/passwd",
    "mailto:someone@example.org",
    "//example.org/a.jpg",
    "example.org/a.jpg",
    "/images/a.jpg",
    "https://",
    "https:example.org/a.jpg",
    "https:///a.jpg",
    "https://user:secret@example.org/a.jpg",
    "https://user@example.org/a.jpg",
    "https://example.org/a picture.jpg",
    "https://example.org/a.jpg\n",
    "https://example.org/\ta.jpg",
    'https://example.org/a.jpg"onerror="alert(1)',
    "https://example.org/a.jpg'onerror='alert(1)",
    "https://example.org/<script>.jpg",
    "https://example.org/`x`.jpg",
    "https:\\\\example.org\\a.jpg",
    "https://[::1/a.jpg",
    "https://example.org/\x00.jpg",
    "https://example.org/" + "a" * 2000 + ".jpg",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_or_not_https_media_is_refused_and_never_classified(value):
    assert media_problem(value) == EXPECTED
    assert classify(value) is None


def test_empty_media_is_no_media_and_no_problem():
    assert media_problem("") is None
    assert classify("") is None


def test_every_shown_address_is_https_and_every_frame_privacy_enhanced():
    for value, _, _ in SHOWN:
        media = classify(value)
        assert media is not None and media.src.lower().startswith("https://")
        if media.kind == "youtube":
            assert media.src.startswith(NOCOOKIE)
        if media.kind == "vimeo":
            assert media.src.startswith("https://player.vimeo.com/video/") and "dnt=1" in media.src


EXTRA_FORMS = [
    "https://example.org",
    "https://example.org?x=1",
    "https://example.org:8443/a.png",
    "https://example.org/a@b.jpg",
    "https://xn--bcher-kva.example/a.png",
    "https://example.org/Bl\u00e9riot.jpg",
    "https://example.org/a\u00a0b.jpg",
    "https://example.org/a\u2003b.jpg",
    "https://example.org/a\x7fb.jpg",
    "https://example.org/%3Cscript%3E.jpg",
    "https://[::1]/a.png",
    "https://-/a.png",
]


@pytest.mark.parametrize("value", [v for v, _, _ in SHOWN] + HOSTILE + EXTRA_FORMS)
def test_what_whole_columns_pass_at_once_is_what_media_problem_accepts(value):
    """The column-wide pattern only ever lets through what the one-by-one check accepts."""
    if re.fullmatch(PLAIN_ADDRESS, value) and len(value) <= MAX_ADDRESS:
        assert media_problem(value) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09.-_~:/?#[]@!$&()*+,;=%'\"<> \t\u00e9\u3000\\`\x00"), max_size=40))
def test_the_column_pattern_never_passes_a_refused_address(tail):
    value = "https://" + tail
    if re.fullmatch(PLAIN_ADDRESS, value):
        assert media_problem(value) is None


@pytest.mark.parametrize(
    ("value", "passes"),
    [
        ("https://upload.wikimedia.org/wikipedia/commons/a/ab/Perry.jpg", True),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", True),
        ("http://example.org/a.jpg", False),
        ("javascript:alert(1)", False),
        ("https://example.org/a b.jpg", False),
    ],
)
def test_the_column_pattern_passes_plain_addresses_at_once(value, passes):
    """The two properties above hold of something: the pattern does let plain addresses through whole."""
    assert bool(re.fullmatch(PLAIN_ADDRESS, value)) is passes
