"""Media in the page: a picture with alt text, lazy and without a referrer; a sandboxed,
privacy-enhanced player for YouTube and Vimeo; a link for the rest; and a hostile value never in
any ``src`` or ``href``. Each is built as the page gets it and inspected."""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import pytest
from dash import html
from dash.development.base_component import Component

from dashboard.core.model import Timeline
from dashboard.io.formats import load_timeline, parse_events
from dashboard.web.components import (
    PLAYER_SANDBOX,
    cover_media,
    cover_panel,
    details_panel,
    media_block,
    media_view,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "timelinejs"
PICTURE = "https://upload.wikimedia.org/wikipedia/commons/8/86/First_flight2.jpg"


def walk(node):
    yield node
    if isinstance(node, Component):
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [] if children is None else [children]:
            yield from walk(child)


def found(components, kind):
    return [n for top in components for n in walk(top) if isinstance(n, kind)]


def wire(components) -> dict:
    """What the browser receives."""
    return json.loads(json.dumps(components, cls=plotly.utils.PlotlyJSONEncoder))


@pytest.fixture(scope="module")
def story() -> Timeline:
    return load_timeline(FIXTURES / "story.json")


def row_of(timeline: Timeline, title: str) -> int:
    return int(timeline.events.index[timeline.events["title"] == title][0])


def test_a_picture_has_alt_text_and_loads_lazily_without_a_referrer(story):
    shown = media_block(story, row_of(story, "Sputnik 1"))
    [img] = found(shown, html.Img)
    sent = wire(img)["props"]
    assert sent["src"] == "https://upload.wikimedia.org/wikipedia/commons/b/be/Sputnik_asm.jpg"
    assert sent["alt"] == "A replica of Sputnik 1"
    assert sent["referrerPolicy"] == "no-referrer" and sent["loading"] == "lazy"
    [caption] = found(shown, html.Figcaption)
    assert [s.children for s in found([caption], html.Span)] == ["A replica of Sputnik 1", "NSSDC / NASA"]


def test_without_a_caption_the_alt_text_is_the_title():
    tl = parse_events(f"date,title,themes,media\n1900,The Flyer,x,{PICTURE}\n".encode(), "m.csv")
    [img] = found(media_block(tl, 0), html.Img)
    assert img.alt == "The Flyer" and not found(media_block(tl, 0), html.Figcaption)


def test_a_commons_file_page_shows_its_picture(story):
    [img] = found(media_block(story, row_of(story, "Faster than sound")), html.Img)
    assert img.src.startswith("https://commons.wikimedia.org/wiki/Special:FilePath/Bell_X-1_46-062")


def test_youtube_becomes_a_sandboxed_nocookie_player(story):
    shown = media_block(story, row_of(story, "Apollo 11 lands on the Moon"))
    [frame] = found(shown, html.Iframe)
    sent = wire(frame)["props"]
    assert sent["src"] == "https://www.youtube-nocookie.com/embed/S9HdPi9Ikhk"
    assert sent["title"] == "NASA footage of the landing"
    assert sent["sandbox"] == PLAYER_SANDBOX
    assert set(PLAYER_SANDBOX.split()) == {"allow-scripts", "allow-same-origin", "allow-presentation", "allow-popups"}
    assert sent["allow"] == "fullscreen; picture-in-picture; encrypted-media"
    assert sent["referrerPolicy"] == "strict-origin-when-cross-origin" and sent["loading"] == "lazy"
    assert not found(shown, html.Img)  # the thumbnail is for when there is no media


def test_vimeo_becomes_a_do_not_track_player(story):
    [frame] = found(media_block(story, row_of(story, "Lindbergh flies New York to Paris alone")), html.Iframe)
    assert frame.src == "https://player.vimeo.com/video/76979871?dnt=1"


def test_another_page_is_a_link_that_opens_apart(story):
    shown = media_block(story, row_of(story, "Blériot flies the Channel"))
    [link] = found(shown, html.A)
    assert link.href == "https://en.wikipedia.org/wiki/Louis_Bl%C3%A9riot"
    assert link.target == "_blank" and link.rel == "noopener noreferrer nofollow"
    assert not found(shown, html.Iframe) and not found(shown, html.Img)


def test_the_thumbnail_shows_when_there_is_no_media(story):
    [img] = found(media_block(story, row_of(story, "The first jet aircraft flies")), html.Img)
    assert img.src.endswith("Heinkel_He_178.jpg?width=800") and img.alt == "The first jet aircraft flies"
    assert media_block(story, row_of(story, "First crewed balloon flight")) == []


def test_no_media_column_no_media():
    tl = parse_events(b"date,title,themes\n1900,a,x\n", "p.csv")
    assert media_block(tl, 0) == [] and cover_media(tl) == []


def test_the_cover_shows_its_media_with_the_same_code(story):
    shown = cover_media(story)
    [img] = found(shown, html.Img)
    assert img.src == "https://commons.wikimedia.org/wiki/Special:FilePath/First_flight2.jpg?width=800"
    assert img.alt.startswith("The Wright Flyer leaves the ground")


HOSTILE = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://example.org/a.jpg",
    "https://user:pw@example.org/a.jpg",
    'https://example.org/a.jpg" onerror="alert(1)',
    " javascript:alert(1)",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_never_renders_as_src_or_href(value):
    shown = media_view({"media": value, "media_thumbnail": value, "media_caption": value}, "t")
    sent = json.dumps(wire(shown))
    assert shown == [] and "javascript" not in sent.lower() and "data:" not in sent
    # Even beside an accepted picture, the hostile thumbnail and caption are text at most.
    beside = wire(media_view({"media": PICTURE, "media_thumbnail": value, "media_caption": value}, "t"))
    addresses = [n["props"].get(k) for n in _nodes(beside) for k in ("src", "href") if n["props"].get(k)]
    assert addresses == [PICTURE]


def _nodes(tree):
    if isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)
    elif isinstance(tree, dict) and "props" in tree:
        yield tree
        yield from _nodes(tree["props"].get("children"))


def test_imported_captions_are_shown_as_their_text_not_markup():
    values = {
        "media": PICTURE,
        "media_caption": "<b>Bold</b> <script>x()</script>caption",
        "media_credit": "<a href='javascript:x'>Me</a>",
    }
    shown = media_view(values, "t", rich_text=True)
    [img] = found(shown, html.Img)
    assert img.alt == "Bold caption"
    assert [s.children for s in found(shown, html.Span)] == ["Bold caption", "Me"]
    assert not found(shown, html.A) and not found(shown, html.B)


def test_details_show_the_media_under_the_title_in_the_readers_language():
    text = "date,title,title_ja,themes,media,media_caption,media_caption_ja\n"
    text += f"1903,Flyer,フライヤー,x,{PICTURE},The Flyer,フライヤー号\n"
    tl = parse_events(text.encode(), "ja.csv")
    panel = details_panel(tl, 0, "ja")
    assert isinstance(panel[0], html.H2) and isinstance(panel[2], html.Figure)
    [img] = found(panel, html.Img)
    assert img.alt == "フライヤー号"
    assert found(details_panel(tl, 0, "en"), html.Img)[0].alt == "The Flyer"


def test_the_story_cover_card_shows_the_cover_media_under_its_title(story):
    card = cover_panel(story)
    assert card[0].children == "Firsts in flight" and isinstance(card[1], html.Figure)
    [img] = found(card, html.Img)
    assert wire(img)["props"]["loading"] == "lazy" and img.referrerPolicy == "no-referrer"


def test_a_video_player_tells_youtube_which_site_embeds_it(story):
    """Review #12: YouTube refuses to play in a frame that sends no referrer (its Error 153,
    "embedder.identity.missing.referrer"), so a player with referrerpolicy no-referrer never plays.
    The player sends the origin only (strict-origin-when-cross-origin), as the story page's does;
    pictures still send nothing."""
    shown = media_block(story, row_of(story, "Apollo 11 lands on the Moon"))
    [frame] = found(shown, html.Iframe)
    assert wire(frame)["props"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    from importlib.resources import files

    page_script = files("dashboard.render").joinpath("page").joinpath("story.js").read_text(encoding="utf-8")
    assert 'referrerpolicy: "strict-origin-when-cross-origin"' in page_script
