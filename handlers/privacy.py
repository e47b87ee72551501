"""/mydata, /forget and its buttons (fg:keep, fg:all, fg:no), and the hourly retention sweep."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from handlers import privacy_texts as pt
from handlers import texts as t
from handlers.common import Context, answer, reader_translator, services, user_ref
from handlers.keyboards import parse_callback

log = logging.getLogger(__name__)
BUTTONS = r"^fg(:|$)"
RETENTION_EVERY_SECONDS = 3600
RETENTION_FIRST_SECONDS = 600  # not in the first minutes after a start: demos and restarts settle first
RETENTION_JOB = "privacy-retention"


async def my_data(update: Update, context: Context) -> None:
    """Everything stored about the sender: a readable summary and the complete JSON file."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    personal = await services(context).privacy.my_data(user_ref(user))
    content = json.dumps(personal.data, ensure_ascii=False, indent=2).encode("utf-8", "replace")
    chat_id = chat.id
    await context.bot.send_message(chat_id, pt.my_data(personal))
    await context.bot.send_document(chat_id, io.BytesIO(content), filename="my-data.json", caption=pt.MY_DATA_CAPTION)


async def forget(update: Update, context: Context) -> None:
    """What would be erased, and the choice (the buttons are the confirmation)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    preview = await services(context).privacy.preview_forget(user_ref(user))
    keyboard = Markup(
        [
            [Button(pt.FORGET_KEEP, callback_data="fg:keep")],
            [Button(pt.FORGET_ALL, callback_data="fg:all")],
            [Button(pt.FORGET_CANCEL, callback_data="fg:no")],
        ]
    )
    await context.bot.send_message(chat.id, pt.forget_ask(preview), reply_markup=keyboard)


async def button(update: Update, context: Context) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    callback = parse_callback(query.data)
    choice = callback.arg if callback else None
    if choice not in ("keep", "all", "no"):
        await answer(update, context, t.notice("stale", {}, await reader_translator(update, context)))
        return
    if choice == "no":
        await answer(update, context, pt.FORGET_CANCELLED)
        await _replace(update, context, pt.FORGET_CANCELLED)
        return
    result = await services(context).privacy.forget(user_ref(user), keep_contributions=choice == "keep")
    await answer(update, context)
    await _replace(update, context, pt.forgotten(result))


async def _replace(update: Update, context: Context, text: str) -> None:
    """The question becomes the outcome, so its buttons cannot be pressed twice."""
    query, chat = update.callback_query, update.effective_chat
    try:
        if query is None:
            raise BadRequest("no message to edit")
        await query.edit_message_text(text)
    except BadRequest:  # too old to edit: say it anew
        if chat is not None:
            await context.bot.send_message(chat.id, text)


# ----- retention --------------------------------------------------------------------------


def schedule_retention(application: Application) -> None:  # type: ignore[type-arg]
    """Hourly: erase the personal data of events whose retention period has ended. The sweep
    reads everything from the database, so a missed run (downtime) is simply caught up next time."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _retention_job, interval=RETENTION_EVERY_SECONDS, first=RETENTION_FIRST_SECONDS, name=RETENTION_JOB
        )


async def _retention_job(context: Context) -> None:
    await run_retention(context.application)


async def run_retention(application: Application, now: datetime | None = None) -> int:  # type: ignore[type-arg]
    """One sweep; each event's organisers are told what was erased. Returns how many people."""
    applied = await application.bot_data["services"].privacy.apply_retention(now)
    for item in applied:
        for chat_id in item.organiser_chat_ids:
            try:
                await application.bot.send_message(chat_id, pt.retention_applied(item))
            except TelegramError as exc:  # the erasure is done either way; the log keeps it
                log.warning("Could not tell organiser about a retention erasure: %s", exc)
    return sum(item.erased for item in applied)
