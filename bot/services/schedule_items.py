"""What the scheduling use cases share: targets, the instants items fire at, and their snapshots.

An item targets a session or a whole event. Relative times ("15 min before start") are anchored to
the session's start or end; for an event, to its first session's start and its last session's end,
so "1 day before start" means the day before the meeting opens. Everything here runs inside the
caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, supported
from bot.scheduling.timing import When, describe, resolve
from bot.services.ids import parse_id
from storage.models import Audience, Document, Event, ItemStatus, ScheduledItem, ScheduleKind, Session

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Target:
    """An event, or one of its sessions, as scheduling sees it."""

    event_id: int
    event_title: str
    timezone: str
    session_id: int | None = None
    session_title: str = ""
    join_code: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    track: str = ""
    last_day: date | None = None  # the event's last day: daily reminders stop there by default
    language: str = "en"  # the event's report language: what a channel or group is sent

    @property
    def title(self) -> str:
        return self.session_title or self.event_title

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def key(self) -> str:
        """The target as button data: s<session id> or e<event id>."""
        return f"s{self.session_id}" if self.session_id is not None else f"e{self.event_id}"


@dataclass(frozen=True, slots=True)
class ItemView:
    """A scheduled item for listings and confirmations; times are UTC, shown in `target.timezone`."""

    id: int
    kind: ScheduleKind
    audience: Audience
    text: str
    when: When
    next_fire_at: datetime | None
    status: ItemStatus
    note: str
    target: Target
    recurring: bool
    options: dict[str, Any]
    documents: int = 0

    def when_text(self, tr: Translator | None = None) -> str:
        """When it goes out, in `tr`'s language (English by default)."""
        return when_text(self.when, self.target, tr)


async def load_target(db: AsyncSession, event_id: int, session_id: int | None) -> Target | None:
    """The target with its anchors; an event's anchors span its sessions."""
    event = await db.get(Event, event_id)
    if event is None:
        return None
    if session_id is None:
        first, last = (
            await db.execute(select(func.min(Session.starts_at), func.max(Session.ends_at)).where(Session.event_id == event_id))
        ).one()
        return Target(
            event.id,
            event.title,
            event.timezone,
            starts_at=_aware(first),
            ends_at=_aware(last),
            last_day=event.ends_on,
            language=supported(event.report_language),
        )
    session = await db.get(Session, session_id)
    if session is None or session.event_id != event_id:
        return None
    return Target(
        event.id,
        event.title,
        event.timezone,
        session.id,
        session.title,
        session.join_code,
        session.starts_at,
        session.ends_at,
        session.track,
        event.ends_on,
        supported(event.report_language),
    )


async def target_from_key(db: AsyncSession, key: str) -> Target | None:
    """A target from button data (s12 / e3); None for anything malformed or unknown."""
    number = parse_id(key[1:]) if len(key) >= 2 and key[0] in "se" else None
    if number is None:
        return None
    if key[0] == "e":
        return await load_target(db, number, None)
    session = await db.get(Session, number)
    return await load_target(db, session.event_id, session.id) if session is not None else None


def next_fire(when: When, target: Target, after: datetime) -> datetime | None:
    """The next instant strictly after `after`, or None (past, or the session has no time yet)."""
    return resolve(when, session_start=target.starts_at, session_end=target.ends_at, tz=target.zone, after=after)


def anchor_missing(when: When, target: Target) -> bool:
    """A relative time whose session (or event) has no start/end yet: it waits for one."""
    if when.kind != "relative":
        return False
    return (target.starts_at if when.anchor == "start" else target.ends_at) is None


def when_text(when: When, target: Target, tr: Translator | None = None) -> str:
    return describe(when, target.zone, session_start=target.starts_at, session_end=target.ends_at, tr=tr)


async def item_view(db: AsyncSession, item: ScheduledItem, target: Target | None = None) -> ItemView:
    target = target or await load_target(db, item.event_id, item.session_id)
    assert target is not None
    when = When.from_dict(item.when)
    documents = len(item.options.get("documents", [])) if item.kind is ScheduleKind.PAPERS else 0
    return ItemView(
        item.id,
        item.kind,
        item.audience,
        item.text,
        when,
        item.next_fire_at,
        item.status,
        item.note,
        target,
        when.kind == "recurring",
        dict(item.options),
        documents,
    )


async def documents_of(db: AsyncSession, ids: list[int], event_id: int) -> list[Document]:
    """The item's documents that still exist, in the order they were attached."""
    if not ids:
        return []
    rows = await db.scalars(select(Document).where(Document.id.in_(ids), Document.event_id == event_id).order_by(Document.id))
    return list(rows)


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates bypass the UTC column type, so SQLite hands back naive (UTC) values."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns min()/max() of a DATETIME column as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
