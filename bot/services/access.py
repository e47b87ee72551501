"""Who may do what. Every privileged use case asks here, whatever button or command led to it,
so forged or stale callback data cannot skip a check."""

from __future__ import annotations

from collections.abc import Iterable
from types import EllipsisType
from typing import Final, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from storage.models import Participant, PendingRole, Role, RoleName

# Who may do what a refused action needed: a key, turned into a whole sentence in the reader's
# language by `refusal` (a role phrase glued into "Sorry, that's for the … only" cannot be
# translated: French needs the preposition and the plural to agree with it).
Needed = Literal[  # i18n: not shown (keys of REFUSALS)
    "organiser",
    "organiser of this event",
    "organiser or moderator",
    "organiser or rapporteur",
    "participants of this session",
    "session's rapporteurs and organisers",
]
REFUSALS: Final[dict[str, str]] = {  # i18n: not shown (the keys; the sentences are marked)
    "organiser": N_("Sorry, that's for the organiser only."),
    "organiser of this event": N_("Sorry, that's for the organiser of this event only."),
    "organiser or moderator": N_("Sorry, that's for the organiser or moderator only."),
    "organiser or rapporteur": N_("Sorry, that's for the organiser or rapporteur only."),
    "participants of this session": N_("Sorry, that's for the participants of this session only."),
    "session's rapporteurs and organisers": N_("Sorry, that's for the session's rapporteurs and organisers only."),
}
REFUSED: Final = N_("Sorry, you are not allowed to do that.")


def refusal(needed: object) -> str:
    """The English sentence (a catalogue key) that tells someone what a refused action needed."""
    return REFUSALS.get(str(needed), REFUSED)


class NotAllowed(Exception):
    """The user lacks the role for this action; `needed` says which role would allow it."""

    def __init__(self, needed: Needed) -> None:
        super().__init__(needed)
        self.needed: Needed = needed


def require(allowed: bool, needed: Needed) -> None:
    """Raise NotAllowed naming the role that would have allowed the action."""
    if not allowed:
        raise NotAllowed(needed)


class Access:
    def __init__(self, organiser_ids: Iterable[int]) -> None:
        self._configured_organisers = frozenset(organiser_ids)

    def is_configured_organiser(self, telegram_id: int | None) -> bool:
        """`telegram_id` is None for someone who erased their identity (/forget): never an organiser."""
        return telegram_id is not None and telegram_id in self._configured_organisers

    @property
    def configured_organisers(self) -> frozenset[int]:
        return self._configured_organisers

    async def role_kinds(self, db: AsyncSession, participant: Participant) -> frozenset[str]:
        """ "organiser", "moderator", "rapporteur": the roles held anywhere (what /help and menus show)."""
        kinds = {RoleName(r).value for r in await db.scalars(select(Role.role).where(Role.participant_id == participant.id).distinct())}
        if self.is_configured_organiser(participant.telegram_user_id):
            kinds.add(RoleName.ORGANISER.value)
        return frozenset(kinds)

    async def roles_of(self, db: AsyncSession, participant: Participant) -> list[Role]:
        return list(await db.scalars(select(Role).where(Role.participant_id == participant.id)))

    async def is_organiser_anywhere(self, db: AsyncSession, participant: Participant) -> bool:
        if self.is_configured_organiser(participant.telegram_user_id):
            return True
        found = await db.scalar(select(Role.id).where(Role.participant_id == participant.id, Role.role == RoleName.ORGANISER).limit(1))
        return found is not None

    async def can_create_events(self, db: AsyncSession, participant: Participant) -> bool:
        """Every organiser may create events (README): configured ones and anyone granted the
        organiser role, for an event or everywhere. Whoever creates an event organises it."""
        return await self.is_organiser_anywhere(db, participant)

    async def is_global_organiser(self, db: AsyncSession, participant: Participant) -> bool:
        """Configured organisers, and those granted organiser without a scope, may create events."""
        if self.is_configured_organiser(participant.telegram_user_id):
            return True
        return await self._has(db, participant, (RoleName.ORGANISER,), event_id=None, session_id=None)

    async def can_manage_event(self, db: AsyncSession, participant: Participant, event_id: int) -> bool:
        if await self.is_global_organiser(db, participant):
            return True
        return await self._has(db, participant, (RoleName.ORGANISER,), event_id=event_id)

    async def can_run_session(self, db: AsyncSession, participant: Participant, event_id: int, session_id: int) -> bool:
        """Organisers of the event, and the session's moderators, open and close it."""
        if await self.can_manage_event(db, participant, event_id):
            return True
        return await self._has(db, participant, (RoleName.MODERATOR,), session_id=session_id)

    async def can_report(self, db: AsyncSession, participant: Participant, event_id: int, session_id: int) -> bool:
        """Rapporteurs of the session or its event, and its organisers, work on the report."""
        if await self.can_manage_event(db, participant, event_id):
            return True
        found = await db.scalar(
            select(Role.id)
            .where(
                Role.participant_id == participant.id,
                Role.role == RoleName.RAPPORTEUR,
                or_(Role.session_id == session_id, and_(Role.event_id == event_id, Role.session_id.is_(None))),
            )
            .limit(1)
        )
        return found is not None

    async def _has(
        self,
        db: AsyncSession,
        participant: Participant,
        roles: tuple[RoleName, ...],
        *,
        event_id: int | None | EllipsisType = ...,
        session_id: int | None | EllipsisType = ...,
    ) -> bool:
        query = select(Role.id).where(Role.participant_id == participant.id, Role.role.in_(roles))
        if event_id is not ...:
            query = query.where(Role.event_id.is_(None) if event_id is None else Role.event_id == event_id)
        if session_id is not ...:
            query = query.where(Role.session_id.is_(None) if session_id is None else Role.session_id == session_id)
        return await db.scalar(query.limit(1)) is not None


async def grant_pending_roles(db: AsyncSession, participant: Participant) -> int:
    """Roles an agenda gave to this person's @username before the bot met them; granted now."""
    if not participant.username:
        return 0
    rows = list(await db.scalars(select(PendingRole).where(PendingRole.username == participant.username.lower())))
    for row in rows:
        scope = {"session_id": row.session_id} if row.session_id is not None else {"event_id": row.event_id}
        db.add(Role(participant_id=participant.id, role=row.role, **scope))
        await db.delete(row)
    return len(rows)
