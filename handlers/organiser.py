"""Organisers and moderators: creating events and sessions, running them, granting roles."""

from __future__ import annotations

import io

from telegram import Update

from bot.agenda import AgendaError
from bot.i18n import translator
from bot.services.access import NotAllowed
from bot.services.organising import RoleGranted, StatusChanged
from bot.services.outcomes import Notice
from bot.services.views import SessionView, UserRef
from handlers import menus, scheduling
from handlers import texts as t
from handlers.common import Context, answer, reader_translator, respond, send, services, stale, user_ref
from handlers.keyboards import manage_keyboard, parse_callback
from storage.models import SessionStatus

AGENDA_SUFFIXES = (".yaml", ".yml", ".txt")
MANAGE_LIMIT = 20  # one message per session with its buttons; more would flood the chat


async def new_event(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).wizards.begin_event(user_ref(update.effective_user)))


async def new_session(update: Update, context: Context) -> None:
    await respond(update, context, lambda: services(context).wizards.begin_session(user_ref(update.effective_user)))


async def agenda(update: Update, context: Context) -> None:
    """/agenda alone waits for a file or a pasted agenda; /agenda followed by YAML imports it at once."""
    user = user_ref(update.effective_user)
    message_text = update.effective_message.text or ""
    pasted = message_text.partition("\n")[2].strip()
    if pasted:
        await respond(update, context, lambda: _import(context, user, pasted))
    else:
        await respond(update, context, lambda: services(context).wizards.begin_agenda(user))


async def agenda_file(update: Update, context: Context) -> None:
    """A document: a background paper during /papers, an agenda if it looks like YAML; anything
    else is not something we take."""
    document = update.effective_message.document
    user = user_ref(update.effective_user)
    if await services(context).schedule_flows.is_attaching(user):
        await scheduling.paper_file(update, context)
        return
    name = (document.file_name or "").lower()
    if not name.endswith(AGENDA_SUFFIXES):
        await respond(update, context, lambda: services(context).participation.non_text(user))
        return
    if document.file_size and document.file_size > 256 * 1024:
        await context.bot.send_message(
            update.effective_chat.id,
            t.notice("agenda_error", {"error": "The agenda file is larger than 256 KB."}, await reader_translator(update, context)),
        )
        return

    async def run() -> object:
        if not await services(context).organising.can_create_events(user):
            raise NotAllowed("organiser")
        file = await document.get_file()
        content = bytes(await file.download_as_bytearray())
        return await _import(context, user, content)

    await respond(update, context, run)


async def _import(context: Context, user: UserRef, source: str | bytes) -> object:
    organising = services(context).organising
    try:
        result = await organising.import_agenda(user, source)
    except AgendaError as exc:
        return Notice("agenda_error", {"error": str(exc)})
    for telegram_id in result.changes.granted if result.changes else ():  # rapporteurs the bot already knew
        await menus.refresh(context, telegram_id)
    return result


async def manage(update: Update, context: Context) -> None:
    """An overview of the user's events with a panel per session."""
    user = user_ref(update.effective_user)
    chat_id = update.effective_chat.id
    try:
        overview = await services(context).organising.overview(user)
    except NotAllowed as refusal:
        await context.bot.send_message(
            chat_id, t.notice("not_allowed", {"needed": refusal.needed}, await reader_translator(update, context))
        )
        return
    if not overview.events:
        await context.bot.send_message(chat_id, t.notice("no_events", {}, await reader_translator(update, context)))
        return
    for event in overview.events:
        lines = [f"<b>{t.esc(event.title)}</b>"]
        if not event.sessions:
            lines.append("No sessions yet — /newsession.")
        await context.bot.send_message(chat_id, "\n".join(lines))
        for session in event.sessions[:MANAGE_LIMIT]:
            members = overview.members.get(session.id, 0)
            answers = overview.answers.get(session.id, 0)
            await context.bot.send_message(
                chat_id,
                _session_line(session, members, answers),
                reply_markup=manage_keyboard(session, await reader_translator(update, context)),
            )
        if len(event.sessions) > MANAGE_LIMIT:
            rest = ", ".join(f"<code>{s.join_code}</code>" for s in event.sessions[MANAGE_LIMIT:])
            await context.bot.send_message(
                chat_id, f"…and {len(event.sessions) - MANAGE_LIMIT} more sessions: {rest}. Use /open CODE, /close CODE, /link CODE."
            )


def _session_line(session: SessionView, members: int, answers: int) -> str:
    when = t.local_time(session.starts_at, session.timezone)
    details = " · ".join(p for p in (when, t.esc(session.track)) if p)
    return (
        f"<code>{session.join_code}</code> <b>{t.esc(session.title)}</b>\n"
        f"{session.status.value} · {members} joined · {answers} answers" + (f"\n{details}" if details else "")
    )


async def open_session(update: Update, context: Context) -> None:
    await _set_status(update, context, context.args[0] if context.args else None, SessionStatus.OPEN)


async def close_session(update: Update, context: Context) -> None:
    await _set_status(update, context, context.args[0] if context.args else None, SessionStatus.CLOSED)


async def _set_status(update: Update, context: Context, ref: str | int | None, status: SessionStatus) -> None:
    if ref is None:
        await context.bot.send_message(
            update.effective_chat.id,
            f"Which session? Send <code>/{'open' if status is SessionStatus.OPEN else 'close'} CODE</code>, or use /manage.",
        )
        return
    user = user_ref(update.effective_user)
    result: list[object] = []

    async def run() -> object:
        outcome = await services(context).organising.set_status(user, ref, status)
        result.append(outcome)
        return outcome

    await respond(update, context, run)
    if result and isinstance(result[0], StatusChanged) and result[0].waiting:
        context.application.create_task(_send_first_prompts(context, result[0].waiting), update=update)


async def _send_first_prompts(context: Context, telegram_ids: tuple[int, ...]) -> None:
    """Participants who joined before the session opened get their first question now."""
    participation = services(context).participation
    for telegram_id in telegram_ids:
        outcome = await participation.start(UserRef(telegram_id), None)
        await send(context, telegram_id, outcome, translator(await services(context).languages.locale_of(telegram_id, None)))


async def link(update: Update, context: Context) -> None:
    if not context.args:
        await context.bot.send_message(update.effective_chat.id, "Which session? Send <code>/link CODE</code>, or use /manage.")
        return
    await _send_link(update, context, context.args[0])


async def _send_link(update: Update, context: Context, ref: str | int) -> None:
    chat_id = update.effective_chat.id
    try:
        found = await services(context).organising.session_for_manager(user_ref(update.effective_user), ref)
    except NotAllowed as refusal:
        if update.callback_query is not None:
            await answer(
                update, context, t.notice("not_allowed", {"needed": refusal.needed}, await reader_translator(update, context)), alert=True
            )
        else:
            await context.bot.send_message(
                chat_id, t.notice("not_allowed", {"needed": refusal.needed}, await reader_translator(update, context))
            )
        return
    if isinstance(found, Notice):
        await send(context, chat_id, found, await reader_translator(update, context))
        return
    await answer(update, context)
    url = f"https://t.me/{context.bot.username}?start={found.join_code}"
    png = io.BytesIO()
    import segno  # here: the QR code library is not loaded by a bot that shows none

    segno.make(url, error="m").save(png, kind="png", scale=12, border=2)
    caption = (
        f"<b>{t.esc(found.title)}</b>\nScan to join, or open {url}\nor send <code>/join {found.join_code}</code> to @{context.bot.username}"
    )
    await context.bot.send_photo(chat_id, png.getvalue(), caption=caption)


async def grant(update: Update, context: Context) -> None:
    await _role_command(update, context, revoke=False)


async def revoke(update: Update, context: Context) -> None:
    await _role_command(update, context, revoke=True)


async def _role_command(update: Update, context: Context, *, revoke: bool) -> None:
    args = context.args or []
    if len(args) != 3:
        verb = "revoke" if revoke else "grant"
        await context.bot.send_message(
            update.effective_chat.id,
            f"Usage: <code>/{verb} CODE rapporteur|moderator|organiser @username</code> (or their Telegram id).",
        )
        return
    organising = services(context).organising
    user = user_ref(update.effective_user)
    action = organising.revoke if revoke else organising.grant
    outcome: list[object] = []

    async def run() -> object:
        outcome.append(await action(user, args[0], args[1], args[2]))
        return outcome[0]

    await respond(update, context, run)
    if outcome and isinstance(outcome[0], RoleGranted):  # their menu shows the role's commands at once
        grantee = outcome[0].telegram_id
        await menus.refresh(context, grantee)


async def button(update: Update, context: Context) -> None:
    """Wizard choices (wz:) and session panel buttons (op:, cl:, lk:)."""
    callback = parse_callback(update.callback_query.data)
    user = user_ref(update.effective_user)
    session_id = callback.int_arg() if callback else None
    if callback and callback.verb == "wz" and callback.arg:
        await respond(update, context, lambda: services(context).wizards.choose(user, callback.arg or ""))
    elif callback and callback.verb in ("op", "cl") and session_id is not None:
        status = SessionStatus.OPEN if callback.verb == "op" else SessionStatus.CLOSED
        await _set_status(update, context, session_id, status)
    elif callback and callback.verb == "lk" and session_id is not None:
        await _send_link(update, context, session_id)
    else:
        await respond(update, context, stale)
