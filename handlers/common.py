"""Plumbing shared by all handlers: who is asking, how replies are sent, how refusals look."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update, User
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

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
            await answer(update, context, t.notice("not_allowed", {"needed": refusal.needed}), alert=True)
            return
    if outcome is None:
        await answer(update, context)
        return
    if query is not None:
        if isinstance(outcome, Notice) and outcome.key in TOAST_NOTICES:
            await answer(update, context, t.notice(outcome.key, outcome.params))
            return
        await answer(update, context)
    if chat_id is not None:
        await send(context, chat_id, outcome)


# ----- button presses: each answered exactly once --------------------------------------------
# Telegram takes one answer per callback query; a second is refused ("query is too old"), so a
# refusal sent after an early empty answer never showed. Handlers answer through `answer`, which
# keeps the first answer only; whatever is still unanswered when the update's handlers are done
# gets an empty answer (group 1), and a press whose message is gone is answered before any
# handler sees it (group -1).

_ANSWERED = "_query_answered"


async def answer(update: Update, context: Context, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the button press behind `update`, if it has not been answered yet; HTML in `text`
    is shown as plain text (toasts and alerts take no markup)."""
    query = update.callback_query
    if query is None or context.__dict__.get(_ANSWERED):
        return
    context.__dict__[_ANSWERED] = True
    try:
        await query.answer(_plain(text)[:200] if text else None, show_alert=alert)
    except BadRequest as exc:  # a query delivered again after a restart was answered the first time
        log.info("Could not answer a button press: %s", exc.message)


async def ignore_without_message(update: Update, context: Context) -> None:
    """A press from an inline-mode message or one too old for Telegram to include has no chat to
    answer in: say it is out of date and stop there."""
    query = update.callback_query
    if query is not None and (query.message is None or not query.message.is_accessible or query.data is None):
        await answer(update, context, t.notice("stale", {}))
        raise ApplicationHandlerStop


async def answer_if_unanswered(update: Update, context: Context) -> None:
    """After the handlers ran (or failed): stop the button's spinner if nobody answered."""
    await answer(update, context)


def _plain(html_text: str) -> str:
    """Toasts are plain text: drop tags and unescape what `esc` escaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


async def stale() -> Notice:
    """The outcome for a button whose data is malformed, forged or no longer meaningful."""
    return Notice("stale")
