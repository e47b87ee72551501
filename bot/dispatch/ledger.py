"""The DeliveryLedger of bot.scheduling.delivery on the delivery_recipients table.

Every call is its own short transaction, committed before it returns: `deliver()` relies on
"started" being durable before the send and the outcome right after it. Two writes per recipient
is about 60 small transactions a second at Telegram's 30 messages/s, well within what SQLite in
WAL mode and PostgreSQL take.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from bot.scheduling.delivery import Outcome
from storage.db import Database
from storage.models import DeliveryRecipient, Participant, RecipientStatus
from storage.types import utcnow

# A send whose answer never came (read timeout): it may have arrived, so it is not repeated and
# is recorded as unconfirmed. The sender reports it as a PermanentError with this prefix.
UNCONFIRMED_PREFIX = "unconfirmed: "
OPEN = (RecipientStatus.PENDING, RecipientStatus.STARTED)
_STATUS = {
    Outcome.SENT: RecipientStatus.SENT,
    Outcome.BLOCKED: RecipientStatus.BLOCKED,
    Outcome.FAILED: RecipientStatus.FAILED,
    Outcome.UNCONFIRMED: RecipientStatus.UNCONFIRMED,
}


class SqlDeliveryLedger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def pending(self, delivery_id: int) -> list[int]:
        return await self._chats(delivery_id, OPEN)

    async def in_doubt(self, delivery_id: int) -> list[int]:
        return await self._chats(delivery_id, (RecipientStatus.STARTED,))

    async def finished_count(self, delivery_id: int) -> int:
        async with self.db.session() as db:
            count = await db.scalar(
                select(func.count())
                .select_from(DeliveryRecipient)
                .where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.status.not_in(OPEN))
            )
            return int(count or 0)

    async def mark_started(self, delivery_id: int, chat_id: int) -> None:
        await self._set(delivery_id, chat_id, RecipientStatus.STARTED, None, attempt=True)

    async def mark(self, delivery_id: int, chat_id: int, outcome: Outcome, detail: str | None) -> None:
        status = _STATUS[outcome]
        if outcome is Outcome.FAILED and detail and detail.startswith(UNCONFIRMED_PREFIX):
            status, detail = RecipientStatus.UNCONFIRMED, detail.removeprefix(UNCONFIRMED_PREFIX)
        async with self.db.session() as db:
            await db.execute(
                self._update(delivery_id, chat_id)
                .where(DeliveryRecipient.status.in_(OPEN))
                .values(status=status, detail=detail, updated_at=utcnow())
            )
            if outcome is Outcome.BLOCKED:
                # Remembered so that later broadcasts skip them instead of failing again.
                participant_id = select(DeliveryRecipient.participant_id).where(
                    DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.chat_id == chat_id
                )
                await db.execute(
                    update(Participant)
                    .where(Participant.id == participant_id.scalar_subquery(), Participant.blocked_at.is_(None))
                    .values(blocked_at=utcnow())
                )

    async def release(self, delivery_id: int, chat_id: int) -> None:
        """Back to pending: the send surely did not arrive (429, or no connection was made)."""
        await self._set(delivery_id, chat_id, RecipientStatus.PENDING, None)

    async def _chats(self, delivery_id: int, statuses: tuple[RecipientStatus, ...]) -> list[int]:
        async with self.db.session() as db:
            rows = await db.scalars(
                select(DeliveryRecipient.chat_id)
                .where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.status.in_(statuses))
                .order_by(DeliveryRecipient.position, DeliveryRecipient.chat_id)
            )
            return list(rows)

    async def _set(self, delivery_id: int, chat_id: int, status: RecipientStatus, detail: str | None, *, attempt: bool = False) -> None:
        values: dict[str, object] = {"status": status, "detail": detail, "updated_at": utcnow()}
        if attempt:
            values["attempts"] = DeliveryRecipient.attempts + 1
        async with self.db.session() as db:
            # Only open records move: a finished recipient is never reopened.
            await db.execute(self._update(delivery_id, chat_id).where(DeliveryRecipient.status.in_(OPEN)).values(**values))

    @staticmethod
    def _update(delivery_id: int, chat_id: int):  # type: ignore[no-untyped-def]
        return update(DeliveryRecipient).where(DeliveryRecipient.delivery_id == delivery_id, DeliveryRecipient.chat_id == chat_id)
