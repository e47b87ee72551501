"""Help, unknown commands, group chats and the error handler."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.i18n import Translator
from bot.services.outcomes import Notice
from handlers import texts as t
from handlers.common import Context, reader_translator, respond, services, user_ref
from handlers.context import chat_of, sender_of
from handlers.render import Reply, render

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HelpShown:
    """/help: the commands of the roles the person holds, or the agenda format (/help agenda)."""

    roles: frozenset[str]
    agenda: bool = False


@render.register
def _help(outcome: HelpShown, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(t.HELP_AGENDA) if outcome.agenda else t.help_for(outcome.roles, tr))]


async def help_command(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    args = context.args or []
    agenda = bool(args) and args[0].lower() == "agenda"

    async def shown() -> HelpShown:
        return HelpShown(frozenset() if agenda else await services(context).organising.roles(user), agenda=agenda)

    await respond(update, context, shown)


async def unknown_command(update: Update, context: Context) -> None:
    await respond(update, context, _unknown)


async def _unknown() -> Notice:
    return Notice("unknown_command")


async def in_group(update: Update, context: Context) -> None:
    """Answers, profiles and roles are personal: in a group, point people to the private chat."""
    link = f"https://t.me/{context.bot.username}"
    text = t.notice("group_only_private", {"link": link}, await reader_translator(update, context))
    context.bot_data.group_replies.post(chat_of(update).id, text)  # paced apart


async def on_error(update: object, context: Context) -> None:
    """Log the failure (never the token: the httpx logger is muted) and tell the user something."""
    error = context.error
    if isinstance(error, (RetryAfter, NetworkError, Forbidden)):
        log.warning("Telegram refused or failed a call: %s", error)
        return
    log.error("Unhandled error while processing an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:  # straight to the chat: the database may be the very thing that is failing
            await context.bot.send_message(update.effective_chat.id, t.notice("error", {}, await reader_translator(update, context)))
        except Exception:
            log.warning("Could not tell the user about the error", exc_info=True)
