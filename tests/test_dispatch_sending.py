"""Sending a delivery's content through PTB: error mapping, multi-part messages, files uploaded once."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.scheduling.delivery import Blocked, PermanentError, RateLimited, TransientError, Unconfirmed
from bot.scheduling.pacing import TelegramLimits
from bot.scheduling.slots import RequestSpacing
from telegram_edge.dispatch.sending import SEND_ONCE, BroadcastRateLimiter, ChatSender, send_error, surely_not_sent


def _caused(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "expected", "not_sent"),
    [
        (RetryAfter(3), RateLimited, True),
        (Forbidden("Forbidden: bot was blocked by the user"), Blocked, False),
        (BadRequest("Bad Request: chat not found"), PermanentError, False),
        (ChatMigrated(-100999), PermanentError, False),
        (NetworkError("httpx.RemoteProtocolError: Server disconnected"), TransientError, False),
        (_caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")), TransientError, True),
        (_caused(TimedOut("Pool timeout"), httpx.PoolTimeout("full")), TransientError, True),
        (_caused(TimedOut(), httpx.ReadTimeout("slow")), Unconfirmed, False),  # may have arrived: not repeated
    ],
)
def test_telegram_errors_map_to_delivery_outcomes(error: Exception, expected: type, not_sent: bool) -> None:
    mapped = send_error(error)  # type: ignore[arg-type]
    assert type(mapped) is expected
    assert surely_not_sent(error) is not_sent  # type: ignore[arg-type]
    if isinstance(error, RetryAfter):
        assert mapped.retry_after == 3.0  # type: ignore[attr-defined]


class FakeBot:
    """Records sends; `fail` maps (chat, part number) to an error raised once."""

    def __init__(self, fail: dict[tuple[int, int], Exception] | None = None) -> None:
        self.rate_limiter = BroadcastRateLimiter()
        self.sent: list[tuple[int, str, Any]] = []
        self.uploads = 0
        self.fail = dict(fail or {})
        self._counts: dict[int, int] = {}

    def _attempt(self, chat_id: int, kwargs: dict[str, Any]) -> None:
        assert kwargs.get("rate_limit_args") == SEND_ONCE  # PTB must not retry 429s itself
        number = self._counts.get(chat_id, 0)
        self._counts[chat_id] = number + 1
        error = self.fail.pop((chat_id, number), None)
        if error is not None:
            raise error

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        self._attempt(chat_id, kwargs)
        self.sent.append((chat_id, "text", text))

    async def send_document(self, chat_id: int, document: Any, filename: str | None = None, **kwargs: Any) -> Any:
        self._attempt(chat_id, kwargs)
        await asyncio.sleep(0.01)
        if isinstance(document, bytes):
            self.uploads += 1
            document = f"file-id-{filename}"
        self.sent.append((chat_id, "document", document))
        return SimpleNamespace(document=SimpleNamespace(file_id=document))


class Spacing:
    def __init__(self) -> None:
        self.waited: list[int] = []
        self.answers: list[int] = []

    async def wait(self, chat_id: int) -> None:
        self.waited.append(chat_id)

    def answered(self, chat_id: int) -> None:
        self.answers.append(chat_id)


CONTENT = {"messages": ["<b>Report</b> part 1", "part 2"], "documents": [], "uploads": [{"name": "report.pdf", "file_id": None}]}


def _sender(bot: FakeBot, spacing: Spacing, remembered: list[tuple[str, str]]) -> ChatSender:
    async def remember(name: str, file_id: str) -> None:
        remembered.append((name, file_id))

    return ChatSender(bot, CONTENT, spacing, files={"report.pdf": b"%PDF"}, remember_file=remember)  # type: ignore[arg-type]


async def test_each_call_sends_one_part_and_errors_are_mapped() -> None:
    bot, spacing, remembered = FakeBot({(7, 1): RetryAfter(2)}), Spacing(), []
    sender = _sender(bot, spacing, remembered)
    await sender(7, 0)
    with pytest.raises(RateLimited):
        await sender(7, 1)
    await sender(7, 1)  # deliver() retries the part after the wait
    await sender(7, 2)
    assert [kind for _chat, kind, _value in bot.sent] == ["text", "text", "document"]  # each part once
    assert spacing.waited == [7, 7, 7, 7]  # spaced right before every request
    assert spacing.answers == [7, 7, 7, 7]  # and told when each was answered, refused included


async def test_files_are_uploaded_once_then_sent_by_file_id() -> None:
    bot, spacing, remembered = FakeBot({(3, 0): RetryAfter(1)}), Spacing(), []
    sender = _sender(bot, spacing, remembered)
    with pytest.raises(RateLimited):
        await sender(3, 2)
    await asyncio.gather(*(sender(chat, 2) for chat in (1, 2, 3, 4)))
    documents = [value for _chat, kind, value in bot.sent if kind == "document"]
    assert bot.uploads == 1 and documents == ["file-id-report.pdf"] * 4
    assert remembered == [("report.pdf", "file-id-report.pdf")]


async def test_broadcast_rate_limiter_makes_one_attempt_when_asked() -> None:
    limiter = BroadcastRateLimiter(max_retries=3)
    calls = 0

    async def refused(*_args: Any, **_kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 1}, SEND_ONCE)
    assert calls == 1


async def test_requests_stay_a_gap_apart_after_a_pause() -> None:
    """Sends whose slots passed during a pause (all wake at once) still leave a full gap apart."""
    now = [10.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    spacing = RequestSpacing(TelegramLimits(margin=0.0), clock=lambda: now[0], sleep=sleep)
    sent = []
    for chat in (1, 2, 3, 1, 4):
        await spacing.wait(chat)
        sent.append((chat, now[0]))
    assert [round(at - 10.0, 4) for _chat, at in sent] == [0.0, 0.0333, 0.0667, 1.0, 1.0333]


async def test_a_chat_waits_a_full_gap_after_its_previous_answer() -> None:
    """A request that stalled on its way (answered 0.3 s after it left) pushes the chat's next one back."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    spacing = RequestSpacing(TelegramLimits(margin=0.0), clock=lambda: now[0], sleep=sleep)
    await spacing.wait(5)
    now[0] += 0.3  # the answer came late
    spacing.answered(5)
    await spacing.wait(5)
    assert now[0] == pytest.approx(1.3)
