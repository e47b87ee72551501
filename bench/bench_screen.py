"""Does a live room screen slow the answer path, and how fast does it show an answer?

    python bench/bench_screen.py                      # 500 participants, 2 rounds (~2 min)
    python bench/bench_screen.py --participants 200 --rounds 1 --spread 5

One process: the fake Bot API, the real bot (``OfflineBot``, SQLite in WAL mode) with its web
server on 127.0.0.1, and the load. Setup (not timed): ``bench_answers.seed_database`` makes an
open session and N onboarded participants. Each round runs two phases on the same bot,
interleaved so that the machine's noise hits both: **without** a screen, and **with** S room
screens connected to the Server-Sent Events stream (default 3). In each phase every participant
sends one answer, at a moment drawn uniformly over ``--spread`` seconds (an offered load of
N/spread answers per second, below the bot's capacity, as in a room). Measured: the answer's
latency (update available → the bot's "✓ Saved" reply arrives at the fake API); and, with
screens, the screen lag: from an answer's reply to the first screen event whose count of
contributions includes it, and from a lone answer sent on a quiet system to the first event
showing its text. The database must hold every answer. Results: bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_answers import ORGANISER_ID, seed_database  # noqa: E402
from bot.services.views import UserRef  # noqa: E402
from fake_bot_api import FakeBotAPI  # noqa: E402
from telegram_edge.offline import OfflineBot  # noqa: E402

USERS: dict[int, Any] = {}
COUNT = re.compile(r'id="contributions">(\d+)<')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Screen:
    """One projector: reads the SSE stream and timestamps every update with its count."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.updates: list[tuple[float, int, str]] = []
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=None) as client, client.stream("GET", self.url) as response:
            data: list[str] = []
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data.append(line[6:])
                elif not line and data:
                    html = "\n".join(data)
                    found = COUNT.search(html)
                    if found:
                        self.updates.append((time.monotonic(), int(found.group(1)), html))
                    data = []

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def answer_phase(api: FakeBotAPI, ids: list[int], spread: float, tag: str) -> tuple[list[float], list[float]]:
    """Every participant answers once within `spread` seconds: (latencies, reply times)."""
    rng = random.Random(tag)
    users = {i: USERS.get(i) or USERS.setdefault(i, api.user(i, f"P{i}")) for i in ids}
    latencies: list[float] = []
    acked: list[float] = []

    async def one(telegram_id: int) -> None:
        await asyncio.sleep(rng.uniform(0, spread))
        user = users[telegram_id]
        sent = time.monotonic()
        replies = await user.reply_after(lambda: user.send(f"Point {tag} from {telegram_id}: funding cycles are too short."), timeout=60)
        assert "Saved" in replies[0].plain_text, replies[0].plain_text
        acked.append(time.monotonic())
        latencies.append(acked[-1] - sent)

    await asyncio.gather(*(one(i) for i in ids))
    return latencies, sorted(acked)


def lags(acked: list[float], base_count: int, updates: list[tuple[float, int, str]]) -> list[float]:
    """For the k-th answer acknowledged: the first update showing at least base+k contributions."""
    result = []
    for k, at in enumerate(acked, start=1):
        shown = next((t for t, count, _html in updates if count >= base_count + k and t >= at), None)
        if shown is None:
            shown = next((t for t, count, _html in updates if count >= base_count + k), None)
        if shown is not None:
            result.append(max(0.0, shown - at))
    return result


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


async def main_async(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-screen-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    ids = [700_000 + i for i in range(args.participants)]
    code = await seed_database(url, ids)
    port = _free_port()
    results: dict[str, list[float]] = {"without": [], "with": [], "lag": [], "quiet": [], "refresh": []}
    async with FakeBotAPI(bot_username="bench_bot") as api:
        # The sending budget off: 33 answers/s offered is above it, and queueing for it would hide
        # what the screens cost (bench_answers.py measures the same way).
        bot = OfflineBot(api, url, organiser_ids=[ORGANISER_ID], public_url=f"http://127.0.0.1:{port}", web_port=port, send_rate=0)
        await bot.start()
        try:
            link = await bot.services.screens.issue(UserRef(ORGANISER_ID, "Olivia"), code)
            stream = f"http://127.0.0.1:{port}/screen/{link.token}/live"
            total = 0
            for round_number in range(args.rounds):
                latencies, _ = await answer_phase(api, ids, args.spread, f"a{round_number}")
                results["without"] += latencies
                total += len(ids)
                screens = [Screen(stream) for _ in range(args.screens)]
                for screen in screens:
                    screen.start()
                await asyncio.sleep(1.0)
                latencies, acked = await answer_phase(api, ids, args.spread, f"b{round_number}")
                results["with"] += latencies
                await asyncio.sleep(2.0)
                for screen in screens:
                    results["lag"] += lags(acked, total, screen.updates)
                total += len(ids)
                # A lone answer on a quiet system: from send to the event showing its text.
                probe = USERS[ids[0]]
                text = f"Quiet probe {round_number}: early warning arrives late."
                before = len(screens[0].updates)
                sent = time.monotonic()
                await probe.reply_after(lambda text=text, probe=probe: probe.send(text), timeout=30)
                deadline = sent + 5
                while time.monotonic() < deadline and not any(text in html for _t, _c, html in screens[0].updates[before:]):
                    await asyncio.sleep(0.01)
                shown = next((t for t, _c, html in screens[0].updates[before:] if text in html), None)
                if shown is not None:
                    results["quiet"].append(shown - sent)
                total += 1
                for screen in screens:
                    await screen.stop()
            # What one screen refresh costs the bot's event loop (fingerprint, snapshot, render),
            # with every answer of the run stored: paid at most once per second per session.
            from web.screen_pages import _live_html

            costs = []
            for _ in range(20):
                started = time.perf_counter()
                await bot.services.screens.fingerprint(link.session_id)
                snapshot = await bot.services.screens.snapshot(link.session_id)
                assert snapshot is not None
                _live_html(snapshot)
                costs.append(time.perf_counter() - started)
            results["refresh"] = costs
            async with bot.services.db.session() as db:
                from sqlalchemy import func, select

                from storage.models import Contribution

                stored = int(await db.scalar(select(func.count(Contribution.id))) or 0)
        finally:
            await bot.stop()
    expected = total
    print(
        f"participants {args.participants}, {args.rounds} round(s), offered load {args.participants / args.spread:.0f} answers/s, {args.screens} screens"
    )
    print("| phase | answers | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("without", "with"):
        values = results[name]
        print(
            f"| answers {name} screens | {len(values)} | {pct(values, 50):.0f} | {pct(values, 95):.0f} | {pct(values, 99):.0f} | {max(values) * 1000:.0f} |"
        )
    if results["lag"]:
        values = results["lag"]
        print(
            f"| screen lag under load (reply → screen) | {len(values)} | {pct(values, 50):.0f} | {pct(values, 95):.0f} | {pct(values, 99):.0f} | {max(values) * 1000:.0f} |"
        )
    if results["quiet"]:
        print(
            f"| quiet answer → on screen | {len(results['quiet'])} | {statistics.median(results['quiet']) * 1000:.0f} | | | {max(results['quiet']) * 1000:.0f} |"
        )
    print(
        f"one screen refresh (fingerprint + snapshot + render) with {stored} contributions: median {statistics.median(results['refresh']) * 1000:.1f} ms"
    )
    print(f"stored {stored}/{expected} contributions")
    return 0 if stored == expected else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--spread", type=float, default=15.0, help="seconds over which each phase's answers are sent")
    parser.add_argument("--screens", type=int, default=3)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
