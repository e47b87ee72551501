"""The DeliveryLedger of bot.scheduling.delivery on the delivery_recipients and delivery_parts tables.

Every call is its own short transaction, committed before it returns: deliver() relies on a claim
being durable before its request leaves and on the outcome being durable right after the answer.
A claim is one ``UPDATE … SET state='sending' WHERE … AND state='pending' RETURNING part`` — atomic
on PostgreSQL and on SQLite (≥ 3.35 for RETURNING), so of two processes racing for a part exactly
one gets a row back and sends it. At Telegram's 30 messages/s that is about 70 small transactions a
second (claim and outcome per part, one per recipient to open and to finish it), well within what
SQLite in WAL mode and PostgreSQL take.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot import metrics
from bot.scheduling.delivery import IN_DOUBT_DETAIL, Outcome, roll_up
from storage.db import Database
from storage.models import DeliveryPart, DeliveryRecipient, Participant, PartState, RecipientStatus
from storage.types import utcnow

_PART_STATE = {
    Outcome.SENT: PartState.SENT,
    Outcome.BLOCKED: PartState.BLOCKED,
    Outcome.FAILED: PartState.FAILED,
    Outcome.UNCONFIRMED: PartState.UNCONFIRMED,
}
_OUTCOME = {state: outcome for outcome, state in _PART_STATE.items()}
_RECIPIENT_STATUS = {
    Outcome.SENT: RecipientStatus.SENT,
    Outcome.BLOCKED: RecipientStatus.BLOCKED,
    Outcome.FAILED: RecipientStatus.FAILED,
    Outcome.UNCONFIRMED: RecipientStatus.UNCONFIRMED,
}
OPEN = (RecipientStatus.PENDING, RecipientStatus.STARTED)


class SqlDeliveryLedger:
    def __init__(self, db: Database, owner: str | None = None) -> None:
        self.db = db
        # Which run claimed a part: shown when investigating, and what a leader taking over
        # (several processes, issue 9) tells its own claims from a dead process's by.
        self.owner = owner or uuid.uuid4().hex

    async def settle_interrupted(self, delivery_id: int, *, resend: bool) -> int:
        state, detail = (PartState.PENDING, None) if resend else (PartState.UNCONFIRMED, IN_DOUBT_DETAIL)
        async with self.db.session() as db:
            rows = await db.execute(
                update(DeliveryPart)
                .where(DeliveryPart.delivery_id == delivery_id, DeliveryPart.state == PartState.SENDING)
                .values(state=state, detail=detail, updated_at=utcnow())
                .returning(DeliveryPart.part)
            )
            return len(rows.all())

    async def pending(self, delivery_id: int) -> list[int]:
        async with self.db.session() as db:
            rows = await db.scalars(
                select(DeliveryRecipient.chat_id)
                .where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.status.in_(OPEN))
                .order_by(DeliveryRecipient.position, DeliveryRecipient.chat_id)
            )
            return list(rows)

    async def finished_count(self, delivery_id: int) -> int:
        async with self.db.session() as db:
            count = await db.scalar(
                select(func.count())
                .select_from(DeliveryRecipient)
                .where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.status.not_in(OPEN))
            )
            return int(count or 0)

    async def open_parts(self, delivery_id: int, chat_id: int, parts: int) -> list[int]:
        query = (
            select(DeliveryPart.part, DeliveryPart.state)
            .where(DeliveryPart.delivery_id == delivery_id, DeliveryPart.chat_id == chat_id)
            .order_by(DeliveryPart.part)
        )
        async with self.db.session() as db:
            known = (await db.execute(query)).all()
        if not known:
            try:
                async with self.db.session() as db:
                    rows = [
                        {
                            "delivery_id": delivery_id,
                            "chat_id": chat_id,
                            "part": part,
                            "state": PartState.PENDING,
                            "attempts": 0,
                            "updated_at": utcnow(),
                        }
                        for part in range(parts)
                    ]
                    await db.execute(insert(DeliveryPart), rows)
            except IntegrityError:  # another sender created them first
                pass
            async with self.db.session() as db:
                known = (await db.execute(query)).all()
        return [part for part, state in known if state is PartState.PENDING]

    async def claim(self, delivery_id: int, chat_id: int, part: int) -> bool:
        async with self.db.session() as db:
            won = await db.scalar(
                self._part(delivery_id, chat_id, part)
                .where(DeliveryPart.state == PartState.PENDING)
                .values(state=PartState.SENDING, attempts=DeliveryPart.attempts + 1, claimed_by=self.owner, updated_at=utcnow())
                .returning(DeliveryPart.part)
            )
            return won is not None

    async def release(self, delivery_id: int, chat_id: int, part: int) -> None:
        async with self.db.session() as db:
            await db.execute(
                self._part(delivery_id, chat_id, part)
                .where(DeliveryPart.state == PartState.SENDING)
                .values(state=PartState.PENDING, updated_at=utcnow())
            )

    async def mark(self, delivery_id: int, chat_id: int, part: int, outcome: Outcome, detail: str | None) -> None:
        async with self.db.session() as db:
            await db.execute(
                self._part(delivery_id, chat_id, part)
                .where(DeliveryPart.state == PartState.SENDING)
                .values(state=_PART_STATE[outcome], detail=detail, updated_at=utcnow())
            )
        metrics.DELIVERIES.labels(outcome.value).inc()

    async def skip_rest(self, delivery_id: int, chat_id: int, outcome: Outcome, detail: str | None) -> None:
        async with self.db.session() as db:
            await db.execute(
                update(DeliveryPart)
                .where(DeliveryPart.delivery_id == delivery_id, DeliveryPart.chat_id == chat_id, DeliveryPart.state == PartState.PENDING)
                .values(state=_PART_STATE[outcome], detail=detail, updated_at=utcnow())
            )

    async def finish(self, delivery_id: int, chat_id: int) -> Outcome | None:
        async with self.db.session() as db:
            parts = (
                await db.execute(
                    select(DeliveryPart.state, DeliveryPart.detail)
                    .where(DeliveryPart.delivery_id == delivery_id, DeliveryPart.chat_id == chat_id)
                    .order_by(DeliveryPart.part)
                )
            ).all()
            outcome = roll_up([_OUTCOME.get(state) for state, _detail in parts])
            if outcome is None:
                return None
            detail = next((d for state, d in parts if _OUTCOME.get(state) is outcome and d), None)
            finished = (
                await db.execute(
                    update(DeliveryRecipient)
                    .where(
                        DeliveryRecipient.delivery_id == delivery_id,
                        DeliveryRecipient.chat_id == chat_id,
                        DeliveryRecipient.status.in_(OPEN),
                    )
                    .values(status=_RECIPIENT_STATUS[outcome], detail=detail, updated_at=utcnow())
                    .returning(DeliveryRecipient.participant_id)
                )
            ).first()
            if finished is None:  # another sender finished this recipient first
                return None
            if outcome is Outcome.BLOCKED and finished.participant_id is not None:
                # Remembered so that later broadcasts skip them instead of failing again.
                await db.execute(
                    update(Participant)
                    .where(Participant.id == finished.participant_id, Participant.blocked_at.is_(None))
                    .values(blocked_at=utcnow())
                )
            return outcome

    @staticmethod
    def _part(delivery_id: int, chat_id: int, part: int):  # type: ignore[no-untyped-def]
        return update(DeliveryPart).where(
            DeliveryPart.delivery_id == delivery_id, DeliveryPart.chat_id == chat_id, DeliveryPart.part == part
        )
