"""Concurrent updates across users, strict order within each user's chat.

PTB's `concurrent_updates=True` would run two messages of the same person at once, so an answer
could be filed under the next prompt after a racing "Next" press. Here updates of different
users run concurrently (up to the limit), while each user's private updates wait for the
previous one. Updates from a group are chained per group, never behind a person's private chat:
someone who typed /start in a busy group still gets their private reply at once.

Each update is handled under a claim on its inbox row (storage.unit_of_work): the first
transaction its handler commits marks it processed; if the handler committed nothing, it is
marked right after (batched), so that a restart does not handle it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Protocol

from telegram import Chat, Update
from telegram.ext import BaseUpdateProcessor

from storage.unit_of_work import claim_update


class Ledger(Protocol):
    def done(self, update_id: int) -> None: ...


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256, ledger: Ledger | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._tails: dict[int, asyncio.Future[None]] = {}
        self._ledger = ledger

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            await self._handle(update, coroutine)
            return
        # Chain each update behind the previous one of the same user: a future per user that
        # completes when that user's latest update is done. FIFO by construction, no lock table.
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            await self._handle(update, coroutine)
        finally:
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._ledger is None or not isinstance(update, Update):
            await coroutine
            return
        with claim_update(update.update_id) as claim:
            try:
                await coroutine
            finally:
                if not claim.recorded:
                    self._ledger.done(update.update_id)

    async def initialize(self) -> None:
        """Nothing to allocate: the per-user chains live only while updates are in flight."""

    async def shutdown(self) -> None:
        """In-flight updates are awaited by the Application before it shuts the processor down."""


def _key(update: object) -> int | None:
    if isinstance(update, Update):
        chat = update.effective_chat
        if chat is not None and chat.type != Chat.PRIVATE:
            return chat.id  # negative for groups: never the same key as a person
        if update.effective_user is not None:
            return update.effective_user.id
        if chat is not None:
            return chat.id
    return None


update_key = _key  # public: the webhook's cross-worker lock (web/webhook.py) keys on the same person
