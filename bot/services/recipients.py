"""Who receives a scheduled item, decided when it fires (people join until the last minute).

* everyone: participants who joined the session (or any session of the event);
* non-responders: of those, the ones with no answer there yet;
* rapporteurs: rapporteurs of the session (or of the event) whose report is not approved yet.

People who blocked the bot are left out: a send to them can only fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Audience, Contribution, Participant, Progress, ReportVersion, Role, RoleName, ScheduledItem, Session


@dataclass(frozen=True, slots=True)
class Recipient:
    chat_id: int
    participant_id: int | None  # None for a channel or group


async def recipients(db: AsyncSession, item: ScheduledItem, *, audience: Audience | None = None) -> list[Recipient]:
    """The item's recipients in a stable order (participants by id, then extra chats)."""
    session_ids = await _session_ids(db, item)
    chosen = audience or item.audience
    if chosen is Audience.RAPPORTEURS:
        people = await _rapporteurs(db, item.event_id, session_ids)
    else:
        people = await _joined(db, session_ids, without_answers=chosen is Audience.NON_RESPONDERS)
    found = [Recipient(chat_id, participant_id) for participant_id, chat_id in people]
    known = {r.chat_id for r in found}
    for chat_id in item.options.get("chats", []):
        if int(chat_id) not in known:
            found.append(Recipient(int(chat_id), None))
            known.add(int(chat_id))
    return found


async def _session_ids(db: AsyncSession, item: ScheduledItem) -> list[int]:
    """The item's session, or every session of its event (also for a report sent event-wide)."""
    if item.session_id is not None and not item.options.get("whole_event"):
        return [item.session_id]
    return list(await db.scalars(select(Session.id).where(Session.event_id == item.event_id).order_by(Session.id)))


async def _joined(db: AsyncSession, session_ids: list[int], *, without_answers: bool) -> list[tuple[int, int]]:
    joined = select(Progress.participant_id).where(Progress.session_id.in_(session_ids))
    query = select(Participant.id, Participant.telegram_user_id).where(
        Participant.id.in_(joined),
        Participant.blocked_at.is_(None),
        Participant.telegram_user_id.is_not(None),  # erased: no chat
    )
    if without_answers:
        answered = exists().where(Contribution.participant_id == Participant.id, Contribution.session_id.in_(session_ids))
        query = query.where(~answered)
    return [tuple(row) for row in (await db.execute(query.order_by(Participant.id))).all()]  # type: ignore[misc]


async def _rapporteurs(db: AsyncSession, event_id: int, session_ids: list[int]) -> list[tuple[int, int]]:
    approved = set(
        await db.scalars(
            select(ReportVersion.session_id).where(ReportVersion.session_id.in_(session_ids), ReportVersion.approved_at.is_not(None))
        )
    )
    waiting = [session_id for session_id in session_ids if session_id not in approved]
    if not waiting:
        return []
    holders = select(Role.participant_id).where(
        Role.role == RoleName.RAPPORTEUR,
        or_(Role.session_id.in_(waiting), and_(Role.event_id == event_id, Role.session_id.is_(None))),
    )
    query = select(Participant.id, Participant.telegram_user_id).where(Participant.id.in_(holders), Participant.blocked_at.is_(None))
    return [tuple(row) for row in (await db.execute(query.order_by(Participant.id))).all()]  # type: ignore[misc]
