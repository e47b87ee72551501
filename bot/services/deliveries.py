"""What the scheduler asks of the domain when an item comes due, and when a broadcast ends.

Firing is two steps, each one unit of work. `plan` reads what is needed to render the message;
`open` then, in one transaction, checks the item is still due at that very occurrence, creates
the Delivery (unique per item and occurrence, so a second firing creates nothing), snapshots
its recipients, and moves the item on (done, or its next daily occurrence). A crash before `open`
commits leaves the item due (fired or reported missed at the next start); after, the delivery
exists and is resumed. No Telegram types here: the runner renders and sends.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import supported
from bot.scheduling.timing import When
from bot.services.access import require
from bot.services.outcomes import Notice
from bot.services.recipients import recipients
from bot.services.schedule_items import ItemView, Target, documents_of, item_view, load_target, next_fire
from bot.services.scheduling import EVENT_ORGANISER, Scheduling
from bot.services.state import load_actor
from bot.services.views import UserRef
from storage.db import Database
from storage.models import (
    Anonymity,
    Audience,
    Delivery,
    DeliveryPart,
    DeliveryRecipient,
    ItemStatus,
    Participant,
    PartState,
    RecipientStatus,
    ScheduledItem,
    ScheduleKind,
    Session,
)
from storage.types import utcnow

# Parts that did not (surely) arrive, named in the organiser's summary.
_NOT_ARRIVED = (PartState.UNCONFIRMED, PartState.FAILED, PartState.BLOCKED, PartState.PENDING, PartState.SENDING)
ReopenListener = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class SessionLine:
    starts_at: datetime | None
    title: str
    track: str


@dataclass(frozen=True, slots=True)
class FirePlan:
    """Everything needed to render one firing of an item."""

    item_id: int
    kind: ScheduleKind
    audience: Audience
    text: str
    occurrence: datetime | None
    status: ItemStatus
    target: Target
    options: dict[str, Any]
    documents: tuple[tuple[str, str], ...]  # (file_id, file name)
    creator_chat: int | None
    recurring: bool
    digest: tuple[SessionLine, ...] = ()  # the event's sessions that day, for daily reminders
    creator_locale: str = "en"


@dataclass(frozen=True, slots=True)
class Opened:
    delivery_id: int
    recipients: int


@dataclass(frozen=True, slots=True)
class Missed:
    item: ItemView
    occurrence: datetime
    creator_chat: int | None
    reason: str
    creator_locale: str = "en"  # the organiser's language, for the notice


@dataclass(frozen=True, slots=True)
class PartName:
    """How the summary names a part: a file by its name; a text as "text" (numbered when there
    are several), worded in the organiser's language when shown."""

    kind: Literal["text", "document", "file"]
    file_name: str = ""
    number: int = 1
    of: int = 1


@dataclass(frozen=True, slots=True)
class Problem:
    """A recipient who did not get the item (or not all of it), for the organiser's summary."""

    name: str  # empty for a chat without a name (shown by its id)
    chat_id: int
    status: RecipientStatus
    detail: str
    missing: tuple[PartName, ...] = ()  # the parts that did not surely arrive, when only some did


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivery_id: int
    kind: ScheduleKind
    audience: Audience
    target: Target
    occurrence: datetime
    counts: dict[str, int]  # RecipientStatus value -> recipients
    problems: tuple[Problem, ...]
    creator_chat: int | None
    summary_sent: bool = False
    options: dict[str, Any] | None = None
    creator_locale: str = "en"  # the organiser's language, for the summary

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def unconfirmed(self) -> int:
        return self.counts.get(RecipientStatus.UNCONFIRMED.value, 0)


@dataclass(frozen=True, slots=True)
class ResendAsked:
    """The organiser pressed "Resend to unconfirmed": they confirm, knowing some may get it twice."""

    delivery_id: int
    recipients: int
    target: Target


@dataclass(frozen=True, slots=True)
class ResendStarted:
    delivery_id: int
    recipients: int
    target: Target


def content_parts(content: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A delivery's parts in the order they are sent: texts, documents by file_id, files to upload.

    A part's index is its number in the delivery_parts table, so this order never changes."""
    found: list[tuple[str, str]] = [("text", text) for text in content.get("messages", [])]
    found += [("document", d["file_id"]) for d in content.get("documents", [])]
    found += [("upload", u["name"]) for u in content.get("uploads", [])]
    return found


def part_labels(content: Mapping[str, Any]) -> list[PartName]:
    """How the summary names each part, in the order of `content_parts`."""
    texts = len(content.get("messages", []))
    labels = [PartName("text", number=n, of=texts) for n in range(1, texts + 1)]
    labels += [PartName("document", str(d.get("name") or "")) for d in content.get("documents", [])]
    labels += [PartName("file", str(u.get("name") or "")) for u in content.get("uploads", [])]
    return labels


class Deliveries:
    def __init__(self, db: Database, scheduling: Scheduling) -> None:
        self.db = db
        self.scheduling = scheduling
        self._reopen_listeners: list[ReopenListener] = []

    def add_reopen_listener(self, listener: ReopenListener) -> None:
        """Told (after commit) of every delivery reopened to resend, so that it runs at once."""
        self._reopen_listeners.append(listener)

    def remove_reopen_listener(self, listener: ReopenListener) -> None:
        if listener in self._reopen_listeners:
            self._reopen_listeners.remove(listener)

    # ----- what is due ----------------------------------------------------------------------

    async def due(self, item_ids: Collection[int] | None = None) -> list[tuple[int, ScheduleKind, datetime]]:
        """Active items with a fire time (all, or those of `item_ids`), soonest first."""
        query = select(ScheduledItem.id, ScheduledItem.kind, ScheduledItem.next_fire_at).where(
            ScheduledItem.status == ItemStatus.ACTIVE, ScheduledItem.next_fire_at.is_not(None)
        )
        if item_ids is not None:
            query = query.where(ScheduledItem.id.in_(list(item_ids)))
        async with self.db.session() as db:
            rows = await db.execute(query.order_by(ScheduledItem.next_fire_at))
            return [(item_id, kind, at) for item_id, kind, at in rows if at is not None]  # none is None: filtered above

    async def plan(self, item_id: int) -> FirePlan | None:
        async with self.db.session() as db:
            item = await db.get(ScheduledItem, item_id)
            if item is None:
                return None
            target = await load_target(db, item.event_id, item.session_id)
            if target is None:
                return None
            documents = await documents_of(db, [int(i) for i in item.options.get("documents", [])], item.event_id)
            recurring = When.from_dict(item.when).kind == "recurring"
            digest = await self._digest(db, target, item.next_fire_at) if recurring and item.session_id is None else ()
            creator_chat, creator_locale = await _creator(db, item.created_by)
            return FirePlan(
                item.id,
                item.kind,
                item.audience,
                item.text,
                item.next_fire_at,
                item.status,
                target,
                dict(item.options),
                tuple((d.file_id, d.file_name) for d in documents),
                creator_chat,
                recurring,
                digest,
                creator_locale,
            )

    # ----- firing ---------------------------------------------------------------------------

    async def open(self, item_id: int, occurrence: datetime, content: dict[str, Any]) -> Opened | None:
        """Start the delivery of this occurrence, or None if it is no longer due (or already started)."""
        try:
            async with self.db.session() as db:
                item = await db.get(ScheduledItem, item_id, with_for_update=True)
                if item is None or item.status is not ItemStatus.ACTIVE or item.next_fire_at != occurrence:
                    return None
                exists = await db.scalar(
                    select(Delivery.id).where(Delivery.scheduled_item_id == item_id, Delivery.occurrence_at == occurrence)
                )
                if exists is not None:
                    return None
                people = await recipients(db, item)
                delivery = Delivery(scheduled_item_id=item.id, occurrence_at=occurrence, content=content, started_at=utcnow())
                db.add(delivery)
                await db.flush()
                if people:
                    await db.execute(
                        insert(DeliveryRecipient),
                        [
                            {
                                "delivery_id": delivery.id,
                                "chat_id": person.chat_id,
                                "position": position,
                                "participant_id": person.participant_id,
                                "status": RecipientStatus.PENDING,
                                "attempts": 0,
                                "updated_at": utcnow(),
                            }
                            for position, person in enumerate(people)
                        ],
                    )
                await self._advance(db, item, occurrence)
                return Opened(delivery.id, len(people))
        except IntegrityError:  # another firing of the same occurrence won the race
            return None

    async def miss(self, item_id: int, occurrence: datetime, reason: str) -> Missed | None:
        """Record that this occurrence was not sent (`reason`: offline, no_report); daily items move on."""
        async with self.db.session() as db:
            item = await db.get(ScheduledItem, item_id, with_for_update=True)
            if item is None or item.status is not ItemStatus.ACTIVE or item.next_fire_at != occurrence:
                return None
            target = await load_target(db, item.event_id, item.session_id)
            assert target is not None
            when = When.from_dict(item.when)
            item.note = reason
            if when.kind == "recurring":
                item.next_fire_at = next_fire(when, target, max(occurrence, self.scheduling.now()))
                if item.next_fire_at is None:
                    item.status = ItemStatus.DONE
            else:
                item.status = ItemStatus.MISSED
            self.scheduling.changed(db, item.id)
            creator_chat, creator_locale = await _creator(db, item.created_by)
            return Missed(await item_view(db, item, target), occurrence, creator_chat, reason, creator_locale)

    async def _advance(self, db: AsyncSession, item: ScheduledItem, occurrence: datetime) -> None:
        """After a firing: done, or the next daily occurrence still ahead (missed days are skipped)."""
        when = When.from_dict(item.when)
        item.last_fired_at = occurrence
        item.note = ""
        item.next_fire_at = None
        if when.kind == "recurring":
            target = await load_target(db, item.event_id, item.session_id)
            assert target is not None
            item.next_fire_at = next_fire(when, target, max(occurrence, self.scheduling.now()))
        if item.next_fire_at is None:
            item.status = ItemStatus.DONE
        self.scheduling.changed(db, item.id)

    # ----- running and finishing broadcasts -------------------------------------------------

    async def unfinished(self) -> list[int]:
        """Deliveries a stop or crash interrupted, oldest first."""
        async with self.db.session() as db:
            return list(await db.scalars(select(Delivery.id).where(Delivery.finished_at.is_(None)).order_by(Delivery.id)))

    async def unsummarised(self) -> list[int]:
        """Finished deliveries whose summary nobody has claimed yet."""
        async with self.db.session() as db:
            return list(
                await db.scalars(
                    select(Delivery.id)
                    .where(Delivery.finished_at.is_not(None), Delivery.summary_claimed_at.is_(None))
                    .order_by(Delivery.id)
                )
            )

    async def release_summary_claims(self) -> list[int]:
        """On start only: summaries claimed by a run that died before they were sent are owed again.

        A duplicate summary (the crash came after Telegram got it) is better than none: it is the
        organiser's only view of who did not get the delivery."""
        async with self.db.session() as db:
            rows = await db.scalars(
                update(Delivery)
                .where(Delivery.summary_claimed_at.is_not(None), Delivery.summary_sent_at.is_(None), Delivery.finished_at.is_not(None))
                .values(summary_claimed_at=None)
                .returning(Delivery.id)
            )
            return list(rows)

    async def claim_summary(self, delivery_id: int) -> bool:
        """Take the right to send this delivery's summary: True for exactly one caller, anywhere."""
        async with self.db.session() as db:
            won = await db.scalar(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.finished_at.is_not(None), Delivery.summary_claimed_at.is_(None))
                .values(summary_claimed_at=utcnow())
                .returning(Delivery.id)
            )
            return won is not None

    async def recipient_locales(self, delivery_id: int) -> dict[int, str]:
        """Each person's language by chat, for sending them the content in it (channels and
        groups have none: they get the event's language)."""
        async with self.db.session() as db:
            rows = await db.execute(
                select(DeliveryRecipient.chat_id, Participant.language)
                .join(Participant, Participant.id == DeliveryRecipient.participant_id)
                .where(DeliveryRecipient.delivery_id == delivery_id)
            )
            return {chat_id: supported(language) for chat_id, language in rows}

    async def content(self, delivery_id: int) -> dict[str, Any]:
        async with self.db.session() as db:
            delivery = await db.get(Delivery, delivery_id)
            return dict(delivery.content) if delivery is not None else {}

    async def remember_file(self, delivery_id: int, name: str, file_id: str) -> None:
        """An uploaded file's Telegram file_id, so that a resumed delivery does not upload it again."""
        async with self.db.session() as db:
            delivery = await db.get(Delivery, delivery_id, with_for_update=True)
            if delivery is None:
                return
            content = dict(delivery.content)
            content["uploads"] = [
                {**upload, "file_id": file_id} if upload.get("name") == name else upload for upload in content.get("uploads", [])
            ]
            delivery.content = content

    async def finish(self, delivery_id: int) -> DeliveryReport:
        """Close the delivery and count its outcomes over every run (a resumed one included).

        Every recipient who did not get it all is listed (the summary pages them); names stay out
        of a nudge to the non-responders of an anonymous session, which would say who is silent."""
        async with self.db.session() as db:
            delivery = await db.get(Delivery, delivery_id)
            assert delivery is not None
            item = await db.get(ScheduledItem, delivery.scheduled_item_id)
            assert item is not None
            target = await load_target(db, item.event_id, item.session_id)
            assert target is not None
            counts = {
                status.value: int(count)
                for status, count in (
                    await db.execute(
                        select(DeliveryRecipient.status, func.count())
                        .where(DeliveryRecipient.delivery_id == delivery_id)
                        .group_by(DeliveryRecipient.status)
                    )
                )
            }
            if delivery.finished_at is None:
                delivery.finished_at = utcnow()
                delivery.summary = counts
            creator_chat, creator_locale = await _creator(db, item.created_by)
            return DeliveryReport(
                delivery.id,
                item.kind,
                item.audience,
                target,
                delivery.occurrence_at,
                counts,
                await self._problems(db, delivery, named=not await _hides_names(db, item)),
                creator_chat,
                delivery.summary_sent_at is not None,
                dict(item.options),
                creator_locale,
            )

    async def summary_sent(self, delivery_id: int) -> None:
        async with self.db.session() as db:
            delivery = await db.get(Delivery, delivery_id)
            if delivery is not None:
                delivery.summary_sent_at = utcnow()

    # ----- resending to the unconfirmed ---------------------------------------------------------

    async def ask_resend(self, user: UserRef, delivery_id: int) -> ResendAsked | Notice:
        """What "Resend to unconfirmed" would do, for the organiser to confirm."""
        async with self.db.session() as db:
            found = await self._resendable(db, user, delivery_id)
            return ResendAsked(delivery_id, found[1], found[0]) if found else Notice("stale")

    async def resend(self, user: UserRef, delivery_id: int) -> ResendStarted | Notice:
        """Reopen the delivery for its unconfirmed parts only; the broadcast engine sends them.

        Claimed like a send: the delivery moves from finished to open in one UPDATE, so a second
        press (or a second process) finds it open and does nothing. Its new summary follows."""
        async with self.db.session() as db:
            found = await self._resendable(db, user, delivery_id)
            reopened = found and await db.scalar(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.finished_at.is_not(None))
                .values(finished_at=None, summary_claimed_at=None, summary_sent_at=None)
                .returning(Delivery.id)
            )
            if not found or reopened is None:
                return Notice("stale")
            await db.execute(
                update(DeliveryPart)
                .where(DeliveryPart.delivery_id == delivery_id, DeliveryPart.state == PartState.UNCONFIRMED)
                .values(state=PartState.PENDING, detail=None, updated_at=utcnow())
            )
            await db.execute(
                update(DeliveryRecipient)
                .where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.status == RecipientStatus.UNCONFIRMED)
                .values(status=RecipientStatus.PENDING, detail=None, updated_at=utcnow())
            )
            self._after_commit(db, delivery_id)
            return ResendStarted(delivery_id, found[1], found[0])

    async def _resendable(self, db: AsyncSession, user: UserRef, delivery_id: int) -> tuple[Target, int] | None:
        """A finished delivery the user organises, and how many are unconfirmed; None if none is."""
        participant, _ = await load_actor(db, user)
        delivery = await db.get(Delivery, delivery_id)
        item = await db.get(ScheduledItem, delivery.scheduled_item_id) if delivery is not None else None
        if delivery is None or item is None:
            return None
        require(await self.scheduling.access.can_manage_event(db, participant, item.event_id), EVENT_ORGANISER)
        target = await load_target(db, item.event_id, item.session_id)
        if delivery.finished_at is None or target is None:
            return None
        count = await self._unconfirmed_count(db, delivery_id)
        return (target, count) if count else None

    @staticmethod
    async def _unconfirmed_count(db: AsyncSession, delivery_id: int) -> int:
        count = await db.scalar(
            select(func.count())
            .select_from(DeliveryRecipient)
            .where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.status == RecipientStatus.UNCONFIRMED)
        )
        return int(count or 0)

    def _after_commit(self, db: AsyncSession, delivery_id: int) -> None:
        listeners = self._reopen_listeners

        def notify(_session: object) -> None:
            for listener in list(listeners):
                listener(delivery_id)

        sa_event.listen(db.sync_session, "after_commit", notify, once=True)

    async def _problems(self, db: AsyncSession, delivery: Delivery, *, named: bool) -> tuple[Problem, ...]:
        """Every recipient without an all-sent outcome, with the parts that did not surely arrive."""
        rows = await db.execute(
            select(DeliveryRecipient, Participant.display_name, Participant.username)
            .outerjoin(Participant, Participant.id == DeliveryRecipient.participant_id)
            .where(
                DeliveryRecipient.delivery_id == delivery.id,
                DeliveryRecipient.status.in_((RecipientStatus.BLOCKED, RecipientStatus.FAILED, RecipientStatus.UNCONFIRMED)),
            )
            .order_by(DeliveryRecipient.position)
        )
        labels = part_labels(delivery.content)
        missing: dict[int, list[PartName]] = {}
        sent: dict[int, int] = {}
        for chat_id, part, state in await db.execute(
            select(DeliveryPart.chat_id, DeliveryPart.part, DeliveryPart.state)
            .where(DeliveryPart.delivery_id == delivery.id, DeliveryPart.state.in_((*_NOT_ARRIVED, PartState.SENT)))
            .order_by(DeliveryPart.chat_id, DeliveryPart.part)
        ):
            if state is PartState.SENT:
                sent[chat_id] = sent.get(chat_id, 0) + 1
            elif part < len(labels):
                missing.setdefault(chat_id, []).append(labels[part])
        problems = []
        for number, (recipient, display_name, username) in enumerate(rows, start=1):
            if named or recipient.participant_id is None:
                name = display_name or (f"@{username}" if username else "")  # no name: shown by chat id
            else:
                name = f"#{number}"
            only_some = sent.get(recipient.chat_id, 0) > 0
            gaps = tuple(missing.get(recipient.chat_id, ())) if only_some else ()
            problems.append(Problem(name, recipient.chat_id, recipient.status, recipient.detail or "", gaps))
        return tuple(problems)

    async def _digest(self, db: AsyncSession, target: Target, day_of: datetime | None) -> tuple[SessionLine, ...]:
        """The event's sessions on the local day of `day_of`, in order."""
        if day_of is None:
            return ()
        day = day_of.astimezone(target.zone).date()
        sessions = await db.scalars(
            select(Session)
            .where(Session.event_id == target.event_id, Session.starts_at.is_not(None))
            .order_by(Session.starts_at, Session.position)
        )
        return tuple(
            SessionLine(s.starts_at, s.title, s.track)
            for s in sessions
            if s.starts_at is not None and s.starts_at.astimezone(target.zone).date() == day
        )


async def _hides_names(db: AsyncSession, item: ScheduledItem) -> bool:
    """A nudge to the non-responders of an anonymous session: its recipient list says who is silent."""
    if item.audience is not Audience.NON_RESPONDERS:
        return False
    scope = Session.id == item.session_id if item.session_id is not None else Session.event_id == item.event_id
    anonymous = await db.scalar(select(func.count()).select_from(Session).where(scope, Session.anonymity == Anonymity.ANONYMOUS))
    return bool(anonymous)


async def _creator(db: AsyncSession, participant_id: int | None) -> tuple[int | None, str]:
    """The chat and language of whoever scheduled an item (told of misses and summaries)."""
    if participant_id is None:
        return None, "en"
    row = (await db.execute(select(Participant.telegram_user_id, Participant.language).where(Participant.id == participant_id))).first()
    return (None, "en") if row is None else (row[0], supported(row[1]))
