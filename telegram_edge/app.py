"""The Application factory: production, the demo, the benchmark and the tests build the bot here.

Only the transport differs between them (Telegram, or the local fake Bot API through
TELEGRAM_API_BASE_URL), so every path exercises the same handlers, services and storage.
"""

from __future__ import annotations

import functools
import gc
import logging
from typing import Any, TypeAlias

from telegram import LinkPreviewOptions
from telegram.ext import ApplicationBuilder, Defaults, ExtBot, JobQueue
from telegram.request import BaseRequest

import handlers
from bot import metrics
from bot.config import Settings
from bot.container import Services, build_services
from bot.flood import FloodListener
from bot.leadership import ChangePublisher, Leadership
from bot.send_budget import send_budget
from handlers import menus
from handlers.common import REPLY_FORMAT
from handlers.context import CONTEXT_TYPES, BotApplication, BotContext, BotData, ChatData, UserData
from handlers.privacy import RETENTION_JOB, schedule_retention
from telegram_edge.aiohttp_request import AiohttpRequest
from telegram_edge.dispatch.group_replies import GroupReplies
from telegram_edge.dispatch.runner import Runner
from telegram_edge.dispatch.sending import BroadcastRateLimiter
from telegram_edge.polling import DurableUpdater
from telegram_edge.update_processor import PerUserUpdateProcessor

log = logging.getLogger(__name__)
BotBuilder: TypeAlias = ApplicationBuilder[ExtBot[Any], BotContext, UserData, ChatData, BotData, JobQueue[BotContext]]


def build_application(
    settings: Settings,
    services: Services | None = None,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    scheduler: bool = True,
) -> BotApplication:
    """A ready-to-start Application whose bot talks to `settings.telegram_api_base_url`.

    `scheduler`: this process is a candidate for running the scheduler (bot.leadership); a
    webhook worker that is not only answers updates and tells the leader about changes."""
    services = services or build_services(settings)
    builder: BotBuilder = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .context_types(CONTEXT_TYPES)
        .job_queue(JobQueue[BotContext]())  # typed for our context (PTB's default is the same queue)
        .defaults(
            Defaults(parse_mode=REPLY_FORMAT["parse_mode"], link_preview_options=LinkPreviewOptions(**REPLY_FORMAT["link_preview_options"]))
        )
        .concurrent_updates(PerUserUpdateProcessor(256, services.inbox))
        .post_init(on_startup)
        .post_stop(on_stop)
        .post_shutdown(on_shutdown)
    )
    # aiohttp rather than PTB's httpx: several times less CPU per Bot API call (telegram_edge/aiohttp_request.py).
    builder = builder.request(request or AiohttpRequest(connection_pool_size=64, read_timeout=15, write_timeout=15))
    builder = builder.get_updates_request(get_updates_request or AiohttpRequest(connection_pool_size=2, read_timeout=40))
    if rate_limit:
        # Every new message, reply or broadcast, from any process, takes a turn of the deployment's
        # sending budget (bot.send_budget); group chats keep 20/min; a 429 is waited out.
        # Broadcasts opt out of those retries: their FloodPacer must see each 429 once.
        budget = send_budget(services.db, settings.send_rate)
        builder = builder.rate_limiter(BroadcastRateLimiter(overall_max_rate=0, max_retries=3, budget=budget))
    application = builder.build()
    # Updates are acknowledged to Telegram only once stored in the inbox (telegram_edge.polling).
    application.updater = DurableUpdater(application.bot, application.update_queue, services.inbox)
    application.bot_data.services = services
    application.bot_data.scheduler_candidate = scheduler
    application.bot_data.group_replies = GroupReplies(application.bot)
    handlers.register(application)
    return application


async def on_startup(application: BotApplication) -> None:
    """Migrate the database and publish the command menus. `run_polling` calls this; code that
    starts the Application by hand (tests, demo) must call it too."""
    services = application.bot_data.services
    await services.db.upgrade()  # once per deployment: under an advisory lock on PostgreSQL
    await start_scheduling(application, services)
    owed = await handlers.send_all_owed(application.bot, services.outbox)  # before any new update
    if owed:
        log.info("sent %d reply(ies) owed from before the last stop", owed)
    await menus.publish_all(application)  # per role and per chat (handlers/menus.py)
    if services.settings.web_enabled and not application.bot_data.webhook_worker:
        await _start_web(application, services)
    freeze_start_up_objects()


@functools.cache
def freeze_start_up_objects() -> None:
    """Once per process, after the first start: what exists by then (modules, mappers, PTB's
    classes, the settings) lives as long as the process, so the cyclic collector stops walking
    it. Full collections of the answer benchmark went from ~150,000 objects and pauses of up to
    100 ms to ~16,000 objects and 42 ms. Once only: a later start (tests, a restart in the same
    process) would also make immortal whatever garbage happened to be waiting."""
    gc.freeze()


async def start_scheduling(application: BotApplication, services: Services) -> None:
    """Run the scheduler here if this process is elected (always, on SQLite); tell the leader
    about changes committed here when another process leads."""
    limiter = application.bot.rate_limiter
    if isinstance(limiter, BroadcastRateLimiter):  # a 429 anywhere pauses this process too
        flood = FloodListener(services.db, limiter.gate)
        await flood.start()
        application.bot_data.flood = flood
    publisher = ChangePublisher(services.db, None)
    services.scheduling.add_listener(publisher.items_changed)
    services.deliveries.add_reopen_listener(publisher.reopened)
    application.bot_data.publisher = publisher
    if not application.bot_data.scheduler_candidate:
        return

    async def elected() -> None:
        metrics.LEADER.set(1)
        runner = Runner(application, services)
        application.bot_data.runner = runner
        if isinstance(limiter, BroadcastRateLimiter):
            limiter.gate.followers.append(runner.pacer.penalise)
        await runner.start()  # re-registers scheduled items, resumes broadcasts, reports missed ones
        schedule_retention(application)  # hourly: personal data of events past their retention period

    async def deposed() -> None:
        metrics.LEADER.set(0)
        runner, application.bot_data.runner = application.bot_data.runner, None
        if application.job_queue is not None:
            for job in application.job_queue.get_jobs_by_name(RETENTION_JOB):
                job.schedule_removal()
        if runner is not None:
            if isinstance(limiter, BroadcastRateLimiter) and runner.pacer.penalise in limiter.gate.followers:
                limiter.gate.followers.remove(runner.pacer.penalise)
            await runner.stop()

    def on_items(item_ids: frozenset[int]) -> None:
        if (runner := application.bot_data.runner) is not None:
            runner.notify_items(item_ids)

    def on_reopen(delivery_id: int) -> None:
        if (runner := application.bot_data.runner) is not None:
            runner.notify_reopen(delivery_id)

    leadership = Leadership(services.db, on_elected=elected, on_deposed=deposed, on_items=on_items, on_reopen=on_reopen)
    publisher.leadership = leadership
    application.bot_data.leadership = leadership
    await leadership.start()


async def _start_web(application: BotApplication, services: Services) -> None:
    """The room screen and the Mini Apps, served by uvicorn in this event loop (PUBLIC_URL, WEB_PORT)."""
    from web.app import WebServer, create_app

    settings = services.settings
    assert settings.web_port is not None
    server = WebServer(create_app(services, settings, bot_username=application.bot.username), settings.web_host, settings.web_port)
    await server.start()
    application.bot_data.web_server = server
    log.info("Web pages on %s:%s, reached at %s", settings.web_host, server.port, settings.public_url)


async def on_stop(application: BotApplication) -> None:
    """After `Application.stop` (run_polling): finish the broadcast sends in flight while the bot
    can still send; what is left resumes at the next start."""
    data = application.bot_data
    leadership, data.leadership = data.leadership, None
    if leadership is not None:
        await leadership.stop()  # stops the runner, then releases the lock for another candidate
    flood, data.flood = data.flood, None
    if flood is not None:
        await flood.stop()
    publisher, data.publisher = data.publisher, None
    if publisher is not None:  # a restart in the same process (tests) registers a new one
        services = data.services
        services.scheduling.remove_listener(publisher.items_changed)
        services.deliveries.remove_reopen_listener(publisher.reopened)
        await publisher.flush()
    server, data.web_server = data.web_server, None
    if server is not None:
        await server.stop()
    await data.group_replies.stop()  # pending replies to groups are dropped, never waited for
    limiter = application.bot.rate_limiter
    if isinstance(limiter, BroadcastRateLimiter):
        await limiter.budget.close()  # a flood wait still being written to the shared timeline


async def on_shutdown(application: BotApplication) -> None:
    await on_stop(application)  # code that stops the Application by hand calls only this hook
    await application.bot_data.services.close()
