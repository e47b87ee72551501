"""The outbox: replies the bot owes, committed in the same transaction as the step they confirm.

A "✓ Saved", the next question or the next onboarding step is recorded with the change that
caused it and sent after the commit; once sent it is deleted (batched). At start every reply
still recorded goes out, in order, before any new update is handled: a crash between commit and
send leaves nobody on a question they never saw. The price is at most a duplicate after a crash
(a reply sent whose deletion was not yet written), which is harmless: it repeats the same step.

Rows hold rendered text and an inline keyboard as JSON; sending is the Telegram layer's job
(handlers.common.send_owed), which is the one way replies go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.batched import BatchedIds
from storage.db import Database
from storage.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class Owed:
    id: int
    chat_id: int
    text: str
    markup: dict[str, Any] | None


class Outbox:
    def __init__(self, db: Database, *, flush_delay: float = 0.2) -> None:
        self.db = db
        self._sent = BatchedIds(db, _delete, delay=flush_delay, what="sent replies")

    def add(self, db: AsyncSession, chat_id: int, replies: Sequence[tuple[str, dict[str, Any] | None]]) -> list[OutboxMessage]:
        """Record replies in the caller's transaction; their ids are known once it commits."""
        rows = [OutboxMessage(chat_id=chat_id, text=text, markup=markup) for text, markup in replies]
        db.add_all(rows)
        return rows

    async def owed(self) -> list[Owed]:
        """Every reply not yet sent, oldest first."""
        async with self.db.session() as db:
            rows = await db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            return [owed(row) for row in rows]

    def sent(self, message_id: int) -> None:
        """Sent (or given up on): deleted with the next batch."""
        self._sent.add(message_id)

    async def close(self) -> None:
        await self._sent.close()


def owed(row: OutboxMessage) -> Owed:
    return Owed(row.id, row.chat_id, row.text, row.markup)


async def _delete(db: AsyncSession, ids: list[int]) -> None:
    await db.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
