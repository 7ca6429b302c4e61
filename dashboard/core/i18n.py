"""Interface text in the reader's language: English, in which the code is written, or Japanese.

Strings live in gettext message catalogues (``dashboard/locale/<lang>/LC_MESSAGES/messages.po``, the
package's own data, kept with Babel: ``scripts/messages.sh`` extracts every ``t("...")`` of the code
and updates them). A catalogue is compiled in memory when first used, so there is no build step and
no compiled file to go stale. A string a catalogue lacks shows in English.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib.resources import files
from typing import Any

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = {"en": "English", "ja": "日本語"}
"""Languages the interface speaks, with each one's name in itself (for the switch)."""
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks a string for the catalogues where it is translated later, through a variable."""
    return message


class Translator:
    """``t("Themes")`` is the interface string in one language; arguments are formatted in after
    translation (``t("{n:,} events", n=3)``), so a catalogue may reorder them."""

    def __init__(self, lang: str, catalogue: NullTranslations) -> None:
        self.lang = lang
        self._catalogue = catalogue

    def __call__(self, message: str, **values: Any) -> str:
        if not message:  # gettext("") is the catalogue's header, not an empty string
            return message
        text = self._catalogue.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The form for ``n`` (English: one or other; Japanese has one form), ``n`` formatted in."""
        return self._catalogue.ngettext(singular, plural, n).format(n=n, **values)


@lru_cache(maxsize=len(LANGUAGES))
def translator(lang: str) -> Translator:
    """The translator for a language of LANGUAGES (English for any other)."""
    if lang not in LANGUAGES or lang == DEFAULT_LANGUAGE:
        return Translator(DEFAULT_LANGUAGE, NullTranslations())
    source = files("dashboard.locale").joinpath(lang, "LC_MESSAGES", "messages.po")
    with source.open("rb") as po:
        catalogue = read_po(po, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translator(lang, Translations(compiled))


def choose_language(asked: str | None, accept_language: str | None) -> str:
    """The language to speak: one asked for by name (``?lang=ja``), else the browser's preferred one
    among LANGUAGES (its Accept-Language header, in order of preference), else English."""
    if asked in LANGUAGES:
        return asked
    preferred: list[tuple[float, str]] = []
    for i, part in enumerate((accept_language or "")[:1000].split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            preferred.append((-quality + i * 1e-6, tag.strip()))
    ranked = [tag for _, tag in sorted(preferred)]
    found = negotiate_locale(ranked, list(LANGUAGES), sep="-") if ranked else None
    return found if found in LANGUAGES else DEFAULT_LANGUAGE
