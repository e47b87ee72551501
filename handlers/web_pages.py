"""The chat side of the web pages: /screen links for the room's projector, taking statements
off the screen, and the buttons that open the rapporteur's editor as a Telegram Mini App."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update, WebAppInfo

from bot.services.access import NotAllowed
from bot.services.views import UserRef
from handlers import texts as chat_texts
from handlers.common import Context, answer, reader_translator, services, user_ref
from handlers.keyboards import parse_callback
from web import texts as t

SCREEN_BUTTONS = r"^(sl|sh)(:|$)"
PREVIEW = 48


def _public_url(context: Context) -> str | None:
    settings = services(context).settings
    return settings.public_url if settings.web_enabled else None


def with_editor(context: Context, markup: Markup, session_id: int) -> Markup:
    """`markup` with a first row that opens the report editor in Telegram, when the web pages run."""
    base = _public_url(context)
    if base is None:
        return markup
    button = Button(t.BUTTON_OPEN_EDITOR, web_app=WebAppInfo(url=f"{base}/app/editor/{session_id}"))
    return Markup([[button], *markup.inline_keyboard])


async def screen(update: Update, context: Context) -> None:
    """/screen CODE [revoke|recent]: a read-only room-screen link, revoking links, or moderation."""
    assert update.effective_chat is not None and update.effective_user is not None
    chat_id = update.effective_chat.id
    args = context.args or []
    mode = args[1].lower() if len(args) == 2 else ""
    if not args or len(args) > 2 or mode not in ("", "revoke", "recent"):
        await context.bot.send_message(chat_id, t.CHAT_SCREEN_USAGE)
        return
    base = _public_url(context)
    if base is None:
        await context.bot.send_message(chat_id, t.CHAT_SCREEN_DISABLED)
        return
    screens = services(context).screens
    user = user_ref(update.effective_user)
    try:
        if mode == "revoke":
            title, count = await screens.revoke(user, args[0])
            await context.bot.send_message(chat_id, t.CHAT_SCREEN_REVOKED.format(count=count, title=chat_texts.esc(title)))
        elif mode == "recent":
            await _recent(context, chat_id, user, args[0])
        else:
            link = await screens.issue(user, args[0])
            keyboard = Markup(
                [
                    [Button(t.BUTTON_MODERATE, web_app=WebAppInfo(url=f"{base}/app/moderate/{link.session_id}"))],
                    [Button(t.BUTTON_RECENT, callback_data=f"sl:{link.session_id}")],
                ]
            )
            text = t.CHAT_SCREEN_LINK.format(title=chat_texts.esc(link.title), url=f"{base}/screen/{link.token}", code=link.join_code)
            await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    except NotAllowed as refusal:
        await context.bot.send_message(
            chat_id, chat_texts.notice("not_allowed", {"needed": refusal.needed}, await reader_translator(update, context))
        )
    except LookupError:
        await context.bot.send_message(
            chat_id, chat_texts.notice("unknown_session", {"ref": args[0][:32]}, await reader_translator(update, context))
        )


async def _recent(context: Context, chat_id: int, user: UserRef, ref: str | int) -> None:
    text, markup = await _recent_list(context, user, ref)
    await context.bot.send_message(chat_id, text, reply_markup=markup)


async def _recent_list(context: Context, user: UserRef, ref: str | int) -> tuple[str, Markup | None]:
    """The newest statements as buttons: 🙈 takes one off the screen, 👁 puts it back."""
    session_id, title, statements = await services(context).screens.moderation_list(user, ref)
    if not statements:
        return t.CHAT_SCREEN_RECENT_EMPTY.format(title=chat_texts.esc(title)), None
    rows = []
    for statement in statements:
        preview = statement.text if len(statement.text) <= PREVIEW else statement.text[: PREVIEW - 1] + "…"
        mark, show = ("🙈", 0) if statement.on_screen else ("👁", 1)
        rows.append(
            [
                Button(
                    f"{mark} #{statement.contribution_id} {preview}",
                    callback_data=f"sh:{session_id}:{statement.contribution_id * 10 + show}",
                )
            ]
        )
    return t.CHAT_SCREEN_RECENT.format(title=chat_texts.esc(title)), Markup(rows)


async def button(update: Update, context: Context) -> None:
    """sl:SESSION lists the newest statements; sh:SESSION:(id*10 + show) hides or shows one."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None and update.effective_user is not None
    callback = parse_callback(query.data)
    user = user_ref(update.effective_user)
    session_id = callback.int_arg() if callback else None
    if callback is None or session_id is None or (callback.verb == "sh" and callback.number is None):
        await answer(update, context, chat_texts.notice("stale", {}, await reader_translator(update, context)))
        return
    try:
        if callback.verb == "sl":
            await _recent(context, update.effective_chat.id, user, session_id)  # answered after: a refusal is the answer
            return
        assert callback.number is not None
        contribution_id, show = divmod(callback.number, 10)
        await services(context).screens.set_on_screen(user, contribution_id, bool(show))
        await answer(update, context, (t.CHAT_SCREEN_SHOWN_TOAST if show else t.CHAT_SCREEN_HIDDEN_TOAST).format(id=contribution_id))
        text, markup = await _recent_list(context, user, session_id)
        await query.edit_message_text(text, reply_markup=markup)
    except NotAllowed as refusal:
        await answer(
            update,
            context,
            chat_texts.notice("not_allowed", {"needed": refusal.needed}, await reader_translator(update, context)),
            alert=True,
        )
    except LookupError:
        await answer(update, context, chat_texts.notice("stale", {}, await reader_translator(update, context)))
