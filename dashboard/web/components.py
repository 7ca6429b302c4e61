"""Pieces of the page built from data: an event's details and media, an upload's problems, and
imported HTML shown as formatting, safely (the cleaned tree of :mod:`dashboard.core.markup` rebuilt
as ``dash.html`` components).

Dash renders a component's string children as text, never as markup, so the safe way
to show formatting is a tree of components from a short allow-list, with plain strings
as leaves and no attributes except a checked ``href`` on links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from dash import html
from dash.development.base_component import Component

from ..core.i18n import DEFAULT_LANGUAGE, translator
from ..core.lives import life_labels, lives_of
from ..core.markup import HEADINGS, LINK_REL, Node, looks_like_html, parse, short_text
from ..core.media import MEDIA_COLUMNS, classify
from ..core.model import Timeline, ValidationError
from ..core.query import SameTime
from ..render.figure import figure_title, theme_label, when_labels

SHOWN_PROBLEMS = 50

Children = list[Component | str]
"""What a component holds: components and plain strings (shown as text)."""

INLINE: dict[str, Callable[[Children], Component]] = {
    "a": html.A,
    "em": html.Em,
    "i": html.I,
    "strong": html.Strong,
    "b": html.B,
    "u": html.U,
    "code": html.Code,
    "q": html.Q,
    "cite": html.Cite,
    "sub": html.Sub,
    "sup": html.Sup,
}
COMPONENTS: dict[str, Callable[[Children], Component]] = {
    "p": html.P,
    "blockquote": html.Blockquote,
    "ul": html.Ul,
    "ol": html.Ol,
    "li": html.Li,
    "div": html.Div,
    **INLINE,
}


def _component(node: Node | str) -> Component | str:
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return html.Br()
    children = [_component(c) for c in node.children]
    if node.tag in HEADINGS:
        return html.P([html.Strong(children)])
    if node.tag == "a":
        return html.A(children, href=node.href, target="_blank", rel=LINK_REL)
    return COMPONENTS[node.tag](children)


def to_components(text: str) -> Children:
    """Safe Dash components for an HTML fragment (or plain text).

    Paragraphs, line breaks, emphasis, quotes, lists, code, sub/superscripts and http(s)/mailto links
    are kept (links open in a new tab with ``rel="noopener noreferrer nofollow"``); headings become a
    bold paragraph, ``div`` an attribute-less ``html.Div``, ``span`` and unknown tags are unwrapped,
    images leave their alt text, and scripts, styles, frames, embedded objects, svg and math are
    dropped with their content. No attribute other than a link's href survives. Text outside any
    block becomes paragraphs; plain text is split into paragraphs on blank lines with ``html.Br``
    for single newlines. Leaves are plain strings with entities unescaped. Never raises.
    """
    return [_component(node) for node in parse(text).children]


def description(timeline: Timeline, text: str) -> Children:
    """Imported HTML (TimelineJS) as safe formatted text; our own CSV's text exactly as written."""
    if timeline.rich_text and looks_like_html(text):
        return to_components(text)
    return [html.P(text)]


PLAYER_ALLOW = "fullscreen; picture-in-picture; encrypted-media"
"""What a video player's frame may use."""
PLAYER_SANDBOX = "allow-scripts allow-same-origin allow-presentation allow-popups"
"""All a YouTube or Vimeo player needs (its scripts, its own cookies-free storage, full screen, a
link out to the video's page), and nothing else: no forms, no top navigation, no downloads."""
NO_REFERRER = "no-referrer"
"""Pictures are not told which page shows them."""
PLAYER_REFERRER = "strict-origin-when-cross-origin"
"""A player is told the showing site's origin only (never the page's address or query): YouTube
refuses to play in a frame that sends no referrer at all (its Error 153)."""


def _lazy(component: Component) -> Component:
    """``loading="lazy"`` on an image or a frame. Dash 4's ``html.Img`` and ``html.Iframe`` do not
    list the prop, though their React elements pass every prop given on to the browser's element."""
    component._prop_names = [*component._prop_names, "loading"]
    component.loading = "lazy"  # type: ignore[attr-defined]
    return component


def media_view(values: Mapping[str, str], title: str, rich_text: bool = False) -> list[Component]:
    """An event's or a cover's media (``values`` holds the media columns, ``core.media.MEDIA_COLUMNS``)
    as a figure: a picture with alt text (the caption, else ``title``), a privacy-enhanced YouTube or
    Vimeo player, or a link, with its caption and credit below; [] when there is none. The thumbnail
    is shown only when there is no media. Every text is shown as text; imported (``rich_text``)
    captions and credits are HTML, shown as their plain text. Only what :func:`classify` accepts is
    ever put in a ``src`` or ``href``."""
    media = classify(values.get("media", ""))
    if media is None:
        media = classify(values.get("media_thumbnail", ""))
        if media is None or media.kind != "image":
            return []
    caption = short_text(values.get("media_caption", ""), rich_text)
    credit = short_text(values.get("media_credit", ""), rich_text)
    shown: Component
    if media.kind == "image":
        shown = _lazy(html.Img(src=media.src, alt=caption or title, referrerPolicy=NO_REFERRER))
    elif media.kind in ("youtube", "vimeo"):
        frame = html.Iframe(
            src=media.src,
            title=caption or title or media.kind,
            allow=PLAYER_ALLOW,
            sandbox=PLAYER_SANDBOX,
            referrerPolicy=PLAYER_REFERRER,
        )
        shown = html.Div(_lazy(frame), className="media-player")
    else:
        shown = html.A(media.href, href=media.href, target="_blank", rel=LINK_REL, className="media-link")
    notes = [html.Span(text, className=name) for text, name in ((caption, "caption"), (credit, "credit")) if text]
    children: Children = [shown, html.Figcaption(notes)] if notes else [shown]
    return [html.Figure(children, className=f"media media-{media.kind}")]


def media_block(timeline: Timeline, row: int, lang: str = DEFAULT_LANGUAGE) -> list[Component]:
    """The media of the event at ``row`` (:func:`media_view`), its caption and credit in ``lang``
    where the file gives them (``media_caption_ja``); [] for a timeline without media."""
    if "media" not in timeline.events:
        return []
    at = np.array([row])
    values = {column: str(timeline.text(column, at, lang)[0]) for column in MEDIA_COLUMNS}
    title = str(timeline.text("title", at, lang)[0])
    return media_view(values, title, timeline.rich_text)


def cover_media(timeline: Timeline) -> list[Component]:
    """The media of the timeline's cover (its title slide), as an event's are shown."""
    return media_view(timeline.cover, timeline.cover.get("title", ""), timeline.rich_text)


def details_panel(timeline: Timeline, row: int, lang: str = DEFAULT_LANGUAGE) -> list[Component]:
    """The selected event as text (never raw HTML), with its source as a link; in ``lang`` where the
    file gives its text in that language (``title_ja``)."""
    t = translator(lang)
    ev = timeline.events.iloc[row]
    at = np.array([row])
    when = when_labels(timeline, at, lang)[0]
    themes = timeline.theme_names(int(ev["theme_mask"]))
    text = {c: str(timeline.text(c, at, lang)[0]) for c in ("title", "description", "actors", "location")}
    children: list[Component] = [
        html.H2(text["title"]),
        html.P(when, className="when"),
        *media_block(timeline, row, lang),
        html.Ul([html.Li(theme_label(theme, lang), className="chip") for theme in themes], className="chips"),
    ]
    if text["description"]:
        children.append(html.Div(description(timeline, text["description"]), className="description"))
    facts: list[Component] = []
    life = lives_of(timeline.lives, np.array([row]))
    if len(life):
        facts += [html.Dt(t("Life")), html.Dd(life_labels(life)[0])]
    if text["actors"]:
        facts += [html.Dt(t("Actors")), html.Dd(", ".join(a.strip() for a in text["actors"].split(";") if a.strip()))]
    if text["location"]:
        facts += [html.Dt(t("Location")), html.Dd(text["location"])]
    if ev["source"]:
        facts += [
            html.Dt(t("Source")),
            html.Dd(html.A(ev["source"], href=ev["source"], target="_blank", rel="noopener noreferrer nofollow")),
        ]
    if facts:
        children.append(html.Dl(facts, className="facts"))
    return children


def cover_panel(timeline: Timeline, lang: str = DEFAULT_LANGUAGE) -> list[Component]:
    """The timeline's cover (a TimelineJS title slide), the first step of its story: its title, media
    and text."""
    cover = timeline.cover
    children: list[Component] = [
        html.H2(cover.get("title") or figure_title(timeline, None, lang)),
        *cover_media(timeline),
    ]
    if cover.get("description"):
        children.append(html.Div(description(timeline, cover["description"]), className="description"))
    return children


def same_time_list(timeline: Timeline, found: SameTime, lang: str = DEFAULT_LANGUAGE) -> list[Component]:
    """The events at the same time as the selected one, each its date as shown and its title (as
    text), then how many more there are."""
    t = translator(lang)
    if found.total == 0:
        return [html.P(t("No other event overlaps it."), className="hint")]
    when = when_labels(timeline, found.rows, lang)
    titles = timeline.text("title", found.rows, lang).tolist()
    items = [html.Li([html.Span(w, className="when"), " ", html.Span(t)]) for w, t in zip(when, titles)]
    children: list[Component] = [html.Ul(items, className="same-time-list")]
    if found.total > len(found.rows):
        children.append(html.P(t("and {n:,} more", n=found.total - len(found.rows)), className="hint"))
    return children


def period_text(found: SameTime) -> str:
    """The period the button filters to, as the From and To boxes will show it."""
    return found.start if found.start == found.end else f"{found.start} to {found.end}"


def problem_list(exc: ValidationError, lang: str = DEFAULT_LANGUAGE) -> list[Component]:
    """An upload's problems, as the CLI prints them (the first SHOWN_PROBLEMS of them; each problem's
    own text stays in English, as the CLI and the docs write it)."""
    t = translator(lang)
    items = [html.Li(p.describe()) for p in exc.problems[:SHOWN_PROBLEMS]]
    if len(exc.problems) > SHOWN_PROBLEMS:
        items.append(html.Li(t("... and {n:,} more", n=len(exc.problems) - SHOWN_PROBLEMS)))
    n = len(exc.problems)
    return [
        html.P(
            t.plural(
                "{name} was not opened: {n} problem. The timeline on screen is unchanged.",
                "{name} was not opened: {n} problems. The timeline on screen is unchanged.",
                n,
                name=exc.source,
            ),
            className="error",
        ),
        html.Ul(items, className="upload-errors"),
    ]
