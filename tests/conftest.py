"""Shared fixtures: small event files written the way people's spreadsheets write them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the fuzzers replay a fixed set of examples, so a run is reproducible; on a developer's
# machine they explore new ones each time.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "data" / "events.csv"

SMALL_CSV = """id,date,end_date,title,themes,description,actors,location,source,importance,kind,notes
perry,1853-07-08,,Perry arrives,diplomacy;security,"Black ships, ""kurofune"", arrive
at Uraga",Matthew Perry;Tokugawa shogunate,Uraga,https://example.org/perry,5,,first
kanagawa,1854-03-31,,Convention of Kanagawa,diplomacy;trade,Treaty opens ports,,,https://example.org/k,4,,
marathon,-490,,Battle of Marathon,war,Ancient battle,,Marathon,,2,,
occupation,1945-09-02,1952-04-28,Occupation,security,Allied occupation,,,,3,,
abe,2015-04-29,,Abe addresses Congress,diplomacy,Joint meeting speech,Shinzo Abe,Washington,,5,,
trade-talks,2015-04,,日米貿易協議,trade,Talks in Tokyo,,東京,,3,,
treaty51,1951,,Security treaty,security,,,,,4,,
coldwar,1947,1991,Cold War,,,,,,,era,
"""


@pytest.fixture(scope="session")
def export_browser():
    """This process's export browser (kaleido's headless Chromium, some 4 CPU-seconds to start),
    started once for every test of the session that renders images in process."""
    from dashboard.render import images

    images.start_export_server()
    yield
    images.stop_export_server()


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    return path


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write bytes or text to a CSV file in a temporary folder and return its path."""

    def write(content: str | bytes, name: str = "in.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write
