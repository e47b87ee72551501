"""Organisers schedule reminders, nudges, background papers and report deliveries, and change them.

The schedule table is the source of truth: every use case here writes it in one unit of work and
then tells its listeners (the runner, which keeps the JobQueue in step) which items changed, only
once the transaction has committed — so the JobQueue never holds a job for a change that was
rolled back, and a crash between the two loses nothing (the runner re-reads the table on start).
Every use case re-checks that the user organises the item's event, whatever button led to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import event as sa_event
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.timing import When, WhenError, parse_when
from bot.services.access import Access, require
from bot.services.catalog import SessionCatalog
from bot.services.outcomes import Notice
from bot.services.schedule_items import (
    EPOCH,
    ItemView,
    Target,
    anchor_missing,
    item_view,
    load_target,
    next_fire,
)
from bot.services.state import load_actor
from bot.services.views import UserRef
from storage.db import Database
from storage.models import Audience, Event, ItemStatus, Participant, Role, RoleName, ScheduledItem, ScheduleKind, Session
from storage.types import utcnow

AUDIENCE_KIND = {
    Audience.EVERYONE: ScheduleKind.REMINDER,
    Audience.NON_RESPONDERS: ScheduleKind.NUDGE,
    Audience.RAPPORTEURS: ScheduleKind.RAPPORTEUR_NUDGE,
}
# What a refusal says was needed (a key of bot.services.access's refusals, worded there).
EVENT_ORGANISER: Final = "organiser of this event"  # i18n: not shown (a refusal key)
MAX_TEXT = 3000  # leaves room for the header within Telegram's 4,096 characters
MAX_LISTED = 25
ReportSource = Literal["approved", "latest"]
Listener = Callable[[frozenset[int]], None]
_CHANGED = "scheduling.changed"


@dataclass(frozen=True, slots=True)
class ItemScheduled:
    """Scheduled by a command: shown as the item's card, with its buttons."""

    item: ItemView


@dataclass(frozen=True, slots=True)
class WizardScheduled:
    """Scheduled at the end of a step-by-step flow: a confirmation line."""

    item: ItemView


@dataclass(frozen=True, slots=True)
class WhenUnreadable:
    """What the organiser typed is not a time; the error explains, with examples."""

    error: WhenError


@dataclass(frozen=True, slots=True)
class TimePassed:
    when: When
    target: Target


@dataclass(frozen=True, slots=True)
class WhenUnclear:
    """A one-line /remind whose time could not be told apart from its text."""

    phrase: str


@dataclass(frozen=True, slots=True)
class Rescheduled:
    target: Target
    when: When


@dataclass(frozen=True, slots=True)
class SendingNow:
    target: Target


@dataclass(frozen=True, slots=True)
class TooManyPapers:
    limit: int


# Scheduling's answers that carry nothing but what to say.
HintKey = Literal[
    "nothing_scheduled",
    "use_buttons",
    "which_event",
    "report_needs_session",
    "move_needs_date",
    "ask_text",
    "papers_none",
    "papers_need_file",
]


@dataclass(frozen=True, slots=True)
class ScheduleHint:
    key: HintKey


# Why a scheduling use case did nothing (generic refusals stay Notices: stale, unknown session).
Refusal = Notice | ScheduleHint | WhenUnreadable | TimePassed | WhenUnclear | TooManyPapers


@dataclass(frozen=True, slots=True)
class ScheduleList:
    items: tuple[ItemView, ...]
    more: int = 0


@dataclass(frozen=True, slots=True)
class ItemCancelled:
    item: ItemView


@dataclass(frozen=True, slots=True)
class SessionMoved:
    session: Target
    moved: tuple[ItemView, ...]
    passed: tuple[ItemView, ...]  # relative items whose moment is now in the past: not sent


class Scheduling:
    def __init__(self, db: Database, catalog: SessionCatalog, access: Access, *, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.catalog = catalog
        self.access = access
        self.clock = clock
        self._listeners: list[Listener] = []

    def now(self) -> datetime:
        """The current instant; tests inject a clock to place "15 minutes before start" at will."""
        return (self.clock or utcnow)()

    # ----- listeners ----------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def changed(self, db: AsyncSession, *item_ids: int) -> None:
        """Tell the listeners about these items once `db` commits (a rollback tells no one)."""
        pending: set[int] = db.info.setdefault(_CHANGED, set())
        if not pending:
            listeners = self._listeners

            def notify(_session: object) -> None:
                ids = frozenset(pending)
                pending.clear()
                for listener in list(listeners):
                    listener(ids)

            sa_event.listen(db.sync_session, "after_commit", notify, once=True)
        pending.update(item_ids)

    # ----- creating -----------------------------------------------------------------------

    async def create(
        self,
        db: AsyncSession,
        participant: Participant,
        target: Target,
        kind: ScheduleKind,
        when: When,
        *,
        audience: Audience = Audience.EVERYONE,
        text: str = "",
        options: dict[str, Any] | None = None,
    ) -> ItemView | TimePassed:
        """Store a new item, or say why its time cannot be used."""
        require(await self.access.can_manage_event(db, participant, target.event_id), EVENT_ORGANISER)
        when = self._with_default_end(when, target)
        problem = self.check_time(when, target)
        if problem is not None:
            return problem
        item = ScheduledItem(
            event_id=target.event_id,
            session_id=target.session_id,
            kind=kind,
            audience=audience,
            text=text.strip()[:MAX_TEXT],
            when=when.to_dict(),
            next_fire_at=next_fire(when, target, self.now()),
            status=ItemStatus.ACTIVE,
            options=options or {},
            created_by=participant.id,
        )
        db.add(item)
        await db.flush()
        self.changed(db, item.id)
        return await item_view(db, item, target)

    def parse(self, text: str, target: Target) -> When | WhenUnreadable:
        """What the organiser typed, read in the event's time zone; errors explain with examples."""
        try:
            return parse_when(text, tz=target.zone, now=self.now())
        except WhenError as exc:
            return WhenUnreadable(exc)

    def check_time(self, when: When, target: Target) -> TimePassed | None:
        """None if `when` fires in the future (or waits for the session to get a time)."""
        if anchor_missing(when, target):
            return None
        if next_fire(when, target, self.now()) is None:
            return TimePassed(when, target)
        return None

    def _with_default_end(self, when: When, target: Target) -> When:
        """A daily reminder for an event stops after its last day unless told otherwise."""
        if when.kind != "recurring" or when.until is not None or target.last_day is None:
            return when
        if target.last_day < self.now().astimezone(target.zone).date():
            return when
        return replace(when, until=target.last_day)

    async def remind(self, user: UserRef, ref: str, audience: Audience, phrase: str) -> ItemScheduled | Refusal:
        """/remind CODE [audience] <when> | <text>, all in one message."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            target = await self.find_target(db, participant, ref)
            if not isinstance(target, Target):
                return target
            read = self.split_when(phrase, target)
            if not isinstance(read, tuple):
                return read
            when, text = read
            created = await self.create(db, participant, target, AUDIENCE_KIND[audience], when, audience=audience, text=text)
            return ItemScheduled(created) if isinstance(created, ItemView) else created

    def split_when(self, phrase: str, target: Target) -> tuple[When, str] | WhenUnreadable | WhenUnclear:
        """'<when> | <text>' (or a line break); without one, the longest leading words that read as
        a time are the time and the rest is the text."""
        for separator in ("|", "\n"):
            if separator in phrase:
                when_part, _, text = phrase.partition(separator)
                when = self.parse(when_part, target)
                return when if isinstance(when, WhenUnreadable) else (when, text.strip())
        words = phrase.split()
        for count in range(len(words), 0, -1):
            when = self.parse(" ".join(words[:count]), target)
            if not isinstance(when, WhenUnreadable):
                return when, " ".join(words[count:])
        if not words:
            empty = self.parse("", target)
            assert isinstance(empty, WhenUnreadable)
            return empty
        return WhenUnclear(phrase[:200])

    async def schedule_report(
        self,
        user: UserRef,
        ref: str,
        when_text_: str,
        *,
        source: ReportSource = "approved",
        chats: tuple[int, ...] = (),
        whole_event: bool = False,
    ) -> ItemScheduled | Refusal:
        """/deliver: the session's report, to its participants (or the event's) and extra chats."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            target = await self.find_target(db, participant, ref)
            if not isinstance(target, Target):
                return target
            if target.session_id is None:
                return ScheduleHint("report_needs_session")
            when = self.parse(when_text_, target)
            if isinstance(when, WhenUnreadable):
                return when
            options = {"source": source, "chats": list(dict.fromkeys(chats)), "whole_event": whole_event}
            created = await self.create(db, participant, target, ScheduleKind.REPORT, when, options=options)
            return ItemScheduled(created) if isinstance(created, ItemView) else created

    # ----- listing and changing -----------------------------------------------------------

    async def list_items(self, user: UserRef) -> ScheduleList | ScheduleHint:
        """Active and missed items of the events the user organises, soonest first."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            event_ids = [event.id for event in await self.managed_events(db, participant)]
            require(bool(event_ids) or await self.access.is_organiser_anywhere(db, participant), "organiser")
            rows = list(
                await db.scalars(
                    select(ScheduledItem)
                    .where(ScheduledItem.event_id.in_(event_ids), ScheduledItem.status.in_((ItemStatus.ACTIVE, ItemStatus.MISSED)))
                    .order_by(ScheduledItem.next_fire_at.is_(None), ScheduledItem.next_fire_at, ScheduledItem.id)
                )
            )
            if not rows:
                return ScheduleHint("nothing_scheduled")
            views = tuple([await item_view(db, item) for item in rows[:MAX_LISTED]])
            return ScheduleList(views, max(0, len(rows) - MAX_LISTED))

    async def cancel(self, user: UserRef, item_id: int) -> ItemCancelled | Notice:
        async with self.db.session() as db:
            item = await self._managed_item(db, user, item_id)
            if item is None:
                return Notice("stale")
            item.status = ItemStatus.CANCELLED
            item.next_fire_at = None
            self.changed(db, item.id)
            return ItemCancelled(await item_view(db, item))

    async def send_now(self, user: UserRef, item_id: int) -> SendingNow | Notice:
        """A missed item goes out now (once: a second press finds it active and is stale)."""
        async with self.db.session() as db:
            item = await self._managed_item(db, user, item_id)
            if item is None or item.status is not ItemStatus.MISSED:
                return Notice("stale")
            item.status = ItemStatus.ACTIVE
            item.next_fire_at = self.now()
            item.note = ""
            self.changed(db, item.id)
            view = await item_view(db, item)
            return SendingNow(view.target)

    async def change_time(self, db: AsyncSession, participant: Participant, item_id: int, text: str) -> Rescheduled | Refusal:
        """A new time for an item (typed after ✏️); used inside the caller's unit of work."""
        item = await db.get(ScheduledItem, item_id)
        if item is None or item.status not in (ItemStatus.ACTIVE, ItemStatus.MISSED):
            return Notice("stale")
        require(await self.access.can_manage_event(db, participant, item.event_id), EVENT_ORGANISER)
        target = await load_target(db, item.event_id, item.session_id)
        assert target is not None
        when = self.parse(text, target)
        if isinstance(when, WhenUnreadable):
            return when
        when = self._with_default_end(when, target)
        problem = self.check_time(when, target)
        if problem is not None:
            return problem
        item.when = when.to_dict()
        item.next_fire_at = next_fire(when, target, self.now())
        item.status = ItemStatus.ACTIVE
        item.note = ""
        self.changed(db, item.id)
        return Rescheduled(target, when)

    async def move_session(self, user: UserRef, code: str, new_start: str) -> SessionMoved | Refusal:
        """Move a session (its end keeps the duration); its relative reminders move with it."""
        async with self.db.session() as db:
            participant, _ = await load_actor(db, user)
            session = await find_session(db, code)
            if session is None:
                return Notice("unknown_session", {"ref": code[:32]})
            require(await self.access.can_manage_event(db, participant, session.event_id), EVENT_ORGANISER)
            target = await load_target(db, session.event_id, session.id)
            assert target is not None
            when = self.parse(new_start, target)
            if isinstance(when, WhenUnreadable):
                return when
            if when.kind != "absolute":
                return ScheduleHint("move_needs_date")
            start = next_fire(when, target, EPOCH)
            assert start is not None
            if session.ends_at is not None and session.starts_at is not None:
                session.ends_at = session.ends_at + (start - session.starts_at)
            session.starts_at = start
            await db.flush()
            self.catalog.invalidate(session.id)
            moved, passed = await self._follow_session(db, session)
            moved_target = await load_target(db, session.event_id, session.id)
            assert moved_target is not None
            return SessionMoved(moved_target, moved, passed)

    async def follow_session(self, db: AsyncSession, session: Session) -> object:
        """Re-time the relative items of a session something else moved (an agenda re-import)."""
        return await self._follow_session(db, session)

    async def _follow_session(self, db: AsyncSession, session: Session) -> tuple[tuple[ItemView, ...], tuple[ItemView, ...]]:
        """Recompute relative items of the session, and of its event (whose anchors may move)."""
        rows = await db.scalars(
            select(ScheduledItem).where(
                ScheduledItem.status == ItemStatus.ACTIVE,
                or_(
                    ScheduledItem.session_id == session.id,
                    (ScheduledItem.event_id == session.event_id) & ScheduledItem.session_id.is_(None),
                ),
            )
        )
        moved: list[ItemView] = []
        passed: list[ItemView] = []
        for item in rows:
            when = When.from_dict(item.when)
            if when.kind != "relative":
                continue
            target = await load_target(db, item.event_id, item.session_id)
            assert target is not None
            new = next_fire(when, target, self.now())
            if new is None and not anchor_missing(when, target):
                item.status, item.note = ItemStatus.MISSED, "moved"
                item.next_fire_at = None
                passed.append(await item_view(db, item, target))
            elif new != item.next_fire_at:
                item.next_fire_at = new
                moved.append(await item_view(db, item, target))
            self.changed(db, item.id)
        return tuple(moved), tuple(passed)

    # ----- helpers ------------------------------------------------------------------------

    async def find_target(self, db: AsyncSession, participant: Participant, ref: str) -> Target | Notice | ScheduleHint:
        """A session by join code, or "event" for the only event the user organises."""
        if ref.strip().lower() == "event":
            events = await self.managed_events(db, participant)
            if len(events) != 1:
                require(bool(events), "organiser")
                return ScheduleHint("which_event")
            found = await load_target(db, events[0].id, None)
        else:
            session = await find_session(db, ref)
            if session is None:
                return Notice("unknown_session", {"ref": ref[:32]})
            found = await load_target(db, session.event_id, session.id)
        assert found is not None
        require(await self.access.can_manage_event(db, participant, found.event_id), EVENT_ORGANISER)
        return found

    async def managed_events(self, db: AsyncSession, participant: Participant) -> list[Event]:
        """Events the user may schedule for, oldest first."""
        query = select(Event).order_by(Event.id)
        if not await self.access.is_global_organiser(db, participant):
            organised = select(Role.event_id).where(Role.participant_id == participant.id, Role.role == RoleName.ORGANISER)
            query = query.where(Event.id.in_(organised))
        return list(await db.scalars(query))

    async def _managed_item(self, db: AsyncSession, user: UserRef, item_id: int) -> ScheduledItem | None:
        """An item still pending (active or missed) that the user may change; None if stale."""
        participant, _ = await load_actor(db, user)
        item = await db.get(ScheduledItem, item_id)
        if item is None or item.status not in (ItemStatus.ACTIVE, ItemStatus.MISSED):
            return None
        require(await self.access.can_manage_event(db, participant, item.event_id), EVENT_ORGANISER)
        return item


async def find_session(db: AsyncSession, ref: str) -> Session | None:
    """A session by its join code (any case)."""
    value = ref.strip().upper()
    if not value or len(value) > 16:
        return None
    return await db.scalar(select(Session).where(func.upper(Session.join_code) == value))
