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
    one, many = (
        "{name} was not opened: {n} problem. The timeline on screen is unchanged.",
        "{name} was not opened: {n} problems. The timeline on screen is unchanged.",
    )
    assert (
        ja.plural(one, many, 3, name="x.csv")
        == "x.csvを開けませんでした：問題が3件あります。表示中の年表はそのままです。"
    )
    assert en.plural(one, many, 1, name="x.csv").startswith("x.csv was not opened: 1 problem.")
    assert en.plural(one, many, 2, name="x.csv").startswith("x.csv was not opened: 2 problems.")
    count = ("{matched:,} of {n:,} event matches", "{matched:,} of {n:,} events match")
    assert ja.plural(*count, 5000, matched=1234) == "5,000件中1,234件が該当"
    assert en.plural(*count, 1, matched=1) == "1 of 1 event matches"
    assert en.plural(*count, 7, matched=1) == "1 of 7 events match"
    assert translator("xx").lang == "en" and set(LANGUAGES) == {"en", "ja"}


def test_every_interface_string_of_the_code_has_a_japanese_translation():
    from scripts.messages import extracted, missing

    assert len([m for m in extracted() if m.id]) > 60  # the extraction sees the code's strings
    assert missing("ja") == []


def test_language_variants_of_text_columns_are_kept_and_checked(tmp_path):
    import numpy as np

    from dashboard.core.model import ValidationError
    from dashboard.io.formats import load_timeline

    good = tmp_path / "two.csv"
    good.write_text(
        "date,title,themes,title_ja,notes_fr\n1854,Kanagawa,diplomacy,神奈川条約,x\n1951,Treaty,security,,y\n"
    )
    tl = load_timeline(good)
    rows = np.arange(2)
    assert tl.text("title", rows, "ja").tolist() == ["神奈川条約", "Treaty"]  # falls back where empty
    assert tl.text("title", rows, "en").tolist() == ["Kanagawa", "Treaty"]
    assert "notes_fr" in tl.extras.columns  # not a variant of a text column of ours: an extra column
    bad = tmp_path / "bad.csv"
    bad.write_text("date,title,themes,date_ja\n1854,Kanagawa,diplomacy,x\n")
    with pytest.raises(ValidationError) as err:
        load_timeline(bad)
    assert "line 1, column 'date_ja'" in err.value.report() and "text column" in err.value.report()
