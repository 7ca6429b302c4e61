"""The page's "Download story (HTML)": the story page of the view on screen, in the page's language,
the same bytes as ``timeline export --story``."""

from __future__ import annotations

import base64

import pytest

from dashboard.core.query import View
from dashboard.io.formats import load_timeline
from dashboard.render.exports import export_view
from dashboard.web.callbacks.downloads import download


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_story_download_is_the_story_page_of_the_view(services, small_csv, lang):
    stored = {"themes": ["trade", "security"], "text": "treaty", "story": 2}
    sent, status = download(services, "download-story", stored, None, lang)
    assert sent["filename"] == "timeline-story.html" and sent["base64"] is True
    data = base64.b64decode(sent["content"])
    view = View(themes=("security", "trade"), text="treaty", story=2)
    assert data == export_view(load_timeline(small_csv), view, "story", title="Served", lang=lang)
    assert f'<html lang="{lang}">'.encode() in data
    assert ("story (HTML)" if lang == "en" else "ストーリー（HTML）") in status


def test_a_bad_date_in_the_view_is_left_out_as_the_chart_leaves_it_out(services):
    sent, status = download(services, "download-story", {"start": "not a date"}, None, "en")
    assert status.startswith("Exported") and sent == download(services, "download-story", {}, None, "en")[0]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_file_without_a_title_is_downloaded_under_the_same_title_as_the_command_line_gives(small_csv, tmp_path, lang):
    """The page titled such a file 'Timeline of wars.csv' (in English on a Japanese page too), the
    command line 'Timeline': the same view gave two files."""
    from dashboard.cli import main
    from dashboard.web.callbacks.services import Services
    from dashboard.web.datasets import Datasets

    untitled = Services(Datasets(load_timeline(small_csv), upload_dir=tmp_path / "up"), None)
    sent, _ = download(untitled, "download-html", {}, None, lang)
    data = base64.b64decode(sent["content"])
    assert main(["export", str(small_csv), "-o", str(tmp_path / "cli.html"), "--lang", lang]) == 0
    assert data == (tmp_path / "cli.html").read_bytes()
    name = small_csv.name
    assert (f"Timeline of {name}" if lang == "en" else f"{name}の年表").encode() in data
