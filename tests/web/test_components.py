"""Rich text: HTML descriptions become safe Dash component trees and plain text."""

from __future__ import annotations

import json
import random

import plotly
import pytest
from dash import html
from dash.development.base_component import Component

from dashboard.core.markup import looks_like_html, to_plain
from dashboard.web.components import to_components


def walk(node):
    """Every component and string in a tree, depth first."""
    yield node
    if isinstance(node, Component):
        children = getattr(node, "children", None)
        if children is None:
            return
        for child in children if isinstance(children, list) else [children]:
            yield from walk(child)


def nodes(text: str) -> list:
    return [n for top in to_components(text) for n in walk(top)]


def of_type(text: str, kind: type) -> list:
    return [n for n in nodes(text) if isinstance(n, kind)]


def strings(text: str) -> list[str]:
    return [n for n in nodes(text) if isinstance(n, str)]


def props(component: Component) -> set[str]:
    return set(component.to_plotly_json()["props"]) - {"children"}


def shape(node):
    """A compact, comparable form of a tree: ("P", [...]) for components, strings as they are."""
    if isinstance(node, str):
        return node
    children = getattr(node, "children", None)
    children = [] if children is None else children if isinstance(children, list) else [children]
    return (type(node).__name__, [shape(c) for c in children])


def render(components: list) -> None:
    for component in components:
        json.dumps(component.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)


def test_paragraphs_and_emphasis():
    out = to_components("<p>One <em>two</em></p><p>Three</p>")
    assert [shape(c) for c in out] == [("P", ["One ", ("Em", ["two"])]), ("P", ["Three"])]
    render(out)


def test_safe_link_keeps_href_and_opens_in_new_tab():
    (link,) = of_type('See <a href=" https://x.org/a?b=1&amp;c=2 ">x</a>.', html.A)
    assert link.href == "https://x.org/a?b=1&c=2"
    assert link.target == "_blank"
    assert link.rel == "noopener noreferrer nofollow"
    assert props(link) == {"href", "target", "rel"}
    assert link.children == ["x"]
    assert of_type('<a href="MAILTO:a@b.org">mail</a>', html.A)[0].href == "MAILTO:a@b.org"
    assert of_type('<a href="HTTP://x.org">x</a>', html.A)


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "\tjavascript:alert(1)",
        "jav&#x61;script:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "/relative/page",
        "page.html",
        "//evil.org",
        "",
        "ftp://x.org",
    ],
)
def test_unsafe_or_relative_links_keep_only_their_text(href):
    text = f'before <a href="{href}">x</a> after'
    assert not of_type(text, html.A)
    assert "".join(strings(text)) == "before x after"
    assert not any("script" in s.lower() for s in strings(text))


def test_link_without_href_is_unwrapped_and_nested_links_do_not_nest():
    assert strings('<a name="top">x</a>') == ["x"]
    links = of_type('<a href="https://a.org">a<a href="https://b.org">b</a></a>', html.A)
    assert [link.href for link in links] == ["https://a.org", "https://b.org"]
    assert all(not any(isinstance(c, html.A) for c in link.children) for link in links)


def test_script_and_its_content_are_dropped():
    for text in [
        "<script>alert(1)</script>ok",
        "<SCRIPT type='text/javascript'>alert(1)</SCRIPT>ok",
        "<script/>alert(1)</script>ok",
        "<p>ok<script>if (a<b) alert(1)</script></p>",
    ]:
        assert "".join(strings(text)) == "ok", text
        assert "alert" not in to_plain(text)
    assert not strings("<script>alert(1)")  # unclosed: everything after it is dropped


@pytest.mark.parametrize("tag", ["style", "iframe", "object", "noscript", "template", "svg", "math", "title"])
def test_dropped_elements_lose_their_content(tag):
    text = f"<p>keep</p><{tag}><p>hidden <b>x</b></p></{tag}><p>also</p>"
    assert [shape(c) for c in to_components(text)] == [("P", ["keep"]), ("P", ["also"])]
    assert to_plain(text) == "keep\nalso"


def test_nested_dropped_elements_close_at_the_right_end_tag():
    assert "".join(strings("<svg><svg><text>x</text></svg><text>y</text></svg>ok")) == "ok"
    assert "".join(strings("<svg><path d='x'/><svg/><text>y</text></svg>ok")) == "ok"


def test_images_keep_only_alt_text():
    assert "onerror" not in json.dumps(
        [c.to_plotly_json() for c in to_components("<img src=x onerror=alert(1)>")], cls=plotly.utils.PlotlyJSONEncoder
    )
    assert to_components("<img src=x onerror=alert(1)>") == []
    assert strings('A map: <img src="m.png" alt="Map of Uraga" onload="x()">') == ["A map: Map of Uraga"]


def test_attributes_and_event_handlers_are_dropped():
    (para,) = to_components('<p style="color:red" onclick="x()" class="c" id="i">t</p>')
    assert isinstance(para, html.P)
    assert props(para) == set()
    assert para.children == ["t"]


def test_blockquote_lists_and_headings():
    out = to_components(
        "<h2>Speech</h2><blockquote><p>We shall</p></blockquote>"
        "<ul><li>one</li><li>two <strong>2</strong></li></ul><ol><li>first</ol>"
    )
    assert [shape(c) for c in out] == [
        ("P", [("Strong", ["Speech"])]),
        ("Blockquote", [("P", ["We shall"])]),
        ("Ul", [("Li", ["one"]), ("Li", ["two ", ("Strong", ["2"])])]),
        ("Ol", [("Li", ["first"])]),
    ]
    render(out)


def test_inline_kept_elements_and_unwrapped_spans():
    out = to_components(
        '<p><span style="x">H<sub>2</sub>O</span> <i>i</i><b>b</b><u>u</u>'
        "<code>c</code><q>q</q><cite>ct</cite>x<sup>2</sup> <font color=red>f</font></p>"
    )
    assert [shape(c) for c in out] == [
        (
            "P",
            [
                "H",
                ("Sub", ["2"]),
                "O ",
                ("I", ["i"]),
                ("B", ["b"]),
                ("U", ["u"]),
                ("Code", ["c"]),
                ("Q", ["q"]),
                ("Cite", ["ct"]),
                "x",
                ("Sup", ["2"]),
                " f",
            ],
        )
    ]


def test_div_is_kept_without_attributes():
    (div,) = to_components('<div class="x" style="y"><p>a</p>b</div>')
    assert shape(div) == ("Div", [("P", ["a"]), "b"])
    assert props(div) == set()


def test_loose_text_becomes_paragraphs_around_blocks():
    out = to_components("intro <b>bold</b><br>next<blockquote>q</blockquote> after<br><br><p>x</p>")
    assert [shape(c) for c in out] == [
        ("P", ["intro ", ("B", ["bold"]), ("Br", []), "next"]),
        ("Blockquote", ["q"]),
        ("P", ["after"]),
        ("P", ["x"]),
    ]


def test_malformed_html_never_raises():
    assert [shape(c) for c in to_components("<p><b>bold")] == [("P", [("B", ["bold"])])]
    assert [shape(c) for c in to_components("<p>one<p>two</b></i></p></p>")] == [("P", ["one"]), ("P", ["two"])]
    assert [shape(c) for c in to_components("<ul><li>a<li>b</ul>")] == [("Ul", [("Li", ["a"]), ("Li", ["b"])])]
    assert "".join(strings("1 < 2 and <p>3 > 2")) == "1 < 2 and3 > 2"
    for text in [
        "<",
        "</",
        "<p",
        "<a href='x",
        "<![if !supportLists]>-<![endif]>item",
        "<![CDATA[x]]>ok",
        "<!--",
        "<!-- unclosed <p>x",
        "</>",
        "<p =x>",
        "<![ x",
        "<![foo[ x ]]>",
        "<!DOCTYPE html><p>x",
        "<em>" * 5000 + "deep",
        "</p>" * 10 + "x",
        "<?php echo 1 ?><p>x",
    ]:
        render(to_components(text))
        to_plain(text)
    assert strings("<![if !supportLists]>-<![endif]>item") == ["-item"]


def test_entities_are_unescaped_into_strings():
    text = "<p>Tom &amp; Jerry &lt;3 &eacute;t&#233; &#x2014; &nbsp;x</p>"
    assert strings(text) == ["Tom & Jerry <3 été — \xa0x"]
    assert strings("AT&amp;T &quot;q&quot;") == ['AT&T "q"']  # plain text too
    # an escaped tag is text, shown as text, never a component
    out = to_components("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
    assert [shape(c) for c in out] == [("P", ["<script>alert(1)</script>"])]


def test_plain_text_paragraphs_and_line_breaks():
    out = to_components("Line one\nline two\r\n\r\n  Para   two\n\n\n\nthree ")
    assert [shape(c) for c in out] == [
        ("P", ["Line one", ("Br", []), "line two"]),
        ("P", ["Para two"]),
        ("P", ["three"]),
    ]
    assert [shape(c) for c in to_components("1 < 2 but x<y and y>z")] == [("P", ["1 < 2 but x<y and y>z"])]


@pytest.mark.parametrize("empty", ["", "   \n ", None, float("nan"), "<p></p>", "<script>x</script>", "<br><br>"])
def test_empty_inputs(empty):
    assert to_components(empty) == []
    assert to_plain(empty) == ""


@pytest.mark.parametrize(
    "text, plain",
    [
        ("<p>One <em>two</em></p><p>Three</p>", "One two\nThree"),
        ("<p>a<br/>b</p>", "a\nb"),
        ("<ul><li>x</li><li>y</li></ul>", "x\ny"),
        ("<h1>T</h1><blockquote>q</blockquote>", "T\nq"),
        ("<script>alert(1)</script><style>p{}</style>ok &amp; fine", "ok & fine"),
        ("  lots   of\t space\n\n\nand lines ", "lots of space\nand lines"),
        ('<a href="javascript:x()">click</a> <img src=x alt="pic" onerror=alert(1)>', "click pic"),
        ("<td>a</td><td>b</td>", "a b"),
        ("1 < 2", "1 < 2"),
        ("<p>a &lt; b</p>", "a < b"),
    ],
)
def test_to_plain(text, plain):
    assert to_plain(text) == plain


def test_to_plain_leaves_no_markup():
    for text in NASTY:
        plain = to_plain(text)
        assert "<script" not in plain.lower() and "onerror" not in plain and "<img" not in plain, text


@pytest.mark.parametrize(
    "text",
    [
        "<p>x</p>",
        "a</a>",
        "line<br/>break",
        "<br />",
        "<BR>",
        "x <img src=a>",
        "<a\nhref='https://x.org'>x</a>",
        "<x-note>n</x-note>",
        "<!-- c -->",
        "<![if !supportLists]>",
    ],
)
def test_looks_like_html_true(text):
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    ["", "plain text", "1 < 2 > 0", "x<y and y>z", "<3", "a <b", "email <me@x.org>", "<unknown>", "AT&amp;T", None],
)
def test_looks_like_html_false(text):
    assert not looks_like_html(text)


NASTY = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<p style="color:red" onclick="x()" onmouseover="y()">t</p>',
    '<a href="javascript:alert(1)" onclick="x()" style="s">x</a>',
    '<a href="https://ok.org" onclick="x()" class="c" id="i" title="t" download>ok</a>',
    '<iframe src="https://evil.org"></iframe><object data=x></object><embed src=x>',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    '<div style="background:url(javascript:alert(1))" data-x="1" aria-label="l" role="r"><span id=s>t</span></div>',
    "<ScRiPt>alert(1)</sCrIpT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<p><b>unclosed <i>tags <a href='https://x.org'>link",
    "</p></div></a>stray closers",
    "<style>body{display:none}</style><p>x</p>",
    "<noscript><p title='</noscript><img src=x onerror=alert(1)>'></noscript>",
    "<template><script>alert(1)</script></template>",
    "<body onload=alert(1)><input autofocus onfocus=alert(1)><button formaction=javascript:alert(1)>b</button>",
    "<details open ontoggle=alert(1)><summary>s</summary>d</details>",
    "<table background='javascript:alert(1)'><tr><td>cell</td></tr></table>",
    "<a href='&#106;avascript:alert(1)'>x</a><a href='data:text/html;base64,PHNjcmlwdD4='>y</a>",
    "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'><link rel=import href=x>",
    "<form action='javascript:alert(1)'><textarea>t</textarea></form>",
    "<h1 style=x>h</h1><ul class=c><li onclick=x>li</li></ul><blockquote cite=x>q</blockquote>",
    "<![CDATA[<script>alert(1)</script>]]><!-- <script>alert(1)</script> -->",
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="https://x.org"><img src=x onerror=alert(1)>pic</a>',
]


def _random_fragments(count: int) -> list[str]:
    pieces = [
        "<p>",
        "</p>",
        "<li>",
        "<ul>",
        "</ul>",
        "<em>",
        "</em>",
        "<div>",
        "</div>",
        "<h2>",
        "<br>",
        "<a href='https://x.org'>",
        "<a href='javascript:alert(1)'>",
        "</a>",
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "<svg>",
        "</svg>",
        "<style>",
        "<blockquote>",
        "<![",
        "<!--",
        "-->",
        "&amp;",
        "&lt;",
        "<",
        ">",
        "/",
        "=",
        "'",
        '"',
        " ",
        "\n",
        "text",
        "b",
        "x",
    ]
    rng = random.Random(7)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(count)]


BLOCK_TYPES = (html.P, html.Div, html.Blockquote, html.Ul, html.Ol, html.Li)


@pytest.mark.parametrize("text", NASTY + _random_fragments(400))
def test_no_attribute_but_safe_links_anywhere(text):
    out = to_components(text)
    render(out)
    for node in (n for top in out for n in walk(top)):
        if isinstance(node, str):
            assert node and "<script" not in node.lower()
            continue
        if isinstance(node, html.A):
            assert props(node) == {"href", "target", "rel"}
            assert node.href.lower().startswith(("http://", "https://", "mailto:"))
        else:
            assert props(node) == set(), (text, node)
        inside = [n for child in (getattr(node, "children", None) or []) for n in walk(child)]
        if isinstance(node, html.P):  # valid nesting, or React warns: no block inside a paragraph...
            assert not any(isinstance(n, BLOCK_TYPES) for n in inside), text
        if isinstance(node, html.A):  # ...and no link inside a link
            assert not any(isinstance(n, html.A) for n in inside), text
    assert all(type(n).__name__ != "Script" for top in out for n in walk(top))
    assert not any(isinstance(top, (str, html.Br)) for top in out)  # loose text is wrapped in paragraphs


def text_of(components: list) -> str:
    """Plain text read back from components: blocks and breaks end lines, whitespace collapsed."""
    parts: list[str] = []

    def visit(node) -> None:
        if isinstance(node, str):
            parts.append(node)
            return
        block = isinstance(node, (*BLOCK_TYPES, html.Br))
        parts.append("\n" if block else "")
        for child in getattr(node, "children", None) or []:
            visit(child)
        parts.append("\n" if block else "")

    for component in components:
        visit(component)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


@pytest.mark.parametrize(
    "text",
    NASTY
    + _random_fragments(100)
    + ["plain", "Line one\nline two\r\n\r\n  Para   two &amp; &#10;x", "a &#13; b\rc", "1 < 2 & 3 > 2", " \t "],
)
def test_to_plain_reads_the_same_as_the_components(text):
    assert to_plain(text) == text_of(to_components(text))


def test_same_time_list_shows_dates_and_titles_as_text(write_csv):
    from dashboard.core.query import same_time
    from dashboard.io.formats import load_timeline
    from dashboard.web.components import period_text, same_time_list

    lines = ["date,end_date,title,themes", "1941-12-07,1945-09-02,Pacific War,war"]
    lines += [f"1942-{m:02d}-01,,<b>Battle</b> {m},war" for m in range(1, 13)]
    tl = load_timeline(write_csv("\n".join(lines) + "\n"))
    found = same_time(tl, 0)
    parts = same_time_list(tl, found)
    items = [c for c in walk(parts[0]) if isinstance(c, html.Li)]
    assert len(items) == 10
    assert [s for s in walk(items[0]) if isinstance(s, str)] == ["1 Jan 1942", " ", "<b>Battle</b> 1"]  # as text
    assert parts[1].children == "and 2 more"
    assert period_text(found) == "1941-12-07 to 1945-09-02"
    alone = same_time_list(tl, same_time(load_timeline(write_csv("date,title,themes\n1900,A,war\n")), 0))
    assert alone[0].children == "No other event overlaps it."
