"""Keeping the gettext catalogue in step with the code: extract, update, check.

    python -m bot.i18n_catalog update   # after changing texts: add new ids, drop gone ones
    python -m bot.i18n_catalog check    # what the test suite checks: nothing missing or untranslated

The catalogue is split into domains by area of the product, so that work on one area touches one
.po file: `domain_of` says which domain a source file's texts belong to. Extraction uses Babel's
Python extractor with the standard keywords (`N_`, `gettext`, `ngettext`, `pgettext`, `_`), so
`tr.gettext("…")` and `N_("…")` are both collected. Entries keep the order they have in the
code, so a diff of a .po file reads like the diff of the texts. The web pages' Jinja templates
(`{{ _("…") }}`, `ngettext`) are extracted with jinja2's Babel extractor into their domain too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

from bot.i18n import DEFAULT_LOCALE, LOCALE_DIR, LOCALES

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = ("bot", "handlers", "telegram_edge", "web")
DOMAINS = ("messages", "organiser", "schedule", "reports", "web")
TEMPLATE_FOLDERS = ("web/templates",)


def domain_of(relative: str) -> str:
    """The catalogue domain of a source file (path relative to the project root, with /)."""
    name = relative.rsplit("/", 1)[-1]
    if relative.startswith("web/") or name in {"web_pages.py", "privacy.py", "privacy_texts.py", "screen.py"}:
        return "web"  # the web pages, the room screen, and privacy (/mydata, /forget)
    if name.startswith("organis") or name in {"agenda.py", "wizards.py"}:
        return "organiser"  # setting up events and sessions: commands, wizards, agenda files
    if relative.startswith(("bot/reports/", "telegram_edge/dispatch/content")) or name.startswith("report"):
        return "reports"
    if relative.startswith(("bot/scheduling/", "telegram_edge/dispatch/")) or name.startswith(("schedul", "deliver")):
        return "schedule"
    return "messages"


def source_files() -> Iterator[tuple[str, Path]]:
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path


def template_files() -> Iterator[tuple[str, Path]]:
    for folder in TEMPLATE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.html")):
            yield path.relative_to(ROOT).as_posix(), path


def extract() -> dict[str, Catalog]:
    """The template of each domain: every marked text in the code, in code order."""
    templates = {domain: _new_catalog(None, domain) for domain in DOMAINS}
    sources = [("python", relative, path) for relative, path in source_files()]
    sources += [("jinja2.ext:babel_extract", relative, path) for relative, path in template_files()]
    for method, relative, path in sources:
        template = templates[domain_of(relative)]
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=DEFAULT_KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            template.add(message, locations=[(relative, lineno)], auto_comments=comments, context=context)
    return templates


# Fixed, so that updating the catalogue changes only the entries that changed (no date churn).
CATALOGUE_DATE = datetime(2026, 12, 2, tzinfo=UTC)


def _new_catalog(locale: str | None, domain: str) -> Catalog:
    return Catalog(
        locale=locale,
        domain=domain,
        project="workshop-bot",
        version="1",
        copyright_holder="the workshop-bot contributors",
        msgid_bugs_address="https://github.com/workshop-bot/workshop-bot/issues",
        last_translator="the workshop-bot contributors",
        language_team="the workshop-bot contributors",
        creation_date=CATALOGUE_DATE,
        revision_date=CATALOGUE_DATE,
        fuzzy=False,
    )


def po_path(locale: str, domain: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def translated_locales() -> tuple[str, ...]:
    return tuple(locale for locale in LOCALES if locale != DEFAULT_LOCALE)


def load(locale: str, domain: str) -> Catalog:
    path = po_path(locale, domain)
    if not path.exists():
        return _new_catalog(locale, domain)
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=domain)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, catalog, width=100, ignore_obsolete=True, include_previous=False, include_lineno=False)


def update() -> None:
    """Bring every locale's .po files in line with the code: new texts added untranslated,
    texts gone from the code dropped, translations of unchanged texts kept."""
    for domain, template in extract().items():
        for locale in translated_locales():
            catalog = load(locale, domain)
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
            save(catalog, po_path(locale, domain))


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def problems() -> list[str]:
    """Everything wrong with the catalogue, one line each; empty when it is complete."""
    found: list[str] = []
    for domain, template in extract().items():
        wanted = {_key(m) for m in template if m.id}
        for locale in translated_locales():
            catalog = load(locale, domain)
            have = {_key(m): m for m in catalog if m.id}
            where = f"{locale}/{domain}.po"
            for key in sorted(wanted - have.keys(), key=str):
                found.append(f"{where}: missing {key[0]!r} (run python -m bot.i18n_catalog update)")
            for key in sorted(have.keys() - wanted, key=str):
                found.append(f"{where}: no longer in the code: {key[0]!r}")
            for key, message in have.items():
                if key not in wanted:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.fuzzy or not all(strings):
                    found.append(f"{where}: untranslated {key[0]!r}")
                    continue
                found.extend(f"{where}: {error}" for error in placeholder_errors(message))
    return found


def placeholder_errors(message: Message) -> list[str]:
    """A translation must use the same {placeholders} as its English text (an extra one would
    raise at run time; a missing one would drop a number or a name from the sentence)."""
    import string

    def names(text: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field}

    ids = [str(text) for text in (message.id if isinstance(message.id, (tuple, list)) else (message.id,))]
    strings = [str(text) for text in (message.string if isinstance(message.string, (tuple, list)) else (message.string,))]
    expected = set().union(*(names(text) for text in ids))
    errors = []
    for text in strings:
        try:
            got = names(text)
        except ValueError as exc:
            errors.append(f"bad braces in the translation of {ids[0]!r}: {exc}")
            continue
        if not got <= expected:
            errors.append(f"the translation of {ids[0]!r} uses unknown placeholders {sorted(got - expected)}")
        if len(ids) == 1 and got != expected:
            errors.append(f"the translation of {ids[0]!r} drops placeholders {sorted(expected - got)}")
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.i18n_catalog", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("update", "check"))
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
        return 0
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
