"""A report broadcast survives `kill -9`: the bot as a subprocess, SIGKILLed twice mid-delivery.

300 participants get the approved report in three parts (text, PDF, DOCX) from `workshop-bot run`
(the production entry point) against the fake Bot API in this process, which keeps what Telegram
received across the kills and refuses, with 429, anything past the flood limits: 1 message per
chat per second (real) and an overall limit scaled from 30 to 90 messages/s, the bot's pacer scaled
alike, so that 900 messages take 10 s instead of 30. The kills come when a seeded random number of
report messages has arrived, so they land with requests in flight; the bot restarts at once.

Afterwards: every recipient has every part exactly once, or is listed in the one summary as
unconfirmed — at most the in-flight window (telegram_edge.dispatch.runner.IN_FLIGHT) per kill — and no part
reached anyone twice; 0 flood errors; what the database says was sent did arrive.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.bench_delivery import ORGANISER_ID, schedule, seed
from fake_bot_api import FakeBotAPI, FloodLimits
from storage.db import Database
from storage.models import DeliveryPart, DeliveryRecipient, PartState, RecipientStatus
from telegram_edge.dispatch.runner import IN_FLIGHT
from tests.crashkit import BotProcess

ROOT = Path(__file__).resolve().parent.parent
RECIPIENTS = 300
FIRST = 200_000
RATE = 90  # messages/s overall, in the fake's limit and the bot's pacer alike
KILLS = 2
SEED = int(os.environ.get("CRASH_SEED", "20261202"))
# The production entry point, with the pacer's overall rate scaled like the fake's limit.
BOOT = (
    "import sys, telegram_edge.dispatch.runner as runner; from bot.scheduling.pacing import TelegramLimits; "
    f"runner.DEFAULT_LIMITS = TelegramLimits(per_second={RATE}); "
    "from telegram_edge.cli import main; sys.exit(main(['run']))"
)


def _report_sends(api: FakeBotAPI) -> int:
    """Report messages that reached a participant so far."""
    return sum(
        1 for c in api.calls if c.status == 200 and c.method in ("sendMessage", "sendDocument") and c.params.get("chat_id", 0) >= FIRST
    )


def _why(api: FakeBotAPI, flood: object) -> str:
    """What a 429 ran into: the chat's previous message, and the messages in the second before."""
    at, chat = flood.time, flood.params.get("chat_id")  # type: ignore[attr-defined]
    sent = [c for c in api.calls if c.status == 200 and c.method.startswith("send") and c.time < at]
    previous = max((c.time for c in sent if c.params.get("chat_id") == chat), default=None)
    since = f"{at - previous:.2f} s after its last" if previous is not None else "its first"
    return f"chat {chat} at {at:.2f}: {since}, {sum(1 for c in sent if c.time > at - 1)} in the second before"


def _part_of(message: object) -> str:
    document = getattr(message, "document", None)
    return document[0].rsplit(".", 1)[-1] if document else "text"


async def test_a_broadcast_killed_twice_reaches_everyone_once_or_lists_them(database_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    recipients = list(range(FIRST, FIRST + RECIPIENTS))
    limits = FloodLimits(overall_per_second=RATE, per_chat_per_second=1, per_group_per_minute=20)
    async with FakeBotAPI(bot_username="crash_delivery_bot", limits=limits) as api:
        api.user(ORGANISER_ID, "Olivia")
        for telegram_id in recipients:
            api.user(telegram_id, f"P{telegram_id}")
        await seed(database_url, recipients)  # the meeting, its participants, the approved report
        # Due while the bot starts: it fires at start-up, as an item missed by less than its grace.
        await schedule(database_url, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2))
        # The deployment's budget a tenth under the fake's limit: the broadcast's own pacer keeps
        # the 2 % margin; the budget keeps the bot's other messages from pushing it over.
        budget = {"SEND_RATE": str(RATE * 0.9)}
        bot = BotProcess(api, database_url, tmp_path, organiser_ids=(ORGANISER_ID,), argv=("-c", BOOT), env=budget)
        kills = sorted(rng.sample(range(60, 3 * RECIPIENTS - 150), KILLS))
        # The fake Telegram stamps arrival times: a garbage collection in this process would bunch
        # them and count as the bot's flood error (bench/bench_delivery.py does the same).
        gc.collect()
        gc.freeze()
        gc.disable()
        began = time.monotonic()
        try:
            await bot.start()
            for threshold in kills:
                await api.wait_for(lambda t=threshold: _report_sends(api) >= t, timeout=40, what=f"{threshold} report messages")
                await bot.kill()
                await bot.start()
            summaries = lambda: [m for m in api.messages_to(ORGANISER_ID) if "Delivery summary" in m.plain_text]  # noqa: E731
            await api.wait_for(lambda: bool(summaries()), timeout=40, what="the delivery summary")
            elapsed = time.monotonic() - began
            await asyncio.sleep(1.0)  # a second summary, were there one, would come now
            await bot.stop()
        finally:
            gc.enable()
            gc.unfreeze()
            await bot.kill()
        summary = [m.plain_text for m in summaries()]

        database = Database(database_url)
        try:
            async with database.session() as db:
                status = dict((await db.execute(select(DeliveryRecipient.chat_id, DeliveryRecipient.status))).all())
                parts = {
                    (chat, part): state
                    for chat, part, state in await db.execute(select(DeliveryPart.chat_id, DeliveryPart.part, DeliveryPart.state))
                }
        finally:
            await database.dispose()

    floods = [c for c in api.calls if c.status == 429]
    assert not floods, f"{len(floods)} flood errors: " + "; ".join(_why(api, flood) for flood in floods[:5]) + f"; kills after {kills}"
    assert len(summary) == 1, summary  # one summary, one page (few are unconfirmed)
    unconfirmed = {chat for chat, state in status.items() if state is RecipientStatus.UNCONFIRMED}
    assert set(status.values()) <= {RecipientStatus.SENT, RecipientStatus.UNCONFIRMED}, bot.log()
    assert len(unconfirmed) <= KILLS * IN_FLIGHT, f"{len(unconfirmed)} unconfirmed"
    assert f"✅ Sent: {RECIPIENTS - len(unconfirmed)} ·" in summary[0]
    listed = {line.split(" — ")[0][2:] for line in summary[0].splitlines() if line.startswith("• ")}
    assert listed == {f"Participant {chat}" for chat in unconfirmed}  # every one of them, by name
    if unconfirmed:
        assert "Resend to unconfirmed" in str(api.messages_to(ORGANISER_ID)[-1].buttons())
    for chat in recipients:
        got = [_part_of(m) for m in api.messages_to(chat) if not m.edited]
        assert max(got.count(kind) for kind in ("text", "pdf", "docx")) == 1, f"{chat} got {got}"  # nothing twice
        if chat not in unconfirmed:
            assert sorted(got) == ["docx", "pdf", "text"], f"{chat} got {got} but counts as sent"
        for part, kind in enumerate(("text", "pdf", "docx")):
            if parts[chat, part] is PartState.SENT:
                assert kind in got, f"{chat}: part {kind} recorded as sent never arrived"
            else:
                assert parts[chat, part] is PartState.UNCONFIRMED and chat in unconfirmed
    print(f"seed {SEED}: kills after {kills} report messages; {len(unconfirmed)} unconfirmed of {RECIPIENTS}; {elapsed:.1f} s")
