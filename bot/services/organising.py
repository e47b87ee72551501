"""The organiser's side: events, sessions, agendas, roles, opening and closing sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.agenda import AgendaSpec, parse_agenda, session_bounds
from bot.services.access import Access, NotAllowed, require
from bot.services.catalog import SessionCatalog, session_view
from bot.services.outcomes import Notice
from bot.services.state import load_actor
from bot.services.views import EventView, SessionView, UserRef
from storage.db import Database
from storage.models import (
    Anonymity,
    ChatState,
    Contribution,
    Event,
    Participant,
    Progress,
    Prompt,
    PromptKind,
    Role,
    RoleName,
    Session,
    SessionStatus,
)

# Join codes avoid letters and digits people confuse on a projected screen (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
GRANTABLE = {"rapporteur": RoleName.RAPPORTEUR, "moderator": RoleName.MODERATOR, "organiser": RoleName.ORGANISER}


@dataclass(frozen=True, slots=True)
class EventCreated:
    event: EventView


@dataclass(frozen=True, slots=True)
class SessionCreated:
    session: SessionView


@dataclass(frozen=True, slots=True)
class StatusChanged:
    session: SessionView
    waiting: tuple[int, ...] = ()  # Telegram ids of members to send the first prompt to, on opening


@dataclass(frozen=True, slots=True)
class RoleGranted:
    role: RoleName
    name: str
    telegram_id: int
    scope: str


@dataclass(frozen=True, slots=True)
class Overview:
    events: tuple[EventView, ...]
    members: dict[int, int]  # session id -> participants joined
    answers: dict[int, int]  # session id -> contributions


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Organising:
    def __init__(self, db: Database, catalog: SessionCatalog, access: Access, *, default_timezone: str = "UTC") -> None:
        self.db = db
        self.catalog = catalog
        self.access = access
        self.default_timezone = default_timezone

    # ----- creating -----------------------------------------------------------------------

    async def can_create_events(self, user: UserRef) -> bool:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            return await self.access.is_global_organiser(db, participant)

    async def is_organiser(self, user: UserRef) -> bool:
        """Organisers anywhere see the organiser commands in /help."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            return await self.access.is_organiser_anywhere(db, participant)

    async def import_agenda(self, user: UserRef, source: str | bytes) -> EventCreated:
        """Create an event and all its sessions from an agenda file, or nothing at all (AgendaError)."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            return await self.import_into(db, participant, source)

    async def import_into(self, db: AsyncSession, participant: Participant, source: str | bytes) -> EventCreated:
        """Parse before touching the database, then create everything in the caller's transaction."""
        spec = parse_agenda(source)
        require(await self.access.is_global_organiser(db, participant), "organiser")
        event = await self._create_from_spec(db, participant, spec)
        await db.flush()
        return EventCreated(await self.event_view(db, event.id))

    async def create_event(self, db: AsyncSession, participant: Participant, **fields: object) -> Event:
        require(await self.access.is_global_organiser(db, participant), "organiser")
        event = Event(**fields)
        db.add(event)
        await db.flush()
        db.add(Role(participant_id=participant.id, role=RoleName.ORGANISER, event_id=event.id, granted_by=participant.id))
        return event

    async def create_session(
        self, db: AsyncSession, participant: Participant, event_id: int, prompts: list[tuple[str, str]], **fields: object
    ) -> Session:
        require(await self.access.can_manage_event(db, participant, event_id), "organiser of this event")
        position = await db.scalar(select(func.count()).select_from(Session).where(Session.event_id == event_id)) or 0
        session = Session(event_id=event_id, position=position, join_code=await self._unique_code(db), **fields)
        session.prompts = [Prompt(position=i, kind=PromptKind(kind), text=text) for i, (kind, text) in enumerate(prompts)]
        db.add(session)
        await db.flush()
        return session

    async def _create_from_spec(self, db: AsyncSession, participant: Participant, spec: AgendaSpec) -> Event:
        zone = ZoneInfo(spec.event.timezone)
        event = await self.create_event(db, participant, **spec.event.model_dump())
        for item in spec.sessions:
            start, end = session_bounds(item, spec.event)
            await self.create_session(
                db,
                participant,
                event.id,
                [(p.kind, p.text) for p in item.prompts],
                title=item.title,
                starts_at=_aware(start, zone),
                ends_at=_aware(end, zone),
                track=item.track or item.room,
                moderator=item.moderator,
                institutional_lead=item.institutional_lead,
                thematic_focus=item.thematic_focus,
                anonymity=Anonymity(item.anonymity),
            )
        return event

    async def _unique_code(self, db: AsyncSession) -> str:
        while True:
            code = new_code()
            if await db.scalar(select(Session.id).where(Session.join_code == code)) is None:
                return code

    # ----- running sessions ---------------------------------------------------------------

    async def set_status(self, user: UserRef, ref: str | int, status: SessionStatus) -> StatusChanged | Notice:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._find_session(db, ref)
            if session is None:
                return Notice("unknown_session", {"ref": str(ref)[:32]})
            require(await self.access.can_run_session(db, participant, session.event_id, session.id), "organiser or moderator")
            if session.status is status:
                return Notice(f"already_{status.value}", {"title": session.title})
            was_draft = session.status is SessionStatus.DRAFT
            session.status = status
            waiting: tuple[int, ...] = ()
            if status is SessionStatus.OPEN and was_draft:
                waiting = await self._waiting_members(db, session.id)
            await db.flush()
            self.catalog.invalidate(session.id)
            view = await self.catalog.get(db, session.id)
        assert view is not None
        return StatusChanged(view, waiting)

    async def session_for_manager(self, user: UserRef, ref: str | int) -> SessionView | Notice:
        """A session the user may run (organiser or moderator), for links and QR codes."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await self._find_session(db, ref)
            if session is None:
                return Notice("unknown_session", {"ref": str(ref)[:32]})
            require(await self.access.can_run_session(db, participant, session.event_id, session.id), "organiser or moderator")
            view = await self.catalog.get(db, session.id)
        assert view is not None
        return view

    async def overview(self, user: UserRef) -> Overview:
        """The events the user organises (or moderates a session of), with live counts."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            if await self.access.is_global_organiser(db, participant):
                event_ids = list(await db.scalars(select(Event.id).order_by(Event.id)))
            else:
                event_ids = list(
                    await db.scalars(
                        select(Role.event_id).where(Role.participant_id == participant.id, Role.role == RoleName.ORGANISER, Role.event_id.is_not(None))
                    )
                )
                moderated = await db.scalars(
                    select(Session.event_id).join(Role, Role.session_id == Session.id).where(
                        Role.participant_id == participant.id, Role.role == RoleName.MODERATOR
                    )
                )
                event_ids = sorted(set(event_ids) | set(moderated))
            if not event_ids:
                raise NotAllowed("organiser or moderator")
            events = tuple([await self.event_view(db, event_id) for event_id in event_ids])
            session_ids = [s.id for e in events for s in e.sessions]
            members = dict(
                (await db.execute(select(Progress.session_id, func.count()).where(Progress.session_id.in_(session_ids)).group_by(Progress.session_id))).all()
            )
            answers = dict(
                (await db.execute(select(Contribution.session_id, func.count()).where(Contribution.session_id.in_(session_ids)).group_by(Contribution.session_id))).all()
            )
            return Overview(events, members, answers)

    # ----- roles --------------------------------------------------------------------------

    async def grant(self, user: UserRef, ref: str, role_name: str, who: str) -> RoleGranted | Notice:
        """Grant a role in a session (rapporteur, moderator) or its event (organiser)."""
        async with self.db.session() as db:
            target = await self._role_target(db, user, ref, role_name, who)
            if isinstance(target, Notice):
                return target
            granter, session, role, grantee = target
            if not list(await db.scalars(self._held(grantee, role, session))):
                scope = {"event_id": session.event_id} if role is RoleName.ORGANISER else {"session_id": session.id}
                db.add(Role(participant_id=grantee.id, role=role, granted_by=granter.id, **scope))
            return _granted(role, grantee, session)

    async def revoke(self, user: UserRef, ref: str, role_name: str, who: str) -> RoleGranted | Notice:
        async with self.db.session() as db:
            target = await self._role_target(db, user, ref, role_name, who)
            if isinstance(target, Notice):
                return target
            _granter, session, role, grantee = target
            rows = list(await db.scalars(self._held(grantee, role, session)))
            if not rows:
                return Notice("role_not_held")
            for row in rows:
                await db.delete(row)
            return _granted(role, grantee, session)

    async def _role_target(
        self, db: AsyncSession, user: UserRef, ref: str, role_name: str, who: str
    ) -> tuple[Participant, Session, RoleName, Participant] | Notice:
        """Who grants what to whom where, after checking the granter organises the event."""
        role = GRANTABLE.get(role_name.strip().lower())
        if role is None:
            return Notice("unknown_role", {"role": role_name[:32]})
        participant, _ = await load_actor(db, user)
        session = await self._find_session(db, ref)
        if session is None:
            return Notice("unknown_session", {"ref": ref[:32]})
        require(await self.access.can_manage_event(db, participant, session.event_id), "organiser of this event")
        grantee = await self._find_person(db, who)
        if grantee is None:
            return Notice("unknown_person", {"who": who[:64]})
        return participant, session, role, grantee

    @staticmethod
    def _held(grantee: Participant, role: RoleName, session: Session):  # type: ignore[no-untyped-def]
        """The grantee's rows for this role: organiser is held per event, the others per session."""
        where = (Role.event_id == session.event_id) if role is RoleName.ORGANISER else (Role.session_id == session.id)
        return select(Role).where(Role.participant_id == grantee.id, Role.role == role, where)

    # ----- helpers ------------------------------------------------------------------------

    async def _find_session(self, db: AsyncSession, ref: str | int) -> Session | None:
        if isinstance(ref, int):
            return await db.get(Session, ref)
        value = ref.strip()
        if value.isdigit():
            found = await db.get(Session, int(value))
            if found is not None:
                return found
        return await db.scalar(select(Session).where(func.upper(Session.join_code) == value.upper()))

    async def _find_person(self, db: AsyncSession, who: str) -> Participant | None:
        value = who.strip()
        if value.lstrip("-").isdigit():
            return await db.scalar(select(Participant).where(Participant.telegram_user_id == int(value)))
        username = value.removeprefix("@")
        return await db.scalar(select(Participant).where(func.lower(Participant.username) == username.lower()))

    async def _waiting_members(self, db: AsyncSession, session_id: int) -> tuple[int, ...]:
        """Members who joined before the session opened and are still looking at it."""
        rows = await db.scalars(
            select(Participant.telegram_user_id)
            .join(ChatState, ChatState.participant_id == Participant.id)
            .where(ChatState.active_session_id == session_id, Participant.blocked_at.is_(None))
            .order_by(Participant.id)
        )
        return tuple(rows)

    async def event_view(self, db: AsyncSession, event_id: int) -> EventView:
        event = await db.scalar(
            select(Event)
            .where(Event.id == event_id)
            .options(selectinload(Event.sessions).selectinload(Session.prompts), selectinload(Event.sessions).selectinload(Session.event))
        )
        assert event is not None
        return EventView(
            event.id,
            event.title,
            event.starts_on,
            event.ends_on,
            event.place,
            event.timezone,
            tuple(session_view(s) for s in event.sessions),
        )


def _granted(role: RoleName, grantee: Participant, session: Session) -> RoleGranted:
    name = grantee.display_name or (f"@{grantee.username}" if grantee.username else str(grantee.telegram_user_id))
    return RoleGranted(role, name, grantee.telegram_user_id, "the event" if role is RoleName.ORGANISER else session.title)


def _aware(local: datetime | None, zone: ZoneInfo) -> datetime | None:
    return local.replace(tzinfo=zone).astimezone(UTC) if local is not None else None
