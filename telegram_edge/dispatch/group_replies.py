"""Replies to group chats, paced on their own so that a busy group never holds anything else up.

Telegram allows a bot about 20 messages a minute in one group. Awaiting that limit inside a
handler (as PTB's AIORateLimiter does) kept the update "in progress": the sender's next private
message waited behind it, and a shutdown waited for all of them (40 people typing /start in a
group: the 40th person's private /start answered after a minute, SIGINT ignored for as long).

Here a handler only posts the reply; one small task per group sends them evenly spaced, at most
`per_minute` a minute. A reply already waiting for the same group is not queued twice (40
"/start"s get one pointer to the private chat), the queue per group is bounded, and at stop
whatever still waits is dropped and logged: group replies are courtesy notes, nothing that a
person's progress depends on.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)


class GroupReplies:
    def __init__(self, bot: Bot, *, per_minute: int = 20, backlog: int = 20) -> None:
        self.bot = bot
        self.interval = 60.0 / per_minute
        self.backlog = backlog
        self.dropped = 0
        self._queues: dict[int, deque[str]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._last_sent: dict[int, float] = {}

    def post(self, chat_id: int, text: str) -> None:
        """Queue a reply to a group; returns at once."""
        queue = self._queues.setdefault(chat_id, deque())
        if text in queue:
            return
        if len(queue) >= self.backlog:
            self.dropped += 1
            log.warning("group %s: %d replies already waiting; one more dropped", chat_id, len(queue))
            return
        queue.append(text)
        if chat_id not in self._workers:
            self._workers[chat_id] = asyncio.get_running_loop().create_task(  # i18n: not shown (a task name)
                self._drain(chat_id), name=f"group replies {chat_id}"
            )

    def waiting(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def _drain(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                pause = self._last_sent.get(chat_id, -math.inf) + self.interval - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                text = queue.popleft()
                self._last_sent[chat_id] = time.monotonic()
                try:
                    await self.bot.send_message(chat_id, text)
                except TelegramError as exc:  # removed from the group, flood, network: not retried
                    log.warning("could not reply in group %s: %s", chat_id, exc)
        finally:
            self._workers.pop(chat_id, None)
            if not queue:
                self._queues.pop(chat_id, None)

    async def stop(self) -> None:
        """Drop what still waits (logged) and end the senders; a send in flight is cut short."""
        waiting = self.waiting()
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._queues.clear()
        if waiting:
            log.info("stopping: %d reply(ies) to groups not sent", waiting)
