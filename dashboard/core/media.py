"""An event's picture or video: which media values are accepted, and how each is shown.

A media value is an address given by the file (``media``, ``media_thumbnail``; TimelineJS's
``Media``). Only https addresses are accepted: an ``http:`` page would be mixed content, and a
``javascript:`` or ``data:`` value is a way to run or smuggle content into the page. What is
accepted is shown in one of three ways, decided here once for the app, the story page and the
tests: a picture (``<img>``, by the address's extension or a Wikimedia Commons file page), a
privacy-enhanced video player (YouTube through youtube-nocookie.com, Vimeo with ``dnt=1``), or a
plain link. Nothing else is ever put in a frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

MEDIA_COLUMNS = ("media", "media_caption", "media_credit", "media_thumbnail")
"""An event's media: the address, its caption and credit (text), and a smaller picture for cards."""
ADDRESS_COLUMNS = ("media", "media_thumbnail")
"""The media columns that hold an address (checked by :func:`media_problem`)."""

MediaKind = Literal["image", "youtube", "vimeo", "link"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg")
COMMONS_HOSTS = ("commons.wikimedia.org", "commons.m.wikimedia.org")
YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtube-nocookie.com")
VIMEO_HOSTS = ("vimeo.com", "www.vimeo.com", "player.vimeo.com")
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_ID = re.compile(r"^\d{1,12}$")
MAX_ADDRESS = 2000
EXPECTED = "an https:// address (a picture, a YouTube or Vimeo video, or a page)"
PLAIN_ADDRESS = r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]*)?$"
"""Addresses :func:`media_problem` certainly accepts (https, a plain host, no user, only URL characters
and none of its refused ones), as a regular expression a whole column is matched against at once:
only the other cells (and those longer than MAX_ADDRESS) are asked about one by one."""


@dataclass(frozen=True)
class Media:
    """How a media address is shown: ``kind``, and ``src`` (the picture or player address; for a
    link, the address itself)."""

    kind: MediaKind
    src: str
    href: str
    """The address as the file gave it: where the picture or video came from."""


def media_problem(value: str) -> str | None:
    """What is expected instead of ``value`` (a media address from a file), or None when it is
    acceptable: empty, or an https address with a host and no spaces or control characters."""
    if not value:
        return None
    if len(value) > MAX_ADDRESS or any(c.isspace() or ord(c) < 32 or c in "<>\"'`\\" for c in value):
        return EXPECTED
    try:
        parts = urlsplit(value)
    except ValueError:
        return EXPECTED
    if parts.scheme.lower() != "https" or not parts.hostname or parts.username or parts.password:
        return EXPECTED
    return None


def classify(value: str) -> Media | None:
    """How to show the media address ``value``; None when it is empty or not acceptable
    (:func:`media_problem`), which a validated timeline never holds but a caller may still pass."""
    if not value or media_problem(value) is not None:
        return None
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    if host in YOUTUBE_HOSTS:
        video = _youtube_id(host, parts.path, parts.query)
        if video is not None:
            start = _youtube_start(parts.query)
            src = f"https://www.youtube-nocookie.com/embed/{video}" + (f"?start={start}" if start else "")
            return Media("youtube", src, value)
    if host in VIMEO_HOSTS:
        tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if VIMEO_ID.match(tail):
            return Media("vimeo", f"https://player.vimeo.com/video/{tail}?dnt=1", value)
    if host in COMMONS_HOSTS and path.startswith("/wiki/File:"):
        name = path[len("/wiki/File:") :]
        if name.lower().endswith(IMAGE_EXTENSIONS):
            src = f"https://commons.wikimedia.org/wiki/Special:FilePath/{quote(name)}?width=800"
            return Media("image", src, value)
    if path.lower().endswith(IMAGE_EXTENSIONS):
        return Media("image", value, value)
    return Media("link", value, value)


def _youtube_id(host: str, path: str, query: str) -> str | None:
    if host == "youtu.be":
        candidate = path.strip("/").split("/")[0]
    elif path.rstrip("/") == "/watch":
        candidate = parse_qs(query).get("v", [""])[0]
    else:
        pieces = path.strip("/").split("/")
        candidate = pieces[1] if len(pieces) >= 2 and pieces[0] in ("embed", "shorts", "live", "v") else ""
    return candidate if YOUTUBE_ID.match(candidate) else None


def _youtube_start(query: str) -> int:
    """The second a YouTube link starts at (``t=90``, ``t=1m30s``, ``start=90``), 0 if none."""
    asked = parse_qs(query)
    raw = (asked.get("t") or asked.get("start") or [""])[0]
    found = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", raw)
    if not raw or found is None:
        return 0
    hours, minutes, seconds = (int(g or 0) for g in found.groups())
    return hours * 3600 + minutes * 60 + seconds
