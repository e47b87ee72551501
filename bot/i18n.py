"""Every sentence a person sees comes from the gettext catalogue, in their language.

How it is used, in one place:
- Code keeps the English text as the message id. A table of texts defined at import time marks
  each entry with `N_("…")` (it returns the text unchanged; it only tells Babel's extractor to
  collect it) and translates at render time with `tr.gettext(entry)`. Code that builds a sentence
  on the spot calls `tr.gettext("…")`, `tr.ngettext("one …", "{n} …", n)` or
  `tr.pgettext("context", "…")` directly. Placeholders use `str.format` names (`{title}`), never
  positional `%s`, so a translation can reorder them.
- `tr` is a `Translator` for one locale: `translator("fr")`. A person's locale comes from
  Telegram's `language_code` (`locale_for`) until they choose one with /language; an event's
  report has its own report language. Dates, times and numbers are formatted by Babel for the
  locale (`tr.datetime`, `tr.date`, `tr.number`), always in the event's time zone.
- The catalogue is `bot/locale/<locale>/LC_MESSAGES/<domain>.po`, one domain per area of the
  product (`DOMAINS` in `bot.i18n_catalog`, which also extracts and checks it). The .po files are
  compiled in memory at first use, so there is no binary to keep in step. English is the source
  language and needs no catalogue.

Domain code (bot/) uses this module too: report headings and prose templates are sentences.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES: tuple[str, ...] = ("en", "fr")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Babel's names for the locales (used for dates and numbers); ours are the language codes.
_BABEL_LOCALE = {"en": "en_GB", "fr": "fr_FR"}
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "fr": "Français"}  # each in its own language


def N_(message: str) -> str:
    """Mark a text for the catalogue without translating it yet (translated when shown)."""
    return message


def locale_for(language_code: str | None) -> str:
    """Telegram's IETF tag (`fr`, `fr-CA`, `en-US`, None) → one of LOCALES; anything but French
    is English, the language most international meetings share."""
    code = (language_code or "").strip().lower().replace("_", "-")
    primary = code.split("-", 1)[0]
    return primary if primary in LOCALES else DEFAULT_LOCALE


def supported(locale: str | None) -> str:
    """A stored locale, trusted only if it is one we speak (old rows may hold `en-US` or '')."""
    return locale_for(locale)


@dataclass(frozen=True, slots=True)
class Translator:
    """One locale's texts and formats. Immutable and cached: pass it around, don't rebuild it."""

    locale: str
    catalog: NullTranslations

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return str(self.catalog.pgettext(context, message))

    @property
    def babel_locale(self) -> str:
        return _BABEL_LOCALE[self.locale]

    def datetime(self, moment: dt.datetime, zone: str, date_skeleton: str = "MMMEd") -> str:
        """A moment in the event's time zone: the date in the locale's pattern for `date_skeleton`
        (a CLDR skeleton: the fields wanted; Babel picks their order and punctuation) and the
        24-hour time, joined as the locale joins them ("Wed, 2 Dec, 10:30"; "mer. 2 déc., 10:30")."""
        local = moment.astimezone(ZoneInfo(zone))
        day = format_skeleton(date_skeleton, local, locale=self.babel_locale)
        clock = format_skeleton("Hm", local, locale=self.babel_locale)
        joined: str = _datetime_join(self.babel_locale)
        return joined.replace("{1}", day).replace("{0}", clock)

    def date(self, day: dt.date, format: str = "long") -> str:
        return format_date(day, format, locale=self.babel_locale)

    def time(self, moment: dt.datetime, zone: str) -> str:
        return format_time(moment.astimezone(ZoneInfo(zone)), "HH:mm", locale=self.babel_locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.babel_locale)


@functools.cache
def _datetime_join(babel_locale: str) -> str:
    """How the locale joins a date and a time ("{1}, {0}"), looked up once."""
    return str(Locale.parse(babel_locale).datetime_formats["medium"])


@functools.cache
def translator(locale: str | None) -> Translator:
    """The translator for a locale (unknown ones get English)."""
    chosen = supported(locale)
    if chosen == DEFAULT_LOCALE:
        return Translator(chosen, NullTranslations())
    return Translator(chosen, _load(chosen))


def _load(locale: str) -> Translations:
    """All domains of a locale merged into one catalogue, compiled from the .po files in memory."""
    merged = Translations()
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    for po_file in sorted(folder.glob("*.po")):
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
        compiled.seek(0)
        domain = Translations(compiled, domain=po_file.stem)
        merged.merge(domain)
        merged.plural = domain.plural  # merge() keeps the empty start's English rule (n != 1)
    return merged
