"""Group commit: the units of work of updates handled at the same moment share one transaction.

Under load, the updates of one getUpdates batch are handled within a few milliseconds of each
other, and each paid for a transaction of its own: a session and its connection, the update's
"processed" mark, a COMMIT (on PostgreSQL also a WAL flush). Here a handler's unit of work joins
the *group* that is open, if any, and the group commits once for all its members:

- Members run their bodies one at a time on the group's session (an AsyncSession is not safe
  for concurrent use), in the order they joined. Each body sees the group's session as its
  ambient one (storage.unit_of_work), so the use cases it calls join it as they would join a
  unit of work of their own.
- The group commits when no member is running or waiting: the last member to finish schedules
  the COMMIT as a task of its own, which runs after the tasks already ready to run (the other
  updates of the same batch) have joined. The updates' "processed" marks go in one statement.
- A member is acknowledged only after that COMMIT: its after-commit callbacks run, its update
  counts as processed, and the caller sends its replies.
- If any body fails, or ends the transaction itself, the group rolls back and every member runs
  its body again alone, in a unit of work of its own (`Database.alone`): each then gets exactly
  the result, or the error, it would have had without the group.
- What the members' bodies read first (the sender of each update: `Preload`) is read for the
  whole group in one query before the first body runs: a member opening a group yields once,
  so that the rest of its getUpdates batch joins, and whoever takes the turn next loads what the
  members that joined since asked for. A body then finds its rows in the session.
- A group takes at most `max_members`, and no newcomer while a body has held its turn longer
  than `patience`: a slow step delays only the members already queued behind it. Steps known
  to be slow (a report built in a worker thread or by a writing model) do not join a group at
  all (`handlers.common.respond(shared=False)`): the members before them would wait for their
  COMMIT, and on SQLite every writer for the group's write lock.

A body may therefore run twice and must be a function of the database alone (the use cases are).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from storage.unit_of_work import UpdateClaim, ambient, mark_processed, pending_claim, run_inserts_at_commit

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
Body = Callable[[AsyncSession], Awaitable[T]]
Loader = Callable[[AsyncSession, Sequence[K]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Preload(Generic[K]):
    """What a body will read first: `load` reads it for the keys of every member that asked,
    in one query, and leaves it where the body looks (the session's identity map and `info`).
    Only a saving: a body must find its rows without it too (alone, or when it joined late)."""

    load: Loader[K]
    key: K


class _Ended(Exception):
    """A body committed or rolled back the group's transaction itself."""


@dataclass(eq=False)
class _Group:
    session: AsyncSession
    done: asyncio.Future[bool]  # True once committed; False: every member runs again alone
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    members: int = 0
    unfinished: int = 0  # members whose body has not ended yet, running or waiting for the turn
    turn_since: float | None = None  # monotonic time the running body took the turn
    claims: list[UpdateClaim] = field(default_factory=list)
    unloaded: dict[Loader[Any], list[Any]] = field(default_factory=dict)  # preloads not yet run
    failed: bool = False
    close_pending: bool = False
    closing: bool = False


@dataclass(slots=True)
class _Result(Generic[T]):
    value: T
    committed: list[Callable[[], None]]


class CommitGroups:
    def __init__(self, db: Database, *, max_members: int = 32, patience: float = 0.05) -> None:
        self._db = db
        self._max_members = max_members
        self._patience = patience
        self._open: _Group | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def run(self, body: Body[T], preload: Preload[Any] | None = None) -> T:
        """`body` in the open group's transaction, returning once that transaction committed."""
        group = self._join()
        opens = group.members == 1
        claim = pending_claim()
        if claim is not None:
            group.claims.append(claim)
        if preload is not None:
            group.unloaded.setdefault(preload.load, []).append(preload.key)
        result: _Result[T] | None = None
        try:
            async with group.turn:
                if opens and preload is not None:
                    await asyncio.sleep(0)  # the rest of the batch joins, for one preload
                if not group.failed:
                    result = await self._member(group, body)
        except Exception:
            group.failed = True  # the body runs again alone, where its error is its own
        except BaseException:  # cancelled: the others run again alone, this one stops here
            group.failed = True
            raise
        finally:
            group.unfinished -= 1
            if group.unfinished == 0 and not group.close_pending:
                self._close_soon(group)
        if not await asyncio.shield(group.done) or result is None:
            return await self._db.alone(body)
        for callback in result.committed:
            callback()
        return result.value

    def _join(self) -> _Group:
        group = self._open
        if group is None or group.closing or group.failed or group.members >= self._max_members or self._held_too_long(group):
            loop = asyncio.get_running_loop()
            group = self._open = _Group(self._db.sessionmaker(), loop.create_future())
        group.members += 1
        group.unfinished += 1
        return group

    def _held_too_long(self, group: _Group) -> bool:
        return group.turn_since is not None and time.monotonic() - group.turn_since > self._patience

    @staticmethod
    async def _member(group: _Group, body: Body[T]) -> _Result[T]:
        group.turn_since = time.monotonic()
        try:
            unloaded, group.unloaded = group.unloaded, {}
            for load, keys in unloaded.items():
                await load(group.session, keys)
            transaction = group.session.sync_session.get_transaction()
            with ambient(group.session) as committed:
                value = await body(group.session)
        finally:
            group.turn_since = None
        if transaction is not None and group.session.sync_session.get_transaction() is not transaction:
            raise _Ended
        return _Result(value, committed)

    def _close_soon(self, group: _Group) -> None:
        """Commit in a task of its own: it runs after the tasks that are ready now, so the rest
        of a batch joins first, and a member's cancellation cannot interrupt the COMMIT."""
        group.close_pending = True
        task = asyncio.get_running_loop().create_task(self._close(group), name="group commit")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close(self, group: _Group) -> None:
        group.close_pending = False
        if group.unfinished:
            return  # someone joined meanwhile: the last of them closes
        group.closing = True
        if self._open is group:
            self._open = None
        committed = False
        try:
            if not group.failed:
                await run_inserts_at_commit(group.session)
                if group.claims:
                    await mark_processed(group.session, [claim.update_id for claim in group.claims])
                await group.session.commit()
                committed = True
                for claim in group.claims:
                    claim.recorded = True
        except Exception:
            log.warning("a group of %d units of work could not commit; each runs again alone", group.members, exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                await group.session.close()  # rolls back whatever did not commit
            group.done.set_result(committed)

    async def close(self) -> None:
        """Wait for the commits under way (at shutdown)."""
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
