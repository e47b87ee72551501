"""Organisers: /remind, /papers, /deliver, /schedule and /move, and their buttons.

Parsing stays here (commands and their words); rules, times and roles are the services'. Every
use case returns a typed outcome; this module registers how each one reads (`@render.register`),
and `respond` stores the replies in the outbox and sends them, like every other reply. The
scheduler's own messages to organisers (missed items, delivery summaries) render here too.
Buttons and their data: see handlers.schedule_keyboards.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.i18n import Translator
from bot.services.deliveries import DeliveryReport, Missed, ResendAsked, ResendStarted
from bot.services.outcomes import Notice
from bot.services.schedule_flows import AskAudience, AskFiles, AskTarget, AskWhen, DocumentRef, PaperAdded
from bot.services.schedule_items import when_text
from bot.services.scheduling import (
    ItemCancelled,
    ItemScheduled,
    Rescheduled,
    ScheduleHint,
    ScheduleList,
    SendingNow,
    SessionMoved,
    TimePassed,
    TooManyPapers,
    WhenUnclear,
    WhenUnreadable,
    WizardScheduled,
)
from bot.services.views import UserRef
from handlers import schedule_keyboards as kb
from handlers import schedule_texts as st
from handlers.common import Context, reader_translator, respond, services, stale, user_ref
from handlers.keyboards import parse_callback
from handlers.render import Reply, render
from handlers.texts import esc
from storage.models import Audience, ItemStatus

SCHEDULE_BUTTONS = r"^(sc|se|sx|sn|sr|sy)(:|$)"
AUDIENCE_WORDS = {  # i18n: not shown (command words, in English and French)
    "everyone": Audience.EVERYONE,
    "all": Audience.EVERYONE,
    "tous": Audience.EVERYONE,
    "non-responders": Audience.NON_RESPONDERS,
    "nonresponders": Audience.NON_RESPONDERS,
    "non_responders": Audience.NON_RESPONDERS,
    "silent": Audience.NON_RESPONDERS,
    "rapporteurs": Audience.RAPPORTEURS,
    "rapporteur": Audience.RAPPORTEURS,
}
_CHAT_REF = re.compile(r"^(-?\d{5,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")


@dataclass(frozen=True, slots=True)
class Usage:
    """A command given without what it needs: how to write it."""

    command: Literal["remind", "deliver", "move"]


@dataclass(frozen=True, slots=True)
class ChatUnreachable:
    """/deliver … to CHAT, for a chat the bot cannot reach: nothing was scheduled."""

    ref: str
    reason: str


@dataclass(frozen=True, slots=True)
class ResendDeclined:
    """The organiser said no to a resend."""


# Outcomes of a button press shown by editing the pressed message (so it cannot be pressed twice).
IN_PLACE = (ItemCancelled, ResendDeclined)


async def remind(update: Update, context: Context) -> None:
    """/remind alone starts the wizard; /remind CODE [audience] <when> | <text> schedules at once."""
    user = _user(update)
    words = _arguments(update).split(maxsplit=1)
    if not words:
        await respond(update, context, lambda: services(context).schedule_flows.begin_remind(user))
        return
    rest = words[1] if len(words) > 1 else ""
    first, _, after = rest.partition(" ")
    audience = AUDIENCE_WORDS.get(first.lower())
    phrase = after if audience is not None else rest
    if not phrase.strip():
        await respond(update, context, _returning(Usage("remind")))
        return
    await respond(update, context, lambda: services(context).scheduling.remind(user, words[0], audience or Audience.EVERYONE, phrase))


async def papers(update: Update, context: Context) -> None:
    user = _user(update)
    ref = context.args[0] if context.args else None
    await respond(update, context, lambda: services(context).schedule_flows.begin_papers(user, ref))


async def deliver(update: Update, context: Context) -> None:
    """/deliver CODE <when> [latest|approved] [event] [to CHAT]…"""
    user = _user(update)
    words = _arguments(update).split()
    if len(words) < 2:
        await respond(update, context, _returning(Usage("deliver")))
        return
    ref, source, whole_event = words[0], "approved", False
    chat_refs: list[str] = []
    when_words: list[str] = []
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
        await respond(update, context, _returning(Usage("deliver")))
        return
    organising = services(context).organising
    if chat_refs and not await organising.is_organiser(user):  # don't probe chats for non-organisers
        chat_refs = []
    chats = []
    for chat_ref in chat_refs:
        try:
            chats.append((await context.bot.get_chat(int(chat_ref) if chat_ref.lstrip("-").isdigit() else chat_ref)).id)
        except TelegramError as exc:
            await respond(update, context, _returning(ChatUnreachable(chat_ref, exc.message)))
            return
    scheduling = services(context).scheduling
    await respond(
        update,
        context,
        lambda: scheduling.schedule_report(
            user,
            ref,
            " ".join(when_words),
            source="latest" if source == "latest" else "approved",
            chats=tuple(chats),
            whole_event=whole_event,
        ),
    )


async def schedule(update: Update, context: Context) -> None:
    user = _user(update)
    await respond(update, context, lambda: services(context).scheduling.list_items(user))


async def move(update: Update, context: Context) -> None:
    """/move CODE 2026-02-11 10:00"""
    words = _arguments(update).split(maxsplit=1)
    if len(words) < 2:
        await respond(update, context, _returning(Usage("move")))
        return
    user = _user(update)
    await respond(update, context, lambda: services(context).scheduling.move_session(user, words[0], words[1]))


async def paper_file(update: Update, context: Context) -> None:
    """A document sent while /papers waits for files."""
    document = _message(update).document
    if document is None:
        return
    ref = DocumentRef(
        document.file_id, document.file_unique_id, document.file_name or "document", document.mime_type or "", document.file_size
    )
    user = _user(update)
    await respond(update, context, lambda: services(context).schedule_flows.attach(user, ref))


async def button(update: Update, context: Context) -> None:
    query = update.callback_query
    callback = parse_callback(query.data if query is not None else None)
    user = _user(update)
    number = callback.int_arg() if callback else None
    scheduling, flows, deliveries = services(context).scheduling, services(context).schedule_flows, services(context).deliveries
    if callback and callback.verb == "sc" and callback.arg:
        choice = callback.arg
        await respond(update, context, lambda: flows.choose(user, choice))
    elif callback and callback.verb == "se" and number is not None:
        await respond(update, context, lambda: flows.begin_change(user, number))
    elif callback and callback.verb == "sx" and number is not None:
        await _pressed(update, context, lambda: scheduling.cancel(user, number))
    elif callback and callback.verb == "sn" and number is not None:
        await _pressed(update, context, lambda: scheduling.send_now(user, number))
    elif callback and callback.verb == "sr" and callback.arg == "no":
        await _pressed(update, context, _returning(ResendDeclined()))
    elif callback and callback.verb == "sr" and number is not None:
        await respond(update, context, lambda: deliveries.ask_resend(user, number))
    elif callback and callback.verb == "sy" and number is not None:
        await _pressed(update, context, lambda: deliveries.resend(user, number))
    else:
        await respond(update, context, stale)


async def _pressed(update: Update, context: Context, action: Callable[[], Awaitable[object]]) -> None:
    """A button that acts once: its message loses its buttons, or (cancelled, declined) turns
    into the outcome itself once the change is committed; a message too old to edit gets the
    outcome as a new message instead. A stale press changes nothing (a toast says so)."""
    query = update.callback_query
    outcomes: list[object] = []

    async def run() -> object:
        outcome = await action()
        outcomes.append(outcome)
        if query is None or _is_stale(outcome):
            return outcome
        if isinstance(outcome, IN_PLACE):
            return None  # shown by editing the pressed message, after the commit
        await _drop_buttons(query)
        return outcome

    await respond(update, context, run)
    if query is None or not outcomes or not isinstance(outcomes[0], IN_PLACE):
        return
    shown = outcomes[0]
    try:
        await query.edit_message_text(render(shown, await reader_translator(update, context))[0].text)
    except BadRequest:  # too old to edit: say it anew
        await respond(update, context, _returning(shown))


async def _drop_buttons(query: CallbackQuery) -> None:
    with contextlib.suppress(BadRequest):  # too old to edit, or already without buttons
        await query.edit_message_reply_markup(None)


def _is_stale(outcome: object) -> bool:
    return isinstance(outcome, Notice) and outcome.key == "stale"


def _returning(outcome: object) -> Callable[[], Awaitable[object]]:
    async def action() -> object:
        return outcome

    return action


def _user(update: Update) -> UserRef:
    user = update.effective_user
    if user is None:
        raise RuntimeError("a scheduling command without a user")  # PTB routes only users' updates here
    return user_ref(user)


def _message(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise RuntimeError("a scheduling command without a message")
    return message


def _arguments(update: Update) -> str:
    """The text after the command, line breaks kept (context.args would lose them)."""
    text = _message(update).text or ""
    return text.partition(" ")[2] if " " in text.split("\n", 1)[0] else text.partition("\n")[2]


# ----- rendering: every scheduling outcome, in the reader's language --------------------------


@render.register
def _ask_target(outcome: AskTarget, tr: Translator) -> list[Reply]:
    return [Reply(st.ask_target(outcome.purpose, tr), kb.targets_keyboard(outcome.options, tr))]


@render.register
def _ask_audience(outcome: AskAudience, tr: Translator) -> list[Reply]:
    return [Reply(st.ask_audience(outcome.target, tr), kb.audience_keyboard(tr))]


@render.register
def _ask_when(outcome: AskWhen, tr: Translator) -> list[Reply]:
    return [Reply(st.ask_when(outcome.purpose, outcome.target, outcome.item, tr), kb.cancel_keyboard(tr))]


@render.register
def _ask_files(outcome: AskFiles, tr: Translator) -> list[Reply]:
    return [Reply(st.ask_files(outcome.target, tr), kb.papers_done_keyboard(tr))]


@render.register
def _paper_added(outcome: PaperAdded, tr: Translator) -> list[Reply]:
    return [Reply(st.paper_added(outcome.file_name, outcome.count, tr), kb.papers_done_keyboard(tr))]


@render.register
def _item_scheduled(outcome: ItemScheduled, tr: Translator) -> list[Reply]:
    return [Reply(st.scheduled(outcome.item, tr), kb.item_keyboard(outcome.item.id, tr))]


@render.register
def _wizard_scheduled(outcome: WizardScheduled, tr: Translator) -> list[Reply]:
    return [Reply(st.created(outcome.item, tr))]


@render.register
def _schedule_list(outcome: ScheduleList, tr: Translator) -> list[Reply]:
    cards = [Reply(st.item_card(i, tr), kb.item_keyboard(i.id, tr, missed=i.status is ItemStatus.MISSED)) for i in outcome.items]
    return [Reply(st.schedule_header(len(outcome.items), outcome.more, tr)), *cards]


@render.register
def _session_moved(outcome: SessionMoved, tr: Translator) -> list[Reply]:
    return [Reply(st.session_moved(outcome, tr))]


@render.register
def _item_cancelled(outcome: ItemCancelled, tr: Translator) -> list[Reply]:
    return [Reply(st.cancelled(outcome.item, tr))]


@render.register
def _resend_asked(outcome: ResendAsked, tr: Translator) -> list[Reply]:
    return [Reply(st.resend_question(outcome, tr), kb.resend_confirm_keyboard(outcome.delivery_id, tr))]


@render.register
def _resend_started(outcome: ResendStarted, tr: Translator) -> list[Reply]:
    return [Reply(st.resend_started(outcome, tr))]


@render.register
def _resend_declined(outcome: ResendDeclined, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.RESEND_DECLINED))]


@render.register
def _usage(outcome: Usage, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.USAGE[outcome.command]).format(examples=tr.gettext(st.WHEN_EXAMPLES)))]


@render.register
def _chat_unreachable(outcome: ChatUnreachable, tr: Translator) -> list[Reply]:
    return [Reply(st.chat_unreachable(outcome.ref, outcome.reason, tr))]


@render.register
def _hint(outcome: ScheduleHint, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.HINTS[outcome.key]))]


@render.register
def _when_unreadable(outcome: WhenUnreadable, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.WHEN_UNREADABLE).format(error=outcome.error.text(tr, esc)))]


@render.register
def _time_passed(outcome: TimePassed, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.TIME_PASSED).format(when=esc(when_text(outcome.when, outcome.target, tr))))]


@render.register
def _when_unclear(outcome: WhenUnclear, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.WHEN_UNCLEAR).format(phrase=esc(outcome.phrase), examples=tr.gettext(st.WHEN_EXAMPLES)))]


@render.register
def _rescheduled(outcome: Rescheduled, tr: Translator) -> list[Reply]:
    when = when_text(outcome.when, outcome.target, tr)
    return [Reply(tr.gettext(st.RESCHEDULED).format(target=esc(outcome.target.title), when=esc(when)))]


@render.register
def _sending_now(outcome: SendingNow, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.SENDING_NOW).format(target=esc(outcome.target.title)))]


@render.register
def _too_many_papers(outcome: TooManyPapers, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(st.TOO_MANY_PAPERS).format(limit=outcome.limit))]


@render.register
def _missed(outcome: Missed, tr: Translator) -> list[Reply]:
    """To the organiser who scheduled it: an item the bot could not send on time."""
    markup = None if outcome.item.recurring else kb.item_keyboard(outcome.item.id, tr, missed=True)
    return [Reply(st.missed_notice(outcome, tr), markup)]


@render.register
def _delivery_summary(outcome: DeliveryReport, tr: Translator) -> list[Reply]:
    """The organiser's delivery summary, paged; the resend button under the last page."""
    pages = st.delivery_summary_pages(outcome, tr)
    resend = kb.resend_keyboard(outcome.delivery_id, outcome.unconfirmed, tr) if outcome.unconfirmed else None
    return [Reply(page, resend if number == len(pages) else None) for number, page in enumerate(pages, start=1)]
