"""Keep the message catalogues in step with the code: every ``t("...")`` and ``t.plural("...", "...", n)``
of the package, extracted with Babel.

    python scripts/messages.py           # add new strings to each catalogue (untranslated), drop unused ones
    python scripts/messages.py --check   # exit 1 listing strings a catalogue lacks (the tests run this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dashboard"
KEYWORDS = {"t": None, "plural": (1, 2), "N_": None}


def catalogue_path(lang: str) -> Path:
    return PACKAGE / "locale" / lang / "LC_MESSAGES" / "messages.po"


def extracted() -> Catalog:
    """Every interface string of the code, where it stands."""
    template = Catalog()
    found = extract_from_dir(PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("i18n:",))
    for filename, lineno, message, comments, _context in found:
        template.add(message, locations=[(filename, lineno)], auto_comments=comments)
    return template


def missing(lang: str) -> list[str]:
    """The strings of the code that the ``lang`` catalogue does not translate."""
    with catalogue_path(lang).open("rb") as f:
        catalogue = read_po(f, locale=lang)
    lacking = []
    for message in extracted():
        if not message.id:
            continue
        have = catalogue.get(message.id)
        strings = have.string if have is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            lacking.append(message.id if isinstance(message.id, str) else message.id[0])
    return lacking


def update(lang: str) -> None:
    path = catalogue_path(lang)
    with path.open("rb") as f:
        catalogue = read_po(f, locale=lang)
    catalogue.update(extracted(), no_fuzzy_matching=True)
    with path.open("wb") as f:
        write_po(f, catalogue, width=100, omit_header=False, ignore_obsolete=True, include_lineno=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    langs = [p.name for p in (PACKAGE / "locale").iterdir() if (p / "LC_MESSAGES" / "messages.po").exists()]
    status = 0
    for lang in langs:
        if args.check:
            lacking = missing(lang)
            for m in lacking:
                print(f"{lang}: no translation for {m!r}", file=sys.stderr)
            status |= bool(lacking)
        else:
            update(lang)
            print(f"updated {catalogue_path(lang).relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
