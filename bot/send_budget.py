"""One sending budget for the whole deployment: at most SEND_RATE new messages a second.

Telegram refuses a bot more than about 30 messages a second *in all*: replies to people who
wrote, broadcasts, group posts, from every process of the deployment together. Each process
already paces its own broadcasts (bot.scheduling.pacing) and its group replies; this budget is
what they share. Every request that creates a message takes one turn from it, right before it
leaves:

* one process (polling, the demo, SQLite): :class:`SendBudget` spaces this process's departures
  evenly, ``1 / rate`` apart;
* several processes on PostgreSQL: :class:`SharedBudget` first books a slot on one timeline in
  the database (one row: ``next_at = GREATEST(next_at + gap, now)``, read back with the wait),
  so all processes' sends interleave at the deployment's rate, then leaves no sooner than a gap
  after this process's previous departure.

Why departures are spaced and not only booked: Telegram counts arrivals, and a process that
stalls (a garbage collection, a busy core) wakes with several turns due; they then leave a gap
apart rather than at once. Each process books one turn at a time (a FIFO lock), so its own
messages keep their order and the database row sees at most one booking per process waiting.

The default rate is 2 % under Telegram's 30 (bot.config), the margin the broadcasts' pacer
keeps: requests still bunch a little between leaving here and arriving there.

A 429 pauses the budget for its ``retry_after``: :meth:`SendBudget.flooded` in the process that
got it (which also pushes the shared timeline back), :meth:`SendBudget.pause` in the others when
they hear of it (bot.flood).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database

log = logging.getLogger(__name__)

# Waits shorter than this count as done (float rounding between clocks).
_EPSILON = 1e-4

# The database's clock, so that every process books on the same timeline whatever its own says.
_NOW = "EXTRACT(EPOCH FROM clock_timestamp())::float8"  # i18n: not shown (SQL)
_BOOK = text(
    f"UPDATE send_budget SET next_at = GREATEST(next_at + :gap, {_NOW}) WHERE id = 1 RETURNING next_at - {_NOW}"  # i18n: not shown (SQL)
)
_PAUSE = text(f"UPDATE send_budget SET next_at = GREATEST(next_at, {_NOW} + :seconds) WHERE id = 1")  # i18n: not shown (SQL)


class SendBudget:
    """This process's departures, at most ``rate`` a second and none during a flood wait.

    ``rate`` 0 turns the budget off (a benchmark measuring the bot's own ceiling, say).
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.gap = 1 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._turn = asyncio.Lock()  # FIFO: this process's messages leave in the order they asked
        self._last = -math.inf
        self._paused_until = -math.inf

    @property
    def rate(self) -> float:
        return 1 / self.gap if self.gap else math.inf

    async def take(self) -> None:
        """Wait for this message's turn; return right before it may be sent."""
        if not self.gap:
            return
        async with self._turn:
            await self._book()
            due = max(self._last + self.gap, self._paused_until)
            while (delay := due - self._clock()) > _EPSILON:
                await self._sleep(delay)
            # Woken a little late, as timers are: the next turn counts from this one's due time,
            # so the pace does not drift below the rate. Woken much later (the process stalled):
            # from now, so the backlog leaves a gap apart, not in a catch-up burst.
            now = self._clock()
            self._last = due if now - due < self.gap / 2 else now

    def pause(self, seconds: float) -> None:
        """Another process got a 429: nothing leaves here for ``seconds``."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def flooded(self, seconds: float) -> None:
        """This process got a 429 (bot-wide at Telegram): pause, everywhere the budget is shared."""
        self.pause(seconds)

    async def _book(self) -> None:
        """Wait for a turn on the deployment's timeline; one process is the whole deployment."""

    async def close(self) -> None:
        """Finish what the budget started in the background."""


class SharedBudget(SendBudget):
    """The budget of a deployment of several processes on one PostgreSQL database."""

    def __init__(
        self,
        db: Database,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(rate, clock=clock, sleep=sleep)
        self.db = db
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned = False

    async def _book(self) -> None:
        try:
            async with self.db.engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                delay = await autocommit.scalar(_BOOK, {"gap": self.gap})
        except (SQLAlchemyError, OSError):
            # The database is briefly away: this process's own spacing still holds, and the
            # message is not held back for it.
            self._warn("cannot book a send on the shared budget; pacing this process alone", failed=True)  # i18n: not shown (a log line)
            return
        if delay is None:
            self._warn("the send_budget row is missing; pacing this process alone")  # i18n: not shown (a log line)
            return
        if delay > _EPSILON:
            await self._sleep(float(delay))

    def flooded(self, seconds: float) -> None:
        super().flooded(seconds)
        task = asyncio.get_running_loop().create_task(self._push_back(seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push_back(self, seconds: float) -> None:
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(_PAUSE, {"seconds": seconds})
        except (SQLAlchemyError, OSError):
            self._warn("cannot pause the shared budget after a flood wait", failed=True)  # i18n: not shown (a log line)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _warn(self, message: str, *, failed: bool = False) -> None:
        if not self._warned:  # once: a database away for a minute would otherwise log 1,800 lines
            self._warned = True
            log.warning(message, exc_info=failed)


def send_budget(db: Database, rate: float) -> SendBudget:
    """The budget for a process on ``db``: shared through the database on PostgreSQL, where
    several processes may send; this process's own on SQLite, where only one can."""
    return SharedBudget(db, rate) if db.is_postgresql and rate > 0 else SendBudget(rate)
