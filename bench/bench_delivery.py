"""Benchmark: a scheduled report delivered to 1,000 participants at Telegram's flood limits.

    python bench/bench_delivery.py                    # 1,000 recipients, 3 runs, median
    python bench/bench_delivery.py --recipients 200 --repeat 1
    python bench/bench_delivery.py --files --repeat 1 # the report's PDF and DOCX too (3 messages each)

Two processes, so that the fake Telegram's clock is not the bot's event loop:

* this process: ``fake_bot_api.FakeBotAPI`` on 127.0.0.1 with ``FloodLimits()`` enforced —
  30 messages in any 1 s window overall, 1 per chat per second, 20 per group per minute; past
  them it answers 429 with retry_after, as Telegram does. It timestamps every request on arrival.
* a child process: the real bot (``telegram_edge.offline.OfflineBot`` → ``telegram_edge.app.build_application``:
  JobQueue, runner, database ledger, FloodPacer, PTB's HTTP stack), on a fresh SQLite file.

Setup (not timed): an agenda with one session, N participants who joined it (rows inserted as
after onboarding), a few answers, the report approved through ``Reporting.approve``, and its
delivery scheduled through ``Scheduling.schedule_report`` a few seconds ahead — before the bot
starts, so the runner finds it in the table and registers the job at start-up, as after a restart.

The fake API's process does not collect garbage during the broadcast (gc.freeze + disable), so that
its own pauses do not bunch arrival times; the bot's process runs as in production.

Measured, from the fake API's arrival times of the report messages to participants:
rate = (messages - 1) / (last arrival - first arrival), as a fraction of 30 messages/s; 429s
answered during the broadcast; recipients who got no report (lost) or more than one copy of a part
(duplicated); and whether the organiser's summary says "Sent: N". Without ``--files`` the
report's PDF and DOCX are left out (the bot process drops them from the package) so that each
recipient gets exactly one message and the run measures 1,000 messages, about 35 s at 30/s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from fake_bot_api import FakeBotAPI, FloodLimits  # noqa: E402

TOKEN = "123456:BENCH-TOKEN-0123456789abcdefghij"
ORGANISER_ID = 1000
FIRST_RECIPIENT = 100_000
LIMIT_PER_SECOND = 30
LEAD_SECONDS = 12  # the delivery is scheduled this far ahead of the bot's start
AGENDA = """
event:
  title: Bench meeting
  timezone: Europe/Oslo
sessions:
  - title: Report delivery benchmark
    date: 2031-02-11
    start: "09:30"
    end: "11:00"
    prompts:
      - challenge: What made interaction between diplomatic and development actors difficult?
      - recommendation: What should bilateral actors do differently?
"""
ANSWERS = [
    "Donors still fund in silos; each agency reports to its own capital.",
    "Security gains are undone when development money arrives two years late.",
    "Different time horizons: missions think in months, development in decades.",
    "Share one analysis and one timeline between embassies and aid agencies.",
]


@dataclass
class RunResult:
    recipients: int
    messages: int
    seconds: float
    rate: float
    flood_errors: int
    lost: int
    duplicated: int
    summary_ok: bool
    start_delay: float  # from the due time to the first report message

    @property
    def fraction(self) -> float:
        return self.rate / LIMIT_PER_SECOND


# --------------------------------------------------------------------------------------------
# Setup


async def seed(database_url: str, recipients: list[int]) -> None:
    """The meeting, its participants and the approved report."""
    from bot.config import Settings
    from bot.container import build_services
    from bot.services.views import UserRef
    from storage.models import Contribution, Participant, Progress, Prompt, Role, RoleName, SessionStatus
    from storage.types import utcnow

    services = build_services(Settings(database_url=database_url, organiser_ids=frozenset({ORGANISER_ID})))
    try:
        await services.db.upgrade()
        organiser = UserRef(ORGANISER_ID, "Olivia")
        session = (await services.organising.import_agenda(organiser, AGENDA)).event.sessions[0]
        await services.organising.set_status(organiser, session.join_code, SessionStatus.OPEN)
        async with services.db.session() as db:
            await db.execute(
                insert(Participant),
                [
                    {"telegram_user_id": tid, "display_name": f"Participant {tid}", "consent_at": utcnow(), "username": f"p{tid}"}
                    for tid in recipients
                ],
            )
            ids = dict(
                (
                    await db.execute(
                        select(Participant.telegram_user_id, Participant.id).where(Participant.telegram_user_id.in_(recipients))
                    )
                ).all()
            )
            await db.execute(
                insert(Progress), [{"participant_id": ids[tid], "session_id": session.id, "prompt_position": 0} for tid in recipients]
            )
            await db.execute(
                insert(Role), [{"participant_id": ids[tid], "role": RoleName.PARTICIPANT, "session_id": session.id} for tid in recipients]
            )
            prompt_id = await db.scalar(select(Prompt.id).where(Prompt.session_id == session.id).order_by(Prompt.position).limit(1))
            await db.execute(
                insert(Contribution),
                [
                    {
                        "session_id": session.id,
                        "prompt_id": prompt_id,
                        "participant_id": ids[tid],
                        "text": text,
                        "tg_chat_id": tid,
                        "tg_message_id": 1,
                    }
                    for tid, text in zip(recipients, ANSWERS, strict=False)
                ],
            )
        await services.reporting.approve(organiser, session.join_code)
    finally:
        await services.close()


async def schedule(database_url: str, due: datetime) -> None:
    """The report's delivery, as an organiser's /deliver CODE <time> would store it."""
    from bot.config import Settings
    from bot.container import build_services
    from bot.services.scheduling import ItemScheduled
    from bot.services.views import UserRef
    from storage.models import Session

    services = build_services(Settings(database_url=database_url, organiser_ids=frozenset({ORGANISER_ID})))
    try:
        async with services.db.session() as db:
            code = await db.scalar(select(Session.join_code))
        organiser = UserRef(ORGANISER_ID, "Olivia")
        when = due.astimezone(ZoneInfo("Europe/Oslo")).strftime("%Y-%m-%d %H:%M:%S")  # the event's zone
        scheduled = await services.scheduling.schedule_report(organiser, str(code), when)
        assert isinstance(scheduled, ItemScheduled), scheduled
    finally:
        await services.close()


# --------------------------------------------------------------------------------------------
# The bot process


def bot_process(conn: Any, base_url: str, file_url: str, database_url: str, files: bool) -> None:
    asyncio.run(_run_bot(conn, base_url, file_url, database_url, files))


async def _run_bot(conn: Any, base_url: str, file_url: str, database_url: str, files: bool) -> None:
    from types import SimpleNamespace

    from bot.services.reporting import Reporting, ReportPackage
    from telegram_edge.offline import OfflineBot

    if not files:
        package = Reporting.package

        async def text_only(self: Reporting, session_id: int, *, source: Any) -> ReportPackage | None:
            found = await package(self, session_id, source=source)
            return ReportPackage(found.title, found.messages, []) if found is not None else None

        Reporting.package = text_only  # type: ignore[method-assign]
    api = SimpleNamespace(token=TOKEN, base_url=base_url, base_file_url=file_url)
    bot = OfflineBot(api, database_url, organiser_ids=[ORGANISER_ID])  # type: ignore[arg-type]
    await bot.start()
    conn.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await bot.stop()
    conn.send(("stopped", [repr(e) for e in bot.errors]))


# --------------------------------------------------------------------------------------------
# One run


async def run_once(size: int, files: bool, workdir: Path, run: int, dump: str | None = None) -> RunResult:
    from datetime import UTC

    database_url = f"sqlite+aiosqlite:///{workdir / f'delivery-{size}-{run}.db'}"
    recipients = list(range(FIRST_RECIPIENT, FIRST_RECIPIENT + size))
    async with FakeBotAPI(token=TOKEN, bot_username="bench_delivery_bot", limits=FloodLimits()) as api:
        api.user(ORGANISER_ID, "Olivia")
        for tid in recipients:
            api.user(tid, f"P{tid}")
        await seed(database_url, recipients)
        due = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        due = due.replace(microsecond=0) + timedelta(seconds=1)
        await schedule(database_url, due)
        parent, child = mp.Pipe()
        process = mp.get_context("spawn").Process(
            target=bot_process, args=(child, api.base_url, api.base_file_url, database_url, files)
        )  # not a daemon: the bot may start its embedding process, as it does when run for real
        process.start()
        await _receive(parent, 60)
        # The fake Telegram is the clock being measured against: a 130 ms garbage collection in
        # this process would bunch arrivals into one second and count as the bot's flood error.
        gc.collect()
        gc.freeze()
        gc.disable()
        parts_each: list[int] = []

        def done() -> bool:
            summary = [m for m in api.messages_to(ORGANISER_ID) if "Delivery summary" in m.plain_text]
            return bool(summary)

        await api.wait_for(done, timeout=LEAD_SECONDS + size * (3 if files else 1) / LIMIT_PER_SECOND * 2 + 60, what="the delivery summary")
        gc.enable()
        gc.unfreeze()
        summary = next(m.plain_text for m in api.messages_to(ORGANISER_ID) if "Delivery summary" in m.plain_text)
        parent.send("stop")
        _, errors = await _receive(parent, 30)
        process.join(10)
        if errors:
            print(f"  bot errors: {errors[:3]}", flush=True)

        wanted = set(recipients)
        sends = [c for c in api.calls if c.method in ("sendMessage", "sendDocument") and c.params.get("chat_id") in wanted]
        if dump:
            with open(dump, "w", encoding="utf-8") as out:
                out.writelines(f"{c.time:.6f} {c.status} {c.params.get('chat_id')}\n" for c in sends)
        delivered = [c for c in sends if c.status == 200]
        floods = sum(1 for c in sends if c.status == 429)
        times = sorted(c.time for c in delivered)
        seconds = times[-1] - times[0] if len(times) > 1 else 0.0
        for tid in recipients:
            parts_each.append(sum(1 for m in api.messages_to(tid) if not m.edited))
        expected = max(parts_each) if parts_each else 0
        lost = sum(1 for n in parts_each if n == 0 or n < expected)
        duplicated = sum(_duplicates(api, tid) for tid in recipients)
        first_at = times[0] if times else 0.0
        due_monotonic = time.monotonic() - (datetime.now(UTC) - due).total_seconds()
        return RunResult(
            recipients=size,
            messages=len(delivered),
            seconds=seconds,
            rate=(len(delivered) - 1) / seconds if seconds else 0.0,
            flood_errors=floods,
            lost=lost,
            duplicated=duplicated,
            summary_ok=f"Sent: {size} ·" in summary,
            start_delay=first_at - due_monotonic,
        )


def _duplicates(api: FakeBotAPI, chat_id: int) -> int:
    """Recipients who got any part (text or file) more than once."""
    seen: set[object] = set()
    for message in api.messages_to(chat_id):
        key = (message.text, message.document[0] if message.document else None)
        if key in seen:
            return 1
        seen.add(key)
    return 0


async def _receive(conn: Any, timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    ready = await asyncio.wait_for(loop.run_in_executor(None, lambda: conn.poll(timeout)), timeout + 5)
    if not ready:
        raise TimeoutError("the bot process did not answer")
    return conn.recv()


# --------------------------------------------------------------------------------------------
# Reporting


def machine_facts() -> dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": str(os.cpu_count()), "python": platform.python_version(), "os": platform.platform()}


async def main_async(args: argparse.Namespace) -> int:
    facts = machine_facts()
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    results = []
    for run in range(1, args.repeat + 1):
        result = await run_once(args.recipients, args.files, workdir, run, args.dump)
        results.append(result)
        print(
            f"  run {run}: {result.messages} messages to {result.recipients} recipients in {result.seconds:.1f} s = "
            f"{result.rate:.2f}/s ({result.fraction:.3f} of 30/s); 429s {result.flood_errors}; lost {result.lost}; "
            f"duplicated {result.duplicated}; summary {'right' if result.summary_ok else 'WRONG'}; "
            f"first message {result.start_delay:+.2f} s from due",
            flush=True,
        )
    median = lambda key: statistics.median(getattr(r, key) for r in results)  # noqa: E731
    print(
        f"\nMedian of {len(results)}: {median('rate'):.2f} messages/s = {median('rate') / LIMIT_PER_SECOND:.3f} of 30/s; "
        f"429s {median('flood_errors'):.0f}; lost {median('lost'):.0f}; duplicated {median('duplicated'):.0f}; "
        f"{median('seconds'):.1f} s for {median('messages'):.0f} messages"
    )
    ok = all(r.flood_errors == 0 and r.lost == 0 and r.duplicated == 0 and r.summary_ok for r in results)
    return 0 if ok and median("rate") / LIMIT_PER_SECOND >= 0.95 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", action="store_true", help="send the report's PDF and DOCX too")
    parser.add_argument("--dump", help="write each send's arrival time, status and chat to this file (last run)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
