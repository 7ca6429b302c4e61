"""Imported HTML shown as formatting, safely: the cleaned tree of :mod:`dashboard.markup` rebuilt as
``dash.html`` components.

Dash renders a component's string children as text, never as markup, so the safe way
to show formatting is a tree of components from a short allow-list, with plain strings
as leaves and no attributes except a checked ``href`` on links.
"""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component

from .markup import HEADINGS, LINK_REL, Node, looks_like_html, parse, to_plain

__all__ = ["looks_like_html", "to_components", "to_plain"]

INLINE = {"a": html.A, "em": html.Em, "i": html.I, "strong": html.Strong, "b": html.B, "u": html.U,
          "code": html.Code, "q": html.Q, "cite": html.Cite, "sub": html.Sub, "sup": html.Sup}
COMPONENTS = {"p": html.P, "blockquote": html.Blockquote, "ul": html.Ul, "ol": html.Ol, "li": html.Li,
              "div": html.Div, **INLINE}


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


def to_components(text: str) -> list:
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
