"""Send one item (a reminder, a document, a report) to many chats: paced, retried, resumable.

Independent of Telegram and of the database: the caller supplies a :class:`Sender` that raises
the :class:`SendError` subclasses below (mapped from ``telegram.error``), a :class:`DeliveryLedger`
that persists one record per recipient, and a pacer (:class:`~bot.scheduling.pacing.FloodPacer`).

Crash safety. Each recipient's record goes ``pending -> started -> finished`` (finished = one of
:class:`Outcome`). ``mark_started`` is written right before every send call and the outcome right
after it, so after a crash or restart:

* finished recipients are never sent again, and never-started ones are sent: a crash *between*
  recipients loses no one and duplicates nothing;
* a recipient left *started* was inside the window between the call and its record: the message
  may or may not have reached Telegram, and Telegram's sendMessage/sendDocument have no
  idempotency key to ask. Re-sending risks a duplicate, skipping risks a loss; one side must give.
  By default such recipients are **not** re-sent: they are marked ``UNCONFIRMED`` and counted in the
  summary, so the organiser sees exactly who may have missed it and can resend on purpose. At most
  ``concurrency`` recipients can be in that state per crash. Pass ``resend_unconfirmed=True`` for
  items where a duplicate is cheaper than a loss (at-least-once).

A recipient also stays *started* while it waits out a flood wait or a backoff after a failed
attempt; a crash then is treated the same way (conservatively: a timed-out attempt may well have
been delivered).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

logger = logging.getLogger(__name__)

DEFAULT_BACKOFF: tuple[float, ...] = (1, 2, 5, 10, 30)
# Enough sends in flight to keep 30/s going at ~0.5 s per call, and for a few slow recipients not
# to hold up the rest; keep it below the HTTP client's connection pool size.
DEFAULT_CONCURRENCY = 16
IN_DOUBT_DETAIL = (
    "interrupted during the send by a crash or restart; it may or may not have arrived"
)


class Outcome(Enum):
    """How a recipient's delivery finished. Values name the :class:`DeliverySummary` counters."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot, never started it, or the bot was removed
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # interrupted mid-send by a crash; not re-sent (see module docs)


class SendError(Exception):
    """A send that did not go through, with a reason worth storing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(SendError):
    """429: Telegram asks the whole bot to wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"flood wait of {retry_after} s")
        self.retry_after = retry_after


class Blocked(SendError):
    """403: this chat will not accept messages from the bot."""


class TransientError(SendError):
    """Network trouble or a timeout: worth trying again later."""


class PermanentError(SendError):
    """A request Telegram will never accept (bad request, chat not found, file too big)."""


class Sender(Protocol):
    """Sends the item to one chat; raises a :class:`SendError` subclass if it did not go through."""

    async def __call__(self, chat_id: int) -> None: ...


class Pacer(Protocol):
    """What :func:`deliver` needs from :class:`~bot.scheduling.pacing.FloodPacer`."""

    async def acquire(self, chat_id: int) -> None: ...

    def penalise(self, seconds: float) -> None: ...


class DeliveryLedger(Protocol):
    """Per-recipient records of one delivery, persisted (each call durable before it returns)."""

    async def pending(self, delivery_id: int) -> list[int]:
        """Chat ids not yet finished (never started, or started), in a stable order."""
        ...

    async def in_doubt(self, delivery_id: int) -> list[int]:
        """Chat ids marked started and not finished: their last send may or may not have arrived."""
        ...

    async def finished_count(self, delivery_id: int) -> int:
        """How many recipients already have an outcome."""
        ...

    async def mark_started(self, delivery_id: int, chat_id: int) -> None:
        """Record that a send to this chat is about to be attempted."""
        ...

    async def mark(
        self, delivery_id: int, chat_id: int, outcome: Outcome, detail: str | None
    ) -> None:
        """Record the final outcome for this chat."""
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

    def text(self) -> str:
        """A short report for the organiser."""
        lines = [f"Sent to {_people(self.sent)}."]
        if self.blocked:
            lines.append(
                f"{_people(self.blocked)} could not be reached: "
                "they blocked the bot or never started it."
            )
        if self.failed:
            lines.append(f"{_people(self.failed)} failed after retries.")
        if self.unconfirmed:
            lines.append(
                f"Sending to {_people(self.unconfirmed)} was interrupted when the bot stopped; "
                "to avoid duplicates it was not repeated, so it may not have arrived."
            )
        if self.skipped_already_done:
            lines.append(
                f"{_people(self.skipped_already_done)} had already been handled before a restart."
            )
        return " ".join(lines)


async def deliver(
    delivery_id: int,
    ledger: DeliveryLedger,
    send: Sender,
    pacer: Pacer,
    *,
    max_attempts: int = 5,
    backoff: Sequence[float] = DEFAULT_BACKOFF,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    concurrency: int = DEFAULT_CONCURRENCY,
    resend_unconfirmed: bool = False,
) -> DeliverySummary:
    """Send the item to every recipient the ledger still lists; safe to call again after a crash.

    Up to ``concurrency`` chats are served at once, at the pacer's rate, so a slow recipient does
    not stall the rest; each chat is served by one task at a time, so its messages stay in order.
    Flood waits pause everything and retry the same recipient without using up an attempt;
    transient errors are retried after ``backoff[i]`` seconds, ``max_attempts`` times in all.
    Whatever stops the run (a crash, a ledger failure, cancellation) propagates as itself.
    """
    if max_attempts < 1 or concurrency < 1 or not backoff:
        raise ValueError("max_attempts and concurrency must be at least 1, and backoff not empty")
    run = _Run(delivery_id, ledger, send, pacer, max_attempts, tuple(backoff), sleep)
    run.summary.skipped_already_done = await ledger.finished_count(delivery_id)
    recipients = await run.take_recipients(resend_unconfirmed)
    queue = iter(recipients)
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
    max_attempts: int
    backoff: tuple[float, ...]
    sleep: Callable[[float], Awaitable[None]]

    def __post_init__(self) -> None:
        self.summary = DeliverySummary()

    async def take_recipients(self, resend_unconfirmed: bool) -> list[int]:
        """The chats to send to now; recipients in doubt are settled here unless re-sent."""
        pending = list(dict.fromkeys(await self.ledger.pending(self.delivery_id)))
        doubtful = set(await self.ledger.in_doubt(self.delivery_id)) & set(pending)
        if doubtful and resend_unconfirmed:
            logger.warning(
                "delivery %s: re-sending to %d recipients in doubt", self.delivery_id, len(doubtful)
            )
            return pending
        for chat_id in (chat_id for chat_id in pending if chat_id in doubtful):
            await self._finish(chat_id, Outcome.UNCONFIRMED, IN_DOUBT_DETAIL)
        if doubtful:
            logger.warning(
                "delivery %s: %d recipients in doubt, not re-sent", self.delivery_id, len(doubtful)
            )
        return [chat_id for chat_id in pending if chat_id not in doubtful]

    async def work(self, queue: Iterator[int]) -> None:
        """Serve recipients one after another from the shared queue until it is empty."""
        for chat_id in queue:
            outcome, detail = await self._send_until_done(chat_id)
            await self._finish(chat_id, outcome, detail)

    async def _send_until_done(self, chat_id: int) -> tuple[Outcome, str | None]:
        failures = 0
        while True:
            await self.pacer.acquire(chat_id)
            await self.ledger.mark_started(self.delivery_id, chat_id)
            try:
                await self.send(chat_id)
            except RateLimited as error:
                self.pacer.penalise(error.retry_after)  # the next acquire waits it out
            except TransientError as error:
                failures += 1
                if failures >= self.max_attempts:
                    return Outcome.FAILED, f"gave up after {failures} attempts: {error.reason}"
                await self.sleep(self.backoff[min(failures, len(self.backoff)) - 1])
            except Blocked as error:
                return Outcome.BLOCKED, error.reason
            except PermanentError as error:
                return Outcome.FAILED, error.reason
            except Exception as error:  # a bug for one recipient must not stop the broadcast
                logger.exception(
                    "delivery %s: unexpected error sending to %s", self.delivery_id, chat_id
                )
                return Outcome.FAILED, f"unexpected error: {error!r}"
            else:
                return Outcome.SENT, None

    async def _finish(self, chat_id: int, outcome: Outcome, detail: str | None) -> None:
        await self.ledger.mark(self.delivery_id, chat_id, outcome, detail)
        self.summary.count(outcome)


async def _run_concurrently(
    work: Callable[[], Coroutine[object, object, None]], count: int
) -> None:
    """Run ``count`` copies of ``work``; the first failure cancels the others and is re-raised."""
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(count):
                group.create_task(work())
    except BaseExceptionGroup as failure:
        if len(failure.exceptions) == 1:
            raise failure.exceptions[0] from None
        raise


def _people(count: int) -> str:
    return f"{count} recipient" if count == 1 else f"{count} recipients"
