"""Interface languages: choosing one, and the catalogue's strings (core/i18n.py)."""

import pytest

from dashboard.core.i18n import LANGUAGES, choose_language, translator


@pytest.mark.parametrize(
    ("asked", "header", "expected"),
    [
        ("ja", None, "ja"),
        ("en", "ja", "en"),  # asked by name wins over the browser
        (None, "ja-JP,ja;q=0.9,en-US;q=0.8", "ja"),
        (None, "en-US,en;q=0.9,ja;q=0.8", "en"),
        (None, "fr-FR,ja;q=0.5", "ja"),  # the first the app speaks
        (None, "ja;q=0.2,en;q=0.9", "en"),  # by quality, not order
        (None, "ja;q=0", "en"),  # q=0: not acceptable
        (None, "fr", "en"),
        (None, "", "en"),
        (None, None, "en"),
        ("xx", "ja", "ja"),  # an unknown name is ignored
        (None, "ja;q=abc", "en"),
        (None, "x" * 5000, "en"),
    ],
)
def test_choose_language(asked, header, expected):
    assert choose_language(asked, header) == expected


def test_japanese_catalogue_translates_and_falls_back_to_english():
    ja, en = translator("ja"), translator("en")
    assert ja("Themes") == "テーマ" and en("Themes") == "Themes"
    assert ja("a string no catalogue holds") == "a string no catalogue holds"
    assert ja.plural("{n:,} event", "{n:,} events", 1234) == "1,234件の出来事"
    assert en.plural("{n:,} event", "{n:,} events", 1) == "1 event"
    assert en.plural("{n:,} event", "{n:,} events", 1234) == "1,234 events"
    assert translator("xx").lang == "en" and set(LANGUAGES) == {"en", "ja"}
