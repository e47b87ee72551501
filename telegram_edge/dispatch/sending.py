"""Sending one delivery's content to one chat through PTB, with Telegram's errors mapped for deliver().

Mapping (see bot.scheduling.delivery): RetryAfter -> RateLimited (the pacer waits it out, bot-wide);
Forbidden -> Blocked; BadRequest and ChatMigrated -> PermanentError; NetworkError and timeouts
before the request left -> TransientError (backed off and retried). A *read* timeout means Telegram
got the request and did not answer in time: the message may well have arrived, and Telegram has no
idempotency key to ask, so it is not repeated but recorded as unconfirmed (the organiser sees who).

Texts go to each chat in its person's language (`locales`, chat id → locale; the content holds the
texts in every language, `by_locale`); a chat without one gets the content's default `messages`.
Content goes out part by part (deliver() claims each): texts, then documents by file_id, then files
uploaded from bytes — each uploaded once, by the first recipient, after which everyone gets it by
the returned file_id (fast, and what Telegram recommends). Every part has its own pacer slot, so a
three-part report respects the one-message-per-second-per-chat limit too.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol

import httpx
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot import metrics
from bot.flood import FloodGate
from bot.scheduling.delivery import Blocked, PermanentError, RateLimited, SendError, TransientError, Unconfirmed
from bot.send_budget import SendBudget
from bot.services.deliveries import content_parts
from telegram_edge.aiohttp_request import NOT_SENT_ERRORS

log = logging.getLogger(__name__)

# rate_limit_args meaning "one attempt; the caller handles 429" (see BroadcastRateLimiter).
SEND_ONCE = -1
# The request never left: our aiohttp client's connect errors, or httpx's for a bot built with HTTPXRequest.
_NOT_SENT_CAUSES = (*NOT_SENT_ERRORS, httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The Bot API methods that create a message: what Telegram's overall limit counts.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendAnimation", "sendAudio", "sendVideo",
        "sendVideoNote", "sendVoice", "sendSticker", "sendLocation", "sendVenue", "sendContact", "sendPoll",
        "sendDice", "sendPaidMedia", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
    }
)  # fmt: skip
UNCONFIRMED_DETAIL = "Telegram did not answer in time, so it was not repeated"  # i18n: not shown (a diagnostic)


class BroadcastRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter, plus an opt-out for broadcasts: ``rate_limit_args=SEND_ONCE``.

    AIORateLimiter reads ``rate_limit_args`` as a retry count, but as ``rate_limit_args or
    max_retries`` (and ExtBot drops falsy values), so "no retries" cannot be asked for: every 429 in
    a broadcast would be retried up to ``max_retries`` times inside PTB — each retry another flood
    error — while our FloodPacer never heard of it. With SEND_ONCE the request is made once, after
    any flood wait PTB is already sitting out for interactive replies, and a 429 surfaces as
    RetryAfter. Every other request is handled exactly as by AIORateLimiter.

    Every request also waits at the process's FloodGate, closed by a 429 here or in any other
    process of the deployment (bot.flood); every request that creates a message first takes its
    turn from the deployment's sending budget (bot.send_budget), replies and broadcasts alike.
    """

    def __init__(self, *args: Any, budget: SendBudget | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget or SendBudget(0)
        self.gate = FloodGate(self.budget)

    async def process_request(
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        callback = _at_the_gate(callback, self.gate, self.budget if endpoint in MESSAGE_METHODS else None)
        if rate_limit_args != SEND_ONCE:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        flood_wait = getattr(self, "_retry_after_event", None)
        if isinstance(flood_wait, asyncio.Event):
            await flood_wait.wait()
        return await callback(*args, **kwargs)


def _at_the_gate(callback: Callable[..., Any], gate: FloodGate, budget: SendBudget | None) -> Callable[..., Any]:
    """The request, at its turn of the sending budget (a new message) and once the flood gate is
    open; a 429 closes the gate (here and in every other process) and is counted for /metrics on
    its way up. Each attempt takes its own turn: PTB's retries after a 429 are messages too."""

    async def request(*args: Any, **kwargs: Any) -> Any:
        if budget is not None:
            await budget.take()
        await gate.wait()
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            metrics.FLOOD_WAITS.inc()
            wait = exc.retry_after
            gate.flooded(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
            raise

    return request


def send_error(exc: TelegramError) -> SendError:
    """The deliver() failure for a Telegram error (order matters: BadRequest is a NetworkError)."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # an int today, a timedelta in PTB 23: both are handled
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = exc.retry_after
        return RateLimited(wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    if isinstance(exc, Forbidden):
        return Blocked(exc.message)
    if isinstance(exc, ChatMigrated):
        moved = f"the group became a supergroup with id {exc.new_chat_id}; schedule it for that id"  # i18n: not shown (a diagnostic)
        return PermanentError(moved)
    if isinstance(exc, BadRequest):
        return PermanentError(exc.message)
    if isinstance(exc, TimedOut):
        if surely_not_sent(exc):
            return TransientError(exc.message)
        return Unconfirmed(UNCONFIRMED_DETAIL)
    if isinstance(exc, NetworkError):
        return TransientError(exc.message)
    return PermanentError(exc.message)


def surely_not_sent(exc: TelegramError) -> bool:
    """Telegram cannot have acted on the request: a flood refusal, or no connection was made."""
    return isinstance(exc, RetryAfter) or isinstance(exc.__cause__, _NOT_SENT_CAUSES)


class Spacing(Protocol):
    """Keeps requests apart at the moment they leave (bot.scheduling.slots.RequestSpacing)."""

    async def wait(self, chat_id: int) -> None: ...

    def answered(self, chat_id: int) -> None: ...


class ChatSender:
    """The deliver() Sender for one delivery: one part of its content, to one chat per call."""

    def __init__(
        self,
        bot: Bot,
        content: Mapping[str, Any],
        spacing: Spacing,
        *,
        files: Mapping[str, bytes],
        remember_file: Callable[[str, str], Awaitable[None]],
        locales: Mapping[int, str] | None = None,
    ) -> None:
        self.bot = bot
        self.spacing = spacing
        self.parts = content_parts(content)
        texts = len(content.get("messages", []))
        self._texts: dict[str, list[str]] = {
            locale: list(messages) for locale, messages in (content.get("by_locale") or {}).items() if len(messages) == texts
        }
        self._locales = locales or {}
        self._files = files
        self._file_ids = {u["name"]: u["file_id"] for u in content.get("uploads", []) if u.get("file_id")}
        self._uploading: dict[str, asyncio.Lock] = {}
        self._remember_file = remember_file
        limiter = getattr(bot, "rate_limiter", None)
        self._once: dict[str, Any] = {"rate_limit_args": SEND_ONCE} if isinstance(limiter, BroadcastRateLimiter) else {}
        if limiter is not None and not self._once:
            log.warning("the bot's rate limiter retries 429s itself; broadcasts will see fewer of them")

    async def __call__(self, chat_id: int, part: int) -> None:
        kind, value = self.parts[part]
        translated = self._texts.get(self._locales.get(chat_id, ""))
        if kind == "text" and translated is not None:
            value = translated[part]  # texts come first: a text's part number is its index
        try:
            await self._send(chat_id, kind, value)
        except TelegramError as exc:
            raise send_error(exc) from exc
        finally:
            self.spacing.answered(chat_id)

    async def _send(self, chat_id: int, kind: str, value: str) -> None:
        if kind == "text":
            await self.spacing.wait(chat_id)
            await self.bot.send_message(chat_id, value, **self._once)
        elif kind == "document":
            await self.spacing.wait(chat_id)
            await self.bot.send_document(chat_id, value, **self._once)
        else:
            await self._send_upload(chat_id, value)

    async def _send_upload(self, chat_id: int, name: str) -> None:
        file_id = self._file_ids.get(name)
        if file_id is None:
            async with self._uploading.setdefault(name, asyncio.Lock()):
                file_id = self._file_ids.get(name)
                if file_id is None:  # the first recipient uploads the bytes
                    data = self._files.get(name)
                    if data is None:
                        raise PermanentError(f"the file {name} is no longer available")  # i18n: not shown (a diagnostic)
                    await self.spacing.wait(chat_id)
                    message = await self.bot.send_document(chat_id, data, filename=name, **self._once)
                    if message.document is not None:
                        self._file_ids[name] = message.document.file_id
                        await self._keep(name, message.document.file_id)
                    return
        await self.spacing.wait(chat_id)
        await self.bot.send_document(chat_id, file_id, **self._once)

    async def _keep(self, name: str, file_id: str) -> None:
        try:
            await self._remember_file(name, file_id)
        except Exception:  # the send succeeded; a resumed run would only upload once more
            log.warning("could not store the file_id of %s", name, exc_info=True)
