"""Imported HTML (TimelineJS descriptions and headlines) as a small safe tree, or as plain text.

Descriptions imported from TimelineJS files carry HTML (paragraphs, links, quotes,
lists), and sometimes hostile HTML (``<script>``, ``onerror=``, ``javascript:`` links).
A fragment is parsed once with the standard library's ``HTMLParser`` (lenient like a
browser, and no dependency) into a small tree of allowed elements, cleaned (whitespace,
empty elements, loose text wrapped in paragraphs), then turned into plain text here
(:func:`to_plain`, :func:`one_line`: search, hover, chart labels, titles) or into
components by the web layer. Parsing never raises: malformed input gives the best safe tree.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCKS = frozenset({"p", "blockquote", "ul", "ol", "li", "div"}) | HEADINGS
"""Kept elements that start a new block (and so end an open paragraph or heading)."""

INLINE = frozenset({"a", "em", "i", "strong", "b", "u", "code", "q", "cite", "sub", "sup"})
KEPT = BLOCKS | INLINE
"""Elements rebuilt as components; ``br`` is handled apart, every other tag is unwrapped."""

DROPPED = frozenset(
    {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
        "applet",
        "frameset",
        "noembed",
        "noframes",
    }
)
"""Elements dropped together with everything inside them."""

SEPARATED = frozenset(
    {
        "td",
        "th",
        "tr",
        "dt",
        "dd",
        "hr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "caption",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "figure",
        "figcaption",
        "details",
        "summary",
        "address",
        "pre",
        "dl",
        "center",
    }
)
"""Unknown block-level elements: unwrapped, but their edges still separate words."""

KNOWN = (
    KEPT
    | DROPPED
    | SEPARATED
    | {
        "br",
        "img",
        "span",
        "font",
        "small",
        "big",
        "s",
        "strike",
        "del",
        "ins",
        "mark",
        "abbr",
        "kbd",
        "samp",
        "var",
        "tt",
        "time",
        "label",
        "body",
        "html",
        "meta",
        "link",
        "base",
        "form",
        "input",
        "button",
        "textarea",
        "select",
        "option",
        "video",
        "audio",
        "source",
        "canvas",
        "frame",
        "wbr",
    }
)
"""Tag names that make a text count as HTML even when no closing tag follows."""

LINK_SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "noopener noreferrer nofollow"
MAX_DEPTH = 48
"""Deeper nesting is unwrapped: keeps recursion (here, in Dash and in React) shallow."""

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?/?>")
_MARKED_SECTION = re.compile(r"<!\[[^>]*(?:>|$)")  # <![CDATA[..]]>, <![if ...]>: bogus comments in HTML
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n\s*")


class Node:
    """An element of the cleaned tree: a kept tag (or ``""`` for the root), its href, its children."""

    __slots__ = ("children", "href", "tag")

    def __init__(self, tag: str, href: str | None = None) -> None:
        self.tag = tag
        self.href = href
        self.children: list[Node | str] = []


def looks_like_html(text: str) -> bool:
    """True when the text contains markup worth parsing (an opening or closing tag such as <p>, </a>, <br/>).

    A tag counts when its name is a known HTML element, or when an unknown name is both opened and
    closed (``<x-note>..</x-note>``); comments and ``<![..]>`` sections count too.
    ``"1 < 2"`` or ``"x<y and y>z"`` do not.
    """
    if not isinstance(text, str) or "<" not in text:
        return False
    if "<!--" in text or "<![" in text:
        return True
    opened: set[str] = set()
    closed: set[str] = set()
    for match in _TAG.finditer(text):
        name = match[2].lower()
        if name in KNOWN:
            return True
        (closed if match[1] else opened).add(name)
    return bool(opened & closed)


def safe_href(href: str | None) -> str | None:
    """The trimmed href when it is an http(s) or mailto link, else None (javascript:, data:, relative...)."""
    href = (href or "").strip()
    return href if href.lower().startswith(LINK_SCHEMES) else None


class _TreeBuilder(HTMLParser):
    """Builds a :class:`Node` tree of kept elements, repairing nesting the way browsers roughly do."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("")
        self.stack = [self.root]
        self.skipping: str | None = None  # the dropped element we are inside of
        self.skip_depth = 0

    def _append(self, child: Node | str) -> None:
        self.stack[-1].children.append(child)

    def _close(self, tags: frozenset[str] | set[str], stop_at: frozenset[str] = frozenset()) -> None:
        """Close the innermost open element named in ``tags`` (and all inside it), unless ``stop_at`` comes first."""
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag in tags:
                del self.stack[i:]
                return
            if self.stack[i].tag in stop_at:
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            self.skip_depth += tag == self.skipping
        elif tag in DROPPED:
            self.skipping, self.skip_depth = tag, 1
        elif tag == "br":
            self._append(Node("br"))
        elif tag == "img":
            self._append(dict(attrs).get("alt") or "")
        elif tag in SEPARATED:
            self._append(" ")
        elif tag in KEPT:
            if tag in BLOCKS:
                self._close({"p"} | HEADINGS)
            if tag == "li":
                self._close({"li"}, stop_at=frozenset({"ul", "ol"}))
            href = None
            if tag == "a":
                self._close({"a"})
                href = safe_href(dict(attrs).get("href"))
                if href is None:
                    return  # unsafe or missing link: keep only its text
            if len(self.stack) > MAX_DEPTH:
                return
            node = Node(tag, href)
            self._append(node)
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in ("svg", "math", "embed"):
            return  # inside a dropped element, or legitimately self-closing: nothing to do
        self.handle_starttag(tag, attrs)  # browsers ignore "/>" on <script/>, <p/>...
        if tag not in DROPPED and tag not in ("br", "img"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping:
                self.skip_depth -= 1
                if not self.skip_depth:
                    self.skipping = None
        elif tag == "br":
            self._append(Node("br"))  # browsers read </br> as <br>
        elif tag in SEPARATED:
            self._append(" ")
        elif tag in HEADINGS:
            self._close(HEADINGS)
        elif tag in KEPT:
            self._close({tag})  # stray closing tags find nothing and are ignored

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self._append(data)


def _is_block(node: Node | str) -> bool:
    return isinstance(node, Node) and (node.tag in BLOCKS or any(_is_block(c) for c in node.children))


def _trim(node: Node) -> None:
    """Strip whitespace where a browser would not show it: block edges and next to line breaks or blocks."""
    kids = node.children
    edge = node.tag in BLOCKS or node.tag == ""
    for i, child in enumerate(kids):
        if isinstance(child, str):
            before = kids[i - 1] if i else None
            after = kids[i + 1] if i + 1 < len(kids) else None
            if (before is None and edge) or (isinstance(before, Node) and (before.tag == "br" or _is_block(before))):
                child = child.lstrip(" ")
            if (after is None and edge) or (isinstance(after, Node) and (after.tag == "br" or _is_block(after))):
                child = child.rstrip(" ")
            kids[i] = child
    node.children = [c for c in kids if c != ""]


def _clean(node: Node) -> None:
    """Collapse whitespace, merge neighbouring strings, drop empty elements, then trim."""
    out: list[Node | str] = []
    for child in node.children:
        if isinstance(child, str):
            child = _HTML_SPACE.sub(" ", child)
            if out and isinstance(out[-1], str):
                out[-1] += child
            elif child:
                out.append(child)
        else:
            _clean(child)
            if child.children or child.tag == "br":
                out.append(child)
    node.children = out
    _trim(node)


def _paragraphs(root: Node) -> None:
    """Wrap runs of loose inline content at the top level into paragraphs; drop runs of only breaks."""
    out: list[Node | str] = []
    run: list[Node | str] = []

    def flush() -> None:
        while run and isinstance(run[-1], Node) and run[-1].tag == "br":
            run.pop()
        while run and isinstance(run[0], Node) and run[0].tag == "br":
            run.pop(0)
        if run:
            para = Node("p")
            para.children = run[:]
            _trim(para)
            if para.children:
                out.append(para)
        run.clear()

    for child in root.children:
        if _is_block(child):
            flush()
            out.append(child)
        else:
            run.append(child)
    flush()
    root.children = out


def parse(text: str) -> Node:
    """The cleaned tree of a fragment: parsed as HTML when it looks like HTML, else as plain text."""
    if not isinstance(text, str) or not text.strip():
        return Node("")
    if looks_like_html(text):
        text = _MARKED_SECTION.sub("", text).replace("<![", "&lt;![")
        builder = _TreeBuilder()
        try:
            builder.feed(text)
            builder.close()
        except Exception:
            pass
        root = builder.root
    else:
        root = Node("")
        text = unescape(text.replace("\r\n", "\n").replace("\r", "\n")).strip()
        for para in _BLANK_LINE.split(text):
            node = Node("p")
            for i, line in enumerate(para.split("\n")):
                node.children += [Node("br"), line] if i else [line]
            root.children.append(node)
    _clean(root)
    _paragraphs(root)
    return root


def _text_parts(node: Node, parts: list[str]) -> None:
    for child in node.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.tag == "br":
            parts.append("\n")
        elif child.tag in BLOCKS:
            parts.append("\n")
            _text_parts(child, parts)
            parts.append("\n")
        else:
            _text_parts(child, parts)


def to_plain(text: str) -> str:
    """The same fragment as plain text, for hover labels, chart labels and search.

    Tags are removed (scripts, styles and other dropped elements with their content), entities
    unescaped, and each block (paragraph, line break, list item, quote, heading) ends a line: lines
    are separated by a single ``"\\n"``, whitespace inside a line collapses to single spaces.
    A literal ``<`` typed as text (``"1 < 2"``, ``&lt;``) stays: escape it before handing the result
    to anything that reads markup, such as plotly text.
    """
    if not isinstance(text, str):
        return ""
    if looks_like_html(text):
        parts: list[str] = []
        _text_parts(parse(text), parts)
        text = "".join(parts)
    else:  # fast path, same result as going through the tree
        text = unescape(text.replace("\r\n", "\n").replace("\r", "\n")) if "&" in text or "\r" in text else text
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def one_line(text: str) -> str:
    """The fragment as one line of plain text: for titles and labels."""
    return " ".join(to_plain(text).split())


def short_text(value: object, rich: bool) -> str:
    """A short text (a title, a caption, a credit) on one line: imported HTML (``rich``) reduced to
    its text, plain text with its runs of spaces and line breaks made one space."""
    return one_line(str(value)) if rich else " ".join(str(value).split())
