"""What rides along in a use case's transaction without the use case knowing: the ambient unit
of work, and the update being handled.

Two writes belong in the same transaction as a use case's effects although the use case knows
nothing about Telegram: marking the update it handles as processed (the inbox), and recording
the replies it owes (the outbox). Both are carried by context variables, bound to the asyncio
task that set them, so a task started from inside (which copies the context) does not join a
transaction that is not its own.

- `Database.unit_of_work()` opens an *ambient* transaction: every `Database.session()` the same
  task opens inside joins it instead of committing on its own, so the handler layer can add the
  owed replies and commit everything once.
- `claim_update(update_id)` names the update the current task is handling: the first
  transaction the task commits marks it processed (one UPDATE by primary key).
- `insert_at_commit` queues a row that nothing reads back before the COMMIT (an answer, a reply
  owed); the rows queued in one transaction go in one executemany just before it commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import Insert, bindparam, event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import InboxUpdate, table_of
from storage.types import utcnow

_INBOX = table_of(InboxUpdate)
# On the table, not the mapped class: an ORM-enabled UPDATE also evaluates its criteria against
# every InboxUpdate object in the session, which costs more than the statement, for none.
_MARK_PROCESSED = (
    update(_INBOX)
    .where(_INBOX.c.update_id.in_(bindparam("ids", expanding=True)), _INBOX.c.processed_at.is_(None))
    .values(processed_at=bindparam("now"), payload={})  # the update's personal data goes with it
)


async def mark_processed(session: AsyncSession, update_ids: Sequence[int]) -> None:
    """Mark updates processed in `session`'s transaction: only their ids stay, as tombstones.
    The one way to do it, for a handler's claim and for the inbox's batched marks alike."""
    await session.execute(_MARK_PROCESSED, {"ids": list(update_ids), "now": utcnow()})


_AT_COMMIT = "inserts_at_commit"


def insert_at_commit(session: AsyncSession, statement: Insert, row: Mapping[str, object]) -> None:
    """Insert `row` just before `session`'s transaction commits, in one executemany with every
    other row queued for `statement` in that transaction: a group of answers (storage.group_commit)
    then costs one statement instead of one each. Only for rows nothing reads back before the
    COMMIT; a rollback drops them with the rest."""
    if not session.in_transaction():
        session.sync_session.begin()  # no I/O yet; so that a rollback drops the row (below)
    queued: dict[Insert, list[dict[str, object]]] = session.info.setdefault(_AT_COMMIT, {})
    queued.setdefault(statement, []).append(dict(row))


async def run_inserts_at_commit(session: AsyncSession) -> None:
    """What `insert_at_commit` queued, in the order it was queued; called right before COMMIT."""
    queued: dict[Insert, list[dict[str, object]]] = session.info.pop(_AT_COMMIT, {})
    for statement, rows in queued.items():
        await session.execute(statement, rows)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued_inserts(session: Session, _previous: object) -> None:
    session.info.pop(_AT_COMMIT, None)


@dataclass(slots=True)
class UpdateClaim:
    """The update a task is handling; `recorded` once a committed transaction marked it."""

    update_id: int
    owner: asyncio.Task[object] | None
    recorded: bool = False

    async def record(self, session: AsyncSession) -> None:
        await mark_processed(session, [self.update_id])


@dataclass(slots=True)
class _Ambient:
    session: AsyncSession
    owner: asyncio.Task[object] | None
    after_commit: list[Callable[[], None]] = field(default_factory=list)


_CLAIM: ContextVar[UpdateClaim | None] = ContextVar("update_claim", default=None)
_AMBIENT: ContextVar[_Ambient | None] = ContextVar("ambient_unit_of_work", default=None)


def _task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


@contextmanager
def claim_update(update_id: int) -> Iterator[UpdateClaim]:
    """Handle `update_id` in this task: its first committed transaction marks it processed."""
    claim = UpdateClaim(update_id, _task())
    token = _CLAIM.set(claim)
    try:
        yield claim
    finally:
        _CLAIM.reset(token)


def pending_claim() -> UpdateClaim | None:
    """This task's claim, if it is not recorded yet."""
    claim = _CLAIM.get()
    if claim is None or claim.recorded or claim.owner is not _task():
        return None
    return claim


def ambient_session() -> AsyncSession | None:
    """The session of the unit of work this task opened, if any."""
    ambient = _AMBIENT.get()
    return ambient.session if ambient is not None and ambient.owner is _task() else None


@contextmanager
def ambient(session: AsyncSession) -> Iterator[list[Callable[[], None]]]:
    """Make `session` this task's ambient one; yields the callbacks to run once it commits."""
    state = _Ambient(session, _task())
    token = _AMBIENT.set(state)
    try:
        yield state.after_commit
    finally:
        _AMBIENT.reset(token)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once what this task wrote is committed: at once outside a unit of work
    (a use case's own transaction has committed when it returns), else after its commit."""
    state = _AMBIENT.get()
    if state is not None and state.owner is _task():
        state.after_commit.append(callback)
    else:
        callback()
