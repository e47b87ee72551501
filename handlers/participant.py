"""Participants: joining, onboarding, answering, reviewing and editing their input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.services.participation import Participation
from bot.services.views import MessageRef, UserRef
from handlers import menus
from handlers.common import Context, respond, services, stale, user_ref
from handlers.keyboards import Callback, parse_callback


async def start(update: Update, context: Context) -> None:
    """/start, or a deep link t.me/<bot>?start=<code> from the room's screen."""
    payload = context.args[0] if context.args else None
    user = user_ref(update.effective_user)
    await respond(update, context, lambda: services(context).participation.start(user, payload))
    if payload is None:  # an agenda may have named them rapporteur by @username: their menu shows it
        roles = await services(context).organising.roles(user)
        if roles:
            await menus.publish(context.bot, user.telegram_id, roles)


async def join(update: Update, context: Context) -> None:
    if not context.args:
        await context.bot.send_message(update.effective_chat.id, "Send the session code with the command, e.g. <code>/join K7QX2M</code>.")
        return
    await respond(update, context, lambda: services(context).participation.join(user_ref(update.effective_user), context.args[0]))


async def text(update: Update, context: Context) -> None:
    message = update.effective_message
    ref = MessageRef(message.chat_id, message.message_id)
    await respond(update, context, lambda: services(context).participation.text(user_ref(update.effective_user), message.text, ref))


async def edited(update: Update, context: Context) -> None:
    """An answer edited in Telegram: the stored text follows; other edits are ignored quietly."""
    message = update.edited_message
    ref = MessageRef(message.chat_id, message.message_id)
    await respond(
        update, context, lambda: services(context).participation.edited_message(user_ref(update.effective_user), ref, message.text)
    )


async def non_text(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).participation.non_text(user_ref(update.effective_user)))


async def skip(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).participation.skip(user_ref(update.effective_user)))


async def cancel(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).participation.cancel(user_ref(update.effective_user)))


async def my_input(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).participation.my_input(user_ref(update.effective_user)))


async def sessions(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).participation.sessions(user_ref(update.effective_user)))


async def profile(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).participation.profile(user_ref(update.effective_user)))


async def button(update: Update, context: Context) -> None:
    """Every participant button. Unknown or malformed data is answered as out of date."""
    callback = parse_callback(update.callback_query.data)
    action = _action(services(context).participation, user_ref(update.effective_user), callback) if callback else None
    await respond(update, context, action or stale)


def _action(p: Participation, user: UserRef, cb: Callback) -> Callable[[], Awaitable[object]] | None:
    """The use case a button stands for, if its data is well-formed."""
    n = cb.int_arg()
    match cb.verb:
        case "nx" if n is not None and cb.number is not None:
            return lambda: p.next_prompt(user, n, cb.number)  # type: ignore[arg-type]
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
