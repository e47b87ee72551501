"""The organiser's side: events, sessions, agendas, roles, opening and closing sessions."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.agenda import AgendaError, AgendaSpec, Sentence, SessionSpec, parse_agenda, say, session_bounds
from bot.i18n import N_
from bot.services.access import Access, NotAllowed, require
from bot.services.catalog import SessionCatalog, session_view
from bot.services.ids import parse_id, parse_telegram_id
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
    PendingRole,
    Progress,
    Prompt,
    PromptKind,
    ReportVersion,
    Role,
    RoleName,
    Session,
    SessionStatus,
)

# Refusal keys: bot.services.access words each as a whole sentence in the reader's language.
ORGANISER: Final = "organiser"  # i18n: not shown (a refusal key)
EVENT_ORGANISER: Final = "organiser of this event"  # i18n: not shown (a refusal key)
ORGANISER_OR_MODERATOR: Final = "organiser or moderator"  # i18n: not shown (a refusal key)
# Join codes avoid letters and digits people confuse on a projected screen (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
GRANTABLE = {"rapporteur": RoleName.RAPPORTEUR, "moderator": RoleName.MODERATOR, "organiser": RoleName.ORGANISER}


@dataclass(frozen=True, slots=True)
class AgendaChanges:
    """What importing an agenda did (or, for a check, would do), by session title."""

    new_event: bool
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # sessions added in chat (no key): not the file's to remove
    waiting: tuple[str, ...] = ()  # @usernames to be made rapporteurs when they first write
    granted: tuple[int, ...] = ()  # Telegram ids made rapporteurs now (their command menus change)


@dataclass(frozen=True, slots=True)
class EventCreated:
    event: EventView
    changes: AgendaChanges | None = None


@dataclass(frozen=True, slots=True)
class AgendaProblem:
    """An agenda refused, with what to fix in it; nothing was created or changed."""

    error: AgendaError


@dataclass(frozen=True, slots=True)
class SessionCreated:
    session: SessionView


@dataclass(frozen=True, slots=True)
class StatusChanged:
    session: SessionView
    waiting: tuple[int, ...] = ()  # Telegram ids of members to send the first prompt to, on opening


@dataclass(frozen=True, slots=True)
class RoleGranted:
    """A role granted (or, from /revoke, taken back): in a session, or its whole event (organiser)."""

    role: RoleName
    name: str
    telegram_id: int | None  # None once they erased their Telegram identity (/forget)
    session_title: str  # the session named in the command (an organiser's role is for its whole event)
    revoked: bool = False


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
        # Set by the container: re-times a session's relative reminders when an agenda moves it.
        self.session_moved: Callable[[AsyncSession, Session], Awaitable[object]] | None = None

    # ----- creating -----------------------------------------------------------------------

    async def can_create_events(self, user: UserRef) -> bool:
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            return await self.access.can_create_events(db, participant)

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
        """Parse before touching the database, then create or update everything in the caller's
        transaction; an AgendaError leaves nothing changed."""
        spec = parse_agenda(source)
        require(await self.access.can_create_events(db, participant), ORGANISER)
        return await self._apply(db, spec, participant)

    async def import_agenda_as_operator(self, source: str | bytes, *, organiser_telegram_id: int | None = None) -> EventCreated:
        """The command line: the operator has the database, so no role is checked. The event is
        run by ORGANISER_IDS and, if given, the Telegram user `organiser_telegram_id`."""
        spec = parse_agenda(source)
        async with self.db.session() as db:
            organiser = None
            if organiser_telegram_id is not None:
                organiser, _ = await load_actor(db, UserRef(organiser_telegram_id))
            return await self._apply(db, spec, organiser, trusted=True)

    async def plan_agenda(self, source: str | bytes) -> AgendaChanges:
        """What importing would change, computed by importing and rolling back."""
        spec = parse_agenda(source)
        async with self.db.sessionmaker() as db:
            transaction = await db.begin()
            try:
                result = await self._apply(db, spec, None, trusted=True)
            finally:
                await transaction.rollback()
        assert result.changes is not None
        return result.changes

    async def create_event(self, db: AsyncSession, participant: Participant | None, *, trusted: bool = False, **fields: object) -> Event:
        if not trusted:
            require(participant is not None and await self.access.can_create_events(db, participant), ORGANISER)
        event = Event(**fields)
        db.add(event)
        await db.flush()
        if participant is not None:
            db.add(Role(participant_id=participant.id, role=RoleName.ORGANISER, event_id=event.id, granted_by=participant.id))
        return event

    async def create_session(
        self,
        db: AsyncSession,
        participant: Participant | None,
        event_id: int,
        prompts: list[tuple[str, str]],
        *,
        trusted: bool = False,
        **fields: object,
    ) -> Session:
        if not trusted:
            require(participant is not None and await self.access.can_manage_event(db, participant, event_id), EVENT_ORGANISER)
        position = await db.scalar(select(func.count()).select_from(Session).where(Session.event_id == event_id)) or 0
        session = Session(event_id=event_id, position=position, join_code=await self._unique_code(db), **fields)
        session.prompts = [Prompt(position=i, kind=PromptKind(kind), text=text) for i, (kind, text) in enumerate(prompts)]
        db.add(session)
        await db.flush()
        return session

    async def _apply(self, db: AsyncSession, spec: AgendaSpec, participant: Participant | None, *, trusted: bool = False) -> EventCreated:
        """Create the event, or update the one with the same key: sessions are matched by key,
        so join codes, contributions and schedules stay with them. Everything that could refuse
        the agenda is checked before anything changes, so a refusal leaves no partial update even
        inside a caller's transaction."""
        event = await self._event_for(db, spec, participant, trusted=trusted)
        existing: list[Session] = []
        if event is not None:
            existing = list(await db.scalars(select(Session).where(Session.event_id == event.id).options(selectinload(Session.prompts))))
        matched, unkeyed = _match(existing, spec)
        wanted = {item.stable_key for item in spec.sessions}
        leaving = [s for s in existing if s.key and s.key not in wanted]
        await self._check_nothing_lost(db, leaving, matched, spec)

        new_event = event is None
        zone_name = spec.event.timezone or (event.timezone if event is not None else self.default_timezone)
        fields: dict[str, Any] = spec.event.model_dump(
            include={"title", "starts_on", "ends_on", "place", "description", "disclaimer", "retention_days"}
        )
        fields.update(timezone=zone_name, key=spec.event.stable_key, details=spec.event.details())
        fields.update(min_group_size=spec.event.min_group_size, allow_writing_model=spec.event.allow_writing_model)  # report privacy
        if spec.event.report_language is not None:
            fields["report_language"] = spec.event.report_language
        if event is None:
            event = await self.create_event(db, participant, trusted=True, **fields)
        else:
            for name, value in fields.items():
                setattr(event, name, value)
        for session in leaving:
            await db.delete(session)
            self.catalog.invalidate(session.id)
        await db.flush()
        zone = ZoneInfo(zone_name)
        created: list[str] = []
        updated: list[str] = []
        waiting: list[str] = []
        granted: list[int] = []
        for position, (item, stored) in enumerate(zip(spec.sessions, matched, strict=True)):
            start, end = session_bounds(item, spec.event)
            values = _session_fields(item, _aware(start, zone), _aware(end, zone))
            if stored is None:
                session = await self.create_session(
                    db, participant, event.id, [(p.kind, p.text) for p in item.prompts], trusted=True, **values
                )
                created.append(item.title)
            else:
                session = stored
                moved = (session.starts_at, session.ends_at) != (values["starts_at"], values["ends_at"])
                for name, value in values.items():
                    setattr(session, name, value)
                _update_prompts(session, item)
                await db.flush()
                if moved and self.session_moved is not None:
                    await self.session_moved(db, session)
                updated.append(item.title)
            session.position = position
            waiting += await self._assign_rapporteurs(db, event.id, session.id, item.rapporteurs, participant, granted)
        waiting += await self._assign_rapporteurs(db, event.id, None, spec.event.rapporteurs, participant, granted)
        for offset, session in enumerate(unkeyed):
            session.position = len(spec.sessions) + offset
        await db.flush()
        self.catalog.invalidate()
        changes = AgendaChanges(
            new_event,
            tuple(created),
            tuple(updated),
            tuple(s.title for s in leaving),
            tuple(s.title for s in unkeyed),
            tuple(dict.fromkeys(waiting)),
            tuple(dict.fromkeys(granted)),
        )
        return EventCreated(await self.event_view(db, event.id), changes)

    async def _event_for(self, db: AsyncSession, spec: AgendaSpec, participant: Participant | None, *, trusted: bool) -> Event | None:
        """The event this agenda describes: same key, else (an event imported before keys
        existed) an unkeyed event with the same title that this organiser runs."""
        key = spec.event.stable_key
        event = await db.scalar(select(Event).where(Event.key == key))
        allowed = trusted or (
            participant is not None and event is not None and await self.access.can_manage_event(db, participant, event.id)
        )
        if event is not None and not allowed:
            raise AgendaError(
                say(
                    N_(
                        "Another organiser's event already uses the key {key}. Give yours its own key: add `key: {suggested}` (or any other) under `event:`."
                    ),
                    key=repr(key),
                    suggested=f"{key}-2",
                )
            )
        if event is None:
            for candidate in await db.scalars(select(Event).where(Event.key.is_(None), Event.title == spec.event.title)):
                if trusted or (participant is not None and await self.access.can_manage_event(db, participant, candidate.id)):
                    return candidate
        return event

    async def _check_nothing_lost(self, db: AsyncSession, leaving: list[Session], matched: list[Session | None], spec: AgendaSpec) -> None:
        """Refuse (AgendaError) an agenda that would delete input: a session the corrected file
        no longer has, or a prompt dropped from the end, in which someone has written."""
        for session in leaving:
            said = await db.scalar(select(func.count()).select_from(Contribution).where(Contribution.session_id == session.id))
            reports = await db.scalar(select(func.count()).select_from(ReportVersion).where(ReportVersion.session_id == session.id))
            if said or reports:
                raise AgendaError(
                    say(
                        N_(
                            'The session "{title}" (key: {key}) is not in the agenda any more, but it holds {contributions} and {reports}, so it is not deleted. Put it back in the agenda with `key: {key}`; close it with /close {code} if it is over.'
                        ),
                        title=session.title,
                        key=session.key or "",
                        contributions=Sentence.ngettext("{count} contribution", "{count} contributions", int(said or 0)),
                        reports=Sentence.ngettext("{count} report version", "{count} report versions", int(reports or 0)),
                        code=session.join_code,
                    )
                )
        for item, kept in zip(spec.sessions, matched, strict=True):
            if kept is None:
                continue
            for row in kept.prompts[len(item.prompts) :]:
                said = await db.scalar(select(func.count()).select_from(Contribution).where(Contribution.prompt_id == row.id))
                if said:
                    raise AgendaError(
                        say(
                            N_(
                                'The session "{title}": prompt {number} ("{prompt}") has {answers}, so it cannot be removed. Keep it in the agenda (you may reword it).'
                            ),
                            title=kept.title,
                            number=row.position + 1,
                            prompt=row.text[:60],
                            answers=Sentence.ngettext("{count} answer", "{count} answers", int(said)),
                        )
                    )

    async def _assign_rapporteurs(
        self, db: AsyncSession, event_id: int, session_id: int | None, usernames: list[str], granter: Participant | None, granted: list[int]
    ) -> list[str]:
        """Rapporteurs named in the agenda: granted now if the bot knows them, else when they first write."""
        waiting = []
        for username in usernames:
            person = await db.scalar(select(Participant).where(func.lower(Participant.username) == username.lower()))
            scope: dict[str, int | None] = {"session_id": session_id} if session_id is not None else {"event_id": event_id}
            if person is not None:
                held = await db.scalar(
                    select(Role.id).where(Role.participant_id == person.id, Role.role == RoleName.RAPPORTEUR, *_scope_filter(scope))
                )
                if held is None:
                    db.add(Role(participant_id=person.id, role=RoleName.RAPPORTEUR, granted_by=granter.id if granter else None, **scope))
                    if person.telegram_user_id is not None:
                        granted.append(person.telegram_user_id)
                continue
            pending = await db.scalar(
                select(PendingRole.id).where(
                    PendingRole.username == username.lower(),
                    PendingRole.role == RoleName.RAPPORTEUR,
                    PendingRole.event_id == event_id,
                    PendingRole.session_id.is_(None) if session_id is None else PendingRole.session_id == session_id,
                )
            )
            if pending is None:
                db.add(PendingRole(username=username.lower(), role=RoleName.RAPPORTEUR, event_id=event_id, session_id=session_id))
            waiting.append(f"@{username}")
        return waiting

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
            require(await self.access.can_run_session(db, participant, session.event_id, session.id), ORGANISER_OR_MODERATOR)
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
            require(await self.access.can_run_session(db, participant, session.event_id, session.id), ORGANISER_OR_MODERATOR)
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
                        select(Role.event_id).where(
                            Role.participant_id == participant.id, Role.role == RoleName.ORGANISER, Role.event_id.is_not(None)
                        )
                    )
                )
                moderated = await db.scalars(
                    select(Session.event_id)
                    .join(Role, Role.session_id == Session.id)
                    .where(Role.participant_id == participant.id, Role.role == RoleName.MODERATOR)
                )
                event_ids = sorted(set(event_ids) | set(moderated))
            if not event_ids:
                if await self.access.is_organiser_anywhere(db, participant):
                    return Overview((), {}, {})  # an organiser with no event yet: shown how to start
                raise NotAllowed(ORGANISER_OR_MODERATOR)
            events = tuple([await self._visible(db, participant, await self.event_view(db, event_id)) for event_id in event_ids])
            session_ids = [s.id for e in events for s in e.sessions]
            members = dict(
                (
                    await db.execute(
                        select(Progress.session_id, func.count()).where(Progress.session_id.in_(session_ids)).group_by(Progress.session_id)
                    )
                ).all()
            )
            answers = dict(
                (
                    await db.execute(
                        select(Contribution.session_id, func.count())
                        .where(Contribution.session_id.in_(session_ids))
                        .group_by(Contribution.session_id)
                    )
                ).all()
            )
            return Overview(events, members, answers)

    async def _visible(self, db: AsyncSession, participant: Participant, event: EventView) -> EventView:
        """Organisers see every session of their events; a moderator only the sessions they moderate."""
        if await self.access.can_manage_event(db, participant, event.id):
            return event
        moderated = set(
            await db.scalars(select(Role.session_id).where(Role.participant_id == participant.id, Role.role == RoleName.MODERATOR))
        )
        return replace(event, sessions=tuple(s for s in event.sessions if s.id in moderated))

    async def roles(self, user: UserRef) -> frozenset[str]:
        """The kinds of role the user holds anywhere, for /help and the command menu."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            return await self.access.role_kinds(db, participant)

    async def people_with_roles(self) -> dict[int, frozenset[str]]:
        """Every Telegram user holding a role (configured organisers included): their menus at start."""
        async with self.db.session() as db:
            rows = (
                await db.execute(select(Participant.telegram_user_id, Role.role).join(Role, Role.participant_id == Participant.id))
            ).all()
        found: dict[int, set[str]] = {telegram_id: {"organiser"} for telegram_id in self.access.configured_organisers}
        for telegram_id, role in rows:
            if telegram_id is not None:  # erased with /forget: no menu to set
                found.setdefault(telegram_id, set()).add(RoleName(role).value)
        return {telegram_id: frozenset(kinds) for telegram_id, kinds in found.items()}

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
            return _granted(role, grantee, session, revoked=True)

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
        require(await self.access.can_manage_event(db, participant, session.event_id), EVENT_ORGANISER)
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
        session_id = parse_id(ref)
        if isinstance(ref, int):
            return await db.get(Session, session_id) if session_id is not None else None
        value = ref.strip()
        if session_id is not None:
            found = await db.get(Session, session_id)
            if found is not None:
                return found
        return await db.scalar(select(Session).where(func.upper(Session.join_code) == value.upper()))

    async def _find_person(self, db: AsyncSession, who: str) -> Participant | None:
        value = who.strip()
        if value.lstrip("-").isdigit():
            telegram_id = parse_telegram_id(value)
            if telegram_id is None:
                return None
            return await db.scalar(select(Participant).where(Participant.telegram_user_id == telegram_id))
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
        return tuple(telegram_id for telegram_id in rows if telegram_id is not None)

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


def _granted(role: RoleName, grantee: Participant, session: Session, *, revoked: bool = False) -> RoleGranted:
    name = grantee.display_name or (f"@{grantee.username}" if grantee.username else str(grantee.telegram_user_id))
    return RoleGranted(role, name, grantee.telegram_user_id, session.title, revoked)


def _match(existing: list[Session], spec: AgendaSpec) -> tuple[list[Session | None], list[Session]]:
    """For each session of the file, the stored one it updates (same key; else, for sessions
    made in chat or before keys existed, the same title), and the unkeyed ones left as they are."""
    by_key = {s.key: s for s in existing if s.key}
    unkeyed = {s.title: s for s in existing if not s.key}
    matched = [by_key.get(item.stable_key) or unkeyed.pop(item.title, None) for item in spec.sessions]
    return matched, list(unkeyed.values())


def _update_prompts(session: Session, item: SessionSpec) -> None:
    """Prompts are matched by position: texts and kinds are corrected in place (answers stay with
    them); prompts beyond the file's are dropped (`_check_nothing_lost` made sure nobody answered them)."""
    rows = list(session.prompts)
    for position, prompt in enumerate(item.prompts):
        if position < len(rows):
            rows[position].kind, rows[position].text = PromptKind(prompt.kind), prompt.text
        else:
            session.prompts.append(Prompt(position=position, kind=PromptKind(prompt.kind), text=prompt.text))
    for row in rows[len(item.prompts) :]:
        session.prompts.remove(row)


def _session_fields(item: SessionSpec, starts_at: datetime | None, ends_at: datetime | None) -> dict[str, Any]:
    return {
        "key": item.stable_key,
        "title": item.title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "track": item.track or item.room,
        "moderator": item.moderator,
        "chair": item.chair,
        "institutional_lead": item.institutional_lead,
        "co_hosts": list(item.co_hosts),
        "speakers": list(item.speakers),
        "rapporteurs": list(item.rapporteurs),
        "thematic_focus": item.thematic_focus,
        "anonymity": Anonymity(item.anonymity),
    }


def _scope_filter(scope: dict[str, int | None]) -> list[Any]:
    if "session_id" in scope:
        return [Role.session_id == scope["session_id"]]
    return [Role.event_id == scope["event_id"], Role.session_id.is_(None)]


def _aware(local: datetime | None, zone: ZoneInfo) -> datetime | None:
    return local.replace(tzinfo=zone).astimezone(UTC) if local is not None else None
