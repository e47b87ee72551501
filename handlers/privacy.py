"""/mydata, /forget and its buttons (fg:keep, fg:all, fg:no), and the hourly retention sweep.

Replies take the one path: the privacy service's outcomes are rendered in the reader's language
(handlers.privacy_texts registers them with `render`) and sent by `respond`. Two exceptions, and
why: the /mydata file is a document, which the outbox does not hold; and the answer to a /forget
button replaces the question in place (its buttons must not be pressed twice) and is not kept
in the outbox, because a stored reply to the person's chat would keep their Telegram id in the
database after they asked to be forgotten.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot.container import Services
from bot.i18n import translator
from bot.services.outcomes import Notice
from bot.services.privacy import PersonalData
from handlers import privacy_texts as pt
from handlers.common import Context, answer, reader_translator, respond, send_owed, send_reply, services, user_ref
from handlers.keyboards import parse_callback
from handlers.render import Reply, render

log = logging.getLogger(__name__)
BUTTONS = r"^fg(:|$)"
RETENTION_EVERY_SECONDS = 3600
RETENTION_FIRST_SECONDS = 600  # not in the first minutes after a start: demos and restarts settle first
RETENTION_JOB = "privacy-retention"
EXPORT_NAME = "my-data.json"


async def my_data(update: Update, context: Context) -> None:
    """Everything stored about the sender: a readable summary and the complete JSON file (its
    values as stored, never translated)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    found: list[PersonalData] = []

    async def summary() -> PersonalData:
        found.append(await services(context).privacy.my_data(user_ref(user)))
        return found[-1]

    await respond(update, context, summary)
    if found:
        content = json.dumps(found[-1].data, ensure_ascii=False, indent=2).encode("utf-8", "replace")
        caption = (await reader_translator(update, context)).gettext(pt.MY_DATA_CAPTION)
        await context.bot.send_document(chat.id, io.BytesIO(content), filename=EXPORT_NAME, caption=caption)


async def forget(update: Update, context: Context) -> None:
    """What would be erased, and the choice (the buttons are the confirmation)."""
    user = update.effective_user
    if user is None:
        return
    await respond(update, context, lambda: services(context).privacy.preview_forget(user_ref(user)))


async def button(update: Update, context: Context) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    callback = parse_callback(query.data)
    choice = callback.arg if callback else None
    if choice not in ("keep", "all", "no"):
        await respond(update, context, _stale)
        return
    tr = await reader_translator(update, context)  # before the erasure: their language goes with them
    if choice == "no":
        await answer(update, context, tr.gettext(pt.FORGET_CANCELLED))
        await _replace(update, context, render(pt.ForgetCancelled(), tr))
        return
    result = await services(context).privacy.forget(user_ref(user), keep_contributions=choice == "keep")
    await answer(update, context)
    await _replace(update, context, render(result, tr))


async def _stale() -> Notice:
    return Notice("stale")


async def _replace(update: Update, context: Context, replies: list[Reply]) -> None:
    """The question becomes the outcome, so its buttons cannot be pressed twice."""
    query, chat = update.callback_query, update.effective_chat
    reply = replies[0]
    if query is not None:
        try:
            await query.edit_message_text(reply.text, reply_markup=reply.markup)
        except BadRequest as exc:  # too old to edit: say it anew
            log.info("Could not replace the /forget question: %s", exc.message)
        else:
            return
    if chat is not None:
        await send_reply(context, chat.id, reply)


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
    """One sweep; each event's organisers are told what was erased, each in their language,
    through the outbox. Returns how many people were erased."""
    found: Services = application.bot_data.services
    applied = await found.privacy.apply_retention(now)
    for item in applied:
        for chat_id in item.organiser_chat_ids:
            tr = translator(await found.languages.locale_of(chat_id, None))
            async with found.db.unit_of_work() as db:
                owed = found.outbox.add(db, chat_id, [(reply.text, None) for reply in render(item, tr)])
            try:
                await send_owed(application.bot, found.outbox, owed)
            except TelegramError as exc:  # the erasure is done either way; the log keeps it
                log.warning("Could not tell organiser about a retention erasure: %s", exc)
    return sum(item.erased for item in applied)
