"""The chat side of the web pages: /screen links for the room's projector, taking statements
off the screen, and the buttons that open the rapporteur's editor as a Telegram Mini App.

Replies go the one way: each command's outcome is rendered by `render` (registered here) in the
reader's language and sent by `respond`. A press on a statement in the moderation list changes
that list in place (its buttons must show the new state), rendered the same way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update, WebAppInfo
from telegram.error import BadRequest

from bot.i18n import Translator, translator
from bot.services.access import NotAllowed
from bot.services.outcomes import Notice
from bot.services.screen import LinksRevoked, ModerationList, ScreenLink
from handlers import texts as chat_texts
from handlers.common import Context, answer, reader_translator, respond, services, user_ref
from handlers.keyboards import parse_callback
from handlers.render import Reply, render
from web import texts as t

SCREEN_BUTTONS = r"^(sl|sh)(:|$)"
PREVIEW = 48


@dataclass(frozen=True, slots=True)
class ScreenUsage:
    """/screen without a code, or with an unknown mode."""


@dataclass(frozen=True, slots=True)
class WebPagesOff:
    """The operator has not turned the web pages on (PUBLIC_URL, WEB_PORT)."""


@dataclass(frozen=True, slots=True)
class ScreenLinkShown:
    link: ScreenLink
    base_url: str


def _public_url(context: Context) -> str | None:
    settings = services(context).settings
    return settings.public_url if settings.web_enabled else None


def editor_button(base_url: str, session_id: int, tr: Translator) -> Button:
    return Button(tr.gettext(t.BUTTON_OPEN_EDITOR), web_app=WebAppInfo(url=f"{base_url}/app/editor/{session_id}"))


def with_editor(context: Context, markup: Markup, session_id: int, tr: Translator | None = None) -> Markup:
    """`markup` with a first row that opens the report editor in Telegram, when the web pages
    run; the button speaks `tr`'s language (callers pass the reader's; None is English)."""
    base = _public_url(context)
    if base is None:
        return markup
    return Markup([[editor_button(base, session_id, tr or translator(None))], *markup.inline_keyboard])


async def screen(update: Update, context: Context) -> None:
    """/screen CODE [revoke|recent]: a read-only room-screen link, revoking links, or moderation."""
    user = update.effective_user
    if user is None:
        return
    args = context.args or []
    mode = args[1].lower() if len(args) == 2 else ""
    base = _public_url(context)
    screens = services(context).screens

    async def action() -> object:
        if not args or len(args) > 2 or mode not in ("", "revoke", "recent"):
            return ScreenUsage()
        if base is None:
            return WebPagesOff()
        try:
            if mode == "revoke":
                return await screens.revoke(user_ref(user), args[0])
            if mode == "recent":
                return await screens.moderation_list(user_ref(user), args[0])
            return ScreenLinkShown(await screens.issue(user_ref(user), args[0]), base)
        except LookupError:
            return Notice("unknown_session", {"ref": args[0][:32]})

    await respond(update, context, action)


async def button(update: Update, context: Context) -> None:
    """sl:SESSION lists the newest statements; sh:SESSION:(id*10 + show) hides or shows one."""
    query, sender = update.callback_query, update.effective_user
    if query is None or sender is None:
        return
    callback = parse_callback(query.data)
    user = user_ref(sender)
    session_id = callback.int_arg() if callback else None
    screens = services(context).screens
    if callback is None or session_id is None or (callback.verb == "sh" and callback.number is None):
        await respond(update, context, _stale)
        return
    if callback.verb == "sl":

        async def listing() -> object:
            try:
                return await screens.moderation_list(user, session_id)
            except LookupError:
                return Notice("stale")

        await respond(update, context, listing)
        return
    assert callback.number is not None
    contribution_id, show = divmod(callback.number, 10)
    tr = await reader_translator(update, context)
    try:
        await screens.set_on_screen(user, contribution_id, bool(show))
        current = await screens.moderation_list(user, session_id)
    except NotAllowed as refusal:
        await answer(update, context, chat_texts.notice("not_allowed", {"needed": refusal.needed}, tr), alert=True)
        return
    except LookupError:
        await answer(update, context, chat_texts.notice("stale", {}, tr))
        return
    toast = t.CHAT_SCREEN_SHOWN_TOAST if show else t.CHAT_SCREEN_HIDDEN_TOAST
    await answer(update, context, tr.gettext(toast).format(id=contribution_id))
    await _replace(update, render(current, tr)[0])


async def _stale() -> Notice:
    return Notice("stale")


async def _replace(update: Update, reply: Reply) -> None:
    """The pressed list becomes the new list (the buttons show what is on the screen now)."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(BadRequest):  # unchanged (pressed twice) or too old to edit: the toast said it
        await query.edit_message_text(reply.text, reply_markup=reply.markup)


# ----- rendering ---------------------------------------------------------------------------


@render.register
def _usage(outcome: ScreenUsage, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(t.CHAT_SCREEN_USAGE))]


@render.register
def _off(outcome: WebPagesOff, tr: Translator) -> list[Reply]:
    return [Reply(tr.gettext(t.CHAT_SCREEN_DISABLED))]


@render.register
def _link(outcome: ScreenLinkShown, tr: Translator) -> list[Reply]:
    link, base = outcome.link, outcome.base_url
    keyboard = Markup(
        [
            [Button(tr.gettext(t.BUTTON_MODERATE), web_app=WebAppInfo(url=f"{base}/app/moderate/{link.session_id}"))],
            [Button(tr.gettext(t.BUTTON_RECENT), callback_data=f"sl:{link.session_id}")],
        ]
    )
    text = tr.gettext(t.CHAT_SCREEN_LINK).format(title=chat_texts.esc(link.title), url=f"{base}/screen/{link.token}", code=link.join_code)
    return [Reply(text, keyboard)]


@render.register
def _revoked(outcome: LinksRevoked, tr: Translator) -> list[Reply]:
    text = tr.ngettext(
        "🔒 {count} screen link of <b>{title}</b> revoked; screens using it stop within seconds.",
        "🔒 {count} screen links of <b>{title}</b> revoked; screens using them stop within seconds.",
        outcome.count,
    )
    return [Reply(text.format(count=outcome.count, title=chat_texts.esc(outcome.title)))]


@render.register
def _moderation_list(outcome: ModerationList, tr: Translator) -> list[Reply]:
    """The newest statements as buttons: 🙈 takes one off the screen, 👁 puts it back."""
    title = chat_texts.esc(outcome.title)
    if not outcome.statements:
        return [Reply(tr.gettext(t.CHAT_SCREEN_RECENT_EMPTY).format(title=title))]
    rows = []
    for statement in outcome.statements:
        preview = statement.text if len(statement.text) <= PREVIEW else statement.text[: PREVIEW - 1] + "…"
        mark, show = ("🙈", 0) if statement.on_screen else ("👁", 1)
        data = f"sh:{outcome.session_id}:{statement.contribution_id * 10 + show}"
        rows.append([Button(f"{mark} #{statement.contribution_id} {preview}", callback_data=data)])
    return [Reply(tr.gettext(t.CHAT_SCREEN_RECENT).format(title=title), Markup(rows))]
