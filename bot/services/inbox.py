"""The inbox: every update is committed here before Telegram is told it arrived.

PTB's Updater acknowledges a batch (the next getUpdates `offset`) as soon as it is queued in
memory, so a crash loses it. With the inbox, whoever receives updates (the polling loop in
`telegram_edge.polling`, or a webhook endpoint) calls `accept` and acknowledges only after it returned:
the updates are durable by then. Each update is then marked processed in the transaction of its
effects (storage.unit_of_work.claim_update), or right after a handler that wrote nothing
(`done`); at start, `pending` gives back what was accepted but never processed, in order. A
processed update keeps only its id (so a redelivery is recognised until pruned): its payload,
with the sender's name and text, is emptied with the mark.

Payloads are plain JSON objects as Telegram sends them; nothing here knows Telegram's types.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, ScalarResult, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.batched import BatchedIds
from storage.db import Database
from storage.models import InboxUpdate, table_of
from storage.types import utcnow
from storage.unit_of_work import mark_processed

Payload = Mapping[str, Any]


_INBOX = table_of(InboxUpdate)
# Core statements on the table, not the mapped class: an ORM-enabled statement costs several times
# more to run, and at low load every update pays this transaction alone (bench/README.md).
_PRUNE = delete(_INBOX).where(_INBOX.c.processed_at.is_not(None), _INBOX.c.update_id < bindparam("below"))


@functools.cache
def _store_new(dialect: str) -> Insert:
    """The batch's INSERT: both databases skip an id stored before and return the ones they
    inserted, so a batch is one statement (a SELECT of the known ids first was a third of the
    inbox's cost at low load). Built on first use, for the dialect in use: importing
    PostgreSQL's costs an idle bot on SQLite 3 MB."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(_INBOX).on_conflict_do_nothing(index_elements=[_INBOX.c.update_id]).returning(_INBOX.c.update_id)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(_INBOX).on_conflict_do_nothing(index_elements=[_INBOX.c.update_id]).returning(_INBOX.c.update_id)


class Inbox:
    def __init__(self, db: Database, *, flush_delay: float = 0.2, prune_every: float = 10.0) -> None:
        self.db = db
        self._done = BatchedIds(db, mark_processed, delay=flush_delay, what="processed updates")  # i18n: not shown
        self._prune_every = prune_every
        self._pruned_at = -math.inf

    async def accept(self, payloads: Sequence[Payload], *, prune_below: int | None = None) -> list[int]:
        """Store these updates in one transaction; the ids that were new, in the given order.

        An id stored before (Telegram delivering a batch again after a crash) is skipped, so a
        caller hands on only the new ones. `prune_below`: the offset Telegram has confirmed, so
        processed rows below it can never be delivered again and are deleted in the same
        transaction, at most every `prune_every` seconds: a tombstone kept a little longer
        costs nothing, while at low load a DELETE with every update was a sixth of its cost.
        Raises on a database error: then nothing may be acknowledged.
        """
        prune = prune_below is not None and time.monotonic() - self._pruned_at >= self._prune_every
        async with self.db.session() as db:
            new = await self._insert_new(db, payloads)
            marks = self._done.take()
            if marks:
                await mark_processed(db, marks)
            if prune:
                await db.execute(_PRUNE, {"below": prune_below})
        if prune:
            self._pruned_at = time.monotonic()
        return new

    async def _insert_new(self, db: AsyncSession, payloads: Sequence[Payload]) -> list[int]:
        now = utcnow()
        rows: dict[int, dict[str, Any]] = {}
        for payload in payloads:
            update_id = int(payload["update_id"])
            rows.setdefault(update_id, {"update_id": update_id, "payload": dict(payload), "received_at": now})
        if not rows:
            return []
        statement = _store_new(db.get_bind().dialect.name)
        inserted = set((await db.scalars(statement, list(rows.values()))).all())
        return [update_id for update_id in rows if update_id in inserted]

    async def pending(self) -> list[dict[str, Any]]:
        """Updates accepted but not processed, oldest first (Telegram's ids grow)."""
        async with self.db.session() as db:
            payloads: ScalarResult[dict[str, Any]] = await db.scalars(
                select(InboxUpdate.payload).where(InboxUpdate.processed_at.is_(None)).order_by(InboxUpdate.update_id)
            )
            return [dict(payload) for payload in payloads]

    async def processed(self, update_id: int) -> bool:
        """Whether this update was handled (a webhook worker asks before handling a repeat)."""
        async with self.db.session() as db:
            marked = await db.scalar(select(InboxUpdate.processed_at).where(InboxUpdate.update_id == update_id))
            return marked is not None

    def done(self, update_id: int) -> None:
        """Mark processed soon (batched): for an update whose handler committed nothing."""
        self._done.add(update_id)

    async def mark_done(self, update_ids: Sequence[int]) -> None:
        """Mark processed now, in a transaction of its own."""
        async with self.db.session() as db:
            await mark_processed(db, update_ids)

    async def close(self) -> None:
        await self._done.close()
