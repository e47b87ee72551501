"""Organisers: /remind, /papers, /deliver, /schedule and /move, and their buttons.

Parsing stays here (commands and their words); rules, times and roles are the services'.
Buttons: sc:<choice> (a wizard step), se:<id> change time, sx:<id> cancel, sn:<id> send now;
under a delivery summary, sr:<delivery id> asks to resend to the unconfirmed and sy:<delivery id>
confirms it (sr:no declines).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import BadRequest, TelegramError

from bot.i18n import translator
from bot.services.deliveries import ResendAsked, ResendStarted
from bot.services.outcomes import Notice
from bot.services.schedule_flows import AskAudience, AskFiles, AskTarget, AskWhen, DocumentRef, PaperAdded
from bot.services.scheduling import ItemCancelled, ItemScheduled, ScheduleList, SessionMoved
from handlers import keyboards as kb
from handlers import schedule_texts as st
from handlers.common import Context, respond, services, stale, user_ref
from handlers.keyboards import parse_callback
from handlers.render import Reply, render
from storage.models import Audience, ItemStatus

SCHEDULE_BUTTONS = r"^(sc|se|sx|sn|sr|sy)(:|$)"
AUDIENCE_WORDS = {
    "everyone": Audience.EVERYONE,
    "all": Audience.EVERYONE,
    "non-responders": Audience.NON_RESPONDERS,
    "nonresponders": Audience.NON_RESPONDERS,
    "non_responders": Audience.NON_RESPONDERS,
    "silent": Audience.NON_RESPONDERS,
    "rapporteurs": Audience.RAPPORTEURS,
    "rapporteur": Audience.RAPPORTEURS,
}
_CHAT_REF = re.compile(r"^(-?\d{5,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")


async def remind(update: Update, context: Context) -> None:
    """/remind alone starts the wizard; /remind CODE [audience] <when> | <text> schedules at once."""
    user = user_ref(update.effective_user)
    words = _arguments(update).split(maxsplit=1)
    if not words:
        await _show(update, context, lambda: services(context).schedule_flows.begin_remind(user))
        return
    rest = words[1] if len(words) > 1 else ""
    first, _, after = rest.partition(" ")
    audience = AUDIENCE_WORDS.get(first.lower())
    phrase = after if audience is not None else rest
    if not phrase.strip():
        await _say(update, context, st.REMIND_USAGE)
        return
    await _show(update, context, lambda: services(context).scheduling.remind(user, words[0], audience or Audience.EVERYONE, phrase))


async def papers(update: Update, context: Context) -> None:
    user = user_ref(update.effective_user)
    ref = context.args[0] if context.args else None
    await _show(update, context, lambda: services(context).schedule_flows.begin_papers(user, ref))


async def deliver(update: Update, context: Context) -> None:
    """/deliver CODE <when> [latest|approved] [event] [to CHAT]…"""
    user = user_ref(update.effective_user)
    words = _arguments(update).split()
    if len(words) < 2:
        await _say(update, context, st.DELIVER_USAGE)
        return
    ref, source, whole_event, chat_refs, when_words = words[0], "approved", False, [], []
    index = 1
    while index < len(words):
        word = words[index].lower()
        if word in ("latest", "draft"):
            source = "latest"
        elif word == "approved":
            source = "approved"
        elif word == "event":
            whole_event = True
        elif word == "to" and index + 1 < len(words) and _CHAT_REF.match(words[index + 1]):
            chat_refs.append(words[index + 1])
            index += 1
        else:
            when_words.append(words[index])
        index += 1
    if not when_words:
        await _say(update, context, st.DELIVER_USAGE)
        return
    organising = services(context).organising
    if chat_refs and not await organising.is_organiser(user):  # don't probe chats for non-organisers
        chat_refs = []
    chats = []
    for chat_ref in chat_refs:
        try:
            chats.append((await context.bot.get_chat(int(chat_ref) if chat_ref.lstrip("-").isdigit() else chat_ref)).id)
        except TelegramError as exc:
            await _say(update, context, st.chat_unreachable(chat_ref, exc.message))
            return
    scheduling = services(context).scheduling
    await _show(
        update,
        context,
        lambda: scheduling.schedule_report(
            user,
            ref,
            " ".join(when_words),
            source=source,
            chats=tuple(chats),
            whole_event=whole_event,  # type: ignore[arg-type]
        ),
    )


async def schedule(update: Update, context: Context) -> None:
    user = user_ref(update.effective_user)
    await _show(update, context, lambda: services(context).scheduling.list_items(user))


async def move(update: Update, context: Context) -> None:
    """/move CODE 2026-02-11 10:00"""
    words = _arguments(update).split(maxsplit=1)
    if len(words) < 2:
        await _say(update, context, st.MOVE_USAGE)
        return
    user = user_ref(update.effective_user)
    await _show(update, context, lambda: services(context).scheduling.move_session(user, words[0], words[1]))


async def paper_file(update: Update, context: Context) -> None:
    """A document sent while /papers waits for files."""
    document = update.effective_message.document
    ref = DocumentRef(
        document.file_id, document.file_unique_id, document.file_name or "document", document.mime_type or "", document.file_size
    )
    user = user_ref(update.effective_user)
    await _show(update, context, lambda: services(context).schedule_flows.attach(user, ref))


async def button(update: Update, context: Context) -> None:
    callback = parse_callback(update.callback_query.data)
    user = user_ref(update.effective_user)
    number = callback.int_arg() if callback else None
    scheduling, flows = services(context).scheduling, services(context).schedule_flows
    if callback and callback.verb == "sc" and callback.arg:
        await _show(update, context, lambda: flows.choose(user, callback.arg or ""))
    elif callback and callback.verb == "se" and number is not None:
        await _show(update, context, lambda: flows.begin_change(user, number))
    elif callback and callback.verb == "sx" and number is not None:
        await _show(update, context, lambda: scheduling.cancel(user, number), edit=True)
    elif callback and callback.verb == "sn" and number is not None:
        await _show(update, context, lambda: scheduling.send_now(user, number), edit=True)
    elif callback and callback.verb == "sr" and callback.arg == "no":
        await _show(update, context, _declined, edit=True)
    elif callback and callback.verb == "sr" and number is not None:
        await _show(update, context, lambda: services(context).deliveries.ask_resend(user, number))
    elif callback and callback.verb == "sy" and number is not None:
        await _show(update, context, lambda: services(context).deliveries.resend(user, number), edit=True)
    else:
        await respond(update, context, stale)


# ----- rendering ----------------------------------------------------------------------------


def replies(outcome: object) -> list[Reply]:
    """Messages for scheduling outcomes; notices render as everywhere else."""
    match outcome:
        case AskTarget(purpose=purpose, options=options):
            return [Reply(st.ask_target(purpose), kb.options_keyboard(options, verb="sc", per_row=1))]
        case AskAudience(target=target):
            return [Reply(st.ask_audience(target), kb.options_keyboard(st.AUDIENCE_BUTTONS, verb="sc", per_row=1))]
        case AskWhen(purpose=purpose, target=target, item=item):
            return [Reply(st.ask_when(purpose, target, item), kb.cancel_keyboard())]
        case AskFiles(target=target):
            return [Reply(st.ask_files(target), kb.papers_done_keyboard())]
        case PaperAdded(file_name=name, count=count):
            return [Reply(st.paper_added(name, count), kb.papers_done_keyboard())]
        case ItemScheduled(item=item):
            return [Reply(st.scheduled(item), kb.schedule_item_keyboard(item.id))]
        case ScheduleList(items=items, more=more):
            cards = [Reply(st.item_card(i), kb.schedule_item_keyboard(i.id, missed=i.status is ItemStatus.MISSED)) for i in items]
            return [Reply(st.schedule_header(len(items), more)), *cards]
        case SessionMoved():
            return [Reply(st.session_moved(outcome))]
        case ItemCancelled(item=item):
            return [Reply(st.cancelled(item))]
        case ResendAsked(delivery_id=delivery_id):
            return [Reply(st.resend_question(outcome), kb.resend_confirm_keyboard(delivery_id))]
        case ResendStarted():
            return [Reply(st.resend_started(outcome))]
    return render(outcome, translator("en"))  # English until this module moves into the catalogue


class Declined:
    """The organiser said no to a resend."""


async def _declined() -> Declined:
    return Declined()


async def _show(update: Update, context: Context, action: Callable[[], Awaitable[Any]], *, edit: bool = False) -> None:
    """Run the use case through `respond` (refusals, toasts), with scheduling's own messages.

    With `edit`, a button's own message is updated in place (cancelled, or its buttons removed
    once used) so that it cannot be pressed twice.
    """
    query = update.callback_query

    async def run() -> object:
        outcome = await action()
        if edit and query is not None and not (isinstance(outcome, Notice) and outcome.key == "stale"):
            try:
                if isinstance(outcome, ItemCancelled):
                    await query.edit_message_text(st.cancelled(outcome.item))
                    return None
                if isinstance(outcome, Declined):
                    await query.edit_message_text(st.RESEND_DECLINED)
                    return None
                await query.edit_message_reply_markup(None)
            except BadRequest:  # too old to edit, or already without buttons: say it anew
                pass
        if isinstance(outcome, Notice) or outcome is None:
            return outcome
        return replies(outcome)  # sent by respond, after the commit, through the outbox

    await respond(update, context, run)


async def _say(update: Update, context: Context, text: str) -> None:
    await context.bot.send_message(update.effective_chat.id, text)


def _arguments(update: Update) -> str:
    """The text after the command, line breaks kept (context.args would lose them)."""
    text = update.effective_message.text or ""
    return text.partition(" ")[2] if " " in text.split("\n", 1)[0] else text.partition("\n")[2]
