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

Ids are made here, not by the database (`TimeOrderedIds`): a step's replies are then known
before their INSERT, which goes in with the other rows queued for the COMMIT, the replies of a
whole group of updates in one statement (storage.unit_of_work.insert_at_commit). An INSERT …
RETURNING per step was the largest cost of an answer left in our code (bench/README.md).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.batched import BatchedIds
from storage.db import Database
from storage.models import OutboxMessage, table_of
from storage.types import utcnow
from storage.unit_of_work import insert_at_commit


@dataclass(frozen=True, slots=True)
class Owed:
    id: int
    chat_id: int
    text: str
    markup: dict[str, Any] | None


class TimeOrderedIds:
    """Outbox ids: unique across the processes of a deployment, and in the order they were
    made, which is the order `Outbox.owed` sends a chat's replies in.

    An id is the microseconds since 2026 shifted left by 12 bits, with this process's random
    12-bit tag in them (a BIGINT until 2097); a process never repeats or goes back, even if the
    clock does. Two processes collide only with the same tag in the same microsecond: their
    COMMIT then fails and the step runs again, with a new id."""

    _EPOCH_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
    _TAG_BITS = 12

    def __init__(self, tag: int | None = None) -> None:
        self._tag = secrets.randbits(self._TAG_BITS) if tag is None else tag % (1 << self._TAG_BITS)
        self._last = 0

    def next(self) -> int:
        made = ((time.time_ns() // 1000 - self._EPOCH_US) << self._TAG_BITS) | self._tag
        self._last = made if made > self._last else self._last + (1 << self._TAG_BITS)
        return self._last


class Outbox:
    def __init__(self, db: Database, *, flush_delay: float = 0.2) -> None:
        self.db = db
        self._ids = TimeOrderedIds()
        self._sent = BatchedIds(db, _delete, delay=flush_delay, what="sent replies")  # i18n: not shown

    def add(self, db: AsyncSession, chat_id: int, replies: Sequence[tuple[str, dict[str, Any] | None]]) -> list[Owed]:
        """Record one step's replies in the caller's transaction (one `created_at` marks them as
        one step); they are inserted at its COMMIT, with every other row queued for it."""
        now = utcnow()
        owed = [Owed(self._ids.next(), chat_id, text, markup) for text, markup in replies]
        for message in owed:
            row = {"id": message.id, "chat_id": chat_id, "text": message.text, "markup": message.markup, "created_at": now}
            insert_at_commit(db, _RECORD, row)
        return owed

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
_RECORD = insert(_TABLE)


def owed(row: OutboxMessage) -> Owed:
    return Owed(row.id, row.chat_id, row.text, row.markup)


async def _delete(db: AsyncSession, ids: list[int]) -> None:
    await db.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
