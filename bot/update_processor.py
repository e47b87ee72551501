"""Concurrent updates across users, strict order within each user's chat.

PTB's `concurrent_updates=True` would run two messages of the same person at once, so an answer
could be filed under the next prompt after a racing "Next" press. Here updates of different
users run concurrently (up to the limit), while each user's updates wait for the previous one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._tails: dict[int, asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            await coroutine
            return
        # Chain each update behind the previous one of the same user: a future per user that
        # completes when that user's latest update is done. FIFO by construction, no lock table.
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            await coroutine
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def initialize(self) -> None:
        """Nothing to allocate: the per-user chains live only while updates are in flight."""

    async def shutdown(self) -> None:
        """In-flight updates are awaited by the Application before it shuts the processor down."""


def _key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


update_key = _key  # public: the webhook's cross-worker lock (web/webhook.py) keys on the same person
