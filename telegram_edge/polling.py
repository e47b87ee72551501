"""Long polling that acknowledges an update to Telegram only once it is stored.

PTB's `Updater` puts each fetched batch on the update queue and sends the next `offset` right
away, which tells Telegram the batch is delivered whether or not anything was done with it; a
crash in between loses it (see ENGINEERING-NOTES, "Delivery semantics"). `DurableUpdater` keeps
PTB's interface (`run_polling`, `start_polling`, `stop`) and changes the order:

1. getUpdates with the current offset (which confirms only batches already stored),
2. `Inbox.accept` the batch in ONE transaction,
3. advance the offset past it, and only then
4. hand the updates that were new to the Application.

On start, before polling, the inbox's unprocessed updates are queued first, oldest first, so they
are handled before anything new and, through PerUserUpdateProcessor, in each user's order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Updater
from telegram.warnings import PTBDeprecationWarning

from bot.services.inbox import Inbox

log = logging.getLogger(__name__)

_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Pause between getUpdates calls after one that brought several updates. Under load an update
#: then waits at most 20 ms, while a batch collects several updates for one request and one inbox
#: transaction: 90 → 104 answers/s in bench/README.md ("What would move it"). When updates come
#: one at a time there is no pause: at 40 answers/s, pausing after each getUpdates cost every
#: answer ~10 ms of latency on average. Idle, long polling answers at once either way.
POLL_INTERVAL = 0.02


class DurableUpdater(Updater):
    def __init__(self, bot: Bot, update_queue: asyncio.Queue[object], inbox: Inbox) -> None:
        super().__init__(bot, update_queue)
        self.inbox = inbox
        self._task: asyncio.Task[None] | None = None
        self._storing = False
        self._allowed: Sequence[str] | None = None

    async def start_polling(
        self,
        poll_interval: float = POLL_INTERVAL,
        timeout: int | timedelta = timedelta(seconds=10),
        bootstrap_retries: int = 0,
        allowed_updates: Sequence[str] | None = None,
        drop_pending_updates: bool | None = None,
        error_callback: Callable[[TelegramError], None] | None = None,
    ) -> asyncio.Queue[object]:
        if self.running:
            raise RuntimeError("This Updater is already running!")
        if not self._initialized:
            raise RuntimeError("This Updater was not initialized via `Updater.initialize`!")
        self._running = True
        self._allowed = allowed_updates
        try:
            await self._bootstrap(bootstrap_retries, webhook_url="", allowed_updates=None, drop_pending_updates=drop_pending_updates)
            backlog = await self.inbox.pending()
        except BaseException:
            self._running = False
            raise
        if backlog:
            log.info("handling %d update(s) received before the last stop", len(backlog))
        for payload in backlog:
            await self.update_queue.put(Update.de_json(payload, self.bot))
        self._task = asyncio.create_task(self._poll(poll_interval, timeout, error_callback), name="DurableUpdater:poll")
        return self.update_queue

    async def stop(self) -> None:
        """Stop polling; a batch being stored is stored first. Then tell Telegram what is stored."""
        if not self.running:
            raise RuntimeError("This Updater is not running!")
        self._running = False
        task, self._task = self._task, None
        if task is not None:
            if not self._storing:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(TelegramError):  # everything below the offset is in the inbox
            await self.bot.get_updates(offset=self._last_update_id, timeout=0, limit=1, allowed_updates=self._allowed)

    async def _poll(self, interval: float, timeout: int | timedelta, error_callback: Callable[[TelegramError], None] | None) -> None:
        failures = 0
        while self.running:
            confirmed = self._last_update_id
            try:
                updates = await self.bot.get_updates(offset=confirmed, timeout=timeout, allowed_updates=self._allowed)
            except InvalidToken:
                log.error("Telegram rejected the token while polling; stopping to poll")
                return
            except RetryAfter as exc:
                await asyncio.sleep(_retry_after(exc))
                continue
            except TelegramError as exc:
                if error_callback is not None:
                    error_callback(exc)
                elif isinstance(exc, Conflict):
                    log.error("another instance of the bot is polling with the same token: %s", exc.message)
                else:
                    log.warning("getUpdates failed: %s", exc.message)
                await asyncio.sleep(_BACKOFF[min(failures, len(_BACKOFF) - 1)])
                failures += 1
                continue
            if updates:
                try:
                    await self._store(updates, confirmed)
                except Exception:  # the database is away: fetch the same batch again later
                    log.warning("could not store %d update(s); they stay unacknowledged", len(updates), exc_info=True)
                    await asyncio.sleep(_BACKOFF[min(failures, len(_BACKOFF) - 1)])
                    failures += 1
                    continue
            failures = 0
            if interval and len(updates) > 1:  # updates are coming faster than one at a time
                await asyncio.sleep(interval)

    async def _store(self, updates: Sequence[Update], confirmed: int) -> None:
        self._storing = True
        try:
            new = set(await self.inbox.accept([u.to_dict() for u in updates], prune_below=confirmed))
        finally:
            self._storing = False
        self._last_update_id = updates[-1].update_id + 1
        for update in updates:
            if update.update_id in new:  # a known one is queued already (backlog) or done
                await self.update_queue.put(update)


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # an int in PTB 22, a timedelta in PTB 23: both are handled
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
