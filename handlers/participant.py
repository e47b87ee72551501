"""Participants: joining, onboarding, answering, reviewing and editing their input, and the
language they are spoken to in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.services.outcomes import Notice
from bot.services.participation import Participation
from bot.services.views import MessageRef, UserRef
from handlers import menus
from handlers.common import Context, respond, services, stale, user_ref
from handlers.context import message_of, sender_of
from handlers.keyboards import Callback, parse_callback


async def start(update: Update, context: Context) -> None:
    """/start, or a deep link t.me/<bot>?start=<code> from the room's screen."""
    payload = context.args[0] if context.args else None
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).participation.start(user, payload))
    if payload is None:  # an agenda may have named them rapporteur by @username: their menu shows it
        await menus.refresh(context, user.telegram_id, only_roles=True)


async def join(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    code = context.args[0] if context.args else None
    if code is None:
        await respond(update, context, _needs_code)
        return
    await respond(update, context, lambda: services(context).participation.join(user, code))


async def _needs_code() -> Notice:
    return Notice("join_needs_code")


async def text(update: Update, context: Context) -> None:
    message = message_of(update)
    user = user_ref(sender_of(update))
    ref = MessageRef(message.chat_id, message.message_id)
    await respond(update, context, lambda: services(context).router.text(user, message.text or "", ref))


async def edited(update: Update, context: Context) -> None:
    """An answer edited in Telegram: the stored text follows; other edits are ignored quietly."""
    message = message_of(update)
    user = user_ref(sender_of(update))
    ref = MessageRef(message.chat_id, message.message_id)
    await respond(update, context, lambda: services(context).participation.edited_message(user, ref, message.text or ""))


async def non_text(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).router.non_text(user))


async def skip(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).router.skip(user))


async def cancel(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).participation.cancel(user))


async def my_input(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).participation.my_input(user))


async def sessions(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).participation.sessions(user))


async def profile(update: Update, context: Context) -> None:
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).participation.profile(user))


async def language(update: Update, context: Context) -> None:
    """/language: English or French, whatever the Telegram app's language."""
    user = user_ref(sender_of(update))
    await respond(update, context, lambda: services(context).languages.ask(user))


async def button(update: Update, context: Context) -> None:
    """Every participant button. Unknown or malformed data is answered as out of date."""
    query = update.callback_query
    user = user_ref(sender_of(update))
    callback = parse_callback(query.data if query else None)
    if callback is not None and callback.verb == "lg":
        await choose_language(update, context, user, callback.arg or "")
        return
    action = _action(services(context).participation, user, callback) if callback else None
    await respond(update, context, action or stale)


async def choose_language(update: Update, context: Context, user: UserRef, locale: str) -> None:
    """The person's choice of language; the confirmation and their command menu follow it."""
    await respond(update, context, lambda: services(context).languages.choose(user, locale))
    await menus.refresh(context, user.telegram_id)


def _action(p: Participation, user: UserRef, cb: Callback) -> Callable[[], Awaitable[object]] | None:
    """The use case a button stands for, if its data is well-formed."""
    n = cb.int_arg()
    match cb.verb:
        case "nx" if n is not None and cb.number is not None:
            position = cb.number
            return lambda: p.next_prompt(user, n, position)
        case "dn" if n is not None:
            return lambda: p.done(user, n)
        case "ag" if n is not None:
            return lambda: p.answer_again(user, n)
        case "mi":
            return lambda: p.my_input(user, n or 0)
        case "ed" if n is not None:
            return lambda: p.begin_edit(user, n)
        case "dl" if n is not None:
            return lambda: p.ask_delete(user, n)
        case "dy" if n is not None:
            return lambda: p.delete(user, n)
        case "cc":
            return lambda: p.cancel(user)
        case "sw" if n is not None:
            return lambda: p.switch(user, n)
        case "cs" if cb.arg in ("yes", "no"):
            return lambda: p.consent(user, cb.arg == "yes")
        case "nm":
            return lambda: p.use_telegram_name(user)
        case "cm" if cb.arg:
            return lambda: p.choose_community(user, cb.arg or "")
        case "pf" if cb.arg:
            return lambda: p.begin_profile_edit(user, cb.arg or "")
    return None
