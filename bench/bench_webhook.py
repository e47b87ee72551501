"""Webhook workers on PostgreSQL: answers/s and latency with 1, 2 and 4 worker processes.

    TEST_DATABASE_URL=postgresql+asyncpg://… python bench/bench_webhook.py [--participants 120] [--sessions 4] [--workers 1 2 4]

Each run: a fresh schema, `workshop-bot serve --workers N` (no scheduler) against the fake Bot API
in this process, and the load generator of tests/test_scale_out.py: every participant joins
(deep link, consent, name, community) and then sends ANSWERS answers, each posted as soon as the
previous one was answered (closed loop, as Telegram sequences a chat). Timed: the answers only.
Latency is the webhook round trip as Telegram would see it (processing included). The one-worker
run is the baseline of the same invocation (README: bench/README.md "Webhook workers").
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

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.container import build_services  # noqa: E402
from fake_bot_api import FakeBotAPI, FakeUser  # noqa: E402
from storage.models import Session  # noqa: E402
from tests.conftest import _reset_postgres  # noqa: E402
from tests.test_scale_out import ORGANISER, Deployment, Telegram, _agenda  # noqa: E402

ANSWERS = 5


async def _join(telegram: Telegram, user: FakeUser, code: str) -> None:
    replies = await telegram.say(user, lambda: user.send(f"/start {code}"), count=2)
    await telegram.say(user, lambda: user.press(replies[1], text="✅ I agree"))
    await telegram.say(user, lambda: user.send(f"Person {user.id}"))
    await telegram.say(user, lambda: user.send("/skip"))
    await telegram.say(user, lambda: user.press(user.last(), text="Development"), count=2)


async def _answer(telegram: Telegram, user: FakeUser, latencies: list[float]) -> None:
    for n in range(ANSWERS):
        started = time.perf_counter()
        await telegram.say(user, lambda n=n: user.send(f"answer {n} of {user.id}"))
        latencies.append(time.perf_counter() - started)


async def run(url: str, workers: int, participants: int, sessions: int, send_rate: float) -> dict[str, float]:
    await _reset_postgres(url)
    services = build_services(Settings(database_url=url, organiser_ids=frozenset({ORGANISER})))
    await services.db.upgrade()
    await services.organising.import_agenda_as_operator(_agenda(sessions), organiser_telegram_id=ORGANISER)
    async with services.db.session() as db:
        codes = list((await db.scalars(select(Session.join_code).order_by(Session.id))).all())
    await services.close()
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI(bot_username="workshop_bench_bot") as api:
            running = Deployment(api, url, Path(tmp))
            running.env["SEND_RATE"] = str(send_rate)
            running.start("workers", "serve", "--port", str(running.port), "--workers", str(workers))
            telegram = Telegram(api, running.port)
            try:
                async with httpx.AsyncClient() as http:
                    while True:
                        try:
                            if (await http.get(f"http://127.0.0.1:{running.port}/healthz")).text == "ok":
                                break
                        except httpx.TransportError:
                            pass
                        await asyncio.sleep(0.3)
                organiser = api.user(ORGANISER, "Olivia")
                for code in codes:
                    await telegram.say(organiser, lambda c=code: organiser.send(f"/open {c}"))
                users = [api.user(7000 + n, f"P{n}") for n in range(participants)]
                await asyncio.gather(*(_join(telegram, u, codes[n % sessions]) for n, u in enumerate(users)))
                latencies: list[float] = []
                started = time.perf_counter()
                await asyncio.gather(*(_answer(telegram, u, latencies) for u in users))
                elapsed = time.perf_counter() - started
            finally:
                await telegram.http.close()
                running.stop()
    latencies.sort()
    return {
        "answers_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=120)
    parser.add_argument("--sessions", type=int, default=4)
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
        f"{args.participants} participants in {args.sessions} sessions, {ANSWERS} answers each, SEND_RATE={args.send_rate:g}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| workers | answers/s | p50 ms | p99 ms |\n| --- | --- | --- | --- |")
    for workers in args.workers:
        result = await run(url, workers, args.participants, args.sessions, args.send_rate)
        print(f"| {workers} | {result['answers_per_s']:.0f} | {result['p50_ms']:.0f} | {result['p99_ms']:.0f} |", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
