"""The outbox: replies the bot owes, committed in the same transaction as the step they confirm.

A "✓ Saved", the next question or the next onboarding step is recorded with the change that
caused it and sent after the commit; once sent it is deleted (batched). At start, each chat's
latest replies (those of its last step, recorded together) go out before any new update is
handled: a crash between commit and send leaves nobody on a question they never saw. Older
replies still recorded are dropped, not sent: they were sent already but not yet struck off, or
a later step superseded them, and repeating an old question ("Which organisation?") after a
restart would invite an answer to a step the person has left. The price is at most one
duplicate of the current step after a crash, which is harmless.

Rows hold rendered text and an inline keyboard as JSON; sending is the Telegram layer's job
(handlers.common.send_owed), which is the one way replies go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.batched import BatchedIds
from storage.db import Database
from storage.models import OutboxMessage, table_of
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class Owed:
    id: int
    chat_id: int
    text: str
    markup: dict[str, Any] | None


class Outbox:
    def __init__(self, db: Database, *, flush_delay: float = 0.2) -> None:
        self.db = db
        self._sent = BatchedIds(db, _delete, delay=flush_delay, what="sent replies")  # i18n: not shown

    async def add(self, db: AsyncSession, chat_id: int, replies: Sequence[tuple[str, dict[str, Any] | None]]) -> list[Owed]:
        """Record one step's replies in the caller's transaction (one `created_at` marks them as
        one step): one Core INSERT … RETURNING, since every answer owes a reply and an ORM
        object flushed per reply cost more than the answer's own rule."""
        if not replies:
            return []
        now = utcnow()
        rows = [{"chat_id": chat_id, "text": text, "markup": markup, "created_at": now} for text, markup in replies]
        ids = (await db.execute(_RECORD, rows)).scalars().all()
        return [Owed(row_id, chat_id, text, markup) for row_id, (text, markup) in zip(ids, replies, strict=True)]

    async def owed(self) -> list[Owed]:
        """The replies of each chat's latest step not yet sent, oldest first; older ones are
        deleted (see the module's docstring)."""
        async with self.db.session() as db:
            rows = list(await db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            latest = {row.chat_id: row.created_at for row in rows}  # ordered by id: the last wins
            keep = [row for row in rows if row.created_at == latest[row.chat_id]]
            superseded = [row.id for row in rows if row.created_at != latest[row.chat_id]]
            if superseded:
                await db.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(superseded)))
            return [owed(row) for row in keep]

    def sent(self, message_id: int) -> None:
        """Sent (or given up on): deleted with the next batch."""
        self._sent.add(message_id)

    async def flush(self) -> None:
        """Strike off now what was sent (an erasure must not leave a sent text behind)."""
        await self._sent.flush()

    async def close(self) -> None:
        await self._sent.close()


_TABLE = table_of(OutboxMessage)
_RECORD = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


def owed(row: OutboxMessage) -> Owed:
    return Owed(row.id, row.chat_id, row.text, row.markup)


async def _delete(db: AsyncSession, ids: list[int]) -> None:
    await db.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
