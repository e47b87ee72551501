"""The simulated Telegram's state, shared by the server (the bot's side) and the simulated users
and groups (the people's side): chats, messages, the update queue and the file store; what the
bot sent and called; and the waiting tests do on all of it.

Message ids count per chat, shared by both sides as in a private chat on Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fake_bot_api.errors import bad_request
from fake_bot_api.faults import ChatFaults
from fake_bot_api.files import FileStore
from fake_bot_api.jsontypes import JsonDict
from fake_bot_api.records import ApiCall, SentMessage
from fake_bot_api.updates import UpdateQueue

if TYPE_CHECKING:
    from fake_bot_api.users import Conversation, FakeUser

# wait_for() wakes on every API call; this re-check only matters for predicates over state
# that changes without one (e.g. a list filled by the bot's error handler).
_RECHECK_SECONDS = 0.05
_RECHECK_CHAT_SECONDS = 0.5  # a waiter on one chat is woken by its calls; this is only a safety net


class World:
    """Everything the fake Telegram holds; nothing here speaks HTTP."""

    def __init__(self, bot_user: JsonDict) -> None:
        self.bot_user = bot_user
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.chats: dict[int, Conversation] = {}
        self.faults: dict[int, ChatFaults] = {}
        self.open_queries: dict[str, FakeUser] = {}
        self.sent: list[SentMessage] = []
        self.calls: list[ApiCall] = []
        self.flood_errors = 0
        # keyed by (chat_id, message_id); lookups may use whatever the client sent
        self.messages: dict[tuple[object, object], JsonDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._current: dict[int, dict[int, SentMessage]] = {}
        self._history: dict[int, list[SentMessage]] = {}
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Event()  # any change: what waiters on no chat in particular wait for
        self._waiting = 0  # how many of those
        self._changed_in: dict[int, asyncio.Event] = {}  # a change in one chat (or anywhere)

    @property
    def bot_id(self) -> int:
        bot_id: int = self.bot_user["id"]
        return bot_id

    @property
    def bot_username(self) -> str:
        return str(self.bot_user["username"])

    def chat(self, chat_id: int) -> Conversation:
        conversation = self.chats.get(chat_id)
        if conversation is None:
            raise bad_request("chat not found")
        return conversation

    def faults_of(self, chat_id: int) -> ChatFaults:
        return self.faults.setdefault(chat_id, ChatFaults())

    def next_query_id(self) -> str:
        return str(next(self._query_ids))

    # ---- messages

    def store_message(self, chat: JsonDict, sender: JsonDict, content: JsonDict) -> JsonDict:
        """A new message in ``chat`` from ``sender`` (the bot or a user), with the next id."""
        chat_id = chat["id"]
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        self.messages[(chat_id, message_id)] = message
        return message

    def record_sent(self, method: str, message: JsonDict, text: str, parse_mode: str | None, markup: object, *, edited: bool) -> None:
        """What the bot sent or edited, as it wrote it, for the tests to read."""
        document, photo = self.files.attachments(message)
        sent = SentMessage(
            method=method,
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup if isinstance(markup, dict) else None,
            document=document,
            photo=photo,
            edited=edited,
        )
        self.sent.append(sent)
        self.history_of(sent.chat_id).append(sent)
        self._current.setdefault(sent.chat_id, {})[sent.message_id] = sent

    def forget_message(self, chat_id: int, message_id: int) -> bool:
        """Delete a message; False when there was none."""
        if self.messages.pop((chat_id, message_id), None) is None:
            return False
        self._current.get(chat_id, {}).pop(message_id, None)
        return True

    def history_of(self, chat_id: int) -> list[SentMessage]:
        """The live list of everything the bot sent or edited in that chat."""
        return self._history.setdefault(chat_id, [])

    def inbox(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in that chat as they are now (edits applied, deletions gone)."""
        return list(self._current.get(chat_id, {}).values())

    def current_message(self, chat_id: int, message_id: int) -> SentMessage:
        current = self._current.get(chat_id, {}).get(message_id)
        if current is None:
            raise AssertionError(f"the bot has no message {message_id} in chat {chat_id} (deleted or never sent)")
        return current

    def push_update(self, body: JsonDict) -> int:
        """Queue an update for the bot and wake whoever waits; returns its update_id."""
        update_id = self.updates.push(body)
        self.notify(everywhere=False)
        return update_id

    # ---- waiting

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, *, what: str = "the condition", chat_id: int | None = None
    ) -> None:
        """Return once ``predicate()`` holds, re-checking after every API call; on timeout raise
        AssertionError showing the bot's last messages and calls.

        With ``chat_id`` (a predicate about that chat alone) it re-checks only after calls about
        that chat: hundreds of simulated people waiting for their replies would otherwise all
        wake at every call, and the fake's own lateness would bunch the arrivals it stamps."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        recheck = _RECHECK_SECONDS if chat_id is None else _RECHECK_CHAT_SECONDS
        self._waiting += chat_id is None
        try:
            while not predicate():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise AssertionError(self._timeout_report(what, timeout))
                changed = self._changed if chat_id is None else self._changed_in.setdefault(chat_id, asyncio.Event())
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining, recheck)):
                        await changed.wait()
        finally:
            self._waiting -= chat_id is None

    def notify(self, chat_id: int | None = None, *, everywhere: bool = True) -> None:
        """Something changed (in ``chat_id``, or anywhere): wake the wait_for() calls it concerns
        so they re-check their predicates. ``everywhere=False``: nothing the bot sent changed (a
        new update), which no wait on one chat's messages is about."""
        if self._waiting:
            self._changed.set()
            self._changed = asyncio.Event()
        if not everywhere:
            return
        if chat_id is None:
            for changed in self._changed_in.values():
                changed.set()
            self._changed_in.clear()
        elif chat_id in self._changed_in:
            self._changed_in.pop(chat_id).set()

    def _timeout_report(self, what: str, timeout: float) -> str:
        lines = [
            f"timed out after {timeout}s waiting for {what}",
            f"last of {len(self.sent)} messages sent:",
        ]
        lines += [
            f"  {sent.method} chat={sent.chat_id} id={sent.message_id}{' (edit)' if sent.edited else ''}: {sent.plain_text[:100]!r}"
            for sent in self.sent[-8:]
        ] or ["  (none)"]
        lines.append("last API calls:")
        lines += [f"  {call.method} -> {call.status}" for call in self.calls[-8:]] or ["  (none)"]
        lines.append(f"unconfirmed updates: {self.updates.count()}")
        return "\n".join(lines)
