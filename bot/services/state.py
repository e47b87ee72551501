"""Loading the sender and their conversation step in one round trip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import locale_for, supported
from bot.services.access import grant_pending_roles
from bot.services.views import UserRef
from storage.models import ChatState, Participant, Progress

IDLE = "idle"
# Where `load_actor` leaves the locale of whoever the use case acts for (AsyncSession.info), so
# the handler renders the outcome in it without another query (bot.services.languages).
ACTOR_LOCALE = "actor_locale"


# Built once: every update runs this query, and SQLAlchemy memoises a statement's cache key on
# the statement object. The active session's Progress row comes along into the identity map, so
# the answer path's `db.get(Progress, ...)` needs no second round trip.
_ACTOR = (
    select(Participant, ChatState, Progress)
    .outerjoin(ChatState, ChatState.participant_id == Participant.id)
    .outerjoin(Progress, (Progress.participant_id == Participant.id) & (Progress.session_id == ChatState.active_session_id))
    .where(Participant.telegram_user_id == bindparam("telegram_id"))
)


async def load_actor(db: AsyncSession, user: UserRef) -> tuple[Participant, ChatState]:
    """The participant and their chat state, created on first contact.

    Telegram names change; the username is refreshed so organisers can grant roles by @name.
    """
    row = (await db.execute(_ACTOR, {"telegram_id": user.telegram_id})).first()
    if row is None:
        participant = Participant(
            telegram_user_id=user.telegram_id,
            username=user.username,
            display_name="",
            language=locale_for(user.language),
        )
        db.add(participant)
        await db.flush()
        state = ChatState(participant_id=participant.id, flow=IDLE, step="", data={})
        db.add(state)
        await grant_pending_roles(db, participant)  # an agenda may have named them by @username
        db.info[ACTOR_LOCALE] = participant.language
        return participant, state
    participant, state, _progress = row
    if user.username is not None and participant.username != user.username:
        participant.username = user.username
        await grant_pending_roles(db, participant)
    if participant.blocked_at is not None:  # writing to the bot means it is unblocked again
        participant.blocked_at = None
    if state is None:
        state = ChatState(participant_id=participant.id, flow=IDLE, step="", data={})
        db.add(state)
    if not participant.language_chosen and user.language:  # follows the Telegram app until chosen
        wanted = locale_for(user.language)
        if participant.language != wanted:
            participant.language = wanted
    db.info[ACTOR_LOCALE] = supported(participant.language)
    return participant, state


def set_flow(state: ChatState, flow: str, step: str = "", **data: Any) -> None:
    """Move the conversation; data replaces the previous step's data as a new dict so the JSON
    column is seen as changed."""
    state.flow = flow
    state.step = step
    state.data = dict(data)
