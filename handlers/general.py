"""Help, unknown commands, group chats and the error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter

from handlers import texts as t
from handlers.common import Context, reader_translator, services, user_ref
from telegram_edge.dispatch.group_replies import GROUP_REPLIES_KEY, GroupReplies

log = logging.getLogger(__name__)


async def help_command(update: Update, context: Context) -> None:
    chat_id = update.effective_chat.id
    if context.args and context.args[0].lower() == "agenda":
        await context.bot.send_message(chat_id, t.HELP_AGENDA)
        return
    roles = await services(context).organising.roles(user_ref(update.effective_user))
    await context.bot.send_message(chat_id, t.help_for(roles))


async def unknown_command(update: Update, context: Context) -> None:
    await context.bot.send_message(update.effective_chat.id, t.notice("unknown_command", {}, await reader_translator(update, context)))


async def in_group(update: Update, context: Context) -> None:
    """Answers, profiles and roles are personal: in a group, point people to the private chat."""
    link = f"https://t.me/{context.bot.username}"
    group_replies: GroupReplies = context.application.bot_data[GROUP_REPLIES_KEY]
    group_replies.post(
        update.effective_chat.id, t.notice("group_only_private", {"link": link}, await reader_translator(update, context))
    )  # paced apart


async def on_error(update: object, context: Context) -> None:
    """Log the failure (never the token: the httpx logger is muted) and tell the user something."""
    error = context.error
    if isinstance(error, (RetryAfter, NetworkError, Forbidden)):
        log.warning("Telegram refused or failed a call: %s", error)
        return
    log.error("Unhandled error while processing an update", exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, t.notice("error", {}, await reader_translator(update, context)))
        except Exception:  # the chat may be the very thing that is failing
            log.warning("Could not tell the user about the error", exc_info=True)
