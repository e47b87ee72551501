"""Send one item (a reminder, papers, a report in several parts) to many chats: paced, retried,
resumable after a crash, and never twice to the same recipient.

Independent of Telegram and of the database: the caller supplies a :class:`Sender` that sends one
*part* (a text, a document, a file) to one chat and raises the :class:`SendError` subclasses below
(mapped from ``telegram.error``), a :class:`DeliveryLedger` that persists one record per recipient
and part, and a pacer (:class:`~bot.scheduling.pacing.FloodPacer`).

Crash safety. Each part's record goes ``pending -> sending -> finished``. A part is *claimed*
(``pending -> sending``, atomically: only one sender anywhere can win it) only once the pacer has
granted its slot, right before its request leaves, and its outcome is written right after the
answer. Claims are also bounded by the ``window``: at most that many parts are ``sending`` at any
moment, whatever the number of workers waiting for slots. So after a crash:

* finished parts are never sent again and pending ones are sent: a recipient who got the text
  but not the files gets the files on resume, and nobody is skipped;
* a part left ``sending`` had its request in flight: it may or may not have reached Telegram,
  which has no idempotency key to ask. It is **not** re-sent but marked ``UNCONFIRMED``, and the
  organiser's summary lists the recipient, who can be sent it again on purpose (a duplicate is
  only acceptable to the one who asks for it). At most ``window`` parts (so recipients) per
  crash end up there. ``resend_unconfirmed=True`` re-sends them instead (at-least-once).

A 429 or an error that surely stopped the request before Telegram (no connection) puts the part
back to ``pending`` before it is retried, so waiting out a flood wait or a backoff leaves nothing
in doubt. A recipient's outcome is rolled up from its parts once none is open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

logger = logging.getLogger(__name__)
# How a failure of our own is recorded: the organiser is told it was the bot's, the log has the rest.
UNEXPECTED = "unexpected error: "  # i18n: not shown (a diagnostic prefix)

DEFAULT_BACKOFF: tuple[float, ...] = (1, 2, 5, 10, 30)
# Chats served at once. Most of them wait for a pacer slot (a chat's next part is a second away),
# so this is what keeps 30 messages/s going when every recipient gets several parts.
DEFAULT_CONCURRENCY = 16
# Requests in flight at once (claimed and not yet answered): the bound on what a crash leaves in
# doubt. At 30/s it sustains the full rate while a claim, the request and its record take up to
# 10/30 s together; they take a few ms to ~0.25 s in practice (see bench/README.md).
DEFAULT_WINDOW = 10
IN_DOUBT_DETAIL = "interrupted during the send by a crash or restart; it may or may not have arrived"  # i18n: not shown (a diagnostic)


class Outcome(Enum):
    """How a part, or a recipient, finished. Values name the :class:`DeliverySummary` counters."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot, never started it, or the bot was removed
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # its request may have arrived; not repeated (see module docs)


class SendError(Exception):
    """A send that did not go through, with a reason worth storing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(SendError):
    """429: Telegram asks the whole bot to wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"flood wait of {retry_after} s")  # i18n: not shown (a diagnostic)
        self.retry_after = retry_after


class Blocked(SendError):
    """403: this chat will not accept messages from the bot."""


class TransientError(SendError):
    """Network trouble before the request reached Telegram: worth trying again later."""


class PermanentError(SendError):
    """A request Telegram will never accept (bad request, chat not found, file too big)."""


class Unconfirmed(SendError):
    """Telegram got the request but never answered (read timeout): it may have arrived."""


class Sender(Protocol):
    """Sends part ``part`` of the item to one chat; raises a :class:`SendError` if it did not go."""

    async def __call__(self, chat_id: int, part: int) -> None: ...


class Pacer(Protocol):
    """What :func:`deliver` needs from :class:`~bot.scheduling.pacing.FloodPacer`."""

    async def acquire(self, chat_id: int) -> None: ...

    def penalise(self, seconds: float) -> None: ...


class DeliveryLedger(Protocol):
    """Records of one delivery per recipient and part; each call is durable before it returns."""

    async def settle_interrupted(self, delivery_id: int, *, resend: bool) -> int:
        """Parts a dead run left ``sending``: to unconfirmed (or back to pending); how many."""
        ...

    async def pending(self, delivery_id: int) -> list[int]:
        """Chat ids whose outcome is not written yet, in a stable order."""
        ...

    async def finished_count(self, delivery_id: int) -> int:
        """How many recipients already have an outcome."""
        ...

    async def open_parts(self, delivery_id: int, chat_id: int, parts: int) -> list[int]:
        """The chat's pending parts in order (its records are created on first call)."""
        ...

    async def claim(self, delivery_id: int, chat_id: int, part: int) -> bool:
        """``pending -> sending`` if still pending; False when another sender has it or it is done."""
        ...

    async def release(self, delivery_id: int, chat_id: int, part: int) -> None:
        """``sending -> pending``: the request surely did not reach Telegram."""
        ...

    async def mark(self, delivery_id: int, chat_id: int, part: int, outcome: Outcome, detail: str | None) -> None:
        """``sending -> outcome``."""
        ...

    async def skip_rest(self, delivery_id: int, chat_id: int, outcome: Outcome, detail: str | None) -> None:
        """Every still pending part of the chat -> outcome (a recipient who blocked the bot)."""
        ...

    async def finish(self, delivery_id: int, chat_id: int) -> Outcome | None:
        """Write the recipient's outcome from its parts; None while a part is open or if another sender wrote it."""
        ...


@dataclass
class DeliverySummary:
    """Counts for one run of :func:`deliver`; ``skipped_already_done``: finished by earlier runs."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped_already_done: int = 0
    unconfirmed: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)


async def deliver(
    delivery_id: int,
    ledger: DeliveryLedger,
    send: Sender,
    pacer: Pacer,
    *,
    parts: int = 1,
    max_attempts: int = 5,
    backoff: Sequence[float] = DEFAULT_BACKOFF,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    concurrency: int = DEFAULT_CONCURRENCY,
    window: AbstractAsyncContextManager[object] | None = None,
    resend_unconfirmed: bool = False,
) -> DeliverySummary:
    """Send every part to every recipient the ledger still lists; safe to call again after a crash.

    Up to ``concurrency`` chats are served at once, at the pacer's rate, so a slow recipient does
    not stall the rest; each chat is served by one task at a time, so its parts stay in order.
    ``window`` (an ``asyncio.Semaphore`` shared by every broadcast of the process; a new one of
    :data:`DEFAULT_WINDOW` if not given) bounds the requests in flight. Flood waits pause everything
    and retry the same part without using up an attempt; transient errors are retried after
    ``backoff[i]`` seconds, ``max_attempts`` times in all. Whatever stops the run (a crash, a ledger
    failure, cancellation) propagates as itself.
    """
    if max_attempts < 1 or concurrency < 1 or parts < 1 or not backoff:
        raise ValueError("parts, max_attempts and concurrency must be at least 1, and backoff not empty")  # i18n: not shown (a diagnostic)
    run = _Run(delivery_id, ledger, send, pacer, parts, max_attempts, tuple(backoff), sleep)
    if window is not None:
        run.window = window
    interrupted = await ledger.settle_interrupted(delivery_id, resend=resend_unconfirmed)
    if interrupted:
        action = "re-sending" if resend_unconfirmed else "not re-sending"  # i18n: not shown (a diagnostic)
        logger.warning("delivery %s: %d parts were in flight when it stopped; %s them", delivery_id, interrupted, action)
    run.summary.skipped_already_done = await ledger.finished_count(delivery_id)
    recipients = list(dict.fromkeys(await ledger.pending(delivery_id)))
    queue = iter(recipients)
    if recipients:
        await _run_concurrently(lambda: run.work(queue), min(concurrency, len(recipients)))
    logger.info("delivery %s finished: %s", delivery_id, run.summary)
    return run.summary


@dataclass
class _Run:
    """One call of :func:`deliver`: its settings, and the summary its workers fill in."""

    delivery_id: int
    ledger: DeliveryLedger
    send: Sender
    pacer: Pacer
    parts: int
    max_attempts: int
    backoff: tuple[float, ...]
    sleep: Callable[[float], Awaitable[None]]
    summary: DeliverySummary = field(default_factory=DeliverySummary)
    window: AbstractAsyncContextManager[object] = field(default_factory=lambda: asyncio.Semaphore(DEFAULT_WINDOW))

    async def work(self, queue: Iterator[int]) -> None:
        """Serve recipients one after another from the shared queue until it is empty."""
        for chat_id in queue:
            await self._serve(chat_id)

    async def _serve(self, chat_id: int) -> None:
        for part in await self.ledger.open_parts(self.delivery_id, chat_id, self.parts):
            finished = await self._send_part(chat_id, part)
            if finished is not None and finished[0] is Outcome.BLOCKED:
                await self.ledger.skip_rest(self.delivery_id, chat_id, Outcome.BLOCKED, finished[1])
                break
        outcome = await self.ledger.finish(self.delivery_id, chat_id)
        if outcome is not None:
            self.summary.count(outcome)

    async def _send_part(self, chat_id: int, part: int) -> tuple[Outcome, str | None] | None:
        """Send until it went or finally did not; None if another sender holds the part."""
        failures = 0
        while True:
            await self.pacer.acquire(chat_id)  # the slot first: nothing is claimed while waiting
            async with self.window:
                if not await self.ledger.claim(self.delivery_id, chat_id, part):
                    return None
                try:
                    return await self._attempt(chat_id, part)
                except RateLimited as error:
                    await self.ledger.release(self.delivery_id, chat_id, part)
                    self.pacer.penalise(error.retry_after)  # the next acquire waits it out
                    continue
                except TransientError as error:
                    failures += 1
                    if failures >= self.max_attempts:
                        detail = f"gave up after {failures} attempts: {error.reason}"  # i18n: not shown (failure_reason words it)
                        return await self._mark(chat_id, part, Outcome.FAILED, detail)
                    await self.ledger.release(self.delivery_id, chat_id, part)
            await self.sleep(self.backoff[min(failures, len(self.backoff)) - 1])

    async def _attempt(self, chat_id: int, part: int) -> tuple[Outcome, str | None]:
        """One request for a claimed part and its recorded outcome; raises what is worth retrying."""
        try:
            await self.send(chat_id, part)
        except (RateLimited, TransientError):
            raise
        except Blocked as error:
            return await self._mark(chat_id, part, Outcome.BLOCKED, error.reason)
        except Unconfirmed as error:
            return await self._mark(chat_id, part, Outcome.UNCONFIRMED, error.reason)
        except PermanentError as error:
            return await self._mark(chat_id, part, Outcome.FAILED, error.reason)
        except Exception as error:  # a bug for one recipient must not stop the broadcast
            logger.exception("delivery %s: unexpected error sending part %s to %s", self.delivery_id, part, chat_id)
            return await self._mark(chat_id, part, Outcome.FAILED, f"{UNEXPECTED}{error!r}")
        return await self._mark(chat_id, part, Outcome.SENT, None)

    async def _mark(self, chat_id: int, part: int, outcome: Outcome, detail: str | None) -> tuple[Outcome, str | None]:
        await self.ledger.mark(self.delivery_id, chat_id, part, outcome, detail)
        return outcome, detail


def roll_up(states: Sequence[Outcome | None]) -> Outcome | None:
    """A recipient's outcome from its parts' (None = still open): the worst one, once all are done."""
    if not states or any(state is None for state in states):
        return None
    for outcome in (Outcome.BLOCKED, Outcome.FAILED, Outcome.UNCONFIRMED):
        if outcome in states:
            return outcome
    return Outcome.SENT


async def _run_concurrently(work: Callable[[], Coroutine[object, object, None]], count: int) -> None:
    """Run ``count`` copies of ``work``; the first failure cancels the others and is re-raised."""
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(count):
                group.create_task(work())
    except BaseExceptionGroup as failure:
        if len(failure.exceptions) == 1:
            raise failure.exceptions[0] from None
        raise
