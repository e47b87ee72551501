"""A 429 pauses the whole deployment, not only the process that got it.

Telegram's flood wait is bot-wide: after a 429 with `retry_after`, every request of the bot,
from any process, risks another one. Each process has one FloodGate (on its rate limiter,
telegram_edge.dispatch.sending): every Bot API request waits at the gate while it is closed. A 429 closes
the gate here and is published (NOTIFY workshop_flood); on PostgreSQL every process LISTENs on
a connection of its own (FloodListener) and closes its gate for the same time. On SQLite there
is only one process, and the gate alone does it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from bot.send_budget import SendBudget
from storage.db import Database

log = logging.getLogger(__name__)
CHANNEL = "workshop_flood"


class FloodGate:
    def __init__(self, budget: SendBudget | None = None) -> None:
        self._open_at = 0.0  # time.monotonic()
        self.budget = budget  # the deployment's sending budget pauses with the gate
        self.on_flood: Callable[[float], None] | None = None  # publishes a local 429 to the others
        # Told of another process's 429: the leader's broadcast pacer moves its booked slots back,
        # so the sends waiting at the gate do not leave in one burst when it opens.
        self.followers: list[Callable[[float], None]] = []

    def pause(self, seconds: float) -> None:
        """Another process got a 429: close the gate, and pause the sending budget, here."""
        self._close(seconds)
        if self.budget is not None:
            self.budget.pause(seconds)

    def flooded(self, seconds: float) -> None:
        """This process got a 429: close the gate here, pause the budget wherever it is shared,
        and tell every other process."""
        self._close(seconds)
        if self.budget is not None:
            self.budget.flooded(seconds)
        if self.on_flood is not None:
            self.on_flood(seconds)

    def _close(self, seconds: float) -> None:
        self._open_at = max(self._open_at, time.monotonic() + seconds)

    async def wait(self) -> None:
        while (delay := self._open_at - time.monotonic()) > 0:
            await asyncio.sleep(delay)


class FloodListener:
    """LISTEN for other processes' 429s and close this process's gate (PostgreSQL only)."""

    def __init__(self, db: Database, gate: FloodGate) -> None:
        self.db = db
        self.gate = gate
        self._conn: Any = None  # an asyncpg connection (asyncpg ships no type hints)
        self._tasks: set[asyncio.Task[None]] = set()
        self.origin = uuid.uuid4().hex  # its own notices are not news to it

    async def start(self) -> None:
        if not self.db.is_postgresql:
            return
        import asyncpg

        from bot.leadership import asyncpg_dsn

        try:
            conn = await asyncpg.connect(asyncpg_dsn(self.db.url), timeout=10)
            await conn.add_listener(CHANNEL, self._heard)
        except Exception:  # not fatal: this process then only pauses for its own 429s
            log.warning("cannot listen for flood waits of other processes", exc_info=True)
            return
        self._conn = conn
        self.gate.on_flood = self._publish

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            notice = json.loads(payload)
            if notice["origin"] != self.origin:
                seconds = min(float(notice["seconds"]), 300.0)
                self.gate.pause(seconds)
                for follower in list(self.gate.followers):
                    follower(seconds)

    def _publish(self, seconds: float) -> None:
        conn = self._conn
        if conn is None:
            return
        payload = json.dumps({"origin": self.origin, "seconds": seconds})
        task = asyncio.get_running_loop().create_task(self._notify(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, payload: str) -> None:
        try:
            await self._conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)  # i18n: not shown
        except Exception:
            log.warning("could not tell other processes about a flood wait", exc_info=True)

    async def stop(self) -> None:
        self.gate.on_flood = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)
