"""Plumbing shared by all handlers: who is asking, how replies are sent, how refusals look."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import CallbackQuery, Update, User
from telegram.ext import ContextTypes

from bot.container import Services
from bot.reports.render.chat import split_for_telegram
from bot.services.access import NotAllowed
from bot.services.outcomes import Notice
from bot.services.views import UserRef
from handlers import texts as t
from handlers.render import Reply, render

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
# Notices that answer a button press with a small toast instead of a new message.
TOAST_NOTICES = {"stale", "nothing_to_cancel"}
MESSAGE_LIMIT = 4096


def services(context: Context) -> Services:
    return context.application.bot_data["services"]


def user_ref(user: User) -> UserRef:
    return UserRef(user.id, user.first_name or "", user.last_name or "", user.username, user.language_code)


async def send(context: Context, chat_id: int, outcome: object) -> None:
    for reply in render(outcome):
        await send_reply(context, chat_id, reply)


async def send_reply(context: Context, chat_id: int, reply: Reply) -> None:
    """Send one reply; a text over Telegram's 4,096 characters goes as several messages, split
    on paragraph boundaries, with the keyboard on the last one."""
    chunks = split_for_telegram(reply.text) if len(reply.text) > MESSAGE_LIMIT else [reply.text]
    for chunk in chunks[:-1]:
        await context.bot.send_message(chat_id, chunk)
    await context.bot.send_message(chat_id, chunks[-1], reply_markup=reply.markup)


async def respond(update: Update, context: Context, action: Callable[[], Awaitable[Any]]) -> None:
    """Run a use case and show its outcome; a refusal becomes a polite message, not an error."""
    chat_id = update.effective_chat.id if update.effective_chat else None
    query = update.callback_query
    try:
        outcome = await action()
    except NotAllowed as refusal:
        outcome = Notice("not_allowed", {"needed": refusal.needed})
        if query is not None:
            await _answer(query, t.notice("not_allowed", {"needed": refusal.needed}), alert=True)
            return
    if outcome is None:
        if query is not None:
            await _answer(query)
        return
    if query is not None:
        if isinstance(outcome, Notice) and outcome.key in TOAST_NOTICES:
            await _answer(query, _plain(t.notice(outcome.key, outcome.params)))
            return
        await _answer(query)
    if chat_id is not None:
        await send(context, chat_id, outcome)


async def _answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    await query.answer(text[:200] if text else None, show_alert=alert)


def _plain(html_text: str) -> str:
    """Toasts are plain text: drop tags and unescape what `esc` escaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


async def stale() -> Notice:
    """The outcome for a button whose data is malformed, forged or no longer meaningful."""
    return Notice("stale")
