"""Reading the app's answers back, for the scripts that check them (bench, load)."""

from __future__ import annotations

import re

_COUNT = re.compile(r"^([\d,]+) (?:of [\d,]+ )?events match$")


def match_count(text: str) -> int:
    """'1,234 of 5,000 events match' / '1,234 events match' / 'No events match ... (0 of 5,000).' -> 1234."""
    if text.startswith("No events match"):
        return 0
    m = _COUNT.match(text)
    if not m:
        raise ValueError(f"unexpected match-count text {text!r}")
    return int(m.group(1).replace(",", ""))
