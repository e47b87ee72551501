"""Command menus per role and per chat.

Everyone's private chat shows the participant commands; a person who holds a role gets their
own menu (`BotCommandScopeChat`) with that role's commands as well, set at start for everyone
holding a role and again whenever a role is granted or revoked, so a new rapporteur sees /draft
and /edit at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

PARTICIPANT_COMMANDS = [
    BotCommand("join", "Join a session with its code"),
    BotCommand("myinput", "Review, edit or delete your answers"),
    BotCommand("sessions", "Switch between your sessions"),
    BotCommand("skip", "Skip the current question"),
    BotCommand("react", "Agree or disagree with others' points"),
    BotCommand("profile", "Your name, organisation and community"),
    BotCommand("mydata", "Everything stored about you"),
    BotCommand("forget", "Erase your personal data"),
    BotCommand("cancel", "Stop what you are doing"),
    BotCommand("help", "How this works"),
]
MODERATOR_COMMANDS = [
    BotCommand("manage", "Your sessions with live counts"),
    BotCommand("open", "Open a session"),
    BotCommand("close", "Close a session"),
    BotCommand("link", "Join link and QR code"),
]
RAPPORTEUR_COMMANDS = [
    BotCommand("draft", "A fresh draft of the session report"),
    BotCommand("edit", "Edit the report section by section"),
    BotCommand("regenerate", "Rebuild the draft, keeping your edits"),
    BotCommand("approve", "Make the newest version final"),
    BotCommand("versions", "Every version of the report"),
    BotCommand("export", "One file: md, html, docx, pdf, csv, chart"),
    BotCommand("eventreport", "One document for the whole event"),
    BotCommand("reportlanguage", "The language of the event's reports (en, fr)"),
]
ORGANISER_COMMANDS = [
    *MODERATOR_COMMANDS,
    BotCommand("newevent", "Create an event"),
    BotCommand("newsession", "Add a session"),
    BotCommand("agenda", "Create or update an event from a YAML agenda"),
    BotCommand("grant", "Give someone a role"),
    BotCommand("revoke", "Take a role back"),
    BotCommand("remind", "Schedule a reminder or a nudge"),
    BotCommand("schedule", "What is scheduled; change or cancel"),
    BotCommand("papers", "Send background papers before a session"),
    BotCommand("deliver", "Schedule the report's delivery"),
    BotCommand("move", "Move a session (its reminders follow)"),
    BotCommand("screen", "Room screen link for the projector"),
]


def menu_for(roles: Iterable[str]) -> list[BotCommand]:
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
    return list({c.command: c for c in commands}.values())


async def publish(bot: Bot, telegram_id: int, roles: Iterable[str]) -> None:
    """Set (or, with no role left, remove) one person's own menu."""
    held = frozenset(roles) - {"participant"}
    scope = BotCommandScopeChat(telegram_id)
    try:
        if held:
            await bot.set_my_commands(menu_for(held), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:  # someone who never started the bot has no chat yet
        log.warning("Could not set the command menu of %s: %s", telegram_id, exc)


async def publish_all(application: Application) -> None:  # type: ignore[type-arg]
    """At start: the default menu, and one per person holding a role."""
    try:
        await application.bot.set_my_commands(PARTICIPANT_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    except TelegramError as exc:
        log.warning("Could not set the command menu: %s", exc)
        return
    people = await application.bot_data["services"].organising.people_with_roles()
    for telegram_id, roles in people.items():
        await publish(application.bot, telegram_id, roles)
