"""The webhook endpoint: Telegram POSTs each update here, and is answered 200 only once the
update has been processed, its effects committed.

Answering after processing keeps Telegram's own per-chat sequencing (it sends a chat's next
update only after the previous one was answered) and means a worker killed mid-update leaves
the update unanswered, so Telegram delivers it again. The secret token set with setWebhook
is compared in constant time; anything else is refused before any parsing.

Across several worker processes on PostgreSQL one person's updates are applied one at a time:
each update is processed under a session-level advisory lock on its person (or group) key,
taken on a pooled connection and released when the update is done (or when that connection
dies with its worker). Inside one process the Application's PerUserUpdateProcessor chains them
as well. Each update is stored in the inbox (bot.services.inbox) before it is handled, and marked processed
in the transaction of its effects; a repeated update (Telegram retrying one whose 200 it did not
get) that is marked already is answered 200 without being handled again, one that was stored but
never finished (its worker died) is handled now.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import metrics
from storage.db import Database
from telegram_edge.update_processor import update_key

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
USER_LOCK_SPACE = 0x776B  # first half of the two-key advisory lock: "this is a person's updates"
# Updates processed at once by one worker: each holds a pooled connection for its lock while its
# handlers use others, so this stays well under the pool (10 + 10 overflow).
IN_FLIGHT = 8


class WebhookEndpoint:
    def __init__(self, application: Application, secret: str, db: Database) -> None:  # type: ignore[type-arg]
        self.application = application
        self.secret = secret.encode()
        self.db = db
        self._slots = asyncio.Semaphore(IN_FLIGHT)

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            metrics.UPDATES.labels("refused").inc()
            return Response(status_code=403)
        try:
            payload = json.loads(await request.body())
            update = Update.de_json(payload, self.application.bot)
        except (ValueError, TypeError, KeyError):
            metrics.UPDATES.labels("malformed").inc()
            return Response(status_code=400)  # Telegram never sends this; nothing to retry
        inbox = self.application.bot_data.services.inbox
        async with self._slots:
            await inbox.accept([payload])  # durable before anything else; a repeat is not stored again
            async with self._person(update_key(update)):
                if await inbox.processed(update.update_id):  # Telegram repeating one we handled
                    metrics.UPDATES.labels("repeated").inc()
                    return Response(status_code=200)
                # Through the update processor, as polling does: per-person chaining in this
                # process, and the inbox claim that marks the update processed with its effects.
                await self.application.update_processor.process_update(update, self.application.process_update(update))
        metrics.UPDATES.labels("processed").inc()
        metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)
        return Response(status_code=200)

    @asynccontextmanager
    async def _person(self, key: int | None) -> AsyncIterator[None]:
        if key is None or not self.db.is_postgresql:
            yield
            return
        async with self.db.engine.connect() as conn:
            # Committed at once (autocommit) so the pooled connection holds no transaction while
            # it waits; the lock itself is the session's until unlocked or the connection dies.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SELECT pg_advisory_lock(:space, :key)"), {"space": USER_LOCK_SPACE, "key": _int4(key)})
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:space, :key)"), {"space": USER_LOCK_SPACE, "key": _int4(key)})


def _int4(key: int) -> int:
    """Fold a Telegram id (up to 52 bits) into the lock's signed 32-bit half; a rare collision
    only makes two people wait for each other."""
    folded = (key ^ (key >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


def webhook_route(application: Application, secret: str, db: Database, path: str) -> Route:  # type: ignore[type-arg]
    return Route(path, WebhookEndpoint(application, secret, db).handle, methods=["POST"])


async def metrics_endpoint(_request: Request) -> Response:
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


def metrics_route() -> Route:
    return Route("/metrics", metrics_endpoint)
