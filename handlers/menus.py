"""Command menus per role, per chat and per language.

Everyone's private chat shows the participant commands in the language of their Telegram app:
English by default, French for apps set to French (`language_code="fr"`). A person who holds a
role, or who chose a language with /language, gets their own menu (`BotCommandScopeChat`) in
their language, with their roles' commands as well. Role holders' menus are set at start and
again whenever a role is granted or revoked, so a new rapporteur sees /draft and /edit at once;
a participant's own menu is set when they choose a language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import DEFAULT_LOCALE, LOCALES, N_, Translator, translator
from bot.services.views import UserRef
from handlers.context import BotApplication, BotContext

log = logging.getLogger(__name__)

# (command, description): descriptions are catalogue keys, translated for each menu.
Commands = tuple[tuple[str, str], ...]
PARTICIPANT_COMMANDS: Commands = (
    ("join", N_("Join a session with its code")),
    ("myinput", N_("Review, edit or delete your answers")),
    ("sessions", N_("Switch between your sessions")),
    ("skip", N_("Skip the current question")),
    ("react", N_("Agree or disagree with others' points")),
    ("profile", N_("Your name, organisation and community")),
    ("language", N_("English or French")),
    ("mydata", N_("Everything stored about you")),
    ("forget", N_("Erase your personal data")),
    ("cancel", N_("Stop what you are doing")),
    ("help", N_("How this works")),
)
MODERATOR_COMMANDS: Commands = (
    ("manage", N_("Your sessions with live counts")),
    ("open", N_("Open a session")),
    ("close", N_("Close a session")),
    ("link", N_("Join link and QR code")),
)
RAPPORTEUR_COMMANDS: Commands = (
    ("draft", N_("A fresh draft of the session report")),
    ("edit", N_("Edit the report section by section")),
    ("regenerate", N_("Rebuild the draft, keeping your edits")),
    ("approve", N_("Make the newest version final")),
    ("versions", N_("Every version of the report")),
    ("export", N_("One file: md, html, docx, pdf, csv, chart")),
    ("eventreport", N_("One document for the whole event")),
    ("reportlanguage", N_("The language of the event's reports (en, fr)")),
)
ORGANISER_COMMANDS: Commands = (
    *MODERATOR_COMMANDS,
    ("newevent", N_("Create an event")),
    ("newsession", N_("Add a session")),
    ("agenda", N_("Create or update an event from a YAML agenda")),
    ("grant", N_("Give someone a role")),
    ("revoke", N_("Take a role back")),
    ("remind", N_("Schedule a reminder or a nudge")),
    ("schedule", N_("What is scheduled; change or cancel")),
    ("papers", N_("Send background papers before a session")),
    ("deliver", N_("Schedule the report's delivery")),
    ("move", N_("Move a session (its reminders follow)")),
    ("screen", N_("Room screen link for the projector")),
)


def menu_for(roles: Iterable[str], tr: Translator) -> list[BotCommand]:
    """The participant commands, then those of each role held; organisers also write reports."""
    held = set(roles)
    commands = list(PARTICIPANT_COMMANDS)
    if "organiser" in held:
        commands += ORGANISER_COMMANDS + RAPPORTEUR_COMMANDS
    else:
        if "moderator" in held:
            commands += MODERATOR_COMMANDS
        if "rapporteur" in held:
            commands += RAPPORTEUR_COMMANDS
    unique = dict(commands)  # first description wins, order kept
    return [BotCommand(command, tr.gettext(description)) for command, description in unique.items()]


async def publish(bot: Bot, telegram_id: int, roles: Iterable[str], locale: str, *, chosen: bool = False) -> None:
    """Set one person's own menu in their language; with no role left and no language of their
    own choosing, remove it (the menu for everyone applies again)."""
    held = frozenset(roles) - {"participant"}
    scope = BotCommandScopeChat(telegram_id)
    try:
        if held or chosen:
            await bot.set_my_commands(menu_for(held, translator(locale)), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:  # someone who never started the bot has no chat yet
        log.warning("Could not set the command menu of %s: %s", telegram_id, exc)


async def refresh(context: BotContext, telegram_id: int, *, only_roles: bool = False) -> None:
    """Bring one person's menu in line with their roles and language (after /start, /language,
    /grant, /revoke). `only_roles`: leave it alone unless they hold a role (a plain /start)."""
    services = context.services
    roles = await services.organising.roles(UserRef(telegram_id)) - {"participant"}
    if only_roles and not roles:
        return
    locale, chosen = await services.languages.preference(telegram_id)
    await publish(context.bot, telegram_id, roles, locale, chosen=chosen)


async def publish_all(application: BotApplication) -> None:
    """At start: the menu for everyone in each language, and one per person holding a role (a
    participant's own menu, set when they chose a language, stays as Telegram keeps it)."""
    bot, everyone = application.bot, BotCommandScopeAllPrivateChats()
    try:
        for locale in LOCALES:  # English is the default (no language_code): every other app language
            language_code = None if locale == DEFAULT_LOCALE else locale
            await bot.set_my_commands(menu_for((), translator(locale)), scope=everyone, language_code=language_code)
    except TelegramError as exc:
        log.warning("Could not set the command menu: %s", exc)
        return
    services = application.bot_data.services
    people = {
        person: held for person, roles in (await services.organising.people_with_roles()).items() if (held := roles - {"participant"})
    }
    languages = await services.languages.preferences(people.keys())  # one query, however many people
    for telegram_id, roles in people.items():
        locale, chosen = languages[telegram_id]
        await publish(bot, telegram_id, roles, locale, chosen=chosen)
