"""Exactly one scheduler per deployment, and changes reaching it at once.

Every process that may run the scheduler (the polling bot, `workshop-bot scheduler`, a webhook
worker started with `--scheduler`) is a candidate. On PostgreSQL a candidate opens its own
connection, outside SQLAlchemy's pool, and asks for `pg_try_advisory_lock(LEADER_LOCK_KEY)`.
The session that holds the lock is the leader for as long as that connection lives: a process
killed with SIGKILL drops its connection, PostgreSQL releases the lock, and the next candidate's
try (every RETRY_SECONDS) takes it. The leader checks its connection every CHECK_SECONDS and
steps down (stops its runner) when it is gone, since by then another candidate may have won.

The same connection LISTENs on CHANNEL: a worker that commits a schedule change (a reminder, a
report to deliver, a moved session) or reopens a delivery NOTIFYs it right after the commit,
and the leader re-syncs those items at once instead of at its next minute sweep. A notification
lost to a crash between commit and NOTIFY is still caught by that sweep.

On SQLite there is only ever one process: it is always the leader and nothing is published.
Even a stale leader (one whose connection died unnoticed) cannot send a part twice: every part
is claimed in the database before it is sent (bot.scheduling.ledger).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import Database

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x776B_7368_6C65_6164  # "wkshlead"
CHANNEL = "workshop_schedule"
APPLICATION_NAME = "workshop-bot scheduler"  # + pid: pg_stat_activity shows who leads  # i18n: not shown
RETRY_SECONDS = 5.0  # a dead leader is replaced within this (plus connection set-up)
CHECK_SECONDS = 5.0  # a leader that lost its connection steps down within this

Hook = Callable[[], Awaitable[None]]
ItemsListener = Callable[[frozenset[int]], None]
ReopenListener = Callable[[int], None]


def asyncpg_dsn(url: str) -> str:
    """The libpq-style DSN asyncpg connects with, from our SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Leadership:
    """One candidate for scheduler leadership; `on_elected`/`on_deposed` start and stop the runner."""

    def __init__(
        self,
        db: Database,
        *,
        on_elected: Hook,
        on_deposed: Hook,
        on_items: ItemsListener | None = None,
        on_reopen: ReopenListener | None = None,
        retry_seconds: float = RETRY_SECONDS,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.db = db
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.on_items = on_items
        self.on_reopen = on_reopen
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.is_leader = False
        self.changed = asyncio.Event()  # set on every change of leadership (tests, metrics)
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None

    async def start(self) -> None:
        """Become leader now if no one leads (a process alone leads once started), else keep trying."""
        if not self.db.is_postgresql:
            await self._elected()
            return
        await self._try()
        self._task = asyncio.get_running_loop().create_task(self._campaign(), name="scheduler-leadership")

    async def stop(self) -> None:
        """Step down (if leading) and release the lock by closing its connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.is_leader:
            await self._deposed()
        await self._close()

    async def _campaign(self) -> None:
        while True:
            if self.is_leader:
                try:
                    await self._hold()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the lock's connection is gone: so is the lock
                    log.warning("scheduler leadership lost: %s", _first_line(exc))
                    await self._deposed()
                    await self._close()
            await asyncio.sleep(self.retry_seconds)
            if not self.is_leader:
                await self._try()

    async def _try(self) -> None:
        import asyncpg

        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(
                    asyncpg_dsn(self.db.url), timeout=10, server_settings={"application_name": f"{APPLICATION_NAME} {os.getpid()}"}
                )
            if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK_KEY):  # i18n: not shown
                await self._conn.add_listener(CHANNEL, self._notified)
                await self._elected()
        except Exception as exc:  # the database is away: keep trying, never crash the process
            log.warning("scheduler leadership: %s", _first_line(exc))
            if self.is_leader:
                await self._deposed()
            await self._close()

    async def _hold(self) -> None:
        """While the lock's connection answers, we lead; return when it does not."""
        while True:
            await asyncio.sleep(self.check_seconds)
            await asyncio.wait_for(self._conn.fetchval("SELECT 1"), timeout=self.check_seconds)

    async def _elected(self) -> None:
        self.is_leader = True
        self.changed.set()
        if self.db.is_postgresql:  # alone on SQLite, leading is no news
            log.info("This process now runs the scheduler")
        await self.on_elected()

    async def _deposed(self) -> None:
        self.is_leader = False
        self.changed.set()
        log.debug("This process no longer runs the scheduler")
        await self.on_deposed()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = json.loads(payload)
        except ValueError:
            return
        if "items" in notice and self.on_items is not None:
            self.on_items(frozenset(int(item) for item in notice["items"]))
        if "reopen" in notice and self.on_reopen is not None:
            self.on_reopen(int(notice["reopen"]))


class ChangePublisher:
    """On a process that does not lead: tell the leader about committed changes (NOTIFY)."""

    def __init__(self, db: Database, leadership: Leadership | None) -> None:
        self.db = db
        self.leadership = leadership
        self._tasks: set[asyncio.Task[None]] = set()

    def items_changed(self, item_ids: frozenset[int]) -> None:
        self._publish({"items": sorted(item_ids)})

    def reopened(self, delivery_id: int) -> None:
        self._publish({"reopen": delivery_id})

    def _publish(self, notice: dict[str, Any]) -> None:
        if not self.db.is_postgresql or (self.leadership is not None and self.leadership.is_leader):
            return  # the runner in this process heard it already
        task = asyncio.get_running_loop().create_task(self._notify(json.dumps(notice)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, payload: str) -> None:
        try:
            async with self.db.session() as db:
                await db.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})
        except Exception:  # the leader's minute sweep still finds the change
            log.warning("could not notify the scheduler of a change", exc_info=True)

    async def flush(self) -> None:
        """Wait for notifications on their way (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
