"""Which sites may show the app in a frame (an ``<iframe>`` on their pages): the value of the
``Content-Security-Policy: frame-ancestors`` header, checked before the server starts so that a typo
is a clear message rather than a policy the browser silently ignores (and a site left unframeable).

Only the forms a person running the app needs are accepted: ``'self'``, ``'none'``, and http(s)
origins, optionally with a ``*.`` wildcard for subdomains and a port (or ``*`` for any port).
"""

from __future__ import annotations

import re

DEFAULT_FRAME_ANCESTORS = "'self'"
"""Same origin only: the app's own pages may frame it, no other site."""

KEYWORDS = ("'self'", "'none'")

_HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ORIGIN = re.compile(
    rf"(?P<scheme>https?)://(?P<host>(?:\*\.)?{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>\d{1,5}|\*))?/?",
    re.IGNORECASE | re.ASCII,  # not re.IGNORECASE alone: it lets "K" (Kelvin) match [a-z], \d "٨"
)

EXPECTED = "'self', 'none', or origins such as https://a.example, https://*.a.example or http://localhost:8000"


def _source_problem(source: str) -> str | None:
    """Why ``source`` is not one of the accepted forms (None when it is)."""
    lowered = source.lower()
    if lowered in KEYWORDS:
        return None
    if lowered in ("self", "none"):
        return f"{source!r} needs its single quotes: '{lowered}'"
    if "," in source or ";" in source:
        return f"{source!r}: separate the sites with spaces, not commas or semicolons"
    match = _ORIGIN.fullmatch(source)
    if match is None:
        if "://" not in source:
            return f"{source!r} is not an origin: write it with its scheme, e.g. https://{source}"
        if not lowered.startswith(("http://", "https://")):
            return f"{source!r}: only http and https sites can frame the app"
        return f"{source!r} is not an origin (scheme://host[:port], with no path, query or user)"
    port = match.group("port")
    if port is not None and port != "*" and not 0 < int(port) < 65536:
        return f"{source!r}: port {port} is not between 1 and 65535"
    return None


def check_frame_ancestors(text: str) -> str:
    """The checked value for the header (sources separated by one space, trailing slashes dropped),
    or ValueError saying which source is wrong and what was expected."""
    sources = text.split()
    if not sources:
        raise ValueError(f"no sites given; expected {EXPECTED}")
    for source in sources:
        problem = _source_problem(source)
        if problem is not None:
            raise ValueError(f"{problem}; expected {EXPECTED}")
    if "'none'" in (s.lower() for s in sources) and len(sources) > 1:
        raise ValueError("'none' (no site may frame the app) cannot be listed with other sites")
    return " ".join(s.lower() if s.lower() in KEYWORDS else s.rstrip("/") for s in sources)


def content_security_policy(ancestors: str) -> str:
    """The header's value: only the framing directive, so Dash's inline scripts and styles still run."""
    return f"frame-ancestors {ancestors}"
