"""Embedding (#12): which sites may frame the app (the header on every response, its value checked),
and the page in embed mode (the chart alone, every component the callbacks need still in it)."""

from __future__ import annotations

import pytest
from dash.development.base_component import Component

from dashboard.io.formats import load_timeline
from dashboard.web.app import create_app
from dashboard.web.callbacks.view import with_kept
from dashboard.web.framing import DEFAULT_FRAME_ANCESTORS, check_frame_ancestors
from dashboard.web.layout import EMBED_CLASS, build_layout


@pytest.mark.parametrize(
    "given, sent",
    [
        ("'self'", "'self'"),
        ("'SELF'", "'self'"),
        ("'none'", "'none'"),
        ("https://a.example", "https://a.example"),
        ("https://a.example/", "https://a.example"),
        ("  https://a.example   https://b.example  ", "https://a.example https://b.example"),
        ("'self' https://*.news.example http://localhost:8000", "'self' https://*.news.example http://localhost:8000"),
        ("http://127.0.0.1:9000 https://[::1]:8443", "http://127.0.0.1:9000 https://[::1]:8443"),
        ("https://a.example:*", "https://a.example:*"),
        ("HTTPS://Blog.Example.org", "HTTPS://Blog.Example.org"),
    ],
)
def test_accepted_frame_ancestors(given, sent):
    assert check_frame_ancestors(given) == sent


@pytest.mark.parametrize(
    "given, message",
    [
        ("", "no sites given"),
        ("   ", "no sites given"),
        ("self", "'self' needs its single quotes: 'self'"),
        ("none", "'none' needs its single quotes"),
        ("a.example", "'a.example' is not an origin: write it with its scheme, e.g. https://a.example"),
        ("https://a.example,https://b.example", "separate the sites with spaces, not commas"),
        ("https://a.example;", "separate the sites with spaces"),
        ("ftp://a.example", "'ftp://a.example': only http and https sites can frame the app"),
        ("javascript://x", "only http and https"),
        ("https://a.example/page", "'https://a.example/page' is not an origin (scheme://host[:port], with no path"),
        ("https://a.example?x=1", "is not an origin"),
        ("https://user@a.example", "is not an origin"),
        ("https://*", "is not an origin"),
        ("https://a.*.example", "is not an origin"),
        ("https://a_b.example", "is not an origin"),
        ("https://a.example:0", "port 0 is not between 1 and 65535"),
        ("https://a.example:70000", "port 70000 is not between 1 and 65535"),
        ("'unsafe-inline'", "is not an origin"),
        ("*", "is not an origin"),
        ("'none' 'self'", "'none' (no site may frame the app) cannot be listed with other sites"),
        ("'self' https://a.example\r\nSet-Cookie:", "is not an origin"),
    ],
)
def test_refused_frame_ancestors_say_which_and_what_was_expected(given, message):
    with pytest.raises(ValueError) as exc:
        check_frame_ancestors(given)
    assert message in str(exc.value)
    if given.strip() and "'none' (" not in message:
        assert "expected 'self', 'none', or origins such as https://a.example" in str(exc.value)


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    from tests.conftest import SMALL_CSV

    path = tmp_path_factory.mktemp("framing") / "small.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    return load_timeline(path)


def client_of(timeline, tmp_path, **options):
    return create_app(timeline, upload_dir=tmp_path, **options).server.test_client()


def test_every_response_says_who_may_frame_it(timeline, tmp_path):
    """Same origin only by default; the sites given otherwise; on pages, scripts, layouts and errors alike."""
    default = client_of(timeline, tmp_path / "a")
    given = client_of(timeline, tmp_path / "b", frame_ancestors="https://a.example  https://*.b.example")
    for client, policy in [
        (default, "frame-ancestors 'self'"),
        (given, "frame-ancestors https://a.example https://*.b.example"),
    ]:
        for path in ["/", "/?embed=1", "/_dash-layout", "/_dash-dependencies", "/no-such-page"]:
            response = client.get(path)
            assert response.headers["Content-Security-Policy"] == policy, path
        refused = client.post("/_dash-update-component", json={"output": "nothing.children"})
        assert refused.status_code == 400 and refused.headers["Content-Security-Policy"] == policy
    assert DEFAULT_FRAME_ANCESTORS == "'self'"


def test_only_the_framing_directive_is_sent(timeline, tmp_path):
    """Dash's page runs inline scripts: a script-src or default-src would stop it."""
    page = client_of(timeline, tmp_path, frame_ancestors="'none'").get("/")
    assert page.headers.getlist("Content-Security-Policy") == ["frame-ancestors 'none'"]


def test_the_app_factory_refuses_a_bad_value(timeline, tmp_path):
    with pytest.raises(ValueError, match="only http and https"):
        create_app(timeline, upload_dir=tmp_path, frame_ancestors="ftp://a.example")


def ids(component: Component) -> dict[str, Component]:
    """Every component of a layout with an id, by id."""
    found = {}
    for child in component._traverse():  # dash's own walk over a layout's children
        if getattr(child, "id", None) is not None:
            found[child.id] = child
    return found


def test_embed_mode_hides_the_panels_and_keeps_every_callbacks_component(timeline, tmp_path):
    """Dash fails on a callback whose component is missing: embed mode hides (style.css), never removes."""
    app = create_app(timeline, upload_dir=tmp_path)
    needed = set()
    for spec in app.callback_map.values():
        outputs = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
        needed |= {d["id"] for d in spec["inputs"] + spec.get("state", [])} | {o.component_id for o in outputs}
    full = build_layout(timeline, "T", 10)
    embedded = build_layout(timeline, "T", 10, embed=True)
    assert {"controls", "filters-toggle", "overview", "table", "timeline"} <= needed
    assert needed <= set(ids(full)) and set(ids(embedded)) == set(ids(full))
    assert embedded.className.split() == ["page", EMBED_CLASS] and full.className == "page"


@pytest.mark.parametrize(
    "address, embedded",
    [
        ("/?embed=1", True),
        ("/?embed=true&themes=war", True),
        ("/?themes=war&embed=YES", True),
        ("/?embed=0", False),
        ("/?embed=", False),
        ("/?lang=ja", False),
        ("/", False),
    ],
)
def test_the_layout_follows_the_pages_embed_parameter(timeline, tmp_path, address, embedded):
    """Dash asks for the layout from a script: the page's address is that request's referrer."""
    client = client_of(timeline, tmp_path)
    layout = client.get("/_dash-layout", headers={"Referer": "http://127.0.0.1:8050" + address}).get_json()
    assert (EMBED_CLASS in layout["props"]["className"].split()) is embedded


def test_the_view_keeps_embed_mode_in_the_link():
    kept = with_kept("?themes=war&q=treaty", "?embed=1&themes=war,trade&lang=ja")
    assert kept == "?themes=war&q=treaty&lang=ja&embed=1"
    assert with_kept("?q=x", "?themes=war") == "?q=x"


@pytest.mark.parametrize(
    "given",
    [
        "https://\u212a.example",  # KELVIN SIGN: matched [a-z] under re.IGNORECASE
        "https://\u017fite.example",  # LATIN SMALL LETTER LONG S, likewise
        "https://a.example:\u0668\u0660",  # ARABIC-INDIC digits: matched \d
    ],
)
def test_only_ascii_origins_are_accepted(given):
    """Review #12: such a value passed the check, and gunicorn then refused the header on every
    response (500 Internal Server Error for every page)."""
    with pytest.raises(ValueError):
        check_frame_ancestors(given)
