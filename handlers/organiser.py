"""Organisers and moderators: creating events and sessions, running them, granting roles.

Every reply is an outcome rendered in the reader's language (handlers/organiser_texts.py) and
sent through `respond`; only the QR code goes out as a photo of its own.
"""

from __future__ import annotations

import io

from telegram import Document, Update

from bot.agenda import AgendaError, too_large
from bot.i18n import translator
from bot.services.access import NotAllowed
from bot.services.organising import ORGANISER, AgendaProblem, EventCreated, RoleGranted, StatusChanged
from bot.services.outcomes import Notice
from bot.services.router import Routed
from bot.services.views import SessionView, UserRef
from bot.services.wizards import WIZARD_FLOWS
from handlers import menus, scheduling
from handlers.common import Context, reader_translator, respond, send, services, stale, user_ref
from handlers.context import message_of, sender_of
from handlers.keyboards import parse_callback
from handlers.organiser_texts import Usage, qr_caption
from storage.models import SessionStatus

AGENDA_SUFFIXES = (".yaml", ".yml", ".txt")
MAX_AGENDA_FILE = 256 * 1024


def _user(update: Update) -> UserRef:
    return user_ref(sender_of(update))


async def new_event(update: Update, context: Context) -> None:
    user = _user(update)
    await respond(update, context, lambda: services(context).wizards.begin_event(user))


async def new_session(update: Update, context: Context) -> None:
    user = _user(update)
    await respond(update, context, lambda: services(context).wizards.begin_session(user))


async def agenda(update: Update, context: Context) -> None:
    """/agenda alone waits for a file or a pasted agenda; /agenda followed by YAML imports it at once."""
    user = _user(update)
    pasted = (message_of(update).text or "").partition("\n")[2].strip()
    if pasted:
        await respond(update, context, lambda: _import(context, user, pasted))
    else:
        await respond(update, context, lambda: services(context).wizards.begin_agenda(user))


async def agenda_file(update: Update, context: Context) -> None:
    """A document: a background paper during /papers, an agenda if it looks like YAML; anything
    else is not something we take."""
    document = message_of(update).document
    user = _user(update)
    if document is None:
        return
    if await services(context).schedule_flows.is_attaching(user):
        await scheduling.paper_file(update, context)
        return
    name = (document.file_name or "").lower()
    if not name.endswith(AGENDA_SUFFIXES):
        await respond(update, context, lambda: services(context).router.non_text(user))
        return
    if document.file_size and document.file_size > MAX_AGENDA_FILE:
        await respond(update, context, _too_large)
        return

    async def run() -> EventCreated | AgendaProblem:
        if not await services(context).organising.can_create_events(user):
            raise NotAllowed(ORGANISER)
        return await _import(context, user, await _download(document))

    await respond(update, context, run)


async def _too_large() -> AgendaProblem:
    return AgendaProblem(too_large())


async def _download(document: Document) -> bytes:
    file = await document.get_file()
    return bytes(await file.download_as_bytearray())


async def _import(context: Context, user: UserRef, source: str | bytes) -> EventCreated | AgendaProblem:
    organising = services(context).organising
    try:
        result = await organising.import_agenda(user, source)
    except AgendaError as exc:
        return AgendaProblem(exc)
    for telegram_id in result.changes.granted if result.changes else ():  # rapporteurs the bot already knew
        await menus.refresh(context, telegram_id)
    return result


async def manage(update: Update, context: Context) -> None:
    """An overview of the user's events with a panel per session."""
    user = _user(update)
    await respond(update, context, lambda: services(context).organising.overview(user))


async def open_session(update: Update, context: Context) -> None:
    await _set_status(update, context, context.args[0] if context.args else None, SessionStatus.OPEN)


async def close_session(update: Update, context: Context) -> None:
    await _set_status(update, context, context.args[0] if context.args else None, SessionStatus.CLOSED)


async def _set_status(update: Update, context: Context, ref: str | int | None, status: SessionStatus) -> None:
    if ref is None:
        await respond(update, context, lambda: _usage("open" if status is SessionStatus.OPEN else "close"))
        return
    user = _user(update)
    result: list[StatusChanged | Notice] = []

    async def run() -> StatusChanged | Notice:
        outcome = await services(context).organising.set_status(user, ref, status)
        result.append(outcome)
        return outcome

    await respond(update, context, run)
    changed = result[0] if result else None
    if isinstance(changed, StatusChanged) and changed.waiting:
        context.application.create_task(_send_first_prompts(context, changed.waiting), update=update)


async def _usage(command: str) -> Usage:
    return Usage(command)


async def _send_first_prompts(context: Context, telegram_ids: tuple[int, ...]) -> None:
    """Participants who joined before the session opened get their first question now."""
    participation = services(context).participation
    for telegram_id in telegram_ids:
        outcome = await participation.start(UserRef(telegram_id), None)
        await send(context, telegram_id, outcome, translator(await services(context).languages.locale_of(telegram_id, None)))


async def link(update: Update, context: Context) -> None:
    if not context.args:
        await respond(update, context, lambda: _usage("link"))
        return
    await _send_link(update, context, context.args[0])


async def _send_link(update: Update, context: Context, ref: str | int) -> None:
    """The join link as a QR code image for the room's screen."""
    user = _user(update)
    found: list[SessionView] = []

    async def run() -> Notice | None:
        session = await services(context).organising.session_for_manager(user, ref)
        if isinstance(session, Notice):
            return session
        found.append(session)
        return None

    await respond(update, context, run)
    if not found or update.effective_chat is None:
        return
    session = found[0]
    url = f"https://t.me/{context.bot.username}?start={session.join_code}"  # i18n: not shown
    png = io.BytesIO()
    import segno  # here: the QR code library is not loaded by a bot that shows none

    segno.make(url, error="m").save(png, kind="png", scale=12, border=2)
    caption = qr_caption(session, url, context.bot.username, await reader_translator(update, context))
    await context.bot.send_photo(update.effective_chat.id, png.getvalue(), caption=caption)


async def grant(update: Update, context: Context) -> None:
    await _role_command(update, context, revoke=False)


async def revoke(update: Update, context: Context) -> None:
    await _role_command(update, context, revoke=True)


async def _role_command(update: Update, context: Context, *, revoke: bool) -> None:
    args = context.args or []
    if len(args) != 3:
        await respond(update, context, lambda: _usage("revoke" if revoke else "grant"))
        return
    organising = services(context).organising
    user = _user(update)
    action = organising.revoke if revoke else organising.grant
    outcome: list[RoleGranted | Notice] = []

    async def run() -> RoleGranted | Notice:
        outcome.append(await action(user, args[0], args[1], args[2]))
        return outcome[0]

    await respond(update, context, run)
    changed = outcome[0] if outcome else None
    if isinstance(changed, RoleGranted) and changed.telegram_id is not None:  # their menu shows the role's commands at once
        await menus.refresh(context, changed.telegram_id)


async def button(update: Update, context: Context) -> None:
    """Wizard choices (wz:) and session panel buttons (op:, cl:, lk:)."""
    query = update.callback_query
    callback = parse_callback(query.data if query is not None else None)
    user = _user(update)
    session_id = callback.int_arg() if callback else None
    if callback and callback.verb == "wz" and callback.arg:
        value = callback.arg

        async def choose() -> Routed:
            return await services(context).router.choose(user, WIZARD_FLOWS, value)

        await respond(update, context, choose)
    elif callback and callback.verb in ("op", "cl") and session_id is not None:
        status = SessionStatus.OPEN if callback.verb == "op" else SessionStatus.CLOSED
        await _set_status(update, context, session_id, status)
    elif callback and callback.verb == "lk" and session_id is not None:
        await _send_link(update, context, session_id)
    else:
        await respond(update, context, stale)
