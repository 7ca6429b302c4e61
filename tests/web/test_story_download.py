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
