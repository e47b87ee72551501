"""The update queue: what getUpdates hands out, kept until an ``offset`` confirms it."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque

from fake_bot_api.jsontypes import JsonDict

# Telegram's default when allowed_updates is empty or was never set.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Updates kept until a getUpdates ``offset`` confirms them, as Telegram keeps them."""

    def __init__(self) -> None:
        self._pending: deque[JsonDict] = deque()
        self._redeliveries: deque[JsonDict] = deque()
        self._log: dict[int, JsonDict] = {}
        self._ids = itertools.count(1)
        self._waiter: asyncio.Future[bool] | None = None
        self.allowed: frozenset[str] = frozenset()

    def push(self, body: JsonDict) -> int:
        """Queue an update with a fresh id; types excluded by allowed_updates are not stored."""
        update_id = next(self._ids)
        update = {"update_id": update_id, **body}
        self._log[update_id] = update
        if self._wanted(next(iter(body), "")):
            self._pending.append(update)
            self._wake(True)
        return update_id

    def _wanted(self, kind: str) -> bool:
        if self.allowed:
            return kind in self.allowed
        return kind not in _DEFAULT_EXCLUDED_UPDATES

    def redeliver(self, update_id: int) -> None:
        """Hand out a copy of an earlier update once more, whatever offsets say."""
        if update_id not in self._log:
            raise ValueError(f"there was no update {update_id}")
        self._redeliveries.append(json.loads(json.dumps(self._log[update_id])))
        self._wake(True)

    def payload(self, update_id: int) -> JsonDict:
        """A copy of an update as it was queued (what a webhook would receive)."""
        update: JsonDict = json.loads(json.dumps(self._log[update_id]))
        return update

    def last_id(self) -> int:
        """The id of the newest update queued (0 before the first)."""
        return next(reversed(self._log), 0)

    def confirm(self, offset: int) -> None:
        """Forget updates below ``offset``; a negative offset keeps only the last -offset ones."""
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
        while offset > 0 and pending and pending[0]["update_id"] < offset:
            pending.popleft()

    def take(self, limit: int) -> list[JsonDict]:
        """Redeliveries first, so PTB's next offset (last id + 1) does not go backwards."""
        batch: list[JsonDict] = []
        while self._redeliveries and len(batch) < limit:
            batch.append(self._redeliveries.popleft())
        batch.extend(itertools.islice(self._pending, limit - len(batch)))
        return batch

    def clear(self) -> None:
        self._pending.clear()
        self._redeliveries.clear()

    def count(self) -> int:
        return len(self._pending) + len(self._redeliveries)

    async def wait(self, timeout: float) -> bool:
        """Hold a long poll until an update arrives or ``timeout`` passes.

        False when a newer getUpdates took over, which Telegram answers with 409 Conflict.
        """
        self._wake(False)
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except TimeoutError:
            return True
        finally:
            if self._waiter is waiter:
                self._waiter = None

    def _wake(self, result: bool) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(result)

    def close(self) -> None:
        """Answer a held long poll now so that the server can shut down."""
        self._wake(True)
