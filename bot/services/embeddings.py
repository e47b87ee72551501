"""Each contribution is embedded once, after it is stored, off the answer's hot path.

How it hangs together:

- **Marking.** Two SQLAlchemy session events (installed once, for every session): before a
  flush, a contribution whose text changed loses its stored vector; a flush that adds or
  edits a contribution marks the session. After that session *commits*, the
  :class:`Embeddings` service of its database is woken. Use cases working through the ORM call
  nothing, so every such way of storing or editing an answer is covered; the one that stores
  with a Core INSERT (the answer itself, for speed) says so with :func:`contributions_stored`.
  The answer's own transaction does no extra work (the vector is not even loaded: the column
  is deferred).
- **Worker.** Woken, the service runs one asyncio task that picks contributions without a
  current vector (NULL, or another model's) in batches of :data:`BATCH`, embeds each batch in
  a background process at idle priority (`bot.reports.embedding_process`: the event loop
  keeps serving users, and the model's Python work never holds the bot's GIL) and stores the
  vectors with a guarded UPDATE: only where the text is still the one embedded, so an edit
  made meanwhile is never overwritten with the old text's vector.
- **Drafts.** :func:`session_vectors` reads a session's vectors for the grouping and embeds
  only rows still missing one (stored before the model existed, or while the worker was
  down), storing them in the draft's transaction. A draft therefore never embeds twice. It
  embeds in the bot's own process at normal priority: the rapporteur is waiting for it.

``kill -9`` at any point loses nothing: a vector not yet stored is simply missing, and the
next wake-up or draft computes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, event, inspect, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session as OrmSession

from bot.reports.embedding import MODEL_ID, Embedder, ModelUnavailable, decode_vector, encode_vector, sentence_model
from bot.reports.embedding_process import embed_in_background
from storage.db import Database
from storage.models import Contribution, table_of

if TYPE_CHECKING:  # vectors are numpy arrays, but a bot that embeds nothing need not load it
    import numpy as np

log = logging.getLogger(__name__)

#: Contributions embedded per model call (and per UPDATE round trip).
BATCH = 64
#: How long the worker lets answers gather after a wake-up before it embeds: a room answering at
#: once is embedded in a few batches (5 ms of CPU per statement in a batch of 64, 8 ms alone)
#: and two transactions per batch, rather than a model call and two transactions per answer.
GATHER_SECONDS = 2.0
_WAKE = "embed_contributions"
_SERVICES: weakref.WeakKeyDictionary[Engine, Embeddings] = weakref.WeakKeyDictionary()


def _stale() -> Any:
    return or_(Contribution.embedding.is_(None), Contribution.embedding_model.is_(None), Contribution.embedding_model != MODEL_ID)


class Embeddings:
    """The background embedder of one database's contributions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._task: asyncio.Task[None] | None = None
        self._pending = False
        self._closed = False
        _SERVICES[db.engine.sync_engine] = self

    def wake(self) -> None:
        """Something was stored or edited: make sure the worker runs (no-op without a loop)."""
        if self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a synchronous tool): the next draft embeds what is missing
        self._pending = True
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="embed-contributions")

    async def idle(self) -> None:
        """Wait until the worker has nothing left to do (tests, the demo, benchmarks)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def close(self) -> None:
        """Stop the worker; whatever it had not stored yet is embedded later."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        try:
            await asyncio.sleep(GATHER_SECONDS)
            while self._pending and not self._closed:
                self._pending = False
                while not self._closed and await self.embed_missing() == BATCH:
                    pass
        except ModelUnavailable as exc:
            log.warning("Contributions are not embedded: %s", exc)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database error must not kill the bot; drafts embed what is missing
            log.exception("Embedding contributions failed; the next draft or answer retries")

    async def embed_missing(self, limit: int = BATCH) -> int:
        """Embed and store up to ``limit`` contributions without a current vector; how many."""
        async with self.db.session() as db:
            rows = (
                await db.execute(select(Contribution.id, Contribution.text).where(_stale()).order_by(Contribution.id).limit(limit))
            ).all()
        if not rows:
            return 0
        vectors = await embed_in_background([text for _, text in rows])
        async with self.db.session() as db:
            await store_vectors(db, [(cid, text) for cid, text in rows], vectors)
        return len(rows)


async def store_vectors(db: AsyncSession, rows: Sequence[tuple[int, str]], vectors: np.ndarray) -> None:
    """Keep each (id, text)'s vector, unless the text changed since it was read."""
    if not rows:
        return
    table = table_of(Contribution)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.text == bindparam("embedded_text"))
        .values(embedding=bindparam("vector"), embedding_model=MODEL_ID)
    )
    params = [{"row_id": cid, "embedded_text": text, "vector": encode_vector(v)} for (cid, text), v in zip(rows, vectors, strict=True)]
    await db.execute(statement, params)


async def session_vectors(db: AsyncSession, session_id: int, model: Callable[[], Embedder] | None = None) -> dict[int, np.ndarray]:
    """Every contribution's vector in a session by id; the missing ones are embedded and stored."""
    load = model or sentence_model
    rows = await db.execute(
        select(Contribution.id, Contribution.text, Contribution.embedding, Contribution.embedding_model)
        .where(Contribution.session_id == session_id)
        .order_by(Contribution.id)
    )
    vectors: dict[int, np.ndarray] = {}
    missing: list[tuple[int, str]] = []
    for cid, text, blob, model_id in rows:
        if blob is not None and model_id == MODEL_ID:
            vectors[cid] = decode_vector(blob)
        else:
            missing.append((cid, text))
    if missing:
        try:
            fresh = await asyncio.to_thread(lambda: load().embed([text for _, text in missing]))
        except ModelUnavailable as exc:
            log.warning("Contributions are not embedded: %s", exc)
            return vectors
        await store_vectors(db, missing, fresh)
        vectors.update((cid, decode_vector(encode_vector(v))) for (cid, _), v in zip(missing, fresh, strict=True))
    return vectors


# --------------------------------------------------------------------------------------------
# Session events: mark what needs embedding, wake the worker after the commit.


def contributions_stored(db: AsyncSession) -> None:
    """A use case stored contributions with a Core INSERT, which no flush sees: wake the
    worker after this transaction commits, as for an added ORM object."""
    db.sync_session.info[_WAKE] = True


@event.listens_for(OrmSession, "before_flush")
def _mark(session: OrmSession, _context: object, _instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, Contribution) and inspect(obj).attrs.text.history.has_changes():
            obj.embedding = None
            obj.embedding_model = None
            session.info[_WAKE] = True
    if any(isinstance(obj, Contribution) for obj in session.new):
        session.info[_WAKE] = True


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.info.pop(_WAKE, False):
        service = _SERVICES.get(session.bind) if isinstance(session.bind, Engine) else None
        if service is not None:
            service.wake()


@event.listens_for(OrmSession, "after_soft_rollback")
def _after_rollback(session: OrmSession, _previous: object) -> None:
    session.info.pop(_WAKE, None)
