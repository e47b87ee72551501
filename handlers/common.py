"""Plumbing shared by all handlers: who is asking, how replies are sent, how refusals look."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop
from telegram.warnings import PTBUserWarning

from bot.container import Services
from bot.i18n import Translator, translator
from bot.reports.render.chat import split_for_telegram
from bot.services.access import NotAllowed
from bot.services.outbox import Outbox, Owed
from bot.services.outcomes import Notice
from bot.services.state import ACTOR_LOCALE, preload_actors
from bot.services.views import MessageRef, UserRef
from handlers import texts as t
from handlers.context import BotContext
from handlers.render import Reply, render
from storage.group_commit import Preload

log = logging.getLogger(__name__)
Context = BotContext
# Notices that answer a button press with a small toast instead of a new message.
TOAST_NOTICES = {"stale", "nothing_to_cancel"}
MESSAGE_LIMIT = 4096
#: How every message of the bot is formatted: HTML, no link previews. telegram_edge.app gives PTB
#: the same as its Defaults, for the messages sent through PTB's methods.
REPLY_FORMAT: dict[str, Any] = {"parse_mode": ParseMode.HTML, "link_preview_options": {"is_disabled": True}}
# `_send_text` posts sendMessage on purpose (see there); PTB's hint to use its method instead would
# be logged for every reply.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)  # i18n: not shown


def services(context: Context) -> Services:
    return context.bot_data.services


def user_ref(user: User) -> UserRef:
    return UserRef(user.id, user.first_name or "", user.last_name or "", user.username, user.language_code)


async def send(context: Context, chat_id: int, outcome: object, tr: Translator) -> None:
    for reply in render(outcome, tr):
        await send_reply(context, chat_id, reply)


async def reader_translator(update: Update, context: Context) -> Translator:
    """The translator for the person behind `update`: their chosen language, or their app's."""
    user = update.effective_user
    if user is None:
        return translator(None)
    return translator(await services(context).languages.locale_of(user.id, user.language_code))


def _actor_translator(db: AsyncSession) -> Translator | None:
    """The translator for the person the use case acted for, if it loaded them (no query)."""
    locale = db.info.get(ACTOR_LOCALE)
    return translator(locale) if isinstance(locale, str) else None


async def send_reply(context: Context, chat_id: int, reply: Reply) -> None:
    await _send_text(context.bot, chat_id, reply.text, reply.markup.to_dict() if reply.markup else None)


async def _send_text(bot: Bot, chat_id: int, text: str, markup: dict[str, Any] | None) -> None:
    """Send one reply; a text over Telegram's 4,096 characters goes as several messages, split
    on paragraph boundaries, with the keyboard on the last one.

    The request is posted as the Bot API's own JSON (`do_api_request`, through the same request
    object, rate limiter and error mapping as `send_message`), because nothing reads the Message
    Telegram returns: building it (`Message.de_json`) and the keyboard's objects only to drop
    them was about a tenth of the CPU an answer costs (bench/README.md). PTB's Defaults do not
    apply to such a request, so the bot's formatting (`REPLY_FORMAT`) is spelled out here."""
    chunks = split_for_telegram(text) if len(text) > MESSAGE_LIMIT else [text]
    for number, chunk in enumerate(chunks, start=1):
        params: dict[str, Any] = {"chat_id": chat_id, "text": chunk, **REPLY_FORMAT}
        if markup is not None and number == len(chunks):
            params["reply_markup"] = markup
        await bot.do_api_request("sendMessage", api_kwargs=params)


async def respond(update: Update, context: Context, action: Callable[[], Awaitable[object]], *, shared: bool = True) -> None:
    """Run a use case and show its outcome; a refusal becomes a polite message, not an error.

    The use case, the replies it owes (the outbox) and the update's "processed" mark commit in
    one transaction, which under load the steps of other updates share (storage.group_commit;
    `shared=False` for a step that may take seconds); the replies are sent after the commit
    (`send_owed`). A crash in between loses nothing: unsent replies go out at the next start.
    """
    chat_id = update.effective_chat.id if update.effective_chat else None
    query = update.callback_query
    found = services(context)

    async def step(db: AsyncSession) -> tuple[str | None, list[Owed]]:
        db.info.pop(ACTOR_LOCALE, None)  # the session may be shared with other updates' steps
        outcome = await action()
        if outcome is None:
            return None, []
        tr = _actor_translator(db) or await reader_translator(update, context)
        if query is not None and isinstance(outcome, Notice) and outcome.key in TOAST_NOTICES:
            return t.notice(outcome.key, outcome.params, tr), []
        if chat_id is None:
            return None, []
        return None, found.outbox.add(db, chat_id, [(r.text, r.markup.to_dict() if r.markup else None) for r in render(outcome, tr)])

    try:
        toast, owed = await (found.db.grouped(step, _sender(update)) if shared else found.db.alone(step))
    except NotAllowed as refusal:
        toast, refused = None, Notice("not_allowed", {"needed": refusal.needed})
        tr = await reader_translator(update, context)
        if query is not None:
            await answer(update, context, t.notice(refused.key, refused.params, tr), alert=True)
            return
        if chat_id is None:
            return
        async with found.db.unit_of_work() as db:
            owed = found.outbox.add(db, chat_id, [(r.text, None) for r in render(refused, tr)])
    await answer(update, context, toast)
    await send_owed(context.bot, found.outbox, owed)


def _sender(update: Update) -> Preload[tuple[UserRef, MessageRef | None]] | None:
    """Who the step will load first (bot.services.state.load_actor): read for its whole group."""
    user = update.effective_user
    if user is None:
        return None
    message = update.message
    ref = MessageRef(message.chat_id, message.message_id) if message is not None else None
    return Preload(preload_actors, (user_ref(user), ref))


async def send_owed(bot: Bot, outbox: Outbox, messages: Sequence[Owed]) -> None:
    """Send owed replies in order and strike each one off once Telegram took it. A refusal that
    will not change (blocked, bad request) strikes it off too; a network failure leaves it, and
    the rest of that chat's replies, for the next start."""
    for message in messages:
        try:
            await _send_text(bot, message.chat_id, message.text, message.markup)
        except (Forbidden, BadRequest):
            outbox.sent(message.id)
            raise
        outbox.sent(message.id)


async def send_all_owed(bot: Bot, outbox: Outbox) -> int:
    """At start: every reply still owed, each chat's in order, chats side by side."""
    by_chat: dict[int, list[Owed]] = {}
    for message in await outbox.owed():
        by_chat.setdefault(message.chat_id, []).append(message)

    async def one_chat(messages: list[Owed]) -> None:
        try:
            await send_owed(bot, outbox, messages)
        except TelegramError as exc:
            log.warning("could not send an owed reply: %s", exc)

    await asyncio.gather(*(one_chat(messages) for messages in by_chat.values()))
    return sum(len(messages) for messages in by_chat.values())


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
        await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
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
