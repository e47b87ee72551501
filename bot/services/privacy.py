"""Participants' privacy: everything stored about a person (/mydata), erasing it (/forget), and
erasing it automatically once an event's retention period has passed.

Personal data here is what ties input to a person: name, organisation, Telegram id and
username. Erasing a person either deletes them with everything they sent, or keeps their
contributions (and votes) under an anonymous row without any of those. Either way the reports of
the sessions they took part in get a new version without them, and earlier versions, rapporteurs'
edits and frozen broadcast texts are scrubbed of their name and organisation, so nothing in the
database still names them. What replaces a name in a stored report ("a participant") is written
in the language of that report, the event's report language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, supported, translator
from bot.reports.render.markdown import render_markdown
from bot.reports.serialize import report_from_dict
from bot.services.outbox import Outbox
from bot.services.reporting import Reporting
from bot.services.state import load_actor
from bot.services.views import UserRef
from storage.db import Database
from storage.models import (
    Base,
    ChatState,
    Contribution,
    Delivery,
    DeliveryPart,
    DeliveryRecipient,
    Event,
    Participant,
    PendingRole,
    Progress,
    Prompt,
    Reaction,
    ReportEdit,
    ReportVersion,
    Role,
    RoleName,
    ScheduledItem,
    Session,
)
from storage.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 180
MAX_RETENTION_DAYS = 3650
# What takes an erased person's place in stored reports, translated into each report's language.
REMOVED_NAME = N_("a participant")
REMOVED_ORGANISATION = N_("an organisation")
WITHDRAWN = N_("[withdrawn by its author]")


@dataclass(frozen=True, slots=True)
class ErasureDate:
    """When an event's participants are erased automatically: `after`, shown in the event's zone."""

    event: str
    after: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything stored about one person, ready to be written as JSON."""

    data: dict[str, Any]
    sessions: int
    contributions: int
    reactions: int
    roles: int
    consent_at: datetime | None = None
    erasures: tuple[ErasureDate, ...] = ()


@dataclass(frozen=True, slots=True)
class ForgetPreview:
    """What /forget would erase, shown before the person chooses."""

    contributions: int
    sessions: int
    reactions: int


@dataclass(frozen=True, slots=True)
class Forgotten:
    kept_contributions: bool
    contributions: int
    reports_regenerated: int


@dataclass(frozen=True, slots=True)
class RetentionApplied:
    """One event whose retention period ended: who was erased, and whom to tell."""

    event_id: int
    event_title: str
    retention_days: int
    erased: int
    reports_regenerated: int
    organiser_chat_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Erasure:
    sessions: set[int]
    contributions: int


class Privacy:
    def __init__(self, db: Database, reporting: Reporting, organiser_ids: Iterable[int] = (), outbox: Outbox | None = None) -> None:
        self.db = db
        self.reporting = reporting
        self.organiser_ids = tuple(sorted(organiser_ids))
        self.outbox = outbox

    async def _strike_off_sent_replies(self) -> None:
        """Replies already sent are struck off the outbox in batches, a moment later; an erasure
        does it first, so that a draft just sent to a rapporteur, naming the person, is not left
        in the database after it."""
        if self.outbox is not None:
            await self.outbox.flush()

    # ----- /mydata ------------------------------------------------------------------------

    async def my_data(self, user: UserRef) -> PersonalData:
        async with self.db.session() as db:
            participant, state = await load_actor(db, user)
            joined = (
                await db.execute(
                    select(Progress, Session, Event)
                    .join(Session, Session.id == Progress.session_id)
                    .join(Event, Event.id == Session.event_id)
                    .where(Progress.participant_id == participant.id)
                    .order_by(Progress.joined_at)
                )
            ).all()
            contributions = (
                await db.execute(
                    select(Contribution, Prompt, Session.title)
                    .join(Prompt, Prompt.id == Contribution.prompt_id)
                    .join(Session, Session.id == Contribution.session_id)
                    .where(Contribution.participant_id == participant.id)
                    .order_by(Contribution.id)
                )
            ).all()
            reactions = list(await db.scalars(select(Reaction).where(Reaction.participant_id == participant.id).order_by(Reaction.id)))
            roles = (
                await db.execute(
                    select(Role, Event.title, Session.title)
                    .outerjoin(Event, Event.id == Role.event_id)
                    .outerjoin(Session, Session.id == Role.session_id)
                    .where(Role.participant_id == participant.id)
                    .order_by(Role.id)
                )
            ).all()
            erasures: dict[int, ErasureDate] = {}
            for _progress, _session, event in joined:
                if event.id not in erasures:
                    end = await _event_end(db, event)
                    erasures[event.id] = ErasureDate(event.title, end + timedelta(days=event.retention_days), event.timezone)
        data: dict[str, Any] = {
            "profile": {
                "telegram_user_id": participant.telegram_user_id,
                "username": participant.username,
                "name": participant.display_name,
                "organisation": participant.organisation,
                "community": participant.community.value if participant.community else None,
                "language": participant.language,
                "consent_given_at": _iso(participant.consent_at),
                "first_seen_at": _iso(participant.created_at),
                "blocked_bot_at": _iso(participant.blocked_at),
            },
            "roles": [
                {"role": role.role.value, "event": event_title, "session": session_title, "since": _iso(role.created_at)}
                for role, event_title, session_title in roles
            ],
            "sessions_joined": [
                {
                    "session": session.title,
                    "code": session.join_code,
                    "event": event.title,
                    "anonymous": session.is_anonymous,
                    "joined_at": _iso(progress.joined_at),
                    "question_reached": progress.prompt_position + 1,
                    "finished_at": _iso(progress.finished_at),
                }
                for progress, session, event in joined
            ],
            "contributions": [
                {
                    "id": row.id,
                    "session": title,
                    "question": prompt.text,
                    "kind": prompt.kind.value,
                    "text": row.text,
                    "hidden_from_report": row.hidden,
                    "sent_at": _iso(row.created_at),
                    "edited_at": _iso(row.edited_at),
                }
                for row, prompt, title in contributions
            ],
            "reactions": [{"contribution_id": r.contribution_id, "reaction": r.value.value, "at": _iso(r.updated_at)} for r in reactions],
            "chat_state": {
                "flow": state.flow,
                "step": state.step,
                "active_session_id": state.active_session_id,
                "updated_at": _iso(state.updated_at) if state.updated_at else None,
            },
            "retention": [{"event": item.event, "erased_after": _iso(item.after)} for item in erasures.values()],
        }
        return PersonalData(
            data, len(joined), len(contributions), len(reactions), len(roles), participant.consent_at, tuple(erasures.values())
        )

    # ----- /forget ------------------------------------------------------------------------

    async def preview_forget(self, user: UserRef) -> ForgetPreview:
        async with self.db.session() as db:
            participant, _state = await load_actor(db, user)
            contributions = int(
                await db.scalar(select(func.count()).select_from(Contribution).where(Contribution.participant_id == participant.id)) or 0
            )
            sessions = int(
                await db.scalar(select(func.count()).select_from(Progress).where(Progress.participant_id == participant.id)) or 0
            )
            reactions = int(
                await db.scalar(select(func.count()).select_from(Reaction).where(Reaction.participant_id == participant.id)) or 0
            )
            return ForgetPreview(contributions, sessions, reactions)

    async def forget(self, user: UserRef, *, keep_contributions: bool) -> Forgotten:
        """Erase the person; their sessions' reports get a new version without them. One
        transaction: a crash leaves either the person as they were or entirely erased."""
        await self._strike_off_sent_replies()
        async with self.db.session() as db:
            participant, _state = await load_actor(db, user)
            erasure = await self._erase(db, participant, keep_contributions=keep_contributions)
            regenerated = await self._regenerate(db, erasure.sessions)
        log.info("Participant erased on request (%s contributions %s)", erasure.contributions, "kept" if keep_contributions else "deleted")
        return Forgotten(keep_contributions, erasure.contributions, regenerated)

    # ----- retention ----------------------------------------------------------------------

    async def apply_retention(self, now: datetime | None = None) -> list[RetentionApplied]:
        """Erase (keeping contributions, anonymously) the participants of every event whose
        retention period has ended, unless they also take part in an event still running."""
        now = now or utcnow()
        applied: list[RetentionApplied] = []
        await self._strike_off_sent_replies()
        async with self.db.session() as db:
            expired: dict[int, Event] = {}
            for event in await db.scalars(select(Event).order_by(Event.id)):
                if now >= await _event_end(db, event) + timedelta(days=event.retention_days):
                    expired[event.id] = event
            if not expired:
                return []
            membership = (
                await db.execute(
                    select(Progress.participant_id, Session.event_id)
                    .join(Session, Session.id == Progress.session_id)
                    .join(Participant, Participant.id == Progress.participant_id)
                    .where(Participant.erased_at.is_(None))
                )
            ).all()
            events_of: dict[int, set[int]] = {}
            for participant_id, event_id in membership:
                events_of.setdefault(participant_id, set()).add(event_id)
            for event in expired.values():
                people = sorted(pid for pid, events in events_of.items() if event.id in events and events <= expired.keys())
                if not people:
                    continue
                sessions: set[int] = set()
                for participant_id in people:
                    participant = await db.get(Participant, participant_id)
                    if participant is not None and participant.erased_at is None:
                        sessions |= (await self._erase(db, participant, keep_contributions=True)).sessions
                    events_of.pop(participant_id, None)
                regenerated = await self._regenerate(db, sessions)
                organisers = await self._organisers_of(db, event.id)
                applied.append(RetentionApplied(event.id, event.title, event.retention_days, len(people), regenerated, organisers))
                log.info("Retention: erased %d participant(s) of event %d after %d days", len(people), event.id, event.retention_days)
        return applied

    async def _organisers_of(self, db: AsyncSession, event_id: int) -> tuple[int, ...]:
        rows = await db.scalars(
            select(Participant.telegram_user_id)
            .join(Role, Role.participant_id == Participant.id)
            .where(Role.event_id == event_id, Role.role == RoleName.ORGANISER, Participant.telegram_user_id.is_not(None))
        )
        found = {int(chat_id) for chat_id in rows if chat_id is not None}
        return tuple(sorted(found)) or self.organiser_ids

    # ----- erasing ------------------------------------------------------------------------

    async def _erase(self, db: AsyncSession, participant: Participant, *, keep_contributions: bool) -> _Erasure:
        contributed = set(await db.scalars(select(Contribution.session_id).where(Contribution.participant_id == participant.id)))
        reacted = set(
            await db.scalars(
                select(Contribution.session_id)
                .join(Reaction, Reaction.contribution_id == Contribution.id)
                .where(Reaction.participant_id == participant.id)
            )
        )
        texts = list(await db.scalars(select(Contribution.text).where(Contribution.participant_id == participant.id)))
        count = len(texts)
        names = _names(participant)
        if not keep_contributions:  # earlier versions quote them: those quotes go too
            names += _quotes(texts)
        telegram_id, username = participant.telegram_user_id, participant.username
        if telegram_id is not None:
            await db.execute(delete(DeliveryPart).where(DeliveryPart.chat_id == telegram_id))
            await db.execute(delete(DeliveryRecipient).where(DeliveryRecipient.chat_id == telegram_id))
            await _drop_transport_records(db, telegram_id)
        if username:
            await db.execute(delete(PendingRole).where(func.lower(PendingRole.username) == username.lower()))
        await db.execute(delete(DeliveryRecipient).where(DeliveryRecipient.participant_id == participant.id))
        await db.execute(delete(Role).where(Role.participant_id == participant.id))
        await db.execute(delete(ChatState).where(ChatState.participant_id == participant.id))
        if keep_contributions and (count or reacted):
            await db.execute(
                update(Contribution).where(Contribution.participant_id == participant.id).values(tg_chat_id=None, tg_message_id=None)
            )
            participant.telegram_user_id = None
            participant.username = None
            participant.display_name = ""
            participant.organisation = ""
            participant.language = ""
            participant.consent_at = None
            participant.blocked_at = None
            participant.erased_at = utcnow()
        else:
            await db.execute(delete(Reaction).where(Reaction.participant_id == participant.id))
            await db.execute(delete(Contribution).where(Contribution.participant_id == participant.id))
            await db.execute(delete(Progress).where(Progress.participant_id == participant.id))
            await db.delete(participant)
        await db.flush()
        sessions = contributed | reacted
        await _scrub(db, sessions, names)
        return _Erasure(sessions, count)

    async def _regenerate(self, db: AsyncSession, session_ids: set[int]) -> int:
        """A new report version for each session that already had one: the next reader sees
        the report without the erased person."""
        if not session_ids:
            return 0
        reported = sorted(set(await db.scalars(select(ReportVersion.session_id).where(ReportVersion.session_id.in_(session_ids)))))
        for session_id in reported:
            await self.reporting.regenerate_in(db, session_id)
        return len(reported)


async def _drop_transport_records(db: AsyncSession, telegram_id: int) -> None:
    """Raw updates from the person and replies owed to them, where a durable update path keeps
    them (tables `inbox_updates` and `outbox_messages`, when the schema has them). Only processed
    updates go: the one being handled now is the update path's own business until it is done."""
    tables = Base.metadata.tables
    outbox = tables.get("outbox_messages")
    if outbox is not None and "chat_id" in outbox.c:
        await db.execute(delete(outbox).where(outbox.c.chat_id == telegram_id))
    inbox = tables.get("inbox_updates")
    if inbox is not None and {"update_id", "payload", "processed_at"} <= set(inbox.c.keys()):
        rows = await db.execute(select(inbox.c.update_id, inbox.c.payload).where(inbox.c.processed_at.is_not(None)))
        mine = [update_id for update_id, payload in rows if telegram_id in _people_in(payload)]
        if mine:
            await db.execute(delete(inbox).where(inbox.c.update_id.in_(mine)))


def _people_in(payload: Any) -> set[int]:
    """The ids of every sender and chat named in a raw Telegram update."""
    found: set[int] = set()
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in ("from", "chat", "user") and isinstance(value, dict) and isinstance(value.get("id"), int):
                found.add(value["id"])
            found |= _people_in(value)
    elif isinstance(payload, list):
        for item in payload:
            found |= _people_in(item)
    return found


def _names(participant: Participant) -> list[tuple[str, str]]:
    """What to replace, longest first: "Name (Organisation)", the name, the organisation."""
    name, organisation = participant.display_name.strip(), participant.organisation.strip()
    pairs = []
    if name and organisation:
        pairs.append((f"{name} ({organisation})", REMOVED_NAME))
    if len(name) >= 3:
        pairs.append((name, REMOVED_NAME))
    if len(organisation) >= 3:
        pairs.append((organisation, REMOVED_ORGANISATION))
    return pairs


def _quotes(texts: list[str]) -> list[tuple[str, str]]:
    """Deleted answers as earlier report versions may quote them: as sent, without the final
    full stop, and starting in lower case (reported speech), longest first."""
    variants: set[str] = set()
    for text in texts:
        stripped = text.strip()
        for variant in (stripped, stripped.rstrip(".!?;")):
            if len(variant) >= 8:
                variants.update((variant, variant[:1].lower() + variant[1:]))
    return [(variant, WITHDRAWN) for variant in sorted(variants, key=len, reverse=True)]


def _scrubbed(value: Any, names: list[tuple[str, str]]) -> Any:
    """JSON-like data with every mention of the names replaced; an author equal to one is dropped."""
    if isinstance(value, str):
        for old, new in names:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_scrubbed(item, names) for item in value]
    if isinstance(value, dict):
        cleaned = {key: _scrubbed(item, names) for key, item in value.items()}
        if isinstance(value.get("author"), str) and any(value["author"] == old for old, _new in names):
            cleaned["author"] = None
        return cleaned
    return value


def _in_language(names: list[tuple[str, str]], locale: str | None) -> list[tuple[str, str]]:
    """The replacements (English message ids) in a report's language."""
    tr = translator(supported(locale))
    return [(old, tr.gettext(new)) for old, new in names]


async def _scrub(db: AsyncSession, session_ids: set[int], names: list[tuple[str, str]]) -> None:
    """Earlier report versions and rapporteurs' edits of these sessions, and the frozen texts of
    their events' deliveries; each in its event's report language."""
    if not names or not session_ids:
        return
    languages = dict(
        (
            await db.execute(
                select(Session.id, Event.report_language).join(Event, Event.id == Session.event_id).where(Session.id.in_(session_ids))
            )
        ).all()
    )
    for version in await db.scalars(select(ReportVersion).where(ReportVersion.session_id.in_(session_ids))):
        content = _scrubbed(version.content, _in_language(names, languages.get(version.session_id)))
        if content != version.content:
            version.content = content
            version.markdown = render_markdown(report_from_dict(content))
    for edit in await db.scalars(select(ReportEdit).where(ReportEdit.session_id.in_(session_ids))):
        edit.value = _scrubbed(edit.value, _in_language(names, languages.get(edit.session_id)))
    events = select(Session.event_id).where(Session.id.in_(session_ids))  # event-wide deliveries quote every session
    deliveries = await db.execute(
        select(Delivery, Event.report_language)
        .join(ScheduledItem, ScheduledItem.id == Delivery.scheduled_item_id)
        .join(Event, Event.id == ScheduledItem.event_id)
        .where(ScheduledItem.event_id.in_(events))
    )
    for delivery, language in deliveries:
        content = _scrubbed(delivery.content, _in_language(names, language))
        if content != delivery.content:
            delivery.content = content


async def _event_end(db: AsyncSession, event: Event) -> datetime:
    """When an event ended: its last session's end or the end of its last day in its time zone;
    an event set up after its dates (an agenda imported afterwards) counts from when it was set up,
    so data is never erased sooner than the retention period after it was collected."""
    last_session = await db.scalar(select(func.max(func.coalesce(Session.ends_at, Session.starts_at))).where(Session.event_id == event.id))
    candidates = [event.created_at]
    if last_session is not None:
        candidates.append(last_session if last_session.tzinfo else last_session.replace(tzinfo=UTC))
    day: date | None = event.ends_on or event.starts_on
    if day is not None:
        try:
            zone = ZoneInfo(event.timezone)
        except (KeyError, ValueError):
            zone = ZoneInfo("UTC")
        candidates.append(datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC))
    return max(candidates)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None
