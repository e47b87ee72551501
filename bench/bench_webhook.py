"""Webhook workers on PostgreSQL: answers/s, webhook latency and a broadcast's pace, with 1, 2 and 4 workers.

    TEST_DATABASE_URL=postgresql+asyncpg://… python bench/bench_webhook.py [--participants 10000] [--sessions 100] [--workers 1 2 4]

Each run, on a fresh schema: the agenda's sessions opened, every participant onboarded
(bench/seeding.py: one person per session through the real use cases, the rest copies of that
person's rows), then `workshop-bot serve --workers N` and one `workshop-bot scheduler` against
the fake Bot API in this process. Timed: every participant sends ANSWERS answers to the
webhook while an event-wide reminder, made due as the answers start, goes to all of them.

The load generator plays Telegram: each chat's updates are posted one after the other (the next
once the previous got its 200, which the bot answers only after processing the update and
sending its reply), and at most CONNECTIONS requests are in flight at once, Telegram's default
`max_connections` for a webhook. Latency is the webhook round trip Telegram sees, from the
moment a connection is free for the request; time spent queued behind other chats' updates is
Telegram's queue, not the bot's. The broadcast's pace is its recipients over the time between
its first and last message at the fake, as a fraction of Telegram's 30 messages a second.

The sending budget is off by default (`--send-rate 0`): the workers' replies are not paced, so
answers/s is what the workers can do, while the broadcast keeps its own pacer (29.4/s). The
one-worker run is the baseline of the same invocation (bench/README.md, "Webhook workers").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from seeding import onboard, username  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.container import build_services  # noqa: E402
from bot.services.views import UserRef  # noqa: E402
from fake_bot_api import FakeBotAPI, FakeUser  # noqa: E402
from storage.models import Contribution, Session, SessionStatus  # noqa: E402
from tests.conftest import _reset_postgres  # noqa: E402
from tests.test_scale_out import ORGANISER, SECRET, Deployment, _agenda, _free_port, remind_everyone_now  # noqa: E402

CONNECTIONS = 40  # Telegram's default max_connections for a webhook
FIRST_ID = 200_000
MARKER = "Plenary moves to Hall B"


class Telegram:
    """Posts updates to the webhook as Telegram does: per chat in order, CONNECTIONS at once."""

    def __init__(self, api: FakeBotAPI, port: int) -> None:
        self.api = api
        self.url = f"http://127.0.0.1:{port}/telegram/webhook"
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300), connector=aiohttp.TCPConnector(limit=CONNECTIONS))
        self.gate = asyncio.Semaphore(CONNECTIONS)
        self.latencies: list[float] = []
        self.retries = 0

    async def post(self, update_id: int) -> None:
        payload = self.api.update_payload(update_id)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with self.gate:
            started = time.perf_counter()
            for _attempt in range(50):  # Telegram retries until it gets a 2xx
                try:
                    async with self.http.post(self.url, json=payload, headers=headers) as answer:
                        if answer.status == 200:
                            self.latencies.append(time.perf_counter() - started)
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                self.retries += 1
                await asyncio.sleep(0.2)
        raise RuntimeError(f"update {update_id} was never accepted")


async def _answer(telegram: Telegram, user: FakeUser, answers: int) -> None:
    for n in range(answers):
        user.send(f"answer {n} of {user.id}")
        await telegram.post(telegram.api.last_update_id)  # the update just queued (no await in between)


async def _prepare(url: str, participants: int, sessions: int) -> None:
    """A fresh schema: the sessions open, everyone onboarded and at the first prompt."""
    await _reset_postgres(url)
    services = build_services(Settings(database_url=url, organiser_ids=frozenset({ORGANISER})))
    try:
        await services.db.upgrade()
        await services.organising.import_agenda_as_operator(_agenda(sessions), organiser_telegram_id=ORGANISER)
        async with services.db.session() as db:
            codes = list((await db.scalars(select(Session.join_code).order_by(Session.id))).all())
        organiser = UserRef(ORGANISER, "Olivia")
        ids = [FIRST_ID + n for n in range(participants)]
        for index, code in enumerate(codes):
            await services.organising.set_status(organiser, code, SessionStatus.OPEN)
            await onboard(services, code, ids[index::sessions])
    finally:
        await services.close()


async def _make_reminder_due(url: str) -> None:
    """An event-wide reminder, due now; the leader hears of it at once (NOTIFY), as from a worker."""
    services = build_services(Settings(database_url=url, organiser_ids=frozenset({ORGANISER})))
    try:
        await remind_everyone_now(services, MARKER)
        await asyncio.sleep(0.5)  # the NOTIFY goes out after the commit
    finally:
        await services.close()


async def _stored(url: str) -> int:
    services = build_services(Settings(database_url=url))
    try:
        async with services.db.session() as db:
            return int(await db.scalar(select(func.count()).select_from(Contribution)) or 0)
    finally:
        await services.close()


async def _healthy(port: int, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start")
            await asyncio.sleep(0.3)


async def run(url: str, workers: int, participants: int, sessions: int, answers: int, send_rate: float) -> dict[str, float]:
    began = time.monotonic()
    await _prepare(url, participants, sessions)
    prepared = time.monotonic() - began
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI(bot_username="workshop_bench_bot") as api:
            running = Deployment(api, url, Path(tmp))
            running.env["SEND_RATE"] = str(send_rate)
            scheduler_port = _free_port()
            running.start("workers", "serve", "--port", str(running.port), "--workers", str(workers))
            running.start("scheduler", "scheduler", "--port", str(scheduler_port))
            telegram = Telegram(api, running.port)
            try:
                await _healthy(running.port, "the workers")
                await _healthy(scheduler_port, "the scheduler")
                users = [api.user(FIRST_ID + n, f"P{n}", username=username(FIRST_ID + n)) for n in range(participants)]
                await _make_reminder_due(url)
                started = time.perf_counter()
                await asyncio.gather(*(_answer(telegram, user, answers) for user in users))
                elapsed = time.perf_counter() - started
                deadline = time.monotonic() + participants / 20 + 120
                while _broadcast_times(api, participants)[1] < participants and time.monotonic() < deadline:
                    await asyncio.sleep(1)
                times, delivered = _broadcast_times(api, participants)
            finally:
                await telegram.http.close()
                running.stop()
    stored = await _stored(url)
    latencies = sorted(telegram.latencies)
    pace = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    return {
        "prepare_s": prepared,
        "answers_per_s": participants * answers / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "stored": stored,
        "delivered": delivered,
        "delivery_fraction": pace / 30,
        "retries": telegram.retries,
        "elapsed_s": elapsed,
    }


def _broadcast_times(api: FakeBotAPI, participants: int) -> tuple[list[float], int]:
    """Arrival times of the reminder's messages at the fake, and to how many people it went."""
    times = sorted(
        call.time
        for call in api.calls
        if call.method == "sendMessage" and call.status == 200 and MARKER in str(call.params.get("text", ""))
    )
    return times, len(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--answers", type=int, default=2, help="answers per participant (default 2)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--send-rate",
        type=float,
        default=0,
        help="the deployment's sending budget (SEND_RATE); 0, the default, measures the workers themselves",
    )
    args = parser.parse_args()
    url = os.environ["TEST_DATABASE_URL"]
    print(
        f"{args.participants:,} participants in {args.sessions} sessions, {args.answers} answers each, "
        f"{CONNECTIONS} connections, SEND_RATE={args.send_rate:g}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(
        "| workers | answers/s | p50 ms | p99 ms | answers stored | reminder delivered | delivery rate ÷ 30/s | webhook retries |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        flush=True,
    )
    for workers in args.workers:
        r = await run(url, workers, args.participants, args.sessions, args.answers, args.send_rate)
        print(
            f"| {workers} | {r['answers_per_s']:.0f} | {r['p50_ms']:,.0f} | {r['p99_ms']:,.0f} | {r['stored']:,}/{args.participants * args.answers:,} "
            f"| {r['delivered']:,}/{args.participants:,} | {r['delivery_fraction']:.3f} | {r['retries']} |",
            flush=True,
        )
        print(f"  (setup {r['prepare_s']:.0f} s, answers {r['elapsed_s']:.0f} s; load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
