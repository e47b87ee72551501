"""Benchmark of answer throughput and latency, next to a bare PTB echo bot on the same harness.

    python bench/bench_answers.py                       # 50, 500 and 2,000 participants, 3 runs each
    python bench/bench_answers.py --quick               # 50 and 500 participants, 1 run, 3 answers
    python bench/bench_answers.py --sizes 500 --repeat 1 --profile bench/profile-500.txt

Two processes per run, so that the bot's CPU is its own (the machine has 2 cores):

* this process: the fake Telegram Bot API (``bot.fake_bot_api.FakeBotAPI`` over aiohttp on
  127.0.0.1) and the load generator. Simulated participants put their messages in the update
  queue (``FakeUser.send``) and the fake server timestamps, on arrival, the bot's
  ``sendMessage`` to that chat;
* a child process (multiprocessing, spawn): the bot under test, long-polling the fake API.

Bots under test, all measured in every run on the same harness with the same participants:

* ``bot``: the real application (``bot.offline.OfflineBot`` → ``bot.app.build_application``:
  handlers, services, rate limiter, SQLite in WAL mode on a fresh file);
* ``echo``: a bare PTB ``Application`` whose only handler sends the text back with
  ``send_message``, with the same ``PerUserUpdateProcessor(256)`` and request pool as the bot
  (the like-for-like framework ceiling);
* ``echo-seq``: the same echo bot with PTB's defaults (one update at a time).

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
contributions. Peak RSS is the bot process's ``ru_maxrss``; bot CPU is the child's
user+system time during the timed phase (psutil), harness CPU is this process's.
Every figure in the table is the median over ``--repeat`` runs, each on a fresh database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import os
import platform
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
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.fake_bot_api import FakeBotAPI  # noqa: E402

TOKEN = "123456:BENCH-TOKEN-0123456789abcdefghij"
ORGANISER_ID = 1000
FIRST_PARTICIPANT_ID = 100_000
WARMUP_PARTICIPANTS = 20
WARMUP_ANSWERS = 2
ACK_TIMEOUT = 60.0
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
    """Agenda, open session, one participant through the real onboarding flow, cloned to all.

    Returns the session's join code.
    """
    from sqlalchemy import insert, select

    from bot.config import Settings
    from bot.container import build_services
    from bot.demo_script import AGENDA
    from bot.services.outcomes import ShowPrompt
    from bot.services.views import MessageRef, UserRef
    from storage.models import Base, SessionStatus

    services = build_services(Settings(database_url=database_url, organiser_ids=frozenset({ORGANISER_ID})))
    try:
        await services.db.upgrade()
        organiser = UserRef(ORGANISER_ID, "Olivia", username="olivia_org")
        created = await services.organising.import_agenda(organiser, AGENDA)
        code = created.event.sessions[0].join_code
        await services.organising.set_status(organiser, code, SessionStatus.OPEN)

        template_id, others = participant_ids[0], participant_ids[1:]
        user = _user_ref(template_id)
        participation = services.participation
        await participation.join(user, code)
        await participation.consent(user, True)
        await participation.text(user, f"Participant {template_id}", MessageRef(template_id, 1))
        await participation.text(user, "Bench Institute", MessageRef(template_id, 2))
        shown = await participation.choose_community(user, "development")
        assert isinstance(shown, ShowPrompt), f"onboarding ended in {shown!r}"

        tables = Base.metadata.tables
        participants, states = tables["participants"], tables["chat_states"]
        progress, roles = tables["progress"], tables["roles"]
        async with services.db.session() as db:
            row = (await db.execute(select(participants).where(participants.c.telegram_user_id == template_id))).mappings().one()
            pid = row["id"]
            state = (await db.execute(select(states).where(states.c.participant_id == pid))).mappings().one()
            steps = (await db.execute(select(progress).where(progress.c.participant_id == pid))).mappings().all()
            granted = (await db.execute(select(roles).where(roles.c.participant_id == pid))).mappings().all()
            if others:
                await db.execute(
                    insert(participants),
                    [
                        {**_without(row, "id"), "telegram_user_id": tid, "username": _username(tid), "display_name": f"Participant {tid}"}
                        for tid in others
                    ],
                )
                ids = dict(
                    (await db.execute(select(participants.c.telegram_user_id, participants.c.id).where(participants.c.telegram_user_id.in_(others)))).all()
                )
                await db.execute(insert(states), [{**state, "participant_id": ids[tid]} for tid in others])
                await db.execute(insert(progress), [{**step, "participant_id": ids[tid]} for tid in others for step in steps])
                await db.execute(insert(roles), [{**_without(role, "id"), "participant_id": ids[tid]} for tid in others for role in granted])
        return code
    finally:
        await services.close()


def _without(row: Any, *keys: str) -> dict[str, Any]:
    return {key: value for key, value in dict(row).items() if key not in keys}


def _username(telegram_id: int) -> str:
    return f"p{telegram_id}"


def _user_ref(telegram_id: int) -> Any:
    from bot.services.views import UserRef

    return UserRef(telegram_id, f"P{telegram_id}", "Bench", _username(telegram_id), "en")


def count_contributions(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM contributions").fetchone()[0])


# --------------------------------------------------------------------------------------------
# The bot process


@dataclass
class BotConfig:
    kind: str
    base_url: str
    file_url: str
    database_url: str
    profile_path: str | None = None


def bot_process(conn: Any, config: BotConfig) -> None:
    """Child process entry point: start the bot, report ready, run until told to stop."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(_run_bot(conn, config))
    except BaseException as exc:  # report, so the parent does not wait forever
        conn.send(("failed", repr(exc)))
        raise


async def _run_bot(conn: Any, config: BotConfig) -> None:
    loop = asyncio.get_running_loop()
    errors: list[str] = []
    if config.kind == "bot":
        from types import SimpleNamespace

        from bot.offline import OfflineBot

        fake = SimpleNamespace(token=TOKEN, base_url=config.base_url, base_file_url=config.file_url)
        offline = OfflineBot(fake, config.database_url, organiser_ids=[ORGANISER_ID])  # type: ignore[arg-type]
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
    profiler = None
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "go" and config.profile_path:
            from pyinstrument import Profiler
            from pyinstrument.stack_sampler import get_stack_sampler

            # Sample by this thread's CPU time, not wall time: on a busy 2-core machine the
            # wall clock also counts the time the process was descheduled (e.g. inside a
            # loopback send() that woke the fake server), which is not the bot's cost.
            get_stack_sampler().timer_func = time.thread_time
            profiler = Profiler(interval=0.0005, async_mode="disabled")
            profiler.start()
        elif command == "stop":
            break
    if profiler is not None:
        profiler.stop()
        _write_profile(profiler, config.profile_path)  # type: ignore[arg-type]
    await stop()
    errors = [repr(error) for error in error_list]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send(("stopped", {"maxrss_kb": usage.ru_maxrss, "errors": errors[:5], "error_count": len(errors)}))


async def _start_echo(config: BotConfig) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters
    from telegram.request import HTTPXRequest

    from bot.update_processor import PerUserUpdateProcessor

    builder = ApplicationBuilder().token(TOKEN).base_url(config.base_url).base_file_url(config.file_url)
    # The same request pools as bot.app.build_application; "echo" also has the same
    # PerUserUpdateProcessor, "echo-seq" keeps PTB's default (one update at a time).
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
# Profile: where the bot's main-thread time goes


CATEGORIES = [
    # (label, predicate on a frame's file path), most specific first; a sample is charged to
    # the innermost frame that matches one of these.
    ("SQLAlchemy ORM/Core", lambda f: "/sqlalchemy/" in f),
    ("aiosqlite / sqlite3 (main-thread side)", lambda f: "/aiosqlite/" in f or f.endswith("sqlite3/__init__.py")),
    ("alembic", lambda f: "/alembic/" in f),
    ("httpx / httpcore / h11 (sending, receiving)", lambda f: any(p in f for p in ("/httpx/", "/httpcore/", "/h11/", "/anyio/"))),
    ("PTB: request layer (Bot, BaseRequest, rate limiter)", lambda f: "/telegram/request/" in f or "/telegram/_bot.py" in f or "/telegram/ext/_extbot.py" in f or "/telegram/ext/_aioratelimiter.py" in f or "/aiolimiter/" in f),
    ("PTB: objects (Update.de_json, TelegramObject, markup)", lambda f: "/telegram/_" in f and "/telegram/_bot.py" not in f),
    ("PTB: dispatch (Application, Updater, handlers, filters)", lambda f: "/telegram/ext/" in f),
    ("our code: handlers/", lambda f: "/work/main/handlers/" in f or "/handlers/" in f and "/site-packages/" not in f),
    ("our code: bot/services, bot/ (not handlers)", lambda f: "/bot/" in f and "/site-packages/" not in f and "/bench/" not in f),
    ("our code: storage/", lambda f: "/storage/" in f and "/site-packages/" not in f),
    ("asyncio event loop, selectors, sockets", lambda f: "/asyncio/" in f or "selectors.py" in f or "/socket.py" in f or "/ssl.py" in f),
]


def _write_profile(profiler: Any, path: str) -> None:
    session = profiler.last_session
    text = profiler.output_text(unicode=True, color=False, show_all=False, timeline=False)
    breakdown = _categorise(session)
    Path(path).write_text(text, encoding="utf-8")
    Path(path).with_suffix(".json").write_text(json.dumps(breakdown, indent=2), encoding="utf-8")


def _categorise(session: Any) -> dict[str, Any]:
    """Charge every sample to the innermost frame of a known layer (stdlib helpers such as json,
    re, dataclasses or typing count for the layer that called them)."""
    totals: dict[str, float] = {}
    idle = 0.0
    for stack, duration in _samples(session):
        files = [_file_of(identifier) for identifier in stack]
        leaf = stack[-1] if stack else ""
        if "select" in leaf.split("\x00")[0] and any(f.endswith("selectors.py") for f in files[-2:]):
            idle += duration
            continue
        label = "other (stdlib, pydantic, ...)"
        for file in reversed(files):
            found = next((name for name, test in CATEGORIES if test(file)), None)
            if found is not None:
                label = found
                break
        totals[label] = totals.get(label, 0.0) + duration
    busy = sum(totals.values())
    return {
        "busy_seconds": busy,
        "idle_seconds": idle,
        "by_layer": dict(sorted(((k, round(v, 4)) for k, v in totals.items()), key=lambda kv: -kv[1])),
        "by_layer_share": {k: round(v / busy, 4) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])} if busy else {},
    }


def _samples(session: Any) -> list[tuple[list[str], float]]:
    out = []
    for frame_records in session.frame_records:
        stack, duration = frame_records
        out.append((list(stack), duration))
    return out


def _file_of(identifier: str) -> str:
    # pyinstrument frame identifiers: "function\x00filename\x00lineno" (plus attributes after \x01)
    parts = identifier.split("\x01")[0].split("\x00")
    return parts[1] if len(parts) > 1 else ""


# --------------------------------------------------------------------------------------------
# The harness process: fake API and load generator


class BenchAPI(FakeBotAPI):
    """The fake Bot API with one hook: the arrival of a ``sendMessage`` to a chat resolves that
    chat's waiting participant with the arrival time (``time.monotonic()``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(token=TOKEN, **kwargs)
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def _record_call(self, method: str, params: dict[str, Any], arrived: float, status: int) -> None:
        super()._record_call(method, params, arrived, status)
        if method == "sendMessage":
            future = self.waiting.pop(params.get("chat_id"), None)  # type: ignore[arg-type]
            if future is not None and not future.done():
                if status == 200:
                    future.set_result(arrived)
                else:
                    future.set_exception(RuntimeError(f"sendMessage answered {status}"))


@dataclass
class RunResult:
    kind: str
    participants: int
    answers_each: int
    answers: int
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
    errors: int
    load_before: float = 0.0
    error_samples: list[str] = field(default_factory=list)


async def ask(api: BenchAPI, user: Any, text: str) -> tuple[float, float]:
    """Send one message and wait for the bot's sendMessage to that chat: (sent, acked) times."""
    future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    api.waiting[user.id] = future
    sent = time.monotonic()
    user.send(text)
    acked = await asyncio.wait_for(future, ACK_TIMEOUT)
    return sent, acked


async def participant_loop(api: BenchAPI, user: Any, answers: int, latencies: list[float]) -> float:
    last = 0.0
    for k in range(answers):
        text = f"{ANSWER_TEXTS[(user.id + k) % len(ANSWER_TEXTS)]} (#{k + 1} from {user.id})"
        sent, last = await ask(api, user, text)
        latencies.append(last - sent)
    return last


async def wait_message(conn: Any, expected: str) -> Any:
    tag, payload = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    if tag != expected:
        raise RuntimeError(f"bot process: expected {expected!r}, got {tag!r}: {payload}")
    return payload


async def run_once(kind: str, participants: int, answers: int, workdir: Path, profile_path: str | None = None) -> RunResult:
    import psutil

    load_before = os.getloadavg()[0]
    db_path = workdir / f"{kind}-{participants}-{time.monotonic_ns()}.db"
    database_url = f"sqlite+aiosqlite:///{db_path}"
    measured_ids = [FIRST_PARTICIPANT_ID + i for i in range(participants)]
    warmup_ids = [FIRST_PARTICIPANT_ID + participants + i for i in range(WARMUP_PARTICIPANTS)]
    if kind == "bot":
        await seed_database(database_url, measured_ids + warmup_ids)

    ctx = mp.get_context("spawn")
    async with BenchAPI() as api:
        users = [api.user(tid, f"P{tid}", "Bench", username=_username(tid)) for tid in measured_ids]
        warm = [api.user(tid, f"P{tid}", "Bench", username=_username(tid)) for tid in warmup_ids]
        parent, child = ctx.Pipe()
        config = BotConfig(kind, api.base_url, api.base_file_url, database_url, profile_path)
        process = ctx.Process(target=bot_process, args=(child, config), daemon=True)
        process.start()
        try:
            pid = await wait_message(parent, "ready")
            bot = psutil.Process(pid)

            warm_latencies: list[float] = []
            await asyncio.gather(*[participant_loop(api, user, WARMUP_ANSWERS, warm_latencies) for user in warm])

            latencies: list[float] = []
            parent.send("go")
            await asyncio.sleep(0.05)  # let the profiler (if any) start
            bot_cpu_before = _cpu(bot.cpu_times())
            own_before = _own_cpu()
            started = time.monotonic()
            finished = await asyncio.gather(*[participant_loop(api, user, answers, latencies) for user in users])
            ended = max(finished)
            wall_end = time.monotonic()
            bot_cpu = _cpu(bot.cpu_times()) - bot_cpu_before
            own_cpu = _own_cpu() - own_before
            parent.send("stop")
            stats = await wait_message(parent, "stopped")
        finally:
            await asyncio.get_running_loop().run_in_executor(None, process.join, 30)
            if process.is_alive():
                process.kill()
    total = participants * answers
    expected = stored = None
    if kind == "bot":
        expected = total + WARMUP_PARTICIPANTS * WARMUP_ANSWERS
        stored = count_contributions(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    seconds = ended - started
    latencies.sort()
    return RunResult(
        kind=kind,
        participants=participants,
        answers_each=answers,
        answers=len(latencies),
        seconds=seconds,
        throughput=len(latencies) / seconds,
        p50_ms=_percentile(latencies, 50) * 1000,
        p99_ms=_percentile(latencies, 99) * 1000,
        max_ms=latencies[-1] * 1000,
        peak_rss_mb=stats["maxrss_kb"] / 1024,
        bot_cpu_ms_per_answer=bot_cpu / len(latencies) * 1000,
        bot_cpu_cores=bot_cpu / (wall_end - started),
        harness_cpu_cores=own_cpu / (wall_end - started),
        stored=stored,
        expected=expected,
        errors=stats["error_count"],
        load_before=load_before,
        error_samples=stats["errors"],
    )


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


def median(results: list[RunResult], attribute: str) -> float:
    return statistics.median(getattr(result, attribute) for result in results)


def table(results: dict[tuple[str, int], list[RunResult]], sizes: list[int]) -> str:
    lines = [
        "| participants | answers each | answers/s | p50 ms | p99 ms | bot CPU ms/answer | peak RSS MB | stored/expected "
        "| echo answers/s | echo p50/p99 ms | ratio to echo | echo-seq answers/s | ratio to echo-seq |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        runs = results.get(("bot", size), [])
        echo = results.get(("echo", size), [])
        seq = results.get(("echo-seq", size), [])
        if not runs:
            continue
        thr = median(runs, "throughput")
        stored = "/".join(str(x) for x in (sum(r.stored or 0 for r in runs), sum(r.expected or 0 for r in runs)))
        echo_thr = median(echo, "throughput") if echo else float("nan")
        seq_thr = median(seq, "throughput") if seq else float("nan")
        lines.append(
            f"| {size:,} | {runs[0].answers_each} | {thr:,.0f} | {median(runs, 'p50_ms'):.1f} | {median(runs, 'p99_ms'):.1f} "
            f"| {median(runs, 'bot_cpu_ms_per_answer'):.2f} | {median(runs, 'peak_rss_mb'):.0f} | {stored} "
            f"| {echo_thr:,.0f} | {median(echo, 'p50_ms') if echo else float('nan'):.1f}/{median(echo, 'p99_ms') if echo else float('nan'):.1f} "
            f"| {thr / echo_thr:.2f} | {seq_thr:,.0f} | {thr / seq_thr:.2f} |"
        )
    return "\n".join(lines)


def detail_table(results: dict[tuple[str, int], list[RunResult]]) -> str:
    lines = [
        "| bot | participants | run | answers | seconds | answers/s | p50 ms | p99 ms | max ms | bot CPU ms/answer | bot CPU cores | harness CPU cores | peak RSS MB | stored/expected | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (kind, size), runs in results.items():
        for index, r in enumerate(runs, start=1):
            stored = f"{r.stored}/{r.expected}" if r.expected is not None else "—"
            lines.append(
                f"| {kind} | {size:,} | {index} | {r.answers:,} | {r.seconds:.2f} | {r.throughput:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
                f"| {r.max_ms:.1f} | {r.bot_cpu_ms_per_answer:.2f} | {r.bot_cpu_cores:.2f} | {r.harness_cpu_cores:.2f} | {r.peak_rss_mb:.0f} | {stored} | {r.errors} |"
            )
    return "\n".join(lines)


def answers_for(size: int, requested: int | None) -> int:
    if requested is not None:
        return requested
    return 5 if size <= 500 else 3


async def main_async(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = [k for k in args.bots.split(",") if k]
    facts = machine_facts()
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
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
                    result = await run_once(kind, size, answers, workdir)
                    results.setdefault((kind, size), []).append(result)
                    ok = result.errors == 0 and result.stored == result.expected
                    failures += not ok
                    print(
                        f"  {kind:8} N={size:<5} run {repetition + 1}: {result.throughput:7,.0f} answers/s  "
                        f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                        f"bot CPU {result.bot_cpu_ms_per_answer:5.2f} ms/answer ({result.bot_cpu_cores:.2f} cores)  "
                        f"harness {result.harness_cpu_cores:.2f} cores  RSS {result.peak_rss_mb:5.0f} MB  load {result.load_before:.1f}"
                        + (f"  stored {result.stored}/{result.expected}" if result.expected is not None else "")
                        + (f"  ERRORS {result.errors}: {result.error_samples}" if result.errors else ""),
                        flush=True,
                    )
        if args.profile:
            size = args.profile_size
            print(f"Profiling {args.profile_bot} at {size} participants → {args.profile}", flush=True)
            result = await run_once(args.profile_bot, size, answers_for(size, args.answers), workdir, profile_path=args.profile)
            print(f"  (profiled run: {result.throughput:,.0f} answers/s, {result.bot_cpu_ms_per_answer:.2f} ms CPU/answer)")
            breakdown = json.loads(Path(args.profile).with_suffix(".json").read_text())
            print(profile_table(breakdown, result))
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


def profile_table(breakdown: dict[str, Any], result: RunResult) -> str:
    busy = breakdown["busy_seconds"]
    lines = [
        f"Main-thread samples: {busy:.2f} s busy, {breakdown['idle_seconds']:.2f} s idle in select(); "
        f"{result.answers} answers → {busy / result.answers * 1000:.2f} ms main-thread CPU per answer "
        f"(process CPU incl. the aiosqlite threads: {result.bot_cpu_ms_per_answer:.2f} ms/answer)",
        "",
        "| layer (innermost matching frame) | share | ms per answer |",
        "|---|---:|---:|",
    ]
    for label, seconds in breakdown["by_layer"].items():
        lines.append(f"| {label} | {seconds / busy:.1%} | {seconds / result.answers * 1000:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500,2000", help="participant counts, comma-separated (default 50,500,2000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration; medians are reported (default 3)")
    parser.add_argument("--answers", type=int, default=None, help="answers per participant (default 5, 3 above 500 participants)")
    parser.add_argument("--bots", default=",".join(KINDS), help=f"bots to measure (default {','.join(KINDS)})")
    parser.add_argument("--quick", action="store_true", help="50 and 500 participants, 1 run, 3 answers each")
    parser.add_argument("--profile", metavar="PATH", help="also profile the bot (pyinstrument) in one extra run; text tree to PATH")
    parser.add_argument("--profile-size", type=int, default=500, help="participants in the profiled run (default 500)")
    parser.add_argument("--profile-bot", default="bot", choices=KINDS, help="which bot to profile (default bot)")
    parser.add_argument("--json", metavar="PATH", help="write every run's figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = "50,500", 1
        args.answers = args.answers or 3
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
