"""Benchmark of answer throughput and latency, next to a bare PTB echo bot on the same harness.

    python bench/bench_answers.py                       # 50, 500 and 2,000 participants, 3 runs each
    python bench/bench_answers.py --quick               # 50 and 500 participants, 1 run, 3 answers
    python bench/bench_answers.py --sizes 500 --answers 3 --think-ms 10000     # at an offered load
    python bench/bench_answers.py --sizes 500 --repeat 1 --bots bot --profile prof.txt

Results and their reading: bench/README.md, "Answers: throughput and latency".

Two processes per run, so that the bot's CPU is its own (the machine has 2 cores):

* this process: the fake Telegram Bot API (``fake_bot_api.FakeBotAPI`` over aiohttp on
  127.0.0.1) and the load generator. Simulated participants put their messages in the update
  queue (``FakeUser.send``) and the fake server timestamps, on arrival, the bot's
  ``sendMessage`` to that chat;
* a child process (multiprocessing, spawn): the bot under test, long-polling the fake API.

Bots under test, all measured in every run on the same harness with the same participants:

* ``bot``: the real application (``telegram_edge.offline.OfflineBot`` → ``telegram_edge.app.build_application``:
  handlers, services, rate limiter, SQLite in WAL mode on a fresh file);
* ``echo``: a bare PTB ``Application`` whose only handler sends the text back with
  ``send_message``, with the same ``PerUserUpdateProcessor(256)`` and request pool as the bot
  (the like-for-like framework ceiling);
* ``echo-seq``: the same echo bot with PTB's defaults (one update at a time).

The echo bots use the bot's own HTTP client (``telegram_edge.aiohttp_request.AiohttpRequest``) by default;
``--echo-request httpx`` gives them PTB's HTTPXRequest instead.

Setup (not timed): the organiser imports the demo agenda (one session, two prompts) and opens
the session through the services; one participant goes through the real join → consent →
name → organisation → community flow, and its rows (participant, chat state, progress, role)
are cloned for the other participants, so each of them is onboarded and answering prompt 1
exactly as after the Telegram flow. A few extra warm-up participants then send two answers
each through the running bot (not timed; they warm connection pools and statement caches).

Timed phase: every participant sends ``K`` answers as fast as acknowledgments come back
(closed loop: the next answer goes after the bot's reply to the previous one), all
participants at once. Latency: from the moment the update is available to getUpdates to
the arrival of the bot's reply at the fake server. Throughput: answers acknowledged / wall
time of the timed phase. Afterwards the database must hold exactly the expected number of
contributions. Peak RSS is the bot process's high-water mark (VmHWM); bot CPU is the child's
user+system time during the timed phase (psutil), harness CPU is this process's, and "others"
is what the rest of the machine used meanwhile (/proc/stat), since the machine is shared;
``--wait-quiet`` waits for it to calm down before each run. The harness's garbage collector is
off while it timestamps. Every figure in the table is the median over ``--repeat`` runs, each
on a fresh database; bots are interleaved within each repetition.

Without pauses (``--think-ms 0``) the loop measures capacity, and latency is about
participants ÷ throughput (Little's law); with ``--think-ms`` participants pause between a
reply and their next answer, so N participants offer about N/think answers per second and the
latency is the one people would see at that load.

``--profile`` adds one run of the bot under ``bench/cpu_profile.py`` (CPU-time sampling) and
prints where its CPU goes, by layer and by code path.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import multiprocessing as mp
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

TOKEN = "123456:BENCH-TOKEN-0123456789abcdefghij"
ORGANISER_ID = 1000
FIRST_PARTICIPANT_ID = 100_000
WARMUP_PARTICIPANTS = 20
WARMUP_ANSWERS = 2
ACK_TIMEOUT = 300.0  # a lost reply is reported, not waited for forever
VERBOSE = False
TIMELINE_PATH = os.environ.get("BENCH_TIMELINE")  # diagnostics: (send time, latency) of every answer
ECHO_REQUEST = "aiohttp"
POSTGRES_URL: str | None = None  # --postgres: the bot stores in this database (schema reset per run)
KINDS = ("bot", "echo", "echo-seq")
ANSWER_TEXTS = [
    "Donors still fund in silos; each agency reports to its own capital.",
    "Security gains are undone when development money arrives two years late.",
    "Different time horizons: missions think in months, development in decades.",
    "Humanitarian principles make joint planning with military actors difficult.",
    "Local communities are consulted too late, if at all.",
    "Short funding cycles force short-term thinking & planning.",
]


# --------------------------------------------------------------------------------------------
# Setup: a fresh database with an open session and N onboarded participants


async def seed_database(database_url: str, participant_ids: list[int]) -> str:
    """Agenda and open session; every participant onboarded (bench/seeding.py). Returns the join code."""
    from seeding import onboard

    from bot.config import Settings
    from bot.container import build_services
    from bot.services.views import UserRef
    from storage.models import SessionStatus
    from telegram_edge.demo_script import AGENDA

    services = build_services(Settings(database_url=database_url, organiser_ids=frozenset({ORGANISER_ID})))
    try:
        await services.db.upgrade()
        organiser = UserRef(ORGANISER_ID, "Olivia", username="olivia_org")
        created = await services.organising.import_agenda(organiser, AGENDA)
        code = created.event.sessions[0].join_code
        await services.organising.set_status(organiser, code, SessionStatus.OPEN)
        await onboard(services, code, participant_ids)
        return code
    finally:
        await services.close()


async def count_contributions(database_url: str) -> int:
    from sqlalchemy import text

    from storage.db import Database

    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM contributions")) or 0)
    finally:
        await db.dispose()


# --------------------------------------------------------------------------------------------
# The bot process


@dataclass
class BotConfig:
    kind: str
    base_url: str
    file_url: str
    database_url: str
    profile_path: str | None = None
    verbose: bool = False
    echo_request: str = "aiohttp"


def bot_process(conn: Any, config: BotConfig) -> None:
    """Child process entry point: start the bot, report ready, run until told to stop."""
    # Errors are counted and reported by the parent; tracebacks only with --verbose.
    logging.basicConfig(level=logging.WARNING if config.verbose else logging.CRITICAL)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(_run_bot(conn, config))
    except BaseException as exc:  # report, so the parent does not wait forever
        conn.send(("failed", repr(exc)))
        raise


class GcPauses:
    """Collections of the oldest generation and their durations (long pauses show up in p99)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


async def _run_bot(conn: Any, config: BotConfig) -> None:
    loop = asyncio.get_running_loop()
    errors: list[str] = []
    if config.kind == "bot":
        from types import SimpleNamespace

        from telegram_edge.offline import OfflineBot

        fake = SimpleNamespace(token=TOKEN, base_url=config.base_url, base_file_url=config.file_url)
        # The sending budget off (SEND_RATE=0): the bot's own ceiling, like the echo bots', which
        # have none; in production the budget caps a deployment at 29.4 messages a second.
        offline = OfflineBot(fake, config.database_url, organiser_ids=[ORGANISER_ID], send_rate=0)  # type: ignore[arg-type]
        await offline.start()
        stop = offline.stop
        error_list: Any = offline.errors
    else:
        application = await _start_echo(config)
        error_list = application.bot_data.setdefault("errors", [])

        async def stop() -> None:
            assert application.updater is not None
            await application.updater.stop()
            await application.stop()
            await application.shutdown()

    conn.send(("ready", os.getpid()))
    sampler = None
    gc_pauses: GcPauses | None = None
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "go":
            gc_pauses = GcPauses()
        if command == "go" and config.profile_path:
            from cpu_profile import CpuSampler

            sampler = CpuSampler()
            sampler.start()
        elif command == "stop":
            break
    if sampler is not None:
        sampler.stop()
        sampler.write(config.profile_path)  # type: ignore[arg-type]
    await stop()
    errors = [repr(error) for error in error_list]
    pauses = gc_pauses.pauses if gc_pauses is not None else []
    conn.send(
        (
            "stopped",
            {
                "maxrss_kb": _peak_rss_kb(),
                "errors": errors[:5],
                "error_count": len(errors),
                "gc_full": len(pauses),
                "gc_max_ms": max(pauses, default=0.0) * 1000,
                "objects": len(gc.get_objects()),
            },
        )
    )


def _peak_rss_kb() -> int:
    """This process's peak RSS. Not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a
    spawned child would report the parent's size if that was larger; VmHWM belongs to the
    process's own address space."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _start_echo(config: BotConfig) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters
    from telegram.request import HTTPXRequest

    from telegram_edge.update_processor import PerUserUpdateProcessor

    builder = ApplicationBuilder().token(TOKEN).base_url(config.base_url).base_file_url(config.file_url)
    # The same request pools as telegram_edge.app.build_application; "echo" also has the same
    # PerUserUpdateProcessor, "echo-seq" keeps PTB's default (one update at a time).
    if config.echo_request == "aiohttp":
        from telegram_edge.aiohttp_request import AiohttpRequest

        builder = builder.request(AiohttpRequest(64, read_timeout=15, write_timeout=15))
        builder = builder.get_updates_request(AiohttpRequest(2, read_timeout=40))
    else:
        builder = builder.request(HTTPXRequest(connection_pool_size=64, read_timeout=15, write_timeout=15))
        builder = builder.get_updates_request(HTTPXRequest(connection_pool_size=2, read_timeout=40))
    if config.kind == "echo":
        builder = builder.concurrent_updates(PerUserUpdateProcessor(256))
    application = builder.build()

    async def echo(update: Update, context: Any) -> None:
        await context.bot.send_message(update.effective_chat.id, update.effective_message.text)

    async def record(_update: object, context: Any) -> None:
        application.bot_data.setdefault("errors", []).append(context.error)

    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_error_handler(record)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    return application


# --------------------------------------------------------------------------------------------
# The harness process: fake API and load generator


def bench_api() -> Any:
    """The fake Bot API with one hook: the arrival of a ``sendMessage`` to a chat resolves that
    chat's waiting participant with (arrival time, text sent). Built on first use so that the
    bot process, which imports this module too (spawn), does not load aiohttp."""
    from fake_bot_api import FakeBotAPI

    class BenchAPI(FakeBotAPI):
        def __init__(self) -> None:
            super().__init__(token=TOKEN)
            self.waiting: dict[int, asyncio.Future[tuple[float, str]]] = {}
            self.delivered: dict[int, float] = {}

        async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
            updates = await super()._get_updates(params)
            if TIMELINE_PATH:  # diagnostics: when each chat's update was handed to the bot
                now = time.monotonic()
                for update in updates:
                    chat = (update.get("message") or {}).get("chat", {}).get("id")
                    self.delivered.setdefault(chat, now)
            return updates

        def _record_call(self, method: str, params: dict[str, Any], arrived: float, status: int) -> None:
            super()._record_call(method, params, arrived, status)
            if method == "sendMessage":
                future = self.waiting.pop(params.get("chat_id"), None)  # type: ignore[arg-type]
                if future is not None and not future.done():
                    future.set_result((arrived, str(params.get("text")) if status == 200 else f"HTTP {status}"))

    return BenchAPI()


@dataclass
class RunResult:
    kind: str
    participants: int
    answers_each: int
    answers: int  # acknowledged with the expected reply
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    peak_rss_mb: float
    bot_cpu_ms_per_answer: float
    bot_cpu_cores: float
    harness_cpu_cores: float
    stored: int | None
    expected: int | None
    errors: int  # errors the bot's error handler saw
    wrong_replies: int = 0  # acknowledged with something else (e.g. "something went wrong")
    lost: int = 0  # never acknowledged within ACK_TIMEOUT
    load_before: float = 0.0
    other_cpu_cores: float = 0.0  # CPU used by processes other than the bot and the harness
    gc_full: int = 0  # full (generation 2) collections in the bot during the timed phase
    gc_max_ms: float = 0.0  # the longest of them
    gc_objects: int = 0  # objects the collector tracks in the bot process at the end
    calibration_ms: float = 0.0  # calibrate() just before the run
    error_samples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.errors or self.wrong_replies or self.lost) and self.stored == self.expected


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float, int, float]] = field(default_factory=list)  # (sent, latency, user, delivery delay)
    wrong: list[str] = field(default_factory=list)
    lost: int = 0
    last_ack: float = 0.0


async def participant_loop(api: Any, user: Any, answers: int, kind: str, tally: Tally, think: float = 0.0) -> None:
    """Closed loop: each answer goes once the bot has replied to the previous one, after a
    "thinking" pause drawn uniformly from [think/2, 3*think/2] if ``think`` is set (the first one
    from [0, think], so that participants do not start in lockstep): N participants then offer
    about N/think answers per second throughout the run."""
    loop = asyncio.get_running_loop()
    rng = random.Random(user.id)
    if think:
        await asyncio.sleep(rng.uniform(0, think))
    for k in range(answers):
        if think and k:
            await asyncio.sleep(rng.uniform(think / 2, think * 3 / 2))
        text = f"{ANSWER_TEXTS[(user.id + k) % len(ANSWER_TEXTS)]} (#{k + 1} from {user.id})"
        future: asyncio.Future[tuple[float, str]] = loop.create_future()
        api.waiting[user.id] = future
        api.delivered.pop(user.id, None)
        sent = time.monotonic()
        user.send(text)
        try:
            acked, reply = await asyncio.wait_for(future, ACK_TIMEOUT)
        except TimeoutError:
            api.waiting.pop(user.id, None)
            tally.lost += 1
            continue
        tally.last_ack = max(tally.last_ack, acked)
        if reply.startswith("✓ Saved") if kind == "bot" else reply == text:
            tally.latencies.append(acked - sent)
            tally.timeline.append((sent, acked - sent, user.id, api.delivered.get(user.id, acked) - sent))
        else:
            tally.wrong.append(reply[:80])


async def wait_message(conn: Any, expected: str) -> Any:
    tag, payload = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    if tag != expected:
        raise RuntimeError(f"bot process: expected {expected!r}, got {tag!r}: {payload}")
    return payload


async def run_once(
    kind: str, participants: int, answers: int, workdir: Path, profile_path: str | None = None, think: float = 0.0
) -> RunResult:
    import psutil

    load_before = os.getloadavg()[0]
    calibration = calibrate()
    db_path = workdir / f"{kind}-{participants}-{time.monotonic_ns()}.db"
    database_url = POSTGRES_URL or f"sqlite+aiosqlite:///{db_path}"
    measured_ids = [FIRST_PARTICIPANT_ID + i for i in range(participants)]
    warmup_ids = [FIRST_PARTICIPANT_ID + participants + i for i in range(WARMUP_PARTICIPANTS)]
    if kind == "bot":
        if POSTGRES_URL:
            from tests.conftest import _reset_postgres

            await _reset_postgres(POSTGRES_URL)
        await seed_database(database_url, measured_ids + warmup_ids)

    ctx = mp.get_context("spawn")
    tally = Tally()
    async with bench_api() as api:
        from seeding import username

        users = [api.user(tid, f"P{tid}", "Bench", username=username(tid)) for tid in measured_ids]
        warm = [api.user(tid, f"P{tid}", "Bench", username=username(tid)) for tid in warmup_ids]
        parent, child = ctx.Pipe()
        config = BotConfig(kind, api.base_url, api.base_file_url, database_url, profile_path, VERBOSE, ECHO_REQUEST)
        # Not a daemon: the bot starts its embedding process, as it does when run for real.
        process = ctx.Process(target=bot_process, args=(child, config))
        process.start()
        try:
            pid = await wait_message(parent, "ready")
            bot = psutil.Process(pid)

            warm_tally = Tally()
            await asyncio.gather(*[participant_loop(api, user, WARMUP_ANSWERS, kind, warm_tally) for user in warm])

            parent.send("go")
            # The harness must not pause while it timestamps: collect now, then keep the
            # collector off during the timed phase (its heap holds every message of the run).
            gc.collect()
            gc.freeze()
            gc.disable()
            harness_gc = GcPauses()
            await asyncio.sleep(0.05)  # let the profiler (if any) start
            bot_cpu_before = _cpu(bot.cpu_times())
            own_before = _own_cpu()
            system_before = _system_busy()
            started = time.monotonic()
            await asyncio.gather(*[participant_loop(api, user, answers, kind, tally, think) for user in users])
            wall_end = time.monotonic()
            bot_cpu = _cpu(bot.cpu_times()) - bot_cpu_before
            own_cpu = _own_cpu() - own_before
            system_cpu = _system_busy() - system_before
            gc.enable()
            gc.unfreeze()
            gc.callbacks.remove(harness_gc._on_gc)
            parent.send("stop")
            stats = await wait_message(parent, "stopped")
        finally:
            await asyncio.get_running_loop().run_in_executor(None, process.join, 30)
            if process.is_alive():
                process.kill()
    if TIMELINE_PATH:
        Path(TIMELINE_PATH).write_text(
            json.dumps([(round(t - started, 4), round(lat, 4), uid, round(d, 4)) for t, lat, uid, d in tally.timeline])
        )
    expected = stored = None
    if kind == "bot":
        expected = participants * answers + WARMUP_PARTICIPANTS * WARMUP_ANSWERS
        stored = await count_contributions(database_url)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    seconds = (tally.last_ack or wall_end) - started
    latencies = sorted(tally.latencies)
    acked = len(latencies)
    return RunResult(
        kind=kind,
        participants=participants,
        answers_each=answers,
        answers=acked,
        seconds=seconds,
        throughput=acked / seconds,
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        max_ms=(latencies[-1] if latencies else float("nan")) * 1000,
        peak_rss_mb=stats["maxrss_kb"] / 1024,
        bot_cpu_ms_per_answer=bot_cpu / max(acked, 1) * 1000,
        bot_cpu_cores=bot_cpu / (wall_end - started),
        harness_cpu_cores=own_cpu / (wall_end - started),
        stored=stored,
        expected=expected,
        errors=stats["error_count"],
        wrong_replies=len(tally.wrong),
        lost=tally.lost,
        load_before=load_before,
        other_cpu_cores=max(0.0, system_cpu - bot_cpu - own_cpu) / (wall_end - started),
        gc_full=stats["gc_full"],
        gc_max_ms=stats["gc_max_ms"],
        gc_objects=stats["objects"],
        calibration_ms=calibration,
        error_samples=stats["errors"] + tally.wrong[:3],
    )


def calibrate() -> float:
    """Milliseconds this machine takes for a fixed pure-Python loop right now (best of 3). On a
    shared VM the same loop varies by up to 2x from minute to minute, and every CPU figure
    varies with it: compare bots within a run, not across runs."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return best * 1000


def _system_busy() -> float:
    """CPU seconds all processes have used since boot (every core), from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def wait_until_quiet(max_wait: float, threshold: float = 0.25) -> float:
    """Wait (at most ``max_wait`` s) until other processes use less than ``threshold`` cores
    over a 2-second window; returns the last measured load in cores."""
    deadline = time.monotonic() + max_wait
    while True:
        before, started = _system_busy(), time.monotonic()
        await asyncio.sleep(2.0)
        busy = (_system_busy() - before) / (time.monotonic() - started)
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        print(f"  (waiting for a quiet machine: other processes use {busy:.2f} cores)", flush=True)


def _cpu(times: Any) -> float:
    return float(times.user + times.system)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------------------------
# Reporting


def machine_facts() -> dict[str, str]:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        import sqlalchemy
        import telegram

        versions = f"python-telegram-bot {telegram.__version__}, SQLAlchemy {sqlalchemy.__version__}, SQLite {sqlite3.sqlite_version}"
    except ImportError:
        versions = ""
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "affinity": str(len(os.sched_getaffinity(0))),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "libraries": versions,
    }


def _postgres_facts(url: str) -> str:
    from storage.db import Database

    return f"PostgreSQL at {Database.display(url)} (schema reset per run)"


def median(results: list[RunResult], attribute: str) -> float:
    return statistics.median(getattr(result, attribute) for result in results)


def table(results: dict[tuple[str, int], list[RunResult]], sizes: list[int]) -> str:
    """Medians per size: the bot, then the echo bots measured in the same runs."""
    nan = float("nan")

    def med(runs: list[RunResult], attribute: str) -> float:
        return median(runs, attribute) if runs else nan

    lines = [
        "| participants | answers each | bot answers/s | p50 ms | p99 ms | bot CPU ms/answer | peak RSS MB | runs ok | stored/expected "
        "| echo answers/s | echo p50 / p99 ms | bot ÷ echo | echo-seq answers/s | bot ÷ echo-seq |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        runs = results.get(("bot", size), [])
        echo = results.get(("echo", size), [])
        seq = results.get(("echo-seq", size), [])
        if not runs:
            continue
        thr = med(runs, "throughput")
        stored = f"{sum(r.stored or 0 for r in runs):,}/{sum(r.expected or 0 for r in runs):,}"
        ok = f"{sum(r.ok for r in runs)}/{len(runs)}"
        lines.append(
            f"| {size:,} | {runs[0].answers_each} | {thr:,.0f} | {med(runs, 'p50_ms'):,.0f} | {med(runs, 'p99_ms'):,.0f} "
            f"| {med(runs, 'bot_cpu_ms_per_answer'):.1f} | {med(runs, 'peak_rss_mb'):.0f} | {ok} | {stored} "
            f"| {_num(med(echo, 'throughput'), ',.0f')} | {_num(med(echo, 'p50_ms'), ',.0f')} / {_num(med(echo, 'p99_ms'), ',.0f')} "
            f"| {_num(thr / med(echo, 'throughput'), '.2f')} | {_num(med(seq, 'throughput'), ',.0f')} "
            f"| {_num(thr / med(seq, 'throughput'), '.2f')} |"
        )
    return "\n".join(lines)


def _num(value: float, spec: str) -> str:
    """A table cell: the number, or a dash for a bot that was not measured."""
    return "—" if value != value else format(value, spec)


def detail_table(results: dict[tuple[str, int], list[RunResult]]) -> str:
    lines = [
        "| bot | participants | run | answers | seconds | answers/s | p50 ms | p99 ms | max ms | bot CPU ms/answer | bot CPU cores "
        "| harness CPU cores | other processes' CPU cores | peak RSS MB | stored/expected | errors/wrong/lost | calibration ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (kind, size), runs in results.items():
        for index, r in enumerate(runs, start=1):
            stored = f"{r.stored}/{r.expected}" if r.expected is not None else "—"
            lines.append(
                f"| {kind} | {size:,} | {index} | {r.answers:,} | {r.seconds:.2f} | {r.throughput:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
                f"| {r.max_ms:.1f} | {r.bot_cpu_ms_per_answer:.2f} | {r.bot_cpu_cores:.2f} | {r.harness_cpu_cores:.2f} | {r.other_cpu_cores:.2f} "
                f"| {r.peak_rss_mb:.0f} | {stored} | {r.errors}/{r.wrong_replies}/{r.lost} | {r.calibration_ms:.0f} |"
            )
    return "\n".join(lines)


def answers_for(size: int, requested: int | None) -> int:
    """Answers per participant: ``--answers``, else 5 up to 100 participants, 3 up to 500, 2 above
    (enough answers for stable medians while the default run stays near 10 minutes)."""
    if requested is not None:
        return requested
    return 5 if size <= 100 else 3 if size <= 500 else 2


async def main_async(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = [k for k in args.bots.split(",") if k]
    facts = machine_facts()
    facts["database"] = _postgres_facts(POSTGRES_URL) if POSTGRES_URL else "SQLite (a fresh file per run, WAL)"
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    print(f"Calibration loop: {calibrate():.0f} ms (lower is faster; printed per run in the last table)", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-answers-"))
    results: dict[tuple[str, int], list[RunResult]] = {}
    failures = 0
    began = time.monotonic()
    try:
        for size in sizes:
            answers = answers_for(size, args.answers)
            for repetition in range(args.repeat):
                # Interleave the bots within each repetition so that drift hits them alike.
                for kind in kinds:
                    if args.wait_quiet:
                        await wait_until_quiet(args.wait_quiet)
                    result = await run_once(kind, size, answers, workdir, think=args.think_ms / 1000)
                    results.setdefault((kind, size), []).append(result)
                    failures += not result.ok
                    print(
                        f"  {kind:8} N={size:<5} run {repetition + 1}: {result.throughput:7,.0f} answers/s  "
                        f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                        f"bot CPU {result.bot_cpu_ms_per_answer:5.2f} ms/answer ({result.bot_cpu_cores:.2f} cores)  "
                        f"harness {result.harness_cpu_cores:.2f} cores  others {result.other_cpu_cores:.2f} cores  RSS {result.peak_rss_mb:5.0f} MB  "
                        f"full GCs {result.gc_full} (max {result.gc_max_ms:.0f} ms, {result.gc_objects:,} objects)"
                        + (f"  stored {result.stored}/{result.expected}" if result.expected is not None else "")
                        + (
                            ""
                            if result.ok
                            else f"  FAILED: {result.errors} errors, {result.wrong_replies} wrong replies, {result.lost} lost; {result.error_samples[:2]}"
                        ),
                        flush=True,
                    )
        if args.profile:
            size = args.profile_size
            print(f"Profiling {args.profile_bot} at {size} participants → {args.profile}", flush=True)
            result = await run_once(
                args.profile_bot, size, answers_for(size, args.answers), workdir, profile_path=args.profile, think=args.think_ms / 1000
            )
            print(f"  (profiled run: {result.throughput:,.0f} answers/s, {result.bot_cpu_ms_per_answer:.2f} ms CPU/answer)")
            from cpu_profile import render_text

            summary = json.loads(Path(args.profile).with_suffix(".json").read_text())
            report = render_text(summary, answers=result.answers)
            Path(args.profile).write_text(report + "\n", encoding="utf-8")
            print(report)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nAll runs took {time.monotonic() - began:.0f} s. Medians over {args.repeat} run(s):\n")
    print(table(results, sizes))
    print("\nEvery run:\n")
    print(detail_table(results))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": facts, "runs": [asdict(r) for runs in results.values() for r in runs]}, indent=2), encoding="utf-8"
        )
    if failures:
        print(f"\n{failures} run(s) had errors or a wrong number of stored contributions.")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500,2000", help="participant counts, comma-separated (default 50,500,2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration; medians are reported (default 3)")
    parser.add_argument(
        "--answers", type=int, default=None, help="answers per participant (default 5 up to 100 participants, 3 up to 500, 2 above)"
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0,
        metavar="MS",
        help="mean pause between a reply and the participant's next answer (uniform ±50 %%; default 0: "
        "as fast as replies come, which measures capacity; latency is then about participants / throughput)",
    )
    parser.add_argument("--bots", default=",".join(KINDS), help=f"bots to measure (default {','.join(KINDS)})")
    parser.add_argument("--quick", action="store_true", help="50 and 500 participants, 1 run, 3 answers each")
    parser.add_argument(
        "--profile", metavar="PATH", help="also profile the bot in one extra run (CPU-time sampling, bench/cpu_profile.py); report to PATH"
    )
    parser.add_argument("--profile-size", type=int, default=500, help="participants in the profiled run (default 500)")
    parser.add_argument("--profile-bot", default="bot", choices=KINDS, help="which bot to profile (default bot)")
    parser.add_argument("--json", metavar="PATH", help="write every run's figures as JSON")
    parser.add_argument(
        "--echo-request",
        choices=("httpx", "aiohttp"),
        default="aiohttp",
        help="HTTP client of the echo bots (default aiohttp, the bot's own: telegram_edge/aiohttp_request.py; httpx: PTB's default)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each run, wait up to SECONDS for other processes to use < 0.25 cores (default: don't wait)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="the bot stores in PostgreSQL at TEST_DATABASE_URL (its schema is reset before every run) instead of a fresh SQLite file",
    )
    parser.add_argument("--verbose", action="store_true", help="show the bot process's warnings and tracebacks")
    args = parser.parse_args(argv)
    global VERBOSE, ECHO_REQUEST, POSTGRES_URL
    VERBOSE, ECHO_REQUEST = args.verbose, args.echo_request
    if args.postgres:
        POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
        if not POSTGRES_URL:
            parser.error("--postgres needs TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    if args.quick:
        args.sizes, args.repeat = "50,500", 1
        args.answers = args.answers or 3
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
