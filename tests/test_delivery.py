"""The broadcast engine on virtual time, with a scripted fake Telegram and an in-memory ledger.

Crashes are simulated by :class:`Crash`, a BaseException the engine does not catch, like the
process dying: the in-memory ledger keeps what was written before it, as the database would.
"""

from __future__ import annotations

import ast
import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from bot.scheduling.delivery import (
    IN_DOUBT_DETAIL,
    Blocked,
    DeliverySummary,
    Outcome,
    PermanentError,
    RateLimited,
    TransientError,
    Unconfirmed,
    deliver,
    roll_up,
)
from bot.scheduling.pacing import FloodPacer
from tests.test_pacing import assert_within_telegram_limits, now, rate, run_virtual

DELIVERY = 7


class Crash(BaseException):
    """The process dies here."""


class MemoryLedger:
    """DeliveryLedger in memory, per recipient and part; refuses to finish a part twice.

    ``in_flight`` records the most parts that were ever claimed at once (the crash bound)."""

    def __init__(self, chat_ids: Iterable[int]) -> None:
        self.order = list(chat_ids)
        self.parts: dict[tuple[int, int], str | Outcome] = {}
        self.state: dict[int, str | Outcome] = dict.fromkeys(self.order, "pending")
        self.detail: dict[int, str | None] = {}
        self.claims: Counter[tuple[int, int]] = Counter()
        self.in_flight = 0

    def finished(self, chat_id: int) -> bool:
        return isinstance(self.state[chat_id], Outcome)

    def sending(self) -> list[tuple[int, int]]:
        return [key for key, state in self.parts.items() if state == "sending"]

    async def settle_interrupted(self, delivery_id: int, *, resend: bool) -> int:
        interrupted = self.sending()
        for key in interrupted:
            self.parts[key] = "pending" if resend else Outcome.UNCONFIRMED
            if not resend:
                self.detail[key[0]] = IN_DOUBT_DETAIL
        return len(interrupted)

    async def pending(self, delivery_id: int) -> list[int]:
        assert delivery_id == DELIVERY
        return [chat_id for chat_id in self.order if not self.finished(chat_id)]

    async def finished_count(self, delivery_id: int) -> int:
        return sum(self.finished(chat_id) for chat_id in self.order)

    async def open_parts(self, delivery_id: int, chat_id: int, parts: int) -> list[int]:
        for part in range(parts):
            self.parts.setdefault((chat_id, part), "pending")
        return [part for part in range(parts) if self.parts[chat_id, part] == "pending"]

    async def claim(self, delivery_id: int, chat_id: int, part: int) -> bool:
        await asyncio.sleep(0)  # a database round trip: another sender may run meanwhile
        if self.parts[chat_id, part] != "pending":
            return False
        self.parts[chat_id, part] = "sending"
        self.claims[chat_id, part] += 1
        self.in_flight = max(self.in_flight, len(self.sending()))
        return True

    async def release(self, delivery_id: int, chat_id: int, part: int) -> None:
        assert self.parts[chat_id, part] == "sending"
        self.parts[chat_id, part] = "pending"

    async def mark(self, delivery_id: int, chat_id: int, part: int, outcome: Outcome, detail: str | None) -> None:
        assert self.parts[chat_id, part] == "sending", f"part {part} of {chat_id} finished twice"
        self.parts[chat_id, part] = outcome
        self.detail[chat_id] = detail

    async def skip_rest(self, delivery_id: int, chat_id: int, outcome: Outcome, detail: str | None) -> None:
        for key, state in self.parts.items():
            if key[0] == chat_id and state == "pending":
                self.parts[key] = outcome

    async def finish(self, delivery_id: int, chat_id: int) -> Outcome | None:
        states = [state for (chat, _part), state in sorted(self.parts.items()) if chat == chat_id]
        outcome = roll_up([state if isinstance(state, Outcome) else None for state in states])
        if outcome is not None and not self.finished(chat_id):
            self.state[chat_id] = outcome
            return outcome
        return None

    def outcomes(self) -> Counter[str | Outcome]:
        return Counter(self.state.values())


class CrashingLedger(MemoryLedger):
    """Dies right after the ``after``-th recipient's outcome is durably written: between recipients."""

    def __init__(self, chat_ids: Iterable[int], after: int) -> None:
        super().__init__(chat_ids)
        self.finishes_left = after

    async def finish(self, delivery_id: int, chat_id: int) -> Outcome | None:
        outcome = await super().finish(delivery_id, chat_id)
        self.finishes_left -= 1
        if self.finishes_left == 0:
            raise Crash
        return outcome


class FakeTelegram:
    """A Sender: answers each chat's calls from a script (exceptions to raise, None = delivered).

    ``crash_on_call`` makes the n-th call die, before the message reaches Telegram
    (``crash_after_delivery=False``) or after it did but before the bot heard back (True).
    """

    def __init__(
        self,
        script: dict[int, list[BaseException | None]] | None = None,
        *,
        latency: dict[int, float] | None = None,
        default_latency: float = 0.0,
        crash_on_call: int | None = None,
        crash_after_delivery: bool = False,
    ) -> None:
        self.script = {chat_id: list(answers) for chat_id, answers in (script or {}).items()}
        self.latency = latency or {}
        self.default_latency = default_latency
        self.crash_on_call = crash_on_call
        self.crash_after_delivery = crash_after_delivery
        self.calls: dict[int, list[float]] = defaultdict(list)
        self.delivered: list[tuple[float, int, int]] = []
        self.rate_limited_at: list[tuple[float, float]] = []

    @property
    def attempts(self) -> list[tuple[float, int]]:
        return sorted((at, chat_id) for chat_id, times in self.calls.items() for at in times)

    def received(self) -> Counter[int]:
        return Counter(chat_id for _, chat_id, _part in self.delivered)

    def received_parts(self) -> Counter[tuple[int, int]]:
        return Counter((chat_id, part) for _, chat_id, part in self.delivered)

    async def __call__(self, chat_id: int, part: int = 0) -> None:
        self.calls[chat_id].append(now())
        crashing = self.crash_on_call == sum(len(times) for times in self.calls.values())
        if crashing and not self.crash_after_delivery:
            raise Crash
        await asyncio.sleep(self.latency.get(chat_id, self.default_latency))
        answers = self.script.get(chat_id)
        answer = answers.pop(0) if answers else None
        if isinstance(answer, RateLimited):
            self.rate_limited_at.append((now(), answer.retry_after))
        if answer is not None:
            raise answer
        self.delivered.append((now(), chat_id, part))
        if crashing:
            raise Crash


async def run_delivery(ledger: MemoryLedger, telegram: FakeTelegram, **options: object) -> DeliverySummary:
    return await deliver(DELIVERY, ledger, telegram, FloodPacer(clock=now), **options)  # type: ignore[arg-type]


def test_everyone_gets_it_once_at_telegrams_pace() -> None:
    chats = [*range(1, 401), *range(-100, -110, -1)]
    ledger, telegram = MemoryLedger(chats), FakeTelegram(default_latency=0.3)

    summary = run_virtual(run_delivery(ledger, telegram))

    assert summary == DeliverySummary(sent=len(chats))
    assert telegram.received() == Counter(chats)
    assert ledger.outcomes() == {Outcome.SENT: len(chats)}
    assert rate(telegram.attempts) >= 0.95 * 30
    assert_within_telegram_limits(telegram.attempts)


def test_blocked_rate_limited_transient_and_permanent_answers() -> None:
    chats = list(range(1, 61))
    script: dict[int, list[BaseException | None]] = {
        3: [Blocked("Forbidden: bot was blocked by the user")],
        4: [Blocked("Forbidden: user is deactivated")],
        10: [RateLimited(3)],
        20: [TransientError("timed out"), TransientError("network"), None],
        30: [TransientError("network")] * 10,
        40: [PermanentError("Bad Request: chat not found")],
        50: [ValueError("bug in the sender")],
    }
    ledger, telegram = MemoryLedger(chats), FakeTelegram(script)

    summary = run_virtual(run_delivery(ledger, telegram))

    assert summary == DeliverySummary(sent=55, blocked=2, failed=3)
    assert ledger.state[3] is Outcome.BLOCKED and "blocked" in (ledger.detail[3] or "")
    assert ledger.state[10] is Outcome.SENT and ledger.state[20] is Outcome.SENT
    assert ledger.state[30] is Outcome.FAILED and "after 5 attempts" in (ledger.detail[30] or "")
    assert ledger.state[40] is Outcome.FAILED and ledger.state[50] is Outcome.FAILED
    assert len(telegram.calls[30]) == 5
    first, second, third = telegram.calls[20]
    assert second - first >= 1 and third - second >= 2  # backoff 1 s, then 2 s
    assert telegram.received() == Counter(chat for chat in chats if chat not in (3, 4, 30, 40, 50))


def test_a_flood_wait_pauses_everyone_and_retries_without_using_an_attempt() -> None:
    chats = list(range(1, 101))
    ledger = MemoryLedger(chats)
    telegram = FakeTelegram({10: [RateLimited(3)] * 4 + [None]})

    summary = run_virtual(run_delivery(ledger, telegram, max_attempts=2))

    assert summary.sent == 100 and ledger.state[10] is Outcome.SENT
    assert len(telegram.rate_limited_at) == 4
    for answered_at, retry_after in telegram.rate_limited_at:
        assert not [at for at, _ in telegram.attempts if answered_at < at < answered_at + retry_after]
    assert_within_telegram_limits(telegram.attempts)


def test_a_slow_recipient_does_not_stall_the_broadcast() -> None:
    chats = list(range(1, 301))
    ledger, telegram = MemoryLedger(chats), FakeTelegram(latency={1: 60.0})

    summary = run_virtual(run_delivery(ledger, telegram))

    assert summary.sent == 300
    others_done = max(at for at, chat_id, _part in telegram.delivered if chat_id != 1)
    assert others_done < 300 / (0.95 * 30)


def test_a_crash_between_recipients_loses_no_one_and_repeats_no_one() -> None:
    chats = list(range(1, 201))
    ledger, telegram = CrashingLedger(chats, after=73), FakeTelegram()

    with pytest.raises(Crash):
        run_virtual(run_delivery(ledger, telegram))
    assert ledger.outcomes()[Outcome.SENT] == 73
    assert not ledger.sending()
    summary = run_virtual(run_delivery(ledger, telegram))

    assert telegram.received() == Counter(chats)  # every recipient exactly once
    assert summary == DeliverySummary(sent=127, skipped_already_done=73)
    assert ledger.outcomes() == {Outcome.SENT: 200}


@pytest.mark.parametrize(
    ("crash_after_delivery", "resend_unconfirmed", "crashed_chat_receives", "crashed_chat_outcome"),
    [
        (True, False, 1, Outcome.UNCONFIRMED),  # default: no duplicate, reported as unconfirmed
        (False, True, 1, Outcome.SENT),  # at-least-once: no loss
        (False, False, 0, Outcome.UNCONFIRMED),  # the price of the default: reported, not re-sent
        (True, True, 2, Outcome.SENT),  # the price of at-least-once: one duplicate
    ],
)
def test_a_crash_during_a_send_follows_the_chosen_policy(
    crash_after_delivery: bool,
    resend_unconfirmed: bool,
    crashed_chat_receives: int,
    crashed_chat_outcome: Outcome,
) -> None:
    chats = list(range(1, 101))
    ledger = MemoryLedger(chats)
    telegram = FakeTelegram(crash_on_call=41, crash_after_delivery=crash_after_delivery)

    with pytest.raises(Crash):
        run_virtual(run_delivery(ledger, telegram))
    crashed = 41  # one message per chat, in the ledger's order
    assert ledger.sending() == [(crashed, 0)]
    summary = run_virtual(run_delivery(ledger, telegram, resend_unconfirmed=resend_unconfirmed))

    received = telegram.received()
    assert received[crashed] == crashed_chat_receives
    assert all(received[chat] == 1 for chat in chats if chat != crashed)
    assert ledger.state[crashed] is crashed_chat_outcome
    assert all(ledger.finished(chat) for chat in chats)
    assert summary.skipped_already_done == 40
    assert summary.unconfirmed == (0 if resend_unconfirmed else 1)
    if not resend_unconfirmed:
        assert ledger.detail[crashed] == IN_DOUBT_DETAIL


@pytest.mark.parametrize("window", [1, 4, 10])
def test_a_crash_leaves_in_doubt_only_the_requests_in_flight(window: int) -> None:
    """48 chats wait for slots at once, yet only the window's requests (claimed after their slot) are in doubt."""
    chats = list(range(1, 201))
    ledger = MemoryLedger(chats)
    telegram = FakeTelegram(default_latency=0.5, crash_on_call=90)

    with pytest.raises(Crash):
        run_virtual(run_delivery(ledger, telegram, concurrency=48, window=asyncio.Semaphore(window)))
    in_doubt = ledger.sending()
    assert 1 <= len(in_doubt) <= window and ledger.in_flight <= window
    summary = run_virtual(run_delivery(ledger, telegram, concurrency=48))

    assert max(telegram.received().values()) == 1
    assert summary.unconfirmed == len(in_doubt)
    assert summary.skipped_already_done + summary.unconfirmed + summary.sent == len(chats)
    assert all(ledger.finished(chat) for chat in chats)


def test_parts_are_tracked_one_by_one_and_completed_after_a_crash() -> None:
    """Text, PDF and DOCX: a crash mid-recipient leaves the parts sent done, the one in flight in
    doubt, and the rest are sent on resume — to a recipient who got only some, the missing ones."""
    chats = list(range(1, 61))
    ledger = MemoryLedger(chats)
    telegram = FakeTelegram(default_latency=0.05, crash_on_call=100)

    with pytest.raises(Crash):
        run_virtual(run_delivery(ledger, telegram, parts=3))
    partial = {chat for chat in chats if 0 < sum(ledger.parts.get((chat, p)) is Outcome.SENT for p in range(3)) < 3}
    assert partial  # some recipients had the text but not yet the files
    doubtful = ledger.sending()
    summary = run_virtual(run_delivery(ledger, telegram, parts=3))

    received = telegram.received_parts()
    assert max(received.values()) == 1  # no part twice
    for chat in chats:
        for part in range(3):
            assert received[chat, part] == 1 or (chat, part) in doubtful
    assert {chat for chat, _part in doubtful} == {chat for chat in chats if ledger.state[chat] is Outcome.UNCONFIRMED}
    assert summary.unconfirmed == len({chat for chat, _part in doubtful})


def test_two_senders_racing_for_one_delivery_send_each_part_once() -> None:
    """Two runs of the same delivery (two processes) share the ledger: claims decide who sends."""
    chats = list(range(1, 121))
    ledger, telegram = MemoryLedger(chats), FakeTelegram(default_latency=0.02)

    async def both() -> tuple[DeliverySummary, DeliverySummary]:
        pacer = FloodPacer(clock=now)
        return await asyncio.gather(
            deliver(DELIVERY, ledger, telegram, pacer, parts=2),
            deliver(DELIVERY, ledger, telegram, pacer, parts=2),
        )

    first, second = run_virtual(both())

    assert telegram.received_parts() == Counter({(chat, part): 1 for chat in chats for part in range(2)})
    assert max(ledger.claims.values()) == 1
    assert first.sent + second.sent == len(chats)


def test_a_blocked_recipient_gets_no_further_parts() -> None:
    ledger = MemoryLedger([1, 2])
    telegram = FakeTelegram({1: [None, Blocked("Forbidden: bot was blocked by the user")]})

    summary = run_virtual(run_delivery(ledger, telegram, parts=3))

    assert summary == DeliverySummary(sent=1, blocked=1)
    assert telegram.received_parts() == Counter({(1, 0): 1, (2, 0): 1, (2, 1): 1, (2, 2): 1})
    assert ledger.parts[1, 2] is Outcome.BLOCKED


def test_a_read_timeout_is_unconfirmed_not_repeated() -> None:
    ledger = MemoryLedger([1, 2])
    telegram = FakeTelegram({1: [None, Unconfirmed("Telegram did not answer in time")]})

    summary = run_virtual(run_delivery(ledger, telegram, parts=3))

    assert summary == DeliverySummary(sent=1, unconfirmed=1)
    assert len(telegram.calls[1]) == 3 and ledger.parts[1, 1] is Outcome.UNCONFIRMED  # the rest still went


def test_a_cancelled_delivery_resumes_where_it_stopped() -> None:
    chats = list(range(1, 201))
    ledger, telegram = MemoryLedger(chats), FakeTelegram()

    async def cancel_after_two_seconds() -> None:
        task = asyncio.create_task(run_delivery(ledger, telegram))
        await asyncio.sleep(2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_virtual(cancel_after_two_seconds())
    summary = run_virtual(run_delivery(ledger, telegram))

    assert telegram.received() == Counter(chats)
    assert summary.unconfirmed == 0 and summary.skipped_already_done > 0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        run_virtual(run_delivery(MemoryLedger([1]), FakeTelegram(), max_attempts=0))
    with pytest.raises(ValueError):
        run_virtual(run_delivery(MemoryLedger([1]), FakeTelegram(), parts=0))


def test_the_scheduling_domain_does_not_import_telegram() -> None:
    package = Path(__file__).parents[1] / "bot" / "scheduling"
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [name for name in names if name.split(".")[0] == "telegram"], module.name
