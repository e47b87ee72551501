"""Which language each person sees, and their choice of it (/language).

A person's locale follows the language of their Telegram app (`bot.i18n.locale_for`) until they
pick one with /language; from then on their choice holds (`load_actor` keeps it so). The locale
of whoever a use case acted for is left in the unit of work's session (`ACTOR_LOCALE` in
`AsyncSession.info`), so the handler renders the outcome in it without another query.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from bot.i18n import DEFAULT_LOCALE, LOCALES, locale_for, supported
from bot.services.outcomes import Notice
from bot.services.state import ACTOR_LOCALE, load_actor
from bot.services.views import UserRef
from storage.db import Database
from storage.models import Participant

_LANGUAGE = select(Participant.language, Participant.language_chosen).where(Participant.telegram_user_id == bindparam("telegram_id"))


@dataclass(frozen=True, slots=True)
class LanguageChosen:
    locale: str


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    """Ask which language; `current` is shown as chosen."""

    current: str
    locales: tuple[str, ...] = LOCALES


class Languages:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def locale_of(self, telegram_id: int, language_code: str | None) -> str:
        """The locale to speak to a Telegram user in, stored or from their app."""
        async with self._db.session() as db:
            row = (await db.execute(_LANGUAGE, {"telegram_id": telegram_id})).first()
        if row is None or (not row.language_chosen and language_code):
            return locale_for(language_code)
        return supported(row.language)

    async def ask(self, user: UserRef) -> ChooseLanguage:
        async with self._db.session() as db:
            participant, _state = await load_actor(db, user)
            return ChooseLanguage(current=supported(participant.language))

    async def choose(self, user: UserRef, locale: str) -> LanguageChosen | Notice:
        """Set the person's language (a forged or unknown choice changes nothing)."""
        if locale not in LOCALES:
            return Notice("stale")
        async with self._db.session() as db:
            participant, _state = await load_actor(db, user)
            participant.language = locale
            participant.language_chosen = True
            db.info[ACTOR_LOCALE] = locale  # the confirmation is already in the new language
            return LanguageChosen(locale)

    async def preference(self, telegram_id: int) -> tuple[str, bool]:
        """The stored locale of a person (their app's, or their choice) and whether they chose it;
        English for someone the bot has not met."""
        async with self._db.session() as db:
            row = (await db.execute(_LANGUAGE, {"telegram_id": telegram_id})).first()
        return (supported(row.language), bool(row.language_chosen)) if row is not None else (DEFAULT_LOCALE, False)

    async def preferences(self, telegram_ids: Collection[int]) -> dict[int, tuple[str, bool]]:
        """`preference` for many people in one query (the menus of every role holder at start)."""
        wanted = list(telegram_ids)
        found = {telegram_id: (DEFAULT_LOCALE, False) for telegram_id in wanted}
        if not wanted:
            return found
        query = select(Participant.telegram_user_id, Participant.language, Participant.language_chosen).where(
            Participant.telegram_user_id.in_(wanted)
        )
        async with self._db.session() as db:
            for telegram_id, language, chosen in await db.execute(query):
                if telegram_id is not None:  # the IN clause already says so; the column type does not
                    found[telegram_id] = (supported(language), bool(chosen))
        return found
