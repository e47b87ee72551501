"""Keeps PTB's JobQueue in step with the schedule table, and runs what comes due.

The table is the source of truth; the JobQueue (APScheduler, in memory) only holds one job per
active item, named ``item-<id>``, registered on start and re-registered whenever a use case commits
a change (Scheduling listeners). So nothing is lost on restart, and no job store is shared.

On start: summaries still owed are sent (also one a crash cut off between its claim and Telegram's
answer), interrupted broadcasts resume, and every due item is
triaged (bot.scheduling.missed): missed by less than its kind's grace window, it fires once now;
missed by more, the organiser is told instead (a "starts in 15 minutes" reminder two hours late
does more harm than good, a report two hours late is still wanted — hence per kind). A sweep every
minute catches anything the JobQueue dropped (APScheduler skips a job late beyond its
misfire_grace_time, which we set to the same window) and resumes broadcasts that died.

Firing renders the content, opens the Delivery (one per occurrence) and runs the broadcast as the
runner's own task: deliver() with the database ledger, one FloodPacer and one in-flight window
(IN_FLIGHT requests) for every broadcast of the bot, and a sender mapping Telegram's errors. The
sweep never starts a delivery this runner is already running (one task per delivery), and every
part is claimed in the database before it is sent, so not even two processes can send it twice.
When a broadcast ends, the organiser's summary is claimed the same way and sent once, paged, with
a "Resend to unconfirmed" button when some parts may not have arrived; a resend reopens the
delivery (bot.services.deliveries) and runs it here again at once.

Stopping is graceful: no new send starts, sends in flight finish and are recorded (bounded by
DRAIN_SECONDS), then the broadcasts are cancelled. Their remaining parts are still pending in the
table, so the next start resumes them: no one twice, no one skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from telegram.error import TelegramError
from telegram.ext import Application, CallbackContext, JobQueue

from bot.i18n import translator
from bot.scheduling.delivery import DEFAULT_BACKOFF, DEFAULT_CONCURRENCY, DEFAULT_WINDOW, Outcome, deliver
from bot.scheduling.ledger import SqlDeliveryLedger
from bot.scheduling.missed import Disposition, classify
from bot.scheduling.pacing import FloodPacer, TelegramLimits
from bot.scheduling.slots import RequestSpacing
from handlers import scheduling as _registers_scheduling_outcomes  # noqa: F401  (render knows Missed and DeliveryReport)
from handlers.render import render
from storage.models import ItemStatus, ScheduleKind
from telegram_edge.dispatch.content import ReportPackage, message_content, parts, report_content

if TYPE_CHECKING:
    from bot.container import Services
    from bot.services.deliveries import Deliveries, DeliveryReport
from telegram_edge.dispatch.sending import ChatSender

log = logging.getLogger(__name__)

GRACE: dict[ScheduleKind, timedelta] = {
    ScheduleKind.REMINDER: timedelta(minutes=10),
    ScheduleKind.NUDGE: timedelta(minutes=30),
    ScheduleKind.RAPPORTEUR_NUDGE: timedelta(hours=2),
    ScheduleKind.PAPERS: timedelta(hours=12),
    ScheduleKind.REPORT: timedelta(hours=12),
}
DEFAULT_LIMITS = TelegramLimits()  # Telegram's; tests may replace it to go faster
SWEEP_SECONDS = 60.0
DRAIN_SECONDS = 10.0
MAX_CONCURRENCY = 48  # chats served at once; most wait for a pacer slot, not a connection
IN_FLIGHT = DEFAULT_WINDOW  # requests claimed and unanswered at once, all broadcasts together
SWEEP_JOB = "schedule-sweep"


class Runner:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        services: Services,
        *,
        limits: TelegramLimits | None = None,
        grace: Mapping[ScheduleKind, timedelta] = GRACE,
        backoff: tuple[float, ...] = DEFAULT_BACKOFF,
        sweep_seconds: float = SWEEP_SECONDS,
    ) -> None:
        self.application = application
        self.services = services
        self.bot = application.bot
        limits = limits or DEFAULT_LIMITS
        self.pacer = FloodPacer(limits)  # one for every broadcast: the limits are bot-wide
        self._spacing = RequestSpacing(limits)
        self.window = asyncio.Semaphore(IN_FLIGHT)  # what a crash can leave in doubt
        self.grace = dict(grace)
        self.backoff = backoff
        self.sweep_seconds = sweep_seconds
        self._guard = _Guard()
        self._ledger = _GuardedLedger(SqlDeliveryLedger(services.db), self._guard)
        self._broadcasts: dict[int, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._files: dict[int, dict[str, bytes]] = {}
        self._firing: set[int] = set()
        self._summaries: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = False

    @property
    def deliveries(self) -> Deliveries:
        return self.services.deliveries

    def now(self) -> datetime:
        return self.services.scheduling.now()

    # ----- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Re-register everything from the table; resume and triage what the downtime left."""
        self._loop = asyncio.get_running_loop()
        self.services.scheduling.add_listener(self._on_change)
        self.deliveries.add_reopen_listener(self._on_reopen)
        await self.deliveries.release_summary_claims()
        await self._catch_up()
        await self.check_due(register=True)
        self._jobs.run_repeating(self._sweep, interval=self.sweep_seconds, first=self.sweep_seconds, name=SWEEP_JOB)

    async def stop(self) -> None:
        """Finish the sends in flight, then stop; unsent recipients stay pending for the next start."""
        if self._stopped:
            return
        self._stopped = True
        self._guard.stopping = True
        self.services.scheduling.remove_listener(self._on_change)
        self.deliveries.remove_reopen_listener(self._on_reopen)
        await self._guard.drained(DRAIN_SECONDS)
        if self._summaries:
            await asyncio.wait(self._summaries, timeout=DRAIN_SECONDS)
        tasks = [*self._broadcasts.values(), *self._background]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A process that steps down from leadership keeps running: its jobs must go too.
        for job in self._jobs.jobs():
            if job.name == SWEEP_JOB or (job.name or "").startswith("item-"):
                job.schedule_removal()

    def notify_items(self, item_ids: frozenset[int]) -> None:
        """Another process committed changes to these items (bot.leadership: LISTEN/NOTIFY)."""
        self._on_change(item_ids)

    def notify_reopen(self, delivery_id: int) -> None:
        """Another process reopened this delivery for a resend (bot.leadership)."""
        self._on_reopen(delivery_id)

    async def wait_idle(self) -> None:
        """Until no broadcast or re-sync is running (for tests and the benchmark)."""
        while tasks := [*self._broadcasts.values(), *self._background]:
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def _jobs(self) -> JobQueue[Any]:
        jobs = self.application.job_queue
        if jobs is None:
            raise RuntimeError("scheduling needs PTB's JobQueue: install python-telegram-bot[job-queue]")
        return jobs

    # ----- keeping the JobQueue in step ---------------------------------------------------

    async def check_due(self, *, register: bool) -> None:
        """Triage every active item: fire, report missed, or (with `register`) put it in the JobQueue."""
        now = self.now()
        for item_id, kind, at in await self.deliveries.due():
            disposition = classify(at, now=now, grace=self.grace[kind])
            if disposition is Disposition.FUTURE:
                if register:
                    self._register(item_id, kind, at)
            elif disposition is Disposition.FIRE_NOW:
                await self.fire(item_id, at)
            else:
                await self._report_missed(item_id, at, "offline")

    def _register(self, item_id: int, kind: ScheduleKind, at: datetime) -> None:
        self._unregister(item_id)
        # Relative to our clock rather than an absolute datetime, so an injected clock (tests)
        # and the JobQueue agree on how far away the item is.
        delay = max(at - self.now(), timedelta(0))
        self._jobs.run_once(
            self._on_job,
            when=delay,
            data=(item_id, at),
            name=f"item-{item_id}",
            job_kwargs={"misfire_grace_time": int(self.grace[kind].total_seconds())},
        )

    def _unregister(self, item_id: int) -> None:
        for job in self._jobs.get_jobs_by_name(f"item-{item_id}"):
            job.schedule_removal()

    def _on_change(self, item_ids: frozenset[int]) -> None:
        """A use case committed changes to these items (called inside SQLAlchemy's after_commit)."""
        if self._loop is not None and not self._stopped:
            self._loop.call_soon(self._spawn_background, self._sync(item_ids))

    async def _sync(self, item_ids: frozenset[int]) -> None:
        for item_id in item_ids:
            self._unregister(item_id)
        now = self.now()
        for item_id, kind, at in await self.deliveries.due(item_ids):
            if classify(at, now=now, grace=self.grace[kind]) is Disposition.FUTURE:
                self._register(item_id, kind, at)
            else:  # e.g. "send now": due at once
                await self.fire(item_id, at)

    def _on_reopen(self, delivery_id: int) -> None:
        """A delivery was reopened to resend to its unconfirmed recipients (after commit)."""
        if self._loop is not None and not self._stopped:
            self._loop.call_soon(self._spawn_background, self._resume(delivery_id))

    async def _resume(self, delivery_id: int) -> None:
        """Run it again, once its previous run (which may still be sending the summary) is over."""
        running = self._broadcasts.get(delivery_id)
        if running is not None:
            await asyncio.gather(running, return_exceptions=True)
        self._start_broadcast(delivery_id)

    async def _on_job(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        item_id, at = context.job.data  # type: ignore[union-attr,misc]
        await self.fire(item_id, at)

    async def _sweep(self, _context: CallbackContext) -> None:  # type: ignore[type-arg]
        try:
            await self._catch_up()
            await self.check_due(register=False)
        except Exception:  # the next sweep tries again
            log.exception("schedule sweep failed")

    async def _catch_up(self) -> None:
        """Send summaries still owed and resume broadcasts that are not running."""
        for delivery_id in await self.deliveries.unsummarised():
            if delivery_id not in self._broadcasts:  # a running broadcast summarises itself
                await self._summarise(delivery_id)
        for delivery_id in await self.deliveries.unfinished():
            self._start_broadcast(delivery_id)

    # ----- firing -------------------------------------------------------------------------

    async def fire(self, item_id: int, occurrence: datetime) -> None:
        """Render and open the delivery of this occurrence, then broadcast it in the background."""
        if item_id in self._firing or self._stopped:
            return
        self._firing.add(item_id)
        try:
            plan = await self.deliveries.plan(item_id)
            if plan is None or plan.status is not ItemStatus.ACTIVE or plan.occurrence != occurrence:
                return
            files: dict[str, bytes] = {}
            if plan.kind is ScheduleKind.REPORT:
                package = await self._package(plan.target.session_id, plan.options.get("source", "approved"))
                if package is None:
                    await self._report_missed(item_id, occurrence, "no_report")
                    return
                content, files = report_content(plan, package)
            else:
                content = message_content(plan)
            opened = await self.deliveries.open(item_id, occurrence, content)
            if opened is not None:
                self._files[opened.delivery_id] = files
                self._start_broadcast(opened.delivery_id)
        except Exception:  # still due in the table: the sweep retries within the grace window
            log.exception("firing scheduled item %s failed", item_id)
        finally:
            self._firing.discard(item_id)

    async def _package(self, session_id: int | None, source: str) -> ReportPackage | None:
        """The report to deliver (bot.services.reporting), or None when there is nothing yet."""
        if session_id is None:
            log.warning("a report delivery without a session cannot be prepared")
            return None
        package: ReportPackage | None = await self.services.reporting.package(
            session_id, source="latest" if source == "latest" else "approved"
        )
        return package

    async def _report_missed(self, item_id: int, occurrence: datetime, reason: str) -> None:
        missed = await self.deliveries.miss(item_id, occurrence, reason)
        if missed is None or missed.creator_chat is None:
            return
        try:
            for reply in render(missed, translator(missed.creator_locale)):
                await self.bot.send_message(missed.creator_chat, reply.text, reply_markup=reply.markup)
        except TelegramError:
            log.warning("could not tell organiser %s about missed item %s", missed.creator_chat, item_id, exc_info=True)

    # ----- broadcasting -------------------------------------------------------------------

    def _start_broadcast(self, delivery_id: int) -> None:
        if delivery_id in self._broadcasts or self._stopped:
            return
        task = asyncio.get_running_loop().create_task(self._broadcast(delivery_id), name=f"delivery-{delivery_id}")
        self._broadcasts[delivery_id] = task
        task.add_done_callback(lambda _task: self._broadcasts.pop(delivery_id, None))

    async def _broadcast(self, delivery_id: int) -> None:
        try:
            content = await self.deliveries.content(delivery_id)
            files = self._files.pop(delivery_id, None)
            if files is None:
                files = await self._files_for_resume(content)
            sender = ChatSender(
                self.bot,
                content,
                self._spacing,
                files=files,
                remember_file=partial(self.deliveries.remember_file, delivery_id),
                locales=await self.deliveries.recipient_locales(delivery_id),
            )
            count = max(1, parts(content))
            concurrency = min(MAX_CONCURRENCY, DEFAULT_CONCURRENCY * count)
            await deliver(
                delivery_id,
                self._ledger,
                sender,
                self.pacer,
                parts=count,
                concurrency=concurrency,
                window=self.window,
                backoff=self.backoff,
            )
            await self._summarise(delivery_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # the recipients left are still pending: the sweep resumes them
            log.exception("delivery %s stopped early; it will be resumed", delivery_id)

    async def _files_for_resume(self, content: dict[str, Any]) -> dict[str, bytes]:
        """A resumed report whose files were never uploaded needs their bytes again."""
        if all(upload.get("file_id") for upload in content.get("uploads", [])):
            return {}
        report = content.get("report") or {}
        package = await self._package(report.get("session_id"), report.get("source", "approved"))
        return {name: data for name, data in package.files} if package is not None else {}

    async def _summarise(self, delivery_id: int) -> None:
        """Close the delivery and send its summary once: whoever claims it first sends it.

        Once claimed, sending is shielded from the broadcast's cancellation and stopping waits for
        it: a summary cut off by a graceful stop would be owed, and sent again, at the next start."""
        report = await self.deliveries.finish(delivery_id)
        if not await self.deliveries.claim_summary(delivery_id):
            return
        task = asyncio.get_running_loop().create_task(self._send_summary(delivery_id, report))
        self._summaries.add(task)
        task.add_done_callback(self._summaries.discard)
        await asyncio.shield(task)

    async def _send_summary(self, delivery_id: int, report: DeliveryReport) -> None:
        if report.creator_chat is not None:
            for page in render(report, translator(report.creator_locale)):
                try:
                    await self.pacer.acquire(report.creator_chat)  # a page a second: one chat's limit
                    await self._spacing.wait(report.creator_chat)
                    await self.bot.send_message(report.creator_chat, page.text, reply_markup=page.markup)
                except TelegramError:
                    log.warning("could not send the summary of delivery %s", delivery_id, exc_info=True)
                    break
                finally:
                    self._spacing.answered(report.creator_chat)
        await self.deliveries.summary_sent(delivery_id)

    def _spawn_background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        if self._stopped:
            coroutine.close()
            return
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


class _Guard:
    """Which parts are in flight, so that stopping can wait for them instead of cutting them."""

    def __init__(self) -> None:
        self.stopping = False
        self._flying: set[tuple[int, int, int]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self, key: tuple[int, int, int]) -> None:
        self._flying.add(key)
        self._idle.clear()

    def leave(self, key: tuple[int, int, int]) -> None:
        self._flying.discard(key)
        if not self._flying:
            self._idle.set()

    async def drained(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            log.warning("stopping with %d sends still in flight; they will count as unconfirmed", len(self._flying))


class _GuardedLedger:
    """The database ledger, plus: once stopping, no part may be claimed (the worker waits to be
    cancelled before anything is written, so its part stays pending, not in doubt)."""

    def __init__(self, inner: SqlDeliveryLedger, guard: _Guard) -> None:
        self.inner = inner
        self.guard = guard

    async def settle_interrupted(self, delivery_id: int, *, resend: bool) -> int:
        return await self.inner.settle_interrupted(delivery_id, resend=resend)

    async def pending(self, delivery_id: int) -> list[int]:
        return await self.inner.pending(delivery_id)

    async def finished_count(self, delivery_id: int) -> int:
        return await self.inner.finished_count(delivery_id)

    async def open_parts(self, delivery_id: int, chat_id: int, parts: int) -> list[int]:
        return await self.inner.open_parts(delivery_id, chat_id, parts)

    async def claim(self, delivery_id: int, chat_id: int, part: int) -> bool:
        key = (delivery_id, chat_id, part)
        if self.guard.stopping:
            await asyncio.Event().wait()  # parked until the runner cancels the broadcast
        self.guard.enter(key)
        try:
            claimed = await self.inner.claim(delivery_id, chat_id, part)
        except BaseException:
            self.guard.leave(key)
            raise
        if not claimed:
            self.guard.leave(key)
        return claimed

    async def release(self, delivery_id: int, chat_id: int, part: int) -> None:
        try:
            await self.inner.release(delivery_id, chat_id, part)
        finally:
            self.guard.leave((delivery_id, chat_id, part))

    async def mark(self, delivery_id: int, chat_id: int, part: int, outcome: Outcome, detail: str | None) -> None:
        try:
            await self.inner.mark(delivery_id, chat_id, part, outcome, detail)
        finally:
            self.guard.leave((delivery_id, chat_id, part))

    async def skip_rest(self, delivery_id: int, chat_id: int, outcome: Outcome, detail: str | None) -> None:
        await self.inner.skip_rest(delivery_id, chat_id, outcome, detail)

    async def finish(self, delivery_id: int, chat_id: int) -> Outcome | None:
        return await self.inner.finish(delivery_id, chat_id)
